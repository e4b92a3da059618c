/**
 * Correlation step (after the subjects and the detections): the actions people took on each pod (k8s/actors.ts)
 * become `podActors` and `actor` of the attribution records, and the detections `exec-then-credential-use` and
 * `human-minted-token` are raised.
 *
 * A subject's events share one resolution, yet `podActors` lists the actions up to each event's time and `actor`
 * is per call: a subject whose events differ is split, one subject per (actions so far, actor), each keeping the
 * credential's resolution. The events of the largest part stay on the original subject (`key:<id>` etc.), the rest
 * move to `<subject key>#<n>` subjects. This runs after the other detections, which count sessions by subject.
 */
import type { Database } from 'better-sqlite3';
import type { EventActor, Flag, PodActorAction } from '../../../shared/attribution';
import type { Facts, Resolution } from '../chain/model';
import type { Resolver } from '../chain/resolve';
import { isSdkSessionName, webIdentityOf } from '../chain/irsa';
import { isoUtc } from '../util/time';
import type { PodLife } from './timeline';
import {
  actionView, actorOf, buildPodActors, isClusterMachinery, loadActorAudit, podsOfResolution,
  type Baseline, type KeyUse, type PodActionRecord, type PodActorsIndex,
} from './actors';
import { eventIdArgs, eventIdIs } from '../db/event-id';

/** An exchange follows a minted token within this long. */
const MINT_TO_EXCHANGE_MS = 5 * 60_000;

export interface PodActorsSummary {
  actions: number;
  /** Subjects split so that each event carries its own podActors/actor. */
  splits: number;
  /** Flags raised (exec-then-credential-use, human-minted-token, their sessions). */
  flags: number;
}

