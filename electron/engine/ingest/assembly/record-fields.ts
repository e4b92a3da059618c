/**
 * One CloudTrail record's JSON checked and its row's fields found, in WebAssembly (record-fields.ts, beside
 * `normalize.ts`, drives it and documents the rules): the parse workers' `JSON.parse` built every record's whole
 * tree to read some twenty strings from it. This walks the record's bytes once, checking them against JSON's grammar
 * (RFC 8259), and notes where the values of the keys asked for are; it builds nothing.
 *
 * It answers 0 (the record is JSON, one object, every key unique, no key written with an escape: its fields are in
 * the slots) or 1 (anything else: invalid JSON, another value, a repeated key, an escaped key, too many keys or too
 * deep): the caller then reads the record with `JSON.parse` as before, which words the error when there is one. So
 * a record this accepts must be one `JSON.parse` accepts, and its slots must say what `JSON.parse` would give.
 *
 * The bytes are UTF-8 already checked by the caller, followed by a 0 byte (a sentinel: no state accepts it).
 */

/** The slots: for each, its kind (below), then the value's start and end (a string's inside, without quotes). */
const SLOTS: usize = memory.data(64 * 12);
const MAX_SLOTS: u32 = 64;
/**
 * The keys asked for, by hash: 256 entries of the context they are looked for in (0: empty), the key's FNV-1a hash,
 * its slot, the context of its object value, and its bytes' address and length. Filled by `key` before any `parse`.
 */
const KEYS: usize = memory.data(256 * 24);
let keyCount: u32 = 0;
let slotCount: u32 = 0;

/** Kinds (0: the key was absent). */
const STRING: u32 = 1;
const ESCAPED: u32 = 2;
const TRUE: u32 = 3;
const FALSE: u32 = 4;
const NULL: u32 = 5;
const NUMBER: u32 = 6;
const OBJECT: u32 = 7;
const ARRAY: u32 = 8;

const ACCEPTED: u32 = 0;
const DECLINED: u32 = 1;

/** Deepest nesting walked (the scanner refuses records deeper than 256 before this sees them). */
const MAX_DEPTH: u32 = 512;
/** Per open container: 0 object or 1 array, the object's context, and the object's number in the record. */
const STACK: usize = memory.data(512 * 12);
/**
 * The keys of the record's objects, to find a repeated one: an open-addressing table of the record's number (an
 * entry of another record is empty), the object's number, the key's hash, start and length. Its first `seenSlots`
 * entries are used: 1,024 (a record's entries stay close), or all of them for a record of more keys than half that.
 * A record of more keys than half the table is declined.
 */
const SEEN_SLOTS: u32 = 32768;
const SEEN: usize = memory.data(32768 * 20);
let seenSlots: u32 = 1024;
let generation: u32 = 0;

/** Where memory free for the caller begins (past this module's static data). */
export function base(): usize {
  return (__heap_base + 15) & ~<usize>15;
}

/** Grows the memory to at least `bytes`. */
export function ensure(bytes: usize): void {
  const have = <usize>memory.size() << 16;
  if (bytes <= have) return;
  if (memory.grow(<i32>((bytes - have + 0xffff) >>> 16)) < 0) unreachable();
}

/** The slots' address (each 3 u32: kind, start, end). */
export function slots(): usize {
  return SLOTS;
}

/**
 * A key's hash: its first and last eight bytes (those of the key only) and its length, mixed. Cheaper than a hash of
 * every byte (a key is compared whole wherever two hashes meet).
 */
function keyHash(at: usize, length: u32): u32 {
  let a: u64;
  let b: u64 = 0;
  if (length >= 8) {
    a = load<u64>(at);
    b = load<u64>(at + <usize>length - 8);
  } else a = length == 0 ? 0 : load<u64>(at) & ((<u64>1 << (<u64>length << 3)) - 1);
  let h = (a ^ (b * 0x9e3779b97f4a7c15) ^ <u64>length) * 0xff51afd7ed558ccd;
  h ^= h >>> 33;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >>> 33;
  return <u32>h;
}

