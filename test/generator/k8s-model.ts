/**
 * The Kubernetes side of the scenario (option `k8s`), for one cluster (prod-east): node registration, every
 * pod's create / binding / status / kubelet token requests / delete as audit events, pod IPs, and which IRSA
 * workloads reach AWS through VPC endpoints. Pod actors call in as pods start and go; everything random
 * here draws from its own stream, so the CloudTrail-only generator is untouched when the option is off.
 */

import {
  auditEvent, CCM_REASON, CCM_USER, controllerReason, nodeRef, nodeUser, podRef, podStatusPatch, saUser, SCHEDULER_REASON, SCHEDULER_USER,
  tokenRef, UA, URI, type AuditArgs, type AuditEntry, type ClusterVersion,
} from './k8s-audit';
import { containerImage, containerStatuses, nodeAddresses, nodeObject, podObject, tokenRequest, tokenResponse, type GoneReason, type NodeInfo, type PodLife } from './k8s-objects';
import { isoSec, K8S } from './ids';
import type { Json } from './records';
import type { Rng } from './rng';
import type { Session, Vpce } from './sts';
import type { PodTruth } from './truth';
import type { Workload } from './population';
import type { Cluster, Node, World } from './world';

const INSTANCE_TYPES: Record<string, string> = { general: 'm6i.xlarge', spot: 'm5.large' };
/** Kubelet refreshes the kube-api-access token at 80 % of its 3607 s lifetime. */
const API_TOKEN_REFRESH_MS = 2_885_000;

/** What a pod actor knows of a pod when it starts (`ip` may be changed here to keep pod IPs unique). */
export interface StartingPod {
  truth: PodTruth;
  node: Node;
  ip: string;
  rsHash: string;
}

export class K8sLog {
  readonly cluster: Cluster;
  readonly version: ClusterVersion;
  readonly audit: AuditEntry[] = [];
  readonly lives: PodLife[] = [];
  readonly nodes = new Map<string, NodeInfo>();
  /**
   * Node lease renewals (`update leases` in kube-node-lease by each kubelet, every 10 s in EKS): the bulk of a
   * real audit log and no attribution signal. Off by default; the benchmark turns them on for realistic volume.
   */
  leaseRenewals = false;
  /** Audit events that belong to planted attacks (by attack id). */
  readonly attackAudit = new Map<string, AuditEntry[]>();
  /** Kubernetes API server address the control-plane components call from. */
  readonly controlPlaneIp: string;
  readonly saUids = new Map<string, string>();
  readonly saCreated = new Map<string, number>();
  lastT = -Infinity;
  /**
   * How varied clusters are (drawn per bundle from its own stream): which AWS services each cluster's VPC reaches
   * through endpoints (the rest leave through NAT), NAT per AZ or one per VPC, and whether Pod Identity pods run on
   * only some nodes (the others never call eks-auth, so nothing in CloudTrail ties them to their cluster).
   */
  readonly variety: { endpoints: Map<string, Set<string>>; natPerVpc: boolean; piNodes: Set<string> | null };
  /** Variety: the two deployments that share one service account, when they do. */
  sharedServiceAccount: string | null = null;
  private readonly vpceIds = new Map<string, string>();
  private readonly ownerUids = new Map<string, string>();
  private readonly ips = new Set<string>();

