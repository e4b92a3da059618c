/**
 * Which pod ran where, under which service account and IP, at any moment — rebuilt from EKS audit events
 * (pod create, scheduler binding, kubelet status patches, delete, kubelet token requests, node objects) and
 * from inventory snapshots. Pure: records in, timeline out.
 */
import { arr, get, getStr, obj, str } from '../util/json';
import { parseEventTime } from '../util/time';
import type { JsonObject } from '../util/json';

export interface AuditFact {
  auditId: string;
  tsMs: number;
  record: JsonObject;
  /** The evidence file it was read from (any stable key): facts of one file belong to one cluster. */
  source?: string;
}

export interface PodLife {
  uid: string | null;
  namespace: string;
  name: string;
  serviceAccount: string | null;
  nodeName: string | null;
  ips: string[];
  createdMs: number | null;
  /** The first delete request (a graceful delete: the containers may run on until their grace period ends). */
  deletedMs: number | null;
  /**
   * When its containers had certainly stopped: the kubelet's final delete (it removes the object once the
   * containers have exited), or the end of the grace period the first delete set (`deletionTimestamp`, when the
   * kubelet kills what is left), whichever came first. Null when neither is in the evidence.
   */
  goneMs: number | null;
  /**
   * The earliest container start the kubelet's status patches report (`state.running.startedAt` and the like, of
   * init and app containers; whole seconds), or null when none was seen.
   */
  startedMs: number | null;
  /** auditIDs (or inventory refs) that establish this pod's facts. */
  evidence: { created?: string; bound?: string; ip?: string; deleted?: string; gone?: string; inventory?: string; started?: string };
  /**
   * The group of evidence files it was seen in (see `TimelineBuilder.build`): one cluster's audit log and
   * inventories. Null when its facts came with no file.
   */
  group: string | null;
}

export interface TokenRequest {
  auditId: string;
  tsMs: number;
  namespace: string;
  serviceAccount: string;
  podName: string | null;
  podUid: string | null;
  audiences: string[];
  requester: string;
  nodeName: string | null;
  credentialId: string | null;
  expiresMs: number | null;
  /** A requester that is itself a pod's service account: its pod (`user.extra` authentication.kubernetes.io/pod-name, -uid). */
  requesterPod: { name: string; uid: string | null } | null;
}

export interface NodeInfo {
  name: string;
  instanceId: string | null;
  ips: string[];
  evidence: string;
  /** The file groups that speak of this node (a node name can recur in another cluster that reuses the VPC range). */
  groups: string[];
}

export interface Timeline {
  pods: PodLife[];
  tokens: TokenRequest[];
  nodes: Map<string, NodeInfo>;
}

/** After its grace period ends the kubelet kills the containers; allow it a few seconds to do so. */
const KILL_SLACK_MS = 5_000;
const PROVIDER_ID = /^aws:\/\/\/[^/]*\/(i-[0-9a-f]+)$/;
const NODE_USER = /^system:node:(.+)$/;

function ok(r: JsonObject): boolean {
  const code = get(r, 'responseStatus', 'code');
  return typeof code !== 'number' || (code >= 200 && code < 300);
}

export function nodeOfUser(username: string | undefined): string | null {
  const m = username ? NODE_USER.exec(username) : null;
  return m ? m[1]! : null;
}

export class TimelineBuilder {
  private readonly pods: PodLife[] = [];
  private readonly byUid = new Map<string, PodLife>();
  private readonly tokens: TokenRequest[] = [];
  private readonly nodes = new Map<string, NodeInfo>();
  /** The file the fact being applied was read from, if known. */
  private source: string | null = null;
  private readonly podSources = new Map<PodLife, Set<string>>();
  private readonly nodeSources = new Map<string, Set<string>>();
  private readonly files = new Groups();

  private seenIn(p: PodLife): PodLife {
    if (this.source) {
      if (p.uid) this.files.union(this.source, `pod:${p.uid}`);
      let set = this.podSources.get(p);
      if (!set) this.podSources.set(p, (set = new Set()));
      set.add(this.source);
    }
    return p;
  }

  /** An EC2 instance named by a fact of this file: files that name one instance are one cluster's. */
  private instanceSeen(instanceId: string): void {
    if (this.source) this.files.union(this.source, `instance:${instanceId}`);
  }

