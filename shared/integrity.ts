/**
 * Results of offline CloudTrail log-file integrity validation (electron/engine/integrity/verify.ts): plain data,
 * stored as JSON with each verification, shown by the CLI, the reports and the app's Integrity panel.
 * Every string in here may come from the evidence (file names, S3 keys): render as text only.
 */

/** failure: something is wrong with the evidence; gap: something is not covered; note: context. */
export type Severity = 'failure' | 'gap' | 'note';

export type FindingKind =
  | 'log-hash-mismatch'
  | 'log-missing'
  | 'log-unreadable'
  | 'log-not-listed'
  | 'gzip-trailing-data'
  | 'gzip-not-checked'
  | 'digest-invalid'
  | 'digest-missing'
  | 'digest-chain-mismatch'
  | 'digest-conflict'
  | 'digest-moved'
  | 'digest-location-unknown'
  | 'chain-restart'
  | 'chain-before-bundle'
  | 'signature-failed'
  | 'signature-unavailable'
  | 'key-not-found'
  | 'key-wrong-region'
  | 'key-not-valid-at'
  | 'key-validity-unreadable'
  | 'key-fingerprint-mismatch'
  | 'key-unusable'
  | 'keys-none-for-region'
  | 'keys-region-unknown'
  | 'head-object-unmatched';

export interface Finding {
  severity: Severity;
  kind: FindingKind;
  /** One sentence naming the file and the digest concerned. */
  message: string;
  /** The evidence file concerned (path), when there is one in the bundle. */
  file?: string;
  /** The digest concerned: its S3 key (as the digest names itself or as its successor names it). */
  digest?: string;
}

/**
 * What is proven about one file. authenticated: its bytes are those CloudTrail recorded, proven by a signature
 * (directly or through the hash chain) with a supplied AWS key. consistent: hashes agree, but nothing proves who
 * wrote them. failed: a check failed. not-covered: no digest in the bundle speaks for it. not-applicable: not a
 * file CloudTrail delivers to S3 (lookup-events exports, JSON Lines, Kubernetes output…).
 */
export type FileStatus = 'authenticated' | 'consistent' | 'failed' | 'not-covered' | 'not-applicable';

export type FileRole = 'log' | 'digest' | 'public-keys' | 'head-object' | 'other';

export interface FileResult {
  fileId: number;
  path: string;
  role: FileRole;
  status: FileStatus;
  /** One line: why this status. */
  detail: string;
}

export type SignatureStatus = 'verified' | 'failed' | 'unavailable' | 'no-keys' | 'key-problem';

export interface DigestResult {
  fileId: number;
  path: string;
  /** `<bucket>/<key>` as the digest names itself. */
  s3Path: string;
  stream: string;
  region: string | null;
  startTime: string;
  endTime: string;
  backfill: boolean;
  logFiles: number;
  /** start: a starting digest; linked: its predecessor is here and matches; previous-missing / previous-outside: not here. */
  chain: 'start' | 'linked' | 'previous-missing' | 'previous-outside-bundle' | 'previous-mismatch' | 'not-in-chain';
  signature: SignatureStatus;
  /** How it is authenticated, when it is: its own signature, or the hash recorded by an authenticated successor. */
  authenticatedBy: 'signature' | 'chain' | null;
  status: FileStatus;
  detail: string;
}

export interface StreamResult {
  /** `<account> <region> <trail>` (with the organization id for organization trails). */
  label: string;
  region: string | null;
  digests: number;
  firstStart: string;
  lastEnd: string;
  /** End of the newest digest up to which every digest of the stream is authenticated; null if none is. */
  authenticatedTo: string | null;
}

export interface KeyResult {
  source: string;
  region: string | null;
  fingerprint: string;
  /** The fingerprint the list claims; differs from `fingerprint` (MD5 of the DER bytes) when the list lies. */
  claimedFingerprint: string | null;
  validityStart: string | null;
  validityEnd: string | null;
  /** Why the validity could not be read (the key then verifies nothing); null when it was. */
  validityProblem?: string | null;
  encoding: 'pkcs1' | 'spki' | null;
  usedBy: number;
}

export type Verdict = 'failed' | 'authenticated' | 'partly-authenticated' | 'consistent' | 'nothing-to-verify';

export interface IntegrityCounts {
  digests: number;
  digestsAuthenticated: number;
  digestsFailed: number;
  digestsMissing: number;
  logFiles: number;
  logsAuthenticated: number;
  logsConsistent: number;
  logsFailed: number;
  logsNotCovered: number;
  logsMissing: number;
  otherFiles: number;
  failures: number;
  gaps: number;
}

export interface IntegrityResult {
  verdict: Verdict;
  /** "consistent, not authenticated", "authenticated to <time>", "FAILED: …" — the words to show first. */
  headline: string;
  /** Plain statements of what this verification proves, and what it does not. */
  proves: string[];
  doesNotProve: string[];
  authenticatedTo: string | null;
  counts: IntegrityCounts;
  streams: StreamResult[];
  digests: DigestResult[];
  files: FileResult[];
  findings: Finding[];
  keys: KeyResult[];
  /** Highest evidence-file id verified: files added later are not covered by this verification. */
  filesUpTo: number;
}

/** A file's integrity status in words (reports, the app). `not-verified`: the case has no verification covering it. */
export function fileStatusWords(status: FileStatus | 'not-verified'): string {
  switch (status) {
    case 'authenticated':
      return 'authenticated';
    case 'consistent':
      return 'consistent, not authenticated';
    case 'failed':
      return 'FAILED';
    case 'not-covered':
      return 'not covered by any digest';
    case 'not-applicable':
      return 'not a CloudTrail S3 delivery: digests say nothing about it';
    case 'not-verified':
      return 'not verified';
  }
}
