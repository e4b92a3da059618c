/**
 * The token hashing of a raw block's search filter (block-filter.ts, which writes the job this reads and documents
 * the rules), in WebAssembly: compiled by AssemblyScript (`npm run build:wasm`), 1.5–2 × the speed of the same loops
 * in JavaScript (docs/benchmarks.md). Memory that cannot grow traps (`unreachable`): the caller says what it asked for.
 */

const FNV_OFFSET: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;
const COLUMN_SALT: u32 = 0x2f6b9a1d;
/** Token bytes: 0 for a separator, otherwise the byte, ASCII letters lower-cased. */
const TOKEN: usize = memory.data(256);

let heap: usize = 0;
let setTable: usize = 0;
let setCap: u32 = 0;
let setSize: u32 = 0;
let colTable: usize = 0;
let colCap: u32 = 0;
let colSize: u32 = 0;
let tokenStart: usize = 0;
let tokenEnd: usize = 0;

/** Where memory free for the caller begins (past this module's static data). */
export function base(): usize {
  return (__heap_base + 15) & ~<usize>15;
}

export function init(): void {
  for (let c: u32 = 0; c < 256; c++) {
    let t: u32 = 0;
    if (c >= 128 || (c >= 48 && c <= 57) || (c >= 97 && c <= 122)) t = c;
    else if (c >= 65 && c <= 90) t = c + 32;
    store<u8>(TOKEN + c, <u8>t);
  }
}

/** Grows the memory to at least `bytes`. */
export function ensure(bytes: usize): void {
  const have = <usize>memory.size() << 16;
  if (bytes <= have) return;
  if (memory.grow(<i32>((bytes - have + 0xffff) >>> 16)) < 0) unreachable();
}

function alloc(bytes: usize): usize {
  const at = (heap + 15) & ~<usize>15;
  heap = at + bytes;
  ensure(heap);
  return at;
}

function fmix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

function nonZero(h: u32): u32 {
  return h == 0 ? 1 : h;
}

function tokenByte(p: usize): u32 {
  return <u32>load<u8>(TOKEN + <usize>load<u8>(p));
}

/** The FNV-1a hash of the first token of [i, stop), its bounds in tokenStart and tokenEnd (tokenStart == stop: none). */
function nextToken(i: usize, stop: usize): u32 {
  while (i < stop && tokenByte(i) == 0) i++;
  tokenStart = i;
  let f = FNV_OFFSET;
  for (; i < stop; i++) {
    const t = tokenByte(i);
    if (t == 0) break;
    f = (f ^ t) * FNV_PRIME;
  }
  tokenEnd = i;
  return f;
}

function has(table: usize, cap: u32, h: u32): bool {
  const mask = cap - 1;
  let j = h & mask;
  let v = load<u32>(table + (<usize>j << 2));
  while (v != 0 && v != h) {
    j = (j + 1) & mask;
    v = load<u32>(table + (<usize>j << 2));
  }
  return v == h;
}

/** Inserts into a table known to lack h, at its first empty slot from h. */
function place(table: usize, cap: u32, h: u32): void {
  const mask = cap - 1;
  let j = h & mask;
  while (load<u32>(table + (<usize>j << 2)) != 0) j = (j + 1) & mask;
  store<u32>(table + (<usize>j << 2), h);
}

/** A table of twice the slots, the old one's hashes placed in its order. */
function grown(table: usize, cap: u32): usize {
  const next = alloc(<usize>cap << 3);
  memory.fill(next, 0, <usize>cap << 3);
  for (let x: u32 = 0; x < cap; x++) {
    const h = load<u32>(table + (<usize>x << 2));
    if (h != 0) place(next, cap << 1, h);
  }
  return next;
}

function setAdd(h: u32): void {
  if (has(setTable, setCap, h)) return;
  place(setTable, setCap, h);
  if (++setSize * 2 > setCap) {
    setTable = grown(setTable, setCap);
    setCap <<= 1;
  }
}

/**
 * `setAdd` on the record's value tokens. Written out twice on purpose: with one helper for both (a table, its
 * capacity, the hash) Binaryen kept the helper a call, one more a value token: 1.0–1.2 × the module's time in four
 * sets of alternating runs.
 */
function colAdd(h: u32): void {
  if (has(colTable, colCap, h)) return;
  place(colTable, colCap, h);
  if (++colSize * 2 > colCap) {
    colTable = grown(colTable, colCap);
    colCap <<= 1;
  }
}

/** Whether the token [start, end) is ASCII letters only and occurs in the name (lower-case bytes [name, name + n)). */
function nameHoldsWord(name: usize, n: usize, start: usize, end: usize): bool {
  const len = end - start;
  if (len > n) return false;
  for (let x = start; x < end; x++) {
    const c = tokenByte(x);
    if (c < 97 || c > 122) return false;
  }
  const first = <u8>tokenByte(start);
  for (let p: usize = 0; p + len <= n; p++) {
    if (load<u8>(name + p) != first) continue;
    let k: usize = 1;
    while (k < len && <u32>load<u8>(name + p + k) == tokenByte(start + k)) k++;
    if (k == len) return true;
  }
  return false;
}

/**
 * The tokens of [start, end): salted by `salt`; those in the record's value tokens skipped when `skip`; a token new
 * to the block that is a word of the name [name, name + n) (name != 0) hashed salted instead.
 */
