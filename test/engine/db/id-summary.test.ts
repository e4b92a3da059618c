/**
 * The eventID summary (db/id-summary.ts): it never rules out text an eventID holds, it rules out what none holds,
 * and the writer keeps it for every event it stores (ingest, then more evidence), as the rows themselves give it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { IdSummary, readIdSummary, summarizeRows } from '../../../electron/engine/db/id-summary';
import { ingestDone, ingestedService, type ServiceHarness } from '../../helpers/service';
import { generateBundle } from '../../generator';
import { tempDir } from '../../helpers/evidence';
import { join } from 'node:path';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('the eventID summary', () => {
  it('holds every piece of every id, and rules out most text no id holds', () => {
    const next = rng(5);
    const alphabet = 'abcdefABCDEF0123456789-_:/.xyzé';
    const ids = Array.from({ length: 300 }, () => Array.from({ length: 1 + Math.floor(next() * 40) }, () => alphabet[Math.floor(next() * 16)]).join(''));
    ids.push('Odd-ID:with/Chars.é', 'x');
    const one = new IdSummary();
    for (const id of ids) one.add(id);
    const joined = new IdSummary();
    joined.add(ids.join('\x1e'), 30);
    expect(joined.pairs).toEqual(one.pairs);
    expect(joined.singles).toEqual(one.singles);
    for (const id of ids) {
      for (let i = 0; i < id.length; i++) {
        for (let j = i + 1; j <= Math.min(id.length, i + 8); j++) {
          const piece = id.slice(i, j);
          expect(one.mayHold(piece), piece).toBe(true);
          // ASCII case is ignored, as SQL's LIKE ignores it (and only it)
          expect(one.mayHold(piece.replace(/[a-z]/g, (c) => c.toUpperCase())), piece).toBe(true);
        }
      }
    }
    // Letters past f, dots and slashes only in the odd id: words and addresses are ruled out.
    for (const text of ['GetSecretValue', 'Query', '10.0.1', 'arn:aws:iam', 'pod']) expect(one.mayHold(text), text).toBe(false);
    const merged = new IdSummary();
    merged.merge(one.pairs, one.singles);
    expect(merged.mayHold('odd-id')).toBe(true);
    merged.clear();
    expect(merged.mayHold('odd-id')).toBe(false);
    expect(() => merged.merge(new Uint8Array(3), new Uint8Array(3))).toThrow(/bitmaps of 3/);
  });
});

describe('the writer keeps the summary of the events it stores', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await ingestedService('id-summary', { events: 1500, seed: 77 });
  }, 120_000);
  afterAll(() => h?.service.close());

  const check = () => {
    const db = new Database(h.casePath, { readonly: true });
    try {
      const stored = readIdSummary(db)!;
      const last = db.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
      expect(stored.through).toBe(last);
      const fromRows = new IdSummary();
      summarizeRows(db, fromRows, 0, last);
      expect(Buffer.from(stored.pairs).equals(Buffer.from(fromRows.pairs))).toBe(true);
      expect(Buffer.from(stored.singles).equals(Buffer.from(fromRows.singles))).toBe(true);
      return last;
    } finally {
      db.close();
    }
  };

  it('after an ingest, and after more evidence is added', async () => {
    const first = check();
    const dir = tempDir('id-summary-more');
    const more = generateBundle({ outDir: join(dir, 'b'), events: 400, seed: 78, startTime: '2026-05-01T00:00:00Z' }).outDir;
    h.pushes.length = 0;
    await h.ok('ingest.start', { paths: [more] });
    await ingestDone(h.pushes);
    expect(check()).toBeGreaterThan(first);
  });
});
