/**
 * CloudTrail record → the row PodTrail stores. Validation happens here, once, where untrusted data enters:
 * a record must have the fields every later step relies on (eventTime, eventSource, eventName); everything
 * else is optional and read null-safely. The raw record text is always kept beside the extracted columns.
 * A record whose text repeats a key is refused (see duplicate-keys.ts): it does not read one way only.
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import { isIsoWithZone, isoUtc, parseRecordTime } from '../util/time';
import { getStr, obj } from '../util/json';
import { duplicateKeyProblem } from './duplicate-keys';

/** The columns extracted from a record. Mirrors the `events` table (migration 0010). */
export interface EventRow {
  eventId: string;
  idSynthetic: boolean;
  rawSha256: string;
  eventTime: string;
  eventMs: number;
  eventSource: string;
  eventName: string;
  awsRegion: string | null;
  recipientAccountId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  identityType: string | null;
  principalArn: string | null;
  principalId: string | null;
  accessKeyId: string | null;
  sessionIssuerArn: string | null;
  invokedBy: string | null;
  userName: string | null;
  errorCode: string | null;
  readOnly: number | null;
  raw: string;
  /**
   * The bytes `raw` was decoded from, when the record is exactly them (a trail's or JSON Lines' record): packing
   * copies them into the block instead of encoding the text again (raw-blocks.ts). Null once packed, or when the text
   * is not the bytes read (a lookup-events or SIEM record).
   */
  rawBytes?: Buffer | null;
  recordIndex: number;
  /**
   * Where the time came from when it was not CloudTrail's own ISO 8601 `eventTime` with a zone: a time without a
   * zone, read as UTC (`zoneless`), or a SIEM's `@timestamp` because the export dropped `eventTime` (Logstash's
   * cloudtrail codec moves it there). The file's ingest notes say so; `eventTime` is then the UTC time in ISO form.
   */
  timeSource?: 'zoneless' | '@timestamp' | '@timestamp-zoneless';
  /**
   * Where the text writes the values a free-text phrase is also matched against (raw-blocks.ts `columnSpans`), when
   * the reader knew it (record-fields.ts: the walk found them); null when it writes none. Absent: packing finds them.
   */
  columnSpans?: number[] | null;
}

const nullableString = z.string().nullish();

/** The fields a record must carry; `looseObject` keeps every other field (they stay in the raw text). */
export const CloudTrailRecord = z.looseObject({
  eventSource: z.string({ error: 'missing or not a string' }),
  eventName: z.string({ error: 'missing or not a string' }),
  eventID: nullableString,
  awsRegion: nullableString,
  recipientAccountId: nullableString,
  sourceIPAddress: nullableString,
  userAgent: nullableString,
  errorCode: nullableString,
  userIdentity: z.looseObject({}).nullish(),
});

const OPTIONAL_STRINGS = ['eventID', 'awsRegion', 'recipientAccountId', 'sourceIPAddress', 'userAgent', 'errorCode'] as const;

/**
 * Whether `CloudTrailRecord` accepts the record, checked in place: its parse copies every key of every record into a
 * new object (~4 % of a parse worker's time), so it runs only for a record this refuses, to word the refusal.
 */
function fitsRecordSchema(o: Record<string, unknown>): boolean {
  if (typeof o.eventSource !== 'string' || typeof o.eventName !== 'string') return false;
  for (const key of OPTIONAL_STRINGS) {
    const v = o[key];
    if (v !== undefined && v !== null && typeof v !== 'string') return false;
  }
  const ui = o.userIdentity;
  return ui === undefined || ui === null || obj(ui) !== undefined;
}

export type RecordKind = 'event' | 'insight';

export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

/** Insights events share the trail but are not API calls (no userIdentity, eventName at the top level). */
export function recordKind(record: unknown): RecordKind {
  const o = obj(record);
  if (o && (o.eventType === 'AwsCloudTrailInsight' || o.eventCategory === 'Insight')) return 'insight';
  return 'event';
}