function keyEntry(context: u32, h: u32): usize {
  return KEYS + <usize>(((h ^ (context * 0x9e3779b1)) >>> 24) & 255) * 24;
}

/**
 * Asks for the value of the key [at, at + length) in objects of context `context` (1: the record itself), into
 * `slot`; an object value of it is of context `child` (0: none asked for in it). The key's bytes must stay where they
 * are. Returns 0, or 1 when the tables are full.
 */
export function key(context: u32, slot: u32, child: u32, at: usize, length: u32): u32 {
  if (keyCount >= 128 || slot >= MAX_SLOTS || context == 0) return 1;
  const h = keyHash(at, length);
  let e = keyEntry(context, h);
  while (load<u32>(e) != 0) e = e + 24 < KEYS + 256 * 24 ? e + 24 : KEYS;
  store<u32>(e, context);
  store<u32>(e + 4, h);
  store<u32>(e + 8, slot);
  store<u32>(e + 12, child);
  store<u32>(e + 16, <u32>at);
  store<u32>(e + 20, length);
  keyCount++;
  if (slot + 1 > slotCount) slotCount = slot + 1;
  return 0;
}

function byte(p: usize): u32 {
  return <u32>load<u8>(p);
}

function isSpace(c: u32): bool {
  return c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09;
}

function skipSpace(p: usize): usize {
  while (isSpace(byte(p))) p++;
  return p;
}

function isDigit(c: u32): bool {
  return c - 0x30 < 10;
}

function isHex(c: u32): bool {
  return c - 0x30 < 10 || (c | 0x20) - 0x61 < 6;
}

/** Set by `string`: whether the string held an escape. */
let escaped: bool = false;

/**
 * The string whose opening quote is at p - 1: returns the address of its closing quote, or 0 when it is not a JSON
 * string (a control character, a bad escape, the end). Sixteen bytes at a time: a quote, a backslash or a control
 * character among them ends the stride (the memory holds 16 bytes past the record's sentinel).
 */
function string(p: usize): usize {
  escaped = false;
  const quote = i8x16.splat(0x22);
  const backslash = i8x16.splat(0x5c);
  const control = i8x16.splat(0x20);
  for (;;) {
    const v = v128.load(p);
    const hit = v128.or(v128.or(i8x16.eq(v, quote), i8x16.eq(v, backslash)), i8x16.lt_u(v, control));
    const mask = i8x16.bitmask(hit);
    if (mask == 0) {
      p += 16;
      continue;
    }
    p += <usize>ctz(mask);
    const c = byte(p);
    if (c == 0x22) return p;
    if (c != 0x5c) return 0;
    escaped = true;
    const e = byte(p + 1);
    if (e == 0x75) {
      if (!isHex(byte(p + 2)) || !isHex(byte(p + 3)) || !isHex(byte(p + 4)) || !isHex(byte(p + 5))) return 0;
      p += 6;
      continue;
    }
    if (e != 0x22 && e != 0x5c && e != 0x2f && e != 0x62 && e != 0x66 && e != 0x6e && e != 0x72 && e != 0x74) return 0;
    p += 2;
  }
  return 0;
}

/** The number at p: returns the address after it, or 0 when it is not a JSON number. */
function number(p: usize): usize {
  if (byte(p) == 0x2d) p++;
  let c = byte(p);
  if (c == 0x30) p++;
  else if (c - 0x31 < 9) {
    p++;
    while (isDigit(byte(p))) p++;
  } else return 0;
  if (byte(p) == 0x2e) {
    p++;
    if (!isDigit(byte(p))) return 0;
    while (isDigit(byte(p))) p++;
  }
  c = byte(p);
  if (c == 0x65 || c == 0x45) {
    p++;
    c = byte(p);
    if (c == 0x2b || c == 0x2d) p++;
    if (!isDigit(byte(p))) return 0;
    while (isDigit(byte(p))) p++;
  }
  return p;
}

