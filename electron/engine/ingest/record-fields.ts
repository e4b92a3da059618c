/**
 * A CloudTrail record's row read from its bytes (a trail's `Records` element, a JSON Lines line), without
 * `JSON.parse`: the parse workers parsed every record into a tree of objects to read some twenty strings from it
 * (`JSON.parse` was the largest part of a worker's time, docs/benchmarks.md). A WebAssembly module (`assembly/record-fields.ts`, compiled to `record-fields-wasm.ts` by `npm run
 * build:wasm`) walks the record's bytes once, checking them against JSON's grammar, and says where the values of the
 * keys the row is made of are; this makes the row from them as `normalizeRecord` makes it from the parse.
 *
 * Only the plain case is read here; anything else gets null and is read by `JSON.parse` and `normalizeRecord` as
 * before, which also words the error when the record has one: text that is not JSON, a value other than one object,
 * a key written twice or with an escape, a record without a string `eventTime`, or one whose time is not CloudTrail's
 * ISO form with a zone, one whose required fields are missing or of another type, an Insights event, a record that
 * could be another kind of evidence (a key marked `OTHER`: `apiVersion`, `CloudTrailEvent`, `digestStartTime`, …),
 * and records over 1 MiB. So the rows this makes are the rows `normalizeRecord` makes of the same records
 * (test/engine/ingest/record-fields.test.ts holds that on generated records and on mutations of them).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { RECORD_FIELDS_WASM } from './record-fields-wasm';
import { recordTime, rowOf, type EventRow, type RecordValues } from './normalize';

/** The module's API (assembly/record-fields.ts). */
interface FieldsModule {
  memory: { buffer: ArrayBuffer };
  base(): number;
  ensure(bytes: number): void;
  slots(): number;
  key(context: number, slot: number, child: number, at: number, length: number): number;
  parse(start: number, end: number): number;
  element(at: number, maxDepth: number): number;
  elementBounds(): number;
}

/** Contexts: the objects whose keys are looked for. */
const RECORD = 1;
const IDENTITY = 2;
const SESSION_CONTEXT = 3;
const SESSION_ISSUER = 4;

/** Marks a key of other evidence (below). */
const OTHER = 'other-evidence';

/**
 * The keys asked for, each its own slot in this order: [the name this file reads it by, the context it is looked for
 * in, the key, the context of its value when that is an object (0: none), and `OTHER` for a key of other evidence].
 */
const KEYS = [
  ['eventTime', RECORD, 'eventTime', 0],
  ['eventSource', RECORD, 'eventSource', 0],
  ['eventName', RECORD, 'eventName', 0],
  ['eventID', RECORD, 'eventID', 0],
  ['awsRegion', RECORD, 'awsRegion', 0],
  ['recipientAccountId', RECORD, 'recipientAccountId', 0],
  ['sourceIPAddress', RECORD, 'sourceIPAddress', 0],
  ['userAgent', RECORD, 'userAgent', 0],
  ['errorCode', RECORD, 'errorCode', 0],
  ['readOnly', RECORD, 'readOnly', 0],
  ['userIdentity', RECORD, 'userIdentity', IDENTITY],
  ['identityType', IDENTITY, 'type', 0],
  ['principalArn', IDENTITY, 'arn', 0],
  ['principalId', IDENTITY, 'principalId', 0],
  ['accessKeyId', IDENTITY, 'accessKeyId', 0],
  ['invokedBy', IDENTITY, 'invokedBy', 0],
  ['userName', IDENTITY, 'userName', 0],
  ['sessionContext', IDENTITY, 'sessionContext', SESSION_CONTEXT],
  ['sessionIssuer', SESSION_CONTEXT, 'sessionIssuer', SESSION_ISSUER],
  ['sessionIssuerArn', SESSION_ISSUER, 'arn', 0],
  // Read only to send the record to the slow path: an Insights event.
  ['eventType', RECORD, 'eventType', 0],
  ['eventCategory', RECORD, 'eventCategory', 0],
  // Keys of other evidence a line of JSON can be (parse-file.ts `value`, `element`): a record that has one is read by
  // the slow path, which tells them apart: a Kubernetes audit event, a lookup-events entry, a digest (with
  // `digestStartTime` and `logFiles`), the public keys' list or a digest's S3 metadata, describe-cluster's output, a
  // Logstash event (`@timestamp` and `@version`).
  ['apiVersion', RECORD, 'apiVersion', 0, OTHER],
  ['kind', RECORD, 'kind', 0, OTHER],
  ['cloudTrailEvent', RECORD, 'CloudTrailEvent', 0, OTHER],
  ['digestStartTime', RECORD, 'digestStartTime', 0, OTHER],
  ['PublicKeyList', RECORD, 'PublicKeyList', 0, OTHER],
  ['publicKeyList', RECORD, 'publicKeyList', 0, OTHER],
  ['Metadata', RECORD, 'Metadata', 0, OTHER],
  ['cluster', RECORD, 'cluster', 0, OTHER],
  ['@timestamp', RECORD, '@timestamp', 0, OTHER],
] as const;
/** Each key's slot, by its name here. */
const S = Object.fromEntries(KEYS.map(([name], i) => [name, i])) as Record<(typeof KEYS)[number][0], number>;
/** The slots of the keys whose presence sends a record to the slow path (marked `OTHER`). */
const OTHER_EVIDENCE = KEYS.flatMap((entry, i) => (entry.length > 4 ? [i] : []));

