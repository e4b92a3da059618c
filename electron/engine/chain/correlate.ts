/**
 * Correlation: rebuild the attribution of every event in the case. Reads the fact-bearing records once,
 * resolves each distinct credential once, and points every event at its subject. Runs in one transaction,
 * so a case is never left half-attributed.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { buildFacts, FACT_SQL_FILTER } from './facts';
import { TimelineBuilder } from '../k8s/timeline';
import { detectFlags } from '../detect/flags';
import { getStr } from '../util/json';
import { buildK8sFacts } from '../k8s/facts';
import { Resolver } from './resolve';
import { countSubjectEvents, refreshAggregates, rollupFromCounts } from '../case/rollup';
import { SA_KEY_SQL } from '../detect/first-seen';
import { TOOL_VERSION } from '../version';
import { attachPodActors } from '../k8s/pod-actors';
import { WINDOW_SLACK_MS } from './credentials';
import type { FactDocument, FactRecord, Facts, Hop, Issuance, Resolution } from './model';
import type { JsonObject } from '../util/json';
import { isoUtc } from '../util/time';
import { rawReader, type RawRef } from '../ingest/raw-blocks';
import { hash53 } from '../db/event-id';
import type { Confidence } from '../../../shared/attribution';
import { trimNativeHeap } from '../util/native-heap';

const DOWNGRADE: Record<Confidence, Confidence> = { proven: 'inferred', inferred: 'inferred', ambiguous: 'ambiguous', none: 'none' };

/**
 * Events made with a key that the bundle shows issued, but outside its recorded validity window. The key id
 * still names one issuance (AWS does not reuse them), yet the records disagree on time (clock skew, an
 * edited or partial record, or tampering): the link is reported as inferred, never proven, and says why.
 */
function outsideWindow(resolver: Resolver, key: string): Resolution {
  const linked = resolver.resolveKey(key)!;
  const issued = resolver.issuancesOf(key);
  const first = issued[0]!;
  const hop: Hop = {
    rule: 'key-outside-window',
    confidence: 'inferred',
    claim: `${key} matches ${first.eventName} ${first.eventID} (valid ${isoUtc(first.issuedMs)} to ${isoUtc(first.expiresMs)}), but these events fall outside that window: linked by key id only`,
    evidence: issued.map((i) => i.eventID),
    fields: ['userIdentity.accessKeyId', 'responseElements.credentials.expiration', 'eventTime'],
  };
  const c = linked.confidence;
  return {
    ...linked,
    confidence: { identity: DOWNGRADE[c.identity], pod: DOWNGRADE[c.pod], node: DOWNGRADE[c.node] },
    hops: [hop, ...linked.hops],
    notes: [`time conflict: the event is outside the validity window of its key ${key} (issued ${isoUtc(first.issuedMs)}, expires ${isoUtc(first.expiresMs)})`, ...linked.notes],
  };
}

export interface CorrelationSummary {
  events: number;
  subjects: number;
  byMechanism: Record<string, number>;
  /** Flags on events (offline detections), in the whole case. */
  flags: number;
  elapsedMs: number;
  /** Whole: every event attributed afresh. Incremental: what the evidence added since the last one can change. */
  mode: 'whole' | 'incremental' | 'unchanged';
  /** Why a whole correlation was needed, when one was asked for as incremental. */
  why?: string;
}

/** Fact rows read at a time (loadFacts). */
const FACTS_PAGE = 20_000;

export function loadFacts(db: Database): Facts {
  // Taken in the order of the facts index (service, API, row), the order in which the rules have always seen them,
  // and parsed one at a time as the rules take them: most fact records leave nothing behind but what they establish
  // (a busy case holds hundreds of thousands of DescribeCluster calls: the 10M bench case 202,819, which held
  // ~450 MB of parsed JSON when they were all parsed first). Within one service and API the rows run in row order,
  // so the fact blocks are read in order, once per API.
  // Read a page at a time along the facts index (its order): all of them at once were ~60 MB of row objects at 10M
  // events (208,678 rows), on top of what the rules build.
  const page = db.prepare(
    `SELECT id, event_id, event_ms, event_source, event_name, raw_block, raw_off, raw_len FROM events
     WHERE ${FACT_SQL_FILTER} AND (event_source, event_name, id) > (?, ?, ?) ORDER BY event_source, event_name, id LIMIT ${FACTS_PAGE}`,
  );
  const reader = rawReader(db);
  function* records(): Generator<FactRecord> {
    let after: [string, string, number] = ['', '', 0];
    for (;;) {
      const rows = page.all(...after) as ({ id: number; event_id: string; event_ms: number; event_source: string; event_name: string } & RawRef)[];
      for (const r of rows) yield { eventID: r.event_id, eventMs: r.event_ms, record: JSON.parse(reader.text(r)) as JsonObject };
      if (rows.length < FACTS_PAGE) return;
      const last = rows[rows.length - 1]!;
      after = [last.event_source, last.event_name, last.id];
    }
  }
  const docs = db
    .prepare('SELECT d.kind, d.raw, f.path, f.sha256 FROM documents d JOIN evidence_files f ON f.id = d.file_id ORDER BY d.id')
    .all() as { kind: string; raw: string; path: string; sha256: string }[];
  const documents: FactDocument[] = docs.map((d) => ({
    kind: d.kind,
    raw: d.raw,
    ref: `file:${d.path.split(/[\\/]/).pop()}#${d.sha256.slice(0, 12)}`,
  }));
  const facts = buildFacts(records(), documents);
  facts.k8s = loadK8s(db, facts);
  return facts;
}

