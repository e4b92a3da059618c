/**
 * Kubernetes objects of the simulated cluster (Pod, Node, ServiceAccount, TokenRequest) shaped as the API
 * server returns them, shared by the audit events (request / response objects) and the `kubectl get -o json`
 * inventories. Only the fields an investigation reads, plus the ones that make them look real.
 */

import { isoSec } from './ids';
import type { Json } from './records';
import type { Workload } from './population';
import type { Node } from './world';

export interface NodeInfo {
  node: Node;
  /** Node object name: the instance's private DNS name, as EKS AMIs register. */
  name: string;
  uid: string;
  instanceType: string;
  /** The kubelet registered the Node object (create) at this time. */
  registeredAt: number;
  deletedAt: number | null;
  /** Instance-profile sessions of the node (issue time, key), for the kubelet's `user.extra`. */
  keys: { at: number; accessKeyId: string; arn: string }[];
}

export type GoneReason = 'restart' | 'rollout' | 'node-gone' | 'evicted';

/** One pod object's life as the audit log tells it. */
export interface PodLife {
  w: Workload;
  name: string;
  uid: string;
  namespace: string;
  serviceAccount: string;
  node: NodeInfo;
  /** Pod IP (hostNetwork DaemonSet pods: the node's IP). */
  ip: string;
  hostNetwork: boolean;
  rsHash: string;
  apiVolume: string;
  createdAt: number;
  /** The kubelet's status patch carrying the pod IP. */
  runningAt: number;
  /** First moment the containers may call AWS (after the kubelet's token requests). */
  readyAt: number;
  /** When the container started (its status's `state.running.startedAt`, which shows whole seconds). */
  containerStartAt: number;
  /** When the application created its AWS SDK client (after the container started). */
  sdkInitAt: number;
  deletedAt: number | null;
  goneReason: GoneReason | null;
  /** The kube-api-access token in use (requests the pod makes to the API server carry its JTI). */
  apiTokenJti: string;
  apiTokenAt: number;
  /** Audience of the AWS projected token (null: the pod has none). */
  awsAudience: 'sts.amazonaws.com' | 'pods.eks.amazonaws.com' | null;
  /** When the kubelet requested the AWS projected token. */
  awsTokenAt: number | null;
}

export const CNI_IMAGE = (region: string): string => `602401143452.dkr.ecr.${region}.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1`;

export function ownerRef(p: PodLife, ownerUid: string): Json {
  return p.w.daemonSet
    ? { apiVersion: 'apps/v1', kind: 'DaemonSet', name: p.w.name, uid: ownerUid, controller: true, blockOwnerDeletion: true }
    : { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${p.w.name}-${p.rsHash}`, uid: ownerUid, controller: true, blockOwnerDeletion: true };
}

function projected(name: string, audience: string, path: string): Json {
  return { name, projected: { sources: [{ serviceAccountToken: { audience, expirationSeconds: 86400, path } }], defaultMode: 420 } };
}

/** The Pod as the API server stores it (after the EKS pod-identity webhook mutated it). */
export function podObject(p: PodLife, ownerUid: string, phase: 'Pending' | 'Running', o: { deletedAt?: number; withStatus?: boolean } = {}): Json {
  const w = p.w;
  const region = w.cluster.region;
  const env: Json[] = [];
  const volumes: Json[] = [];
  const mounts: Json[] = [{ name: p.apiVolume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
  if (p.awsAudience === 'sts.amazonaws.com') {
    env.push(
      { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' }, { name: 'AWS_DEFAULT_REGION', value: region }, { name: 'AWS_REGION', value: region },
      { name: 'AWS_ROLE_ARN', value: w.role!.arn }, { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
    );
    volumes.push(projected('aws-iam-token', 'sts.amazonaws.com', 'token'));
    mounts.push({ name: 'aws-iam-token', readOnly: true, mountPath: '/var/run/secrets/eks.amazonaws.com/serviceaccount' });
  } else if (p.awsAudience === 'pods.eks.amazonaws.com') {
    env.push(
      { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' }, { name: 'AWS_DEFAULT_REGION', value: region }, { name: 'AWS_REGION', value: region },
      { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: 'http://169.254.170.23/v1/credentials' },
      { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token' },
    );
    volumes.push(projected('eks-pod-identity-token', 'pods.eks.amazonaws.com', 'eks-pod-identity-token'));
    mounts.push({ name: 'eks-pod-identity-token', readOnly: true, mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount' });
  }
  volumes.push({
    name: p.apiVolume,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
      defaultMode: 420,
    },
  });
  const image = containerImage(p);
  const labels: Json = w.daemonSet ? { 'app.kubernetes.io/name': w.name, 'k8s-app': w.name } : { app: w.name, 'pod-template-hash': p.rsHash };
  const metadata: Json = {
    name: p.name,
    generateName: p.name.slice(0, p.name.lastIndexOf('-') + 1),
    namespace: p.namespace,
    uid: p.uid,
    creationTimestamp: isoSec(p.createdAt),
    labels,
    ownerReferences: [ownerRef(p, ownerUid)],
  };
  if (o.deletedAt !== undefined) {
    metadata.deletionTimestamp = isoSec(o.deletedAt + 30_000);
    metadata.deletionGracePeriodSeconds = 30;
  }
  const spec: Json = {
    volumes,
    containers: [{ name: w.name, image, env, resources: {}, volumeMounts: mounts, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: p.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    serviceAccountName: p.serviceAccount,
    serviceAccount: p.serviceAccount,
  };
  if (phase === 'Running' || o.deletedAt !== undefined) spec.nodeName = p.node.name;
  if (p.hostNetwork) spec.hostNetwork = true;
  spec.securityContext = {};
  spec.schedulerName = 'default-scheduler';
  spec.priority = 0;
  const body: Json = { kind: 'Pod', apiVersion: 'v1', metadata, spec };
  if (o.withStatus === false) return body;
  body.status = phase === 'Pending'
    ? { phase: 'Pending', qosClass: 'BestEffort' }
    : {
      phase: 'Running',
      hostIP: p.node.node.privateIp,
      hostIPs: [{ ip: p.node.node.privateIp }],
      podIP: p.ip,
      podIPs: [{ ip: p.ip }],
      startTime: isoSec(p.createdAt + 1000),
      containerStatuses: containerStatuses(p, image),
      qosClass: 'BestEffort',
    };
  return body;
}

/** The kubelet's view of the pod's one container once it runs: `state.running.startedAt`, whole seconds. */
export function containerStatuses(p: PodLife, image: string): Json[] {
  return [
    {
      name: p.w.name,
      state: { running: { startedAt: isoSec(p.containerStartAt) } },
      lastState: {},
      ready: true,
      restartCount: 0,
      image,
      imageID: `${image.split(':')[0]}@sha256:${p.uid.replace(/-/g, '').repeat(2)}`,
      containerID: `containerd://${p.uid.replace(/-/g, '').split('').reverse().join('').repeat(2)}`,
      started: true,
    },
  ];
}

