/**
 * The renderer's Content-Security-Policy is delivered twice: as a response header (the loopback server and the
 * Electron app:// protocol, electron/server/security.ts) and as a <meta http-equiv> in the page itself
 * (renderer/index.html, copied into the build). Both start at `default-src 'none'` and say the same thing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, metaContentSecurityPolicy, SECURITY_HEADERS } from '../../electron/server/security';
import { REPO } from '../helpers/reference';

/** Every `<meta http-equiv="Content-Security-Policy" content="…">` of a page (attributes in any order). */
function metaPolicies(html: string): string[] {
  return [...html.matchAll(/<meta\b[^>]*>/gis)]
    .map((m) => m[0])
    .filter((tag) => /http-equiv\s*=\s*["']content-security-policy["']/i.test(tag))
    .map((tag) => /content\s*=\s*"([^"]*)"/is.exec(tag)?.[1] ?? /content\s*=\s*'([^']*)'/is.exec(tag)?.[1] ?? '');
}

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

describe('the CSP header', () => {
  const d = directives(CONTENT_SECURITY_POLICY);

  it("starts at default-src 'none' and is what every response sends", () => {
    expect(CONTENT_SECURITY_POLICY.startsWith("default-src 'none';")).toBe(true);
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('runs only our own scripts, talks only to our own origin, and cannot be framed', () => {
    expect(d.get('script-src')).toEqual(["'self'"]);
    expect(d.get('connect-src')).toEqual(["'self'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
    expect(d.get('form-action')).toEqual(["'none'"]);
    for (const [name, values] of d) {
      expect(values, name).not.toContain("'unsafe-eval'");
      expect(values.some((v) => /^(https?:|\*|wss?:)/.test(v)), `${name} names no network origin`).toBe(false);
      if (name !== 'style-src') expect(values, name).not.toContain("'unsafe-inline'");
    }
  });
});

describe('the CSP meta tag', () => {
  it('drops only what a meta policy cannot carry', () => {
    expect(metaContentSecurityPolicy("default-src 'none'; frame-ancestors 'none'; script-src 'self'")).toBe("default-src 'none'; script-src 'self'");
    expect(metaContentSecurityPolicy()).toBe(CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'; ", ''));
  });

  it('is in renderer/index.html, once, and says what the header says', () => {
    const metas = metaPolicies(readFileSync(join(REPO, 'renderer', 'index.html'), 'utf8'));
    expect(metas).toHaveLength(1);
    expect(metas[0]!.trim().startsWith("default-src 'none'")).toBe(true);
    expect(metas[0]!.replace(/\s+/g, ' ').trim()).toBe(metaContentSecurityPolicy());
  });

  it('is in the built page (renderer/dist/index.html) too', () => {
    const built = join(REPO, 'renderer', 'dist', 'index.html');
    expect(existsSync(built), 'renderer/dist/index.html: run `npm run build` first').toBe(true);
    const html = readFileSync(built, 'utf8');
    const metas = metaPolicies(html);
    expect(metas).toHaveLength(1);
    expect(metas[0]!.replace(/\s+/g, ' ').trim()).toBe(metaContentSecurityPolicy());
    // The build keeps every script external (script-src 'self' would block an inline one anyway).
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\.\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
  });
});
