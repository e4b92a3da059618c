/**
 * A packed batch as it crosses from a parse worker to the writer (protocol.ts): its rows as columns, each distinct
 * string of the batch once.
 *
 * Posted as objects, the rows were copied property by property: V8's serializer writes every row's 27 keys and every
 * string value again (~1,080 bytes a row at 1M events), and the writer's side reads them back and interns each key:
 * ~4.6 µs a row to write and ~3 µs to read, a tenth of an ingest's processor time. Here a row's strings are indices
 * into the batch's `strings` (a user agent, an ARN, an event name: a few hundred distinct values for thousands of
 * rows) and its numbers one slice of a `Float64Array`; the writer makes the row objects again with the very same
 * string for every repeat, so its dictionary lookups (db/strings.ts `StringIds`) find them by identity.
 */
import type { PackedBatch, PackedRow } from './raw-blocks';

/** The row fields that are strings (or null), in the order of `WireRows.text`. */
const TEXT_FIELDS = [
  'eventId',
  'rawSha256',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'recipientAccountId',
  'sourceIp',
  'userAgent',
  'identityType',
  'principalArn',
  'principalId',
  'accessKeyId',
  'sessionIssuerArn',
  'invokedBy',
  'userName',
  'errorCode',
] as const satisfies readonly (keyof PackedRow)[];
/** The row fields that are numbers, in the order of `WireRows.numbers` (`readOnly`: null as -1). */
const NUMBER_FIELDS = ['eventMs', 'readOnly', 'recordIndex', 'idHash', 'block', 'rawOff', 'rawLen'] as const satisfies readonly (keyof PackedRow)[];

export interface WireRows {
  count: number;
  /** The batch's strings: each distinct value of the shared fields once, each unique one as it comes. */
  strings: string[];
  /** `count × TEXT_FIELDS.length` indices into `strings`, -1 for null. */
  text: Int32Array;
  /** `count × NUMBER_FIELDS.length`. */
  numbers: Float64Array;
  /** Rows whose eventID was made up from the content (`idSynthetic`), as row indices. */
  synthetic: number[];
}

export interface WireBatch extends Omit<PackedBatch, 'rows'> {
  rows: WireRows;
}

export function toWire(batch: PackedBatch): WireBatch {
  const { rows } = batch;
  const nt = TEXT_FIELDS.length;
  const nn = NUMBER_FIELDS.length;
  const strings: string[] = [];
  const index = new Map<string, number>();
  const text = new Int32Array(rows.length * nt);
  const numbers = new Float64Array(rows.length * nn);
  const synthetic: number[] = [];
  /** A string of the batch's dictionary (shared fields), or -1 for null. */
  const shared = (v: string | null): number => {
    if (v === null) return -1;
    let k = index.get(v);
    if (k === undefined) index.set(v, (k = strings.push(v) - 1));
    return k;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    // The fields by name, in the order of TEXT_FIELDS and NUMBER_FIELDS (looked up by a key from the list, each
    // load was megamorphic: 2.6-4.2 µs a row; row-wire.test.ts checks the order against the lists).
    let t = i * nt;
    // eventId and rawSha256 are unique to each row: not looked up in the dictionary (they would only grow it).
    text[t++] = strings.push(row.eventId) - 1;
    text[t++] = strings.push(row.rawSha256) - 1;
    text[t++] = shared(row.eventTime);
    text[t++] = shared(row.eventSource);
    text[t++] = shared(row.eventName);
    text[t++] = shared(row.awsRegion);
    text[t++] = shared(row.recipientAccountId);
    text[t++] = shared(row.sourceIp);
    text[t++] = shared(row.userAgent);
    text[t++] = shared(row.identityType);
    text[t++] = shared(row.principalArn);
    text[t++] = shared(row.principalId);
    text[t++] = shared(row.accessKeyId);
    text[t++] = shared(row.sessionIssuerArn);
    text[t++] = shared(row.invokedBy);
    text[t++] = shared(row.userName);
    text[t++] = shared(row.errorCode);
    let n = i * nn;
    numbers[n++] = row.eventMs;
    numbers[n++] = row.readOnly ?? -1;
    numbers[n++] = row.recordIndex;
    numbers[n++] = row.idHash;
    numbers[n++] = row.block;
    numbers[n++] = row.rawOff;
    numbers[n++] = row.rawLen;
    if (row.idSynthetic) synthetic.push(i);
  }
  return { ...batch, rows: { count: rows.length, strings, text, numbers, synthetic } };
}

/** The buffers a wire batch can hand over instead of copying (its own typed arrays). */
export function wireTransfer(batch: WireBatch): ArrayBuffer[] {
  return [batch.rows.text.buffer as ArrayBuffer, batch.rows.numbers.buffer as ArrayBuffer];
}

/** The writer's side: the rows again, every repeat of a string the same string. */
export function fromWire(batch: WireBatch): PackedBatch {
  const { count, strings, text, numbers, synthetic } = batch.rows;
  const nt = TEXT_FIELDS.length;
  const nn = NUMBER_FIELDS.length;
  const s = (i: number, f: number): string | null => {
    const k = text[i * nt + f]!;
    return k < 0 ? null : strings[k]!;
  };
  const rows: PackedRow[] = new Array(count);
  const isSynthetic = new Set(synthetic);
  for (let i = 0; i < count; i++) {
    const n = i * nn;
    const readOnly = numbers[n + 1]!;
    // The field order of TEXT_FIELDS and NUMBER_FIELDS (a literal: one hidden class for every row).
    rows[i] = {
      eventId: s(i, 0)!,
      idSynthetic: isSynthetic.has(i),
      rawSha256: s(i, 1)!,
      eventTime: s(i, 2)!,
      eventMs: numbers[n]!,
      eventSource: s(i, 3)!,
      eventName: s(i, 4)!,
      awsRegion: s(i, 5),
      recipientAccountId: s(i, 6),
      sourceIp: s(i, 7),
      userAgent: s(i, 8),
      identityType: s(i, 9),
      principalArn: s(i, 10),
      principalId: s(i, 11),
      accessKeyId: s(i, 12),
      sessionIssuerArn: s(i, 13),
      invokedBy: s(i, 14),
      userName: s(i, 15),
      errorCode: s(i, 16),
      readOnly: readOnly < 0 ? null : readOnly,
      raw: '',
      rawBytes: null,
      recordIndex: numbers[n + 2]!,
      idHash: numbers[n + 3]!,
      block: numbers[n + 4]!,
      rawOff: numbers[n + 5]!,
      rawLen: numbers[n + 6]!,
    };
  }
  return { ...batch, rows };
}
