/**
 * Offline detections over the attributed case. Each flag names the records that show it (in its detail); none
 * is raised where the evidence does not reach (an unknown cluster, an unattributed pod).
 *
 * - token-exchange-outside-cluster: an EKS web-identity token exchanged (AssumeRoleWithWebIdentity) with a role
 *   session name no AWS SDK uses by default, from a public address the cluster is never seen leaving by, or from a
 *   public address when the service account's exchanges from anywhere else all came through a VPC endpoint.
 * - node-credentials-off-node: a node's instance-profile credentials used from a public address that neither
 *   the node (its agent's eks-auth calls, its first call) nor any other node of its cluster ever used.
 * - credentials-after-pod-deleted: a pod's credentials used after its containers had stopped (the kubelet's final
 *   delete, or the end of the grace period; 10 s for clock skew), or more than a minute after the delete request
 *   when neither is logged.
 * - token-minted-by-non-kubelet: the exchange of a token that something other than a kubelet minted.
 * - first-seen-api: a service account's first call of an API, after a baseline of its other calls (first-seen.ts).
 * - eks-auth-by-hand: an eks-auth AssumeRoleForPodIdentity made with the AWS CLI, not by a node's Pod Identity
 *   agent: someone exchanged a pod's token by hand (what a stolen Pod Identity token used off-node looks like).
 */
import type { Database } from 'better-sqlite3';
import type { Flag } from '../../../shared/attribution';
import type { Facts } from '../chain/model';
import type { Resolver } from '../chain/resolve';
import { isSdkSessionName, webIdentityOf } from '../chain/irsa';
import { getStr } from '../util/json';
import { isoUtc } from '../util/time';
import { firstSeenApis, firstSeenApisAfter } from './first-seen';
import { isIp, isPrivateIp } from '../util/ip';
import { unusualInstanceId, userAgentKind } from '../chain/node';
import { eventIdArgs, eventIdIs } from '../db/event-id';

export { isIp, isPrivateIp, isSdkSessionName };

/** Without the time the containers stopped: how long after the delete request a pod may still call AWS. */
const GRACE_MS = 60_000;
/** Clock difference allowed between the cluster's audit log and CloudTrail. */
const CLOCK_SKEW_MS = 10_000;
/** How many other exchanges of a service account, all through a VPC endpoint, make one from a public address stand out. */
const ENDPOINT_BASELINE = 5;

/** The detections this module raises; pod-actors.ts raises the others. */
const OWN_FLAGS: Flag[] = ['node-credentials-off-node', 'token-exchange-outside-cluster', 'credentials-after-pod-deleted', 'token-minted-by-non-kubelet', 'first-seen-api', 'eks-auth-by-hand'];

/**
 * Raise the detections. Whole (`since` absent): every flag of this module dropped and raised again. After evidence
 * was added (`since`: rows after `afterId` are new; `dirtySas` the service accounts whose calls changed otherwise),
 * the same, but first-seen-api goes on from its state (first-seen.ts). Reads `subject_ip_use` (case/rollup.ts),
 * which the caller has brought up to date. Returns the flags raised.
 */
