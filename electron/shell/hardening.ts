/**
 * The Electron security checklist as code (docs/tutorial/security.md; ../shared/docs/security-research.md §1):
 * every permission denied, no network except our own scheme, no navigation, no new windows, no webviews, and
 * external links only to allowlisted documentation hosts over https.
 */
import { app, shell, type Session } from 'electron';
import { isAllowedExternalUrl, isAppUrl } from './policy';

/** Schemes a page may load from. Everything else (http, https, ws, file, ftp, …) is cancelled. */
const LOCAL_SCHEMES = new Set(['app:', 'data:', 'blob:', 'devtools:']);

function isLocal(raw: string): boolean {
  try {
    return LOCAL_SCHEMES.has(new URL(raw).protocol);
  } catch {
    return false;
  }
}

export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  // The app works offline on local evidence: a request to the network can only come from injected markup.
  ses.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => callback({ cancel: !isLocal(details.url) }));
}

function openIfAllowed(url: string): void {
  if (isAllowedExternalUrl(url)) void shell.openExternal(url);
}

/** Applies to every webContents the app ever creates (the main window, the PDF renderer, DevTools). */
export function hardenAllWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      openIfAllowed(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      event.preventDefault();
      openIfAllowed(url);
    });
    contents.on('will-frame-navigate', (event) => {
      if (!event.isMainFrame) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
