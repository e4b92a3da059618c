/** Save a Blob as a file through a temporary <a download> (no server round trip, works under the page's CSP). */
export function saveBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Browser mode: the report in a window of its own, then the print dialog (Save as PDF). */
export function printHtml(html: string): boolean {
  const w = window.open('', '_blank');
  if (!w) return false;
  w.document.open();
  w.document.write(html);
  w.document.close();
  w.focus();
  setTimeout(() => w.print(), 250);
  return true;
}

/**
 * A report the engine made, delivered: as a PDF (the shell prints it; in a browser, the print dialog) or saved as
 * the file it is.
 */
export async function deliverReport(file: { filename: string; mime: string; body: string }, pdf: boolean): Promise<void> {
  if (!pdf) {
    saveBlob(file.filename, new Blob([file.body], { type: `${file.mime};charset=utf-8` }));
    return;
  }
  const bridge = window.podtrail;
  if (bridge?.printToPdf) {
    const r = await bridge.printToPdf(file.body, file.filename.replace(/\.html$/, '.pdf'));
    if (!r.ok) throw new Error(r.error.message);
  } else if (!printHtml(file.body)) throw new Error('the browser blocked the report window: allow pop-ups for this page');
}