export function detectFlags(db: Database, facts: Facts, resolver: Resolver, since?: { afterId: number; dirtySas: ReadonlySet<string> }): number {
  const redo = since ? OWN_FLAGS.filter((f) => f !== 'first-seen-api') : OWN_FLAGS;
  db.prepare(`DELETE FROM event_flags WHERE flag IN (${redo.map(() => '?').join(', ')})`).run(...redo);
  const insert = db.prepare('INSERT OR IGNORE INTO event_flags (event_rowid, flag, detail) VALUES (?, ?, ?)');
  const rowidOf = db.prepare(`SELECT id FROM events WHERE ${eventIdIs()} ORDER BY variant LIMIT 1`).pluck();
  let n = 0;
  const flag = (rowid: number, f: Flag, detail: string) => {
    n += insert.run(rowid, f, detail).changes;
  };

  // Which instances used each address (their node-role sessions).
  const use = readIpUse(db);
  const instancesByIp = new Map<string, Set<string>>(); // ip → instances whose node-role sessions used it
  for (const { ip, instance } of use.node) {
    let set = instancesByIp.get(ip);
    if (!set) instancesByIp.set(ip, (set = new Set()));
    set.add(instance);
  }
  const firstIp = firstAddresses(db, use.node);
  const agentIps = new Map<string, Set<string>>();
  for (const calls of facts.eksAuthByCluster.values()) {
    for (const c of calls) {
      const ip = c.sourceIp;
      if (!ip) continue;
      let set = agentIps.get(c.instanceId);
      if (!set) agentIps.set(c.instanceId, (set = new Set()));
      set.add(ip);
    }
  }
  const k8sIps = new Set<string>();
  if (facts.k8s) {
    for (const p of facts.k8s.timeline.pods) for (const ip of p.ips) k8sIps.add(ip);
    for (const node of facts.k8s.timeline.nodes.values()) for (const ip of node.ips) k8sIps.add(ip);
  }

  // The public addresses the pods of each node left from: two or more pod sessions (IRSA, Pod Identity) placed on the
  // node that used an address make it the node's NAT address (one stolen pod session cannot).
  const podSessionsByIp = new Map<string, Set<number>>(); // `${instance}|${ip}` → subjects
  for (const { subject, instance, ip } of use.pod) {
    const k = `${instance}|${ip}`;
    let set = podSessionsByIp.get(k);
    if (!set) podSessionsByIp.set(k, (set = new Set()));
    set.add(subject);
  }
  // Where a person (an IAM user, SSO, SAML or root session) called from: the one who used the address first (in the
  // same millisecond, the first by name: never by subject id, which differs between whole and incremental runs).
  const personIps = new Map<string, string>(); // ip → a person who used it
  for (const { ip, who } of use.person) if (isIp(ip) && !personIps.has(ip)) personIps.set(ip, who);
  const agentUse = new Map<string, Set<string>>(); // instance → addresses its own agents called from
  for (const { ip, instance, ua } of use.node) {
    if (userAgentKind(ua) !== 'instance-agent') continue;
    let set = agentUse.get(instance);
    if (!set) agentUse.set(instance, (set = new Set()));
    set.add(ip);
  }

  // node-credentials-off-node, on each (session, address, user agent) of a node-role session; its calls are flagged.
  //  1. From a public address that neither the node (its agent's eks-auth calls, its first call) nor any other node
  //     of its cluster ever used.
  //  2. The classic theft of any instance's credentials (Kubernetes node or not): the instance-profile key used from
  //     an address a person also used, or with a tool's user agent (the AWS CLI, attack and audit tools), from an
  //     address the instance's own agents, other instances or two of its pods' sessions never used. Private
  //     addresses count too: a person's address is never the instance's.
  const callsOf = db.prepare('SELECT e.id, e.event_ms FROM event_subjects es JOIN events e ON e.id = es.event_rowid WHERE es.subject_id = ? AND e.source_ip = ? AND e.user_agent_sid IS ?').raw(true);
  const offNode = new Set<string>(); // `${instance}|${ip}` where the node's credentials were flagged
  for (const u of use.node) {
    const { ip, cluster, instance, ua } = u;
    let detail: ((ms: number) => string) | null = null;
    const shared = (instancesByIp.get(ip)?.size ?? 0) >= 2 || (podSessionsByIp.get(`${instance}|${ip}`)?.size ?? 0) >= 2;
    if (isIp(ip) && !isPrivateIp(ip) && !k8sIps.has(ip) && !shared && !agentIps.get(instance)?.has(ip) && firstIp.get(instance) !== ip) {
      detail = (ms) => `credentials of node ${instance} used at ${isoUtc(ms)} from ${ip}, an address no node of ${cluster ?? 'its cluster'} otherwise used`;
    } else if (isIp(ip) && !k8sIps.has(ip)) {
      const own = agentUse.get(instance)?.has(ip) || agentIps.get(instance)?.has(ip) || shared;
      const person = personIps.get(ip);
      const tool = userAgentKind(ua) === 'tool';
      if (!own && (person || tool)) {
        const unusual = unusualInstanceId(instance);
        const why = [person ? `${ip} is also an address of ${person}` : `its user agent is a tool's (${ua}), not an instance agent's`, ...(unusual ? [unusual] : [])];
        detail = (ms) => `credentials of instance ${instance} used at ${isoUtc(ms)} from ${ip}, where the instance's own agents never called from: ${why.join('; ')}`;
      }
    }
    if (detail) {
      offNode.add(`${instance}|${ip}`);
      for (const [rowid, ms] of callsOf.all(u.subject, ip, u.uaSid) as [number, number][]) flag(rowid, 'node-credentials-off-node', detail(ms));
    }
  }

  // Where each cluster is seen leaving for the internet: the public addresses its nodes' own sessions used (but an
  // address their credentials were just flagged at: a thief's is not the cluster's), and those the pod sessions of
  // two or more service accounts placed on its nodes used (its NAT, when the nodes reach all they call through VPC
  // endpoints). Private addresses say nothing of it: a call through an endpoint shows the caller's own.
  const clusterEgress = new Map<string, Set<string>>();
  const addEgress = (cluster: string, ip: string) => {
    let set = clusterEgress.get(cluster);
    if (!set) clusterEgress.set(cluster, (set = new Set()));
    set.add(ip);
  };
  for (const { ip, cluster, instance } of use.node) {
    if (cluster && isIp(ip) && !isPrivateIp(ip) && !offNode.has(`${instance}|${ip}`)) addEgress(cluster, ip);
  }
  const podAccounts = new Map<string, Set<string>>(); // `${cluster}|${ip}` → service accounts whose placed sessions used it
  for (const { cluster, ip, account } of use.pod) {
    if (!cluster || !account || !isIp(ip) || isPrivateIp(ip)) continue;
    const k = `${cluster}|${ip}`;
    let set = podAccounts.get(k);
    if (!set) podAccounts.set(k, (set = new Set()));
    set.add(account);
  }
  for (const [k, accounts] of podAccounts) {
    if (accounts.size < 2) continue;
    const bar = k.indexOf('|');
    addEgress(k.slice(0, bar), k.slice(bar + 1));
  }

  // token-exchange-outside-cluster and token-minted-by-non-kubelet, on the exchanges themselves
  // Each service account's exchanges (by provider) and their source addresses: a workload reaches STS one way, through
  // a VPC endpoint (its pods' own private addresses) or through NAT, as its SDK and the VPC are set up.
  const accountSources = new Map<string, string[]>(); // `${oidcId}|${subject}` → source address of each exchange
  for (const list of facts.issuances.values()) {
    for (const iss of list) {
      if (iss.eventName !== 'AssumeRoleWithWebIdentity') continue;
      const wi = webIdentityOf(iss.record);
      if (!wi.eks || !wi.serviceAccount) continue;
      const k = `${wi.eks.oidcId}|${wi.subject}`;
      const sources = accountSources.get(k) ?? [];
      sources.push(getStr(iss.record, 'sourceIPAddress') ?? '');
      accountSources.set(k, sources);
    }
  }
  for (const [key, list] of facts.issuances) {
    for (const iss of list) {
      if (iss.eventName !== 'AssumeRoleWithWebIdentity') continue;
      const wi = webIdentityOf(iss.record);
      if (!wi.eks || !wi.serviceAccount) continue;
      const rowid = rowidOf.get(...eventIdArgs(iss.eventID)) as number | undefined;
      if (rowid === undefined) continue;
      const cluster = facts.clustersByOidc.get(wi.eks.oidcId)?.name ?? null;
      const ip = getStr(iss.record, 'sourceIPAddress') ?? '';
      const reasons: string[] = [];
      if (iss.sessionName && !isSdkSessionName(iss.sessionName)) reasons.push(`role session name "${iss.sessionName}" is no AWS SDK's default`);
      const known = cluster ? clusterEgress.get(cluster) : null;
      const outside = isIp(ip) && !isPrivateIp(ip) && !k8sIps.has(ip);
      if (outside && known && known.size > 0 && !known.has(ip)) {
        const seen = [...known].sort();
        reasons.push(`source ${ip} is not an address ${cluster} was seen leaving from (${seen.slice(0, 4).join(', ')}${seen.length > 4 ? ` and ${seen.length - 4} more` : ''})`);
      } else if (outside) {
        // The account's exchanges from anywhere else all reached STS through a VPC endpoint (private addresses), and
        // those from this address are a minority: it took another way than the workload's own.
        const sources = accountSources.get(`${wi.eks.oidcId}|${wi.subject}`)!;
        const viaEndpoint = sources.filter((x) => isIp(x) && isPrivateIp(x)).length;
        const fromHere = sources.filter((x) => x === ip).length;
        if (viaEndpoint >= ENDPOINT_BASELINE && fromHere < viaEndpoint && viaEndpoint + fromHere === sources.length) {
          reasons.push(`source ${ip} is public, while the other ${viaEndpoint} exchanges of ${wi.serviceAccount.namespace}/${wi.serviceAccount.serviceAccount} came from private addresses (a VPC endpoint)`);
        }
      }
      if (reasons.length > 0) flag(rowid, 'token-exchange-outside-cluster', `${wi.subject}: ${reasons.join('; ')}`);
      for (const f of resolver.resolveKey(key)?.exchangeFlags ?? []) flag(rowid, f.flag, f.detail);
    }
  }

  // credentials-after-pod-deleted: per subject whose pod (or every candidate pod) the audit log deleted
  if (facts.k8s) {
    // When the pod's containers had stopped (the kubelet's final delete, or the end of the grace period) plus a
    // little clock skew between the cluster and AWS; else the delete request plus a minute.
    const deleted = new Map<string, { after: number; words: string }>();
    for (const p of facts.k8s.timeline.pods) {
      if (!p.uid || p.deletedMs === null) continue;
      deleted.set(
        p.uid,
        p.goneMs !== null
          ? { after: p.goneMs + CLOCK_SKEW_MS, words: `was deleted at ${isoUtc(p.deletedMs)} and its containers had stopped by ${isoUtc(p.goneMs)}` }
          : { after: p.deletedMs + GRACE_MS, words: `was deleted at ${isoUtc(p.deletedMs)}` },
      );
    }
    const after = db.prepare('SELECT es.event_rowid, e.event_ms FROM event_subjects es JOIN events e ON e.id = es.event_rowid WHERE es.subject_id = ? AND e.event_ms > ?').raw(true);
    for (const row of db.prepare("SELECT id, resolution FROM subjects WHERE conf_pod IN ('proven', 'inferred', 'ambiguous')").all() as { id: number; resolution: string }[]) {
      const r = JSON.parse(row.resolution) as { pod: { uid: string | null; name: string } | null; candidates: { pod: { uid: string | null } | null }[] };
      const uids = r.pod?.uid ? [r.pod.uid] : r.candidates.map((c) => c.pod?.uid ?? null);
      if (uids.length === 0 || uids.some((u) => !u || !deleted.has(u))) continue;
      const last = uids.map((u) => deleted.get(u!)!).reduce((a, b) => (b.after > a.after ? b : a));
      for (const [rowid, ms] of after.all(row.id, last.after) as [number, number][]) {
        flag(rowid, 'credentials-after-pod-deleted', `${r.pod?.name ?? 'every candidate pod'} ${last.words}; this call at ${isoUtc(ms)} used its credentials`);
      }
    }
  }
  for (const hit of since ? firstSeenApisAfter(db, since.afterId, since.dirtySas) : firstSeenApis(db)) flag(hit.rowid, 'first-seen-api', hit.detail);
  for (const calls of facts.eksAuthByCluster.values()) {
    for (const c of calls) {
      if (c.caller !== 'cli') continue;
      const rowid = rowidOf.get(...eventIdArgs(c.eventID)) as number | undefined;
      if (rowid === undefined) continue;
      flag(rowid, 'eks-auth-by-hand', `eks-auth AssumeRoleForPodIdentity for ${c.clusterName} made with the AWS CLI (user agent ${c.userAgent}) by the role session of instance ${c.instanceId}, not by a node's Pod Identity agent: a pod's token exchanged by hand`);
    }
  }
  n += carryToSessions(db, facts, resolver);
  return n;
}

