/** Identifier and time formats, shaped like the real ones in CloudTrail. */

import type { Rng } from './rng';

export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Access-key / unique-id alphabet (base32: A–Z, 2–7), as in `ASIATFQR7NSC36DZQP7P`. */
export const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Kubernetes `rand.SafeEncodeString` alphabet, used for pod-template hashes and pod name suffixes. */
export const K8S = 'bcdfghjklmnpqrstvwxz2456789';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function accountId(rng: Rng): string {
  return String(rng.between(1, 9)) + rng.chars('0123456789', 11);
}

/** The 8 characters after the 4-letter prefix that every key / unique id of one account shares. */
export function accountKeyPrefix(rng: Rng): string {
  return rng.chars(B32, 8);
}

export const ids = {
  tempKey: (rng: Rng, prefix: string): string => `ASIA${prefix}${rng.chars(B32, 8)}`,
  userKey: (rng: Rng, prefix: string): string => `AKIA${prefix}${rng.chars(B32, 8)}`,
  roleId: (rng: Rng, prefix: string): string => `AROA${prefix}${rng.chars(B32, 9)}`,
  userId: (rng: Rng, prefix: string): string => `AIDA${prefix}${rng.chars(B32, 9)}`,
  instanceId: (rng: Rng): string => `i-0${rng.hex(16)}`,
  oidcId: (rng: Rng): string => rng.hex(32).toUpperCase(),
  podHash: (rng: Rng): string => rng.chars(K8S, 10),
  podSuffix: (rng: Rng): string => rng.chars(K8S, 5),
  s3RequestId: (rng: Rng): string => rng.chars(UPPER_ALNUM, 16),
  fileSuffix: (rng: Rng): string => rng.chars(ALNUM, 16),
  orgId: (rng: Rng): string => `o-${rng.chars(LOWER_ALNUM, 10)}`,
  vpce: (rng: Rng): string => `vpce-0${rng.hex(16)}`,
  xAmzId2: (rng: Rng): string => `${rng.chars(B64, 75)}=`,
  /** An STS session token: base64 of a protobuf blob, always starting `IQoJb3JpZ2luX2Vj`. */
  sessionToken: (rng: Rng): string => {
    const n = 4 * rng.between(150, 230);
    return `IQoJb3JpZ2luX2Vj${rng.chars(B64, n - 17)}=`;
  },
};

// ---- time -----------------------------------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** CloudTrail `eventTime`: `2026-03-02T00:00:00Z`. */
export function isoSec(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** STS expiration as CloudTrail prints it in most records: `Mar 2, 2026, 1:43:26 PM` (UTC). */
export function stsExpiration(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return (
    `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ` +
    `${h12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`
  );
}

/** The ISO form of an STS expiration seen in some records: `2026-03-02T01:43:26+00:00`. */
export function stsExpirationIso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + '+00:00';
}

/** A local wall-clock time with its UTC offset, as `aws cloudtrail lookup-events` prints it. */
export function localIso(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `YYYYMMDDTHHmmZ` (CloudTrail log file names). */
export function compactMinute(ms: number): string {
  const s = new Date(ms).toISOString();
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}T${s.slice(11, 13)}${s.slice(14, 16)}Z`;
}

/** `YYYYMMDDTHHmmssZ` (CloudTrail digest file names). */
export function compactSecond(ms: number): string {
  const s = new Date(ms).toISOString();
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}T${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z`;
}

/** `YYYY/MM/DD` (S3 key prefix). */
export function datePath(ms: number): string {
  const s = new Date(ms).toISOString();
  return `${s.slice(0, 4)}/${s.slice(5, 7)}/${s.slice(8, 10)}`;
}