/** The pod timeline from audit events and inventories, when the case has Kubernetes evidence. */
function loadK8s(db: Database, facts: Facts): Facts['k8s'] {
  const audits = db
    .prepare(
      `SELECT audit_id, ts_ms, raw, (SELECT MIN(file_id) FROM k8s_audit_sources s WHERE s.audit_rowid = a.id) AS file_id
       FROM k8s_audit a WHERE resource IN ('pods', 'serviceaccounts', 'nodes') ORDER BY ts_ms, id`,
    )
    .all() as { audit_id: string; ts_ms: number; raw: string; file_id: number | null }[];
  const docs = db
    .prepare(`SELECT d.kind, d.raw, d.file_id, f.path, f.sha256 FROM documents d JOIN evidence_files f ON f.id = d.file_id
              WHERE d.kind IN ('k8s-object', 'ec2-reservation') ORDER BY d.id`)
    .all() as { kind: string; raw: string; file_id: number; path: string; sha256: string }[];
  const anyAudit = db.prepare('SELECT 1 FROM k8s_audit LIMIT 1').get() !== undefined;
  if (!anyAudit && docs.length === 0) return null;
  const builder = new TimelineBuilder();
  for (const a of audits) {
    builder.audit({ auditId: a.audit_id, tsMs: a.ts_ms, record: JSON.parse(a.raw) as JsonObject, source: a.file_id === null ? undefined : `file:${a.file_id}` });
  }
  const reservations: { record: JsonObject; ref: string }[] = [];
  for (const d of docs) {
    const ref = `file:${d.path.split(/[\\/]/).pop()}#${d.sha256.slice(0, 12)}`;
    const record = JSON.parse(d.raw) as JsonObject;
    if (d.kind === 'ec2-reservation') {
      builder.instances(record, ref);
      reservations.push({ record, ref });
    } else builder.inventory(record, ref, Number.NaN, `file:${d.file_id}`);
  }
  const ipsStmt = db.prepare('SELECT DISTINCT source_ip FROM events WHERE access_key_id = ? AND source_ip IS NOT NULL').pluck();
  const lastUseStmt = db.prepare('SELECT MAX(event_ms) FROM events WHERE access_key_id = ?').pluck();
  return buildK8sFacts(facts, builder.build(), reservations, (key) => ipsStmt.all(key) as string[], (key) => (lastUseStmt.get(key) as number | null) ?? null);
}

/**
 * Events are assigned to subjects with set-based SQL (a join in SQLite), not row by row in JavaScript:
 * JavaScript resolves each distinct credential once, SQLite matches the events.
 * 1. keys issued in the bundle: events inside a key's validity window → subject `key:<id>`;
 * 2. the other events of each key: `outside:<id>` (issued, but outside the window) or `own:<id>`
 *    (issuance not in the bundle: what the event's own identity states);
 * 3. key-less events (AWS services, web identities, …): one subject per distinct identity tuple.
 */
const IDENTITY_TUPLE = `coalesce(identity_type,'') || '|' || coalesce(principal_arn,'') || '|' || coalesce(principal_id,'') || '|' || coalesce(invoked_by,'') || '|' || coalesce(user_name,'')`;

/**
 * The `userIdentity.type` of the calls made with a key each STS call issues: a role session for the AssumeRole
 * calls, a federated user for GetFederationToken, root for AssumeRoot, and the caller's own type for
 * GetSessionToken (an IAM user's or root's session). Empty: not known, anything fits.
 */
function sessionTypes(iss: Issuance): string[] {
  switch (iss.eventName) {
    case 'AssumeRole':
    case 'AssumeRoleWithWebIdentity':
    case 'AssumeRoleWithSAML':
      return ['AssumedRole'];
    case 'GetFederationToken':
      return ['FederatedUser'];
    case 'AssumeRoot':
      return ['Root'];
    case 'GetSessionToken': {
      const t = getStr(iss.record, 'userIdentity', 'type');
      return t === 'IAMUser' || t === 'Root' ? [t] : [];
    }
    default:
      return [];
  }
}

/**
 * SQLite's page cache during correlation, in KiB as the pragma takes it (negative): 16 MiB. With 64 MiB (2026-12-06,
 * nothing else running): 10M events correlated incrementally into a 10M-event case 134.0 s and peak RSS 458 MB,
 * against 108.2 s and 368 MB with 16 MiB; the 1M case correlated whole 6.6–7.1 s either way, 223–229 MB against
 * 174–176 MB. The correlation reads its rows in table or index order, and its sorters and aggregates spill.
 */
const CORRELATION_CACHE = -16384;

/**
 * Which engine wrote the attribution: a case correlated by another version is correlated whole again. The number
 * moves when what a correlation derives changes (2: first-seen-api's gate on how complete the baseline is, its reason
 * saying how many of the baseline's APIs were called once, and its state with each API's second call), so that a case correlated before derives it all again at its next correlation
 * instead of keeping the old rule's flags where no new evidence walks.
 */
