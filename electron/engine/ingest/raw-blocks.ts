/**
 * Raw record text, compressed in blocks.
 *
 * Every event keeps its record's text exactly as read. Stored one row per record, that text was 72 % of a case
 * and ~10 µs of the single writer's time per event. Instead, the parse workers pack the raw texts of a batch into
 * blocks of about 512 KiB and compress each with Brotli at quality 1 (~500 MB/s on one core, ~13× smaller on
 * CloudTrail JSON, a block decompresses in ~0.6 ms); the writer stores the blocks as they come and each event row
 * points at its bytes: (block, byte offset, byte length) in the decompressed block.
 *
 * The records whose text the chain rules read on every correlation (STS, EKS Auth, EKS and IAM calls) are packed in
 * blocks of their own, so that loading the chain's facts decompresses those blocks only.
 *
 * Byte-exact: a record's text is UTF-8 encoded into its block and decoded back from the same bytes; the SHA-256
 * stored with the event (of that text) is checked by the tests for every event of a bundle.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import type { Database, Statement } from 'better-sqlite3';
import type { EventRow } from './normalize';
import { hash53 } from '../db/event-id';
import { asciiLower, buildBlockFilter } from './block-filter';

/** Block codecs (raw_blocks.codec). */
export const CODEC_BROTLI = 1;

/** Decompressed bytes per block before it is closed (a record larger than this gets a block of its own). */
export const BLOCK_BYTES = 512 * 1024;

/** The services whose records carry chain facts (correlate.ts reads their raw text; events_facts indexes them). */
export const FACT_SOURCES: readonly string[] = ['sts.amazonaws.com', 'eks-auth.amazonaws.com', 'eks.amazonaws.com', 'iam.amazonaws.com'];
const FACT_SET = new Set(FACT_SOURCES);

export function isFactSource(eventSource: string): boolean {
  return FACT_SET.has(eventSource);
}

/** A row as it travels from a parse worker to the writer: its raw text is in `blocks[block]` of the same batch. */
export interface PackedRow extends Omit<EventRow, 'raw'> {
  /** Emptied: the text is in a block. */
  raw?: '';
  /** 53-bit hash of the eventID (the de-duplication key; the full id is compared on a match). */
  idHash: number;
  block: number;
  rawOff: number;
  rawLen: number;
}

export interface PackedBatch {
  rows: PackedRow[];
  /** Compressed blocks, referenced by index from `rows[].block`. */
  blocks: Uint8Array[];
  /** Which blocks hold fact records. */
  factBlocks: number[];
  /** Each block's search filter (block-filter.ts), beside `blocks`. */
  filters: Uint8Array[];
}

export function compressBlock(text: string | Uint8Array): Uint8Array {
  return brotliCompressSync(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 1,
      [constants.BROTLI_PARAM_LGWIN]: 20,
      [constants.BROTLI_PARAM_SIZE_HINT]: text.length,
    },
  });
}

export function decompressBlock(codec: number, data: Uint8Array): Buffer {
  if (codec !== CODEC_BROTLI) throw new Error(`raw block codec ${codec} is not known to this PodTrail`);
  return brotliDecompressSync(data);
}

/**
 * The record's keys of the columns a free-text phrase is also matched against (event-query.ts `SEARCH_COLUMNS`),
 * with the row's value of each: `arn` and `accessKeyId` are `userIdentity`'s. A key's bit is 1 << its index.
 */
export const COLUMN_VALUES: readonly [string, (row: EventRow) => string | null][] = [
  ['eventName', (r) => r.eventName],
  ['eventSource', (r) => r.eventSource],
  ['arn', (r) => r.principalArn],
  ['sourceIPAddress', (r) => r.sourceIp],
  ['userAgent', (r) => r.userAgent],
  ['accessKeyId', (r) => r.accessKeyId],
  ['eventID', (r) => (r.idSynthetic ? null : r.eventId)],
];
/** The keys, in the order of `COLUMN_VALUES`. */
const COLUMN_KEYS = COLUMN_VALUES.map(([key]) => key);
/**
 * `"<key>":"` for any of the keys. Matched with `test` (no match array, no captured string: `exec` made ~1.6 KB of
 * garbage a record at 1M events), the key then told from the characters before the match's end.
 */