/** Slot kinds (assembly/record-fields.ts). */
const ABSENT = 0;
const STRING = 1;
const ESCAPED = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;
const OBJECT = 7;

/** A setting, so that tests can read every record with `JSON.parse` too, and compare. */
/**
 * Settings, so that tests can read every record with `JSON.parse` too (`enabled`), or every file with the scanner
 * (`wholeTrail`: a trail file read whole is read by `trailRecords`), and compare.
 */
export const recordFieldsTuning = { enabled: true, wholeTrail: true };

/** Records longer than this are read by `JSON.parse` (the module's memory stays small). */
export const MAX_FAST_BYTES = 1024 * 1024;
/** How much of a file the module holds at a time (`trailRows`): twice the largest record it reads. */
const WINDOW = 2 * MAX_FAST_BYTES;

/** The WebAssembly API, as far as used here (TypeScript declares it with the DOM's types, not Node's). */
const wasmApi = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } } }).WebAssembly;

interface Loaded {
  wasm: FieldsModule;
  /** Where a record is copied. */
  at: number;
  bytes: Uint8Array;
  slots: Uint32Array;
}
let loaded: Loaded | null = null;

function load(): Loaded {
  if (loaded) return loaded;
  const wasm = new wasmApi.Instance(new wasmApi.Module(Buffer.from(RECORD_FIELDS_WASM, 'base64')), {}).exports as FieldsModule;
  const keys = KEYS.map(([, , key]) => Buffer.from(key, 'utf8'));
  let at = wasm.base();
  const keysAt = at;
  at += keys.reduce((n, k) => n + k.length, 0);
  at = (at + 15) & ~15;
  // A record or a window of a file (below), its 0 byte, and the 16 bytes a stride of the string scan may read past it.
  wasm.ensure(at + WINDOW + 1 + 16);
  const bytes = new Uint8Array(wasm.memory.buffer);
  let k = keysAt;
  for (let i = 0; i < KEYS.length; i++) {
    bytes.set(keys[i]!, k);
    const [, context, , child] = KEYS[i]!;
    if (wasm.key(context, i, child, k, keys[i]!.length) !== 0) throw new Error('record fields: the module has no room for the keys');
    k += keys[i]!.length;
  }
  loaded = { wasm, at, bytes, slots: new Uint32Array(wasm.memory.buffer, wasm.slots(), KEYS.length * 3) };
  return loaded;
}

/**
 * The row of the trail record `bytes` (UTF-8, already checked; `text` its decoding), as `normalizeRecord` would make
 * it from `JSON.parse(text)`; null when the record is not the plain case (see above) and must be read that way.
 */
export function fastRecordRow(bytes: Buffer, text: string, recordIndex: number): EventRow | null {
  if (!recordFieldsTuning.enabled || bytes.length > MAX_FAST_BYTES) return null;
  const m = load();
  m.bytes.set(bytes, m.at);
  m.bytes[m.at + bytes.length] = 0;
  if (m.wasm.parse(m.at, m.at + bytes.length) !== 0) return null;
  return rowFromSlots(m.slots, 0, m.at, bytes, text, recordIndex);
}

/**
 * The row of a record the module walked, `bytes` (decoded: `text`), from its slots at `slots[at…]` whose addresses
 * are `base` at the record's first byte; null: declined.
 */
