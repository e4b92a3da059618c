/**
 * Log files against the digests that list them: the SHA-256 of each file's decompressed bytes must equal the
 * digest's `hashValue` ("the hexadecimal encoded hash value of the uncompressed log file content"). A listed file
 * absent from the bundle, and a file in the bundle that no digest lists, are both reported: the first may have
 * been deleted, the second may have been added.
 */
import { basename, isoOrNull, logScope, pathIsKey } from './digest';
import { contentHash, type DigestEntry, type Stream } from './chain';
import type { FileOutcomes, Findings } from './findings';
import type { FileInput } from './types';

const HOUR_MS = 3_600_000;

class LogIndex {
  private readonly byName = new Map<string, FileInput[]>();
  constructor(readonly files: FileInput[]) {
    for (const f of files) {
      const n = basename(f.path);
      this.byName.set(n, [...(this.byName.get(n) ?? []), f]);
    }
  }
  /** The bundle's copies of an S3 object: at that key (the layout kept), or else by file name alone. */
  find(key: string): FileInput[] {
    const named = this.byName.get(basename(key)) ?? [];
    const atKey = named.filter((f) => pathIsKey(f.path, key));
    return atKey.length > 0 ? atKey : named;
  }
}

function digestProof(d: DigestEntry): { status: 'authenticated' | 'consistent' | 'failed'; words: string } {
  if (d.failures.length > 0) return { status: 'failed', words: `listed in digest ${d.s3Path}, which failed verification` };
  if (d.authenticatedBy) return { status: 'authenticated', words: `matches digest ${d.s3Path}, authenticated (${d.authenticatedBy === 'signature' ? 'its signature verified' : 'through the digest chain'})` };
  return { status: 'consistent', words: `matches digest ${d.s3Path} (consistent, not authenticated)` };
}

/** Check every log file each digest lists; returns how many listed files are absent. */
export function checkListedLogs(digests: DigestEntry[], logs: FileInput[], outcomes: FileOutcomes, findings: Findings): { missing: number; listed: Set<number> } {
  const index = new LogIndex(logs);
  const listed = new Set<number>();
  let missing = 0;
  for (const d of digests) {
    for (const lf of d.digest.logFiles) {
      const copies = index.find(lf.s3Object);
      if (copies.length === 0) {
        missing++;
        findings.add('failure', 'log-missing', `log file ${lf.s3Object} is listed in digest ${d.s3Path} but is not in the bundle (deleted, or not collected)`, { digest: d.s3Path });
        continue;
      }
      for (const f of copies) {
        listed.add(f.id);
        const actual = f.status === 'complete' ? contentHash(f) : f.compression === null && f.sha256 ? f.sha256 : null;
        if (actual === null) {
          const msg = `${f.path}: listed in digest ${d.s3Path} but could not be read (${f.error ?? 'no hash'}), so its hash cannot be checked`;
          findings.add('failure', 'log-unreadable', msg, { file: f.path, digest: d.s3Path });
          outcomes.set(f, 'log', 'failed', msg);
          continue;
        }
        if (actual !== lf.hashValue) {
          const firstMember = f.sha256FirstMember === lf.hashValue;
          const msg = firstMember
            ? `${f.path}: its first gzip member matches digest ${d.s3Path}, but data was appended after it (events read from that data are not covered by the digest)`
            : `${f.path}: SHA-256 of its decompressed content is ${actual}, but digest ${d.s3Path} recorded ${lf.hashValue}: the log file has changed since CloudTrail delivered it`;
          if (!firstMember) findings.add('failure', 'log-hash-mismatch', msg, { file: f.path, digest: d.s3Path });
          outcomes.set(f, 'log', 'failed', msg);
          continue;
        }
        const proof = digestProof(d);
        outcomes.set(f, 'log', proof.status, proof.words);
      }
    }
  }
  return { missing, listed };
}

/** Log files no digest lists: not covered, with where they stand against the digests the bundle holds. */
export function checkUnlisted(logs: FileInput[], listed: Set<number>, streams: Stream[], outcomes: FileOutcomes, findings: Findings): void {
  const coverage = new Map<string, { from: number; to: number }>();
  for (const s of streams) {
    if (!s.scope) continue;
    const all = [...s.chain, ...s.backfills];
    if (all.length === 0) continue;
    const from = Math.min(...all.map((d) => d.digest.startMs));
    const to = Math.max(...all.map((d) => d.digest.endMs));
    const cur = coverage.get(s.scope);
    coverage.set(s.scope, cur ? { from: Math.min(cur.from, from), to: Math.max(cur.to, to) } : { from, to });
  }
  for (const f of logs) {
    if (listed.has(f.id)) continue;
    if (streams.length === 0) {
      outcomes.set(f, 'log', 'not-covered', 'no digest in the case: not verified');
      continue;
    }
    const where = logScope(f.path);
    const cov = where ? coverage.get(where.scope) : undefined;
    let msg: string;
    if (!where) msg = `${f.path}: no digest lists it (its path is not a CloudTrail log key, so its trail cannot be told): not verified`;
    else if (!cov) msg = `${f.path}: no digest in the bundle covers ${where.scope}: not verified`;
    else if (where.nameMs >= cov.from - HOUR_MS && where.nameMs <= cov.to) {
      msg = `${f.path}: no digest lists it, though the digests in the bundle cover ${where.scope} at ${isoOrNull(where.nameMs)}: it may have been added to the bucket after delivery, or be listed in a backfill digest that is not in the bundle`;
    } else {
      msg = `${f.path}: outside the period the digests in the bundle cover for ${where.scope} (${isoOrNull(cov.from)} to ${isoOrNull(cov.to)}): not verified`;
    }
    findings.add('gap', 'log-not-listed', msg, { file: f.path });
    outcomes.set(f, 'log', 'not-covered', msg.slice(f.path.length + 2));
  }
}
