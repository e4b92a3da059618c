/**
 * The renderer's only way into the main process, derived from the API table: `podtrail:call` forwards one call
 * to the engine host, after checking that it comes from the main frame of our window showing our own page.
 * Plus the two shell-only operations: report PDFs and dropped evidence.
 */
import { dialog, ipcMain, type BrowserWindow, type IpcMainEvent, type IpcMainInvokeEvent } from 'electron';
import { writeFile } from 'node:fs/promises';
import { isApiName, type ApiResult } from '../../shared/api';
import type { EngineHost } from '../engine/service/host';
import { CHANNELS } from './channels';
import { htmlToPdf, MAX_REPORT_HTML } from './pdf';
import { isTrustedSenderFacts } from './policy';

export interface IpcContext {
  window(): BrowserWindow | null;
  engine(): EngineHost;
  ingest(paths: string[]): Promise<void>;
}

const refused = (message: string): ApiResult<never> => ({ ok: false, error: { code: 'bad-input', message } });

/** The sender is the top frame of our window, and that frame shows `app://podtrail/…` (policy.ts decides). */
export function isTrustedSender(win: BrowserWindow | null, event: IpcMainEvent | IpcMainInvokeEvent): boolean {
  if (!win || win.isDestroyed()) return false;
  const frame = event.senderFrame;
  const main = win.webContents.mainFrame;
  return isTrustedSenderFacts(
    { webContentsId: win.webContents.id, mainFrame: { processId: main.processId, routingId: main.routingId } },
    {
      webContentsId: event.sender.id,
      frame: frame ? { url: frame.url, isTopFrame: frame.parent === null, processId: frame.processId, routingId: frame.routingId } : null,
    },
  );
}

function safeFileName(name: unknown): string {
  const base = typeof name === 'string' ? name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120) : '';
  return base.toLowerCase().endsWith('.pdf') ? base : `${base || 'podtrail-report'}.pdf`;
}

export function registerIpc(ctx: IpcContext): void {
  ipcMain.handle(CHANNELS.call, async (event, name: unknown, input: unknown): Promise<ApiResult<unknown>> => {
    if (!isTrustedSender(ctx.window(), event)) return refused('call refused: not from the PodTrail window');
    if (typeof name !== 'string' || !isApiName(name)) {
      return { ok: false, error: { code: 'unknown-method', message: `unknown method ${String(name).slice(0, 100)}` } };
    }
    // The engine validates `input` against the API table's schema in its worker.
    return ctx.engine().call(name, input);
  });

  ipcMain.handle(CHANNELS.printPdf, async (event, html: unknown, suggestedName: unknown): Promise<ApiResult<{ path: string | null }>> => {
    const win = ctx.window();
    if (!isTrustedSender(win, event) || !win) return refused('print refused: not from the PodTrail window');
    if (typeof html !== 'string' || html.length === 0 || html.length > MAX_REPORT_HTML) return refused('printToPdf: html must be a non-empty string under 64 MiB');
    try {
      const pdf = await htmlToPdf(html);
      const choice = await dialog.showSaveDialog(win, {
        title: 'Save report as PDF',
        defaultPath: safeFileName(suggestedName),
        filters: [{ name: 'PDF', extensions: ['pdf'] }],
      });
      if (choice.canceled || !choice.filePath) return { ok: true, value: { path: null } };
      await writeFile(choice.filePath, pdf);
      return { ok: true, value: { path: choice.filePath } };
    } catch (err) {
      return { ok: false, error: { code: 'internal', message: `printToPdf: ${(err as Error).message}` } };
    }
  });

  ipcMain.on(CHANNELS.drop, (event, paths: unknown) => {
    if (!isTrustedSender(ctx.window(), event)) return;
    if (!Array.isArray(paths) || paths.length === 0 || paths.length > 1000) return;
    if (!paths.every((p): p is string => typeof p === 'string' && p.length > 0 && p.length <= 4096)) return;
    void ctx.ingest(paths);
  });
}