function rowFromSlots(slots: Uint32Array, at: number, base: number, bytes: Buffer, text: string, recordIndex: number): EventRow | null {
  const kind = (s: number): number => slots[at + s * 3]!;
  for (const slot of OTHER_EVIDENCE) if (kind(slot) !== ABSENT) return null;
  const ascii = text.length === bytes.length;
  /** The string in slot s (undefined: not a string). */
  const string = (s: number): string | undefined => {
    const k = slots[at + s * 3]!;
    if (k !== STRING && k !== ESCAPED) return undefined;
    const start = slots[at + s * 3 + 1]! - base;
    const end = slots[at + s * 3 + 2]! - base;
    if (k === STRING) return ascii ? text.slice(start, end) : bytes.toString('utf8', start, end);
    return JSON.parse(ascii ? text.slice(start - 1, end + 1) : bytes.toString('utf8', start - 1, end + 1)) as string;
  };
  /** An optional string: the string, null or absent; false when it is another type (the slow path words that). */
  const optional = (s: number): string | null | undefined | false => {
    const k = kind(s);
    return k === ABSENT ? undefined : k === NULL ? null : (string(s) ?? false);
  };
  if (string(S.eventType) === 'AwsCloudTrailInsight' || string(S.eventCategory) === 'Insight') return null;
  const eventTime = string(S.eventTime);
  const eventSource = string(S.eventSource);
  const eventName = string(S.eventName);
  if (eventTime === undefined || eventSource === undefined || eventName === undefined) return null;
  const identity = kind(S.userIdentity);
  if (identity !== ABSENT && identity !== NULL && identity !== OBJECT) return null;
  const eventID = optional(S.eventID);
  const awsRegion = optional(S.awsRegion);
  const recipientAccountId = optional(S.recipientAccountId);
  const sourceIPAddress = optional(S.sourceIPAddress);
  const userAgent = optional(S.userAgent);
  const errorCode = optional(S.errorCode);
  if (eventID === false || awsRegion === false || recipientAccountId === false || sourceIPAddress === false || userAgent === false || errorCode === false) return null;
  let time;
  try {
    time = recordTime({ eventTime });
  } catch {
    return null;
  }
  if (time.source) return null;
  const readOnlyKind = kind(S.readOnly);
  const values: RecordValues = {
    eventID,
    eventSource,
    eventName,
    awsRegion,
    recipientAccountId,
    sourceIPAddress,
    userAgent,
    errorCode,
    readOnly: readOnlyKind === TRUE ? true : readOnlyKind === FALSE ? false : string(S.readOnly),
    identityType: string(S.identityType),
    principalArn: string(S.principalArn),
    principalId: string(S.principalId),
    accessKeyId: string(S.accessKeyId),
    sessionIssuerArn: string(S.sessionIssuerArn),
    invokedBy: string(S.invokedBy),
    userName: string(S.userName),
  };
  const row = rowOf(values, time, text, bytes, recordIndex);
  row.columnSpans = ascii ? columnSpansOf(bytes, base, slots, at) : null;
  return row;
}

/** The slots of the values a free-text phrase is also matched against, in the order of raw-blocks.ts `COLUMN_VALUES`. */
const COLUMN_SLOTS = [S.eventName, S.eventSource, S.principalArn, S.sourceIPAddress, S.userAgent, S.accessKeyId, S.eventID];
const QUOTE = 0x22;
const COLON = 0x3a;

/**
 * Where an ASCII record writes its column values (raw-blocks.ts `columnSpans`, which searches the text for them):
 * here, the walk's own slots, each non-empty value's string where the record writes it as `"<key>":"<value>"`, in
 * the order of the text; null when there is none. Undefined (packing searches the text as before) when one of them is
 * written otherwise: escaped, or with white space around the colon. The search may find an earlier string of the
 * same key and value instead (a key nested deeper); the filter is the same either way, as it is a set of the tokens'
 * hashes and both strings hold the same tokens (block-filter.ts).
 */
function columnSpansOf(bytes: Buffer, base: number, slots: Uint32Array, at: number): number[] | null | undefined {
  let spans: number[] | null = null;
  for (const s of COLUMN_SLOTS) {
    const k = slots[at + s * 3]!;
    if (k === ESCAPED) return undefined;
    if (k !== STRING) continue;
    const start = slots[at + s * 3 + 1]! - base;
    const end = slots[at + s * 3 + 2]! - base;
    if (start === end) continue;
    if (bytes[start - 2] !== COLON || bytes[start - 3] !== QUOTE) return undefined;
    spans ??= [];
    // In the order of the text (at most seven pairs: an insertion).
    let p = spans.length;
    spans.push(0, 0);
    while (p > 0 && spans[p - 2]! > start) {
      spans[p] = spans[p - 2]!;
      spans[p + 1] = spans[p - 1]!;
      p -= 2;
    }
    spans[p] = start;
    spans[p + 1] = end;
  }
  return spans;
}