export const ENGINE = `podtrail ${TOOL_VERSION} correlation 2`;

interface Marks {
  events: number;
  audits: number;
  documents: number;
}

function marksOf(db: Database): Marks {
  const max = (sql: string) => (db.prepare(sql).pluck().get() as number | null) ?? 0;
  return { events: max('SELECT MAX(id) FROM events'), audits: max('SELECT MAX(id) FROM k8s_audit'), documents: max('SELECT MAX(id) FROM documents') };
}

/** The validity windows of each key the bundle shows issued, as correlation matches events against them. */
function windowsOf(resolver: Resolver, facts: Facts): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of facts.issuances.keys()) {
    out.set(key, resolver.issuancesOf(key).map((i) => `${i.issuedMs - WINDOW_SLACK_MS}/${i.expiresMs + WINDOW_SLACK_MS}/${sessionTypes(i).join(',')}`).join(';'));
  }
  return out;
}

/**
 * Correlation: the attribution of every event in the case. Reads the fact-bearing records once, resolves each
 * distinct credential once, and points every event at its subject. Runs in one transaction, so a case is never
 * left half-attributed.
 *
 * After evidence is added to a correlated case, only what it can change is redone (unless `whole` is asked):
 * - every subject is resolved again from the facts, the pod timeline included (a few thousand credentials: new
 *   records, audit events or inventories can change any chain or pod answer), and its row updated where its answer
 *   changed;
 * - the events of keys whose validity windows changed (a new issuance record) are matched again; the new events are
 *   matched; key-less events move only where an issuance or a refused exchange (now narrowed to a pod) claims them;
 * - the per-subject counts (case/rollup.ts) are recounted for the subjects whose events moved, added to for the rest;
 * - the detections run again over those counts, and first-seen-api goes on from where it stopped (detect/);
 * - the pod actors (EKS audit) are attached again.
 * The result is the same as a whole correlation's (subject ids aside): test/engine/chain/incremental.test.ts holds
 * that on generated bundles, with every kind of evidence added in any order. A case correlated by another engine
 * version, or one that lost evidence, is correlated whole.
 */
export function correlate(db: Database, opts: { whole?: boolean } = {}): CorrelationSummary {
  const started = Date.now();
  const marks = marksOf(db);
  const state = db.prepare('SELECT engine, events_max, audits_max, documents_max FROM correlation_state').get() as
    | { engine: string; events_max: number; audits_max: number; documents_max: number }
    | undefined;
  let why: string | undefined;
  if (opts.whole) why = 'asked for';
  else if (!state) why = 'the case has no earlier correlation';
  else if (state.engine !== ENGINE) why = `the case was correlated by ${state.engine}`;
  else if (marks.events < state.events_max || marks.documents < state.documents_max || marks.audits < state.audits_max) why = 'evidence was removed';
  if (why === undefined && marks.events === state!.events_max && marks.documents === state!.documents_max && marks.audits === state!.audits_max) {
    return { ...summarize(db), elapsedMs: Date.now() - started, mode: 'unchanged' };
  }
  // A smaller page cache while correlating: SQLite sizes its sorters (the GROUP BYs and ORDER BYs over every event)
  // by it too, and they are what grows with the case. At 3M events: peak RSS 800 → 478 MB, no slower (the case's
  // cache then; `CORRELATION_CACHE` since).
  const cacheSize = db.pragma('cache_size', { simple: true }) as number;
  db.pragma(`cache_size = ${CORRELATION_CACHE}`);
  try {
    const facts = loadFacts(db);
    const resolver = new Resolver(facts);
    const run = new Correlation(db, facts, resolver);
    db.transaction(() => {
      if (why === undefined) run.incremental(state!.events_max);
      else run.whole();
      // A new token with the subjects it wrote (migration 0160): a reader that kept the old ones reads them again.
      db.prepare('INSERT OR REPLACE INTO correlation_state (id, engine, events_max, audits_max, documents_max, subjects_token) VALUES (1, ?, ?, ?, ?, ?)').run(
        ENGINE,
        marks.events,
        marks.audits,
        marks.documents,
        randomUUID(),
      );
    })();
  } finally {
    db.pragma(`cache_size = ${cacheSize}`);
    // Its sorters, the cache beyond the case's and the facts' blocks: freed now, given back (native-heap.ts).
    trimNativeHeap();
  }
  return { ...summarize(db), elapsedMs: Date.now() - started, mode: why === undefined ? 'incremental' : 'whole', ...(why !== undefined && !opts.whole ? { why } : {}) };
}

function summarize(db: Database): Omit<CorrelationSummary, 'elapsedMs' | 'mode'> {
  const byMechanism: Record<string, number> = {};
  let events = 0;
  const counts = db.prepare('SELECT s.mechanism m, SUM(r.n) n FROM event_rollup r JOIN subjects s ON s.id = r.subject_id GROUP BY s.mechanism').all() as { m: string; n: number }[];
  for (const c of counts) {
    byMechanism[c.m] = c.n;
    events += c.n;
  }
  const subjects = db.prepare('SELECT COUNT(*) FROM subjects WHERE split_of IS NULL').pluck().get() as number;
  const flags = db.prepare('SELECT COUNT(*) FROM event_flags').pluck().get() as number;
  return { events, subjects, byMechanism, flags };
}