export function sha256Hex(text: string | Buffer): string {
  return hash('sha256', text, 'hex');
}

/** What the reader of a record knows of its text besides the text. */
export interface RecordText {
  /**
   * The record is `JSON.parse(raw)` itself, unmodified (not a SIEM's wrapper member or a rebuilt record), which
   * lets the duplicate-key check count keys instead of walking the text.
   */
  parsed: boolean;
  /** The UTF-8 bytes `raw` was decoded from, when the record is exactly them (see `EventRow.rawBytes`). */
  bytes?: Buffer;
  /** The keys written in `raw`, when the reader counted them (scanner.ts: the colons outside strings). */
  keys?: number;
}

/** Validate and extract. Throws RecordError with a message naming the missing or mistyped field. */
export function normalizeRecord(record: unknown, raw: string, recordIndex: number, from: RecordText = { parsed: false }): EventRow {
  const rawBytes = from.bytes;
  const duplicate = duplicateKeyProblem(raw, from.parsed ? record : undefined, from.keys);
  if (duplicate) throw new RecordError(duplicate);
  const o = obj(record);
  if (!o) throw new RecordError(`record: expected a CloudTrail record (a JSON object), found ${describeValue(record)}`);
  const time = recordTime(o);
  if (!fitsRecordSchema(o)) {
    const parsed = CloudTrailRecord.safeParse(record);
    const issue = parsed.error?.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'record';
    throw new RecordError(`${where}: ${issue?.message ?? 'not a CloudTrail record'}`);
  }
  const r = o as z.infer<typeof CloudTrailRecord>;
  const ui = r.userIdentity ?? undefined;
  return rowOf(
    {
      eventID: r.eventID,
      eventSource: r.eventSource,
      eventName: r.eventName,
      awsRegion: r.awsRegion,
      recipientAccountId: r.recipientAccountId,
      sourceIPAddress: r.sourceIPAddress,
      userAgent: r.userAgent,
      errorCode: r.errorCode,
      readOnly: (record as { readOnly?: unknown }).readOnly,
      identityType: getStr(ui, 'type'),
      principalArn: getStr(ui, 'arn'),
      principalId: getStr(ui, 'principalId'),
      accessKeyId: getStr(ui, 'accessKeyId'),
      sessionIssuerArn: getStr(ui, 'sessionContext', 'sessionIssuer', 'arn'),
      invokedBy: getStr(ui, 'invokedBy'),
      userName: getStr(ui, 'userName'),
    },
    time,
    raw,
    rawBytes,
    recordIndex,
  );
}

/**
 * What a record's row is made of, read from it (a parse: `normalizeRecord`; its bytes: record-fields.ts): its
 * top-level strings (absent: undefined or null), `readOnly` as the record has it, and `userIdentity`'s strings
 * (undefined where the identity, the key or a string there is not).
 */
export interface RecordValues {
  eventID: string | null | undefined;
  eventSource: string;
  eventName: string;
  awsRegion: string | null | undefined;
  recipientAccountId: string | null | undefined;
  sourceIPAddress: string | null | undefined;
  userAgent: string | null | undefined;
  errorCode: string | null | undefined;
  readOnly: unknown;
  identityType: string | undefined;
  principalArn: string | undefined;
  principalId: string | undefined;
  accessKeyId: string | undefined;
  sessionIssuerArn: string | undefined;
  invokedBy: string | undefined;
  userName: string | undefined;
}

