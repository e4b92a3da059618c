/**
 * Export the report of the selected event: HTML, JSON, CSV (`report.export`, saved through a Blob), or PDF
 * (the shell's printToPDF under Electron; in a browser, the HTML report in a new window and the print dialog).
 */
import { useEffect, useRef, useState } from 'react';
import type { ReportFormat } from '../../../shared/api';
import { errorText, useClient } from './client-context';
import { saveBlob } from './download';

type Format = ReportFormat | 'pdf';
const FORMATS: { id: Format; label: string; hint: string }[] = [
  { id: 'html', label: 'HTML', hint: 'self-contained report' },
  { id: 'pdf', label: 'PDF', hint: 'print the HTML report' },
  { id: 'json', label: 'JSON', hint: 'report model, machine-readable' },
  { id: 'csv', label: 'CSV', hint: 'one row per hop' },
];

/** Browser mode: the report in a window of its own, then the print dialog (Save as PDF). */
function printHtml(html: string): boolean {
  const w = window.open('', '_blank');
  if (!w) return false;
  w.document.open();
  w.document.write(html);
  w.document.close();
  w.focus();
  setTimeout(() => w.print(), 250);
  return true;
}

export function ExportMenu({ eventID, open, onOpenChange }: { eventID: string | null; open: boolean; onOpenChange: (o: boolean) => void }) {
  return (
    <div className="export">
      <button type="button" className="btn" data-testid="export-report" disabled={!eventID} aria-haspopup="menu" aria-expanded={open} onClick={() => onOpenChange(!open)} title="export the report of the selected event (e)">
        Export report ▾
      </button>
      {open && eventID && <Menu eventID={eventID} onClose={() => onOpenChange(false)} />}
    </div>
  );
}

/** Mounted while open: its error and busy state start fresh each time. */
function Menu({ eventID, onClose }: { eventID: string; onClose: () => void }) {
  const client = useClient();
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);
  const menu = useRef<HTMLDivElement>(null);
  const closeRef = useRef(onClose);
  useEffect(() => {
    closeRef.current = onClose;
  }, [onClose]);

  useEffect(() => {
    menu.current?.querySelector('button')?.focus();
    const close = (e: MouseEvent) => {
      if (!menu.current?.parentElement?.contains(e.target as Node)) closeRef.current();
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, []);

  const run = async (f: Format) => {
    setBusy(f);
    setError(null);
    try {
      const file = await client.call('report.export', { eventID, format: f === 'pdf' ? 'html' : f });
      if (f === 'pdf') {
        const bridge = window.podtrail;
        if (bridge?.printToPdf) {
          const r = await bridge.printToPdf(file.body, file.filename.replace(/\.html$/, '.pdf'));
          if (!r.ok) throw new Error(r.error.message);
        } else if (!printHtml(file.body)) throw new Error('the browser blocked the report window: allow pop-ups for this page');
      } else {
        saveBlob(file.filename, new Blob([file.body], { type: `${file.mime};charset=utf-8` }));
      }
      onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="menu" role="menu" ref={menu} data-testid="export-menu">
      {FORMATS.map((f) => (
        <button key={f.id} type="button" role="menuitem" className="menu-item" data-testid={`export-${f.id}`} disabled={busy !== null} onClick={() => void run(f.id)}>
          <b>{f.label}</b> <span className="muted">{busy === f.id ? 'working…' : f.hint}</span>
        </button>
      ))}
      {error && <div className="err pad">{error}</div>}
    </div>
  );
}