  constructor(readonly rng: Rng, readonly world: World) {
    const c = (this.cluster = world.factCluster);
    // Variety: in half the bundles two deployments of the audited cluster share one service account (and its role),
    // as real clusters do (a worker and its API, a job and its service).
    const sv = rng.fork('variety-shared-sa');
    const irsaWorkloads = world.workloads.filter((w) => w.cluster === c && w.variant === 'irsa' && !w.daemonSet);
    if (sv.chance(0.5) && irsaWorkloads.length >= 2) {
      const [a, b] = sv.shuffle(irsaWorkloads) as [Workload, Workload];
      b.namespace = a.namespace;
      b.serviceAccount = a.serviceAccount;
      b.role = a.role;
      this.sharedServiceAccount = `${a.namespace}/${a.serviceAccount}: ${a.name} and ${b.name}`;
    }
    this.version = { git: `v${c.version}.4`, commit: rng.hex(7) };
    this.controlPlaneIp = `172.16.${rng.between(0, 127)}.${rng.between(2, 250)}`;
    for (const n of c.nodes) {
      const name = n.privateDns;
      this.nodes.set(n.instanceId, {
        node: n, name, uid: rng.uuid(), instanceType: INSTANCE_TYPES[n.group.name] ?? 'm6i.large',
        registeredAt: n.start + rng.between(8_000, 15_000), deletedAt: null, keys: [],
      });
      this.ips.add(n.privateIp);
    }
    for (const w of world.workloads.filter((x) => x.cluster === c)) {
      const key = `${w.namespace}/${w.serviceAccount}`;
      if (!this.saUids.has(key)) {
        this.saUids.set(key, rng.uuid());
        this.saCreated.set(key, world.t0 - rng.between(20, 300) * 86_400_000 - rng.int(86_400_000));
      }
    }
    const vr = rng.fork('variety');
    const endpoints = new Map<string, Set<string>>();
    for (const cl of world.clusters) {
      const set = new Set<string>();
      if (vr.chance(0.5)) set.add('sts');
      for (const svc of ['s3', 'dynamodb', 'secretsmanager', 'sqs', 'kms', 'ssm', 'ecr', 'logs', 'ec2', 'eks-auth']) if (vr.chance(0.35)) set.add(svc);
      endpoints.set(cl.name, set);
    }
    const natPerVpc = vr.chance(0.5);
    if (natPerVpc) for (const cl of world.clusters) for (const n of cl.nodes) n.natIp = cl.nodes[0]!.natIp;
    // Pod Identity pods only on the first node group's nodes (and its replacement): the other nodes never call eks-auth.
    const piNodes = vr.chance(0.5) ? new Set(c.nodes.filter((n) => n.group === c.nodeGroups[0]).map((n) => n.instanceId)) : null;
    this.variety = { endpoints, natPerVpc, piNodes };
  }

  covers(c: Cluster): boolean {
    return c === this.cluster;
  }

  /** Whether the cluster's VPC reaches `service` (the eventSource's first label) through an endpoint. */
  viaEndpoint(c: Cluster, service: string): boolean {
    return this.variety.endpoints.get(c.name)?.has(service) ?? false;
  }

  /** Whether a pod of `w` may be scheduled on node `n`. */
  schedulable(w: Workload, n: Node): boolean {
    return !this.variety.piNodes || !w.variant.startsWith('pi') || !this.covers(w.cluster) || this.variety.piNodes.has(n.instanceId);
  }

  /** The VPC endpoint of `service` in the cluster's VPC. */
  vpce(c: Cluster, service: string): Vpce {
    const key = `${c.name}/${service}`;
    let id = this.vpceIds.get(key);
    if (!id) this.vpceIds.set(key, (id = `vpce-0${this.rng.hex(16)}`));
    return { id, account: c.account.id };
  }

  nodeSessionIssued(node: Node, s: Session): void {
    this.nodes.get(node.instanceId)?.keys.push({ at: s.issuedAt, accessKeyId: s.accessKeyId, arn: s.arn });
  }

  saUid(ns: string, sa: string): string {
    const key = `${ns}/${sa}`;
    let uid = this.saUids.get(key);
    if (!uid) {
      this.saUids.set(key, (uid = this.rng.uuid()));
      this.saCreated.set(key, this.cluster.createdAt + this.rng.between(60, 600) * 1000);
    }
    return uid;
  }

  /** The uid of a workload's ReplicaSet: the one its pods' ownerReferences name (option k8sActors). */
  replicaSetUid(workload: string, rsHash: string): string {
    const key = `rs/${workload}-${rsHash}`;
    let uid = this.ownerUids.get(key);
    if (!uid) this.ownerUids.set(key, (uid = this.rng.uuid()));
    return uid;
  }

  /** The uid of a Deployment (option k8sActors). */
  deploymentUid(namespace: string, name: string): string {
    const key = `deploy/${namespace}/${name}`;
    let uid = this.ownerUids.get(key);
    if (!uid) this.ownerUids.set(key, (uid = this.rng.uuid()));
    return uid;
  }

