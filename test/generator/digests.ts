/**
 * Signed CloudTrail digest chains for test fixtures and the demo bundle, made with our own RSA keys: digests in
 * CloudTrail's layout and field order, each signed SHA256withRSA over
 * `digestEndTime\n<bucket>/<key>\n<sha256 hex of the digest bytes>\n<previous signature or "null">`, the next digest
 * carrying that signature as `previousDigestSignature`; the keys as `aws cloudtrail list-public-keys` prints them
 * (base64 DER, PKCS#1 or SPKI, fingerprint = MD5 of the DER bytes); and `aws s3api head-object` output for the
 * digests whose signature only S3 metadata holds (the newest one, backfills).
 *
 * Used by test/helpers/integrity-fixture.ts and demo/make-demo.mjs (from dist/). Deterministic given the keys.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { compactMinute, compactSecond, datePath, isoSec } from './ids';

export const HOUR_MS = 3_600_000;

export interface SigningKey {
  region: string;
  privateKey: KeyObject;
  /** The public key's DER bytes, in the encoding the key list prints. */
  der: Buffer;
  encoding: 'pkcs1' | 'spki';
  /** What digests name and the key list claims: MD5 of `der` unless a test overrides it. */
  fingerprint: string;
  validFromMs: number;
  validToMs: number;
}

