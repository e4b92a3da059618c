/**
 * The digest chains: which digest files the case holds, where they were found, which trail stream each belongs
 * to, and how they link (`previousDigestS3Object` names the one before; `previousDigestHashValue` is the SHA-256
 * of its decompressed bytes). Missing digests are counted by time, not only by broken links: aws-cli reported
 * two consecutive deleted digests as one (aws/aws-cli#7054).
 */
import { digestLocation, parseDigest, streamOf, isoOrNull, type Digest, type Location } from './digest';
import type { HeadObject } from './head-object';
import type { Findings } from './findings';
import type { DigestResult, FileInput, SignatureStatus } from './types';

const HOUR_MS = 3_600_000;

export interface DigestEntry {
  file: FileInput;
  digest: Digest;
  /** `<bucket>/<key>` as the digest names itself. */
  s3Path: string;
  /** SHA-256 of the decompressed digest bytes (what the next digest and the signature cover). */
  sha256: string;
  location: Location;
  /** The key used in the signing string: where the file was found when the bundle keeps the layout. */
  signedKey: string;
  stream: ReturnType<typeof streamOf>;
  backfill: boolean;
  head: HeadObject | null;
  successor: DigestEntry | null;
  /** The next digest that names this one as its predecessor, whether or not the hash it recorded matches. */
  namedBy: DigestEntry | null;
  chain: DigestResult['chain'];
  signature: SignatureStatus;
  authenticatedBy: 'signature' | 'chain' | null;
  /** Failed checks (each also a finding); any one fails the digest. */
  failures: string[];
  /** Identical copies of this digest elsewhere in the bundle. */
  copies: FileInput[];
}

export interface Stream {
  id: string;
  label: string;
  region: string | null;
  scope: string | null;
  /** Non-backfill digests, oldest first. */
  chain: DigestEntry[];
  backfills: DigestEntry[];
}

/** The inflated bytes' hash: the manifest's decompressed hash for gzip, the raw hash otherwise. */
export function contentHash(f: FileInput): string | null {
  if (f.compression === 'gzip') return f.sha256Decompressed;
  return f.sha256 || null;
}

/** Parse every digest document into an entry; the unusable ones become findings. */
export function digestEntries(files: Map<number, FileInput>, docs: { fileId: number; raw: string }[], findings: Findings): { entries: DigestEntry[]; invalid: Map<number, string> } {
  const invalid = new Map<number, string>();
  const perFile = new Map<number, number>();
  for (const d of docs) perFile.set(d.fileId, (perFile.get(d.fileId) ?? 0) + 1);
  const entries: DigestEntry[] = [];
  for (const doc of docs) {
    const file = files.get(doc.fileId);
    if (!file) continue;
    const parsed = parseDigest(doc.raw);
    const hash = contentHash(file);
    const problem =
      typeof parsed === 'string' ? parsed : (perFile.get(file.id) ?? 0) > 1 ? 'the file holds several digests, so its hash is no digest\'s hash' : hash === null ? 'no hash of its decompressed bytes' : null;
    if (problem !== null || typeof parsed === 'string') {
      if (!invalid.has(file.id)) findings.add('failure', 'digest-invalid', `${file.path}: not a valid CloudTrail digest (${problem})`, { file: file.path });
      invalid.set(file.id, problem ?? 'invalid');
      continue;
    }
    const location = digestLocation(file.path, parsed.digestS3Object);
    entries.push({
      file,
      digest: parsed,
      s3Path: `${parsed.digestS3Bucket}/${parsed.digestS3Object}`,
      sha256: hash!,
      location,
      signedKey: location.kind === 'moved' ? location.observedKey : parsed.digestS3Object,
      stream: streamOf(parsed.digestS3Bucket, parsed.digestS3Object),
      backfill: /_backfill\.json(\.gz)?$/.test(parsed.digestS3Object),
      head: null,
      successor: null,
      namedBy: null,
      chain: 'not-in-chain',
      signature: 'unavailable',
      authenticatedBy: null,
      failures: [],
      copies: [],
    });
  }
  return { entries, invalid };
}

export function fail(e: DigestEntry, findings: Findings, kind: Parameters<Findings['add']>[1], message: string): void {
  e.failures.push(message);
  findings.add('failure', kind, message, { file: e.file.path, digest: e.s3Path });
}

/**
 * One entry per digest object: identical copies fold into one; different files claiming the same object are a
 * conflict (the one the next digest's hash vouches for is kept, the others fail).
 */
