/** The custody log for the terminal: one block per entry, then what the re-check found. */
import type { CustodyEntry } from '../../../shared/api';
import { custodySummary } from '../../../shared/custody';
import type { CustodyCheck } from './log';

export function custodyText(entries: readonly CustodyEntry[], check: CustodyCheck): string {
  const out: string[] = [];
  for (const e of entries) {
    out.push(`#${e.seq} ${e.at} ${e.action} by ${e.actor} (PodTrail ${e.toolVersion})`);
    for (const line of custodySummary(e)) out.push(`    ${line}`);
    out.push(`    entry hash ${e.entryHash}`);
  }
  out.push('');
  if (check.ok) out.push(`custody log: ${check.entries} entries, hash chain intact, evidence manifests as recorded`);
  else {
    out.push(`custody log: ${check.problems.length} problem(s):`);
    for (const p of check.problems) out.push(`  ${p}`);
  }
  return out.join('\n') + '\n';
}
