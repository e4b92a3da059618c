/**
 * The Electron shell's decisions that need no Electron: which URLs are ours, which external links may open in
 * the user's browser, and how the command line names a case. Kept pure so vitest can check them here, where the
 * Electron binary cannot run.
 */

/** The renderer's origin: `app://podtrail/` served from renderer/dist by the protocol handler. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'podtrail';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Documentation only; never a URL taken from evidence unless it lands on one of these exact hosts over https. */
export const EXTERNAL_HOSTS: readonly string[] = ['docs.aws.amazon.com', 'kubernetes.io'];

function parse(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

/** A page of our own renderer (`app://podtrail/...`). */
export function isAppUrl(raw: string): boolean {
  const u = parse(raw);
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
}

/** May `shell.openExternal` open this? https, an allowlisted host, no credentials, no port. */
export function isAllowedExternalUrl(raw: string): boolean {
  if (typeof raw !== 'string' || raw.length > 2048) return false;
  const u = parse(raw);
  if (!u || u.protocol !== 'https:' || u.username || u.password || u.port) return false;
  return EXTERNAL_HOSTS.includes(u.hostname);
}

/**
 * What happens when a page tries to leave itself (`will-navigate`, `window.open`, a link with a target, a middle
 * click): it never does — the window only ever shows our own page, loaded once by main.ts — and a link to an
 * allowlisted documentation page opens in the user's browser instead. Everything else is dropped silently.
 */
export function decideNavigation(url: string): { action: 'deny'; openExternally: boolean } {
  return { action: 'deny', openExternally: isAllowedExternalUrl(url) };
}

/** A redirect is followed only while it stays on our own page (`will-redirect`). */
export function mayRedirect(url: string): boolean {
  return isAppUrl(url);
}

/**
 * Schemes a page may load anything from. Everything else (http, https, ws, file, ftp, …) is cancelled by the
 * session's `webRequest` filter: the app works offline on local evidence, so a request to the network can only
 * come from injected markup.
 */
export const LOCAL_SCHEMES: readonly string[] = ['app:', 'data:', 'blob:', 'devtools:'];

export function isLocalRequestUrl(raw: string): boolean {
  const u = parse(raw);
  return u !== null && LOCAL_SCHEMES.includes(u.protocol);
}

/** The facts of an IPC message's sender that the check needs (Electron's event, reduced to plain data). */
export interface SenderFacts {
  /** `event.sender.id`: the webContents that sent it. */
  webContentsId: number;
  /** `event.senderFrame`; null when the frame is gone (navigated or destroyed) by the time main sees it. */
  frame: { url: string; isTopFrame: boolean; processId: number; routingId: number } | null;
}

/** Our window as the check needs it: its webContents and that webContents' top frame. */
export interface WindowFacts {
  webContentsId: number;
  mainFrame: { processId: number; routingId: number };
}

/**
 * Every IPC handler's first question (checklist item 17): the message comes from our window's webContents, from
 * its top frame (not an iframe), and that frame shows `app://podtrail/…`. Anything else is refused before its
 * arguments are looked at.
 */
export function isTrustedSenderFacts(win: WindowFacts | null, s: SenderFacts): boolean {
  if (!win || !s.frame) return false;
  return (
    s.webContentsId === win.webContentsId &&
    s.frame.isTopFrame &&
    s.frame.processId === win.mainFrame.processId &&
    s.frame.routingId === win.mainFrame.routingId &&
    isAppUrl(s.frame.url)
  );
}

/** `--case <path>` or `--case=<path>` from the command line (npm start passes the demo case this way). */
export function caseFromArgv(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--case' && i + 1 < argv.length) return argv[i + 1]!;
    if (a.startsWith('--case=')) return a.slice('--case='.length) || null;
  }
  return null;
}
