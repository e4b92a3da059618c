/**
 * Report PDFs. The report HTML (built by the engine with every log value escaped) is rendered in a hidden window
 * that runs no script, has no preload, and lives in its own in-memory session whose only reachable URL is the
 * report itself: even an escaping bug could neither run code nor reach the network.
 */
import { BrowserWindow, session, type Session } from 'electron';
import { randomUUID } from 'node:crypto';
import { SECURITY_HEADERS } from '../server/security';
import { hardenSession } from './hardening';
import { APP_SCHEME } from './policy';

/** Reports carry inline styles and may embed data: images; nothing else. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
export const MAX_REPORT_HTML = 64 * 1024 * 1024;

const pending = new Map<string, string>();
let pdfSession: Session | null = null;

function reportSession(): Session {
  if (pdfSession) return pdfSession;
  const ses = session.fromPartition('podtrail-pdf', { cache: false });
  hardenSession(ses);
  ses.protocol.handle(APP_SCHEME, (request) => {
    const url = new URL(request.url);
    const html = url.host === 'report' ? pending.get(url.pathname.slice(1)) : undefined;
    if (html === undefined) return new Response('not found', { status: 404, headers: SECURITY_HEADERS });
    return new Response(html, { headers: { ...SECURITY_HEADERS, 'Content-Security-Policy': REPORT_CSP, 'Content-Type': 'text/html; charset=utf-8' } });
  });
  pdfSession = ses;
  return ses;
}

export async function htmlToPdf(html: string): Promise<Buffer> {
  const id = randomUUID();
  pending.set(id, html);
  const win = new BrowserWindow({
    show: false,
    webPreferences: {
      session: reportSession(),
      javascript: false,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false,
    },
  });
  try {
    await win.loadURL(`${APP_SCHEME}://report/${id}`);
    return await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
  } finally {
    pending.delete(id);
    win.destroy();
  }
}
