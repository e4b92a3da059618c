/**
 * Re-hashing the evidence behind a report before it is written: the files the report cites are read again from
 * where they were ingested and their SHA-256 compared with the manifest. Evidence is never modified by
 * PodTrail; this shows that nobody else modified it either since the ingest (or says plainly that it could not
 * be checked, when the bundle is no longer at that path).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { enumerateEvidence } from '../ingest/sources';

export type RecheckStatus = 'unchanged' | 'changed' | 'missing' | 'unreadable';

export interface RecheckResult {
  path: string;
  status: RecheckStatus;
  /** SHA-256 of the bytes read now, when they differ from the manifest. */
  sha256Now?: string;
  detail?: string;
}

/**
 * An archive member's display path is `<archive>!/<member>` (see ingest/member-labels.ts). Member labels never
 * contain `!` (it is written `%21`), while the archive's own path may (a folder named `case!`): the archive is
 * what comes before the last separator.
 */
const MEMBER_SEPARATOR = '!/';

export function archiveOf(path: string): string | null {
  const i = path.lastIndexOf(MEMBER_SEPARATOR);
  return i > 0 ? path.slice(0, i) : null;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function compare(path: string, expected: string, now: string): RecheckResult {
  return now === expected ? { path, status: 'unchanged' } : { path, status: 'changed', sha256Now: now };
}

/** Hashes of the members of one archive that are asked for, reading the archive once. */
async function memberHashes(archive: string, wanted: Set<string>): Promise<Map<string, string | Error>> {
  const out = new Map<string, string | Error>();
  for await (const item of enumerateEvidence([archive])) {
    if (!wanted.has(item.displayPath)) continue;
    if (item.kind === 'failure') out.set(item.displayPath, new Error(item.error));
    else if ('bytes' in item.source) out.set(item.displayPath, createHash('sha256').update(item.source.bytes).digest('hex'));
    else out.set(item.displayPath, await hashFile(item.source.path));
  }
  return out;
}

/** Re-check each file's raw SHA-256 against the one recorded at ingest. Order follows the input. */
export async function recheckEvidence(files: readonly { path: string; sha256: string }[]): Promise<RecheckResult[]> {
  const byArchive = new Map<string, Set<string>>();
  for (const f of files) {
    const archive = archiveOf(f.path);
    if (archive) (byArchive.get(archive) ?? byArchive.set(archive, new Set()).get(archive)!).add(f.path);
  }
  const members = new Map<string, string | Error>();
  for (const [archive, wanted] of byArchive) {
    if (!(await exists(archive))) continue;
    try {
      for (const [k, v] of await memberHashes(archive, wanted)) members.set(k, v);
    } catch (err) {
      for (const w of wanted) members.set(w, err as Error);
    }
  }
  const results: RecheckResult[] = [];
  for (const f of files) {
    const archive = archiveOf(f.path);
    if (archive) {
      const h = members.get(f.path);
      if (h === undefined) results.push({ path: f.path, status: 'missing', detail: (await exists(archive)) ? 'no longer in the archive' : 'archive not found at this path' });
      else if (h instanceof Error) results.push({ path: f.path, status: 'unreadable', detail: h.message });
      else results.push(compare(f.path, f.sha256, h));
      continue;
    }
    if (!(await exists(f.path))) {
      results.push({ path: f.path, status: 'missing', detail: 'not found at this path' });
      continue;
    }
    try {
      results.push(compare(f.path, f.sha256, await hashFile(f.path)));
    } catch (err) {
      results.push({ path: f.path, status: 'unreadable', detail: (err as Error).message });
    }
  }
  return results;
}

/** One line for each file that is not as ingested; empty when all are. */
export function recheckProblems(results: readonly RecheckResult[]): string[] {
  return results
    .filter((r) => r.status !== 'unchanged')
    .map((r) =>
      r.status === 'changed'
        ? `${r.path}: changed since it was ingested (SHA-256 now ${r.sha256Now})`
        : `${r.path}: could not be re-checked (${r.status}: ${r.detail ?? ''})`,
    );
}
