/**
 * The words of a verification. The verdict says what was proven, not more: hashes that agree are "consistent,
 * not authenticated" (anyone able to write to the bucket can produce a consistent set); only a signature checked
 * with CloudTrail's own key for the region makes files "authenticated", and only up to the newest digest whose
 * signature the bundle holds.
 */
import type { DigestEntry } from './chain';
import type { DigestResult, Finding, IntegrityCounts, StreamResult, Verdict } from './types';

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
  'key-validity-unreadable': 'key validity unreadable',
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

/**
 * Why digests are not authenticated, by what actually stopped each: no signature in the bundle (only then is
 * head-object output the remedy), a signature that failed, a key that could not be used, no key for the region, or
 * another failed check.
 */
function notAuthenticatedReasons(digests: DigestResult[], findings: Finding[]): string[] {
  const open = digests.filter((d) => d.status !== 'authenticated');
  const out: string[] = [];
  const count = (pred: (d: DigestResult) => boolean) => open.filter(pred).length;
  // No later digest in the bundle carries its signature, and no head-object output does.
  const unavailable = count((d) => d.signature === 'unavailable');
  if (unavailable > 0) {
    out.push(
      `${plural(unavailable, 'digest has', 'digests have')} no signature in the bundle — the newest digest of a chain and backfill digests are signed only in their S3 object metadata: save \`aws s3api head-object\` output beside each as <digest file name>.head-object.json`,
    );
  }
  const failed = count((d) => d.signature === 'failed');
  if (failed > 0) {
    out.push(`${plural(failed, 'digest signature', 'digest signatures')} did not verify (see FAILURES: the digest's bytes, its S3 location or the signature are not what CloudTrail signed)`);
  }
  const keyProblems = count((d) => d.signature === 'key-problem');
  if (keyProblems > 0) {
    const kinds = [...new Set(findings.filter((f) => f.kind.startsWith('key-') && f.severity === 'failure').map((f) => KIND_WORDS[f.kind] ?? f.kind))];
    out.push(`${plural(keyProblems, 'digest', 'digests')} could not be checked: ${kinds.join(', ') || 'key problem'} (see FAILURES)`);
  }
  const noKeys = count((d) => d.signature === 'no-keys');
  if (noKeys > 0) out.push(`${plural(noKeys, 'digest is', 'digests are')} from a region no key list was supplied for`);
  const otherFailure = count((d) => d.signature === 'verified' && d.status === 'failed');
  if (otherFailure > 0) out.push(`${plural(otherFailure, 'digest', 'digests')} with a verified signature failed another check (see FAILURES)`);
  return out;
}

export function verdictOf(v: { streams: StreamResult[]; counts: IntegrityCounts; findings: Finding[]; haveKeys: boolean; digests?: DigestResult[] }): VerdictWords {
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
    const reasons = v.digests ? notAuthenticatedReasons(v.digests, findings) : [];
    doesNotProve.push(
      `Digests not authenticated (${counts.digests - counts.digestsAuthenticated}) and the log files they list are consistent only${reasons.length > 0 ? `: ${reasons.join('; ')}` : ''}.`,
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