export function foldCopies(entries: DigestEntry[], findings: Findings): DigestEntry[] {
  const vouched = new Set<string>();
  for (const e of entries) if (e.digest.previousDigestHashValue) vouched.add(`${e.digest.previousDigestS3Bucket}/${e.digest.previousDigestS3Object}|${e.digest.previousDigestHashValue}`);
  const groups = new Map<string, DigestEntry[]>();
  for (const e of entries) groups.set(e.s3Path, [...(groups.get(e.s3Path) ?? []), e]);
  const out: DigestEntry[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => Number(vouched.has(`${b.s3Path}|${b.sha256}`)) - Number(vouched.has(`${a.s3Path}|${a.sha256}`)) || a.file.id - b.file.id);
    const primary = group[0]!;
    out.push(primary);
    for (const other of group.slice(1)) {
      if (other.sha256 === primary.sha256) primary.copies.push(other.file);
      else {
        fail(other, findings, 'digest-conflict', `${other.file.path} and ${primary.file.path} both claim to be digest ${other.s3Path}, with different content`);
        out.push(other);
      }
    }
  }
  return out;
}

export function groupStreams(entries: DigestEntry[]): Stream[] {
  const streams = new Map<string, Stream>();
  for (const e of entries) {
    let s = streams.get(e.stream.id);
    if (!s) streams.set(e.stream.id, (s = { ...e.stream, chain: [], backfills: [] }));
    (e.backfill ? s.backfills : s.chain).push(e);
  }
  for (const s of streams.values()) s.chain.sort((a, b) => a.digest.endMs - b.digest.endMs || a.file.id - b.file.id);
  return [...streams.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/** Check each digest's location against the key it names. */
export function checkLocations(entries: DigestEntry[], findings: Findings): void {
  for (const e of entries) {
    if (e.location.kind === 'moved') {
      fail(e, findings, 'digest-moved', `${e.file.path} is not at ${e.digest.digestS3Object}, where digest ${e.s3Path} says it was written: it has been moved from its original location`);
    } else if (e.location.kind === 'unknown') {
      findings.add('note', 'digest-location-unknown', `${e.file.path}: the bundle keeps neither the S3 key nor the file name of digest ${e.s3Path}; its location is not checked`, { file: e.file.path, digest: e.s3Path });
    }
  }
}

/** Link each stream's digests through `previousDigest*`, and account for every hour between them. */
export function linkChain(stream: Stream, byPath: Map<string, DigestEntry>, findings: Findings): number {
  let missing = 0;
  stream.chain.forEach((d, i) => {
    const older = i > 0 ? stream.chain[i - 1]! : null;
    const prevKey = d.digest.previousDigestS3Object;
    if (!prevKey) {
      d.chain = 'start';
      if (older) {
        findings.add(
          'gap',
          'chain-restart',
          `the chain restarts at ${d.s3Path} (a starting digest: log file validation or logging was turned off, then on); no digest covers ${older.digest.digestEndTime} to ${d.digest.digestStartTime}`,
          { file: d.file.path, digest: d.s3Path },
        );
      }
      return;
    }
    const prevPath = `${d.digest.previousDigestS3Bucket}/${prevKey}`;
    const prev = byPath.get(prevPath);
    if (!prev) {
      if (!older) {
        d.chain = 'previous-outside-bundle';
        findings.add('note', 'chain-before-bundle', `the chain continues before the bundle: ${d.s3Path} names ${prevPath}, which was not collected; the chain is checked from ${d.digest.digestStartTime}`, { digest: d.s3Path });
        return;
      }
      d.chain = 'previous-missing';
      const n = Math.max(1, Math.round((d.digest.startMs - older.digest.endMs) / HOUR_MS));
      missing += n;
      const what = n === 1 ? 'a digest is missing' : `${n} consecutive digests are missing`;
      // The failure is the absent predecessor's, not this digest's own: its status stays with its own checks.
      findings.add(
        'failure',
        'digest-missing',
        `${what}: ${d.s3Path} names ${prevPath} as the digest before it, which is not in the bundle; nothing covers ${older.digest.digestEndTime} to ${d.digest.digestStartTime} (after ${older.s3Path})`,
        { digest: prevPath },
      );
      return;
    }
    prev.namedBy ??= d;
    if (d.digest.previousDigestHashValue !== prev.sha256) {
      d.chain = 'previous-mismatch';
      fail(prev, findings, 'digest-chain-mismatch', `${prev.file.path}: SHA-256 of digest ${prev.s3Path} is ${prev.sha256}, but the next digest ${d.s3Path} recorded ${d.digest.previousDigestHashValue ?? 'none'}: it has changed since CloudTrail wrote it`);
      return;
    }
    if (prev.successor) {
      fail(d, findings, 'digest-conflict', `${d.s3Path} and ${prev.successor.s3Path} both name ${prev.s3Path} as the digest before them`);
      return;
    }
    d.chain = 'linked';
    prev.successor = d;
  });
  return missing;
}

export { isoOrNull };
