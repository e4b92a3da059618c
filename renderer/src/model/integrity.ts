/** The Integrity panel's pure parts: reading the key-list field, and ordering what the panel lists. */
import type { FileResult, Finding, IntegrityResult } from '../../../shared/integrity';

export interface KeyListRef {
  region: string;
  path: string;
}

const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/**
 * `us-east-1=/cases/keys/us-east-1.json`, one per line (or separated by commas). Keys are per region, so each
 * entry must name its region; a blank field is no key lists.
 */
export function parseKeyLists(text: string): { lists: KeyListRef[]; error: string | null } {
  const lists: KeyListRef[] = [];
  for (const item of text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    const region = eq > 0 ? item.slice(0, eq).trim() : '';
    const path = eq > 0 ? item.slice(eq + 1).trim() : '';
    if (!REGION.test(region) || !path) return { lists: [], error: `"${item}": write <region>=<path>, e.g. us-east-1=/cases/keys/us-east-1.json` };
    lists.push({ region, path });
  }
  return { lists, error: null };
}

const FILE_ORDER: Record<FileResult['status'], number> = { failed: 0, 'not-covered': 1, consistent: 2, authenticated: 3, 'not-applicable': 4 };

/** Log and digest files first, worst status first; then the rest. */
export function orderedFiles(r: IntegrityResult): FileResult[] {
  const rank = (f: FileResult) => (f.role === 'log' || f.role === 'digest' ? 0 : 1);
  return [...r.files].sort((a, b) => rank(a) - rank(b) || FILE_ORDER[a.status] - FILE_ORDER[b.status] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function findingsOf(r: IntegrityResult, severity: Finding['severity']): Finding[] {
  return r.findings.filter((f) => f.severity === severity);
}

/** The verdict's tone: a colour class and nothing more (the words say what was proven). */
export function verdictTone(v: IntegrityResult['verdict']): 'ok' | 'partial' | 'bad' | 'none' {
  switch (v) {
    case 'authenticated':
      return 'ok';
    case 'partly-authenticated':
    case 'consistent':
      return 'partial';
    case 'failed':
      return 'bad';
    case 'nothing-to-verify':
      return 'none';
  }
}
