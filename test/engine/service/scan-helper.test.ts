/**
 * The scan worker (service/scan-helper.ts, scan-worker.ts): a search's candidate blocks checked on two threads give
 * exactly the events one thread finds; a worker that hangs or fails never makes a search wrong or endless.
 * Needs the compiled worker (`npm run build`, which `npm test` runs first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { rawReader } from '../../../electron/engine/ingest/raw-blocks';
import { BlockFilter } from '../../../electron/engine/ingest/block-filter';
import { BlockScan, recordsAt, scanQuery } from '../../../electron/engine/service/block-scan';
import { RawSearch } from '../../../electron/engine/service/raw-search';
import { ScanHelper } from '../../../electron/engine/service/scan-helper';
import { workerPath } from '../../../electron/engine/service/host';
import { parseSearch, type SearchTerm } from '../../../electron/engine/service/search-terms';
import { generateBundle } from '../../generator';
import { tempDir } from '../../helpers/evidence';

let db: Database;
let casePath: string;
let blocks: number[];
let helper: ScanHelper;
const HANGS = join(__dirname, '../../fixtures/workers/scan-worker-hangs.mjs');

/** Sleep this thread (the reader's `own` callback, made slow so that the worker takes a share). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The rows of one block's matching records, checked on this thread. */
function rowsOf(term: SearchTerm, block: number): number[] {
  const filter = new BlockFilter(db.prepare('SELECT filter FROM raw_block_filters WHERE block = ?').pluck().get(block) as Uint8Array);
  return new BlockScan(db).rows(block, rawReader(db).block(block), recordsAt(filter.offsets), scanQuery(term));
}

function commonName(): string {
  return db.prepare('SELECT event_name FROM events GROUP BY event_name ORDER BY COUNT(*) DESC, event_name LIMIT 1').pluck().get() as string;
}

beforeAll(async () => {
  const dir = tempDir('scan-helper');
  const bundle = generateBundle({ outDir: `${dir}/bundle`, events: 3000, seed: 41 }).outDir;
  casePath = `${dir}/case.db`;
  db = openCase(casePath);
  await ingestEvidence(db, [bundle], { workers: 0 });
  blocks = db.prepare('SELECT block FROM raw_block_filters WHERE filter IS NOT NULL ORDER BY block').pluck().all() as number[];
  helper = new ScanHelper(workerPath('scan-worker.js'), casePath);
});

afterAll(() => helper.stop('test done'));

describe('scan worker', () => {
  it('checks a share of the blocks: the events of both threads are exactly those one thread finds', () => {
    expect(blocks.length).toBeGreaterThan(20);
    const name = commonName();
    for (const text of [name, `"${name}"`, 'amazonaws.com', `eventName:${name.slice(0, 4)}*`]) {
      const term = parseSearch(text)[0]!;
      const want = blocks.flatMap((b) => rowsOf(term, b)).sort((a, b) => a - b);
      expect(want.length, text).toBeGreaterThan(0);
      const mine: number[] = [];
      const seen: number[] = [];
      const theirs = helper.share(term, blocks, (b) => {
        seen.push(b);
        mine.push(...rowsOf(term, b));
        sleep(10);
      });
      // The worker took blocks (this thread sleeps after each), and no block was checked by both.
      expect(helper.lastShare, text).toBeGreaterThan(0);
      expect(seen.length + helper.lastShare).toBe(blocks.length);
      expect([...mine, ...theirs.rows].sort((a, b) => a - b), text).toEqual(want);
    }
  });

  it('gives a search the same events with the worker as without it', () => {
    const alone = new RawSearch(db);
    const shared = new RawSearch(db);
    shared.useHelper(helper);
    for (const text of [commonName(), 'amazonaws.com', 'requestParameters.roleSessionName:*', 'zzzz-not-in-any-record']) {
      const term = parseSearch(text)[0]!;
      expect(shared.matching(term), text).toEqual(alone.matching(term));
      expect(shared.last!.records, text).toBe(alone.last!.records);
    }
  });

  it("passes the worker's error on (a block missing from the case)", () => {
    const term = parseSearch(commonName())[0]!;
    // This thread takes the first block and sleeps; the worker takes the missing one.
    let calls = 0;
    expect(() => helper.share(term, [blocks[0]!, 999_999, ...blocks.slice(1)], () => calls++ === 0 && sleep(100))).toThrow(/raw block 999999 is missing/);
    expect(helper.running).toBe(true);
  });

  it('drops a worker that takes a job and makes no progress; this thread checks the blocks it did not', () => {
    const hung = new ScanHelper(HANGS, casePath, 300);
    const term = parseSearch(commonName())[0]!;
    const seen: number[] = [];
    // Slow at first, so that the worker has started and taken the job before this thread runs out of blocks.
    const got = hung.share(term, blocks, (b) => {
      seen.push(b);
      if (seen.length === 1) sleep(500);
    });
    expect(got.rows.length).toBe(0);
    expect(hung.stopped).toMatch(/no progress for 300 ms/);
    expect(hung.running).toBe(false);
    expect([...seen].sort((a, b) => a - b)).toEqual(blocks);
    // Later searches run on this thread alone.
    const again: number[] = [];
    hung.share(term, blocks, (b) => again.push(b));
    expect(again).toEqual(blocks);
  });
});