// (AWSAccount and AWSService are partial views of a caller logged in another account or by a service: they fit.)
// The one-type case first (an AssumeRole key's AssumedRole events, most keyed events): a comparison instead of two
// concatenations and a search per event; the instructions of a whole correlation at 1M events 0.9 % fewer (callgrind).
const TYPE_FITS = `(w.types = '' OR e.identity_type = w.types OR e.identity_type IS NULL OR e.identity_type IN ('AWSAccount', 'AWSService') OR instr(',' || w.types || ',', ',' || e.identity_type || ',') > 0)`;

/** One correlation run: the subjects it knows (by key), and the steps, whole or over what evidence added. */
class Correlation {
  private readonly raws: ReturnType<typeof rawReader>;
  private readonly ids = new Map<string, number>();
  private nextId = 1;
  /** AWSAccount copies of cross-account AssumeRole calls, by eventID. */
  private readonly copies = new Map<string, JsonObject>();
  private readonly insertSubject;
  private readonly updateSubject;

  constructor(
    private readonly db: Database,
    private readonly facts: Facts,
    private readonly resolver: Resolver,
  ) {
    this.raws = rawReader(db);
    for (const list of facts.issuances.values()) for (const i of list) if (getStr(i.record, 'userIdentity', 'type') === 'AWSAccount') this.copies.set(i.eventID, i.record);
    const cols = `mechanism = @mechanism, chained = @chained, cluster_name = @cluster, namespace = @namespace, service_account = @serviceAccount,
      pod_name = @podName, pod_uid = @podUid, node_instance = @node, conf_identity = @confIdentity, conf_pod = @confPod, conf_node = @confNode, resolution = @resolution`;
    this.insertSubject = db.prepare(`
      INSERT INTO subjects (id, subject_key, rep_rowid, mechanism, chained, cluster_name, namespace, service_account, pod_name, pod_uid,
        node_instance, conf_identity, conf_pod, conf_node, resolution)
      VALUES (@id, @key, @rep, @mechanism, @chained, @cluster, @namespace, @serviceAccount, @podName, @podUid, @node,
        @confIdentity, @confPod, @confNode, @resolution)`);
    this.updateSubject = db.prepare(`UPDATE subjects SET ${cols} WHERE id = @id`);
  }

  private row(r: Resolution) {
    return {
      mechanism: r.mechanism,
      chained: r.chained ? 1 : 0,
      cluster: r.cluster?.name ?? null,
      namespace: r.namespace,
      serviceAccount: r.serviceAccount,
      podName: r.pod?.name ?? null,
      podUid: r.pod?.uid ?? null,
      node: r.node?.instanceId ?? null,
      confIdentity: r.confidence.identity,
      confPod: r.confidence.pod,
      confNode: r.confidence.node,
      resolution: JSON.stringify(r),
    };
  }

  /** The subject of `key`: the one the case has, else a new one (resolved now, unless `resolved` is given). */
  private subject(key: string, rep: number | null, resolved?: Resolution | null): number {
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    const r = resolved ?? this.resolutionOf(key, rep);
    if (!r) throw new Error(`correlation: no resolution for subject ${key}`);
    const id = this.nextId++;
    this.insertSubject.run({ id, key, rep, ...this.row(r) });
    this.ids.set(key, id);
    return id;
  }

  private ownIdentity(rowid: number): Resolution {
    return this.resolver.resolveOwnIdentity(JSON.parse(this.raws.ofEvent(rowid)) as JsonObject);
  }

  /**
   * What a subject resolves to, from its key (and the event its own identity is read from): the one rule both a new
   * subject and the re-resolution of a known one follow. Null: the key no longer names a subject (its issuance, its
   * copy or its refused exchange's pod are gone from the facts).
   */
  private resolutionOf(key: string, rep: number | null): Resolution | null {
    const { resolver } = this;
    const colon = key.indexOf(':');
    const kind = key.slice(0, colon);
    const rest = key.slice(colon + 1);
    switch (kind) {
      case 'key':
        return resolver.hasIssuance(rest) ? resolver.resolveKey(rest)! : null;
      case 'outside':
        return resolver.hasIssuance(rest) ? outsideWindow(resolver, rest) : null;
      case 'issued': {
        if (!resolver.hasIssuance(rest)) return null;
        const r = resolver.resolveKey(rest)!;
        return { ...r, chain: r.chain.slice(1), hops: r.hops.slice(1) };
      }
      case 'copy': {
        const record = this.copies.get(rest);
        return record ? resolver.resolveOwnIdentity(record) : null;
      }
      case 'conflict': {
        const [k, type] = [rest.slice(0, rest.indexOf(':')), rest.slice(rest.indexOf(':') + 1)];
        if (!resolver.hasIssuance(k) || rep === null) return null;
        const iss = resolver.issuancesOf(k)[0]!;
        const r = this.ownIdentity(rep);
        r.notes.unshift(`${k} matches the key ${iss.eventName} ${iss.eventID} issued to a ${sessionTypes(iss).join(' or ')} session, but this event's own identity is ${type}: the key id match is not taken`);
        return r;
      }
      case 'refused': {
        const x = this.db.prepare('SELECT event_id, event_ms FROM events WHERE id = ?').get(rep) as { event_id: string; event_ms: number } | undefined;
        if (!x || !this.facts.k8s) return null;
        const r = resolver.resolveRefusedExchange(x.event_id, JSON.parse(this.raws.ofEvent(rep!)) as JsonObject, x.event_ms);
        return r.confidence.pod === 'none' ? null : r;
      }
      case 'own':
        return rep === null ? null : this.ownIdentity(rep);
      default:
        return null;
    }
  }

