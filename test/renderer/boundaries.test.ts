/**
 * The renderer's boundaries, checked on its source: it reaches the engine only through the API client, takes
 * only types from shared/api (whose runtime half is zod: not needed in the page, and its eval probe has no place
 * under `script-src 'self'`), and never renders markup from strings.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..', 'renderer', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|tsx)$/.test(f) ? [p] : [];
  });
}

const files = sources(root).map((p) => ({ path: relative(root, p), text: readFileSync(p, 'utf8') }));

describe('renderer boundaries', () => {
  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('imports shared/api for its types only', () => {
    for (const f of files) {
      for (const m of f.text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) {
        if (/shared\/api$/.test(m[2]!)) expect(m[1], `${f.path}: ${m[0]}`).toBe('type ');
      }
    }
  });

  it('never builds markup from strings', () => {
    for (const f of files) {
      expect(f.text, f.path).not.toMatch(/dangerouslySetInnerHTML|\.innerHTML\s*=|outerHTML|insertAdjacentHTML|\beval\(|new Function\(/);
    }
  });

  it('talks to nothing but the transport: no fetch or EventSource outside api/transports.ts', () => {
    for (const f of files) {
      if (f.path === join('api', 'transports.ts')) continue;
      expect(f.text, f.path).not.toMatch(/\bfetch\(|new EventSource|XMLHttpRequest|WebSocket/);
    }
  });
});
