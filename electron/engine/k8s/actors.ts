/**
 * Past the pod to the people: what people and pipelines did to each pod, read from the EKS audit log, and who
 * they are in AWS.
 *
 * - Actions: `pods/exec`, `pods/attach`, `pods/portforward` (verb `create` or `get`), `pods/log`, a pod delete,
 *   a `serviceaccounts/token` minted for the pod's service account by something other than a kubelet, and the
 *   Deployment `patch`/`update`/`create` the deployment controller answered with the pod's ReplicaSet (`create
 *   replicasets` by `system:serviceaccount:kube-system:deployment-controller`, ownerReferences to the Deployment;
 *   the pod's ownerReferences, or its name, name the ReplicaSet). Cluster machinery (kubelets, kube-system
 *   controllers, the scheduler, `eks:` components) is not an actor.
 * - Identity: aws-iam-authenticator writes the IAM caller into `user.extra` (`arn`, `canonicalArn`,
 *   `sessionName`, `accessKeyId`, `principalId`). The access key is followed through the same credential chain
 *   as API events (its issuance in the bundle, role chaining, to the root); a key issued outside the bundle but
 *   used in it is what its CloudTrail calls state; otherwise `user.extra.arn` / `sessionName` say who, and the
 *   chain stops there. Kubernetes users that are not IAM principals are shown as they are.
 * - The event's actor: an exec/attach session into the event's pod that was open at the call, and a call that does
 *   not look like the workload's own (a user agent product the service account's calls outside exec sessions never
 *   used, or an API they never called after a baseline). Never proven.
 *
 * Pure except for `loadActorAudit` (reads k8s_audit).
 */
import type { Database } from 'better-sqlite3';
import type { ChainLink, Confidence, EventActor, PodAction, PodActorAction } from '../../../shared/attribution';
import type { Facts, Resolution } from '../chain/model';
import type { Resolver } from '../chain/resolve';
import type { PodLife } from './timeline';
import { aliveAt } from './timeline';
import { arr, get, getStr, obj, str, type JsonObject } from '../util/json';
import { isoUtc, parseEventTime } from '../util/time';

/** One audit row as read for actions (all stages of an auditID). */
export interface ActorAuditRow {
  auditId: string;
  stage: string;
  tsMs: number;
  record: JsonObject;
}

export interface KubeUser {
  username: string;
  accessKeyId: string | null;
  arn: string | null;
  canonicalArn: string | null;
  sessionName: string | null;
  principalId: string | null;
}

/** An action before it is tied to pods. */
export interface K8sAction {
  action: PodAction;
  auditId: string;
  /** When the request was received. */
  startMs: number;
  /** exec/attach/portforward: when the session ended (ResponseComplete); null when still open at the end of the log. */
  endMs: number | null;
  namespace: string;
  /** The pod acted on (not for token and deploy). */
  podName: string | null;
  podUid: string | null;
  /** token: the service account; deploy: the ReplicaSet it made. */
  serviceAccount: string | null;
  replicaSet: { name: string; uid: string | null } | null;
  deployment: string | null;
  user: KubeUser;
}

/** Who an action's user is in AWS. */
export interface ActorIdentity {
  principal: string | null;
  confidence: Confidence;
  chain: ChainLink[];
  why: string;
}

/** A resolved action on one pod. */
export interface PodActionRecord extends K8sAction {
  identity: ActorIdentity;
  /** The pod it is listed for (uid or namespace/name). */
  pod: PodLife;
}

const MACHINERY = /^(system:node:|system:serviceaccount:kube-system:|system:kube-|system:apiserver$|system:anonymous$|eks:|aws:)/;
const LONG_RUNNING: Record<string, PodAction> = { exec: 'exec', attach: 'attach', portforward: 'portforward', log: 'log' };
const DEPLOYMENT_CONTROLLER = 'system:serviceaccount:kube-system:deployment-controller';
/** A ReplicaSet is made within this long of the Deployment change it answers. */
const DEPLOY_TO_RS_MS = 10 * 60_000;
/** Clock slack between the audit log and CloudTrail around an exec session. */
const SESSION_SLACK_MS = 5_000;
/** The workload's own calls needed before an API it never called counts as not its own. */
const API_BASELINE = 20;

export function isClusterMachinery(username: string): boolean {
  return MACHINERY.test(username);
}

function first(r: JsonObject, key: string): string | null {
  return str(arr(get(r, 'user', 'extra', key))[0]) ?? null;
}

