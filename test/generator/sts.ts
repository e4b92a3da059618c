/**
 * Credential issuance: the STS / eks-auth records that mint a session, and the session the caller then
 * uses. Every issuer emits its records through the context and returns the new session.
 */

import { ids, stsExpiration, stsExpirationIso } from './ids';
import {
  assumedRoleIdentity, awsAccountIdentity, awsServiceIdentity, record, webIdentity, type ErrorInfo, type Json,
} from './records';
import type { Rng } from './rng';
import type { Role } from './roles';
import { truths, type PodTruth, type TruthBase } from './truth';
import type { Cluster, Node, World } from './world';
import type { K8sLog } from './k8s-model';

export interface EmitOpts {
  /** The record may be routed to `extra/records.jsonl` instead of the S3 files. */
  jsonlOk?: boolean;
}

export interface Ctx {
  rng: Rng;
  world: World;
  emit(rec: Json, truth: TruthBase, opts?: EmitOpts): void;
  /** The node's current instance-profile session, issuing a fresh one (an STS record) when due. */
  nodeSession(node: Node, t: number): Session;
  /** Kubernetes evidence recorder, set only with the `k8s` option. */
  k8s?: K8sLog;
}

/** A VPC interface / gateway endpoint a call went through. */
export interface Vpce {
  id: string;
  /** The endpoint owner's account (`vpcEndpointAccountId`). */
  account: string;
}

export interface Session {
  accessKeyId: string;
  /** The `userIdentity` of calls made with this session. */
  userIdentity: Json;
  arn: string;
  principalId: string;
  accountId: string;
  truth: TruthBase;
  issuedAt: number;
  /** When the holder fetches new credentials. */
  refreshAt: number;
}

export interface Creds {
  accessKeyId: string;
  sessionToken: string;
  expiration: string;
}

function creds(rng: Rng, prefix: string, expiresMs: number): Creds {
  return {
    accessKeyId: ids.tempKey(rng, prefix),
    sessionToken: ids.sessionToken(rng),
    expiration: rng.chance(0.12) ? stsExpirationIso(expiresMs) : stsExpiration(expiresMs),
  };
}

function roleResources(role: Role): Json[] {
  return [{ accountId: role.account.id, type: 'AWS::IAM::Role', ARN: role.arn }];
}

function session(role: Role, sessionName: string, c: Creds, t: number, truth: TruthBase, refreshAt: number, opts: Parameters<typeof assumedRoleIdentity>[4] = {}): Session {
  const userIdentity = assumedRoleIdentity(role, sessionName, c.accessKeyId, t, opts);
  return {
    accessKeyId: c.accessKeyId,
    userIdentity,
    arn: userIdentity.arn as string,
    principalId: userIdentity.principalId as string,
    accountId: role.account.id,
    truth,
    issuedAt: t,
    refreshAt,
  };
}

function assumedRoleUser(role: Role, sessionName: string): Json {
  return { assumedRoleId: `${role.id}:${sessionName}`, arn: `arn:aws:sts::${role.account.id}:assumed-role/${role.name}/${sessionName}` };
}

/** EC2 delivering instance-profile credentials: `AssumeRole` by `ec2.amazonaws.com`, session = instance id. */
export function issueNode(ctx: Ctx, node: Node, t: number): Session {
  const { rng } = ctx;
  const role = node.group.role;
  const c = creds(rng, role.account.keyPrefix, t + 6 * 3_600_000 + rng.between(0, 3600) * 1000);
  ctx.emit(record({
    version: '1.08', userIdentity: awsServiceIdentity('ec2.amazonaws.com'), t, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole',
    region: node.cluster.region, ip: 'ec2.amazonaws.com', ua: 'ec2.amazonaws.com',
    requestParameters: { roleArn: role.arn, roleSessionName: node.instanceId },
    responseElements: { credentials: c },
    requestID: rng.uuid(), eventID: rng.uuid(), readOnly: true, resources: roleResources(role),
    recipientAccountId: role.account.id, sharedEventID: rng.uuid(),
  }), truths.awsService());
  const truth = truths.node(node.cluster.name, node.instanceId);
  return session(role, node.instanceId, c, t, truth, t + rng.between(55, 65) * 60_000, { ec2: true });
}

export interface IrsaArgs {
  cluster: Cluster;
  namespace: string;
  serviceAccount: string;
  role: Role;
  sessionName: string;
  ip: string;
  ua: string;
  /** The pod holding the token, or null when someone else presents it (a stolen token). */
  pod: PodTruth | null;
  error?: ErrorInfo;
  vpce?: Vpce;
}

