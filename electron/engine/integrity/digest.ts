/**
 * CloudTrail digest files: their fields, where they sit in the bucket, and the exact string their signature
 * covers. Field list and key layout: AWS CloudTrail User Guide, "CloudTrail digest file structure"; signing
 * string: "Custom implementations of CloudTrail log file integrity validation" and aws-cli
 * `Sha256RSADigestValidator._create_string_to_sign`.
 */
import { obj, str, arr } from '../util/json';
import { parseEventTime } from '../util/time';

export interface LoggedFile {
  s3Bucket: string;
  s3Object: string;
  hashValue: string;
}

export interface Digest {
  awsAccountId: string | null;
  digestStartTime: string;
  digestEndTime: string;
  startMs: number;
  endMs: number;
  digestS3Bucket: string;
  digestS3Object: string;
  digestPublicKeyFingerprint: string;
  digestSignatureAlgorithm: string | null;
  previousDigestS3Bucket: string | null;
  previousDigestS3Object: string | null;
  previousDigestHashValue: string | null;
  previousDigestSignature: string | null;
  logFiles: LoggedFile[];
}

/** Parse a digest document; a string says what is wrong with it. */
export function parseDigest(raw: string): Digest | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  const o = obj(value);
  if (!o) return 'not a JSON object';
  const need = ['digestStartTime', 'digestEndTime', 'digestS3Bucket', 'digestS3Object', 'digestPublicKeyFingerprint'] as const;
  for (const f of need) if (typeof o[f] !== 'string') return `${f}: missing or not a string`;
  // aws-cli requires the key to be present even in a starting digest, where it is null.
  if (!('previousDigestSignature' in o)) return 'previousDigestSignature: missing';
  if (!Array.isArray(o.logFiles)) return 'logFiles: missing or not an array';
  const startMs = parseEventTime(o.digestStartTime as string);
  const endMs = parseEventTime(o.digestEndTime as string);
  if (Number.isNaN(startMs) || Number.isNaN(endMs)) return 'digestStartTime / digestEndTime: not an ISO 8601 UTC time';
  const logFiles: LoggedFile[] = [];
  for (const [i, f] of arr(o.logFiles).entries()) {
    const lf = obj(f);
    const s3Object = str(lf?.s3Object);
    const hashValue = str(lf?.hashValue);
    if (!lf || !s3Object || !hashValue) return `logFiles[${i}]: s3Object or hashValue missing`;
    logFiles.push({ s3Bucket: str(lf.s3Bucket) ?? '', s3Object, hashValue: hashValue.toLowerCase() });
  }
  const nullable = (v: unknown) => str(v) ?? null;
  return {
    awsAccountId: nullable(o.awsAccountId),
    digestStartTime: o.digestStartTime as string,
    digestEndTime: o.digestEndTime as string,
    startMs,
    endMs,
    digestS3Bucket: o.digestS3Bucket as string,
    digestS3Object: o.digestS3Object as string,
    digestPublicKeyFingerprint: (o.digestPublicKeyFingerprint as string).toLowerCase(),
    digestSignatureAlgorithm: nullable(o.digestSignatureAlgorithm),
    previousDigestS3Bucket: nullable(o.previousDigestS3Bucket),
    previousDigestS3Object: nullable(o.previousDigestS3Object),
    previousDigestHashValue: nullable(o.previousDigestHashValue)?.toLowerCase() ?? null,
    previousDigestSignature: nullable(o.previousDigestSignature),
    logFiles,
  };
}

const REGION = '[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\\d';

/**
 * `[prefix/]AWSLogs/[o-…/]<account>/CloudTrail-Digest/<region>/<y>/<m>/<d>/<account>_CloudTrail-Digest_<region>_<trail>_<home region>_<end>[_backfill].json.gz`
 * (organization trails insert the organization id; backfill digests end in `_backfill`).
 */
const DIGEST_KEY = new RegExp(
  `^(.*?)AWSLogs/(?:(o-[a-z0-9]+)/)?(\\d{12})/CloudTrail-Digest/(${REGION})/\\d{4}/\\d{2}/\\d{2}/\\3_CloudTrail-Digest_\\4_(.+)_(${REGION})_(\\d{8}T\\d{6}Z)(_backfill)?\\.json\\.gz$`,
);

/** `…AWSLogs/[o-…/]<account>/CloudTrail/<region>/<y>/<m>/<d>/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json[.gz]` */
const LOG_KEY = new RegExp(
  `AWSLogs/(?:(o-[a-z0-9]+)/)?(\\d{12})/CloudTrail(?:-Insight)?/(${REGION})/\\d{4}/\\d{2}/\\d{2}/\\2_CloudTrail(?:-Insight)?_\\3_(\\d{8}T\\d{4}Z)_[A-Za-z0-9]+\\.json(?:\\.gz)?$`,
);
const LOG_NAME = new RegExp(`^(\\d{12})_CloudTrail(?:-Insight)?_(${REGION})_(\\d{8}T\\d{4}Z)_[A-Za-z0-9]+\\.json(?:\\.gz)?$`);

