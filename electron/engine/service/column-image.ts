/**
 * The reader's event columns (event-columns.ts) kept on disk beside the case, so that opening a large case again does
 * not read every event row to make them: at 10M events that read took 12.7 s before the timeline was ready, and a
 * first search waited ~24 s for it and the search columns (2026-12-07). The image is read back in well under a second
 * per million rows; the rows added since are then read from the case as usual, and the subjects of every slice are
 * checked against the case (event-columns.ts keeps a checksum per slice, read again at every refresh).
 *
 * What it holds is derived from the case, never evidence: times and dictionary codes, the dictionaries, the
 * eventIDs' character summary and the subject checksums. It is used only for the case it was made from, as it was
 * then: the evidence files loaded up to then (each row of `evidence_files`: path, SHA-256, counts, status, tool
 * version and the time it was loaded) hash to the same digest, the schema version is the same, and the case holds
 * at least as many event rows (events are only ever appended; no statement updates or deletes one). Its bytes carry
 * a SHA-256 that is checked before any of it is used. A file that fails any check is not used (the columns are read
 * from the case), and the next image written replaces it.
 *
 * Layout: `PTCOLS` and a format byte pair, the header's length (uint32 LE), the header (JSON), the SHA-256 of the
 * header's bytes and the arrays' (32 bytes, of their bytes before compression), then each array, Brotli-compressed, at
 * the 8-byte aligned offset the header gives.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { alive, SPILL_HOST } from './column-spill';

const MAGIC = Buffer.from('PTCOLS03', 'latin1');

/** The evidence the columns were made from (see above). */
export interface CaseFingerprint {
  /** The last `evidence_files` row covered. */
  files: number;
  /** SHA-256 of those rows, as JSON. */
  digest: string;
  /** `PRAGMA user_version`. */
  schema: number;
}

export function caseFingerprint(db: Database, throughFile?: number): CaseFingerprint {
  const files = throughFile ?? ((db.prepare('SELECT ifnull(MAX(id), 0) FROM evidence_files').pluck().get() as number) ?? 0);
  const hash = createHash('sha256');
  const rows = db
    .prepare('SELECT id, path, size, sha256, status, records, new_events, duplicates, ingested_at, tool_version FROM evidence_files WHERE id <= ? ORDER BY id')
    .raw(true)
    .iterate(files) as Iterable<unknown[]>;
  for (const r of rows) hash.update(JSON.stringify(r)).update('\n');
  return { files, digest: hash.digest('hex'), schema: db.pragma('user_version', { simple: true }) as number };
}

/** The typed arrays an image holds, by name. */
export type ImageArray = Uint16Array | Uint32Array | Int32Array | Float64Array | Uint8Array;
const TYPES = { Uint16Array, Uint32Array, Int32Array, Float64Array, Uint8Array } as const;
type TypeName = keyof typeof TYPES;

export interface ColumnImage<H> {
  fingerprint: CaseFingerprint;
  /** Everything else the columns need, as JSON. */
  state: H;
  /** Each array's elements in use. */
  arrays: Record<string, ImageArray>;
}

interface Header<H> {
  fingerprint: CaseFingerprint;
  state: H;
  /** Each array: its type and elements, and where its Brotli-compressed bytes are (offset from the first, bytes). */
  arrays: { name: string; type: TypeName; length: number; offset: number; bytes: number }[];
}

/** Bytes of the SHA-256 after the header: of the header's bytes and every array's. */
const DIGEST = 32;

const align = (n: number) => Math.ceil(n / 8) * 8;

function typeName(a: ImageArray): TypeName {
  for (const [name, type] of Object.entries(TYPES)) if (a instanceof type) return name as TypeName;
  throw new Error('column image: an array of an unknown type');
}

function bytesOf(a: ImageArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The arrays compressed as the case's raw blocks are (Brotli, quality 1): a third of their size (16 bytes an event
 * would be 0.09 × the gzip evidence beside a case of ~2.9 ×; 0.03 × so), ~1 s each way for 10M events.
 */
function compress(a: ImageArray): Buffer {
  return brotliCompressSync(bytesOf(a), { params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: a.byteLength } });
}