/** IRSA: the pod's SDK exchanges its projected service-account token with `AssumeRoleWithWebIdentity`. */
export function issueIrsa(ctx: Ctx, t: number, a: IrsaArgs): Session | null {
  const { rng } = ctx;
  const c = creds(rng, a.role.account.keyPrefix, t + 3_600_000);
  const subject = `system:serviceaccount:${a.namespace}:${a.serviceAccount}`;
  const truth = truths.irsa(a.pod, a.cluster.name, a.namespace, a.serviceAccount, false);
  ctx.emit(record({
    version: '1.11', userIdentity: webIdentity(a.cluster.providerArn, a.namespace, a.serviceAccount), t,
    eventSource: 'sts.amazonaws.com', eventName: 'AssumeRoleWithWebIdentity', region: a.cluster.region, ip: a.ip, ua: a.ua,
    error: a.error,
    requestParameters: { roleArn: a.role.arn, roleSessionName: a.sessionName },
    responseElements: {
      credentials: c,
      subjectFromWebIdentityToken: subject,
      assumedRoleUser: assumedRoleUser(a.role, a.sessionName),
      provider: a.cluster.providerArn,
      audience: 'sts.amazonaws.com',
    },
    requestID: rng.uuid(), eventID: rng.uuid(), readOnly: true, resources: roleResources(a.role),
    recipientAccountId: a.role.account.id, vpcEndpointId: a.vpce?.id, vpcEndpointAccountId: a.vpce?.account, tlsHost: `sts.${a.cluster.region}.amazonaws.com`,
  }), truth);
  if (a.error) return null;
  return session(a.role, a.sessionName, c, t, truth, t + rng.between(45, 55) * 60_000, { federatedProvider: a.cluster.providerArn });
}

const EKS_AUTH_UA = 'aws-sdk-go-v2/1.21.2 os/linux lang/go#1.19.13 md/GOOS#linux md/GOARCH#amd64 api/eksauth#1.0.0-zeta.e49712bf27d5';