const COLUMN_KEY = new RegExp(`"(?:${COLUMN_KEYS.join('|')})":"`, 'g');
/** Characters JSON writes escaped: a value holding one is not looked for (its text differs from the value). */
const ESCAPED_IN_JSON = /["\\\x00-\x1f]/;

/**
 * Which key a match of `COLUMN_KEY` ending at `end` (just after `":"`) names: the one whose text, quoted, ends 3
 * characters before it (keys hold no quote, so one key's quoted text is never the tail of another's).
 */
function matchedKey(raw: string, end: number): number {
  const keyEnd = end - 3;
  for (let c = 0; c < COLUMN_KEYS.length; c++) {
    const key = COLUMN_KEYS[c]!;
    if (raw.charCodeAt(keyEnd - key.length - 1) === 0x22 && raw.startsWith(key, keyEnd - key.length)) return c;
  }
  throw new Error('columnSpans: a match names no column key');
}

/**
 * Where an ASCII record writes its column values (block-filter.ts, "Column values apart"): the inside of the string
 * of a `"<key>":"<value>"` found in the text for each column, as start and end offsets in order; undefined when
 * none is found or the record is not ASCII. Only values JSON writes as they are (no quote, backslash or control
 * character) are looked for, and any occurrence will do: the quote before the colon is not preceded by a backslash
 * (it follows the key's last letter), so it ends a string, the colon is structural, and the value's quotes delimit
 * a whole string whose text is the column's value.
 *
 * A record without a backslash escapes nothing, so none of its values holds such a character (JSON escapes every
 * quote, backslash and control character in a string): only a record with one has its values tested. The scan stops
 * once every value looked for is found. Both: 2.2 µs a record instead of 2.7–2.8 (57,013 records of the 1M bundle,
 * the same spans for each).
 */
export function columnSpans(raw: string, byteLength: number, row: EventRow): number[] | undefined {
  if (raw.length !== byteLength) return undefined;
  const plain = raw.indexOf('\\') < 0;
  let wanted = 0;
  for (let c = 0; c < COLUMN_VALUES.length; c++) {
    const v = COLUMN_VALUES[c]![1](row);
    if (v && (plain || !ESCAPED_IN_JSON.test(v))) wanted |= 1 << c;
  }
  if (wanted === 0) return undefined;
  let spans: number[] | undefined;
  let found = 0;
  COLUMN_KEY.lastIndex = 0;
  while (found !== wanted && COLUMN_KEY.test(raw)) {
    const at = COLUMN_KEY.lastIndex;
    const index = matchedKey(raw, at);
    const bit = 1 << index;
    if ((found & bit) !== 0 || (wanted & bit) === 0) continue;
    const v = COLUMN_VALUES[index]![1](row)!;
    if (raw.charCodeAt(at + v.length) !== 0x22 || !raw.startsWith(v, at)) continue;
    found |= bit;
    (spans ??= []).push(at, at + v.length);
    COLUMN_KEY.lastIndex = at + v.length + 1;
  }
  return spans;
}

/** Pack a batch of rows: raw texts into compressed blocks (facts apart), rows pointing at their bytes. */
export function packRows(rows: EventRow[]): PackedBatch {
  const blocks: Uint8Array[] = [];
  const factBlocks: number[] = [];
  const filters: Uint8Array[] = [];
  const out: PackedRow[] = new Array(rows.length);
  const open = [
    { parts: [] as string[], encoded: [] as (Buffer | null)[], bytes: 0, members: [] as number[], spans: [] as (number[] | undefined)[], names: [] as string[], fact: false },
    { parts: [] as string[], encoded: [] as (Buffer | null)[], bytes: 0, members: [] as number[], spans: [] as (number[] | undefined)[], names: [] as string[], fact: true },
  ];
  const close = (b: (typeof open)[number]): void => {
    if (b.parts.length === 0) return;
    const index = blocks.length;
    // The records' bytes as read where the row has them (a copy), the text encoded where not.
    const bytes = Buffer.allocUnsafe(b.bytes);
    let at = 0;
    for (let k = 0; k < b.parts.length; k++) {
      const read = b.encoded[k];
      at += read ? read.copy(bytes, at) : bytes.write(b.parts[k]!, at, 'utf8');
    }
    if (at !== b.bytes) throw new Error(`raw block: records hold ${at} bytes, ${b.bytes} expected`);
    blocks.push(compressBlock(bytes));
    filters.push(buildBlockFilter(bytes, b.parts, b.members.map((m) => out[m]!.rawLen), b.spans, b.names).filter);
    if (b.fact) factBlocks.push(index);
    for (const m of b.members) out[m]!.block = index;
    b.parts = [];
    b.encoded = [];
    b.bytes = 0;
    b.members = [];
    b.spans = [];
    b.names = [];
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const raw = row.raw;
    const b = open[isFactSource(row.eventSource) ? 1 : 0]!;
    const read = row.rawBytes ?? null;
    const len = read ? read.length : Buffer.byteLength(raw, 'utf8');
    const known = row.columnSpans;
    b.spans.push(known === undefined ? columnSpans(raw, len, row) : (known ?? undefined));
    b.names.push(lowerName(row.eventName));
    // The row object itself travels on (no copy of its fields), its text now in a block.
    const packed = row as unknown as PackedRow & { raw: string };
    packed.raw = '';
    packed.rawBytes = null;
    packed.idHash = hash53(row.eventId);
    packed.block = -1;
    packed.rawOff = b.bytes;
    packed.rawLen = len;
    out[i] = packed;
    b.parts.push(raw);
    b.encoded.push(read);
    b.members.push(i);
    b.bytes += len;
    if (b.bytes >= BLOCK_BYTES) close(b);
  }
  close(open[0]!);
  close(open[1]!);
  return { rows: out, blocks, factBlocks, filters };
}

/** Event names with ASCII letters lower-cased, kept: a few hundred names make every row. */
const lowerNames = new Map<string, string>();
function lowerName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    if (lowerNames.size >= 4096) lowerNames.clear();
    lowerNames.set(name, (lower = asciiLower(name)));
  }
  return lower;
}

