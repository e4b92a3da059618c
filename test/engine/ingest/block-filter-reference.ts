/**
 * The search filter's token hashing as block-filter.ts did it in JavaScript until 2026-12-07 (now WebAssembly:
 * assembly/block-tokens.ts), kept as the reference the WebAssembly module is compared with
 * (block-tokens.test.ts): the same tokens, salted and skipped by the same rules, in the same order.
 */
import { buildBlockFilter, COLUMN_SALT, filterHead, filterShape, fmix, FNV_OFFSET, FNV_PRIME, searchableText, TOKEN_BYTE } from '../../../electron/engine/ingest/block-filter';

/** Where the token `nextToken` found starts and ends (set by each call). */
let tokenStart = 0;
let tokenEnd = 0;

/**
 * The FNV-1a hash of the first token of `bytes[i, stop)` (its bytes case-folded), its bounds left in `tokenStart`
 * and `tokenEnd`; `tokenStart === stop` when there is none. Small enough for V8 to inline into the loops below,
 * which run over every byte of evidence (~2 ns a byte).
 */
function nextToken(bytes: Uint8Array, i: number, stop: number): number {
  while (i < stop && TOKEN_BYTE[bytes[i]!] === 0) i++;
  tokenStart = i;
  let f = FNV_OFFSET;
  for (; i < stop; i++) {
    const t = TOKEN_BYTE[bytes[i]!]!;
    if (t === 0) break;
    f = Math.imul(f ^ t, FNV_PRIME);
  }
  tokenEnd = i;
  return f;
}

/**
 * Hashes the tokens of UTF-8 text into `into` (tokens are hashed over their UTF-8 bytes, so a non-ASCII
 * character's bytes — all ≥ 0x80 — are token bytes, as its UTF-16 code units are token units).
 */
function hashTokens(
  bytes: Uint8Array,
  into: HashSet,
  start = 0,
  end = bytes.length,
  salt = 0,
  skip: HashSet | null = null,
  name: string | null = null,
): void {
  // One token per turn (`nextToken`), the set's probe inlined.
  let table = into.table;
  let mask = table.length - 1;
  let i = start;
  for (;;) {
    const f = nextToken(bytes, i, end);
    const first = tokenStart;
    if (first === end) return;
    i = tokenEnd;
    let h = fmix(f ^ salt) || 1;
    if (skip !== null && skip.has(h)) continue;
    let covered = false;
    let j = h & mask;
    for (;;) {
      const v = table[j]!;
      if (v === h) break;
      if (v === 0) {
        // Not in the block yet: a word of the record's event name goes in salted (version 4, above).
        if (name !== null && !covered && nameHoldsWord(name, bytes, first, i)) {
          covered = true;
          h = fmix(f ^ COLUMN_SALT) || 1;
          j = h & mask;
          continue;
        }
        table[j] = h;
        if (++into.size * 2 > table.length) {
          into.grow();
          table = into.table;
          mask = table.length - 1;
        }
        break;
      }
      j = (j + 1) & mask;
    }
  }
}

/**
 * Whether `bytes[start, end)`, a token, is ASCII letters only and a substring of `name` (the record's event name,
 * ASCII letters lower-cased).
 */
function nameHoldsWord(name: string, bytes: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n > name.length) return false;
  for (let x = start; x < end; x++) {
    const c = TOKEN_BYTE[bytes[x]!]!;
    if (c < 97 || c > 122) return false;
  }
  const first = TOKEN_BYTE[bytes[start]!]!;
  for (let p = 0; p + n <= name.length; p++) {
    if (name.charCodeAt(p) !== first) continue;
    let k = 1;
    while (k < n && name.charCodeAt(p + k) === TOKEN_BYTE[bytes[start + k]!]) k++;
    if (k === n) return true;
  }
  return false;
}

/**
 * A set of non-zero 32-bit hashes (open addressing; `hashTokens` adds to it). The block's tokens, and (a small one,
 * emptied per record) the unsalted hashes of one record's column-value tokens (`hashWithSpans`).
 */
class HashSet {
  table: Uint32Array;
  size = 0;

  constructor(capacity = 8192) {
    this.table = new Uint32Array(capacity);
  }

  has(h: number): boolean {
    const mask = this.table.length - 1;
    for (let j = h & mask; this.table[j] !== 0; j = (j + 1) & mask) if (this.table[j] === h) return true;
    return false;
  }

  add(h: number): void {
    const mask = this.table.length - 1;
    let j = h & mask;
    for (let v = this.table[j]!; v !== 0; v = this.table[j]!) {
      if (v === h) return;
      j = (j + 1) & mask;
    }
    this.table[j] = h;
    if (++this.size * 2 > this.table.length) this.grow();
  }

  clear(): void {
    this.table.fill(0);
    this.size = 0;
  }

  grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    const mask = this.table.length - 1;
    for (const h of old) {
      if (h === 0) continue;
      let i = h & mask;
      while (this.table[i] !== 0) i = (i + 1) & mask;
      this.table[i] = h;
    }
  }
}

