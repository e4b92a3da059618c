/**
 * EKS control-plane audit events (`audit.k8s.io/v1` Event, stage ResponseComplete), with the key order,
 * users, user agents and authorization annotations the EKS API server writes (see the kubelet status patch
 * sample in /work/shared/data/public/doc-examples and the falco k8s_audit trace files).
 */

import type { Json } from './records';
import type { Rng } from './rng';
import type { NodeInfo } from './k8s-objects';

export type AuditLevel = 'Metadata' | 'Request' | 'RequestResponse';

export interface AuditEntry {
  /** stageTimestamp in epoch ms (the CloudWatch Logs event timestamp). */
  t: number;
  ev: Json;
}

export interface AuditArgs {
  t: number;
  level: AuditLevel;
  verb: string;
  uri: string;
  user: Json;
  ip: string;
  ua: string;
  objectRef: Json;
  code: number;
  requestObject?: Json;
  responseObject?: Json;
  /** `authorization.k8s.io/reason` (RBAC wording; "" for the Node authorizer). */
  reason: string;
  annotations?: Json;
}

/** `2026-03-02T00:01:02.123456Z` for an epoch-ms time plus `us` microseconds. */
export function isoMicro(ms: number, us: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(us).padStart(3, '0')}Z`;
}

export function auditEvent(rng: Rng, a: AuditArgs): AuditEntry {
  const latency = a.verb === 'create' || a.verb === 'delete' ? rng.between(3, 28) : rng.between(1, 12);
  const received = Math.floor(a.t);
  const stage = received + latency;
  const ev: Json = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: a.level,
    auditID: rng.uuid(),
    stage: 'ResponseComplete',
    requestURI: a.uri,
    verb: a.verb,
    user: a.user,
    sourceIPs: [a.ip],
    userAgent: a.ua,
    objectRef: a.objectRef,
    responseStatus: { metadata: {}, code: a.code },
  };
  if (a.level !== 'Metadata' && a.requestObject) ev.requestObject = a.requestObject;
  if (a.level === 'RequestResponse' && a.responseObject) ev.responseObject = a.responseObject;
  ev.requestReceivedTimestamp = isoMicro(received, rng.int(1000));
  ev.stageTimestamp = isoMicro(stage, rng.int(1000));
  ev.annotations = { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': a.reason, ...a.annotations };
  return { t: stage, ev };
}

// ---- who calls the API server ------------------------------------------------------------------------

export interface ClusterVersion {
  /** `v1.31.4` */
  git: string;
  commit: string;
}

export const UA = {
  kubelet: (v: ClusterVersion): string => `kubelet/${v.git} (linux/amd64) kubernetes/${v.commit}`,
  controller: (v: ClusterVersion, sa: string): string => `kube-controller-manager/${v.git} (linux/amd64) kubernetes/${v.commit}/system:serviceaccount:kube-system:${sa}`,
  scheduler: (v: ClusterVersion): string => `kube-scheduler/${v.git} (linux/amd64) kubernetes/${v.commit}/scheduler`,
  ccm: (v: ClusterVersion): string => `aws-cloud-controller-manager/${v.git} (linux/amd64) kubernetes/${v.commit}/cloud-node-lifecycle-controller`,
  kubectl: 'kubectl/v1.31.0 (linux/amd64) kubernetes/9edcffc',
};

/** `system:node:<name>` authenticated by aws-iam-authenticator with the instance profile (as in the EKS sample). */
export function nodeUser(n: NodeInfo, t: number): Json {
  const node = n.node;
  const role = node.group.role;
  let key: NodeInfo['keys'][number] | undefined;
  for (const k of n.keys) if (k.at <= t) key = k;
  const extra: Json = {};
  if (key) extra.accessKeyId = [key.accessKeyId];
  extra.arn = [`arn:aws:sts::${role.account.id}:assumed-role/${role.name}/${node.instanceId}`];
  extra.canonicalArn = [role.arn];
  extra.sessionName = [node.instanceId];
  return {
    username: `system:node:${n.name}`,
    uid: `aws-iam-authenticator:${role.account.id}:${role.id}`,
    groups: ['system:bootstrappers', 'system:nodes', 'system:authenticated'],
    extra,
  };
}

export function saUser(ns: string, sa: string, uid: string, extra?: Json): Json {
  const u: Json = { username: `system:serviceaccount:${ns}:${sa}`, uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] };
  if (extra) u.extra = extra;
  return u;
}

export const SCHEDULER_USER: Json = { username: 'system:kube-scheduler', groups: ['system:authenticated'] };
export const CCM_USER: Json = { username: 'eks:cloud-controller-manager', groups: ['system:authenticated'] };

export function controllerReason(sa: string): string {
  return `RBAC: allowed by ClusterRoleBinding "system:controller:${sa}" of ClusterRole "system:controller:${sa}" to ServiceAccount "${sa}/kube-system"`;
}

export const SCHEDULER_REASON = 'RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"';
export const CCM_REASON = 'RBAC: allowed by ClusterRoleBinding "eks:cloud-controller-manager" of ClusterRole "eks:cloud-controller-manager" to User "eks:cloud-controller-manager"';

/** An IAM principal mapped to `kubernetes-admin` through an EKS access entry (cluster-admin access policy). */
export function adminUser(accountId: string, roleArn: string, roleName: string, roleId: string, sessionName: string, accessKeyId: string): { user: Json; reason: string } {
  return {
    user: {
      username: 'kubernetes-admin',
      uid: `aws-iam-authenticator:${accountId}:${roleId}`,
      groups: ['system:authenticated'],
      extra: {
        accessKeyId: [accessKeyId],
        arn: [`arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`],
        canonicalArn: [roleArn],
        principalId: [roleId],
        sessionName: [sessionName],
      },
    },
    reason: `EKS Access Policy: allowed by ClusterRoleBinding "${roleArn}+arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" of ClusterRole "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" to User "kubernetes-admin"`,
  };
}

// ---- object references and URIs ----------------------------------------------------------------------

export function podRef(ns: string, name: string | null, subresource?: string): Json {
  const r: Json = { resource: 'pods', namespace: ns };
  if (name) r.name = name;
  r.apiVersion = 'v1';
  if (subresource) r.subresource = subresource;
  return r;
}

export function tokenRef(ns: string, sa: string): Json {
  return { resource: 'serviceaccounts', namespace: ns, name: sa, apiVersion: 'v1', subresource: 'token' };
}

export function nodeRef(name: string | null, subresource?: string): Json {
  const r: Json = { resource: 'nodes' };
  if (name) r.name = name;
  r.apiVersion = 'v1';
  if (subresource) r.subresource = subresource;
  return r;
}

export const URI = {
  pods: (ns: string): string => `/api/v1/namespaces/${ns}/pods`,
  pod: (ns: string, name: string, sub?: string): string => `/api/v1/namespaces/${ns}/pods/${name}${sub ? `/${sub}` : ''}`,
  token: (ns: string, sa: string): string => `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`,
  nodes: '/api/v1/nodes',
  node: (name: string, sub?: string): string => `/api/v1/nodes/${name}${sub ? `/${sub}` : ''}${sub === 'status' ? '?timeout=10s' : ''}`,
};

/** The kubelet's strategic-merge status patch (`pods/status`), with the pod IP once the sandbox is up. */
export function podStatusPatch(uid: string, t: number, hostIp: string, podIp: string | null, startTime: string, containerStatuses?: Json[]): Json {
  const ts = new Date(t).toISOString().slice(0, 19) + 'Z';
  const ready = podIp !== null;
  const cond = (type: string, status: boolean): Json => ({ lastTransitionTime: ts, status: status ? 'True' : 'False', type });
  const status: Json = {
    '$setElementOrder/conditions': [{ type: 'PodReadyToStartContainers' }, { type: 'Initialized' }, { type: 'Ready' }, { type: 'ContainersReady' }, { type: 'PodScheduled' }],
    conditions: ready ? [cond('PodReadyToStartContainers', true), cond('Ready', true), cond('ContainersReady', true)] : [cond('PodReadyToStartContainers', false), cond('Initialized', true)],
    hostIP: hostIp,
    hostIPs: [{ ip: hostIp }],
  };
  if (ready) {
    status.phase = 'Running';
    status.podIP = podIp;
    status.podIPs = [{ ip: podIp }];
  }
  if (containerStatuses) status.containerStatuses = containerStatuses;
  status.startTime = startTime;
  return { metadata: { uid }, status };
}