/** The node's Pod Identity agent calling `eks-auth:AssumeRoleForPodIdentity` with the node role session. */
export function eksAuthCall(ctx: Ctx, node: Node, t: number, error?: ErrorInfo): void {
  const { rng } = ctx;
  const s = ctx.nodeSession(node, t);
  const region = node.cluster.region;
  ctx.emit(record({
    version: '1.09', userIdentity: s.userIdentity, t, eventSource: 'eks-auth.amazonaws.com', eventName: 'AssumeRoleForPodIdentity',
    region, ip: ctx.k8s?.viaEndpoint(node.cluster, 'eks-auth') ? node.privateIp : node.natIp, ua: EKS_AUTH_UA, error,
    requestParameters: { clusterName: node.cluster.name, token: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    responseElements: null, requestID: rng.uuid(), eventID: rng.uuid(), readOnly: true,
    recipientAccountId: node.cluster.account.id, tlsHost: `eks-auth.${region}.api.aws`,
  }), s.truth);
}

export const POD_IDENTITY_TAG_KEYS = [
  'eks-cluster-arn', 'eks-cluster-name', 'kubernetes-namespace', 'kubernetes-service-account', 'kubernetes-pod-name', 'kubernetes-pod-uid',
];

export function podIdentitySessionName(rng: Rng, cluster: string, pod: string): string {
  return `eks-${cluster.slice(0, 10)}-${pod.slice(0, 10)}-${rng.uuid()}`;
}

export interface PodIdentityArgs {
  node: Node;
  pod: PodTruth;
  role: Role;
  tags: boolean;
  /** `targetRoleArn` association: EKS chains from `role` into this role (data account). */
  target: Role | null;
}

/** EKS Pod Identity: eks-auth call by the node, then `AssumeRole` by `pods.eks.amazonaws.com` (then the target). */
export function issuePodIdentity(ctx: Ctx, t: number, a: PodIdentityArgs): Session {
  const { rng } = ctx;
  const cluster = a.node.cluster;
  eksAuthCall(ctx, a.node, t);
  const tA = rng.chance(0.25) ? t + 1000 : t;
  const name = podIdentitySessionName(rng, cluster.name, a.pod.name);
  const tagValues = [cluster.arn, cluster.name, a.pod.namespace, a.pod.serviceAccount, a.pod.name, a.pod.uid];
  const params: Json = { roleArn: a.role.arn, roleSessionName: name, durationSeconds: 21600 };
  if (a.tags) {
    params.tags = POD_IDENTITY_TAG_KEYS.map((key, i) => ({ key, value: tagValues[i] }));
    params.transitiveTagKeys = POD_IDENTITY_TAG_KEYS;
  }
  const cA = creds(rng, a.role.account.keyPrefix, tA + 21_600_000);
  const response: Json = { credentials: cA, assumedRoleUser: assumedRoleUser(a.role, name) };
  if (a.tags) response.packedPolicySize = rng.between(54, 58);
  ctx.emit(record({
    version: '1.08', userIdentity: awsServiceIdentity('pods.eks.amazonaws.com'), t: tA, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole',
    region: cluster.region, ip: 'pods.eks.amazonaws.com', ua: 'pods.eks.amazonaws.com',
    requestParameters: params, responseElements: response,
    requestID: rng.uuid(), eventID: rng.uuidVersion(3), readOnly: true, resources: roleResources(a.role),
    recipientAccountId: a.role.account.id, sharedEventID: rng.uuid(),
  }), truths.awsService());
  const truthA = truths.podIdentity(a.pod, a.tags, false);
  const sA = session(a.role, name, cA, tA, truthA, tA + 21_600_000 - rng.between(5, 15) * 60_000);
  if (!a.target) return sA;
  const incoming: Json = {};
  POD_IDENTITY_TAG_KEYS.forEach((k, i) => (incoming[k] = tagValues[i]));
  const callerIdentity = { ...sA.userIdentity, invokedBy: 'pods.eks.amazonaws.com' };
  const sB = assumeRole(ctx, tA, {
    caller: { ...sA, userIdentity: callerIdentity }, role: a.target, sessionName: name, ip: 'pods.eks.amazonaws.com', ua: 'pods.eks.amazonaws.com',
    truthForNew: truths.podIdentity(a.pod, true, true), extraParams: { incomingTransitiveTags: incoming }, noTls: true, region: cluster.region,
  });
  return sB!;
}

export interface AssumeRoleArgs {
  caller: Session;
  role: Role;
  sessionName: string;
  ip: string;
  ua: string;
  truthForNew: TruthBase;
  durationSeconds?: number;
  extraParams?: Json;
  error?: ErrorInfo;
  noTls?: boolean;
  region?: string;
  vpce?: Vpce;
}

/**
 * `AssumeRole` made with a session's (or IAM user's) credentials. Across accounts it is logged twice: in the
 * caller's account and in the role's, where the caller shows as `AWSAccount`; same requestID and sharedEventID.
 */
export function assumeRole(ctx: Ctx, t: number, a: AssumeRoleArgs): Session | null {
  const { rng } = ctx;
  const duration = a.durationSeconds ?? 3600;
  const c = creds(rng, a.role.account.keyPrefix, t + duration * 1000);
  const region = a.region ?? 'us-east-1';
  const cross = a.role.account.id !== a.caller.accountId;
  const requestID = rng.uuid();
  const sharedEventID = cross ? rng.uuid() : undefined;
  const parts = {
    version: '1.08', t, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', region, ip: a.ip, ua: a.ua, error: a.error,
    requestParameters: { roleArn: a.role.arn, roleSessionName: a.sessionName, durationSeconds: duration, ...a.extraParams },
    responseElements: { credentials: c, assumedRoleUser: assumedRoleUser(a.role, a.sessionName) },
    requestID, readOnly: true, resources: roleResources(a.role), sharedEventID, vpcEndpointId: a.vpce?.id, vpcEndpointAccountId: a.vpce?.account,
    tlsHost: a.noTls ? undefined : `sts.${region}.amazonaws.com`,
  };
  ctx.emit(record({ ...parts, userIdentity: a.caller.userIdentity, eventID: rng.uuid(), recipientAccountId: a.caller.accountId }), a.caller.truth);
  if (a.error) return null;
  if (cross) {
    ctx.emit(record({
      ...parts, userIdentity: awsAccountIdentity(a.caller.principalId, a.caller.accountId), eventID: rng.uuid(), recipientAccountId: a.role.account.id,
    }), a.caller.truth);
  }
  return session(a.role, a.sessionName, c, t, a.truthForNew, t + duration * 1000 - rng.between(5, 15) * 60_000);
}

/** A service assuming its service-linked role (`AssumeRole` by `AWSService`), e.g. AWS Config. */
export function issueService(ctx: Ctx, t: number, role: Role, service: string, sessionName: string, region: string): Session {
  const { rng } = ctx;
  const c = creds(rng, role.account.keyPrefix, t + 3_600_000);
  ctx.emit(record({
    version: '1.08', userIdentity: awsServiceIdentity(service), t, eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole',
    region, ip: service, ua: service,
    requestParameters: { roleArn: role.arn, roleSessionName: sessionName, durationSeconds: 3600 },
    responseElements: { credentials: c, assumedRoleUser: assumedRoleUser(role, sessionName) },
    requestID: rng.uuid(), eventID: rng.uuid(), readOnly: true, resources: roleResources(role),
    recipientAccountId: role.account.id, sharedEventID: rng.uuid(),
  }), truths.awsService());
  return session(role, sessionName, c, t, truths.awsService(), t + rng.between(40, 55) * 60_000, { invokedBy: service });
}

/** A session minted outside the bundle (SSO portal, an earlier AssumeRole): no issuing record. */
export function offTrailSession(
  rng: Rng, role: Role, sessionName: string, t: number, truth: TruthBase, refreshAt: number,
  opts: Parameters<typeof assumedRoleIdentity>[4] = {}, accessKeyId?: string,
): Session {
  const c = { accessKeyId: accessKeyId ?? ids.tempKey(rng, role.account.keyPrefix), sessionToken: '', expiration: '' };
  return session(role, sessionName, c, t, truth, refreshAt, opts);
}

/** The session-like view of an IAM user's long-term key. */
export function iamUserSession(userName: string, arn: string, userId: string, accessKeyId: string, accountId: string): Session {
  return {
    accessKeyId,
    userIdentity: { type: 'IAMUser', principalId: userId, arn, accountId, accessKeyId, userName },
    arn,
    principalId: userId,
    accountId,
    truth: truths.iamUser(),
    issuedAt: 0,
    refreshAt: Infinity,
  };
}