export function attachPodActors(db: Database, facts: Facts, resolver: Resolver): PodActorsSummary {
  db.exec("DELETE FROM pod_actions; DELETE FROM event_flags WHERE flag IN ('exec-then-credential-use', 'human-minted-token')");
  const summary: PodActorsSummary = { actions: 0, splits: 0, flags: 0 };
  if (!facts.k8s) return summary;
  const rows = loadActorAudit(db);
  if (rows.length === 0) return summary;
  const useStmt = db.prepare(
    `SELECT event_id, identity_type, principal_arn, principal_id, session_issuer_arn, invoked_by, user_name, recipient_account_id
     FROM events_v WHERE access_key_id = ? ORDER BY event_ms, id LIMIT 1`,
  );
  const keyUse = (key: string): KeyUse | null => {
    const r = useStmt.get(key) as
      | { event_id: string; identity_type: string | null; principal_arn: string | null; principal_id: string | null; session_issuer_arn: string | null; invoked_by: string | null; user_name: string | null; recipient_account_id: string | null }
      | undefined;
    return r
      ? { eventID: r.event_id, identityType: r.identity_type, arn: r.principal_arn, principalId: r.principal_id, issuerArn: r.session_issuer_arn, invokedBy: r.invoked_by, userName: r.user_name, accountId: r.recipient_account_id }
      : null;
  };
  const index = buildPodActors(facts, resolver, rows, keyUse);
  summary.actions = index.all.length;
  const insert = db.prepare(
    `INSERT INTO pod_actions (audit_id, action, ts_ms, end_ms, namespace, target, pods, kubernetes_user, access_key_id, principal, confidence, chain_keys, why)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const a of index.all) {
    const target =
      a.action === 'deploy' ? `deployment ${a.namespace}/${a.deployment} → replicaset ${a.replicaSet!.name}` : a.action === 'token' ? `serviceaccount ${a.namespace}/${a.serviceAccount}` : `pod ${a.namespace}/${a.podName}`;
    insert.run(
      a.auditId, a.action, a.startMs, a.endMs, a.namespace, target, JSON.stringify(a.pods.map((p) => ({ name: p.name, uid: p.uid }))), a.user.username,
      a.user.accessKeyId, a.identity.principal, a.identity.confidence, JSON.stringify(a.identity.chain.map((l) => l.accessKeyId)), a.identity.why,
    );
  }
  if (index.all.length === 0) return summary;
  const flag = db.prepare('INSERT OR IGNORE INTO event_flags (event_rowid, flag, detail) VALUES (?, ?, ?)');
  const raise = (rowid: number, f: Flag, detail: string) => {
    summary.flags += flag.run(rowid, f, detail).changes;
  };
  splitSubjects(db, facts, index, raise, summary);
  humanMintedTokens(db, facts, index, resolver, raise);
  return summary;
}

interface EventRow {
  id: number;
  event_ms: number;
  user_agent: string | null;
  event_source: string;
  event_name: string;
  invoked_by: string | null;
}

function apiOf(source: string, name: string): string {
  return `${source.split('.')[0]}:${name}`;
}

function splitSubjects(db: Database, facts: Facts, index: PodActorsIndex, raise: (rowid: number, f: Flag, detail: string) => void, summary: PodActorsSummary): void {
  if (index.byPod.size === 0) return;
  const pods = facts.k8s!.timeline.pods;
  // Exec/attach sessions per service account (namespace/name): the workload's baseline leaves them out.
  const sessionsOfSa = new Map<string, PodActionRecord[]>();
  for (const [pod, list] of index.byPod) {
    if (!pod.serviceAccount) continue;
    for (const a of list) {
      if (a.action !== 'exec' && a.action !== 'attach') continue;
      const k = `${pod.namespace}/${pod.serviceAccount}`;
      const l = sessionsOfSa.get(k) ?? [];
      if (!l.includes(a)) l.push(a);
      sessionsOfSa.set(k, l);
    }
  }
  const baselines = new Map<string, Baseline>();
  const saEvents = db.prepare(
    // CROSS JOIN keeps SQLite's join order: the service account's few subjects first, then their events by index.
    `SELECT e.event_ms, e.user_agent, e.event_source, e.event_name, e.invoked_by FROM subjects s
     CROSS JOIN event_subjects es ON es.subject_id = s.id CROSS JOIN events_v e ON e.id = es.event_rowid
     WHERE s.namespace = ? AND s.service_account = ? AND s.cluster_name IS ? AND s.mechanism IN ('irsa', 'pod-identity')`,
  );
  const baselineOf = (r: Resolution): Baseline | null => {
    const k = `${r.cluster?.name ?? ''}|${r.namespace}/${r.serviceAccount}`;
    let b = baselines.get(k);
    if (b) return b;
    const sessions = sessionsOfSa.get(`${r.namespace}/${r.serviceAccount}`) ?? [];
    b = { products: new Set(), apis: new Set(), calls: 0 };
    for (const e of saEvents.iterate(r.namespace, r.serviceAccount, r.cluster?.name ?? null) as Iterable<Omit<EventRow, 'id'>>) {
      if (e.invoked_by) continue;
      if (sessions.some((a) => a.startMs - 5_000 <= e.event_ms && (a.endMs === null || e.event_ms <= a.endMs + 5_000))) continue;
      b.calls++;
      b.apis.add(apiOf(e.event_source, e.event_name));
      const ua = (e.user_agent ?? '').trim();
      const m = /^\[?([^/\s\]]+)/.exec(ua);
      if (m) b.products.add(m[1]!.toLowerCase());
    }
    baselines.set(k, b);
    return b;
  };
  const subjects = db
    .prepare("SELECT id, subject_key, resolution FROM subjects WHERE conf_pod IN ('proven', 'inferred', 'ambiguous')")
    .all() as { id: number; subject_key: string; resolution: string }[];
  const eventsOf = db.prepare('SELECT e.id, e.event_ms, e.user_agent, e.event_source, e.event_name, e.invoked_by FROM events_v e JOIN event_subjects es ON es.event_rowid = e.id WHERE es.subject_id = ? ORDER BY e.event_ms, e.id');
  const firstUse = db.prepare('SELECT MIN(e.event_ms) FROM events e JOIN event_subjects es ON es.event_rowid = e.id WHERE es.subject_id = ?').pluck();
  const update = db.prepare('UPDATE subjects SET resolution = ? WHERE id = ?');
  const copy = db.prepare(`
    INSERT INTO subjects (id, subject_key, mechanism, chained, cluster_name, namespace, service_account, pod_name, pod_uid, node_instance, conf_identity, conf_pod, conf_node, resolution, split_of)
    SELECT ?, ?, mechanism, chained, cluster_name, namespace, service_account, pod_name, pod_uid, node_instance, conf_identity, conf_pod, conf_node, ?, id FROM subjects WHERE id = ?`);
  const move = db.prepare('UPDATE event_subjects SET subject_id = ? WHERE event_rowid = ?');
  let nextId = ((db.prepare('SELECT MAX(id) FROM subjects').pluck().get() as number | null) ?? 0) + 1;
  for (const s of subjects) {
    const r = JSON.parse(s.resolution) as Resolution;
    const on = podsOfResolution(r, pods, r.pod?.nameTruncated ? ((firstUse.get(s.id) as number | null) ?? null) : null);
    if (on.length === 0) continue;
    // The actions on its pod(s), once each; an action on every candidate (their deploy, a token for their service
    // account) is not candidate-specific.
    const seen = new Map<string, { rec: PodActionRecord; pods: Set<PodLife> }>();
    for (const { pod } of on) {
      for (const a of index.byPod.get(pod) ?? []) {
        const k = `${a.auditId}|${a.action}`;
        const x = seen.get(k);
        if (x) x.pods.add(pod);
        else seen.set(k, { rec: a, pods: new Set([pod]) });
      }
    }
    if (seen.size === 0) continue;
    const recs = [...seen.values()].sort((a, b) => a.rec.startMs - b.rec.startMs || a.rec.auditId.localeCompare(b.rec.auditId));
    const views: PodActorAction[] = recs.map((x) => actionView(x.rec, on.length > 1 && x.pods.size < on.length));
    // An ambiguous answer whose token something other than a kubelet minted: the minter is the likelier hand, and an
    // exec session into another candidate pod explains nothing.
    const mintedElsewhere = r.confidence.pod === 'ambiguous' && (r.exchangeFlags ?? []).some((f) => f.flag === 'token-minted-by-non-kubelet');
    const hasSessions = !mintedElsewhere && recs.some((x) => x.rec.action === 'exec' || x.rec.action === 'attach');
    const baseline = hasSessions && r.namespace && r.serviceAccount ? baselineOf(r) : null;
    const groups = new Map<string, { k: number; actor: EventActor | null; rows: number[] }>();
    for (const e of eventsOf.all(s.id) as EventRow[]) {
      let k = 0;
      while (k < recs.length && recs[k]!.rec.startMs <= e.event_ms) k++;
      const actor = hasSessions ? actorOf({ ms: e.event_ms, userAgent: e.user_agent, api: apiOf(e.event_source, e.event_name), invokedBy: e.invoked_by }, on, index.byPod, baseline) : null;
      if (actor) raise(e.id, 'exec-then-credential-use', `${actor.principal}: ${actor.why}`);
      const gk = `${k}|${actor ? JSON.stringify(actor) : ''}`;
      const g = groups.get(gk);
      if (g) g.rows.push(e.id);
      else groups.set(gk, { k, actor, rows: [e.id] });
    }
    const list = [...groups.values()].sort((a, b) => b.rows.length - a.rows.length);
    list.forEach((g, i) => {
      const res = JSON.stringify({ ...r, ...(g.k > 0 ? { podActors: views.slice(0, g.k) } : {}), ...(g.actor ? { actor: g.actor } : {}) });
      if (i === 0) {
        update.run(res, s.id);
        return;
      }
      const id = nextId++;
      copy.run(id, `${s.subject_key}#${i}`, res, s.id);
      for (const rowid of g.rows) move.run(id, rowid);
      summary.splits++;
    });
  }
}

