/**
 * first-seen-api: a service account calling an AWS API it had not called before in the bundle, once it has a
 * history to compare with. The first calls of a workload are its baseline, not findings: a call is flagged only
 * when the service account (cluster/namespace/name, all its pods together) had made at least
 * BASELINE_CALLS calls over at least BASELINE_MS before it, and only while that baseline looks complete: at most
 * NEW_API_SHARE of its calls so far are of an API it called once (Good–Turing's estimate of the chance that its
 * next call is of an API not seen yet). A workload that still calls a new API now and then (a sparse one whose hour
 * of baseline has not yet seen its whole repertoire) has such APIs, and its next new one is no finding. An API whose
 * first call was flagged is left out of them for BURST_MS (the rest of a stolen credential's burst of new APIs is
 * flagged call by call), then counted like any other. Only the
 * first call of each new API is flagged; calls made for it by an AWS service (`userIdentity.invokedBy`) and the
 * credential exchanges themselves are not its own choice of API and are left out.
 *
 * The detection walks each service account's calls in time order (then row order). Where it stopped is kept per
 * service account (`first_seen_state`: calls, the APIs with the time and row of each one's first call and the number
 * of calls before it, last call, the calls it flagged), so that adding evidence walks only the new calls of a
 * service account when all of them come after its last one. When some come earlier, and few of them are an API's new
 * first call, they are merged into the state without reading its old calls (`merged`: each first call's count of
 * calls before it moves by the new calls before it). Otherwise the walk goes again from the first new call: what it
 * knew just before that call is the state less the calls from there on (counted by SQL), and those calls and the new
 * ones are walked, streamed from SQLite (at 10M events, evidence over the case's hours made that 28 s of a 61 s
 * add). A service account whose calls changed otherwise (calls that moved to or from it), or whose state was written
 * before the APIs' first calls (or the calls before them) were kept, is walked again whole.
 */
import type { Database } from 'better-sqlite3';
import { facetValues } from '../db/strings';
import { isoUtc } from '../util/time';

export const BASELINE_CALLS = 20;
export const BASELINE_MS = 60 * 60 * 1000;
/**
 * The most of a service account's calls so far that may be of an API called only once, for its next new API to be
 * flagged. Chosen on the calls of 60 generated bundles replayed against their truth (6000–6029, 7400–7429; the sparse
 * set's workloads make ~50 calls an hour): 2 % kept every attack's first calls, 1 % lost 54 of 180. In the engine, on
 * the same bundles: flagged events 768 → 752 and 752 → 743, every one dropped on no attack (docs/rules.md).
 */
export const NEW_API_SHARE = 0.02;
/**
 * How long an API whose first call was flagged stays out of the baseline's APIs called once: the burst it may begin
 * (a stolen credential's recon, a few new APIs within seconds) is flagged call by call; past it, an API still called
 * only once is counted as the workload's own rarely used one.
 */
export const BURST_MS = 5 * 60 * 1000;

const CREDENTIAL_CALLS = new Set(['sts.amazonaws.com AssumeRoleWithWebIdentity', 'sts.amazonaws.com AssumeRole', 'eks-auth.amazonaws.com AssumeRoleForPodIdentity']);