interface NodeUse {
  subject: number;
  ip: string;
  uaSid: number | null;
  ua: string | null;
  cluster: string | null;
  instance: string;
  firstMs: number;
}

/**
 * Where the sessions came from (`subject_ip_use`, one row per session, address and user agent, not per call: a node
 * makes a large share of a trail's calls): the node-role sessions of an instance, the pod sessions placed on a node,
 * and the people, in order of first use.
 */
function readIpUse(db: Database): {
  node: NodeUse[];
  pod: { subject: number; instance: string; ip: string; cluster: string | null; account: string | null }[];
  person: { ip: string; who: string }[];
} {
  const node = (
    db
      .prepare(`
        SELECT u.subject_id, u.source_ip, u.user_agent_sid, ua.text, s.cluster_name, s.node_instance, u.first_ms FROM subject_ip_use u
        JOIN subjects s ON s.id = u.subject_id LEFT JOIN strings ua ON ua.id = u.user_agent_sid
        WHERE s.mechanism = 'node-role' AND s.node_instance IS NOT NULL ORDER BY u.first_ms, u.subject_id, u.source_ip, u.user_agent_sid`)
      .raw(true)
      .all() as [number, string, number | null, string | null, string | null, string, number][]
  ).map(([subject, ip, uaSid, ua, cluster, instance, firstMs]) => ({ subject, ip, uaSid, ua, cluster, instance, firstMs }));
  const pod = (
    db
      .prepare(`SELECT DISTINCT u.subject_id, s.node_instance, u.source_ip, s.cluster_name, s.namespace || '/' || s.service_account
                FROM subject_ip_use u JOIN subjects s ON s.id = u.subject_id
                WHERE s.mechanism IN ('irsa', 'pod-identity') AND s.node_instance IS NOT NULL`)
      .raw(true)
      .all() as [number, string, string, string | null, string | null][]
  ).map(([subject, instance, ip, cluster, account]) => ({ subject, instance, ip, cluster, account }));
  const person = (
    db
      .prepare(`SELECT u.source_ip, coalesce(s.resolution ->> '$.principal', s.mechanism) FROM subject_ip_use u JOIN subjects s ON s.id = u.subject_id
                WHERE s.mechanism IN ('iam-user', 'sso', 'saml', 'root') ORDER BY u.first_ms, 2`)
      .raw(true)
      .all() as [string, string][]
  ).map(([ip, who]) => ({ ip, who }));
  return { node, pod, person };
}

