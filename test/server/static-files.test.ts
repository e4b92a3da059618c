import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { mimeType, resolveStaticPath } from '../../electron/server/static-files';
import { tokenMatches, newToken, bearerToken, CONTENT_SECURITY_POLICY } from '../../electron/server/security';

const root = resolve('/srv/ui');

describe('resolveStaticPath', () => {
  it('maps / and folders to index.html and files under the root', () => {
    expect(resolveStaticPath(root, '/')).toEqual({ ok: true, file: join(root, 'index.html') });
    expect(resolveStaticPath(root, '/assets/')).toEqual({ ok: true, file: join(root, 'assets', 'index.html') });
    expect(resolveStaticPath(root, '/assets/app-1.js')).toEqual({ ok: true, file: join(root, 'assets', 'app-1.js') });
    expect(resolveStaticPath(root, '/assets/a%20b.js')).toEqual({ ok: true, file: join(root, 'assets', 'a b.js') });
  });

  it.each([
    '/../etc/passwd',
    '/assets/../../etc/passwd',
    '/%2e%2e/etc/passwd',
    '/%2E%2E/etc/passwd',
    '/.%2e/etc/passwd',
    '/assets/..%2f..%2fetc%2fpasswd',
    '/..\\etc\\passwd',
    '/%5c..%5cetc%5cpasswd',
    '/index.html%00.js',
    '/a\0b',
    '/%E0%A4%A',
    '/./index.html',
    'index.html',
  ])('refuses %j', (p) => {
    const r = resolveStaticPath(root, p);
    expect(r.ok).toBe(false);
  });

  it('does not serve dot files', () => {
    expect(resolveStaticPath(root, '/.env')).toEqual({ ok: false, status: 404 });
    expect(resolveStaticPath(root, '/.git/config')).toEqual({ ok: false, status: 404 });
  });

  it('never resolves outside the root, whatever the input', () => {
    const tricky = ['//etc/passwd', '/%2fetc%2fpasswd', '/assets/%2e%2e', '/%2e%2e%2f%2e%2e%2f', '/x/..%5c..%5c'];
    for (const p of tricky) {
      const r = resolveStaticPath(root, p);
      if (r.ok) expect(r.file.startsWith(root + '/')).toBe(true);
    }
  });

  it('knows the MIME types of a Vite build', () => {
    expect(mimeType('a/index.html')).toBe('text/html; charset=utf-8');
    expect(mimeType('a/x.js')).toBe('text/javascript; charset=utf-8');
    expect(mimeType('a/x.css')).toBe('text/css; charset=utf-8');
    expect(mimeType('a/x.svg')).toBe('image/svg+xml');
    expect(mimeType('a/x.woff2')).toBe('font/woff2');
    expect(mimeType('a/x.bin')).toBe('application/octet-stream');
  });
});

describe('access token', () => {
  it('is 32 random bytes in base64url and compares exactly', () => {
    const t = newToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(t);
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(t, t.slice(0, -1))).toBe(false);
    expect(tokenMatches(t, `${t}x`)).toBe(false);
    expect(tokenMatches(t, '')).toBe(false);
    expect(tokenMatches(t, null)).toBe(false);
  });

  it('reads only a well-formed Bearer header', () => {
    expect(bearerToken('Bearer abc_-1')).toBe('abc_-1');
    expect(bearerToken('bearer abc')).toBeNull();
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('has the policy the desktop issue asks for', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  });
});