interface Seen {
  firstMs: number;
  calls: number;
  /** Each API called: its first call (time, row, how many calls came before it), its second call, whether the first was flagged. */
  apis: Map<string, ApiFirst>;
  /** APIs called once so far whose first call was not flagged (those flagged count once past their burst: `pastBurst`). */
  once: number;
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
const SA_CALLS_JOIN = `JOIN event_subjects es ON es.event_rowid = e.id JOIN subjects s ON s.id = es.subject_id
  WHERE s.service_account IS NOT NULL AND s.conf_identity IN ('proven', 'inferred') AND e.invoked_by_sid IS NULL`;
const SA_CALLS_FROM = `FROM events e ${SA_CALLS_JOIN}`;
const SA_CALLS = `SELECT e.id, e.event_ms, e.event_source, e.event_name, ${SA_KEY_SQL} ${SA_CALLS_FROM}`;
/** The calls of one service account: from its few subjects (CROSS JOIN keeps that order), then their events by index. */
const OF_SA = `FROM subjects s CROSS JOIN event_subjects es ON es.subject_id = s.id CROSS JOIN events e ON e.id = es.event_rowid
  WHERE s.service_account IS NOT NULL AND s.conf_identity IN ('proven', 'inferred') AND e.invoked_by_sid IS NULL AND ${SA_KEY_SQL} = ?`;
const CALLS_OF_SA = `SELECT e.id, e.event_ms, e.event_source, e.event_name, ${SA_KEY_SQL} ${OF_SA} ORDER BY e.event_ms, e.id`;
/** …from one call on (time, then row): (ms, ms, row). */
const FROM_CALL = 'AND (e.event_ms > ? OR (e.event_ms = ? AND e.id >= ?))';
const CALLS_OF_SA_FROM = `SELECT e.id, e.event_ms, e.event_source, e.event_name, ${SA_KEY_SQL} ${OF_SA} ${FROM_CALL} ORDER BY e.event_ms, e.id`;
const COUNTED = `AND (e.event_source || ' ' || e.event_name) NOT IN (${[...CREDENTIAL_CALLS].map((c) => `'${c}'`).join(', ')})`;
/** How many of those calls the walk counted (old rows, up to a row id; credential exchanges are not counted). */
const OLD_CALLS_OF_SA_FROM = `SELECT count(*) ${OF_SA} ${FROM_CALL} AND e.id <= ? ${COUNTED}`;
/** How many old calls the walk counted before one call: (ms, ms, row, last old row). */
const OLD_CALLS_OF_SA_BEFORE = `SELECT count(*) ${OF_SA} AND (e.event_ms < ? OR (e.event_ms = ? AND e.id < ?)) AND e.id <= ? ${COUNTED}`;
/**
 * First calls at most that new evidence may make earlier in one service account and still be merged into its state
 * (each costs a count of its old calls before it); past that, it is walked again from its first new call.
 */
const MERGED_FIRSTS = 16;
/**
 * New calls held in memory to be sorted, merged and walked (~300 bytes each: ~75 MB). Past it, every service account
 * with a new call is walked again whole instead, its calls streamed from SQLite in order: 10M events added to an open
 * 10M-event case held 5.3M new calls here, 1.7 GB, and took the app's process to 3.1 GB.
 */
const FRESH_CALLS_IN_MEMORY = 250_000;
/**
 * What tests change: with `mergedFirsts` 0, every such service account is walked again from its first new call; with
 * `freshCallsInMemory` 0, every service account with a new call is walked again whole.
 */
export const firstSeenTuning = { mergedFirsts: MERGED_FIRSTS, freshCallsInMemory: FRESH_CALLS_IN_MEMORY };
/** Time, then row: the order the detection walks calls in. */
const byTime = (a: Row, b: Row) => a[1] - b[1] || a[0] - b[0];

type Row = [number, number, string, string, string];
/**
 * An API's first call: time, row, and the service account's calls before it (credential exchanges aside); then its
 * second call's time and row (null while it has been called once), and 1 when its first call was flagged (0 if not).
 */
type ApiFirst = [number, number, number, number | null, number | null, 0 | 1];

/**
 * The flag's reason: what was called first, when, after how many calls of how many other APIs, since when, and how
 * many of the baseline's APIs had been called only once (what `flagged` let through).
 */
function detailOf(key: string, api: string, ms: number, calls: number, others: number, firstMs: number, once: number): string {
  const [source, name] = [api.slice(0, api.indexOf(' ')), api.slice(api.indexOf(' ') + 1)];
  return `${key} called ${source.replace(/\.amazonaws\.com$/, '')}:${name} for the first time at ${isoUtc(ms)}, after ${calls} calls of ${others} other APIs since ${isoUtc(firstMs)}; of its baseline's APIs, ${once === 0 ? 'none' : once} called only once`;
}

/**
 * Whether an API's first call, made after `calls` others, is flagged: the baseline long enough, and complete enough
 * (NEW_API_SHARE). `once`: the APIs called once before it, not counting those whose first call was flagged less than
 * BURST_MS before (a finding is not part of the workload's repertoire while its burst lasts: a stolen credential's
 * burst of new APIs is flagged call by call, as the first was).
 */
const flagged = (ms: number, calls: number, firstMs: number, once: number) =>
  calls >= BASELINE_CALLS && ms - firstMs >= BASELINE_MS && once <= NEW_API_SHARE * calls;

/** The APIs called once whose first call was flagged more than BURST_MS before `ms`. */
const pastBurst = (apis: Map<string, ApiFirst>, ms: number): number => {
  let n = 0;
  for (const a of apis.values()) if (a[5] === 1 && a[3] === null && ms - a[0] > BURST_MS) n++;
  return n;
};

/** How many of these APIs have been called once (no second call), their first call not flagged. */
const calledOnce = (apis: Map<string, ApiFirst>): number => {
  let n = 0;
  for (const a of apis.values()) if (a[3] === null && a[5] === 0) n++;
  return n;
};

function walk(rows: Iterable<Row>, bySa: Map<string, Seen>, hits: FirstSeenHit[]): void {
  for (const [rowid, ms, source, name, key] of rows) {
    const api = `${source} ${name}`;
    if (CREDENTIAL_CALLS.has(api)) continue;
    let seen = bySa.get(key);
    if (!seen) bySa.set(key, (seen = { firstMs: ms, calls: 0, apis: new Map(), once: 0, lastMs: ms, lastRowid: rowid, hits: [] }));
    const first = seen.apis.get(api);
    if (first === undefined) {
      const once = seen.once + pastBurst(seen.apis, ms);
      const hit = flagged(ms, seen.calls, seen.firstMs, once);
      seen.apis.set(api, [ms, rowid, seen.calls, null, null, hit ? 1 : 0]);
      if (hit) {
        seen.hits.push(rowid);
        hits.push({ rowid, detail: detailOf(key, api, ms, seen.calls, seen.apis.size - 1, seen.firstMs, once) });
      } else seen.once++;
    } else if (first[3] === null) {
      first[3] = ms;
      first[4] = rowid;
      if (first[5] === 0) seen.once--;
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

/**
 * A state's APIs with their first calls; null for a state written before they were kept (a list of names), before
 * the calls before each were (two numbers each) or before their second calls and flags were (three).
 */
function apisOf(json: string): Map<string, ApiFirst> | null {
  const v = JSON.parse(json) as unknown;
  if (Array.isArray(v)) return null;
  const apis = new Map(Object.entries(v as Record<string, (number | null)[]>));
  for (const first of apis.values()) if (first.length !== 6) return null;
  return apis as Map<string, ApiFirst>;
}

/** Whether call (ms, rowid) comes before call (ms2, rowid2) in the walk's order. */
function earlier(ms: number, rowid: number, ms2: number, rowid2: number): boolean {
  return ms < ms2 || (ms === ms2 && rowid < rowid2);
}

/**
 * A service account's state with new calls (sorted, none a credential exchange) merged in without walking its old
 * calls again: what a walk of all its calls would give. Each API's first call is the earlier of its old one and its
 * first new one; the calls before it are, for an old first call, those the state kept plus the new ones before it,
 * and for a new one, the new ones before it plus the old ones (`oldBefore`, counted by SQL); the flags and their
 * reasons follow from those and from the service account's first call (the rank of an API is how many first calls
 * come before its own). Null when more than MERGED_FIRSTS first calls would be new ones.
 */
function merged(sa: string, st: Seen, rows: Row[], oldBefore: (ms: number, rowid: number) => number): { seen: Seen; reasons: Map<number, string> } | null {
  const newBefore = (ms: number, rowid: number): number => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (earlier(rows[mid]![1], rows[mid]![0], ms, rowid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // Each API's first two new calls: time, row, the new calls before the first; the second's time and row.
  const firstNew = new Map<string, [number, number, number, number | null, number | null]>();
  rows.forEach(([rowid, ms, source, name], i) => {
    const api = `${source} ${name}`;
    const f = firstNew.get(api);
    if (f === undefined) firstNew.set(api, [ms, rowid, i, null, null]);
    else if (f[3] === null) {
      f[3] = ms;
      f[4] = rowid;
    }
  });
  const moved = [...firstNew].filter(([api, [ms, rowid]]) => {
    const old = st.apis.get(api);
    return old === undefined || earlier(ms, rowid, old[0], old[1]);
  });
  if (moved.length > firstSeenTuning.mergedFirsts) return null;
  // An API's second call is the earlier of two: for an old first call, its old second and its first new call; for a
  // new one, its second new call and its old first.
  const second = (a: [number, number] | null, ms: number | null, rowid: number | null): [number | null, number | null] =>
    a !== null && (ms === null || earlier(a[0], a[1], ms, rowid!)) ? a : [ms, rowid];
  const apis = new Map<string, ApiFirst>();
  for (const [api, [ms, rowid, calls, ms2, row2]] of st.apis) {
    const n = firstNew.get(api);
    apis.set(api, [ms, rowid, calls + newBefore(ms, rowid), ...second(n ? [n[0], n[1]] : null, ms2, row2), 0]);
  }
  for (const [api, [ms, rowid, i, ms2, row2]] of moved) {
    const old = st.apis.get(api);
    apis.set(api, [ms, rowid, oldBefore(ms, rowid) + i, ...second(old ? [old[0], old[1]] : null, ms2, row2), 0]);
  }
  const [lastRow, lastMs] = rows[rows.length - 1]!;
  const firstMs = Math.min(st.firstMs, rows[0]![1]);
  const hits: number[] = [];
  const reasons = new Map<number, string>();
  // In the order of their first calls, each flagged or not as the walk would: the APIs called once before it are
  // those first called before it, not flagged or flagged more than BURST_MS before it, and not called a second time
  // before it.
  const order = [...apis].sort((a, b) => a[1][0] - b[1][0] || a[1][1] - b[1][1]);
  order.forEach(([api, a], rank) => {
    const [ms, rowid, calls] = a;
    let once = 0;
    for (let k = 0; k < rank; k++) {
      const b = order[k]![1];
      if ((b[5] === 0 || ms - b[0] > BURST_MS) && (b[3] === null || !earlier(b[3], b[4]!, ms, rowid))) once++;
    }
    if (!flagged(ms, calls, firstMs, once)) return;
    a[5] = 1;
    hits.push(rowid);
    reasons.set(rowid, detailOf(sa, api, ms, calls, rank, firstMs, once));
  });
  const later = earlier(st.lastMs, st.lastRowid, lastMs, lastRow);
  return {
    seen: { firstMs, calls: st.calls + rows.length, apis, once: calledOnce(apis), lastMs: later ? lastMs : st.lastMs, lastRowid: later ? lastRow : st.lastRowid, hits },
    reasons,
  };
}

/**
 * Every service account's calls in the walk's order, for the whole walk: SQLite sorts them as integers (row, time,
 * subject, facet id: ~20 bytes a call) read in table order, and the API's and service account's text is looked up
 * here, by facet id (`facetValues`: the event source and name) and by subject. Sorting the calls with that text, or
 * reading them in order through the time index (a random read of the table each), took 1.6–1.9 s at 1M events and
 * 18.7 s at 10M. A row without a facet id (written before migration 0150, or a value holding U+001F) brings its
 * event source and name itself.
 */
const SA_CALLS_SORTED = `SELECT e.id, e.event_ms, es.subject_id, e.facet_sid,
    CASE WHEN e.facet_sid IS NULL THEN e.event_source END, CASE WHEN e.facet_sid IS NULL THEN e.event_name END
  FROM events e NOT INDEXED ${SA_CALLS_JOIN} ORDER BY e.event_ms, e.id`;

function* sortedCalls(db: Database): Generator<Row> {
  const keyOf = new Map(db.prepare(`SELECT s.id, ${SA_KEY_SQL} FROM subjects s WHERE s.service_account IS NOT NULL`).raw(true).all() as [number, string][]);
  const textOf = db.prepare('SELECT text FROM strings WHERE id = ?').pluck();
  const apiOfRow = db.prepare('SELECT event_source, event_name FROM events WHERE id = ?').raw(true);
  // By facet id; null: an id that names no facet combination (a damaged case), whose rows are read for theirs.
  const apiOf = new Map<number, [string, string] | null>();
  for (const [rowid, ms, subject, sid, source, name] of db.prepare(SA_CALLS_SORTED).raw(true).iterate() as IterableIterator<[number, number, number, number | null, string, string]>) {
    if (sid === null) {
      yield [rowid, ms, source, name, keyOf.get(subject)!];
      continue;
    }
    let api = apiOf.get(sid);
    if (api === undefined) {
      const text = textOf.get(sid) as string | undefined;
      const values = text === undefined ? null : facetValues(text);
      apiOf.set(sid, (api = values === null ? null : [values[2]!, values[3]!]));
    }
    const [src, api1] = api ?? (apiOfRow.get(rowid) as [string, string]);
    yield [rowid, ms, src, api1, keyOf.get(subject)!];
  }
}

/** Every service account walked from its first call; the state is written afresh. */
export function firstSeenApis(db: Database): FirstSeenHit[] {
  const bySa = new Map<string, Seen>();
  const hits: FirstSeenHit[] = [];
  walk(sortedCalls(db), bySa, hits);
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
  // The new calls (a few: read from the end of the table, sorted here, not through the time index); too many to hold,
  // and their service accounts are walked again whole. Counted before they are read: a quarter of a million rows read
  // and dropped stayed in the engine's heap as garbage (V8's old space) through the rest of a large add.
  const whole = new Set(dirty);
  const bound = firstSeenTuning.freshCallsInMemory;
  const many = (db.prepare(`SELECT count(*) FROM (SELECT 1 ${SA_CALLS_FROM} AND e.id > ? LIMIT ?)`).pluck().get(afterId, bound + 1) as number) > bound;
  let fresh: Row[] = [];
  if (many) {
    for (const sa of db.prepare(`SELECT DISTINCT ${SA_KEY_SQL} ${SA_CALLS_FROM} AND e.id > ?`).pluck().iterate(afterId) as IterableIterator<string>) whole.add(sa);
  } else {
    fresh = db.prepare(`${SA_CALLS} AND e.id > ?`).raw(true).all(afterId) as Row[];
  }
  fresh.sort(byTime);
  const newBySa = new Map<string, Row[]>();
  for (const r of fresh) {
    if (CREDENTIAL_CALLS.has(`${r[2]} ${r[3]}`)) continue;
    const list = newBySa.get(r[4]);
    if (list) list.push(r);
    else newBySa.set(r[4], [r]);
  }
  const stateOf = db.prepare('SELECT first_ms, calls, last_ms, last_rowid, apis, hits FROM first_seen_state WHERE sa = ?');
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
    const seen: Seen = { firstMs: st.first_ms, calls: st.calls, apis, once: calledOnce(apis), lastMs: st.last_ms, lastRowid: st.last_rowid, hits: JSON.parse(st.hits) as number[] };
    const [rowid, ms] = rows[0]!;
    if (earlier(ms, rowid, st.last_ms, st.last_rowid)) resume.set(sa, { ms, rowid, st: seen });
    else bySa.set(sa, seen);
  }
  const hits: FirstSeenHit[] = [];
  const unflag = db.prepare("DELETE FROM event_flags WHERE event_rowid = ? AND flag = 'first-seen-api'");
  // Merged where few first calls move (most new evidence: more calls of APIs already called); flags whose reason
  // changed are written again.
  const oldBefore = db.prepare(OLD_CALLS_OF_SA_BEFORE).pluck();
  const reasonOf = db.prepare("SELECT detail FROM event_flags WHERE event_rowid = ? AND flag = 'first-seen-api'").pluck();
  const done = new Set<string>();
  for (const [sa, r] of resume) {
    const m = merged(sa, r.st, newBySa.get(sa)!, (ms, rowid) => oldBefore.get(sa, ms, ms, rowid, afterId) as number);
    if (m === null) continue;
    const kept = new Set<number>();
    for (const h of r.st.hits) {
      if (m.reasons.get(h) === reasonOf.get(h)) kept.add(h);
      else unflag.run(h);
    }
    for (const [rowid, detail] of m.reasons) if (!kept.has(rowid)) hits.push({ rowid, detail });
    bySa.set(sa, m.seen);
    done.add(sa);
  }
  for (const sa of done) resume.delete(sa);
  if (resume.size > 0) {
    // Each one's calls from its first new call on, streamed in the walk's order (SQLite sorts them, not this heap:
    // new evidence as old as the case made them every call of the case, 1.8 GB of rows at 10M events).
    const oldCalls = db.prepare(OLD_CALLS_OF_SA_FROM).pluck();
    const callsFrom = db.prepare(CALLS_OF_SA_FROM).raw(true);
    const timeOf = db.prepare('SELECT event_ms FROM events WHERE id = ?').pluck();
    for (const [sa, r] of resume) {
      const st = r.st;
      // What the walk knew just before the first new call: the calls from it on taken away (the old ones among them
      // were counted), the APIs first called from it on too, their flags dropped, and the second calls from it on.
      const calls = st.calls - (oldCalls.get(sa, r.ms, r.ms, r.rowid, afterId) as number);
      for (const [api, a] of st.apis) {
        if (!earlier(a[0], a[1], r.ms, r.rowid)) st.apis.delete(api);
        else if (a[3] !== null && !earlier(a[3], a[4]!, r.ms, r.rowid)) [a[3], a[4]] = [null, null];
      }
      const kept: number[] = [];
      for (const h of st.hits) {
        if (earlier(timeOf.get(h) as number, h, r.ms, r.rowid)) kept.push(h);
        else unflag.run(h);
      }
      if (calls > 0) bySa.set(sa, { firstMs: st.firstMs, calls, apis: st.apis, once: calledOnce(st.apis), lastMs: st.lastMs, lastRowid: st.lastRowid, hits: kept });
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
  for (const [sa, rows] of newBySa) if (!whole.has(sa) && !resume.has(sa) && !done.has(sa)) walk(rows, bySa, hits);
  save(db, bySa);
  return hits;
}
