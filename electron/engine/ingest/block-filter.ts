/**
 * The skip index of free-text search: one Bloom filter per raw block (ClickHouse's `tokenbf_v1`, per block).
 *
 * A full-text index over every record (FTS5 trigram) would be larger than the whole case. Instead, when a parse
 * worker packs a block (raw-blocks.ts `packRows`), it hashes the block's *tokens* — maximal runs of ASCII letters
 * and digits and of non-ASCII characters, ASCII letters lower-cased — into a Bloom filter sized to the number of
 * distinct tokens (12 bits each at least, more to fill the page space its row takes: `filterBytes`). A search
 * term's tokens are looked up in every block's filter; a block whose filter lacks one of them cannot hold the term
 * and is not decompressed. The others are decompressed and every record in them is checked exactly
 * (service/raw-search.ts).
 *
 * No false negatives, by construction: search matches a record's *searchable text* — its raw text with JSON string
 * escapes decoded (`searchableText`) — on whole tokens (service/search-terms.ts); every record's raw text is
 * tokenized on its own (a token never runs into the next record), and a record with escapes has its decoded text
 * tokenized too, so every token a match needs was hashed into its block's filter. Tokens are hashed over their UTF-8
 * bytes (a non-ASCII character's bytes are all ≥ 0x80: token bytes), by the worker and by the search alike.
 *
 * Column values apart (version 2). A free-text phrase also matches an event whose table columns hold it (event name
 * and source, principal ARN, source IP, user agent, key, eventID: answered from the columns, not the raw text). The
 * tokens of those values as the record writes them (`"eventName":"Decrypt"`: the string `Decrypt`) are hashed with a
 * salt, apart from the tokens of the rest of the text. A phrase that is one bare token (`Decrypt`) needs a block
 * only when the token occurs outside those values (inside them, the column search finds the event), so it probes
 * the unsalted hash alone: an event name in most blocks no longer makes its search decompress most blocks. Any other
 * term probes each token either way (a phrase such as `kms:Decrypt` can run across a value's edge). A value is set
 * apart only where the record writes it exactly as `JSON.stringify` does, and only in ASCII records (its byte
 * offsets are then its character offsets); otherwise its tokens stay with the rest. Version-1 filters (no salted
 * tokens) are probed the same way: every token is unsalted there.
 *
 * The record's own values cover it (version 3). A token of the rest of a record's text that is also a token of one
 * of that record's set-apart values is not hashed unsalted either: the column search finds the record for the bare
 * token anyway (a token of a value is a substring of it, and the column search matches substrings). So `Describe`
 * in AWS Config's session name (in `principalId`, and in the ARN) and `Query` in the AccessDenied message of a
 * DynamoDB `Query` call no longer make a search for the word decompress their blocks. Version-2 filters (those
 * tokens unsalted too) are probed the same way: they only admit more blocks.
 *
 * A word of the record's event name (version 4). Likewise a token of the rest of the text made of ASCII letters only
 * that is a substring of the record's event name (`rotation` in a `RotationSucceeded` event's text; event names run
 * words together, so their words are not tokens of the value): the column search finds the record for that bare word
 * too. Such a token is hashed salted instead, as a value's token is, so that a phrase holding it (which probes salted
 * hashes too) still finds the block. (The event name only: checking every value of every record cost 4 % of ingest.) Without this, a word that
 * starts an event name and also stands alone in those events' text made its search decompress every block holding
 * one such event (`Rotation` at 1M events: 1,985 blocks of 3,990, for matches the columns had found already).
 *
 * The filter also keeps the byte length of each record of the block, in order, so that a search can cut the
 * decompressed block into records without asking the event table (which has no index on `raw_block`).
 *
 * The hashing runs in WebAssembly (`assembly/block-tokens.ts`, compiled to `block-tokens-wasm.ts`): the block, each
 * record's spans and event name and its decoded text where it has escapes are written into the module's memory, and
 * one call hashes a block's tokens by the rules above, in record order; the filter's bits are set there too. It
 * makes the same filters as the JavaScript it replaced (kept as the tests' reference,
 * test/engine/ingest/block-filter-reference.ts), at 1.5–2 × the speed (3.7–5.0 ns a byte against 5.7–7.7, the
 * machine's other core busy). What a search asks of a filter (`tokenHash`, `BlockFilter`) stays in JavaScript.
 *
 * Layout (`raw_block_filters.filter`, apart from the block's bytes since migration 0140): version (1 byte, 4), hash
 * count k (1 byte), record count (varint), each record's byte length (varints), then the filter's bits (the rest of
 * the blob: m = 8 × its length).
 */