  /** The pod a fact is about: by uid when known, else the latest pod of that name created before `ts`. */
  private pod(namespace: string, name: string, uid: string | null, ts: number): PodLife {
    if (uid) {
      const known = this.byUid.get(uid);
      if (known) return this.seenIn(known);
    }
    if (!uid) {
      let best: PodLife | null = null;
      for (const p of this.pods) {
        if (p.namespace !== namespace || p.name !== name) continue;
        if (p.createdMs !== null && p.createdMs > ts) continue;
        if (!best || (p.createdMs ?? 0) > (best.createdMs ?? 0)) best = p;
      }
      if (best) return this.seenIn(best);
    }
    const p: PodLife = { uid, namespace, name, serviceAccount: null, nodeName: null, ips: [], createdMs: null, deletedMs: null, goneMs: null, startedMs: null, evidence: {}, group: null };
    this.pods.push(p);
    if (uid) this.byUid.set(uid, p);
    return this.seenIn(p);
  }

  private node(name: string, evidence: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) this.nodes.set(name, (n = { name, instanceId: null, ips: [], evidence, groups: [] }));
    if (this.source) {
      let set = this.nodeSources.get(name);
      if (!set) this.nodeSources.set(name, (set = new Set()));
      set.add(this.source);
    }
    return n;
  }

  private applyPodObject(o: JsonObject, ts: number, ref: string, kind: 'created' | 'inventory'): void {
    const namespace = getStr(o, 'metadata', 'namespace');
    const name = getStr(o, 'metadata', 'name');
    if (!namespace || !name) return;
    const uid = getStr(o, 'metadata', 'uid') ?? null;
    const created = parseEventTime(getStr(o, 'metadata', 'creationTimestamp') ?? '');
    const p = this.pod(namespace, name, uid, Number.isNaN(created) ? ts : created);
    p.serviceAccount ??= getStr(o, 'spec', 'serviceAccountName') ?? null;
    p.nodeName ??= getStr(o, 'spec', 'nodeName') ?? null;
    p.createdMs ??= Number.isNaN(created) ? (Number.isFinite(ts) ? ts : null) : created;
    const ip = getStr(o, 'status', 'podIP');
    if (ip && !p.ips.includes(ip)) p.ips.push(ip);
    for (const x of arr(get(o, 'status', 'podIPs'))) {
      const v = getStr(x, 'ip');
      if (v && !p.ips.includes(v)) p.ips.push(v);
    }
    const deleted = parseEventTime(getStr(o, 'metadata', 'deletionTimestamp') ?? '');
    if (!Number.isNaN(deleted)) p.deletedMs ??= deleted;
    if (kind === 'created') p.evidence.created ??= ref;
    else p.evidence.inventory ??= ref;
  }

  private applyNodeObject(o: JsonObject, ref: string): void {
    const name = getStr(o, 'metadata', 'name');
    if (!name) return;
    const n = this.node(name, ref);
    // spec.providerID = aws:///<az>/<instance id>: the EC2 instance behind the Kubernetes node.
    const m = PROVIDER_ID.exec(getStr(o, 'spec', 'providerID') ?? '');
    if (m) {
      n.instanceId ??= m[1]!;
      this.instanceSeen(m[1]!);
    }
    for (const a of arr(get(o, 'status', 'addresses'))) {
      const t = getStr(a, 'type');
      const v = getStr(a, 'address');
      if (v && (t === 'InternalIP' || t === 'ExternalIP') && !n.ips.includes(v)) n.ips.push(v);
    }
  }

  /** One audit event. Only successful calls count (a refused binding binds nothing). */
  audit(a: AuditFact): void {
    this.source = a.source ?? null;
    const r = a.record;
    // On EKS the kubelet authenticates with its node role session: user.extra.sessionName = the instance id.
    const kubelet = nodeOfUser(getStr(r, 'user', 'username'));
    const session = str(arr(get(r, 'user', 'extra', 'sessionName'))[0]);
    if (kubelet && session && /^i-[0-9a-f]+$/.test(session)) {
      this.node(kubelet, a.auditId).instanceId ??= session;
      this.instanceSeen(session);
    }
    if (!ok(r)) return;
    const verb = getStr(r, 'verb');
    const resource = getStr(r, 'objectRef', 'resource');
    const sub = getStr(r, 'objectRef', 'subresource');
    const namespace = getStr(r, 'objectRef', 'namespace');
    const name = getStr(r, 'objectRef', 'name');
    if (resource === 'pods' && namespace) {
      if (verb === 'create' && !sub) {
        const o = obj(r.responseObject) ?? obj(r.requestObject);
        if (o) this.applyPodObject({ ...o, metadata: { namespace, ...(obj(o.metadata) ?? {}) } }, a.tsMs, a.auditId, 'created');
      } else if (verb === 'create' && sub === 'binding' && name) {
        // The scheduler's Binding: requestObject.target names the node.
        const target = getStr(r, 'requestObject', 'target', 'name');
        const uid = getStr(r, 'requestObject', 'metadata', 'uid') ?? getStr(r, 'objectRef', 'uid') ?? null;
        if (target) {
          const p = this.pod(namespace, name, uid, a.tsMs);
          p.nodeName = target;
          p.evidence.bound = a.auditId;
        }
      } else if ((verb === 'patch' || verb === 'update') && sub === 'status' && name) {
        const uid = getStr(r, 'requestObject', 'metadata', 'uid') ?? null;
        const ip = getStr(r, 'requestObject', 'status', 'podIP');
        const p = this.pod(namespace, name, uid, a.tsMs);
        p.nodeName ??= nodeOfUser(getStr(r, 'user', 'username'));
        if (ip && !p.ips.includes(ip)) {
          p.ips.push(ip);
          p.evidence.ip ??= a.auditId;
        }
        const started = earliestContainerStart(obj(get(r, 'requestObject', 'status')));
        if (started !== null && (p.startedMs === null || started < p.startedMs)) {
          p.startedMs = started;
          p.evidence.started = a.auditId;
        }
      } else if (verb === 'delete' && !sub && name) {
        const uid = getStr(r, 'responseObject', 'metadata', 'uid') ?? null;
        const p = this.pod(namespace, name, uid, a.tsMs);
        p.deletedMs ??= a.tsMs;
        p.evidence.deleted ??= a.auditId;
        // The kubelet's own delete (grace period 0) comes once the containers have exited.
        const final = nodeOfUser(getStr(r, 'user', 'username')) !== null && get(r, 'requestObject', 'gracePeriodSeconds') === 0;
        const graceEnd = parseEventTime(getStr(r, 'responseObject', 'metadata', 'deletionTimestamp') ?? '');
        for (const t of [final ? a.tsMs : NaN, graceEnd + KILL_SLACK_MS]) {
          if (!Number.isNaN(t) && (p.goneMs === null || t < p.goneMs)) {
            p.goneMs = t;
            p.evidence.gone = a.auditId;
          }
        }
      }
      return;
    }
    if (resource === 'serviceaccounts' && sub === 'token' && verb === 'create' && namespace && name) {
      // TokenRequest: spec.boundObjectRef names the pod, spec.audiences the consumer (sts.amazonaws.com = IRSA).
      const spec = obj(get(r, 'requestObject', 'spec'));
      const bound = obj(spec?.boundObjectRef);
      const requester = getStr(r, 'user', 'username') ?? '';
      const exp = parseEventTime(getStr(r, 'responseObject', 'status', 'expirationTimestamp') ?? '');
      const boundUid = bound && str(bound.kind) === 'Pod' ? str(bound.uid) : undefined;
      if (boundUid && this.source) this.files.union(this.source, `pod:${boundUid}`);
      this.tokens.push({
        auditId: a.auditId,
        tsMs: a.tsMs,
        namespace,
        serviceAccount: name,
        podName: bound && str(bound.kind) === 'Pod' ? (str(bound.name) ?? null) : null,
        podUid: bound && str(bound.kind) === 'Pod' ? (str(bound.uid) ?? null) : null,
        audiences: arr(spec?.audiences).filter((x): x is string => typeof x === 'string'),
        requester,
        nodeName: nodeOfUser(requester),
        credentialId:
          getStr(r, 'annotations', 'authentication.kubernetes.io/issued-credential-id') ??
          getStr(r, 'annotations', 'authentication.kubernetes.io/credential-id') ??
          null,
        expiresMs: Number.isNaN(exp) ? null : exp,
        requesterPod: requesterPodOf(r),
      });
      return;
    }
    if (resource === 'nodes' && (verb === 'create' || verb === 'update' || verb === 'patch')) {
      const o = obj(r.responseObject) ?? obj(r.requestObject);
      if (o && getStr(o, 'metadata', 'name')) this.applyNodeObject(o, a.auditId);
      else if (o && name) this.applyNodeObject({ ...o, metadata: { name } }, a.auditId);
    }
  }

  /** An inventory object (`kubectl get … -o json` item). */
  inventory(o: JsonObject, ref: string, snapshotMs: number, source?: string): void {
    this.source = source ?? null;
    const kind = getStr(o, 'kind');
    if (kind === 'Pod' || (kind === undefined && obj(o.spec) && 'containers' in (obj(o.spec) ?? {}))) this.applyPodObject(o, snapshotMs, ref, 'inventory');
    else if (kind === 'Node') this.applyNodeObject(o, ref);
  }

  /** `aws ec2 describe-instances`: instance id ↔ private DNS name (the node name on EKS) ↔ private IP. */
  instances(reservation: JsonObject, ref: string): void {
    // describe-instances output is account-wide: it groups no files (its instances are tied one by one).
    this.source = null;
    for (const i of arr(reservation.Instances)) {
      const id = getStr(i, 'InstanceId');
      const dns = getStr(i, 'PrivateDnsName');
      if (!id || !dns) continue;
      const n = this.node(dns, ref);
      n.instanceId ??= id;
      const ip = getStr(i, 'PrivateIpAddress');
      if (ip && !n.ips.includes(ip)) n.ips.push(ip);
    }
  }

  build(): Timeline {
    this.tokens.sort((a, b) => a.tsMs - b.tsMs);
    // A kubelet token request bound to a pod states the pod's service account and node: this fills pods whose
    // creation predates the audit logs (known only from later status patches or their deletion).
    for (const t of this.tokens) {
      if (!t.nodeName || (!t.podUid && !t.podName)) continue;
      const p = t.podUid ? this.byUid.get(t.podUid) : this.pods.find((x) => x.namespace === t.namespace && x.name === t.podName);
      if (!p || p.namespace !== t.namespace) continue;
      p.serviceAccount ??= t.serviceAccount;
      p.nodeName ??= t.nodeName;
    }
    this.source = null;
    for (const p of this.pods) if (p.nodeName) this.node(p.nodeName, p.evidence.bound ?? p.evidence.inventory ?? '');
    // Files that speak of one pod (by uid) or one EC2 instance are one cluster's evidence: an audit log and the
    // inventories taken from the same cluster. Node names do not join files (clusters that reuse a VPC range
    // reuse them).
    for (const set of this.podSources.values()) {
      const [first, ...rest] = [...set];
      for (const s of rest) this.files.union(first!, s);
    }
    for (const [p, set] of this.podSources) {
      p.group = this.files.find([...set][0]!);
      // The files that put a pod on a node speak of that node too.
      if (!p.nodeName) continue;
      const onNode = this.nodeSources.get(p.nodeName) ?? new Set<string>();
      for (const s of set) onNode.add(s);
      this.nodeSources.set(p.nodeName, onNode);
    }
    for (const [name, set] of this.nodeSources) {
      const n = this.nodes.get(name)!;
      n.groups = [...new Set([...set].map((s) => this.files.find(s)))];
    }
    return { pods: this.pods, tokens: this.tokens, nodes: this.nodes };
  }
}