export function containerImage(p: PodLife): string {
  const region = p.w.cluster.region;
  return p.w.daemonSet ? CNI_IMAGE(region) : `${p.w.cluster.account.id}.dkr.ecr.${region}.amazonaws.com/${p.w.name}:sha-${p.rsHash.slice(0, 7)}`;
}

export function nodeLabels(n: NodeInfo): Json {
  const node = n.node;
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/instance-type': n.instanceType,
    'beta.kubernetes.io/os': 'linux',
    'eks.amazonaws.com/capacityType': node.group.name === 'spot' ? 'SPOT' : 'ON_DEMAND',
    'eks.amazonaws.com/nodegroup': node.group.name,
    'failure-domain.beta.kubernetes.io/region': node.cluster.region,
    'failure-domain.beta.kubernetes.io/zone': node.az,
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': n.instanceType,
    'topology.kubernetes.io/region': node.cluster.region,
    'topology.kubernetes.io/zone': node.az,
  };
}

export function nodeAddresses(n: NodeInfo): Json[] {
  return [
    { type: 'InternalIP', address: n.node.privateIp },
    { type: 'InternalDNS', address: n.name },
    { type: 'Hostname', address: n.name },
  ];
}

export function nodeObject(n: NodeInfo, kubeletVersion: string, withUid: boolean): Json {
  const metadata: Json = { name: n.name };
  if (withUid) {
    metadata.uid = n.uid;
    metadata.creationTimestamp = isoSec(n.registeredAt);
  } else metadata.creationTimestamp = null;
  metadata.labels = nodeLabels(n);
  metadata.annotations = { 'alpha.kubernetes.io/provided-node-ip': n.node.privateIp, 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' };
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata,
    spec: { providerID: `aws:///${n.node.az}/${n.node.instanceId}` },
    status: {
      addresses: nodeAddresses(n),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { kubeletVersion, containerRuntimeVersion: 'containerd://1.7.23', osImage: 'Amazon Linux 2023.6.20250115', architecture: 'amd64', operatingSystem: 'linux' },
    },
  };
}

/** `create serviceaccounts/<sa>/token` request object; boundObjectRef null for an unbound (kubectl create token) token. */
export function tokenRequest(audiences: string[] | null, expirationSeconds: number, bound: { name: string; uid: string } | null): Json {
  const spec: Json = { audiences, expirationSeconds };
  if (bound) spec.boundObjectRef = { kind: 'Pod', apiVersion: 'v1', name: bound.name, uid: bound.uid };
  return { kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { token: '', expirationTimestamp: null } };
}

/** The TokenRequest the API server returns; the token itself is left out of the fixture. */
export function tokenResponse(sa: string, ns: string, t: number, audiences: string[], expirationSeconds: number, bound: { name: string; uid: string } | null): Json {
  const spec: Json = { audiences, expirationSeconds };
  if (bound) spec.boundObjectRef = { kind: 'Pod', apiVersion: 'v1', name: bound.name, uid: bound.uid };
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: sa, namespace: ns, creationTimestamp: isoSec(t) },
    spec,
    status: { expirationTimestamp: isoSec(t + expirationSeconds * 1000) },
  };
}