import { BLOCK_TOKENS_WASM } from './block-tokens-wasm';

export const FILTER_VERSION = 4;
/** Mixed into the hash of a token of a column value (see above). */
export const COLUMN_SALT = 0x2f6b9a1d;
/**
 * Bits per distinct token, at least: ~0.3 % false positives per token looked up with the best hash count. The filter
 * is then made as large as the page space its row takes anyway (`filterBytes`). (Before 2026-12-04: 10 bits and
 * k = 7 everywhere, ~0.8 %: a search of a word no record holds decompressed ~33 of 4,000 blocks at 1M events, 1 ms
 * each, for nothing.)
 */
export const BITS_PER_TOKEN = 12;
/** The most hash functions a filter uses (each is one bit to set and, in a search, to test). */
export const MAX_HASHES = 16;

/**
 * Token characters by ASCII code: 0 for a separator, otherwise the character's lower-case code. Every code unit
 * ≥ 128 is a token character (compared as is: case-insensitivity is ASCII's only).
 */
const TOKEN = new Uint8Array(128);
for (let c = 48; c <= 57; c++) TOKEN[c] = c;
for (let c = 97; c <= 122; c++) TOKEN[c] = c;
for (let c = 65; c <= 90; c++) TOKEN[c] = c + 32;

export function isTokenUnit(c: number): boolean {
  return c >= 128 || TOKEN[c] !== 0;
}

/** ASCII letters lower-cased, every other character as is (the case-folding of search, everywhere). */
export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

const ESCAPE = /\\(?:u([0-9a-fA-F]{4})|([^u]))/g;
const SIMPLE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * The text search reads of a record: its raw text, with JSON string escapes (`\"`, `\n`, `\u00e9`…) decoded where
 * it has any (escapes only occur inside strings, so decoding the whole text decodes exactly the strings).
 */
export function searchableText(raw: string): string {
  if (raw.indexOf('\\') < 0) return raw;
  return raw.replace(ESCAPE, (_m, hex: string | undefined, ch: string) => (hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (SIMPLE[ch] ?? ch)));
}

/** The 32-bit mix of murmur3's finalizer. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** Token bytes of UTF-8 text: 0 for a separator, otherwise the byte, ASCII letters lower-cased. */
export const TOKEN_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) TOKEN_BYTE[c] = c < 128 ? TOKEN[c]! : c;

/** The tokens of a text (lower-cased as search compares them). */
export function tokensOf(text: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const token = i < text.length && isTokenUnit(text.charCodeAt(i));
    if (token && start < 0) start = i;
    else if (!token && start >= 0) {
      out.push(asciiLower(text.slice(start, i)));
      start = -1;
    }
  }
  return out;
}

/** The filter hash of one token (as `tokensOf` gives it); `column`: as a token of a column value. */
export function tokenHash(token: string, column = false): number {
  const bytes = Buffer.from(token, 'utf8');
  let h = FNV_OFFSET;
  for (const b of bytes) {
    const t = TOKEN_BYTE[b]!;
    if (t === 0) throw new Error(`not a single token: ${JSON.stringify(token)}`);
    h = Math.imul(h ^ t, FNV_PRIME);
  }
  if (bytes.length === 0) throw new Error('not a single token: empty');
  return fmix(column ? h ^ COLUMN_SALT : h) || 1;
}

/** What a block's filter is asked for a term: each token's hash, and its column-value hash unless `outsideColumns`. */
export interface FilterProbe {
  hashes: number[];
  columnHashes: number[] | null;
}