export interface DigestKey {
  prefix: string;
  org: string | null;
  account: string;
  region: string;
  trail: string;
  homeRegion: string;
  backfill: boolean;
}

export function parseDigestKey(key: string): DigestKey | null {
  const m = DIGEST_KEY.exec(key);
  if (!m) return null;
  return { prefix: m[1]!, org: m[2] ?? null, account: m[3]!, region: m[4]!, trail: m[5]!, homeRegion: m[6]!, backfill: m[8] !== undefined };
}

/** The trail stream a digest belongs to: one chain per bucket, prefix, account, delivering region and trail. */
export function streamOf(bucket: string, key: string): { id: string; label: string; region: string | null; scope: string | null } {
  const k = parseDigestKey(key);
  if (!k) {
    const dir = key.slice(0, key.lastIndexOf('/') + 1);
    const region = new RegExp(`/CloudTrail-Digest/(${REGION})/`).exec(key)?.[1] ?? null;
    return { id: `${bucket}|${dir}`, label: `${bucket}/${dir}`, region, scope: null };
  }
  const scope = `${k.org ? `${k.org}/` : ''}${k.account}/${k.region}`;
  return {
    id: `${bucket}|${k.prefix}|${scope}|${k.trail}|${k.homeRegion}`,
    label: `${k.org ? `${k.org} ` : ''}${k.account} ${k.region} ${k.trail}`,
    region: k.region,
    scope,
  };
}

/** A log file's account/region scope (`[o-…/]<account>/<region>`) and the time in its name, from its path. */
export function logScope(path: string): { scope: string; nameMs: number } | null {
  const p = normalizePath(path);
  const m = LOG_KEY.exec(p);
  if (m) return { scope: `${m[1] ? `${m[1]}/` : ''}${m[2]}/${m[3]}`, nameMs: compactMinuteMs(m[4]!) };
  const n = LOG_NAME.exec(basename(p));
  if (n) return { scope: `${n[1]}/${n[2]}`, nameMs: compactMinuteMs(n[3]!) };
  return null;
}

/** Whether a file name is a CloudTrail log file name (a renamed or failed file can still be recognised by it). */
export function isCloudTrailLogName(path: string): boolean {
  return LOG_NAME.test(basename(normalizePath(path)));
}

function compactMinuteMs(s: string): number {
  return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11), +s.slice(11, 13));
}

/** Evidence paths use `/` (and `!/` inside archives); compare keys on that form. */
export function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/!\//g, '/');
}

export function basename(path: string): string {
  const p = normalizePath(path);
  return p.slice(p.lastIndexOf('/') + 1);
}

export function dirname(path: string): string {
  const p = normalizePath(path);
  return p.slice(0, p.lastIndexOf('/') + 1);
}

/** Is the evidence file at the S3 key (the bundle keeps the bucket layout below some folder)? */
export function pathIsKey(path: string, key: string): boolean {
  const p = normalizePath(path);
  return p === key || p.endsWith(`/${key}`);
}

export type Location =
  | { kind: 'at-key' }
  | { kind: 'moved'; observedKey: string }
  | { kind: 'by-name' }
  | { kind: 'unknown' };

/**
 * Where the digest file was found, against where it says it was written (aws-cli: "INVALID: has been moved from
 * its original location"). Offline the bucket is unknown, so the key is compared with the path: the bundle keeps
 * the layout (a path with `AWSLogs/`), or only the file name, or neither.
 */
export function digestLocation(path: string, key: string): Location {
  if (pathIsKey(path, key)) return { kind: 'at-key' };
  const p = normalizePath(path);
  const at = p.lastIndexOf('AWSLogs/');
  if (at === 0 || (at > 0 && p[at - 1] === '/')) {
    const prefix = key.slice(0, Math.max(0, key.indexOf('AWSLogs/')));
    return { kind: 'moved', observedKey: prefix + p.slice(at) };
  }
  return basename(p) === basename(key) ? { kind: 'by-name' } : { kind: 'unknown' };
}

/**
 * The string CloudTrail signs: `digestEndTime \n bucket/key \n hex(sha256(inflated digest bytes)) \n previous
 * signature or "null"`, joined with a bare `\n` (the AWS Java sample's `%n` is `\r\n` on Windows — a string joined
 * that way does not verify). The key is where the file was found (`digestLocation`), so a moved file fails.
 */
export function signingString(d: Pick<Digest, 'digestEndTime' | 'digestS3Bucket' | 'previousDigestSignature'>, key: string, digestSha256: string): string {
  return `${d.digestEndTime}\n${d.digestS3Bucket}/${key}\n${digestSha256}\n${d.previousDigestSignature ?? 'null'}`;
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null || Number.isNaN(ms) ? null : new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}