function hashRange(start: usize, end: usize, salt: u32, skip: bool, name: usize, n: usize): void {
  let i = start;
  for (;;) {
    const f = nextToken(i, end);
    if (tokenStart == end) return;
    const first = tokenStart;
    i = tokenEnd;
    const h = nonZero(fmix(f ^ salt));
    // The block's set first: a token already in it is left as it is whether or not the record's values hold it, and
    // most tokens are (one probe instead of two).
    if (has(setTable, setCap, h)) continue;
    if (skip && has(colTable, colCap, h)) continue;
    if (name != 0 && nameHoldsWord(name, n, first, i)) setAdd(nonZero(fmix(f ^ COLUMN_SALT)));
    else setAdd(h);
  }
}

/** A record with its column values set apart: spans (start, end pairs, absolute) at [spans, spans + 8 × count/2). */
function hashWithSpans(start: usize, end: usize, spans: usize, count: u32, name: usize, n: usize): void {
  memory.fill(colTable, 0, <usize>colCap << 2);
  colSize = 0;
  for (let k: u32 = 0; k < count; k += 2) {
    const stop = <usize>load<u32>(spans + (<usize>k << 2) + 4);
    let i = <usize>load<u32>(spans + (<usize>k << 2));
    for (;;) {
      const f = nextToken(i, stop);
      if (tokenStart == stop) break;
      i = tokenEnd;
      colAdd(nonZero(fmix(f)));
      setAdd(nonZero(fmix(f ^ COLUMN_SALT)));
    }
  }
  let from = start;
  for (let k: u32 = 0; k <= count; k += 2) {
    const stop = k < count ? <usize>load<u32>(spans + (<usize>k << 2)) : end;
    hashRange(from, stop, 0, true, name, n);
    if (k < count) from = <usize>load<u32>(spans + (<usize>k << 2) + 4);
  }
}

/**
 * Hashes a block's tokens as the job at `job` says (u32 words; addresses absolute): the block [block, block + length),
 * whether to hash it whole first, whether record by record, the record count, then per record eight words: start,
 * end, spans address (0: none), span words, name address (0: none), name length, escaped segments' address (0: none),
 * and whether the record has spans. Escaped segments: a count, then address and length of each (with spans: each
 * value's decoded inside, salted, then the decoded rest, unsalted past the values' tokens; without: the decoded
 * text). Work memory from `free` on. Returns the number of distinct tokens; the set is at `table()`, `capacity()` slots.
 */
export function build(job: usize, free: usize): u32 {
  heap = free;
  setCap = 8192;
  setTable = alloc(<usize>setCap << 2);
  memory.fill(setTable, 0, <usize>setCap << 2);
  setSize = 0;
  colCap = 256;
  colTable = alloc(<usize>colCap << 2);
  memory.fill(colTable, 0, <usize>colCap << 2);
  colSize = 0;
  const block = <usize>load<u32>(job);
  const length = <usize>load<u32>(job + 4);
  const whole = load<u32>(job + 8);
  const byRecord = load<u32>(job + 12);
  const records = load<u32>(job + 16);
  if (whole != 0) hashRange(block, block + length, 0, false, 0, 0);
  for (let r: u32 = 0; r < records; r++) {
    const at = job + 20 + (<usize>r << 5);
    const start = <usize>load<u32>(at);
    const end = <usize>load<u32>(at + 4);
    const spans = <usize>load<u32>(at + 8);
    const count = load<u32>(at + 12);
    const name = <usize>load<u32>(at + 16);
    const n = <usize>load<u32>(at + 20);
    const escaped = <usize>load<u32>(at + 24);
    const own = load<u32>(at + 28) != 0;
    if (byRecord != 0) {
      if (own) hashWithSpans(start, end, spans, count, name, n);
      else hashRange(start, end, 0, false, 0, 0);
    }
    if (escaped == 0) continue;
    const segments = load<u32>(escaped);
    for (let s: u32 = 0; s < segments; s++) {
      const p = <usize>load<u32>(escaped + 4 + (<usize>s << 3));
      const len = <usize>load<u32>(escaped + 8 + (<usize>s << 3));
      if (!own) hashRange(p, p + len, 0, false, 0, 0);
      else if (s + 1 < segments) hashRange(p, p + len, COLUMN_SALT, false, 0, 0);
      else hashRange(p, p + len, 0, true, name, n);
    }
  }
  return setSize;
}

/**
 * Sets each token's `hashes` bits of the filter [bits, bits + m / 8) (zeroed here): bit k of hash h is
 * (h + k × step) mod m, step = (fmix(h ^ 0x5bd1e995) | 1) mod m (block-filter.ts `BlockFilter.mayContain` tests them).
 */
export function setBits(bits: usize, m: u32, hashes: u32): void {
  memory.fill(bits, 0, <usize>(m >>> 3));
  for (let x: u32 = 0; x < setCap; x++) {
    const h = load<u32>(setTable + (<usize>x << 2));
    if (h == 0) continue;
    const step = (fmix(h ^ 0x5bd1e995) | 1) % m;
    let p = h % m;
    for (let k: u32 = 0; k < hashes; k++) {
      const at = bits + <usize>(p >>> 3);
      store<u8>(at, <u32>load<u8>(at) | (<u32>1 << (p & 7)));
      p += step;
      if (p >= m) p -= m;
    }
  }
}

export function table(): usize {
  return setTable;
}

export function capacity(): u32 {
  return setCap;
}