/** Write the image to `path` (a file of its own written first, then renamed over it: a reader never sees half of one). */
export function writeColumnImage<H>(path: string, image: ColumnImage<H>): number {
  const names = Object.keys(image.arrays);
  const packed = names.map((name) => compress(image.arrays[name]!));
  let at = 0;
  const arrays = names.map((name, i) => {
    const a = image.arrays[name]!;
    const entry = { name, type: typeName(a), length: a.length, offset: at, bytes: packed[i]!.byteLength };
    at = align(at + packed[i]!.byteLength);
    return entry;
  });
  const header: Header<H> = { fingerprint: image.fingerprint, state: image.state, arrays };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // The digest covers the header (dictionaries, checksums, the eventIDs' summary's reach) and the arrays alike.
  const hash = createHash('sha256').update(json);
  for (const name of names) hash.update(bytesOf(image.arrays[name]!));
  const head = Buffer.alloc(align(MAGIC.length + 4 + json.length + DIGEST));
  MAGIC.copy(head, 0);
  head.writeUInt32LE(json.length, MAGIC.length);
  json.copy(head, MAGIC.length + 4);
  hash.digest().copy(head, MAGIC.length + 4 + json.length);
  removeStale(path);
  const tmp = `${path}.${SPILL_HOST}-${process.pid}-${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  let written = 0;
  try {
    const put = (b: Uint8Array) => {
      for (let off = 0; off < b.byteLength; ) off += writeSync(fd, b, off, b.byteLength - off);
      written += b.byteLength;
    };
    put(head);
    const pad = new Uint8Array(8);
    for (const b of packed) {
      put(b);
      if (align(b.byteLength) > b.byteLength) put(pad.subarray(0, align(b.byteLength) - b.byteLength));
    }
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  return written;
}

/**
 * The half-written images a killed process of this machine left beside `path` (named after the machine and the
 * process id: a folder shared by several machines holds their files apart).
 */
function removeStale(path: string): void {
  const name = `${basename(path)}.${SPILL_HOST}-`;
  let entries: string[] = [];
  try {
    entries = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const e of entries) {
    const m = e.startsWith(name) ? /^(\d+)-\d+\.tmp$/.exec(e.slice(name.length)) : null;
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(dirname(path), e), { force: true });
  }
}

/**
 * The image at `path` if it was made from this case as it is now or as it was before evidence was added (see above);
 * otherwise an error saying why it is not used. `alloc(name, type, length)` gives the array an image array is read
 * into (it may be larger: the columns' room to grow).
 */
export function readColumnImage<H>(
  path: string,
  db: Database,
  alloc: (name: string, type: new (n: number) => ImageArray, length: number) => ImageArray,
): { state: H; fingerprint: CaseFingerprint; arrays: Record<string, ImageArray> } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const first = Buffer.alloc(MAGIC.length + 4);
    if (readSync(fd, first, 0, first.length, 0) !== first.length || !first.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a column image of this format');
    const length = first.readUInt32LE(MAGIC.length);
    if (length > size) throw new Error('its header runs past its end');
    const json = Buffer.alloc(length + DIGEST);
    if (readSync(fd, json, 0, json.length, first.length) !== json.length) throw new Error('its header is cut short');
    const header = JSON.parse(json.subarray(0, length).toString('utf8')) as Header<H>;
    const digest = json.subarray(length);
    const now = caseFingerprint(db, header.fingerprint.files);
    if (now.schema !== header.fingerprint.schema) throw new Error(`made for schema ${header.fingerprint.schema}, the case is at ${now.schema}`);
    if (now.digest !== header.fingerprint.digest) throw new Error('made from other evidence than this case holds');
    const base = align(first.length + length + DIGEST);
    const hash = createHash('sha256').update(json.subarray(0, length));
    const arrays: Record<string, ImageArray> = {};
    for (const e of header.arrays) {
      const Type = TYPES[e.type];
      if (!Type) throw new Error(`an array of unknown type ${String(e.type)}`);
      const a = alloc(e.name, Type, e.length);
      if (!(a instanceof Type) || a.length < e.length) throw new Error(`array ${e.name} does not fit`);
      const view = new Uint8Array(a.buffer, a.byteOffset, e.length * Type.BYTES_PER_ELEMENT);
      if (!(Number.isSafeInteger(e.bytes) && e.bytes >= 0 && Number.isSafeInteger(e.offset) && e.offset >= 0)) throw new Error(`array ${e.name} has no place`);
      if (base + e.offset + e.bytes > size) throw new Error(`array ${e.name} runs past the file's end`);
      const packed = Buffer.allocUnsafe(e.bytes);
      for (let off = 0; off < e.bytes; ) {
        const n = readSync(fd, packed, off, e.bytes - off, base + e.offset + off);
        if (n === 0) throw new Error(`array ${e.name} is cut short`);
        off += n;
      }
      let bytes: Buffer;
      try {
        bytes = brotliDecompressSync(packed, { maxOutputLength: Math.max(1, view.byteLength) });
      } catch (err) {
        throw new Error(`array ${e.name} does not decompress: ${(err as Error).message}`);
      }
      if (bytes.byteLength !== view.byteLength) throw new Error(`array ${e.name} holds ${bytes.byteLength} bytes, not ${view.byteLength}`);
      view.set(bytes);
      hash.update(view);
      arrays[e.name] = a;
    }
    if (!hash.digest().equals(digest)) throw new Error('its bytes do not match their SHA-256');
    return { state: header.state, fingerprint: header.fingerprint, arrays };
  } finally {
    closeSync(fd);
  }
}
