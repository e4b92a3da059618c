/**
 * One very large file in bounded memory. Two single `{"Records":[…]}` files, one three times the other, each with
 * the same two 8 MiB records among ~1.7 KB ones, are ingested in a child process each (scripts/ingest-peak.cjs,
 * worker threads included); the peak RSS must not grow with the file. SQLite's page cache is set to 16 MiB in the
 * child so that it is full in both runs: it is a fixed cap (256 MiB in `podtrail ingest`) that would otherwise
 * still be filling at these sizes and hide the comparison. The 2 GiB run through `podtrail ingest` itself, with
 * its figures, is `node scripts/big-file.mjs` (README, Evidence handling). Needs `npm run build`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureIngest, writeTrailFile } from '../../../scripts/big-file.mjs';
import { tempDir } from '../../helpers/evidence';

const MiB = 1024 * 1024;

interface Measured {
  code: number | null;
  seconds: number;
  peakRssBytes: number;
  stdout: string;
}

async function ingestOne(dir: string, label: string, bytes: number) {
  const file = join(dir, `${label}.json`);
  const written = (await writeTrailFile(file, bytes, { seed: 11, huge: { count: 2, bytes: 8 * MiB } })) as { bytes: number; records: number };
  const run = (await measureIngest({ casePath: join(dir, `${label}.db`), inputs: [file], cli: false, cacheMiB: 16 })) as Measured;
  expect(run.code, run.stdout).toBe(0);
  const summary = JSON.parse(run.stdout.trim()) as { records: number; loaded: number };
  expect(summary).toMatchObject({ loaded: 1, records: written.records });
  return { ...written, ...run };
}

describe('a very large single file', () => {
  it('is ingested in a peak memory that does not grow with the size of the file', async () => {
    const dir = tempDir('big-file');
    let small, large;
    try {
      small = await ingestOne(dir, 'small', 96 * MiB);
      large = await ingestOne(dir, 'large', 3 * 96 * MiB);
    } finally {
      rmSync(dir, { recursive: true, force: true }); // ~1 GiB of files and cases
    }
    const line = (r: Awaited<ReturnType<typeof ingestOne>>) => `${(r.bytes / MiB).toFixed(0)} MiB, ${r.records} records: ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / MiB).toFixed(0)} MiB`;
    console.log(`big-file.test: ${line(small)}; ${line(large)}`);
    // Measured on the build machine: 290–370 MiB for either size; the larger file 14–61 MiB above the smaller over
    // seven runs on 2026-12-04 (the smaller one's peak varies most), so the bound is 96 MiB. Holding the file, or
    // its rows (a parse that never hands a batch on), adds at least the 192 MiB the larger file has in excess, and
    // hundreds of MiB in practice: 647 → 1,586 MiB when that was tried.
    expect(large.peakRssBytes - small.peakRssBytes).toBeLessThan(96 * MiB);
    expect(large.peakRssBytes).toBeLessThan(512 * MiB);
  }, 600_000);
});
