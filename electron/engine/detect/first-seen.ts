/**
 * first-seen-api: a service account calling an AWS API it had not called before in the bundle, once it has a
 * history to compare with. The first calls of a workload are its baseline, not findings: a call is flagged only
 * when the service account (cluster/namespace/name, all its pods together) had made at least
 * BASELINE_CALLS calls over at least BASELINE_MS before it. Only the first call of each new API is flagged;
 * calls made for it by an AWS service (`userIdentity.invokedBy`) and the credential exchanges themselves are
 * not its own choice of API and are left out.
 */
import type { Database } from 'better-sqlite3';
import { isoUtc } from '../util/time';

export const BASELINE_CALLS = 20;
export const BASELINE_MS = 60 * 60 * 1000;

const CREDENTIAL_CALLS = new Set(['sts.amazonaws.com AssumeRoleWithWebIdentity', 'sts.amazonaws.com AssumeRole', 'eks-auth.amazonaws.com AssumeRoleForPodIdentity']);

interface Seen {
  firstMs: number;
  calls: number;
  apis: Set<string>;
}

export interface FirstSeenHit {
  rowid: number;
  detail: string;
}

export function firstSeenApis(db: Database): FirstSeenHit[] {
  const rows = db
    .prepare(`
      SELECT e.id, e.event_ms, e.event_source, e.event_name, s.cluster_name, s.namespace, s.service_account FROM events e
      JOIN event_subjects es ON es.event_rowid = e.id JOIN subjects s ON s.id = es.subject_id
      WHERE s.service_account IS NOT NULL AND s.conf_identity IN ('proven', 'inferred') AND e.invoked_by_sid IS NULL
      ORDER BY e.event_ms, e.id`)
    .raw(true)
    .iterate() as IterableIterator<[number, number, string, string, string | null, string | null, string]>;
  const bySa = new Map<string, Seen>();
  const hits: FirstSeenHit[] = [];
  for (const [rowid, ms, source, name, cluster, namespace, sa] of rows) {
    const api = `${source} ${name}`;
    if (CREDENTIAL_CALLS.has(api)) continue;
    const key = `${cluster ?? '?'}/${namespace ?? '?'}/${sa}`;
    let seen = bySa.get(key);
    if (!seen) bySa.set(key, (seen = { firstMs: ms, calls: 0, apis: new Set() }));
    if (!seen.apis.has(api)) {
      seen.apis.add(api);
      if (seen.calls >= BASELINE_CALLS && ms - seen.firstMs >= BASELINE_MS) {
        hits.push({
          rowid,
          detail: `${key} called ${source.replace(/\.amazonaws\.com$/, '')}:${name} for the first time at ${isoUtc(ms)}, after ${seen.calls} calls of ${seen.apis.size - 1} other APIs since ${isoUtc(seen.firstMs)}`,
        });
      }
    }
    seen.calls++;
  }
  return hits;
}
