/**
 * first-seen-api: a service account calling an AWS API it had not called before in the bundle, once it has a
 * history to compare with. The first calls of a workload are its baseline, not findings: a call is flagged only
 * when the service account (cluster/namespace/name, all its pods together) had made at least
 * BASELINE_CALLS calls over at least BASELINE_MS before it. Only the first call of each new API is flagged;
 * calls made for it by an AWS service (`userIdentity.invokedBy`) and the credential exchanges themselves are
 * not its own choice of API and are left out.
 *
 * The detection walks each service account's calls in time order (then row order). Where it stopped is kept per
 * service account (`first_seen_state`: calls, APIs, last call, the calls it flagged), so that adding evidence
 * walks only the new calls of a service account when all of them come after its last one; a service account
 * whose calls changed otherwise (an earlier call added, calls that moved to or from it) is walked again whole.
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
  lastMs: number;
  lastRowid: number;
  hits: number[];
}

export interface FirstSeenHit {
  rowid: number;
  detail: string;
}

/** The service account's key: `cluster/namespace/name`, '?' for what is not known. */
export const SA_KEY_SQL = `coalesce(s.cluster_name, '?') || '/' || coalesce(s.namespace, '?') || '/' || s.service_account`;
const SA_CALLS = `SELECT e.id, e.event_ms, e.event_source, e.event_name, ${SA_KEY_SQL} FROM events e
  JOIN event_subjects es ON es.event_rowid = e.id JOIN subjects s ON s.id = es.subject_id
  WHERE s.service_account IS NOT NULL AND s.conf_identity IN ('proven', 'inferred') AND e.invoked_by_sid IS NULL`;
/** The calls of one service account: from its few subjects (CROSS JOIN keeps that order), then their events by index. */
const CALLS_OF_SA = `SELECT e.id, e.event_ms, e.event_source, e.event_name, ${SA_KEY_SQL} FROM subjects s
  CROSS JOIN event_subjects es ON es.subject_id = s.id CROSS JOIN events e ON e.id = es.event_rowid
  WHERE s.service_account IS NOT NULL AND s.conf_identity IN ('proven', 'inferred') AND e.invoked_by_sid IS NULL AND ${SA_KEY_SQL} = ?
  ORDER BY e.event_ms, e.id`;
/** Time, then row: the order the detection walks calls in. */
const byTime = (a: Row, b: Row) => a[1] - b[1] || a[0] - b[0];

type Row = [number, number, string, string, string];

function walk(rows: Iterable<Row>, bySa: Map<string, Seen>, hits: FirstSeenHit[]): void {
  for (const [rowid, ms, source, name, key] of rows) {
    const api = `${source} ${name}`;
    if (CREDENTIAL_CALLS.has(api)) continue;
    let seen = bySa.get(key);
    if (!seen) bySa.set(key, (seen = { firstMs: ms, calls: 0, apis: new Set(), lastMs: ms, lastRowid: rowid, hits: [] }));
    if (!seen.apis.has(api)) {
      seen.apis.add(api);
      if (seen.calls >= BASELINE_CALLS && ms - seen.firstMs >= BASELINE_MS) {
        seen.hits.push(rowid);
        hits.push({
          rowid,
          detail: `${key} called ${source.replace(/\.amazonaws\.com$/, '')}:${name} for the first time at ${isoUtc(ms)}, after ${seen.calls} calls of ${seen.apis.size - 1} other APIs since ${isoUtc(seen.firstMs)}`,
        });
      }
    }
    seen.calls++;
    seen.lastMs = ms;
    seen.lastRowid = rowid;
  }
}

function save(db: Database, bySa: Map<string, Seen>): void {
  const put = db.prepare('INSERT OR REPLACE INTO first_seen_state (sa, first_ms, calls, last_ms, last_rowid, apis, hits) VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (const [sa, s] of bySa) put.run(sa, s.firstMs, s.calls, s.lastMs, s.lastRowid, JSON.stringify([...s.apis]), JSON.stringify(s.hits));
}

/** Every service account walked from its first call; the state is written afresh. */
export function firstSeenApis(db: Database): FirstSeenHit[] {
  const bySa = new Map<string, Seen>();
  const hits: FirstSeenHit[] = [];
  walk(db.prepare(`${SA_CALLS} ORDER BY e.event_ms, e.id`).raw(true).iterate() as IterableIterator<Row>, bySa, hits);
  db.exec('DELETE FROM first_seen_state');
  save(db, bySa);
  return hits;
}

/**
 * After evidence was added (rows after `afterId` are new): the service accounts in `dirty` (whose calls changed
 * other than by new ones) and those with a new call earlier than their last are walked again whole, their earlier
 * flags dropped first; the others go on from their state over their new calls. Returns the new hits.
 */
export function firstSeenApisAfter(db: Database, afterId: number, dirty: ReadonlySet<string>): FirstSeenHit[] {
  // The new calls (a few: read from the end of the table, sorted here, not through the time index).
  const fresh = (db.prepare(`${SA_CALLS} AND e.id > ?`).raw(true).all(afterId) as Row[]).sort(byTime);
  const newBySa = new Map<string, Row[]>();
  for (const r of fresh) {
    if (CREDENTIAL_CALLS.has(`${r[2]} ${r[3]}`)) continue;
    const list = newBySa.get(r[4]);
    if (list) list.push(r);
    else newBySa.set(r[4], [r]);
  }
  const stateOf = db.prepare('SELECT first_ms, calls, last_ms, last_rowid, apis, hits FROM first_seen_state WHERE sa = ?');
  const whole = new Set(dirty);
  const bySa = new Map<string, Seen>();
  for (const [sa, rows] of newBySa) {
    if (whole.has(sa)) continue;
    const st = stateOf.get(sa) as { first_ms: number; calls: number; last_ms: number; last_rowid: number; apis: string; hits: string } | undefined;
    if (!st) continue; // a service account new to the case: all its calls are new
    const [rowid, ms] = rows[0]!;
    if (ms < st.last_ms || (ms === st.last_ms && rowid < st.last_rowid)) whole.add(sa);
    else bySa.set(sa, { firstMs: st.first_ms, calls: st.calls, apis: new Set(JSON.parse(st.apis) as string[]), lastMs: st.last_ms, lastRowid: st.last_rowid, hits: JSON.parse(st.hits) as number[] });
  }
  const hits: FirstSeenHit[] = [];
  // Walked again whole: their flags and state dropped, then every call of theirs.
  const unflag = db.prepare("DELETE FROM event_flags WHERE event_rowid = ? AND flag = 'first-seen-api'");
  const drop = db.prepare('DELETE FROM first_seen_state WHERE sa = ?');
  const all = db.prepare(CALLS_OF_SA).raw(true);
  for (const sa of whole) {
    const st = stateOf.get(sa) as { hits: string } | undefined;
    if (st) for (const rowid of JSON.parse(st.hits) as number[]) unflag.run(rowid);
    drop.run(sa);
    walk(all.iterate(sa) as IterableIterator<Row>, bySa, hits);
  }
  // Going on from where they stopped, and the service accounts new to the case.
  for (const [sa, rows] of newBySa) if (!whole.has(sa)) walk(rows, bySa, hits);
  save(db, bySa);
  return hits;
}