  ownerUid(p: PodLife): string {
    const key = p.w.daemonSet ? `ds/${p.w.name}` : `rs/${p.w.name}-${p.rsHash}`;
    let uid = this.ownerUids.get(key);
    if (!uid) this.ownerUids.set(key, (uid = this.rng.uuid()));
    return uid;
  }

  push(a: AuditArgs, attackId?: string): AuditEntry {
    const e = auditEvent(this.rng, a);
    this.audit.push(e);
    if (e.t > this.lastT) this.lastT = e.t;
    if (attackId) {
      const l = this.attackAudit.get(attackId) ?? [];
      l.push(e);
      this.attackAudit.set(attackId, l);
    }
    return e;
  }

  /**
   * A pod of the cluster starts for a replica slot (its previous pod went at `goneAt`, -Infinity for the
   * first). Emits its audit trail up to Running and returns its life; null outside the covered cluster.
   */
  podStarted(pod: StartingPod, w: Workload, goneAt: number, t: number): PodLife | null {
    if (!this.covers(w.cluster)) return null;
    const { rng } = this;
    const n = this.nodes.get(pod.node.instanceId)!;
    let c = Number.isFinite(goneAt) ? goneAt + rng.between(700, 2500) : t - rng.between(15_000, 40_000);
    c = Math.max(c, n.registeredAt + rng.between(2_000, 6_000));
    if (w.daemonSet) pod.ip = n.node.privateIp;
    else {
      const third = pod.node.privateIp.split('.')[2];
      while (this.ips.has(pod.ip)) pod.ip = `10.${w.cluster.cidr}.${third}.${rng.between(4, 250)}`;
      this.ips.add(pod.ip);
    }
    const life: PodLife = {
      w, name: pod.truth.name, uid: pod.truth.uid, namespace: w.namespace, serviceAccount: w.serviceAccount, node: n, ip: pod.ip,
      hostNetwork: w.daemonSet, rsHash: pod.rsHash, apiVolume: `kube-api-access-${rng.chars(K8S, 5)}`,
      createdAt: c, runningAt: 0, readyAt: 0, containerStartAt: 0, sdkInitAt: 0, deletedAt: null, goneReason: null, apiTokenJti: '', apiTokenAt: 0,
      awsAudience: w.variant === 'irsa' ? 'sts.amazonaws.com' : w.variant === 'node' ? null : 'pods.eks.amazonaws.com',
      awsTokenAt: null,
    };
    this.lives.push(life);
    const ns = life.namespace;
    const v = this.version;
    const creator = w.daemonSet ? 'daemon-set-controller' : 'replicaset-controller';
    const owner = this.ownerUid(life);
    const req = podObject(life, owner, 'Pending', { withStatus: false });
    const reqMeta = req.metadata as Json;
    req.metadata = { generateName: reqMeta.generateName, creationTimestamp: null, labels: reqMeta.labels, ownerReferences: reqMeta.ownerReferences };
    const created = this.push({
      t: c, level: 'RequestResponse', verb: 'create', uri: URI.pods(ns), user: saUser('kube-system', creator, this.saUid('kube-system', creator)),
      ip: this.controlPlaneIp, ua: UA.controller(v, creator), objectRef: podRef(ns, null), code: 201, requestObject: req,
      responseObject: podObject(life, owner, 'Pending'), reason: controllerReason(creator),
      annotations: { 'pod-security.kubernetes.io/enforce-policy': 'privileged:latest' },
    });
    const tb = created.t + rng.between(4, 40);
    this.push({
      t: tb, level: 'RequestResponse', verb: 'create', uri: URI.pod(ns, life.name, 'binding'), user: SCHEDULER_USER, ip: this.controlPlaneIp,
      ua: UA.scheduler(v), objectRef: podRef(ns, life.name, 'binding'), code: 201,
      requestObject: { kind: 'Binding', apiVersion: 'v1', metadata: { name: life.name, namespace: ns, uid: life.uid, creationTimestamp: null }, target: { kind: 'Node', name: n.name } },
      responseObject: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, reason: SCHEDULER_REASON,
    });
    const tp = tb + rng.between(400, 1500);
    const start = isoSec(tp);
    this.push(this.kubelet(n, tp, 'patch', URI.pod(ns, life.name, 'status'), podRef(ns, life.name, 'status'), 200, 'Request', podStatusPatch(life.uid, tp, n.node.privateIp, null, start)));
    let tk = tp + rng.between(100, 900);
    this.apiToken(life, tk);
    if (life.awsAudience) {
      tk += rng.between(5, 200);
      this.tokenByKubelet(life, tk, [life.awsAudience], 86400);
      life.awsTokenAt = tk;
    }
    life.runningAt = tk + rng.between(1_500, 6_000);
    life.containerStartAt = life.runningAt - rng.between(200, 1_500);
    // The application creates its SDK client as it boots: botocore and the Java SDK name their web-identity
    // session after that moment, and keep the name for every refresh.
    life.sdkInitAt = life.containerStartAt + rng.between(300, 4_000);
    this.push(this.kubelet(n, life.runningAt, 'patch', URI.pod(ns, life.name, 'status'), podRef(ns, life.name, 'status'), 200, 'Request',
      podStatusPatch(life.uid, life.runningAt, n.node.privateIp, life.ip, start, containerStatuses(life, containerImage(life)))));
    life.readyAt = life.runningAt + rng.between(1_000, 5_000);
    return life;
  }