/**
 * The probe of a term's required tokens. `outsideColumns`: the term is one bare token whose occurrences inside
 * column values the column search finds (see above), so a block is needed only for its occurrences elsewhere.
 */
export function filterProbe(tokens: readonly string[], outsideColumns: boolean): FilterProbe {
  return { hashes: tokens.map((t) => tokenHash(t)), columnHashes: outsideColumns ? null : tokens.map((t) => tokenHash(t, true)) };
}

function writeVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

export interface BuiltFilter {
  filter: Uint8Array;
  /** Distinct tokens hashed. */
  tokens: number;
}

/** The WebAssembly module that hashes a block's tokens (assembly/block-tokens.ts), instantiated once per thread. */
interface TokenModule {
  memory: { buffer: ArrayBuffer };
  base(): number;
  init(): void;
  ensure(bytes: number): void;
  build(job: number, free: number): number;
  table(): number;
  capacity(): number;
  setBits(bits: number, m: number, hashes: number): void;
}

/** The WebAssembly API, as far as used here (TypeScript declares it with the DOM's types, not Node's). */
const wasmApi = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } } }).WebAssembly;

let compiled: object | null = null;
let instance: TokenModule | null = null;
/**
 * A module whose memory grew past this (a block of one record of tens of megabytes) is dropped after its block, so
 * that a worker does not keep that memory for the rest of its life; the next block instantiates another (~0.1 ms).
 */
const KEEP_MEMORY = 64 * 1024 * 1024;

function tokenModule(): TokenModule {
  if (instance) return instance;
  compiled ??= new wasmApi.Module(Buffer.from(BLOCK_TOKENS_WASM, 'base64'));
  instance = new wasmApi.Instance(compiled, {}).exports as TokenModule;
  instance.init();
  return instance;
}

/** Grows the module's memory to `bytes`, or says why not (past WebAssembly's 4 GiB, or no memory left). */
function grow(wasm: TokenModule, bytes: number): void {
  try {
    if (bytes > 2 ** 32) throw new Error('past 4 GiB');
    wasm.ensure(bytes);
  } catch (err) {
    instance = null;
    throw new Error(`search filter: the WebAssembly memory could not grow to ${bytes} bytes: ${(err as Error).message}`);
  }
}

/** A job's words before its records', and each record's (the layout `build` reads: assembly/block-tokens.ts). */
const JOB_HEAD = 5;
const JOB_RECORD = 8;

/**
 * The distinct token hashes of a block as `buildBlockFilter` describes them, hashed by the WebAssembly module: the
 * block, each record's column-value spans and event name, and the decoded text of each record with JSON escapes are
 * written into its memory with a job saying where each is, and one call hashes them all, in record order (the order
 * matters: a word of an event name is hashed salted only when it is new to the block). The set is read back as a
 * view of the module's memory (valid until the next call).
 */