/** Where an event's raw text is. */
export interface RawRef {
  raw_block: number;
  raw_off: number;
  raw_len: number;
}

const CACHE_BLOCKS = 48;

/**
 * Reads raw texts back. Decompressed blocks are kept in a small LRU (48 blocks, ~12 MiB), so reading many records
 * of one block (a report, the chain's facts in block order) decompresses it once.
 */
export class RawReader {
  private readonly blockOf: Statement;
  private readonly refOf: Statement;
  private readonly cache = new Map<number, Buffer>();
  private readonly forgetters = new Set<() => void>();

  constructor(private readonly db: Database) {
    this.blockOf = db.prepare('SELECT codec, data FROM raw_blocks WHERE id = ?');
    this.refOf = db.prepare('SELECT raw_block, raw_off, raw_len FROM events WHERE id = ?');
  }

  block(id: number): Buffer {
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const row = this.blockOf.get(id) as { codec: number; data: Uint8Array } | undefined;
    if (!row) throw new Error(`raw block ${id} is missing from the case`);
    const text = decompressBlock(row.codec, row.data);
    this.cache.set(id, text);
    if (this.cache.size > CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    return text;
  }

  /** Drop cached blocks (after a rollback: a rolled-back block's id may be given to another block). */
  forget(): void {
    this.cache.clear();
    for (const f of this.forgetters) f();
  }

  /** Drop one block from the cache (the writer deleted it: its id may be given to the next block). */
  evict(id: number): void {
    this.cache.delete(id);
    for (const f of this.forgetters) f();
  }

  /** Also drop what `f`'s owner keeps about blocks when cached blocks are dropped (the search's filters). */
  onForget(f: () => void): void {
    this.forgetters.add(f);
  }

  /** The raw text at a reference. */
  text(ref: RawRef): string {
    return this.block(ref.raw_block).toString('utf8', ref.raw_off, ref.raw_off + ref.raw_len);
  }

  /** The raw text of an event by its row id. */
  ofEvent(rowid: number): string {
    const ref = this.refOf.get(rowid) as RawRef | undefined;
    if (!ref) throw new Error(`event row ${rowid} is not in the case`);
    return this.text(ref);
  }
}

const readers = new WeakMap<Database, RawReader>();

/** The reader of a connection (one per connection: its statements belong to it). */
export function rawReader(db: Database): RawReader {
  let r = readers.get(db);
  if (!r) {
    r = new RawReader(db);
    readers.set(db, r);
  }
  return r;
}

/** Rows selected with their raw reference (`raw_block`, `raw_off`, `raw_len`), given their raw text as `raw`. */
export function withRaw<T extends RawRef>(db: Database, rows: T[]): (T & { raw: string })[] {
  const reader = rawReader(db);
  return rows.map((r) => Object.assign(r, { raw: reader.text(r) }));
}
