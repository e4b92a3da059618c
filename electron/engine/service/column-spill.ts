/**
 * The rows of one in-memory event column (event-columns.ts) past its memory budget, kept in a temporary file instead:
 * so that the reader's memory stops growing with the case. The file is the column's typed array as bytes, in chunks
 * of `chunk` rows (chunk k at byte k × chunk × width). It is written through a one-chunk cache (the loader writes rows
 * in order, slice by slice) and read a chunk at a time by a scan, into a buffer of its own: the operating system's
 * file cache holds what a scan reads again, outside the process, and gives it back under memory pressure.
 *
 * What it holds is derived from the case (times and dictionary codes, read again from it at every start), never
 * evidence. The file is made in the system's temporary folder, readable by this user only, and removed at once where
 * the system allows a file that is open to be removed (Linux, macOS: nothing is left behind even if the process is
 * killed); elsewhere when the columns are closed (`close`), and the files a killed process left there (named after
 * its process id) when the next spill file of any process is made (`removeStale`).
 */
import { closeSync, openSync, readdirSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ColumnArray = Uint16Array | Uint32Array | Int32Array | Float64Array;
export type ColumnType = new (n: number) => ColumnArray;

const PREFIX = 'podtrail-columns-';

/** Whether a process with this id is running (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let staleRemoved = false;

/** Remove the spill files of processes that are no longer running (once per process). */
export function removeStale(dir = tmpdir()): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const m = /^podtrail-columns-(\d+)-[0-9a-f]{16}$/.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // (another process removed it, or it is not ours to remove)
    }
  }
  return removed;
}

function bytesOf(a: ColumnArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class Spill {
  private fd: number;
  private file: string | null;
  /** The chunk held for writing (-1: none), and whether it holds rows the file does not have yet. */
  private held = -1;
  private dirty = false;
  private write: ColumnArray;
  private read: ColumnArray;
  /** Chunks of the file that may hold written rows (reads past them are zeros without a read). */
  private chunks = 0;

  constructor(
    readonly type: ColumnType,
    readonly chunk: number,
  ) {
    if (!staleRemoved) {
      staleRemoved = true;
      try {
        removeStale();
      } catch {
        // (the folder cannot be listed: nothing to clean)
      }
    }
    this.file = join(tmpdir(), `${PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`);
    this.fd = openSync(this.file, 'wx+', 0o600);
    try {
      unlinkSync(this.file);
      this.file = null;
    } catch {
      // (Windows: removed by close)
    }
    this.write = new type(chunk);
    this.read = new type(chunk);
  }

  private load(k: number, into: ColumnArray): void {
    const bytes = bytesOf(into);
    let n = 0;
    if (k < this.chunks) {
      while (n < bytes.length) {
        const r = readSync(this.fd, bytes, n, bytes.length - n, k * bytes.length + n);
        if (r === 0) break;
        n += r;
      }
    }
    bytes.fill(0, n);
  }

  /** Write the held chunk to the file if it changed. */
  flush(): void {
    if (!this.dirty) return;
    const bytes = bytesOf(this.write);
    let n = 0;
    while (n < bytes.length) n += writeSync(this.fd, bytes, n, bytes.length - n, this.held * bytes.length + n);
    this.dirty = false;
  }

  /** Chunk k, held for writing. */
  private writable(k: number): ColumnArray {
    if (k !== this.held) {
      this.flush();
      this.load(k, this.write);
      this.held = k;
    }
    this.dirty = true;
    if (k >= this.chunks) this.chunks = k + 1;
    return this.write;
  }

  /** Row j of the spilled rows (0: the first row past the budget). */
  set(j: number, v: number): void {
    const k = Math.floor(j / this.chunk);
    this.writable(k)[j - k * this.chunk] = v;
  }

  fill(v: number, from: number, to: number): void {
    for (let j = from; j < to; ) {
      const k = Math.floor(j / this.chunk);
      const end = Math.min(to, (k + 1) * this.chunk);
      this.writable(k).fill(v, j - k * this.chunk, end - k * this.chunk);
      j = end;
    }
  }

  /** Chunk k to read (rows k × chunk onwards), valid until the next `view` of this column. */
  view(k: number): ColumnArray {
    if (k === this.held) return this.write;
    this.load(k, this.read);
    return this.read;
  }

  /** The same rows as another type (a column widened), through `convert`: a new file, this one closed. */
  retyped(type: ColumnType, convert: (x: number) => number): Spill {
    const next = new Spill(type, this.chunk);
    try {
      for (let k = 0; k < this.chunks; k++) {
        const from = this.view(k);
        const to = next.writable(k);
        for (let j = 0; j < from.length; j++) to[j] = convert(from[j]!);
      }
      next.flush();
    } catch (err) {
      next.close();
      throw err;
    } finally {
      this.close();
    }
    return next;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    if (this.file !== null) {
      try {
        unlinkSync(this.file);
      } catch {
        // already gone
      }
    }
  }
}
