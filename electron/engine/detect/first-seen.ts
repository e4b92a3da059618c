/**
 * first-seen-api: a service account calling an AWS API it had not called before in the bundle, once it has a
 * history to compare with. The first calls of a workload are its baseline, not findings: a call is flagged only
 * when the service account (cluster/namespace/name, all its pods together) had made at least
 * BASELINE_CALLS calls over at least BASELINE_MS before it. Only the first call of each new API is flagged;
 * calls made for it by an AWS service (`userIdentity.invokedBy`) and the credential exchanges themselves are
 * not its own choice of API and are left out.
 *
 * The detection walks each service account's calls in time order (then row order). Where it stopped is kept per
 * service account (`first_seen_state`: calls, the APIs with the time and row of each one's first call, last call,
 * the calls it flagged), so that adding evidence walks only the new calls of a service account when all of them
 * come after its last one. When some come earlier, the walk goes again from the first new call: what it knew just
 * before that call is the state less the calls from there on (read by time from that call, a few when the new
 * evidence is recent), and only those calls and the new ones are walked. A service account whose calls changed
 * otherwise (calls that moved to or from it), or whose state was written before the APIs' first calls were kept,
 * is walked again whole.
 */
import type { Database } from 'better-sqlite3';
import { isoUtc } from '../util/time';

export const BASELINE_CALLS = 20;
export const BASELINE_MS = 60 * 60 * 1000;

const CREDENTIAL_CALLS = new Set(['sts.amazonaws.com AssumeRoleWithWebIdentity', 'sts.amazonaws.com AssumeRole', 'eks-auth.amazonaws.com AssumeRoleForPodIdentity']);