export function blockTokens(
  block: Uint8Array,
  records: readonly string[],
  lengths: readonly number[],
  joined: boolean,
  spans?: readonly (readonly number[] | undefined)[],
  names?: readonly string[],
): { table: Uint32Array; size: number; wasm: TokenModule } {
  const escaped = block.indexOf(0x5c) >= 0;
  // The extra texts first (names, decoded escapes), so that the job's size is known before anything is written.
  const decoded: (Buffer[] | null)[] = new Array(records.length).fill(null);
  let extra = 0;
  let spanWords = 0;
  for (let i = 0; i < records.length; i++) {
    const own = spans?.[i];
    if (own) {
      spanWords += own.length;
      // (Written as UTF-8 below: at most 3 bytes a UTF-16 unit.)
      extra += (names?.[i]?.length ?? 0) * 3;
    }
    const raw = records[i]!;
    if (!escaped || raw.indexOf('\\') < 0) continue;
    // The decoded text: without values set apart, the whole record; with them, each value's inside decoded on its
    // own (hashed salted) and then the rest, the text outside them (unsalted, past the record's value tokens).
    const parts: Buffer[] = [];
    if (!own) parts.push(Buffer.from(searchableText(raw), 'utf8'));
    else {
      let outside = '';
      let at = 0;
      for (let k = 0; k < own.length; k += 2) {
        outside += raw.slice(at, own[k]);
        parts.push(Buffer.from(searchableText(raw.slice(own[k], own[k + 1])), 'utf8'));
        at = own[k + 1]!;
      }
      parts.push(Buffer.from(searchableText(outside + raw.slice(at)), 'utf8'));
    }
    decoded[i] = parts;
    for (const b of parts) extra += b.length + 8;
    extra += 8;
  }
  const wasm = tokenModule();
  const at = wasm.base();
  const job = at + ((block.length + 3) & ~3);
  const words = JOB_HEAD + JOB_RECORD * records.length + spanWords;
  const free = job + words * 4 + extra + 16;
  grow(wasm, free);
  const memory = Buffer.from(wasm.memory.buffer);
  const word = new Uint32Array(wasm.memory.buffer);
  memory.set(block, at);
  let w = job >>> 2;
  word[w++] = at;
  word[w++] = block.length;
  word[w++] = !joined && !spans ? 1 : 0;
  word[w++] = joined || spans ? 1 : 0;
  word[w++] = records.length;
  let spanAt = w + JOB_RECORD * records.length;
  let extraAt = spanAt * 4 + spanWords * 4;
  let off = at;
  for (let i = 0; i < records.length; i++) {
    const len = lengths[i]!;
    const own = spans?.[i];
    word[w] = off;
    word[w + 1] = off + len;
    word[w + 2] = own && own.length > 0 ? spanAt * 4 : 0;
    word[w + 3] = own ? own.length : 0;
    const name = own ? names?.[i] : undefined;
    const n = name !== undefined ? memory.write(name, extraAt, 'utf8') : 0;
    word[w + 4] = name !== undefined ? extraAt : 0;
    word[w + 5] = n;
    extraAt += n;
    if (own) for (const s of own) word[spanAt++] = off + s;
    const parts = decoded[i];
    let list = 0;
    if (parts) {
      extraAt = (extraAt + 3) & ~3;
      list = extraAt;
      word[list >>> 2] = parts.length;
      extraAt += 4 + parts.length * 8;
      for (let k = 0; k < parts.length; k++) {
        word[(list >>> 2) + 1 + k * 2] = extraAt;
        word[(list >>> 2) + 2 + k * 2] = parts[k]!.length;
        memory.set(parts[k]!, extraAt);
        extraAt += parts[k]!.length;
      }
    }
    word[w + 6] = list;
    word[w + 7] = own ? 1 : 0;
    w += JOB_RECORD;
    off += len;
  }
  let size: number;
  try {
    size = wasm.build(job, free);
  } catch (err) {
    instance = null;
    throw new Error(`search filter: hashing a block of ${records.length} records (${block.length} bytes) failed: ${(err as Error).message} (the WebAssembly memory could not grow)`);
  }
  const table = new Uint32Array(wasm.memory.buffer, wasm.table(), wasm.capacity());
  return { table, size, wasm };
}

/**
 * A filter's header before its hash count is known (version, 0, record count, each record's length), the records'
 * UTF-8 lengths, and whether two records meet on token bytes.
 */
export function filterHead(block: Uint8Array, records: readonly string[], lengths?: readonly number[]): { head: number[]; lens: number[]; joined: boolean } {
  const head: number[] = [FILTER_VERSION, 0];
  writeVarint(head, records.length);
  // A token must never run from one record into the next: where a record ends and the next begins on token bytes
  // (never, for JSON objects), the block is tokenized record by record; otherwise in one pass.
  const lens = new Array<number>(records.length);
  let joined = false;
  let off = 0;
  for (let i = 0; i < records.length; i++) {
    const len = lengths?.[i] ?? Buffer.byteLength(records[i]!, 'utf8');
    lens[i] = len;
    writeVarint(head, len);
    if (off > 0 && len > 0 && TOKEN_BYTE[block[off - 1]!] !== 0 && TOKEN_BYTE[block[off]!] !== 0) joined = true;
    off += len;
  }
  if (off !== block.length) throw new Error(`block filter: records hold ${off} bytes, the block ${block.length}`);
  return { head, lens, joined };
}