  private kubelet(n: NodeInfo, t: number, verb: string, uri: string, objectRef: Json, code: number, level: AuditArgs['level'], requestObject?: Json, responseObject?: Json): AuditArgs {
    return { t, level, verb, uri, user: nodeUser(n, t), ip: n.node.privateIp, ua: UA.kubelet(this.version), objectRef, code, requestObject, responseObject, reason: '' };
  }

  /** The kubelet's TokenRequest for a pod's projected token (half of them carry the issued JTI annotation). */
  private tokenByKubelet(p: PodLife, t: number, audiences: string[] | null, exp: number): string {
    const jti = this.rng.uuid();
    const bound = { name: p.name, uid: p.uid };
    const args = this.kubelet(p.node, t, 'create', URI.token(p.namespace, p.serviceAccount), tokenRef(p.namespace, p.serviceAccount), 201, 'RequestResponse',
      tokenRequest(audiences, exp, bound), tokenResponse(p.serviceAccount, p.namespace, t, audiences ?? ['https://kubernetes.default.svc'], exp, bound));
    if (this.rng.chance(0.5)) args.annotations = { 'authentication.kubernetes.io/issued-credential-id': `JTI=${jti}` };
    this.push(args);
    return jti;
  }

  private apiToken(p: PodLife, t: number): void {
    p.apiTokenJti = this.tokenByKubelet(p, t, null, 3607);
    p.apiTokenAt = t;
  }

  /** Emit the kubelet's kube-api-access token refreshes of `p` before `until`. */
  refreshTokens(p: PodLife, until: number): void {
    for (;;) {
      const at = p.apiTokenAt + API_TOKEN_REFRESH_MS + this.rng.between(-60_000, 60_000);
      if (at >= until) return;
      this.apiToken(p, at);
    }
  }