interface Seen {
  firstMs: number;
  calls: number;
  /** Each API called, with the time and row of its first call. */
  apis: Map<string, [number, number]>;
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
const OF_SA = `FROM subjects s CROSS JOIN event_subjects es ON es.subject_id = s.id CROSS JOIN events e ON e.id = es.event_rowid
  WHERE s.service_account IS NOT NULL AND s.conf_identity IN ('proven', 'inferred') AND e.invoked_by_sid IS NULL AND ${SA_KEY_SQL} = ?`;
const CALLS_OF_SA = `SELECT e.id, e.event_ms, e.event_source, e.event_name, ${SA_KEY_SQL} ${OF_SA} ORDER BY e.event_ms, e.id`;
/** …from one call on (time, then row): (ms, ms, row). */
const FROM_CALL = 'AND (e.event_ms > ? OR (e.event_ms = ? AND e.id >= ?))';
const CALLS_OF_SA_FROM = `SELECT e.id, e.event_ms, e.event_source, e.event_name, ${SA_KEY_SQL} ${OF_SA} ${FROM_CALL} ORDER BY e.event_ms, e.id`;
/** How many of those calls the walk counted (old rows, up to a row id; credential exchanges are not counted). */
const OLD_CALLS_OF_SA_FROM = `SELECT count(*) ${OF_SA} ${FROM_CALL} AND e.id <= ?
  AND (e.event_source || ' ' || e.event_name) NOT IN (${[...CREDENTIAL_CALLS].map((c) => `'${c}'`).join(', ')})`;
/** Time, then row: the order the detection walks calls in. */
const byTime = (a: Row, b: Row) => a[1] - b[1] || a[0] - b[0];

type Row = [number, number, string, string, string];

function walk(rows: Iterable<Row>, bySa: Map<string, Seen>, hits: FirstSeenHit[]): void {
  for (const [rowid, ms, source, name, key] of rows) {
    const api = `${source} ${name}`;
    if (CREDENTIAL_CALLS.has(api)) continue;
    let seen = bySa.get(key);
    if (!seen) bySa.set(key, (seen = { firstMs: ms, calls: 0, apis: new Map(), lastMs: ms, lastRowid: rowid, hits: [] }));
    if (!seen.apis.has(api)) {
      seen.apis.set(api, [ms, rowid]);
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
  // The APIs as an object sorted by name (the same text however the walk came by them), each with its first call.
  const apis = (s: Seen) => JSON.stringify(Object.fromEntries([...s.apis].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))));
  for (const [sa, s] of bySa) put.run(sa, s.firstMs, s.calls, s.lastMs, s.lastRowid, apis(s), JSON.stringify(s.hits));
}

/** A state's APIs with their first calls; null for a state written before they were kept (a list of names). */
function apisOf(json: string): Map<string, [number, number]> | null {
  const v = JSON.parse(json) as unknown;
  return Array.isArray(v) ? null : new Map(Object.entries(v as Record<string, [number, number]>));
}

/** Whether call (ms, rowid) comes before call (ms2, rowid2) in the walk's order. */
function earlier(ms: number, rowid: number, ms2: number, rowid2: number): boolean {
  return ms < ms2 || (ms === ms2 && rowid < rowid2);
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
 * other than by new ones) are walked again whole, their earlier flags dropped first; those with a new call earlier
 * than their last are walked again from their first new call on (see above); the others go on from their state over
 * their new calls. Returns the new hits.
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
  /** Walked again from their first new call: it, and their state. */
  const resume = new Map<string, { ms: number; rowid: number; st: Seen }>();
  for (const [sa, rows] of newBySa) {
    if (whole.has(sa)) continue;
    const st = stateOf.get(sa) as { first_ms: number; calls: number; last_ms: number; last_rowid: number; apis: string; hits: string } | undefined;
    if (!st) continue; // a service account new to the case: all its calls are new
    const apis = apisOf(st.apis);
    if (apis === null) {
      whole.add(sa);
      continue;
    }
    const seen: Seen = { firstMs: st.first_ms, calls: st.calls, apis, lastMs: st.last_ms, lastRowid: st.last_rowid, hits: JSON.parse(st.hits) as number[] };
    const [rowid, ms] = rows[0]!;
    if (earlier(ms, rowid, st.last_ms, st.last_rowid)) resume.set(sa, { ms, rowid, st: seen });
    else bySa.set(sa, seen);
  }
  const hits: FirstSeenHit[] = [];
  const unflag = db.prepare("DELETE FROM event_flags WHERE event_rowid = ? AND flag = 'first-seen-api'");
  if (resume.size > 0) {
    // Each one's calls from its first new call on, streamed in the walk's order (SQLite sorts them, not this heap:
    // new evidence as old as the case made them every call of the case, 1.8 GB of rows at 10M events).
    const oldCalls = db.prepare(OLD_CALLS_OF_SA_FROM).pluck();
    const callsFrom = db.prepare(CALLS_OF_SA_FROM).raw(true);
    const timeOf = db.prepare('SELECT event_ms FROM events WHERE id = ?').pluck();
    for (const [sa, r] of resume) {
      const st = r.st;
      // What the walk knew just before the first new call: the calls from it on taken away (the old ones among them
      // were counted), the APIs first called from it on too, their flags dropped.
      const calls = st.calls - (oldCalls.get(sa, r.ms, r.ms, r.rowid, afterId) as number);
      for (const [api, [ms, rowid]] of st.apis) if (!earlier(ms, rowid, r.ms, r.rowid)) st.apis.delete(api);
      const kept: number[] = [];
      for (const h of st.hits) {
        if (earlier(timeOf.get(h) as number, h, r.ms, r.rowid)) kept.push(h);
        else unflag.run(h);
      }
      if (calls > 0) bySa.set(sa, { firstMs: st.firstMs, calls, apis: st.apis, lastMs: st.lastMs, lastRowid: st.lastRowid, hits: kept });
      walk(callsFrom.iterate(sa, r.ms, r.ms, r.rowid) as IterableIterator<Row>, bySa, hits);
    }
  }
  // Walked again whole: their flags and state dropped, then every call of theirs.
  const drop = db.prepare('DELETE FROM first_seen_state WHERE sa = ?');
  const all = db.prepare(CALLS_OF_SA).raw(true);
  for (const sa of whole) {
    const st = stateOf.get(sa) as { hits: string } | undefined;
    if (st) for (const rowid of JSON.parse(st.hits) as number[]) unflag.run(rowid);
    drop.run(sa);
    walk(all.iterate(sa) as IterableIterator<Row>, bySa, hits);
  }
  // Going on from where they stopped, and the service accounts new to the case.
  for (const [sa, rows] of newBySa) if (!whole.has(sa) && !resume.has(sa)) walk(rows, bySa, hits);
  save(db, bySa);
  return hits;
}
