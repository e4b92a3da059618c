/**
 * The Electron security checklist as code (docs/tutorial/security.md; ../shared/docs/security-research.md §1):
 * every permission denied, no network except our own scheme, no navigation, no new windows, no webviews, and
 * external links only to allowlisted documentation hosts over https. The decisions themselves are pure functions
 * in policy.ts; this file only wires them to Electron (test/shell/electron-wiring.test.ts drives it with a fake
 * Electron, since the real one cannot run on the build machines).
 */
import { app, shell, type Session } from 'electron';
import { decideNavigation, isAllowedExternalUrl, isLocalRequestUrl, mayRedirect } from './policy';

export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  ses.webRequest.onBeforeRequest({ urls: ['<all_urls>'] }, (details, callback) => callback({ cancel: !isLocalRequestUrl(details.url) }));
}

/**
 * The app's only call of `shell.openExternal` (checklist item 15): a URL reaches the user's browser only if it is
 * https on an allowlisted documentation host. Never pass it anything else; a lint-like test keeps it the only one.
 */
export function openExternalSafely(url: string): boolean {
  if (!isAllowedExternalUrl(url)) return false;
  void shell.openExternal(url);
  return true;
}

/** Applies to every webContents the app ever creates (the main window, the PDF renderer, DevTools). */
export function hardenAllWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      if (decideNavigation(url).openExternally) openExternalSafely(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      event.preventDefault();
      if (decideNavigation(url).openExternally) openExternalSafely(url);
    });
    contents.on('will-frame-navigate', (event) => {
      if (!event.isMainFrame) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!mayRedirect(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