  /** Every event attributed afresh. */
  whole(): void {
    const { db } = this;
    // The subject index is built again once every event has its subject (one sort instead of an insert per event; the
    // steps below find events' subjects by row id only): 1.5 % fewer instructions at 1M events (callgrind).
    db.exec(`DROP INDEX IF EXISTS event_subjects_subject; DELETE FROM event_subjects; DELETE FROM subjects; DELETE FROM key_windows_state;`);
    const keys = db.prepare('SELECT DISTINCT access_key_id FROM events WHERE access_key_id IS NOT NULL').pluck().all() as string[];
    this.matchKeys(keys, null);
    this.issued(null);
    this.refused(null);
    this.tuples(null);
    db.exec('CREATE INDEX event_subjects_subject ON event_subjects(subject_id)');
    this.saveWindows(new Map(), windowsOf(this.resolver, this.facts));
    countSubjectEvents(db);
    detectFlags(db, this.facts, this.resolver);
    // Who acted on the pods (EKS audit log): podActors/actor per event, and the detections that name a person.
    attachPodActors(db, this.facts, this.resolver);
    rollupFromCounts(db);
  }

  /**
   * Events with a key, in the order of the rules: (1) inside the validity window of an issuance in the bundle; an
   * event whose own identity type contradicts the session the key opened (an IAMUser or Root event on a key an
   * AssumeRole issued) is not linked by the key id: its own identity stands (2a); (2) the rest of each key's events:
   * `outside:<key>` (issued, but outside the window) or `own:<key>` (issuance not in the bundle). `scope`: the SQL
   * conditions on `e` of the events to match, no event meeting two of them (null: all). The rest of the keys' events
   * are inserted a condition at a time: given their OR, SQLite's plan read each condition's rows through an index and
   * kept every row id in memory to skip repeats (a MULTI-INDEX OR row set: ~190 MB for 10M new events).
   */
  private matchKeys(keys: string[], scope: string[] | null): void {
    const { db, resolver } = this;
    const inScope = scope ? ` AND (${scope.join(' OR ')})` : '';
    db.exec(`
      DROP TABLE IF EXISTS temp.key_windows; DROP TABLE IF EXISTS temp.key_rest;
      CREATE TEMP TABLE key_windows (access_key_id TEXT NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL, subject_id INTEGER NOT NULL, types TEXT NOT NULL);
      CREATE INDEX temp.key_windows_key ON key_windows (access_key_id);
      CREATE TEMP TABLE key_rest (access_key_id TEXT PRIMARY KEY, subject_id INTEGER NOT NULL);`);
    const addWindow = db.prepare('INSERT INTO temp.key_windows VALUES (?, ?, ?, ?, ?)');
    for (const key of keys) {
      if (!resolver.hasIssuance(key)) continue;
      const id = this.subject(`key:${key}`, null);
      for (const iss of resolver.issuancesOf(key)) addWindow.run(key, iss.issuedMs - WINDOW_SLACK_MS, iss.expiresMs + WINDOW_SLACK_MS, id, sessionTypes(iss).join(','));
    }
    // Every event (a whole correlation): the events read in row order, each finding its key's windows by index, so
    // that event_subjects fills in row order too. Read key by key instead (through the key index), each event was a
    // random read of its row and a random insert: at 1M events 2.2 s instead of 1.2 s, at 10M 23.6 s instead of
    // 12.7–16.3 s. Some events (scope, an incremental correlation): key by key, reading only those keys' events.
    db.exec(
      scope
        ? `INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
           SELECT e.id, w.subject_id FROM temp.key_windows w
           JOIN events e ON e.access_key_id = w.access_key_id AND e.event_ms BETWEEN w.from_ms AND w.to_ms
           WHERE ${TYPE_FITS}${inScope}`
        : `INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
           SELECT e.id, w.subject_id FROM events e
           CROSS JOIN temp.key_windows w ON w.access_key_id = e.access_key_id AND e.event_ms BETWEEN w.from_ms AND w.to_ms
           WHERE e.access_key_id IS NOT NULL AND ${TYPE_FITS} ORDER BY e.id`,
    );

    // 2a. inside a window, but the event's own identity type contradicts the session: its own identity, with a note.
    const conflicts = db
      .prepare(`SELECT e.access_key_id AS key, e.identity_type AS type, MIN(e.id) AS rep FROM temp.key_windows w
                JOIN events e ON e.access_key_id = w.access_key_id AND e.event_ms BETWEEN w.from_ms AND w.to_ms
                WHERE NOT ${TYPE_FITS} AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id)${inScope}
                GROUP BY e.access_key_id, e.identity_type`)
      .all() as { key: string; type: string; rep: number }[];
    const assignConflict = db.prepare(`
      INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
      SELECT e.id, ? FROM events e WHERE e.access_key_id = ? AND e.identity_type = ?
      AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id)${inScope}`);
    for (const c of conflicts) assignConflict.run(this.subject(`conflict:${c.key}:${c.type}`, c.rep), c.key, c.type);

    // 2. the rest of each key's events
    const unassigned = db
      .prepare(`SELECT e.id FROM events e WHERE e.access_key_id = ?
                AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id) LIMIT 1`)
      .pluck();
    const addRest = db.prepare('INSERT INTO temp.key_rest VALUES (?, ?)');
    for (const key of keys) {
      const rep = unassigned.get(key) as number | undefined;
      if (rep === undefined) continue;
      addRest.run(key, this.subject(`${resolver.hasIssuance(key) ? 'outside' : 'own'}:${key}`, rep));
    }
    if (!scope) {
      db.exec(`
        INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
        SELECT e.id, k.subject_id FROM events e CROSS JOIN temp.key_rest k ON k.access_key_id = e.access_key_id
        WHERE e.access_key_id IS NOT NULL ORDER BY e.id`);
    }
    for (const part of scope ?? []) {
      db.exec(`
        INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
        SELECT e.id, k.subject_id FROM temp.key_rest k JOIN events e ON e.access_key_id = k.access_key_id WHERE ${part}`);
    }
    db.exec('DROP TABLE temp.key_windows; DROP TABLE temp.key_rest;');
  }

