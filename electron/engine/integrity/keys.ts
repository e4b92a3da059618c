/**
 * CloudTrail public keys, from `aws cloudtrail list-public-keys` output. `Value` is the DER key, base64 in the
 * CLI's output; AWS documents it as PKCS#1, and the AWS sample output mixes PKCS#1 (`MIIBCgKCAQEA…`) and
 * SubjectPublicKeyInfo (`MIIBIjANBgkq…`), so both are accepted. The key's identity is checked, not trusted: its
 * fingerprint is the lowercase hex MD5 of the DER bytes (true of the three AWS sample keys), which is what a
 * digest's `digestPublicKeyFingerprint` names. Keys are per region ("you must retrieve its public key from the
 * same region"), and the output does not say which region it came from: the user says so.
 *
 * Validity times come in every form AWS has printed them: ISO 8601 with a zone (AWS CLI v2,
 * `2015-07-08T01:04:01+00:00`), epoch seconds as a JSON number (the API's wire format, `--cli-timestamp-format none`)
 * or as a string (`"1436317441.0"`, the sample in AWS's user guide, whose list is also spelled `publicKeyList`).
 * A validity that cannot be read — missing, a time without a zone, anything else — is never taken as "open": the key
 * is unusable for the digests it must verify (fail closed), and the finding says what was found.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { arr, obj, str } from '../util/json';
import { isoOrNull, normalizePath } from './digest';
import { parseRecordTime } from '../util/time';
import { publicKeyListOf } from './documents';

export interface PublicKey {
  source: string;
  region: string | null;
  /** MD5 of the DER bytes (lowercase hex). */
  fingerprint: string;
  claimedFingerprint: string | null;
  validFromMs: number | null;
  validToMs: number | null;
  /** Why ValidityStartTime / ValidityEndTime could not be read (then the key verifies nothing); null when both were. */
  validityProblem: string | null;
  key: KeyObject | null;
  encoding: 'pkcs1' | 'spki' | null;
  /** Why the key could not be loaded, when it could not. */
  problem: string | null;
}

/** Epoch seconds (or milliseconds, for values too large to be seconds: after the year 33658). */
function epochMs(n: number): number {
  return n < 1e12 ? n * 1000 : n;
}

/** A validity time as `list-public-keys` printed it → epoch ms, or why it cannot be read. */
export function readValidityTime(v: unknown): { ms: number } | { problem: string } {
  if (v === undefined || v === null) return { problem: v === null ? 'null' : 'missing' };
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? { ms: epochMs(v) } : { problem: `the number ${v}` };
  if (typeof v !== 'string') return { problem: `${Array.isArray(v) ? 'an array' : typeof v}, not a time` };
  const text = v.trim();
  if (/^\d{1,16}(\.\d+)?$/.test(text)) return { ms: Math.round(epochMs(Number(text))) };
  const t = parseRecordTime(text);
  if (!t) return { problem: `${JSON.stringify(text.slice(0, 64))} is not a time (expected ISO 8601 with a zone, or epoch seconds)` };
  if (t.zoneless) return { problem: `${JSON.stringify(text.slice(0, 64))} has no time zone` };
  return { ms: t.ms };
}

export function loadDerKey(der: Buffer): { key: KeyObject; encoding: 'pkcs1' | 'spki' } | null {
  for (const type of ['pkcs1', 'spki'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType === 'rsa') return { key, encoding: type };
    } catch {
      // not this encoding
    }
  }
  return null;
}

export function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** The keys of one `list-public-keys` output; a string says why the whole document is unusable. */
export function parsePublicKeys(raw: string, source: string, region: string | null): PublicKey[] | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  const list = publicKeyListOf(value);
  if (!list) return 'no PublicKeyList array: not `aws cloudtrail list-public-keys` output';
  return arr(list).map((entry, i) => {
    const e = obj(entry);
    const b64 = str(e?.Value);
    const der = b64 && /^[A-Za-z0-9+/=\s]+$/.test(b64) ? Buffer.from(b64, 'base64') : null;
    const loaded = der && der.length > 0 ? loadDerKey(der) : null;
    const from = readValidityTime(e?.ValidityStartTime);
    const to = readValidityTime(e?.ValidityEndTime);
    const problems = [
      ...('problem' in from ? [`ValidityStartTime ${from.problem}`] : []),
      ...('problem' in to ? [`ValidityEndTime ${to.problem}`] : []),
    ];
    return {
      source,
      region,
      fingerprint: der ? md5Hex(der) : `(entry ${i}: no key)`,
      claimedFingerprint: str(e?.Fingerprint)?.toLowerCase() ?? null,
      validFromMs: 'ms' in from ? from.ms : null,
      validToMs: 'ms' in to ? to.ms : null,
      validityProblem: problems.length > 0 ? `entry ${i}: ${problems.join('; ')}` : null,
      key: loaded?.key ?? null,
      encoding: loaded?.encoding ?? null,
      problem: !der ? `entry ${i}: Value is not base64` : loaded ? null : `entry ${i}: not a PKCS#1 or SPKI DER RSA public key`,
    };
  });
}

