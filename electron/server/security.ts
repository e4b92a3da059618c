/**
 * What every response of the UI's transports carries (the loopback server and the Electron `app://` protocol):
 * the Content-Security-Policy and the other security headers, and the access token's creation and check.
 * Node only, no Electron: the server, the CLI and the Electron main process share it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The renderer loads only its own scripts and styles, talks only to its own origin, and can be framed by
 * nobody. `'unsafe-inline'` for styles only: React's `style` props and the graph library set inline styles;
 * scripts stay `'self'`, so markup smuggled in through a log field cannot run.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The same policy as the page's own `<meta http-equiv="Content-Security-Policy">` (renderer/index.html), which
 * must match it: a meta policy cannot carry `frame-ancestors` (browsers ignore it there), so that one directive
 * lives in the header only. The meta copy is what still holds where a page is opened without our headers.
 */
export function metaContentSecurityPolicy(policy: string = CONTENT_SECURITY_POLICY): string {
  return policy
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d && !/^(frame-ancestors|report-uri|sandbox)\b/.test(d))
    .join('; ');
}

/**
 * `Cross-Origin-Resource-Policy: same-origin`: the renderer's files need no token (a page must load before it can
 * hold one), so without it a page of another origin could load `/assets/index-….js` by `<script src>` and learn
 * that PodTrail runs, and on which port; with it (and `nosniff`) the browser refuses every such cross-origin load.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** A fresh random access token: 32 bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Constant-time comparison. Both sides are hashed first so the buffers handed to `timingSafeEqual` always have
 * the same length, and a wrong guess learns nothing about the token, not even its length.
 */
export function tokenMatches(expected: string, presented: string | null | undefined): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 1024) return false;
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(presented, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header.trim());
  return m ? m[1]! : null;
}