  /**
   * 2b. AssumeRoleWithWebIdentity calls carry no key (a web-identity token made them): they belong to the session
   * they opened, minus the issuance hop itself — so the pod found for that session is theirs too. The role owner's
   * copy of a cross-account AssumeRole names its caller only as `AWSAccount`: each copy is resolved through its own
   * issued key (to the caller's copy), never grouped with other calls of that role. Leaves `temp.issued`.
   */
  private issued(scope: string | null): void {
    const { db, facts } = this;
    db.exec('DROP TABLE IF EXISTS temp.issued; CREATE TEMP TABLE issued (event_id TEXT PRIMARY KEY, id_hash INTEGER NOT NULL, subject_id INTEGER NOT NULL)');
    const insertIssued = db.prepare('INSERT OR IGNORE INTO temp.issued VALUES (?, ?, ?)');
    const addIssued = (eventID: string, subject: number): void => void insertIssued.run(eventID, hash53(eventID), subject);
    for (const [key, list] of facts.issuances) {
      const webIdentity = list.filter((i) => i.eventName === 'AssumeRoleWithWebIdentity');
      if (webIdentity.length > 0) {
        const id = this.subject(`issued:${key}`, null);
        for (const i of webIdentity) addIssued(i.eventID, id);
      }
      for (const i of list) if (this.copies.has(i.eventID)) addIssued(i.eventID, this.subject(`copy:${i.eventID}`, null));
    }
    db.exec(`
      INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
      SELECT e.id, i.subject_id FROM temp.issued i JOIN events e ON e.id_hash = i.id_hash AND e.event_id = i.event_id WHERE e.access_key_id IS NULL${scope ? ` AND ${scope}` : ''}`);
  }

  /**
   * 2c. refused AssumeRoleWithWebIdentity calls were still made by a pod: with Kubernetes evidence each is narrowed
   * on its own (it opened no session to share).
   */
  private refused(scope: string | null): void {
    const { db, facts } = this;
    if (!facts.k8s) return;
    const refused = db
      .prepare(`SELECT e.id FROM events e
                WHERE e.access_key_id IS NULL AND e.event_name = 'AssumeRoleWithWebIdentity' AND e.error_code IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id)${scope ? ` AND ${scope}` : ''}`)
      .pluck()
      .all() as number[];
    const assign = db.prepare('INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id) VALUES (?, ?)');
    for (const id of refused) {
      const key = `refused:${id}`;
      const r = this.ids.has(key) ? null : this.resolutionOf(key, id);
      if (this.ids.has(key) || r !== null) assign.run(id, this.subject(key, id, r));
    }
  }

  /**
   * 3. key-less events, one subject per identity tuple (every tuple has its subject, the events an issuance or a
   * refused exchange took included; its identity is read from its first event). `scope`: the SQL condition on `e` of
   * the events to place (null: all): the new ones, and those that lost their subject (whose tuples have theirs).
   */
  private tuples(scope: string | null): void {
    const { db } = this;
    const tuples = db
      .prepare(`SELECT ${IDENTITY_TUPLE} AS tuple, MIN(id) AS rep FROM events_v e WHERE access_key_id IS NULL${scope ? ` AND ${scope}` : ''} GROUP BY tuple`)
      .all() as { tuple: string; rep: number }[];
    db.exec('DROP TABLE IF EXISTS temp.tuples; CREATE TEMP TABLE tuples (tuple TEXT PRIMARY KEY, subject_id INTEGER NOT NULL)');
    const addTuple = db.prepare('INSERT INTO temp.tuples VALUES (?, ?)');
    for (const t of tuples) addTuple.run(t.tuple, this.subject(`own:${t.tuple}`, t.rep));
    db.exec(`
      INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
      SELECT e.id, t.subject_id FROM events_v e JOIN temp.tuples t ON t.tuple = ${IDENTITY_TUPLE.replace(/\b(identity_type|principal_arn|principal_id|invoked_by|user_name)\b/g, 'e.$1')}
      WHERE e.access_key_id IS NULL AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id)${scope ? ` AND ${scope}` : ''};
      DROP TABLE temp.tuples;`);
  }