/** The row of a record already checked (a unique key each, the fields' types, its time read). */
export function rowOf(v: RecordValues, time: RecordTimeRead, raw: string, rawBytes: Buffer | undefined, recordIndex: number): EventRow {
  const rawSha256 = sha256Hex(rawBytes ?? raw);
  // A record without eventID (quoted in articles, hand-made) gets a stable id derived from its content,
  // marked synthetic so that reports say so.
  const eventId = v.eventID ?? `podtrail-sha256-${rawSha256.slice(0, 32)}`;
  const readOnly = v.readOnly;
  return {
    eventId,
    idSynthetic: v.eventID == null,
    rawSha256,
    eventTime: time.text,
    eventMs: time.ms,
    eventSource: v.eventSource,
    eventName: v.eventName,
    awsRegion: v.awsRegion ?? null,
    recipientAccountId: v.recipientAccountId ?? null,
    sourceIp: v.sourceIPAddress ?? null,
    userAgent: v.userAgent ?? null,
    identityType: v.identityType ?? null,
    principalArn: v.principalArn ?? null,
    principalId: v.principalId ?? null,
    accessKeyId: v.accessKeyId || null,
    sessionIssuerArn: v.sessionIssuerArn ?? null,
    invokedBy: v.invokedBy ?? null,
    userName: v.userName ?? null,
    errorCode: v.errorCode ?? null,
    readOnly: readOnly === true || readOnly === 'true' ? 1 : readOnly === false || readOnly === 'false' ? 0 : null,
    raw,
    rawBytes: rawBytes ?? null,
    recordIndex,
    ...(time.source ? { timeSource: time.source } : {}),
  };
}

const TIME_EXPECTED = 'expected ISO 8601 such as "2024-04-16T09:20:04Z", or "2024-04-16 09:20:04.000000000" (read as UTC)';

/**
 * The record's time: CloudTrail's `eventTime`, or — when a SIEM export dropped it — the `@timestamp` Logstash and
 * Elasticsearch keep beside the CloudTrail fields. A time without a zone is read as UTC, never in the examiner's
 * time zone, and said so (`source`); the stored `eventTime` is then the UTC time in ISO form.
 */
export interface RecordTimeRead {
  ms: number;
  text: string;
  source: EventRow['timeSource'] | null;
}

export function recordTime(o: Record<string, unknown>): RecordTimeRead {
  const eventTime = o.eventTime;
  let field = 'eventTime';
  let value: unknown = eventTime;
  if (eventTime === undefined || eventTime === null) {
    const stamp = o['@timestamp'];
    if (typeof stamp !== 'string') {
      throw new RecordError(
        `eventTime: missing (expected CloudTrail's "eventTime", or the "@timestamp" of a SIEM export); found ${eventTime === null ? 'eventTime null and ' : ''}${describeKeys(o)}`,
      );
    }
    field = '@timestamp';
    value = stamp;
  }
  if (typeof value !== 'string') throw new RecordError(`${field}: ${TIME_EXPECTED}; found ${describeValue(value)}`);
  const t = parseRecordTime(value);
  if (!t) throw new RecordError(`${field}: not a time: ${TIME_EXPECTED}; found ${JSON.stringify(value.slice(0, 64))}`);
  if (field === 'eventTime' && isIsoWithZone(value)) return { ms: t.ms, text: value, source: null };
  const source = field === '@timestamp' ? (t.zoneless ? '@timestamp-zoneless' : '@timestamp') : 'zoneless';
  return { ms: t.ms, text: isoUtc(t.ms), source: t.zoneless || field === '@timestamp' ? source : null };
}

/** A value's type in words, for rejection messages (`the number 1709287200`, `an object`). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object with ${describeKeys(v as Record<string, unknown>)}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 64))}`;
  return `the ${typeof v} ${String(v).slice(0, 64)}`;
}

/** The first keys of an object, for rejection messages: what was found instead of what was expected. */
export function describeKeys(o: Record<string, unknown>): string {
  const keys = Object.keys(o);
  if (keys.length === 0) return 'no keys';
  const shown = keys.slice(0, 8).map((k) => JSON.stringify(k.slice(0, 40)));
  return `keys ${shown.join(', ')}${keys.length > 8 ? `, … (${keys.length} in all)` : ''}`;
}
