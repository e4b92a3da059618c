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

/** `--case <path>` or `--case=<path>` from the command line (npm start passes the demo case this way). */
export function caseFromArgv(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--case' && i + 1 < argv.length) return argv[i + 1]!;
    if (a.startsWith('--case=')) return a.slice('--case='.length) || null;
  }
  return null;
}
