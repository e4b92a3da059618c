/**
 * What the evidence covers (issue 17 part 5), for the Evidence panel's summary: CloudTrail events per account and
 * region with their first and last event and how many of the hours between hold any event (an hour without one is
 * a possible gap in the delivery); the evidence files behind each (from the S3 layout `AWSLogs/[o-…/]<account>/
 * CloudTrail/<region>/`); the Kubernetes audit events and inventories; and the files by format.
 */
import type { Database } from 'better-sqlite3';
import type { CoverageView } from '../../../shared/api';
import { isoUtc } from '../util/time';

const S3_LAYOUT = /AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/CloudTrail(?:-Digest)?\/([a-z0-9-]+)\//;
const HOUR = 3_600_000;

export function evidenceCoverage(db: Database): CoverageView {
  const files = db.prepare("SELECT path, format FROM evidence_files WHERE status = 'complete'").all() as { path: string; format: string }[];
  const filesAt = new Map<string, number>();
  const byFormat = new Map<string, number>();
  for (const f of files) {
    byFormat.set(f.format, (byFormat.get(f.format) ?? 0) + 1);
    const m = S3_LAYOUT.exec(f.path.replace(/\\/g, '/'));
    if (m && f.format !== 'cloudtrail-digest') filesAt.set(`${m[1]}\u0000${m[2]}`, (filesAt.get(`${m[1]}\u0000${m[2]}`) ?? 0) + 1);
  }
  const rows = db
    .prepare(
      `SELECT recipient_account_id a, aws_region r, COUNT(*) n, MIN(event_ms) fm, MAX(event_ms) lm,
         COUNT(DISTINCT event_ms / ${HOUR}) h
       FROM events GROUP BY recipient_account_id, aws_region ORDER BY recipient_account_id, aws_region`,
    )
    .all() as { a: string | null; r: string | null; n: number; fm: number; lm: number; h: number }[];
  const audit = db.prepare('SELECT COUNT(*) n, MIN(ts_ms) f, MAX(ts_ms) l FROM k8s_audit').get() as { n: number; f: number | null; l: number | null };
  return {
    cloudtrail: rows.map((x) => ({
      account: x.a,
      region: x.r,
      events: x.n,
      // By instant, in UTC: records may write other zones, and the least text is not always the first time.
      first: isoUtc(x.fm),
      last: isoUtc(x.lm),
      hoursWithEvents: x.h,
      hoursSpanned: Math.floor(x.lm / HOUR) - Math.floor(x.fm / HOUR) + 1,
      files: x.a && x.r ? (filesAt.get(`${x.a}\u0000${x.r}`) ?? 0) : 0,
    })),
    kubernetes: {
      auditEvents: audit.n,
      first: audit.f === null ? null : new Date(audit.f).toISOString(),
      last: audit.l === null ? null : new Date(audit.l).toISOString(),
      auditFiles: byFormat.get('k8s-audit') ?? 0,
      inventoryFiles: (byFormat.get('k8s-list') ?? 0) + (byFormat.get('k8s-object') ?? 0),
    },
    byFormat: [...byFormat].map(([format, n]) => ({ format, files: n })).sort((a, b) => b.files - a.files || a.format.localeCompare(b.format)),
  };
}
