/**
 * The rows of one in-memory event column (event-columns.ts) past its memory budget, kept in a temporary file instead:
 * so that the reader's memory stops growing with the case. The file is the column's typed array as bytes, in chunks
 * of `chunk` rows (chunk k at byte k × chunk × width). It is written through a one-chunk cache (the loader writes rows
 * in order, slice by slice) and read a chunk at a time by a scan, into a buffer of its own: the operating system's
 * file cache holds what a scan reads again, outside the process, and gives it back under memory pressure.
 *
 * What it holds is derived from the case (times and dictionary codes, read again from it at every start), never
 * evidence. The file is made in the case's own folder (the reader passes it: the disk that holds the case has room
 * for a few percent more, where the system's temporary folder may be memory itself, a tmpfs, which would only move
 * the columns out of the process's count), or in the system's temporary folder when that folder cannot be written
 * (a case on read-only media). It is readable by this user only, and removed at once where the system allows a file
 * that is open to be removed (Linux, macOS: nothing is left behind even if the process is killed); elsewhere when the
 * columns are closed (`close`), and the files a killed process left (named after its process id) when the next spill
 * file is made in that folder (`removeStale`).
 */
import { closeSync, openSync, readdirSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

export type ColumnArray = Uint16Array | Uint32Array | Int32Array | Float64Array;
export type ColumnType = new (n: number) => ColumnArray;

const PREFIX = 'podtrail-columns-';
/** This machine's name as a file name holds it: a folder shared by several machines holds their files apart. */
export const SPILL_HOST = hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host';

/** Whether a process with this id is running (signal 0 only checks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The folders already cleaned of stale files by this process. */
const cleaned = new Set<string>();

/** Remove the spill files of this machine's processes that are no longer running. */
export function removeStale(dir = tmpdir()): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const m = /^podtrail-columns-(.+)-(\d+)-[0-9a-f]{16}$/.exec(name);
    if (!m || m[1] !== SPILL_HOST || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
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

  /** `dir`: the folder to make the file in (else, or when it cannot be written, the system's temporary folder). */
  constructor(
    readonly type: ColumnType,
    readonly chunk: number,
    readonly dir: string | null = null,
  ) {
    const [fd, file] = Spill.open(dir);
    this.fd = fd;
    this.file = file;
    try {
      unlinkSync(this.file);
      this.file = null;
    } catch {
      // (Windows: removed by close)
    }
    this.write = new type(chunk);
    this.read = new type(chunk);
  }

  private static open(dir: string | null): [number, string] {
    const folders = dir !== null && dir !== tmpdir() ? [dir, tmpdir()] : [tmpdir()];
    for (let i = 0; ; i++) {
      const folder = folders[i]!;
      if (!cleaned.has(folder)) {
        cleaned.add(folder);
        try {
          removeStale(folder);
        } catch {
          // (the folder cannot be listed: nothing to clean)
        }
      }
      const file = join(folder, `${PREFIX}${SPILL_HOST}-${process.pid}-${randomBytes(8).toString('hex')}`);
      try {
        return [openSync(file, 'wx+', 0o600), file];
      } catch (err) {
        if (i === folders.length - 1) throw err;
      }
    }
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
    const next = new Spill(type, this.chunk, this.dir);
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