/** Disjoint sets of string keys (union by size, path halving). */
class Groups {
  private readonly parent = new Map<string, string>();
  private readonly size = new Map<string, number>();

  find(x: string): string {
    if (!this.parent.has(x)) {
      this.parent.set(x, x);
      this.size.set(x, 1);
      return x;
    }
    let root = x;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    while (x !== root) {
      const next = this.parent.get(x)!;
      this.parent.set(x, root);
      x = next;
    }
    return root;
  }

  union(a: string, b: string): void {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return;
    if (this.size.get(ra)! < this.size.get(rb)!) [ra, rb] = [rb, ra];
    this.parent.set(rb, ra);
    this.size.set(ra, this.size.get(ra)! + this.size.get(rb)!);
  }
}

/** The earliest `startedAt` among a pod status's container statuses (current and last state, init containers too). */
function earliestContainerStart(status: JsonObject | undefined): number | null {
  if (!status) return null;
  let min: number | null = null;
  for (const list of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']) {
    for (const c of arr(status[list])) {
      for (const state of ['state', 'lastState']) {
        for (const phase of ['running', 'terminated']) {
          const t = parseEventTime(getStr(c, state, phase, 'startedAt') ?? '');
          if (!Number.isNaN(t) && (min === null || t < min)) min = t;
        }
      }
    }
  }
  return min;
}

function requesterPodOf(r: JsonObject): { name: string; uid: string | null } | null {
  const name = str(arr(get(r, 'user', 'extra', 'authentication.kubernetes.io/pod-name'))[0]);
  if (!name) return null;
  return { name, uid: str(arr(get(r, 'user', 'extra', 'authentication.kubernetes.io/pod-uid'))[0]) ?? null };
}

/**
 * Could the pod's containers run at `ms` (created before, not yet gone)? A deleted pod runs on through its grace
 * period; when when it stopped is unknown, the delete request is taken. Unknown bounds count as open.
 */
export function aliveAt(p: PodLife, ms: number): boolean {
  const end = runsUntil(p);
  return (p.createdMs === null || p.createdMs <= ms) && (end === null || end >= ms);
}

/** Until when the pod's containers may have run: when they stopped, else the delete request (null: not deleted). */
export function runsUntil(p: PodLife): number | null {
  return p.goneMs ?? p.deletedMs;
}
