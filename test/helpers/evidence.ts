/** Small evidence fixtures built at test time in temp dirs, from real trail files or hand-made records. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../electron/engine/util/json';
import { referencePath } from './reference';

export function tempDir(label = 'test'): string {
  return mkdtempSync(join(tmpdir(), `podtrail-${label}-`));
}

/** Write `data` at `dir/rel`, creating folders; returns the absolute path. */
export function put(dir: string, rel: string, data: Buffer | string): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  return p;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export const INVICTUS_DIR = 'public/invictus-ir_aws_dataset/CloudTrail';

/** The real S3 trail files of the invictus-ir dataset, sorted by name. */
export function invictusFiles(): string[] {
  const dir = referencePath(INVICTUS_DIR);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => join(dir, n));
}

export function readTrail(path: string): { bytes: Buffer; records: JsonObject[] } {
  const bytes = readFileSync(path);
  return { bytes, records: (JSON.parse(bytes.toString('utf8')) as { Records: JsonObject[] }).Records };
}

/** `{"Records":[…]}` exactly as CloudTrail writes it (compact). */
export function trailJson(records: unknown[]): string {
  return JSON.stringify({ Records: records });
}

/** A hand-made but complete-looking API call record. */
export function apiRecord(eventID: string, over: Record<string, unknown> = {}): JsonObject {
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEPRINCIPAL',
      arn: 'arn:aws:iam::111122223333:user/alice',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLEKEY00001',
      userName: 'alice',
    },
    eventTime: '2024-03-01T10:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    requestID: `req-${eventID}`,
    eventID,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    ...over,
  } as JsonObject;
}

/** `aws cloudtrail lookup-events` output for records (inner JSON string, outer fields as the CLI prints them). */
export function lookupEvents(records: JsonObject[], serialise: (r: JsonObject) => string = (r) => JSON.stringify(r)): string {
  return JSON.stringify(
    {
      Events: records.map((r) => ({
        EventId: r.eventID,
        EventName: r.eventName,
        ReadOnly: String(r.readOnly ?? 'false'),
        EventTime: '2099-12-31T23:59:59+11:00',
        EventSource: r.eventSource,
        Resources: [],
        CloudTrailEvent: serialise(r),
      })),
    },
    null,
    4,
  );
}