/** The filter for `tokens` distinct tokens: its size (bytes, m bits), hash count, and the blob with the header set. */
export function filterShape(head: number[], tokens: number): { out: Uint8Array; bytes: number; m: number; hashes: number } {
  const bytes = filterBytes(head.length, tokens);
  const m = bytes * 8;
  // The best hash count for the bits a token has: m/n × ln 2.
  const hashes = Math.max(1, Math.min(MAX_HASHES, Math.round((m / Math.max(1, tokens)) * Math.LN2)));
  head[1] = hashes;
  const out = new Uint8Array(head.length + bytes);
  out.set(head, 0);
  return { out, bytes, m, hashes };
}

/**
 * The filter of one block: `block` is its decompressed bytes (UTF-8), `records` the raw texts packed into it in
 * order (their UTF-8 lengths are recorded; a record with JSON escapes also has its decoded text's tokens hashed).
 * `names[i]`: record i's event name, ASCII letters lower-cased (version 4: used with its spans).
 * `spans[i]`: the column values of record i (character offsets in its text, start and end of each string's inside,
 * in order; only for an ASCII record), whose tokens are hashed salted.
 */
export function buildBlockFilter(
  block: Uint8Array,
  records: readonly string[],
  lengths?: readonly number[],
  spans?: readonly (readonly number[] | undefined)[],
  names?: readonly string[],
): BuiltFilter {
  const { head, lens, joined } = filterHead(block, records, lengths);
  const { table, size, wasm } = blockTokens(block, records, lens, joined, spans, names);
  const { out, bytes, m, hashes } = filterShape(head, size);
  // The bits are set in the module's memory past the set, then copied out.
  const bitsAt = (table.byteOffset + table.byteLength + 15) & ~15;
  grow(wasm, bitsAt + bytes);
  wasm.setBits(bitsAt, m, hashes);
  out.set(new Uint8Array(wasm.memory.buffer, bitsAt, bytes), head.length);
  if (wasm.memory.buffer.byteLength > KEEP_MEMORY) instance = null;
  return { filter: out, tokens: size };
}

/**
 * SQLite's layout of a `raw_block_filters` row in a case's pages (https://www.sqlite.org/fileformat2.html, "B-tree
 * pages" and "cell payload overflow pages"). A case's pages are 16 KiB (db/open.ts).
 */
const PAGE = 16384;
/**
 * The most payload a table leaf cell keeps in its page (U − 35); when the rest overflows, it keeps M and the rest
 * modulo an overflow page's payload (U − 4) in the page, or M alone.
 */
const MAX_LOCAL = PAGE - 35;
const MIN_LOCAL = Math.floor(((PAGE - 12) * 32) / 255) - 23;
const OVERFLOW = PAGE - 4;
/** A leaf's header, and per cell its pointer, payload size and row id varints (the most these take in a case). */
const LEAF_HEADER = 8;
const CELL_OVERHEAD = 2 + 3 + 3;

/** The record header of a `raw_block_filters` row holding an n-byte blob: its size, NULL (the row id), the blob's type. */
function rowHeader(n: number): number {
  const type = n * 2 + 12;
  return 2 + (type < 0x80 ? 1 : type < 0x4000 ? 2 : type < 0x200000 ? 3 : 4);
}

/** The blob length whose row's payload is `payload` bytes. */
function blobFor(payload: number): number {
  let blob = payload - rowHeader(payload);
  while (rowHeader(blob) + blob > payload) blob--;
  return blob;
}

/**
 * The largest filter (64 MiB: 2^29 bits, so that `setBits` stays in 32-bit integers). Only a block of one record of
 * hundreds of megabytes could want more; its filter is then fuller (more false positives, never a false negative).
 */
const MAX_FILTER_BYTES = 2 ** 26;

