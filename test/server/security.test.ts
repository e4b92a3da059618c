/**
 * The access token is compared in constant time: `tokenMatches` hands every presented token, whatever its length,
 * to `crypto.timingSafeEqual` (over SHA-256 digests, so both sides always have the same length), and the server
 * compares the token nowhere else.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REPO } from '../helpers/reference';

const calls: [Buffer, Buffer][] = [];
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    timingSafeEqual: (a: Buffer, b: Buffer) => {
      calls.push([a, b]);
      return real.timingSafeEqual(a, b);
    },
  };
});

const { tokenMatches, newToken } = await import('../../electron/server/security');

afterEach(() => {
  calls.length = 0;
});

describe('tokenMatches', () => {
  it('decides through timingSafeEqual on equal-length digests, whatever was presented', () => {
    const token = newToken();
    const presented = [token, `${token}x`, token.slice(0, -1), 'x', 'A'.repeat(1024), token.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'))];
    const results = presented.map((p) => tokenMatches(token, p));
    expect(results).toEqual([true, false, false, false, false, false]);
    expect(calls).toHaveLength(presented.length);
    for (const [a, b] of calls) {
      expect(a.length).toBe(32);
      expect(b.length).toBe(32);
    }
  });

  it('refuses empty, missing and oversized tokens without comparing', () => {
    const token = newToken();
    for (const p of ['', null, undefined, 'A'.repeat(1025)]) expect(tokenMatches(token, p)).toBe(false);
  });
});

describe('the server compares the token only through tokenMatches', () => {
  // Static inspection: the wiring in server.ts (every token check goes through tokenMatches).
  const source = readFileSync(join(REPO, 'electron', 'server', 'server.ts'), 'utf8');

  it('never compares the token with ===, !==, == or startsWith', () => {
    expect(source).not.toMatch(/token\s*[!=]==?|[!=]==?\s*token\b|token\.(startsWith|endsWith|includes|localeCompare)\(/);
  });

  it('checks the token on both API routes (calls and the event stream)', () => {
    expect(source.match(/tokenMatches\(token, /g)).toHaveLength(2);
  });
});