/** The literal at p (`true`, `false`, `null`, told by its first byte): its length, or 0 when it is not one. */
function literal(p: usize, c: u32): usize {
  const word = load<u32>(p);
  if (c == 0x74) return word == 0x65757274 ? 4 : 0;
  if (c == 0x6e) return word == 0x6c6c756e ? 4 : 0;
  return word == 0x736c6166 && byte(p + 4) == 0x65 ? 5 : 0;
}

function fill(slot: u32, kind: u32, start: usize, end: usize): void {
  const s = SLOTS + <usize>slot * 12;
  store<u32>(s, kind);
  store<u32>(s + 4, <u32>start);
  store<u32>(s + 8, <u32>end);
}

/** The entry asked for under the key [start, start + length) (hash h) in context `context`, or 0. */
function lookup(context: u32, h: u32, start: usize, length: u32): usize {
  let e = keyEntry(context, h);
  for (;;) {
    const c = load<u32>(e);
    if (c == 0) return 0;
    if (c == context && load<u32>(e + 4) == h && load<u32>(e + 20) == length && memory.compare(<usize>load<u32>(e + 16), start, length) == 0) return e;
    e = e + 24 < KEYS + 256 * 24 ? e + 24 : KEYS;
  }
  return 0;
}

/** Notes the key [start, start + length) (hash h) of object `object`: false when the object has it already. */
function firstTime(object: u32, h: u32, start: usize, length: u32): bool {
  const mask = seenSlots - 1;
  let j = (h ^ (object * 0x9e3779b1)) & mask;
  for (;;) {
    const e = SEEN + <usize>j * 20;
    if (load<u32>(e) != generation) {
      store<u32>(e, generation);
      store<u32>(e + 4, object);
      store<u32>(e + 8, h);
      store<u32>(e + 12, <u32>start);
      store<u32>(e + 16, length);
      return true;
    }
    if (load<u32>(e + 4) == object && load<u32>(e + 8) == h && load<u32>(e + 16) == length && memory.compare(<usize>load<u32>(e + 12), start, length) == 0) return false;
    j = (j + 1) & mask;
  }
  return false;
}

/** A record with more keys than `SMALL_SEEN / 2` is walked again with the whole table. */
const SMALL_SEEN: u32 = 1024;
/** Set by `walk`: it stopped at a record of more keys than its table takes. */
let tooManyKeys = false;

/**
 * Walks the record [start, end) (a 0 byte at end, 16 bytes of memory after it). Returns ACCEPTED, its fields in the
 * slots, or DECLINED.
 */
export function parse(start: usize, end: usize): u32 {
  const after = object(skipSpace(start), MAX_DEPTH);
  return after != 0 && skipSpace(after) == end ? ACCEPTED : DECLINED;
}

/** Bounds of the last element `element` read, and where the array goes on after it: start, end, next. */
const ELEMENT: usize = memory.data(12);

export function elementBounds(): usize {
  return ELEMENT;
}

/**
 * The element of a record array at p (just after its `[` or a `,`): an object no deeper than `maxDepth`, then `,` or
 * `]`. Returns 1 (another element follows) or 2 (the array ended), its fields in the slots and its bounds in
 * `elementBounds()`; 0 when it is not such an element or anything in it is declined (see `parse`).
 */
export function element(p: usize, maxDepth: u32): u32 {
  p = skipSpace(p);
  const after = object(p, maxDepth);
  if (after == 0) return 0;
  store<u32>(ELEMENT, <u32>p);
  store<u32>(ELEMENT + 4, <u32>after);
  const q = skipSpace(after);
  store<u32>(ELEMENT + 8, <u32>(q + 1));
  const c = byte(q);
  return c == 0x2c ? 1 : c == 0x5d ? 2 : 0;
}

/** The object at p, walked: the address after it, or 0 (declined). */
function object(p: usize, maxDepth: u32): usize {
  seenSlots = SMALL_SEEN;
  const after = walk(p, maxDepth);
  if (after != 0 || !tooManyKeys) return after;
  seenSlots = SEEN_SLOTS;
  return walk(p, maxDepth);
}

