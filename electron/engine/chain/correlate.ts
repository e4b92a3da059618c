/**
 * Correlation: rebuild the attribution of every event in the case. Reads the fact-bearing records once,
 * resolves each distinct credential once, and points every event at its subject. Runs in one transaction,
 * so a case is never left half-attributed.
 */
import type { Database } from 'better-sqlite3';
import { buildFacts, FACT_SQL_FILTER } from './facts';
import { TimelineBuilder } from '../k8s/timeline';
import { detectFlags } from '../detect/flags';
import { getStr } from '../util/json';
import { buildK8sFacts } from '../k8s/facts';
import { Resolver } from './resolve';
import { rebuildRollup } from '../case/rollup';
import { attachPodActors } from '../k8s/pod-actors';
import { WINDOW_SLACK_MS } from './credentials';
import type { FactDocument, FactRecord, Facts, Hop, Issuance, Resolution } from './model';
import type { JsonObject } from '../util/json';
import { isoUtc } from '../util/time';
import { rawReader, type RawRef } from '../ingest/raw-blocks';
import { hash53 } from '../db/event-id';
import type { Confidence } from '../../../shared/attribution';

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
  /** Events flagged by the offline detections. */
  flags: number;
  elapsedMs: number;
}

export function loadFacts(db: Database): Facts {
  // Read in block order, so that each block of fact records is decompressed once; then taken in the order of the
  // facts index (service, API, row), the order in which the rules have always seen them.
  const rows = db
    .prepare(`SELECT id, event_id, event_ms, event_source, event_name, raw_block, raw_off, raw_len FROM events WHERE ${FACT_SQL_FILTER} ORDER BY raw_block`)
    .all() as ({ id: number; event_id: string; event_ms: number; event_source: string; event_name: string } & RawRef)[];
  const reader = rawReader(db);
  const parsed = rows.map((r) => ({ ...r, record: JSON.parse(reader.text(r)) as JsonObject }));
  parsed.sort((a, b) => (a.event_source < b.event_source ? -1 : a.event_source > b.event_source ? 1 : a.event_name < b.event_name ? -1 : a.event_name > b.event_name ? 1 : a.id - b.id));
  const records: FactRecord[] = parsed.map((r) => ({ eventID: r.event_id, eventMs: r.event_ms, record: r.record }));
  const docs = db
    .prepare('SELECT d.kind, d.raw, f.path, f.sha256 FROM documents d JOIN evidence_files f ON f.id = d.file_id ORDER BY d.id')
    .all() as { kind: string; raw: string; path: string; sha256: string }[];
  const documents: FactDocument[] = docs.map((d) => ({
    kind: d.kind,
    raw: d.raw,
    ref: `file:${d.path.split(/[\\/]/).pop()}#${d.sha256.slice(0, 12)}`,
  }));
  const facts = buildFacts(records, documents);
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

export function correlate(db: Database): CorrelationSummary {
  const started = Date.now();
  const facts = loadFacts(db);
  const resolver = new Resolver(facts);
  const raws = rawReader(db);
  const insertSubject = db.prepare(`
    INSERT INTO subjects (id, subject_key, mechanism, chained, cluster_name, namespace, service_account, pod_name, pod_uid,
      node_instance, conf_identity, conf_pod, conf_node, resolution)
    VALUES (@id, @key, @mechanism, @chained, @cluster, @namespace, @serviceAccount, @podName, @podUid, @node,
      @confIdentity, @confPod, @confNode, @resolution)`);
  let nextId = 1;
  const addSubject = (key: string, r: Resolution): number => {
    const id = nextId++;
    insertSubject.run({
      id,
      key,
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
    });
    return id;
  };
  const ownIdentity = (rowid: number): Resolution => resolver.resolveOwnIdentity(JSON.parse(raws.ofEvent(rowid)) as JsonObject);

  let events = 0;
  let flags = 0;
  const byMechanism: Record<string, number> = {};
  db.transaction(() => {
    db.exec(`
      DELETE FROM event_subjects; DELETE FROM subjects;
      DROP TABLE IF EXISTS temp.key_windows; DROP TABLE IF EXISTS temp.key_rest; DROP TABLE IF EXISTS temp.tuples;
      CREATE TEMP TABLE key_windows (access_key_id TEXT NOT NULL, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL, subject_id INTEGER NOT NULL, types TEXT NOT NULL);
      CREATE TEMP TABLE key_rest (access_key_id TEXT PRIMARY KEY, subject_id INTEGER NOT NULL);
      CREATE TEMP TABLE tuples (tuple TEXT PRIMARY KEY, subject_id INTEGER NOT NULL);`);
    const keys = db.prepare('SELECT DISTINCT access_key_id FROM events WHERE access_key_id IS NOT NULL').pluck().all() as string[];

    // 1. inside the validity window of an issuance in the bundle
    //    An event whose own identity type contradicts the session the key opened (an IAMUser or Root event on a key
    //    an AssumeRole issued) is not linked by the key id: its own identity stands (2a).
    const addWindow = db.prepare('INSERT INTO temp.key_windows VALUES (?, ?, ?, ?, ?)');
    for (const key of keys) {
      if (!resolver.hasIssuance(key)) continue;
      const id = addSubject(`key:${key}`, resolver.resolveKey(key)!);
      for (const iss of resolver.issuancesOf(key)) addWindow.run(key, iss.issuedMs - WINDOW_SLACK_MS, iss.expiresMs + WINDOW_SLACK_MS, id, sessionTypes(iss).join(','));
    }
    // (AWSAccount and AWSService are partial views of a caller logged in another account or by a service: they fit.)
    const TYPE_FITS = `(w.types = '' OR e.identity_type IS NULL OR e.identity_type IN ('AWSAccount', 'AWSService') OR instr(',' || w.types || ',', ',' || e.identity_type || ',') > 0)`;
    db.exec(`
      INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
      SELECT e.id, w.subject_id FROM temp.key_windows w
      JOIN events e ON e.access_key_id = w.access_key_id AND e.event_ms BETWEEN w.from_ms AND w.to_ms
      WHERE ${TYPE_FITS}`);

    // 2a. inside a window, but the event's own identity type contradicts the session: its own identity, with a note.
    const conflicts = db
      .prepare(`SELECT e.access_key_id AS key, e.identity_type AS type, MIN(e.id) AS rep FROM temp.key_windows w
                JOIN events e ON e.access_key_id = w.access_key_id AND e.event_ms BETWEEN w.from_ms AND w.to_ms
                WHERE NOT ${TYPE_FITS} AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id)
                GROUP BY e.access_key_id, e.identity_type`)
      .all() as { key: string; type: string; rep: number }[];
    const assignConflict = db.prepare(`
      INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
      SELECT e.id, ? FROM events e WHERE e.access_key_id = ? AND e.identity_type = ?
      AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id)`);
    for (const c of conflicts) {
      const iss = resolver.issuancesOf(c.key)[0]!;
      const r = ownIdentity(c.rep);
      r.notes.unshift(`${c.key} matches the key ${iss.eventName} ${iss.eventID} issued to a ${sessionTypes(iss).join(' or ')} session, but this event's own identity is ${c.type}: the key id match is not taken`);
      assignConflict.run(addSubject(`conflict:${c.key}:${c.type}`, r), c.key, c.type);
    }

    // 2. the rest of each key's events
    const unassigned = db
      .prepare(`SELECT e.id FROM events e WHERE e.access_key_id = ?
                AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id) LIMIT 1`)
      .pluck();
    const addRest = db.prepare('INSERT INTO temp.key_rest VALUES (?, ?)');
    for (const key of keys) {
      const rep = unassigned.get(key) as number | undefined;
      if (rep === undefined) continue;
      const issued = resolver.hasIssuance(key);
      const r = issued ? outsideWindow(resolver, key) : ownIdentity(rep);
      addRest.run(key, addSubject(`${issued ? 'outside' : 'own'}:${key}`, r));
    }
    db.exec(`
      INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
      SELECT e.id, k.subject_id FROM temp.key_rest k JOIN events e ON e.access_key_id = k.access_key_id`);

    // 2b. AssumeRoleWithWebIdentity calls carry no key (a web-identity token made them): they belong to the
    //     session they opened, minus the issuance hop itself — so the pod found for that session is theirs too.
    db.exec('DROP TABLE IF EXISTS temp.issued; CREATE TEMP TABLE issued (event_id TEXT PRIMARY KEY, id_hash INTEGER NOT NULL, subject_id INTEGER NOT NULL)');
    const insertIssued = db.prepare('INSERT OR IGNORE INTO temp.issued VALUES (?, ?, ?)');
    const addIssued = (eventID: string, subject: number): void => void insertIssued.run(eventID, hash53(eventID), subject);
    for (const [key, list] of facts.issuances) {
      const webIdentity = list.filter((i) => i.eventName === 'AssumeRoleWithWebIdentity');
      if (webIdentity.length > 0) {
        const r = resolver.resolveKey(key)!;
        const id = addSubject(`issued:${key}`, { ...r, chain: r.chain.slice(1), hops: r.hops.slice(1) });
        for (const i of webIdentity) addIssued(i.eventID, id);
      }
      // The role owner's copy of a cross-account AssumeRole names its caller only as `AWSAccount`: each copy is
      // resolved through its own issued key (to the caller's copy), never grouped with other calls of that role.
      for (const i of list) {
        if (getStr(i.record, 'userIdentity', 'type') !== 'AWSAccount') continue;
        addIssued(i.eventID, addSubject(`copy:${i.eventID}`, resolver.resolveOwnIdentity(i.record)));
      }
    }
    db.exec(`
      INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
      SELECT e.id, i.subject_id FROM temp.issued i JOIN events e ON e.id_hash = i.id_hash AND e.event_id = i.event_id WHERE e.access_key_id IS NULL;
      DROP TABLE temp.issued;`);

    // 2c. refused AssumeRoleWithWebIdentity calls were still made by a pod: with Kubernetes evidence each is narrowed
    //     on its own (it opened no session to share).
    if (facts.k8s) {
      const refused = db
        .prepare(`SELECT e.id, e.event_id, e.event_ms, e.raw_block, e.raw_off, e.raw_len FROM events e
                  WHERE e.access_key_id IS NULL AND e.event_name = 'AssumeRoleWithWebIdentity' AND e.error_code IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM event_subjects s WHERE s.event_rowid = e.id)`)
        .all() as ({ id: number; event_id: string; event_ms: number } & RawRef)[];
      const assign = db.prepare('INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id) VALUES (?, ?)');
      for (const x of refused) {
        const r = resolver.resolveRefusedExchange(x.event_id, JSON.parse(raws.text(x)) as JsonObject, x.event_ms);
        if (r.confidence.pod !== 'none') assign.run(x.id, addSubject(`refused:${x.id}`, r));
      }
    }

    // 3. key-less events, one subject per identity tuple
    const tuples = db
      .prepare(`SELECT ${IDENTITY_TUPLE} AS tuple, MIN(id) AS rep FROM events_v WHERE access_key_id IS NULL GROUP BY tuple`)
      .all() as { tuple: string; rep: number }[];
    const addTuple = db.prepare('INSERT INTO temp.tuples VALUES (?, ?)');
    for (const t of tuples) addTuple.run(t.tuple, addSubject(`own:${t.tuple}`, ownIdentity(t.rep)));
    db.exec(`
      INSERT OR IGNORE INTO event_subjects (event_rowid, subject_id)
      SELECT e.id, t.subject_id FROM events_v e JOIN temp.tuples t ON t.tuple = ${IDENTITY_TUPLE.replace(/\b(identity_type|principal_arn|principal_id|invoked_by|user_name)\b/g, 'e.$1')}
      WHERE e.access_key_id IS NULL;
      DROP TABLE temp.key_windows; DROP TABLE temp.key_rest; DROP TABLE temp.tuples;`);

    rebuildRollup(db);
    flags = detectFlags(db, facts, resolver);
    // Who acted on the pods (EKS audit log): podActors/actor per event, and the detections that name a person.
    const actors = attachPodActors(db, facts, resolver);
    flags += actors.flags;
    if (actors.splits > 0) rebuildRollup(db);
    const counts = db
      .prepare('SELECT s.mechanism m, SUM(r.n) n FROM event_rollup r JOIN subjects s ON s.id = r.subject_id GROUP BY s.mechanism')
      .all() as { m: string; n: number }[];
    for (const c of counts) {
      byMechanism[c.m] = c.n;
      events += c.n;
    }
  })();
  return { events, subjects: nextId - 1, byMechanism, flags, elapsedMs: Date.now() - started };
}