export function kubeUserOf(r: JsonObject): KubeUser {
  return {
    username: getStr(r, 'user', 'username') ?? '?',
    accessKeyId: first(r, 'accessKeyId'),
    arn: first(r, 'arn'),
    canonicalArn: first(r, 'canonicalArn'),
    sessionName: first(r, 'sessionName'),
    principalId: first(r, 'principalId'),
  };
}

function okCode(r: JsonObject): boolean {
  const code = get(r, 'responseStatus', 'code');
  return typeof code !== 'number' || (code >= 100 && code < 400);
}

export function loadActorAudit(db: Database): ActorAuditRow[] {
  const rows = db
    .prepare(
      `SELECT audit_id, stage, ts_ms, raw FROM k8s_audit
       WHERE (resource = 'pods' AND (subresource IN ('exec', 'attach', 'portforward', 'log') OR (subresource IS NULL AND verb IN ('delete', 'create'))))
          OR (resource = 'serviceaccounts' AND subresource = 'token' AND verb = 'create' AND coalesce(username, '') NOT LIKE 'system:node:%')
          OR (resource = 'deployments' AND verb IN ('create', 'patch', 'update'))
          OR (resource = 'replicasets' AND verb = 'create')
       ORDER BY ts_ms, id`,
    )
    .all() as { audit_id: string; stage: string; ts_ms: number; raw: string }[];
  return rows.map((r) => ({ auditId: r.audit_id, stage: r.stage, tsMs: r.ts_ms, record: JSON.parse(r.raw) as JsonObject }));
}

interface ReplicaSetMade {
  namespace: string;
  name: string;
  uid: string | null;
  deployment: string;
  tsMs: number;
  auditId: string;
}

