/**
 * `app://podtrail/…`: the renderer's origin in Electron. Serves only the files of `renderer/dist`, with the same
 * CSP, security headers and path checks as the loopback server (electron/server/static-files.ts). Pages on
 * `file://` could read any file of the machine; a custom standard scheme gives the page an origin of its own.
 */
import { protocol, type Session } from 'electron';
import { SECURITY_HEADERS } from '../server/security';
import { readStaticFile } from '../server/static-files';
import { APP_HOST, APP_SCHEME } from './policy';

/** Must run before `app` is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    // standard: relative URLs and an origin; secure: a secure context like https; supportFetchAPI: module scripts.
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });
}

export function serveRenderer(ses: Session, rendererDir: string): void {
  ses.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'method not allowed');
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return text(400, 'bad request');
    }
    if (url.host !== APP_HOST) return text(404, 'not found');
    // Chromium has already normalised the path of this standard scheme; it is checked again all the same.
    const f = await readStaticFile(rendererDir, url.pathname || '/');
    if (f.status !== 200) return text(f.status, f.status === 400 ? 'bad request' : 'not found');
    return new Response(request.method === 'HEAD' ? null : f.body, {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'Content-Type': f.contentType, 'Cache-Control': 'no-cache' },
    });
  });
}