/**
 * The filter's bit array in bytes for `tokens` distinct tokens after a `headBytes` header: at least
 * `BITS_PER_TOKEN` a token, then as large as the page space its row takes anyway. Rows are appended in block
 * order, so a leaf page holds as many whole cells as fit: a filter is made the size that fills 1/c of a leaf page
 * for the most cells c a page can hold with it. A row too large for a leaf page keeps M bytes (2,031) in the leaf
 * and the rest in overflow pages: it is made to fill those exactly. (With 10 bits a token and no fitting, 1M events'
 * filters took 23.7 MB of pages for 18.4 MB of bytes: two 5–7 KB cells a page.)
 */
export function filterBytes(headBytes: number, tokens: number): number {
  const least = Math.max(8, Math.ceil((tokens * BITS_PER_TOKEN) / 8));
  const payload = rowHeader(headBytes + least) + headBytes + least;
  let fitted: number;
  if (payload <= MAX_LOCAL) {
    const cells = Math.floor((PAGE - LEAF_HEADER) / (payload + CELL_OVERHEAD));
    fitted = Math.min(MAX_LOCAL, Math.floor((PAGE - LEAF_HEADER) / cells) - CELL_OVERHEAD);
  } else {
    fitted = MIN_LOCAL + Math.ceil((payload - MIN_LOCAL) / OVERFLOW) * OVERFLOW;
  }
  return Math.min(MAX_FILTER_BYTES, Math.max(least, blobFor(fitted) - headBytes));
}

/** A stored filter, read back. */
export class BlockFilter {
  private readonly bits: Uint8Array;
  private readonly k: number;
  private readonly m: number;
  /** Where the record lengths start in the blob (after the record count), and how many there are. */
  private readonly lengthsAt: number;
  private readonly count: number;

  constructor(private readonly blob: Uint8Array) {
    if (blob[0]! < 1 || blob[0]! > FILTER_VERSION) throw new Error(`raw block filter version ${blob[0]} is not known to this PodTrail`);
    this.k = blob[1]!;
    let pos = 2;
    let count = 0;
    for (let scale = 1; ; scale *= 128) {
      const b = blob[pos++]!;
      count += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    this.count = count;
    this.lengthsAt = pos;
    // Skip the lengths: the bits follow. (The offsets are decoded when asked for: a search keeps every block's
    // filter in memory, and most blocks never need theirs.)
    for (let i = 0; i < count; i++) while (blob[pos++]! >= 0x80);
    this.bits = blob.subarray(pos);
    this.m = this.bits.length * 8;
  }

  /** Byte offset of each record in the decompressed block, and one past the last record's end. */
  get offsets(): number[] {
    const out = new Array<number>(this.count + 1);
    let pos = this.lengthsAt;
    let off = 0;
    for (let i = 0; i < this.count; i++) {
      out[i] = off;
      let n = 0;
      for (let scale = 1; ; scale *= 128) {
        const b = this.blob[pos++]!;
        n += (b & 0x7f) * scale;
        if (b < 0x80) break;
      }
      off += n;
    }
    out[this.count] = off;
    return out;
  }

  /** Whether the block may hold the token of this hash (false: it certainly does not). */
  mayContain(h: number): boolean {
    const m = this.m;
    const step = ((fmix(h ^ 0x5bd1e995) | 1) >>> 0) % m;
    let p = h % m;
    for (let k = 0; k < this.k; k++) {
      if ((this.bits[p >>> 3]! & (1 << (p & 7))) === 0) return false;
      p += step;
      if (p >= m) p -= m;
    }
    return true;
  }

  /** Whether the block may hold every one of these tokens. */
  mayContainAll(hashes: readonly number[]): boolean {
    for (const h of hashes) if (!this.mayContain(h)) return false;
    return true;
  }

  /** Whether the block may hold every token of the probe (in a column value too, unless the probe says not). */
  admits(probe: FilterProbe): boolean {
    const { hashes, columnHashes } = probe;
    for (let i = 0; i < hashes.length; i++) {
      if (!this.mayContain(hashes[i]!) && !(columnHashes && this.mayContain(columnHashes[i]!))) return false;
    }
    return true;
  }
}
