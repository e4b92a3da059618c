/**
 * The words of a verification. The verdict says what was proven, not more: hashes that agree are "consistent,
 * not authenticated" (anyone able to write to the bucket can produce a consistent set); only a signature checked
 * with CloudTrail's own key for the region makes files "authenticated", and only up to the newest digest whose
 * signature the bundle holds.
 */
import type { DigestEntry } from './chain';
import type { Finding, IntegrityCounts, StreamResult, Verdict } from './types';

export function digestDetail(d: DigestEntry): string {
  if (d.failures.length > 0) return d.failures.join('; ');
  if (d.authenticatedBy === 'signature') return 'signature verified with the CloudTrail key for its region';
  if (d.authenticatedBy === 'chain') return 'authenticated through the chain: an authenticated later digest recorded its hash';
  switch (d.signature) {
    case 'no-keys':
      return 'consistent, not authenticated: no public key supplied for its region';
    case 'unavailable':
      return d.successor ? 'consistent, not authenticated' : 'consistent, not authenticated: its signature is only in its S3 metadata, not in the bundle';
    default:
      return 'consistent, not authenticated';
  }
}

const KIND_WORDS: Partial<Record<Finding['kind'], string>> = {
  'log-hash-mismatch': 'log file changed',
  'log-missing': 'log file missing',
  'log-unreadable': 'log file unreadable',
  'gzip-trailing-data': 'data appended after a gzip member',
  'digest-invalid': 'invalid digest',
  'digest-missing': 'digest missing',
  'digest-chain-mismatch': 'digest changed',
  'digest-conflict': 'conflicting digests',
  'digest-moved': 'digest moved',
  'signature-failed': 'signature failed',
  'key-not-found': 'public key not found',
  'key-wrong-region': 'key from the wrong region',
  'key-not-valid-at': 'key outside its validity window',
  'key-fingerprint-mismatch': 'key fingerprint mismatch',
  'key-unusable': 'key unusable',
};

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function minTime(times: string[]): string {
  return [...times].sort()[0]!;
}

export interface VerdictWords {
  verdict: Verdict;
  headline: string;
  authenticatedTo: string | null;
  proves: string[];
  doesNotProve: string[];
}

export function verdictOf(v: { streams: StreamResult[]; counts: IntegrityCounts; findings: Finding[]; haveKeys: boolean }): VerdictWords {
  const { streams, counts, findings, haveKeys } = v;
  const proves: string[] = [];
  const doesNotProve: string[] = [];
  const gaps = counts.gaps > 0 ? ` — ${plural(counts.gaps, 'gap')}` : '';
  if (counts.digests === 0 && counts.digestsFailed === 0) {
    doesNotProve.push('The case holds no CloudTrail digest files, so nothing about the log files\' integrity is shown. Add the trail\'s CloudTrail-Digest folder to the case.');
    return { verdict: 'nothing-to-verify', headline: 'nothing verified: no digest files in the case', authenticatedTo: null, proves, doesNotProve };
  }
  const allAuthenticated = streams.length > 0 && streams.every((s) => s.authenticatedTo !== null && s.authenticatedTo === s.lastEnd);
  const someAuthenticated = counts.digestsAuthenticated > 0;
  const everyStreamSome = streams.length > 0 && streams.every((s) => s.authenticatedTo !== null);
  const authenticatedTo = everyStreamSome ? minTime(streams.map((s) => s.authenticatedTo!)) : null;

  const matched = counts.logsAuthenticated + counts.logsConsistent;
  if (matched > 0) proves.push(`${plural(matched, 'log file')} match the SHA-256 values their digest recorded for their decompressed content.`);
  proves.push(`The digest chain${streams.length > 1 ? 's' : ''} (${streams.map((s) => `${s.label}: ${s.firstStart} to ${s.lastEnd}`).join('; ')}) link${streams.length > 1 ? '' : 's'} each digest to the hash of the one before it${counts.digestsMissing > 0 ? ', except where digests are missing' : ''}.`);
  if (someAuthenticated) {
    proves.push(
      `${plural(counts.digestsAuthenticated, 'digest')} and the ${plural(counts.logsAuthenticated, 'log file')} they list are authenticated: signed by CloudTrail's key for their region (fingerprint = MD5 of the key, within its validity window), directly or through the chain${authenticatedTo ? `, up to ${authenticatedTo}` : ''}.`,
    );
  }
  if (!haveKeys) {
    doesNotProve.push(
      'Who wrote them: no CloudTrail public keys were supplied (`aws cloudtrail list-public-keys` output for each region), so this is consistency only — anyone able to write to the bucket could have replaced logs and digests with a consistent forged set.',
    );
  } else if (!allAuthenticated) {
    doesNotProve.push(
      `Digests not authenticated (${counts.digests - counts.digestsAuthenticated}) and the log files they list are consistent only. The newest digest of a chain is signed only in its S3 object metadata: save \`aws s3api head-object\` output beside it as <digest file name>.head-object.json.`,
    );
  }
  if (haveKeys) doesNotProve.push('The keys are only as trustworthy as the key list: record who exported it, when, and from which account and region.');
  if (counts.logsNotCovered > 0) doesNotProve.push(`${plural(counts.logsNotCovered, 'log file')} in the case ${counts.logsNotCovered === 1 ? 'is' : 'are'} listed by no digest in it: ${counts.logsNotCovered === 1 ? 'its' : 'their'} content is not verified.`);
  if (counts.otherFiles > 0) doesNotProve.push(`${plural(counts.otherFiles, 'other evidence file')} (lookup-events exports, JSON Lines, Kubernetes output, …) ${counts.otherFiles === 1 ? 'is' : 'are'} not CloudTrail S3 deliveries: digests say nothing about ${counts.otherFiles === 1 ? 'it' : 'them'}.`);
  doesNotProve.push('Digests cover only the period of the digests in the case: events outside it, and log files deleted before the oldest digest here, are not accounted for.');

  if (counts.failures > 0) {
    const kinds = [...new Set(findings.filter((f) => f.severity === 'failure').map((f) => KIND_WORDS[f.kind] ?? f.kind))];
    return { verdict: 'failed', headline: `FAILED — ${plural(counts.failures, 'integrity failure')}: ${kinds.join(', ')}${gaps}`, authenticatedTo, proves, doesNotProve };
  }
  if (allAuthenticated) return { verdict: 'authenticated', headline: `authenticated to ${authenticatedTo}${gaps}`, authenticatedTo, proves, doesNotProve };
  if (someAuthenticated) {
    const headline = authenticatedTo
      ? `authenticated to ${authenticatedTo}; consistent, not authenticated after it`
      : `partly authenticated (${counts.digestsAuthenticated} of ${counts.digests} digests); the rest consistent, not authenticated`;
    return { verdict: 'partly-authenticated', headline: headline + gaps, authenticatedTo, proves, doesNotProve };
  }
  return { verdict: 'consistent', headline: `consistent, not authenticated${gaps}`, authenticatedTo: null, proves, doesNotProve };
}