  /**
   * The pod object goes: the initiator's delete (ReplicaSet / DaemonSet controller, pod GC for a lost node, or
   * an admin), then the kubelet's final delete. Never before `minT` (after the pod's last AWS call).
   */
  podDeleted(p: PodLife, reason: GoneReason, reasonT: number, minT: number, by?: { user: Json; reason: string; ip: string; attackId?: string }): number {
    const { rng } = this;
    if (reason === 'node-gone') reasonT = p.node.node.end + rng.between(30_000, 90_000);
    else if (reason !== 'evicted') reasonT += rng.between(0, 20_000);
    const d = Math.max(reasonT, minT, p.readyAt + 1000);
    this.refreshTokens(p, d);
    const ns = p.namespace;
    const controller = reason === 'node-gone' ? 'pod-garbage-collector' : p.w.daemonSet ? 'daemon-set-controller' : 'replicaset-controller';
    const who = by ?? {
      user: saUser('kube-system', controller, this.saUid('kube-system', controller)),
      reason: controllerReason(controller),
      ip: this.controlPlaneIp,
    };
    const grace = reason === 'node-gone' ? 0 : 30;
    const owner = this.ownerUid(p);
    this.push({
      t: d, level: 'RequestResponse', verb: 'delete', uri: URI.pod(ns, p.name), user: who.user, ip: who.ip,
      ua: by ? UA.kubectl : UA.controller(this.version, controller), objectRef: podRef(ns, p.name), code: 200,
      requestObject: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: grace, propagationPolicy: 'Background' },
      responseObject: podObject(p, owner, 'Running', { deletedAt: d }), reason: who.reason,
    }, by?.attackId);
    if (reason !== 'node-gone') {
      const tf = d + rng.between(2_000, 30_000);
      this.push(this.kubelet(p.node, tf, 'delete', URI.pod(ns, p.name), podRef(ns, p.name), 200, 'RequestResponse',
        { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: p.uid } }, podObject(p, owner, 'Running', { deletedAt: d })));
    }
    p.deletedAt = d;
    p.goneReason = reason;
    if (!p.hostNetwork) this.ips.delete(p.ip);
    return d;
  }

  /**
   * End of the scenario: pods left on terminated nodes are garbage-collected, token refreshes are written up
   * to the snapshot, and the node objects' own audit trail is emitted. Returns the snapshot time.
   */
  finalize(snapshotT: number): number {
    const { rng } = this;
    for (const p of this.lives) {
      if (p.deletedAt !== null) continue;
      if (p.node.node.end <= snapshotT) this.podDeleted(p, 'node-gone', 0, p.createdAt + 1000);
    }
    let snap = Math.max(snapshotT, this.lastT + 60_000);
    for (const p of this.lives) if (p.deletedAt === null) this.refreshTokens(p, snap);
    for (const n of this.nodes.values()) {
      if (n.registeredAt > snap) continue;
      this.push({
        ...this.kubelet(n, n.registeredAt, 'create', URI.nodes, nodeRef(null), 201, 'RequestResponse', nodeObject(n, this.version.git, false), nodeObject(n, this.version.git, true)),
        objectRef: nodeRef(n.name),
      });
      const stop = Math.min(n.node.end, snap);
      for (let t = n.registeredAt + rng.between(1_000, 3_000); t < stop; t += rng.between(55, 65) * 60_000) {
        this.push(this.kubelet(n, t, 'patch', URI.node(n.name, 'status'), nodeRef(n.name, 'status'), 200, 'Request', {
          status: {
            addresses: nodeAddresses(n),
            conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: isoSec(t), reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
          },
        }));
      }
      const del = n.node.end + rng.between(60_000, 180_000);
      if (del <= snap) {
        this.push({
          t: del, level: 'RequestResponse', verb: 'delete', uri: URI.node(n.name), user: CCM_USER, ip: this.controlPlaneIp, ua: UA.ccm(this.version),
          objectRef: nodeRef(n.name), code: 200, requestObject: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
          responseObject: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: n.name, kind: 'nodes', uid: n.uid } }, reason: CCM_REASON,
        });
        n.deletedAt = del;
      }
    }
    if (this.leaseRenewals) this.renewLeases(snap);
    snap = Math.max(snap, this.lastT + 1000);
    this.audit.sort((a, b) => a.t - b.t);
    return snap;
  }

  private renewLeases(snap: number): void {
    const rng = this.rng.fork('leases'); // the rest of the bundle stays as without leases
    for (const n of this.nodes.values()) {
      const stop = Math.min(n.node.end, snap);
      for (let t = n.registeredAt + rng.between(1_000, 10_000); t < stop; t += 10_000 + rng.between(-300, 300)) {
        const e = auditEvent(rng, {
          ...this.kubelet(n, t, 'update', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n.name}?timeout=10s`, {
            resource: 'leases', namespace: 'kube-node-lease', name: n.name, apiGroup: 'coordination.k8s.io', apiVersion: 'v1',
          }, 200, 'Metadata'),
        });
        this.audit.push(e);
      }
    }
  }

  /** Pods alive at the snapshot. */
  alivePods(): PodLife[] {
    return this.lives.filter((p) => p.deletedAt === null);
  }

  aliveNodes(snap: number): NodeInfo[] {
    return [...this.nodes.values()].filter((n) => n.registeredAt <= snap && n.deletedAt === null);
  }
}