/** The actions in the audit rows, and which ReplicaSet each pod belongs to. */
export function extractActions(rows: ActorAuditRow[]): { actions: K8sAction[]; podOwner: Map<string, { name: string; uid: string | null }>; replicaSets: ReplicaSetMade[] } {
  const sessions = new Map<string, { rows: ActorAuditRow[] }>();
  const actions: K8sAction[] = [];
  const podOwner = new Map<string, { name: string; uid: string | null }>();
  const replicaSets: ReplicaSetMade[] = [];
  const deploymentChanges: { namespace: string; name: string; tsMs: number; auditId: string; record: JsonObject }[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const r = row.record;
    const resource = getStr(r, 'objectRef', 'resource');
    const sub = getStr(r, 'objectRef', 'subresource') ?? null;
    const verb = getStr(r, 'verb');
    const namespace = getStr(r, 'objectRef', 'namespace');
    const name = getStr(r, 'objectRef', 'name') ?? null;
    if (!namespace || !okCode(r)) continue;
    const received = parseEventTime(getStr(r, 'requestReceivedTimestamp') ?? '');
    const startMs = Number.isNaN(received) ? row.tsMs : received;
    if (resource === 'pods' && sub && LONG_RUNNING[sub] && (verb === 'create' || verb === 'get')) {
      // Long-running requests are logged at ResponseStarted and again at ResponseComplete (when the session ends).
      let s = sessions.get(row.auditId);
      if (!s) sessions.set(row.auditId, (s = { rows: [] }));
      s.rows.push(row);
      continue;
    }
    if (seen.has(row.auditId)) continue;
    seen.add(row.auditId);
    const user = kubeUserOf(r);
    if (resource === 'pods' && !sub && verb === 'create') {
      const o = obj(r.responseObject) ?? obj(r.requestObject);
      const uid = getStr(o, 'metadata', 'uid');
      for (const ref of arr(get(o, 'metadata', 'ownerReferences'))) {
        if (getStr(ref, 'kind') !== 'ReplicaSet' || !uid) continue;
        podOwner.set(uid, { name: getStr(ref, 'name') ?? '', uid: getStr(ref, 'uid') ?? null });
      }
      continue;
    }
    if (resource === 'pods' && !sub && verb === 'delete' && name) {
      if (isClusterMachinery(user.username)) continue;
      const uid = getStr(r, 'responseObject', 'metadata', 'uid') ?? getStr(r, 'objectRef', 'uid') ?? null;
      actions.push({ action: 'delete', auditId: row.auditId, startMs, endMs: null, namespace, podName: name, podUid: uid, serviceAccount: null, replicaSet: null, deployment: null, user });
      continue;
    }
    if (resource === 'serviceaccounts' && sub === 'token' && name) {
      if (user.username.startsWith('system:node:')) continue;
      actions.push({ action: 'token', auditId: row.auditId, startMs, endMs: null, namespace, podName: null, podUid: null, serviceAccount: name, replicaSet: null, deployment: null, user });
      continue;
    }
    if (resource === 'deployments' && name && !isClusterMachinery(user.username)) {
      deploymentChanges.push({ namespace, name, tsMs: startMs, auditId: row.auditId, record: r });
      continue;
    }
    if (resource === 'replicasets' && user.username === DEPLOYMENT_CONTROLLER) {
      const o = obj(r.responseObject) ?? obj(r.requestObject);
      const rsName = getStr(o, 'metadata', 'name') ?? name;
      const owner = arr(get(o, 'metadata', 'ownerReferences')).find((x) => getStr(x, 'kind') === 'Deployment');
      const deployment = getStr(owner, 'name');
      if (rsName && deployment) replicaSets.push({ namespace, name: rsName, uid: getStr(o, 'metadata', 'uid') ?? null, deployment, tsMs: row.tsMs, auditId: row.auditId });
    }
  }
  for (const [auditId, s] of sessions) {
    const started = s.rows[0]!;
    const complete = s.rows.find((x) => x.stage === 'ResponseComplete');
    const r = started.record;
    const sub = getStr(r, 'objectRef', 'subresource')!;
    const received = parseEventTime(getStr(r, 'requestReceivedTimestamp') ?? '');
    const startMs = Number.isNaN(received) ? started.tsMs : received;
    const user = kubeUserOf(r);
    if (isClusterMachinery(user.username)) continue;
    actions.push({
      action: LONG_RUNNING[sub]!,
      auditId,
      startMs,
      endMs: complete ? complete.tsMs : null,
      namespace: getStr(r, 'objectRef', 'namespace')!,
      podName: getStr(r, 'objectRef', 'name') ?? null,
      podUid: getStr(r, 'objectRef', 'uid') ?? null,
      serviceAccount: null,
      replicaSet: null,
      deployment: null,
      user,
    });
  }
  // Each ReplicaSet the deployment controller made answers the latest change of its Deployment before it.
  for (const rs of replicaSets) {
    let change: (typeof deploymentChanges)[number] | null = null;
    for (const d of deploymentChanges) {
      if (d.namespace !== rs.namespace || d.name !== rs.deployment || d.tsMs > rs.tsMs + 1000 || rs.tsMs - d.tsMs > DEPLOY_TO_RS_MS) continue;
      if (!change || d.tsMs > change.tsMs) change = d;
    }
    if (!change) continue;
    actions.push({
      action: 'deploy',
      auditId: change.auditId,
      startMs: change.tsMs,
      endMs: null,
      namespace: rs.namespace,
      podName: null,
      podUid: null,
      serviceAccount: null,
      replicaSet: { name: rs.name, uid: rs.uid },
      deployment: rs.deployment,
      user: kubeUserOf(change.record),
    });
  }
  actions.sort((a, b) => a.startMs - b.startMs || a.auditId.localeCompare(b.auditId));
  return { actions, podOwner, replicaSets };
}

/** What `resolveOwnIdentity` reads of a CloudTrail record, from an event's stored columns. */
export interface KeyUse {
  identityType: string | null;
  arn: string | null;
  principalId: string | null;
  issuerArn: string | null;
  invokedBy: string | null;
  userName: string | null;
  accountId: string | null;
  eventID: string;
}

function identityRecord(u: { type: string | null; arn: string | null; principalId: string | null; key: string | null; issuerArn: string | null; invokedBy?: string | null; userName?: string | null; accountId?: string | null }): JsonObject {
  const ui: JsonObject = {};
  if (u.type) ui.type = u.type;
  if (u.principalId) ui.principalId = u.principalId;
  if (u.arn) ui.arn = u.arn;
  if (u.accountId) ui.accountId = u.accountId;
  if (u.key) ui.accessKeyId = u.key;
  if (u.userName) ui.userName = u.userName;
  if (u.invokedBy) ui.invokedBy = u.invokedBy;
  if (u.issuerArn) ui.sessionContext = { sessionIssuer: { type: 'Role', arn: u.issuerArn } };
  return { userIdentity: ui };
}

/**
 * Who a Kubernetes user is in AWS: the access key's chain when the bundle issued it, what its CloudTrail calls
 * state when it was issued elsewhere, what `user.extra.arn` states when CloudTrail never saw the key, and the
 * Kubernetes user itself otherwise.
 */
