/**
 * CloudTrail record → the row PodTrail stores. Validation happens here, once, where untrusted data enters:
 * a record must have the fields every later step relies on (eventTime, eventSource, eventName); everything
 * else is optional and read null-safely. The raw record text is always kept beside the extracted columns.
 * A record whose text repeats a key is refused (see duplicate-keys.ts): it does not read one way only.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseEventTime } from '../util/time';
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
  recordIndex: number;
}

const nullableString = z.string().nullish();

/** The fields a record must carry; `looseObject` keeps every other field (they stay in the raw text). */
const CloudTrailRecord = z.looseObject({
  eventTime: z.string({ error: 'missing or not a string' }),
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

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Validate and extract. Throws RecordError with a message naming the missing or mistyped field. */
export function normalizeRecord(record: unknown, raw: string, recordIndex: number): EventRow {
  const duplicate = duplicateKeyProblem(raw);
  if (duplicate) throw new RecordError(duplicate);
  const parsed = CloudTrailRecord.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'record';
    throw new RecordError(`${where}: ${issue?.message ?? 'not a CloudTrail record'}`);
  }
  const r = parsed.data;
  const eventMs = parseEventTime(r.eventTime);
  if (Number.isNaN(eventMs)) throw new RecordError(`eventTime: not an ISO 8601 UTC time: ${JSON.stringify(r.eventTime.slice(0, 64))}`);
  const rawSha256 = sha256Hex(raw);
  const ui = r.userIdentity ?? undefined;
  // A record without eventID (quoted in articles, hand-made) gets a stable id derived from its content,
  // marked synthetic so that reports say so.
  const eventId = r.eventID ?? `podtrail-sha256-${rawSha256.slice(0, 32)}`;
  const readOnly = (record as { readOnly?: unknown }).readOnly;
  return {
    eventId,
    idSynthetic: r.eventID == null,
    rawSha256,
    eventTime: r.eventTime,
    eventMs,
    eventSource: r.eventSource,
    eventName: r.eventName,
    awsRegion: r.awsRegion ?? null,
    recipientAccountId: r.recipientAccountId ?? null,
    sourceIp: r.sourceIPAddress ?? null,
    userAgent: r.userAgent ?? null,
    identityType: getStr(ui, 'type') ?? null,
    principalArn: getStr(ui, 'arn') ?? null,
    principalId: getStr(ui, 'principalId') ?? null,
    accessKeyId: getStr(ui, 'accessKeyId') || null,
    sessionIssuerArn: getStr(ui, 'sessionContext', 'sessionIssuer', 'arn') ?? null,
    invokedBy: getStr(ui, 'invokedBy') ?? null,
    userName: getStr(ui, 'userName') ?? null,
    errorCode: r.errorCode ?? null,
    readOnly: readOnly === true || readOnly === 'true' ? 1 : readOnly === false || readOnly === 'false' ? 0 : null,
    raw,
    recordIndex,
  };
}