const REGION_IN_PATH = /(?:^|[^a-z0-9])((?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov|-iso[a-z]?)?-[a-z]+-\d)(?=$|[^a-z0-9])/g;

/**
 * The region a key list was exported from, read from its path: the last AWS region name in it
 * (`keys/us-east-1/list-public-keys.json`, `list-public-keys-eu-west-1.json`). Null when the path names none.
 */
export function regionFromPath(path: string): string | null {
  let last: string | null = null;
  for (const m of normalizePath(path).toLowerCase().matchAll(REGION_IN_PATH)) last = m[1]!;
  return last;
}

export function validityText(k: Pick<PublicKey, 'validFromMs' | 'validToMs'>): string {
  return `${isoOrNull(k.validFromMs) ?? 'unreadable'} to ${isoOrNull(k.validToMs) ?? 'unreadable'}`;
}

/** Within its validity window; a bound that could not be read makes it valid nowhere (fail closed). */
export function validAt(k: PublicKey, ms: number): boolean {
  return k.validFromMs !== null && k.validToMs !== null && k.validFromMs <= ms && ms <= k.validToMs;
}

/** SHA256withRSA (PKCS#1 v1.5) over the UTF-8 signing string; the signature is hex as CloudTrail writes it. */
export function verifySignature(key: KeyObject, data: string, signatureHex: string): boolean {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(signatureHex)) return false;
  try {
    return verify('sha256', Buffer.from(data, 'utf8'), key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}

export type KeyChoice =
  | { kind: 'ok'; key: PublicKey }
  | { kind: 'no-keys' }
  | {
      kind: 'problem';
      finding: 'key-not-found' | 'key-wrong-region' | 'key-not-valid-at' | 'key-validity-unreadable' | 'key-fingerprint-mismatch' | 'key-unusable';
      message: string;
    };

/** The key that must have signed a digest of `region`, named by `fingerprint`, at `atMs`. */
export function chooseKey(keys: PublicKey[], region: string | null, fingerprint: string, atMs: number): KeyChoice {
  if (keys.length === 0) return { kind: 'no-keys' };
  const inRegion = keys.filter((k) => region !== null && k.region === region);
  const named = inRegion.filter((k) => k.fingerprint === fingerprint);
  if (named.length === 0) {
    const elsewhere = keys.find((k) => k.fingerprint === fingerprint);
    if (elsewhere) {
      return {
        kind: 'problem',
        finding: 'key-wrong-region',
        message: `the key with fingerprint ${fingerprint} was supplied for region ${elsewhere.region ?? 'unknown'} (${elsewhere.source}), but the digest is from ${region ?? 'an unknown region'}: CloudTrail keys are per region`,
      };
    }
    const liar = inRegion.find((k) => k.claimedFingerprint === fingerprint);
    if (liar) {
      return {
        kind: 'problem',
        finding: 'key-fingerprint-mismatch',
        message: `${liar.source} lists a key as fingerprint ${fingerprint}, but the MD5 of that key's DER bytes is ${liar.fingerprint}: it is not the key the digest names`,
      };
    }
    if (inRegion.length === 0) return { kind: 'no-keys' };
    return { kind: 'problem', finding: 'key-not-found', message: `public key not found in region ${region} for fingerprint ${fingerprint}` };
  }
  const readable = named.filter((k) => k.validityProblem === null);
  if (readable.length === 0) {
    const k = named[0]!;
    return {
      kind: 'problem',
      finding: 'key-validity-unreadable',
      message: `the validity of key ${fingerprint} in ${k.source} cannot be read (${k.validityProblem}): it cannot be shown that the key was valid at ${isoOrNull(atMs)} when the digest was signed, so it verifies nothing`,
    };
  }
  const valid = readable.filter((k) => validAt(k, atMs));
  if (valid.length === 0) {
    return {
      kind: 'problem',
      finding: 'key-not-valid-at',
      message: `key ${fingerprint} is valid ${validityText(readable[0]!)}, not at ${isoOrNull(atMs)} when the digest was signed`,
    };
  }
  const usable = valid.find((k) => k.key);
  if (!usable) return { kind: 'problem', finding: 'key-unusable', message: `key ${fingerprint} could not be loaded (${valid[0]!.problem})` };
  return { kind: 'ok', key: usable };
}
