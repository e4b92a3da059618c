/**
 * Correlation: rebuild the attribution of every event in the case. Reads the fact-bearing records once,
 * resolves each distinct credential once, and points every event at its subject. Runs in one transaction,
 * so a case is never left half-attributed.
 */
import type { Database } from 'better-sqlite3';
import { buildFacts, FACT_SQL_FILTER } from './facts';
import { Resolver, keyLink } from './resolve';
import type { FactDocument, FactRecord, Facts, Hop, Resolution } from './model';
import type { JsonObject } from '../util/json';
import { isoUtc } from '../util/time';
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
  elapsedMs: number;
}

export function loadFacts(db: Database): Facts {
  const rows = db
    .prepare(`SELECT event_id, event_ms, raw FROM events WHERE ${FACT_SQL_FILTER}`)
    .all() as { event_id: string; event_ms: number; raw: string }[];
  const records: FactRecord[] = rows.map((r) => ({ eventID: r.event_id, eventMs: r.event_ms, record: JSON.parse(r.raw) as JsonObject }));
  const docs = db
    .prepare('SELECT d.kind, d.raw, f.path, f.sha256 FROM documents d JOIN evidence_files f ON f.id = d.file_id ORDER BY d.id')
    .all() as { kind: string; raw: string; path: string; sha256: string }[];
  const documents: FactDocument[] = docs.map((d) => ({
    kind: d.kind,
    raw: d.raw,
    ref: `file:${d.path.split(/[\\/]/).pop()}#${d.sha256.slice(0, 12)}`,
  }));
  return buildFacts(records, documents);
}

interface EventKeyRow {
  id: number;
  event_ms: number;
  access_key_id: string | null;
  identity_type: string | null;
  principal_arn: string | null;
  principal_id: string | null;
  invoked_by: string | null;
  user_name: string | null;
}

/** Which subject an event belongs to, and how to resolve that subject once. */
function subjectOf(row: EventKeyRow, resolver: Resolver): { key: string; kind: 'key' | 'outside' | 'own' } {
  const k = row.access_key_id;
  if (k) {
    const link = keyLink(resolver, k, row.event_ms);
    if (link === 'linked') return { key: `key:${k}`, kind: 'key' };
    if (link === 'outside-window') return { key: `outside:${k}`, kind: 'outside' };
    return { key: `own:${k}`, kind: 'own' };
  }
  return {
    key: `own:${row.identity_type ?? ''}|${row.principal_arn ?? ''}|${row.principal_id ?? ''}|${row.invoked_by ?? ''}|${row.user_name ?? ''}`,
    kind: 'own',
  };
}

export function correlate(db: Database): CorrelationSummary {
  const started = Date.now();
  const facts = loadFacts(db);
  const resolver = new Resolver(facts);
  const rawOf = db.prepare('SELECT raw FROM events WHERE id = ?').pluck();
  const page = db.prepare(`
    SELECT id, event_ms, access_key_id, identity_type, principal_arn, principal_id, invoked_by, user_name
    FROM events WHERE id > ? ORDER BY id LIMIT 20000`);
  const insertSubject = db.prepare(`
    INSERT INTO subjects (id, subject_key, mechanism, chained, cluster_name, namespace, service_account, pod_name, pod_uid,
      node_instance, conf_identity, conf_pod, conf_node, resolution)
    VALUES (@id, @key, @mechanism, @chained, @cluster, @namespace, @serviceAccount, @podName, @podUid, @node,
      @confIdentity, @confPod, @confNode, @resolution)`);
  const insertLink = db.prepare('INSERT INTO event_subjects (event_rowid, subject_id) VALUES (?, ?)');
  const subjects = new Map<string, number>();
  const byMechanism: Record<string, number> = {};
  let events = 0;

  const resolveSubject = (row: EventKeyRow, kind: 'key' | 'outside' | 'own'): Resolution => {
    if (kind === 'key') return resolver.resolveKey(row.access_key_id!)!;
    if (kind === 'outside') return outsideWindow(resolver, row.access_key_id!);
    return resolver.resolveOwnIdentity(JSON.parse(rawOf.get(row.id) as string) as JsonObject);
  };

  db.transaction(() => {
    db.exec('DELETE FROM event_subjects; DELETE FROM subjects;');
    let last = 0;
    for (;;) {
      const rows = page.all(last) as EventKeyRow[];
      if (rows.length === 0) break;
      for (const row of rows) {
        const s = subjectOf(row, resolver);
        let id = subjects.get(s.key);
        if (id === undefined) {
          id = subjects.size + 1;
          subjects.set(s.key, id);
          const r = resolveSubject(row, s.kind);
          insertSubject.run({
            id,
            key: s.key,
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
        }
        insertLink.run(row.id, id);
        events++;
      }
      last = rows[rows.length - 1]!.id;
    }
    const counts = db
      .prepare('SELECT s.mechanism m, COUNT(*) n FROM event_subjects es JOIN subjects s ON s.id = es.subject_id GROUP BY s.mechanism')
      .all() as { m: string; n: number }[];
    for (const c of counts) byMechanism[c.m] = c.n;
  })();
  return { events, subjects: subjects.size, byMechanism, elapsedMs: Date.now() - started };
}
