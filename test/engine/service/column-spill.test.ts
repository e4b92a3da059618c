/**
 * The spill file of an event column (service/column-spill.ts): rows past the memory budget, written through a
 * one-chunk cache and read back a chunk at a time. Rows never written read as zero (as the room of a typed array
 * does), wherever they are; a column widened keeps every row; the file leaves nothing in the temporary folder.
 */
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { removeStale, Spill, SPILL_HOST } from '../../../electron/engine/service/column-spill';

const CHUNK = 10;

function spillFiles(dir = tmpdir()): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(`podtrail-columns-${SPILL_HOST}-${process.pid}-`));
}

/** The spill files this process holds open, by the paths the system gives their descriptors (Linux only). */
function openSpills(): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((p) => p.includes('podtrail-columns-'));
}

describe('a column spill file', () => {
  it('gives back what was written, chunk by chunk, and zeros for rows never written', () => {
    const s = new Spill(Uint16Array, CHUNK);
    try {
      // Chunk 0 and chunk 2 written (chunk 1 skipped), then chunk 0 again after chunk 2 left the cache.
      for (let j = 0; j < 7; j++) s.set(j, 100 + j);
      for (let j = 23; j < 28; j++) s.set(j, 200 + j);
      s.set(9, 9);
      s.fill(5, 12, 14);
      const row = (j: number) => s.view(Math.floor(j / CHUNK))[j % CHUNK]!;
      expect(Array.from(s.view(0))).toEqual([100, 101, 102, 103, 104, 105, 106, 0, 0, 9]);
      expect(Array.from(s.view(1))).toEqual([0, 0, 5, 5, 0, 0, 0, 0, 0, 0]);
      expect(Array.from(s.view(2))).toEqual([0, 0, 0, 223, 224, 225, 226, 227, 0, 0]);
      // Past every chunk written: zeros, not what the read buffer held before.
      expect(Array.from(s.view(7))).toEqual(new Array(CHUNK).fill(0));
      expect([row(3), row(13), row(25), row(29)]).toEqual([103, 5, 225, 0]);
      // A fill across chunks.
      s.fill(7, 8, 31);
      expect([row(7), row(8), row(19), row(30), row(31)]).toEqual([0, 7, 7, 7, 0]);
    } finally {
      s.close();
    }
  });

  it('widens every row through the conversion, those in the file and the one held', () => {
    const s = new Spill(Int32Array, CHUNK);
    for (let j = 0; j < 35; j += 3) s.set(j, j - 10);
    const wide = s.retyped(Float64Array, (x) => 1_000_000 + x * 1000);
    try {
      for (let j = 0; j < 40; j++) {
        const got = wide.view(Math.floor(j / CHUNK))[j % CHUNK];
        // (rows never written convert from zero, as the rows of the array in memory do)
        expect({ j, got }).toEqual({ j, got: 1_000_000 + (j % 3 === 0 && j < 35 ? j - 10 : 0) * 1000 });
      }
      expect(() => s.view(0), 'the narrow file is closed').toThrow();
    } finally {
      wide.close();
    }
  });

  it('leaves no file behind: none at all while open where an open file can be removed, none after close', () => {
    const s = new Spill(Uint32Array, CHUNK);
    s.set(50, 1);
    s.flush();
    expect(s.view(5)[0]).toBe(1);
    // (a process killed now leaves nothing in the temporary folder)
    if (process.platform !== 'win32') expect(spillFiles()).toEqual([]);
    s.close();
    expect(spillFiles()).toEqual([]);
  });

  it('removes the files a killed process left (where an open file cannot be removed), never a running one\'s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podtrail-stale-'));
    try {
      // A process that has ended (its id is not running now), this one, and a file that is not a spill file.
      const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      const names = [
        `podtrail-columns-${SPILL_HOST}-${ended}-0123456789abcdef`,
        `podtrail-columns-${SPILL_HOST}-${process.pid}-0123456789abcdef`,
        // (another machine's, in a folder several share: its process ids are not this machine's)
        `podtrail-columns-other.host-${ended}-0123456789abcdef`,
        'podtrail-columns-notes.txt',
      ];
      for (const n of names) writeFileSync(join(dir, n), 'x');
      expect(removeStale(dir)).toBe(1);
      expect(names.map((n) => existsSync(join(dir, n)))).toEqual([false, true, true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(process.platform !== 'linux')('is made in the folder it is given (the case\'s), or in the temporary folder when that one cannot be written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podtrail-case-'));
    const here = new Spill(Uint16Array, CHUNK, dir);
    const missing = new Spill(Uint16Array, CHUNK, join(dir, 'no-such-folder'));
    try {
      here.set(3, 7);
      missing.set(3, 8);
      here.flush();
      missing.flush();
      expect([here.view(0)[3], missing.view(0)[3]]).toEqual([7, 8]);
      const open = openSpills();
      expect(open.filter((p) => p.startsWith(`${dir}/podtrail-columns-${SPILL_HOST}-${process.pid}-`) && p.endsWith('(deleted)'))).toHaveLength(1);
      expect(open.filter((p) => p.startsWith(`${tmpdir()}/podtrail-columns-${SPILL_HOST}-${process.pid}-`))).toHaveLength(1);
      expect(spillFiles(dir)).toEqual([]);
    } finally {
      here.close();
      missing.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(openSpills()).toEqual([]);
  });
});