/**
 * The address of each instance's first call (by time, then row): the earliest first use among its sessions'
 * addresses; where two first uses fall in the same millisecond, the calls themselves decide.
 */
function firstAddresses(db: Database, node: NodeUse[]): Map<string, string> {
  const earliest = new Map<string, NodeUse[]>();
  for (const u of node) {
    const list = earliest.get(u.instance);
    if (!list) earliest.set(u.instance, [u]);
    else if (u.firstMs === list[0]!.firstMs) list.push(u);
  }
  const firstRow = db.prepare('SELECT MIN(e.id) FROM event_subjects es JOIN events e ON e.id = es.event_rowid WHERE es.subject_id = ? AND e.source_ip = ? AND e.user_agent_sid IS ? AND e.event_ms = ?').pluck();
  const first = new Map<string, string>();
  for (const [instance, list] of earliest) {
    if (new Set(list.map((u) => u.ip)).size === 1) {
      first.set(instance, list[0]!.ip);
      continue;
    }
    let best: { row: number; ip: string } | null = null;
    for (const u of list) {
      const row = firstRow.get(u.subject, u.ip, u.uaSid, u.firstMs) as number;
      if (!best || row < best.row) best = { row, ip: u.ip };
    }
    first.set(instance, best!.ip);
  }
  return first;
}