/**
 * human-minted-token: a service-account token minted by a person (an IAM principal, or a Kubernetes user that is
 * not a service account or cluster machinery), then exchanged with AssumeRoleWithWebIdentity within five minutes —
 * unless the exchange looks like a pod's own refresh (an SDK's default session name, and the audit log ties it to a
 * pod of the service account); carried to every call of the session it opened (and of roles that session assumed).
 */
function humanMintedTokens(db: Database, facts: Facts, index: PodActorsIndex, resolver: Resolver, raise: (rowid: number, f: Flag, detail: string) => void): void {
  const mints = index.all.filter((a) => a.action === 'token' && !a.user.username.startsWith('system:serviceaccount:') && !isClusterMachinery(a.user.username));
  if (mints.length === 0) return;
  const rowidOf = db.prepare(`SELECT id FROM events WHERE ${eventIdIs()} ORDER BY variant LIMIT 1`).pluck();
  const clustersOfSa = (ns: string, sa: string): Set<string | null> =>
    new Set(facts.k8s!.timeline.pods.filter((p) => p.namespace === ns && p.serviceAccount === sa).map((p) => facts.k8s!.clusterOfPod(p)));
  const flaggedKeys = new Map<string, { eventID: string; detail: string }>();
  for (const [key, list] of facts.issuances) {
    for (const iss of list) {
      if (iss.eventName !== 'AssumeRoleWithWebIdentity') continue;
      const wi = webIdentityOf(iss.record);
      if (!wi.eks || !wi.serviceAccount) continue;
      const cluster = facts.clustersByOidc.get(wi.eks.oidcId)?.key ?? null;
      for (const m of mints) {
        if (m.namespace !== wi.serviceAccount.namespace || m.serviceAccount !== wi.serviceAccount.serviceAccount) continue;
        if (iss.issuedMs < m.startMs - 10_000 || iss.issuedMs > m.startMs + MINT_TO_EXCHANGE_MS) continue;
        const cs = clustersOfSa(m.namespace, m.serviceAccount!);
        if (cluster && cs.size > 0 && !cs.has(cluster) && !cs.has(null)) continue;
        // A pod of the service account refreshing its own credentials meanwhile is not the person: an exchange with an
        // SDK's default session name that the audit log ties to a pod is left alone.
        const own = resolver.resolveKey(key);
        if (iss.sessionName !== null && isSdkSessionName(iss.sessionName) && own && own.confidence.pod !== 'none') continue;
        const rowid = rowidOf.get(...eventIdArgs(iss.eventID)) as number | undefined;
        if (rowid === undefined) continue;
        const detail =
          `a token for ${m.namespace}/${m.serviceAccount} was minted at ${isoUtc(m.startMs)} by ${m.user.username}` +
          `${m.identity.principal && m.identity.principal !== m.user.username ? ` (${m.identity.principal})` : ''} (audit ${m.auditId}); ` +
          `this exchange followed ${Math.round((iss.issuedMs - m.startMs) / 1000)} s later`;
        raise(rowid, 'human-minted-token', detail);
        flaggedKeys.set(key, { eventID: iss.eventID, detail });
        break;
      }
    }
  }
  if (flaggedKeys.size === 0) return;
  const eventsOf = db.prepare('SELECT event_rowid FROM event_subjects WHERE subject_id = ?').pluck();
  for (const row of db.prepare('SELECT id, resolution FROM subjects').all() as { id: number; resolution: string }[]) {
    const r = JSON.parse(row.resolution) as Resolution;
    for (const link of r.chain ?? []) {
      const f = flaggedKeys.get(link.accessKeyId);
      if (!f) continue;
      for (const rowid of eventsOf.all(row.id) as number[]) raise(rowid, 'human-minted-token', `same session as ${f.eventID}: made with ${link.accessKeyId}; ${f.detail}`);
      break;
    }
  }
}