/** What CloudTrail writes first, every time. */
const TRAIL_HEAD = Buffer.from('{"Records":[', 'latin1');

/** A whole trail file's records as the module read them (`trailRecords`): rows are made from it one at a time. */
export interface TrailRecords {
  count: number;
  /** Each record's start and end in the file. */
  bounds: Uint32Array;
  /** Each record's slots (SLOT_WORDS words), and the address the module had the file's first byte at then. */
  slots: Uint32Array;
  bases: Float64Array;
  ascii: boolean;
}

const SLOT_WORDS = KEYS.length * 3;

/**
 * A whole CloudTrail file, `data` its text's bytes (`{"Records":[…]}`), walked by the module: every record's bounds and
 * fields; null unless the file is exactly that shape and every record is JSON the module reads (see `parse`; then the
 * scanner reads the file, as before: nothing has been taken from it). The module walks the records and the commas
 * between them, so the file is not split by the scanner first; it holds the file a window of `WINDOW` bytes at a time,
 * moved on to the record a window cut. `limits`: the scanner's (a deeper or a larger record is left to it, which
 * refuses the file). The rows are made by `trailRow`, one at a time, as the file's batches are sent (only the slots,
 * 300 bytes a record, are kept meanwhile).
 */
export function trailRecords(data: Buffer, limits: { maxDepth: number; maxValueBytes: number }): TrailRecords | null {
  if (!recordFieldsTuning.enabled || !recordFieldsTuning.wholeTrail || data.length <= TRAIL_HEAD.length + 2 || !data.subarray(0, TRAIL_HEAD.length).equals(TRAIL_HEAD)) return null;
  if (!isUtf8(data)) return null;
  const m = load();
  const element = new Uint32Array(m.wasm.memory.buffer, m.wasm.elementBounds(), 3);
  // Room for a record every 256 bytes, grown when a file has more.
  let cap = Math.max(16, data.length >>> 8);
  let bounds: Uint32Array = new Uint32Array(cap * 2);
  let slots: Uint32Array = new Uint32Array(cap * SLOT_WORDS);
  let bases = new Float64Array(cap);
  let count = 0;
  let from = -1; // where the window starts in data
  let to = -1;
  let p = TRAIL_HEAD.length;
  for (;;) {
    if (p < from || p >= to || (to < data.length && p + MAX_FAST_BYTES > to)) {
      // A window from this record on (one whole record at least, when it is one the module reads).
      from = p;
      to = Math.min(data.length, p + WINDOW);
      m.bytes.set(data.subarray(from, to), m.at);
      m.bytes[m.at + (to - from)] = 0;
    }
    const next = m.wasm.element(m.at + (p - from), Math.max(0, limits.maxDepth - 2));
    if (next === 0) return null;
    const start = element[0]! - m.at + from;
    const end = element[1]! - m.at + from;
    if (end - start >= limits.maxValueBytes) return null;
    if (count === cap) {
      cap *= 2;
      bounds = grown(bounds, cap * 2);
      slots = grown(slots, cap * SLOT_WORDS);
      const b = new Float64Array(cap);
      b.set(bases);
      bases = b;
    }
    bounds[count * 2] = start;
    bounds[count * 2 + 1] = end;
    slots.set(m.slots, count * SLOT_WORDS);
    bases[count] = element[0]!;
    count++;
    p = element[2]! - m.at + from;
    if (next === 2) break;
  }
  // The array closed: then the object, and nothing but white space.
  let q = p;
  while (q < data.length && isSpace(data[q]!)) q++;
  if (data[q] !== 0x7d) return null;
  for (q++; q < data.length; q++) if (!isSpace(data[q]!)) return null;
  return { count, bounds, slots, bases, ascii: isAscii(data) };
}

function grown(a: Uint32Array, length: number): Uint32Array {
  const b = new Uint32Array(length);
  b.set(a);
  return b;
}

/**
 * The row of record `i` of the file `data` walked by `trailRecords`, as `fastRecordRow` makes it (numbered as the
 * scanner numbers them: from 0); null when it is not the plain case, and its bytes are to be read as the scanner's
 * element `i` (the module found it JSON, so the scanner gives the same bytes).
 */
export function trailRow(data: Buffer, t: TrailRecords, i: number): EventRow | null {
  const start = t.bounds[i * 2]!;
  const end = t.bounds[i * 2 + 1]!;
  const bytes = data.subarray(start, end);
  return rowFromSlots(t.slots, i * SLOT_WORDS, t.bases[i]!, bytes, data.toString(t.ascii ? 'latin1' : 'utf8', start, end), i);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