export function resolveKubeUser(user: KubeUser, atMs: number, resolver: Resolver, keyUse: (key: string) => KeyUse | null): ActorIdentity {
  const key = user.accessKeyId;
  if (key && resolver.hasIssuance(key)) {
    const r = resolver.resolveKey(key)!;
    const inWindow = resolver.issuanceFor(key, atMs) !== null;
    const iss = r.chain[0]?.issuedBy;
    return {
      principal: r.principal,
      confidence: inWindow ? r.confidence.identity : r.confidence.identity === 'none' ? 'none' : 'inferred',
      chain: r.chain,
      why:
        `user.extra.accessKeyId ${key} was issued by ${iss?.eventName ?? 'an STS call'} ${iss?.eventID ?? ''}`.trim() +
        (inWindow ? '' : ' (the Kubernetes request falls outside its validity window: linked by key id only)') +
        (r.chain.length > 1 ? `, through ${r.chain.length - 1} more hop(s) of role chaining,` : '') +
        ` to ${r.principal ?? 'an unnamed principal'}` +
        (r.notes.length ? ` (${r.notes.join('; ')})` : ''),
    };
  }
  if (key) {
    const use = keyUse(key);
    if (use) {
      const r = resolver.resolveOwnIdentity(
        identityRecord({ type: use.identityType, arn: use.arn, principalId: use.principalId, key, issuerArn: use.issuerArn, invokedBy: use.invokedBy, userName: use.userName, accountId: use.accountId }),
      );
      return {
        principal: r.principal,
        confidence: r.principal ? 'proven' : 'none',
        chain: r.chain,
        why: `user.extra.accessKeyId ${key} is not issued in the bundle; its CloudTrail calls (${use.eventID}) name ${r.principal ?? 'no principal'}: the chain stops there`,
      };
    }
  }
  if (user.arn) {
    const assumed = /:assumed-role\//.test(user.arn);
    const r = resolver.resolveOwnIdentity(
      identityRecord({
        type: assumed ? 'AssumedRole' : /:user\//.test(user.arn) ? 'IAMUser' : /:root$/.test(user.arn) ? 'Root' : null,
        arn: user.arn,
        principalId: user.principalId,
        key,
        issuerArn: assumed ? user.canonicalArn : null,
        accountId: /^arn:aws[^:]*:(?:iam|sts)::(\d{12}):/.exec(user.arn)?.[1] ?? null,
      }),
    );
    return {
      principal: r.principal ?? user.arn,
      confidence: 'inferred',
      chain: r.chain,
      why: `${key ? `user.extra.accessKeyId ${key} appears nowhere in the bundle's CloudTrail` : 'the audit event names no access key'}; user.extra.arn ${user.arn}${user.sessionName ? ` (session ${user.sessionName})` : ''} says who: the chain stops there`,
    };
  }
  return {
    principal: user.username,
    confidence: 'proven',
    chain: [],
    why: `${user.username} is not an IAM principal (no user.extra.arn): shown as the Kubernetes user`,
  };
}

export interface PodActorsIndex {
  /** By pod (the timeline's PodLife): the actions on it, the deploy that made it and tokens minted for its service account. */
  byPod: Map<PodLife, PodActionRecord[]>;
  /** Every action with its identity (the reverse pivot), in time order. */
  all: (K8sAction & { identity: ActorIdentity; pods: PodLife[] })[];
}