  private saveWindows(before: Map<string, string>, now: Map<string, string>): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO key_windows_state (access_key_id, windows) VALUES (?, ?)');
    for (const [key, w] of now) if (before.get(key) !== w) put.run(key, w);
  }

  /** What the events after row `afterId` (and the facts they bring) change; see `correlate`. */
  incremental(afterId: number): void {
    const { db } = this;
    const fresh = `e.id > ${afterId}`;
    for (const [id, key] of db.prepare('SELECT id, subject_key FROM subjects WHERE split_of IS NULL').raw(true).all() as [number, string][]) this.ids.set(key, id);
    this.nextId = ((db.prepare('SELECT MAX(id) FROM subjects').pluck().get() as number | null) ?? 0) + 1;
    // Subjects whose events change other than by new ones being added (their counts are recounted whole), and the
    // service accounts whose calls change so (first-seen-api walks them again).
    db.exec(`DROP TABLE IF EXISTS temp.moved; CREATE TEMP TABLE moved (id INTEGER PRIMARY KEY); DROP TABLE IF EXISTS temp.split; CREATE TEMP TABLE split (id INTEGER PRIMARY KEY);
             DROP TABLE IF EXISTS temp.loose; CREATE TEMP TABLE loose (id INTEGER PRIMARY KEY);`);
    // Key-less events of the case that lost their subject: placed again like new ones.
    const loose = db.prepare('INSERT OR IGNORE INTO temp.loose VALUES (?)');
    const looseOf = db.prepare('INSERT OR IGNORE INTO temp.loose SELECT es.event_rowid FROM event_subjects es JOIN events e ON e.id = es.event_rowid WHERE es.subject_id = ? AND e.access_key_id IS NULL');
    const moved = db.prepare('INSERT OR IGNORE INTO temp.moved VALUES (?)');
    const dirtySas = new Set<string>();
    const saOf = db.prepare(`SELECT ${SA_KEY_SQL} FROM subjects s WHERE s.id = ? AND s.service_account IS NOT NULL`).pluck();
    /** The subject's service account: its calls changed other than by new ones. */
    const dirty = (subject: number) => {
      const sa = saOf.get(subject) as string | undefined;
      if (sa !== undefined) dirtySas.add(sa);
    };
    /** Events moved to or from the subject: its counts are recounted, its service account walked again. */
    const touch = (subject: number) => {
      moved.run(subject);
      dirty(subject);
    };

    // The pod-actor splits of the last run merged back into their subjects (attachPodActors splits them again).
    db.exec(`
      INSERT INTO temp.split SELECT id FROM subjects WHERE split_of IS NOT NULL UNION SELECT split_of FROM subjects WHERE split_of IS NOT NULL;
      UPDATE event_subjects SET subject_id = (SELECT s.split_of FROM subjects s WHERE s.id = event_subjects.subject_id)
        WHERE subject_id IN (SELECT id FROM subjects WHERE split_of IS NOT NULL);
      DELETE FROM subjects WHERE split_of IS NOT NULL;`);

    // Keys whose validity windows changed: their subjects and the matching of all their events are redone.
    const before = new Map(db.prepare('SELECT access_key_id, windows FROM key_windows_state').raw(true).all() as [string, string][]);
    const now = windowsOf(this.resolver, this.facts);
    const reissued = [...now].filter(([k, w]) => before.get(k) !== w).map(([k]) => k);
    db.exec('DROP TABLE IF EXISTS temp.reissued; CREATE TEMP TABLE reissued (access_key_id TEXT PRIMARY KEY)');
    const addReissued = db.prepare('INSERT INTO temp.reissued VALUES (?)');
    for (const k of reissued) addReissued.run(k);
    const dropSubject = db.prepare('DELETE FROM subjects WHERE id = ?');
    const unassignSubject = db.prepare('DELETE FROM event_subjects WHERE subject_id = ?');
    const drop = (key: string) => {
      const id = this.ids.get(key);
      if (id === undefined) return;
      touch(id);
      looseOf.run(id);
      unassignSubject.run(id);
      dropSubject.run(id);
      this.ids.delete(key);
    };
    for (const k of reissued) {
      for (const key of [`key:${k}`, `outside:${k}`, `own:${k}`]) drop(key);
      for (const key of [...this.ids.keys()]) if (key.startsWith(`conflict:${k}:`)) drop(key);
    }

    // Every known subject resolved again from the facts; its row updated where the answer changed.
    const known = db.prepare('SELECT id, subject_key, rep_rowid, resolution FROM subjects').all() as { id: number; subject_key: string; rep_rowid: number | null; resolution: string }[];
    // The service account whose calls first-seen-api counts a subject's events under (null: none).
    const counted = db.prepare(`SELECT ${SA_KEY_SQL} FROM subjects s WHERE s.id = ? AND s.service_account IS NOT NULL AND s.conf_identity IN ('proven', 'inferred')`).pluck();
    const countedUnder = (id: number) => (counted.get(id) as string | undefined) ?? null;
    for (const s of known) {
      const r = this.resolutionOf(s.subject_key, s.rep_rowid);
      if (r === null) {
        drop(s.subject_key);
        continue;
      }
      const row = this.row(r);
      if (row.resolution === s.resolution) continue;
      const was = countedUnder(s.id);
      this.updateSubject.run({ id: s.id, ...row });
      if (countedUnder(s.id) !== was) {
        dirty(s.id); // the service account it is
        if (was !== null) dirtySas.add(was); // and the one it was
      }
    }

    // New events and the events of re-issued keys, matched as a whole correlation matches them.
    const keys = db
      .prepare(`SELECT access_key_id FROM temp.reissued WHERE EXISTS (SELECT 1 FROM events e WHERE e.access_key_id = reissued.access_key_id)
                UNION SELECT DISTINCT e.access_key_id FROM events e WHERE ${fresh} AND e.access_key_id IS NOT NULL`)
      .pluck()
      .all() as string[];
    const firstNew = this.nextId;
    this.matchKeys(keys, [fresh, `e.id <= ${afterId} AND e.access_key_id IN (SELECT access_key_id FROM temp.reissued)`]);
    // Subjects made for re-issued keys hold events the case had: recounted whole.
    for (const id of db.prepare('SELECT id FROM subjects WHERE id >= ?').pluck().all(firstNew) as number[]) {
      if (db.prepare(`SELECT 1 FROM event_subjects es JOIN events e ON e.id = es.event_rowid WHERE es.subject_id = ? AND e.id <= ${afterId} LIMIT 1`).get(id)) touch(id);
    }

    // Key-less events: those an issuance claims, at its subject; those that lost their subject, placed again.
    this.issued(fresh);
    const misplaced = db
      .prepare(`SELECT e.id, es.subject_id FROM temp.issued i JOIN events e ON e.id_hash = i.id_hash AND e.event_id = i.event_id
                JOIN event_subjects es ON es.event_rowid = e.id WHERE e.access_key_id IS NULL AND es.subject_id != i.subject_id`)
      .raw(true)
      .all() as [number, number][];
    const stray = db
      .prepare(`SELECT es.event_rowid, es.subject_id FROM subjects s JOIN event_subjects es ON es.subject_id = s.id JOIN events e ON e.id = es.event_rowid
                WHERE (s.subject_key GLOB 'issued:*' OR s.subject_key GLOB 'copy:*')
                AND NOT EXISTS (SELECT 1 FROM temp.issued i WHERE i.id_hash = e.id_hash AND i.event_id = e.event_id AND i.subject_id = s.id)`)
      .raw(true)
      .all() as [number, number][];
    const unassign = db.prepare('DELETE FROM event_subjects WHERE event_rowid = ?');
    for (const [event, subject] of [...misplaced, ...stray]) {
      touch(subject);
      unassign.run(event);
      loose.run(event);
    }
    if (misplaced.length + stray.length > 0) {
      db.exec(`INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
               SELECT e.id, i.subject_id FROM temp.issued i JOIN events e ON e.id_hash = i.id_hash AND e.event_id = i.event_id
               WHERE e.access_key_id IS NULL AND e.id IN (SELECT id FROM temp.loose)`);
      for (const s of db.prepare('SELECT DISTINCT es.subject_id FROM temp.loose l JOIN event_subjects es ON es.event_rowid = l.id').pluck().all() as number[]) touch(s);
    }
    db.exec('DROP TABLE temp.issued');
    // Refused exchanges the new facts now narrow to a pod: taken from their identity tuple.
    if (this.facts.k8s) {
      const claimed = db
        .prepare(`SELECT e.id, es.subject_id FROM events e JOIN event_subjects es ON es.event_rowid = e.id JOIN subjects s ON s.id = es.subject_id
                  WHERE e.access_key_id IS NULL AND e.event_name = 'AssumeRoleWithWebIdentity' AND e.error_code IS NOT NULL AND s.subject_key GLOB 'own:*'`)
        .raw(true)
        .all() as [number, number][];
      for (const [event, subject] of claimed) {
        if (this.resolutionOf(`refused:${event}`, event) === null) continue;
        touch(subject);
        unassign.run(event);
        loose.run(event);
      }
    }
    const placed = `(${fresh} OR e.id IN (SELECT id FROM temp.loose))`;
    this.refused(placed);
    this.tuples(placed);
    for (const s of db.prepare('SELECT DISTINCT es.subject_id FROM temp.loose l JOIN event_subjects es ON es.event_rowid = l.id').pluck().all() as number[]) touch(s);
    this.saveWindows(before, now);

    refreshAggregates(db, 'ip-use', 'moved', afterId);
    detectFlags(db, this.facts, this.resolver, { afterId, dirtySas });
    attachPodActors(db, this.facts, this.resolver);
    db.exec('INSERT OR IGNORE INTO temp.moved SELECT id FROM temp.split; INSERT OR IGNORE INTO temp.moved SELECT id FROM subjects WHERE split_of IS NOT NULL UNION SELECT split_of FROM subjects WHERE split_of IS NOT NULL');
    refreshAggregates(db, 'rollup', 'moved', afterId);
    db.exec('DROP TABLE temp.moved; DROP TABLE temp.split; DROP TABLE temp.reissued; DROP TABLE temp.loose');
  }
}