/** The tokens of `bytes[start, end)`, those inside the column-value spans `spans` (offsets from `base`) salted. */
function hashWithSpans(
  bytes: Uint8Array,
  set: HashSet,
  start: number,
  end: number,
  base: number,
  spans: readonly number[] | undefined,
  inColumns: HashSet,
  name: string | null,
): void {
  if (!spans) {
    hashTokens(bytes, set, start, end);
    return;
  }
  inColumns.clear();
  // The values first: each token's unsalted hash into `inColumns`, its salted one into the block's set (one FNV
  // pass for both).
  for (let k = 0; k < spans.length; k += 2) {
    const stop = base + spans[k + 1]!;
    let i = base + spans[k]!;
    for (;;) {
      const f = nextToken(bytes, i, stop);
      if (tokenStart === stop) break;
      i = tokenEnd;
      inColumns.add(fmix(f) || 1);
      set.add(fmix(f ^ COLUMN_SALT) || 1);
    }
  }
  // Then the rest of the record, between the values, in one loop (this runs over most bytes of the evidence: the
  // probes of both sets are inlined, and only a token new to the block leaves the loop, for `addOutside`).
  const cols = inColumns.table;
  const cmask = cols.length - 1;
  let table = set.table;
  let mask = table.length - 1;
  let k = 0;
  let i = start;
  let stop = spans.length > 0 ? base + spans[0]! : end;
  for (;;) {
    for (;;) {
      const f = nextToken(bytes, i, stop);
      const first = tokenStart;
      if (first === stop) break;
      i = tokenEnd;
      const h = fmix(f) || 1;
      // A token of one of the record's values: the column search finds the record for it (version 3, above).
      let c = h & cmask;
      let v = cols[c]!;
      while (v !== 0 && v !== h) {
        c = (c + 1) & cmask;
        v = cols[c]!;
      }
      if (v === h) continue;
      let j = h & mask;
      for (;;) {
        v = table[j]!;
        if (v === h) break;
        if (v === 0) {
          addOutside(set, h, f, name, bytes, first, i);
          table = set.table;
          mask = table.length - 1;
          break;
        }
        j = (j + 1) & mask;
      }
    }
    if (k >= spans.length) return;
    i = base + spans[k + 1]!;
    k += 2;
    stop = k < spans.length ? base + spans[k]! : end;
  }
}

/**
 * A token of a record's text outside its values, new to the block: a word of the record's event name goes in
 * salted (version 4, above), any other token unsalted.
 */
function addOutside(set: HashSet, h: number, f: number, name: string | null, bytes: Uint8Array, first: number, end: number): void {
  if (name !== null && nameHoldsWord(name, bytes, first, end)) set.add(fmix(f ^ COLUMN_SALT) || 1);
  else set.add(h);
}

/** The distinct token hashes of a block, as `buildBlockFilter` hashed them (its arguments). */
export function referenceBlockTokens(...args: Parameters<typeof buildBlockFilter>): number[] {
  const [block, records, lengths, spans, names] = args;
  const set = new HashSet();
  const inColumns = new HashSet(256);
  const escaped = block.indexOf(0x5c) >= 0;
  const { joined } = filterHead(block, records, lengths);
  if (!joined && !spans) hashTokens(block, set, 0, block.length);
  let off = 0;
  for (let i = 0; i < records.length; i++) {
    const raw = records[i]!;
    const len = lengths?.[i] ?? Buffer.byteLength(raw, 'utf8');
    const own = spans?.[i];
    // Record by record when records meet on token bytes (`joined`) or column values are set apart (`spans`);
    // otherwise the whole block was hashed in one pass above.
    const name = own ? (names?.[i] ?? null) : null;
    if (joined || spans) hashWithSpans(block, set, off, off + len, off, own, inColumns, name);
    off += len;
    if (escaped && raw.indexOf('\\') >= 0) {
      if (!own) hashTokens(Buffer.from(searchableText(raw), 'utf8'), set);
      else {
        // The decoded text: outside the values unsalted, each value's inside (decoded on its own) salted.
        let outside = '';
        let at = 0;
        for (let k = 0; k < own.length; k += 2) {
          outside += raw.slice(at, own[k]);
          const inside = Buffer.from(searchableText(raw.slice(own[k], own[k + 1])), 'utf8');
          hashTokens(inside, set, 0, inside.length, COLUMN_SALT);
          at = own[k + 1]!;
        }
        // (`inColumns` still holds this record's value tokens: a value set apart has no escapes, so decoding
        // leaves it as it is.)
        const rest = Buffer.from(searchableText(outside + raw.slice(at)), 'utf8');
        hashTokens(rest, set, 0, rest.length, 0, inColumns, name);
      }
    }
  }
  return [...set.table].filter((h) => h !== 0).sort((a, b) => a - b);
}

/**
 * Sets the `hashes` bits of each token of `table` in `bits` (m of them): bit k is (h + k × step) mod m, with step
 * reduced mod m first, so each next one is one add and one compare. In 32-bit integers (a hash is a uint32, beyond a
 * small integer: `h % m` on it is a floating-point remainder, which made this loop a fifth of a filter's time).
 */
function setBits(bits: Uint8Array, table: Uint32Array, m: number, hashes: number): void {
  for (let x = 0; x < table.length; x++) {
    const h = table[x]!;
    if (h === 0) continue;
    const s = (fmix(h ^ 0x5bd1e995) | 1) >>> 0;
    const step = (s - Math.floor(s / m) * m) | 0;
    let p = (h - Math.floor(h / m) * m) | 0;
    for (let k = 0; k < hashes; k++) {
      bits[p >>> 3]! |= 1 << (p & 7);
      p = (p + step) | 0;
      if (p >= m) p = (p - m) | 0;
    }
  }
}

/** The whole filter as `buildBlockFilter` made it in JavaScript: its header (as it is made now), then the bits of the reference's tokens. */
export function referenceBlockFilter(...args: Parameters<typeof buildBlockFilter>): Uint8Array {
  const [block, records, lengths] = args;
  const tokens = referenceBlockTokens(...args);
  const { head } = filterHead(block, records, lengths);
  const { out, m, hashes } = filterShape(head, tokens.length);
  setBits(out.subarray(head.length), Uint32Array.from(tokens), m, hashes);
  return out;
}