function walk(start: usize, maxDepth: u32): usize {
  memory.fill(SLOTS, 0, <usize>slotCount * 12);
  tooManyKeys = false;
  if (++generation == 0) {
    memory.fill(SEEN, 0, <usize>SEEN_SLOTS * 20);
    generation = 1;
  }
  let p = start;
  if (byte(p) != 0x7b) return 0;
  let depth: u32 = 0;
  let objects: u32 = 0;
  let keys: u32 = 0;
  /** The slot and child context of the value about to be read (-1: none asked for). */
  let slot: i32 = -1;
  let child: u32 = 1;
  for (;;) {
    // A value at p.
    p = skipSpace(p);
    const c = byte(p);
    let container = false;
    if (c == 0x22) {
      const q = string(p + 1);
      if (q == 0) return 0;
      if (slot >= 0) fill(<u32>slot, escaped ? ESCAPED : STRING, p + 1, q);
      p = q + 1;
    } else if (c == 0x7b || c == 0x5b) {
      if (depth >= maxDepth) return 0;
      if (slot >= 0) fill(<u32>slot, c == 0x7b ? OBJECT : ARRAY, p, p);
      const frame = STACK + <usize>depth * 12;
      store<u32>(frame, c == 0x7b ? 0 : 1);
      store<u32>(frame + 4, c == 0x7b ? child : 0);
      store<u32>(frame + 8, ++objects);
      depth++;
      p = skipSpace(p + 1);
      container = true;
      const close = byte(p);
      if (close == (c == 0x7b ? <u32>0x7d : <u32>0x5d)) {
        p++;
        depth--;
        container = false;
      } else if (c == 0x5b) {
        slot = -1;
        child = 0;
        continue;
      }
    } else if (c - 0x30 < 10 || c == 0x2d) {
      const q = number(p);
      if (q == 0) return 0;
      if (slot >= 0) fill(<u32>slot, NUMBER, p, q);
      p = q;
    } else {
      const n = c == 0x74 || c == 0x66 || c == 0x6e ? literal(p, c) : 0;
      if (n == 0) return 0;
      if (slot >= 0) fill(<u32>slot, c == 0x74 ? TRUE : c == 0x66 ? FALSE : NULL, p, p + n);
      p += n;
    }
    // After a value: closing containers, or the next member.
    for (;;) {
      if (!container) {
        if (depth == 0) return p;
        p = skipSpace(p);
        const isArray = load<u32>(STACK + <usize>(depth - 1) * 12) == 1;
        const d = byte(p);
        if (d == 0x2c) {
          p++;
          if (isArray) {
            slot = -1;
            child = 0;
            break;
          }
        } else if (d == (isArray ? <u32>0x5d : <u32>0x7d)) {
          p++;
          depth--;
          continue;
        } else return 0;
      }
      container = false;
      // A key of the object on top.
      const frame = STACK + <usize>(depth - 1) * 12;
      p = skipSpace(p);
      if (byte(p) != 0x22) return 0;
      const keyStart = p + 1;
      const q = string(keyStart);
      if (q == 0 || escaped) return 0;
      const length = <u32>(q - keyStart);
      const h = keyHash(keyStart, length);
      if (++keys > seenSlots / 2) {
        tooManyKeys = true;
        return 0;
      }
      if (!firstTime(load<u32>(frame + 8), h, keyStart, length)) return 0;
      slot = -1;
      child = 0;
      const context = load<u32>(frame + 4);
      if (context != 0) {
        const e = lookup(context, h, keyStart, length);
        if (e != 0) {
          slot = <i32>load<u32>(e + 8);
          child = load<u32>(e + 12);
        }
      }
      p = skipSpace(q + 1);
      if (byte(p) != 0x3a) return 0;
      p++;
      break;
    }
  }
  return 0;
}
