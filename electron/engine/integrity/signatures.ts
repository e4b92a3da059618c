/**
 * Digest signatures and what they authenticate. A digest's own signature is the next digest's
 * `previousDigestSignature`, or — for the newest digest, and for backfill digests, which nothing follows — only
 * its S3 object metadata (a saved `head-object` output). A verified signature authenticates the digest's bytes;
 * an authenticated digest's `previousDigestHashValue` then authenticates the one before it, back down the chain.
 */
import { signingString, isoOrNull } from './digest';
import { chooseKey, verifySignature, type PublicKey } from './keys';
import { fail, type DigestEntry, type Stream } from './chain';
import type { Findings } from './findings';
import type { StreamResult } from './types';

const ALGORITHM = 'SHA256withRSA';

interface Source {
  signature: string;
  from: string;
  algorithm: string | null;
}

function sources(d: DigestEntry): Source[] {
  const out: Source[] = [];
  // The next digest's recorded signature is checked even when the hash it recorded does not match: it then shows
  // independently that these bytes are not the ones CloudTrail signed.
  const next = d.successor ?? d.namedBy;
  if (next?.digest.previousDigestSignature) out.push({ signature: next.digest.previousDigestSignature, from: `the next digest ${next.s3Path}`, algorithm: null });
  if (d.head) out.push({ signature: d.head.signature, from: `head-object output ${d.head.path}`, algorithm: d.head.algorithm });
  return out;
}

/** Check every digest's signature(s) with the supplied keys. */
export function checkSignatures(entries: DigestEntry[], keys: PublicKey[], findings: Findings): void {
  const regionsWithoutKeys = new Set<string>();
  for (const d of entries) {
    const srcs = sources(d);
    if (srcs.length === 0) {
      d.signature = 'unavailable';
      continue;
    }
    const signedAt = d.backfill && d.head?.backfillGeneratedMs ? d.head.backfillGeneratedMs : d.digest.endMs;
    const choice = chooseKey(keys, d.stream.region, d.digest.digestPublicKeyFingerprint, signedAt);
    if (choice.kind === 'no-keys') {
      d.signature = 'no-keys';
      if (keys.length > 0) regionsWithoutKeys.add(d.stream.region ?? 'an unknown region');
      continue;
    }
    if (choice.kind === 'problem') {
      d.signature = 'key-problem';
      fail(d, findings, choice.finding, `digest ${d.s3Path} (${d.file.path}): ${choice.message}`);
      continue;
    }
    const data = signingString(d.digest, d.signedKey, d.sha256);
    let verified = 0;
    for (const s of srcs) {
      const algorithm = s.algorithm ?? d.digest.digestSignatureAlgorithm ?? ALGORITHM;
      const ok = algorithm === ALGORITHM && verifySignature(choice.key.key!, data, s.signature);
      if (ok) verified++;
      else {
        const why = algorithm === ALGORITHM ? '' : ` (algorithm ${algorithm} is not ${ALGORITHM})`;
        fail(d, findings, 'signature-failed', `signature verification failed for digest ${d.s3Path} (${d.file.path}) with the signature from ${s.from}${why}`);
      }
    }
    d.signature = verified === srcs.length ? 'verified' : 'failed';
  }
  for (const region of [...regionsWithoutKeys].sort()) {
    findings.add('note', 'keys-none-for-region', `no public keys were supplied for ${region}: its digests are consistent at best, not authenticated (keys are per region)`);
  }
}

/** Newest first: a verified signature authenticates a digest; an authenticated successor that links to it does too. */
export function authenticate(streams: Stream[]): void {
  for (const s of streams) {
    for (const d of [...s.chain].reverse()) {
      if (d.failures.length > 0) continue;
      if (d.signature === 'verified') d.authenticatedBy = 'signature';
      else if (d.successor?.authenticatedBy && d.successor.chain === 'linked') d.authenticatedBy = 'chain';
    }
    for (const b of s.backfills) if (b.failures.length === 0 && b.signature === 'verified') b.authenticatedBy = 'signature';
  }
}

export function streamResult(s: Stream): StreamResult {
  const chain = s.chain.length > 0 ? s.chain : s.backfills;
  let authenticatedTo: string | null = null;
  for (const d of s.chain) {
    if (!d.authenticatedBy) break;
    authenticatedTo = d.digest.digestEndTime;
  }
  return {
    label: s.label,
    region: s.region,
    digests: s.chain.length + s.backfills.length,
    firstStart: isoOrNull(Math.min(...chain.map((d) => d.digest.startMs)))!,
    lastEnd: isoOrNull(Math.max(...chain.map((d) => d.digest.endMs)))!,
    authenticatedTo,
  };
}

/** Notes for digests whose signature nothing in the bundle carries (the newest of each chain, backfills). */
export function noteUnsigned(streams: Stream[], findings: Findings, haveKeys: boolean): void {
  if (!haveKeys) return;
  for (const s of streams) {
    for (const d of [...s.chain, ...s.backfills]) {
      if (d.signature !== 'unavailable') continue;
      const what = d.backfill ? 'backfill digest' : d === s.chain[s.chain.length - 1] ? 'newest digest' : 'digest';
      const name = d.file.path.split(/[\\/]/).pop();
      findings.add(
        'note',
        'signature-unavailable',
        `the ${what} ${d.s3Path} is signed only in its S3 object metadata, which is not in the bundle: it and the log files it lists are consistent, not authenticated (save \`aws s3api head-object\` output for it as ${name}.head-object.json)`,
        { file: d.file.path, digest: d.s3Path },
      );
    }
  }
}