export function md5Hex(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

export function sha256Hex(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A key pair (fresh, or from a saved PKCS#8 PEM so the demo stays the same across regenerations). */
export function signingKey(region: string, o: { encoding?: 'pkcs1' | 'spki'; validFromMs: number; validToMs: number; privateKeyPem?: string; bits?: number }): SigningKey {
  const privateKey = o.privateKeyPem ? createPrivateKey(o.privateKeyPem) : generateKeyPairSync('rsa', { modulusLength: o.bits ?? 2048 }).privateKey;
  const encoding = o.encoding ?? 'pkcs1';
  const der = createPublicKey(privateKey).export({ format: 'der', type: encoding });
  return { region, privateKey, der, encoding, fingerprint: md5Hex(der), validFromMs: o.validFromMs, validToMs: o.validToMs };
}

export function privateKeyPem(k: SigningKey): string {
  return k.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** `aws cloudtrail list-public-keys` output for these keys (one region's list). */
export function listPublicKeysJson(keys: SigningKey[]): string {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, '+00:00');
  return (
    JSON.stringify(
      {
        PublicKeyList: keys.map((k) => ({ Value: k.der.toString('base64'), ValidityStartTime: iso(k.validFromMs), ValidityEndTime: iso(k.validToMs), Fingerprint: k.fingerprint })),
      },
      null,
      4,
    ) + '\n'
  );
}

export interface TrailSpec {
  bucket: string;
  account: string;
  region: string;
  trail: string;
  homeRegion?: string;
  /** Organization trails: `AWSLogs/<org>/<account>/…`. */
  org?: string;
}

function awsLogs(t: TrailSpec): string {
  return `AWSLogs/${t.org ? `${t.org}/` : ''}${t.account}`;
}

export function logKey(t: TrailSpec, ms: number, suffix: string): string {
  return `${awsLogs(t)}/CloudTrail/${t.region}/${datePath(ms)}/${t.account}_CloudTrail_${t.region}_${compactMinute(ms)}_${suffix}.json.gz`;
}

export function digestKey(t: TrailSpec, endMs: number, backfill = false): string {
  return `${awsLogs(t)}/CloudTrail-Digest/${t.region}/${datePath(endMs)}/${t.account}_CloudTrail-Digest_${t.region}_${t.trail}_${t.homeRegion ?? t.region}_${compactSecond(endMs)}${backfill ? '_backfill' : ''}.json.gz`;
}

/** A log file as delivered: its S3 key, its uncompressed content, and the time in its name. */
export interface LogObject {
  key: string;
  content: Buffer;
  nameMs: number;
}

export interface BuiltDigest {
  key: string;
  /** The uncompressed digest text (what is hashed and signed). */
  body: string;
  gz: Buffer;
  signature: string;
  startMs: number;
  endMs: number;
  backfill: boolean;
  /** `aws s3api head-object` output for this digest (its signature metadata). */
  headObject: string;
}

function eventTimes(content: Buffer): { newest: string | null; oldest: string | null } {
  try {
    const times = ((JSON.parse(content.toString('utf8')) as { Records?: { eventTime?: unknown }[] }).Records ?? [])
      .map((r) => r.eventTime)
      .filter((t): t is string => typeof t === 'string')
      .sort();
    return { newest: times[times.length - 1] ?? null, oldest: times[0] ?? null };
  } catch {
    return { newest: null, oldest: null };
  }
}

export function signDigest(key: SigningKey, body: string, endTime: string, bucket: string, s3Key: string, previousSignature: string | null, join = '\n'): string {
  const data = [endTime, `${bucket}/${s3Key}`, sha256Hex(body), previousSignature ?? 'null'].join(join);
  return sign('sha256', Buffer.from(data, 'utf8'), key.privateKey).toString('hex');
}

export function headObjectJson(d: { gz: Buffer; signature: string; endMs: number }, backfillGeneratedMs?: number): string {
  const meta: Record<string, string> = { signature: d.signature, 'signature-algorithm': 'SHA256withRSA' };
  if (backfillGeneratedMs !== undefined) meta['backfill-generation-timestamp'] = isoSec(backfillGeneratedMs);
  return (
    JSON.stringify(
      {
        AcceptRanges: 'bytes',
        LastModified: new Date(d.endMs + 5 * 60_000).toUTCString().replace('GMT', '+0000'),
        ContentLength: d.gz.length,
        ETag: `"${createHash('md5').update(d.gz).digest('hex')}"`,
        ContentType: 'application/json',
        ContentEncoding: 'gzip',
        ServerSideEncryption: 'AES256',
        Metadata: meta,
      },
      null,
      4,
    ) + '\n'
  );
}

export interface ChainSpec extends TrailSpec {
  /** Start of the first digest's hour. */
  startMs: number;
  hours: number;
  /** Log files, each listed by the digest of the hour its name time falls in. */
  logs: LogObject[];
  /** The key that signs the digest ending at `endMs`. */
  keyFor: (endMs: number) => SigningKey;
  /** The first digest continues a chain (previous fields set to this) instead of starting one. */
  previous?: { key: string; sha256: string; signature: string };
  /** How the signing string's lines are joined (tests pass `\r\n` to show it must not verify). */
  join?: string;
  /** Late log files, listed by a `_backfill` digest of the given hour, generated at `generatedMs`. */
  backfills?: { hour: number; logs: LogObject[]; generatedMs: number }[];
}

function digestBody(spec: ChainSpec, key: SigningKey, s3Key: string, startMs: number, endMs: number, logs: LogObject[], previous: ChainSpec['previous'] | null): string {
  const files = logs.map((l) => {
    const t = eventTimes(l.content);
    return { s3Bucket: spec.bucket, s3Object: l.key, hashValue: sha256Hex(l.content), hashAlgorithm: 'SHA-256', newestEventTime: t.newest, oldestEventTime: t.oldest };
  });
  const times = files.flatMap((f) => [f.newestEventTime, f.oldestEventTime]).filter((t): t is string => t !== null).sort();
  return JSON.stringify({
    awsAccountId: spec.account,
    digestStartTime: isoSec(startMs),
    digestEndTime: isoSec(endMs),
    digestS3Bucket: spec.bucket,
    digestS3Object: s3Key,
    digestPublicKeyFingerprint: key.fingerprint,
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: times[times.length - 1] ?? null,
    oldestEventTime: times[0] ?? null,
    previousDigestS3Bucket: previous ? spec.bucket : null,
    previousDigestS3Object: previous?.key ?? null,
    previousDigestHashValue: previous?.sha256 ?? null,
    previousDigestHashAlgorithm: previous ? 'SHA-256' : null,
    previousDigestSignature: previous?.signature ?? null,
    logFiles: files,
  });
}

/** One trail stream's hourly digests (a chain), plus its backfill digests. */
export function buildDigestChain(spec: ChainSpec): BuiltDigest[] {
  const out: BuiltDigest[] = [];
  let previous = spec.previous ?? null;
  for (let h = 0; h < spec.hours; h++) {
    const startMs = spec.startMs + h * HOUR_MS;
    const endMs = startMs + HOUR_MS;
    const key = spec.keyFor(endMs);
    const s3Key = digestKey(spec, endMs);
    const body = digestBody(spec, key, s3Key, startMs, endMs, spec.logs.filter((l) => l.nameMs >= startMs && l.nameMs < endMs), previous);
    const signature = signDigest(key, body, isoSec(endMs), spec.bucket, s3Key, previous?.signature ?? null, spec.join);
    const gz = gzipSync(body);
    out.push({ key: s3Key, body, gz, signature, startMs, endMs, backfill: false, headObject: headObjectJson({ gz, signature, endMs }) });
    previous = { key: s3Key, sha256: sha256Hex(body), signature };
  }
  for (const b of spec.backfills ?? []) {
    const startMs = spec.startMs + b.hour * HOUR_MS;
    const endMs = startMs + HOUR_MS;
    const key = spec.keyFor(b.generatedMs);
    const s3Key = digestKey(spec, endMs, true);
    const body = digestBody(spec, key, s3Key, startMs, endMs, b.logs, null);
    const signature = signDigest(key, body, isoSec(endMs), spec.bucket, s3Key, null, spec.join);
    const gz = gzipSync(body);
    out.push({ key: s3Key, body, gz, signature, startMs, endMs, backfill: true, headObject: headObjectJson({ gz, signature, endMs }, b.generatedMs) });
  }
  return out;
}