/**
 * A flag on a credential exchange makes the whole session it opened suspect: every call made with the issued key,
 * and with any session that key went on to assume (role chaining), carries the flag with the reason "same session
 * as <event>", so that filtering on the detection gives the whole incident. A minted token is carried only when no
 * pod of the account that may have exchanged it with its own token is left. Flags on single calls of a shared
 * credential (a node's instance profile, which the node itself keeps using) are not carried.
 */
const SESSION_FLAGS: Flag[] = ['token-exchange-outside-cluster', 'token-minted-by-non-kubelet'];

function carryToSessions(db: Database, facts: Facts, resolver: Resolver): number {
  const flagged = db
    .prepare(`SELECT f.event_rowid, f.flag, e.event_id FROM event_flags f JOIN events e ON e.id = f.event_rowid WHERE f.flag IN (${SESSION_FLAGS.map(() => '?').join(', ')})`)
    .all(...SESSION_FLAGS) as { event_rowid: number; flag: Flag; event_id: string }[];
  if (flagged.length === 0) return 0;
  // Keys issued by each flagged exchange.
  const issuedBy = new Map<string, string>();
  for (const [key, list] of facts.issuances) for (const iss of list) issuedBy.set(iss.eventID, key);
  // Subjects whose chain passes through a key.
  const subjectsOfKey = new Map<string, number[]>();
  for (const row of db.prepare('SELECT id, resolution FROM subjects').all() as { id: number; resolution: string }[]) {
    const r = JSON.parse(row.resolution) as { chain?: { accessKeyId: string }[] };
    for (const link of r.chain ?? []) {
      const list = subjectsOfKey.get(link.accessKeyId);
      if (list) list.push(row.id);
      else subjectsOfKey.set(link.accessKeyId, [row.id]);
    }
  }
  const eventsOf = db.prepare('SELECT event_rowid FROM event_subjects WHERE subject_id = ?').pluck();
  const insert = db.prepare('INSERT OR IGNORE INTO event_flags (event_rowid, flag, detail) VALUES (?, ?, ?)');
  let n = 0;
  for (const f of flagged) {
    const key = issuedBy.get(f.event_id);
    if (!key) continue;
    // A token minted elsewhere that a pod of the account may have exchanged itself: that session may be the pod's own.
    if (f.flag === 'token-minted-by-non-kubelet' && !resolver.resolveKey(key)?.exchangeFlags?.some((x) => x.flag === f.flag && x.session)) continue;
    for (const subject of subjectsOfKey.get(key) ?? []) {
      for (const rowid of eventsOf.all(subject) as number[]) {
        if (rowid === f.event_rowid) continue;
        n += insert.run(rowid, f.flag, `same session as ${f.event_id}: made with ${key}, which that flagged exchange issued`).changes;
      }
    }
  }
  return n;
}