/** Ties the actions to the timeline's pods and resolves each actor's AWS identity. */
export function buildPodActors(facts: Facts, resolver: Resolver, rows: ActorAuditRow[], keyUse: (key: string) => KeyUse | null): PodActorsIndex {
  const k8s = facts.k8s;
  const out: PodActorsIndex = { byPod: new Map(), all: [] };
  if (!k8s || rows.length === 0) return out;
  const { actions, podOwner } = extractActions(rows);
  const pods = k8s.timeline.pods;
  const byName = new Map<string, PodLife[]>();
  for (const p of pods) {
    const k = `${p.namespace}/${p.name}`;
    const l = byName.get(k);
    if (l) l.push(p);
    else byName.set(k, [p]);
  }
  const podAt = (namespace: string, name: string, uid: string | null, ms: number): PodLife | null => {
    const list = byName.get(`${namespace}/${name}`) ?? [];
    if (uid) return list.find((p) => p.uid === uid) ?? null;
    const alive = list.filter((p) => aliveAt(p, ms));
    return alive.length === 1 ? alive[0]! : alive.length === 0 && list.length === 1 ? list[0]! : null;
  };
  const rsOf = (p: PodLife): string | null => {
    const o = p.uid ? podOwner.get(p.uid) : undefined;
    if (o?.name) return `${p.namespace}/${o.name}`;
    // A pod created before the audit log: a ReplicaSet's pods are named `<replicaset>-<5 characters>`.
    const m = /^(.+)-[a-z0-9]{5}$/.exec(p.name);
    return m ? `${p.namespace}/${m[1]}` : null;
  };
  const identities = new Map<string, ActorIdentity>();
  const add = (p: PodLife, rec: PodActionRecord) => {
    const l = out.byPod.get(p);
    if (l) l.push(rec);
    else out.byPod.set(p, [rec]);
  };
  let podsByRs: Map<string, PodLife[]> | null = null;
  let podsBySa: Map<string, PodLife[]> | null = null;
  for (const a of actions) {
    let identity = identities.get(a.auditId);
    if (!identity) identities.set(a.auditId, (identity = resolveKubeUser(a.user, a.startMs, resolver, keyUse)));
    let targets: PodLife[] = [];
    if (a.action === 'deploy') {
      if (!podsByRs) {
        podsByRs = new Map();
        for (const p of pods) {
          const rs = rsOf(p);
          if (!rs) continue;
          const l = podsByRs.get(rs);
          if (l) l.push(p);
          else podsByRs.set(rs, [p]);
        }
      }
      targets = podsByRs.get(`${a.namespace}/${a.replicaSet!.name}`) ?? [];
    } else if (a.action === 'token') {
      if (!podsBySa) {
        podsBySa = new Map();
        for (const p of pods) {
          if (!p.serviceAccount) continue;
          const k = `${p.namespace}/${p.serviceAccount}`;
          const l = podsBySa.get(k);
          if (l) l.push(p);
          else podsBySa.set(k, [p]);
        }
      }
      // The pods of the service account that ran while the token could be used.
      targets = (podsBySa.get(`${a.namespace}/${a.serviceAccount}`) ?? []).filter((p) => {
        const end = p.goneMs ?? p.deletedMs;
        return end === null || end >= a.startMs;
      });
    } else if (a.podName) {
      const p = podAt(a.namespace, a.podName, a.podUid, a.startMs);
      if (p) targets = [p];
    }
    out.all.push({ ...a, identity, pods: targets });
    for (const p of targets) add(p, { ...a, identity, pod: p });
  }
  return out;
}

function targetWords(a: K8sAction, p: PodLife): string {
  if (a.action === 'deploy') return `deployment ${a.namespace}/${a.deployment} → replicaset ${a.replicaSet!.name}`;
  if (a.action === 'token') return `serviceaccount ${a.namespace}/${a.serviceAccount}`;
  return `pod ${p.namespace}/${p.name}`;
}

/** The contract's view of one action. `onCandidate`: listed for a pod that is only a candidate of the answer. */
export function actionView(a: PodActionRecord, onCandidate: boolean): PodActorAction {
  const time = isoUtc(a.startMs);
  const session = a.endMs !== null && a.action !== 'log' ? ` (session until ${isoUtc(a.endMs)})` : a.action !== 'log' && ['exec', 'attach', 'portforward'].includes(a.action) ? ' (session still open at the end of the log)' : '';
  return {
    action: a.action,
    time,
    kubernetesUser: a.user.username,
    principal: a.identity.principal,
    accessKeyId: a.user.accessKeyId,
    auditID: a.auditId,
    confidence: onCandidate ? 'ambiguous' : a.identity.confidence,
    target: targetWords(a, a.pod),
    why: `${a.identity.why}${session}${onCandidate ? `; ${a.pod.name} is only one of the candidate pods` : ''}`,
  };
}

/**
 * The pods a resolution names (its pod, or every candidate of an ambiguous answer), as timeline pods. A pod known
 * only by a session-name prefix (Pod Identity without tags) is each pod of that prefix alive at `atMs`, the
 * credential's first use: one is the pod, several are candidates.
 */
