/** `podtrail verify` for a terminal: the verdict first, then what is proven and what is not, then every finding. */
import type { IntegrityResult } from './types';
import { revealInvisible } from '../report/escape';

/** File names and S3 keys come from the evidence: no control character (escape sequences, newlines) reaches the terminal. */
function terminalSafe(line: string): string {
  return revealInvisible(line).replace(/[\r\n\t]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16).padStart(4, '0')}}`);
}

export function integrityText(r: IntegrityResult, verifiedAt: string | null): string {
  const out: string[] = [];
  out.push(`Integrity: ${r.headline}`);
  if (verifiedAt) out.push(`  verified ${verifiedAt} (UTC), evidence files up to #${r.filesUpTo}`);
  out.push('');
  out.push('Proven:');
  if (r.proves.length === 0) out.push('  - nothing');
  for (const p of r.proves) out.push(`  - ${p}`);
  out.push('Not proven:');
  for (const p of r.doesNotProve) out.push(`  - ${p}`);
  out.push('');
  if (r.streams.length > 0) {
    out.push('Digest chains:');
    for (const s of r.streams) {
      out.push(`  ${s.label}: ${s.digests} digest(s), ${s.firstStart} to ${s.lastEnd}; ${s.authenticatedTo ? `authenticated to ${s.authenticatedTo}` : 'not authenticated'}`);
    }
  }
  const c = r.counts;
  out.push(
    `Digests: ${c.digests} in the case — ${c.digestsAuthenticated} authenticated, ${c.digests - c.digestsAuthenticated - c.digestsFailed} consistent, ${c.digestsFailed} failed; ${c.digestsMissing} missing from the chain`,
  );
  out.push(
    `Log files: ${c.logFiles} in the case — ${c.logsAuthenticated} authenticated, ${c.logsConsistent} consistent, ${c.logsFailed} failed, ${c.logsNotCovered} listed by no digest; ${c.logsMissing} listed but not in the case`,
  );
  if (r.keys.length > 0) {
    out.push('Public keys:');
    for (const k of r.keys) {
      const lie = k.claimedFingerprint && k.claimedFingerprint !== k.fingerprint ? ` (listed as ${k.claimedFingerprint}: NOT its MD5)` : '';
      const validity = k.validityProblem ? `validity UNREADABLE (${k.validityProblem})` : `valid ${k.validityStart ?? '?'} to ${k.validityEnd ?? '?'}`;
      out.push(`  ${k.region ?? '?'} ${k.fingerprint}${lie} ${k.encoding ?? 'unloadable'}, ${validity}, verified ${k.usedBy} digest(s) — ${k.source}`);
    }
  }
  for (const [severity, title] of [
    ['failure', 'FAILURES'],
    ['gap', 'Gaps'],
    ['note', 'Notes'],
  ] as const) {
    const list = r.findings.filter((f) => f.severity === severity);
    if (list.length === 0) continue;
    out.push('');
    out.push(`${title} (${list.length}):`);
    for (const f of list) out.push(`  - [${f.kind}] ${f.message}`);
  }
  return out.map(terminalSafe).join('\n') + '\n';
}