export function podsOfResolution(r: Resolution, pods: readonly PodLife[], atMs: number | null = null): { pod: PodLife; candidate: boolean }[] {
  const find = (uid: string | null | undefined, name: string | undefined) =>
    pods.find((p) => (uid ? p.uid === uid : false)) ?? (name && r.namespace ? pods.find((p) => p.name === name && p.namespace === r.namespace) : undefined);
  if (r.pod?.nameTruncated && !r.pod.uid && atMs !== null) {
    const prefix = r.pod.name;
    const fit = pods.filter((p) => (!r.namespace || p.namespace === r.namespace) && p.name.startsWith(prefix) && (!r.serviceAccount || !p.serviceAccount || p.serviceAccount === r.serviceAccount) && aliveAt(p, atMs));
    return fit.map((pod) => ({ pod, candidate: fit.length > 1 }));
  }
  if (r.pod && (r.confidence.pod === 'proven' || r.confidence.pod === 'inferred')) {
    const p = find(r.pod.uid, r.pod.nameTruncated ? undefined : r.pod.name);
    return p ? [{ pod: p, candidate: false }] : [];
  }
  if (r.confidence.pod === 'ambiguous') {
    const out: { pod: PodLife; candidate: boolean }[] = [];
    for (const c of r.candidates) {
      const p = c.pod ? find(c.pod.uid, c.pod.nameTruncated ? undefined : c.pod.name) : undefined;
      if (p && !out.some((x) => x.pod === p)) out.push({ pod: p, candidate: true });
    }
    return out;
  }
  return [];
}

/** What the workload of a service account does on its own (outside exec sessions into its pods). */
export interface Baseline {
  products: Set<string>;
  apis: Set<string>;
  calls: number;
}

/** The product of a user agent: `aws-cli`, `Boto3`, `aws-sdk-go-v2`, … (its first token, before the version). */
export function uaProduct(ua: string | null): string {
  if (!ua) return '';
  const m = /^\[?([^/\s\]]+)/.exec(ua.trim());
  return (m ? m[1]! : ua).toLowerCase();
}

export interface CallFacts {
  ms: number;
  userAgent: string | null;
  api: string;
  invokedBy: string | null;
}

/**
 * The event's actor: an exec/attach session into the event's pod (or a candidate pod) open at the call, and a call
 * unlike the workload's own. Null when nothing points to a person.
 */
export function actorOf(call: CallFacts, on: { pod: PodLife; candidate: boolean }[], actions: Map<PodLife, PodActionRecord[]>, baseline: Baseline | null): EventActor | null {
  if (call.invokedBy) return null; // an AWS service acting for the session (KMS Decrypt for Secrets Manager, …)
  const open: PodActionRecord[] = [];
  for (const { pod } of on) {
    for (const a of actions.get(pod) ?? []) {
      if (a.action !== 'exec' && a.action !== 'attach') continue;
      if (a.startMs - SESSION_SLACK_MS <= call.ms && (a.endMs === null || call.ms <= a.endMs + SESSION_SLACK_MS)) open.push(a);
    }
  }
  if (open.length === 0) return null;
  const product = uaProduct(call.userAgent);
  const newProduct = baseline !== null && product !== '' && !baseline.products.has(product);
  const newApi = baseline !== null && baseline.calls >= API_BASELINE && !baseline.apis.has(call.api);
  if (!baseline || (!newProduct && !newApi)) return null;
  const people = [...new Set(open.map((a) => a.identity.principal ?? a.user.username))];
  const a = open[0]!;
  const candidate = on.find((x) => x.pod === a.pod)?.candidate ?? true;
  const reasons = [
    ...(newProduct ? [`its user agent is ${product}'s, which the workload's own calls never use (they use ${[...baseline.products].sort().join(', ') || 'none seen'})`] : []),
    ...(newApi ? [`the workload never called ${call.api} outside exec sessions (${baseline.calls} calls)`] : []),
  ];
  return {
    principal: people.length === 1 ? people[0]! : people.join(' or '),
    auditID: a.auditId,
    confidence: people.length === 1 && !candidate ? 'inferred' : 'ambiguous',
    why:
      `${a.user.username} (${a.identity.principal ?? 'no AWS principal'}) had an ${a.action} session (audit ${a.auditId}) open into ${a.pod.namespace}/${a.pod.name} from ${isoUtc(a.startMs)}` +
      `${a.endMs !== null ? ` to ${isoUtc(a.endMs)}` : ' (still open at the end of the log)'}` +
      `${candidate ? ', a candidate pod of this call' : ''}; ${reasons.join('; ')}` +
      (open.length > 1 ? `; ${open.length} sessions were open (${open.map((x) => x.auditId).join(', ')})` : ''),
  };
}
