/**
 * Rule: node. EC2 delivers instance-profile credentials through `sts:AssumeRole` invoked by
 * `ec2.amazonaws.com` with `requestParameters.roleSessionName` = the instance id, and every call made with
 * them shows `userIdentity.arn = …:assumed-role/<role>/i-…` with `sessionContext.ec2RoleDelivery` (IMDS).
 * For Pod Identity, the node's agent calls `eks-auth:AssumeRoleForPodIdentity` with its own role session
 * (session name = instance id); that call shares no id with the STS call it triggers, so it is matched by
 * cluster, region and time.
 */
import type { EksAuthCall, FactRecord } from './model';
import { clusterKey, whereLogged } from './clusters';
import { get, getStr } from '../util/json';
import type { JsonObject } from '../util/json';

export const EC2_SERVICE = 'ec2.amazonaws.com';
/** EC2 writes instance ids in lower-case hex; anonymised or edited records sometimes carry upper-case letters. */
const INSTANCE_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/i;

export function isInstanceId(s: string | null | undefined): s is string {
  return !!s && INSTANCE_ID.test(s);
}

/** Why an instance id is unusual (not as EC2 writes it), or null. */
export function unusualInstanceId(s: string): string | null {
  return /[A-F]/.test(s) ? `instance id ${s} has upper-case letters, which EC2 never writes: an edited or anonymised record` : null;
}

/** User agents of what runs on an instance and calls AWS with its instance profile (agents, kubelet, CNI). */
const INSTANCE_AGENT_UA = /amazon-ssm-agent|ecr-credential-provider|nodeadm|kubelet|amazon-vpc-cni|aws-node|api\/eksauth#|CWAgent|amazon-cloudwatch-agent|ec2-instance-connect/;
/** User agents of tools a person runs: the AWS CLI, attack and audit tools. */
const TOOL_UA = /^aws-cli\/|stratus-red-team|pacu|ScoutSuite|prowler|cloudfox|trufflehog/i;

export function userAgentKind(ua: string | null | undefined): 'instance-agent' | 'tool' | 'other' {
  if (!ua) return 'other';
  if (TOOL_UA.test(ua)) return 'tool';
  if (INSTANCE_AGENT_UA.test(ua)) return 'instance-agent';
  return 'other';
}

/** The session name at the end of an assumed-role ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). */
export function sessionNameOf(arn: string | null | undefined): string | null {
  if (!arn) return null;
  const m = /:assumed-role\/[^/]+\/(.+)$/.exec(arn);
  return m ? m[1]! : null;
}

export function roleNameOfSession(arn: string | null | undefined): string | null {
  if (!arn) return null;
  const m = /:assumed-role\/([^/]+)\//.exec(arn);
  return m ? m[1]! : null;
}

export function isEc2InstanceProfileIssuance(record: JsonObject): boolean {
  return getStr(record, 'userIdentity', 'invokedBy') === EC2_SERVICE && isInstanceId(getStr(record, 'requestParameters', 'roleSessionName'));
}

/** `sessionContext.ec2RoleDelivery` is set only on credentials EC2 delivered through the instance metadata service. */
export function deliveredByImds(record: JsonObject): boolean {
  return get(record, 'userIdentity', 'sessionContext', 'ec2RoleDelivery') !== undefined;
}

/**
 * Who called eks-auth, by user agent: the EKS Pod Identity agent is a Go SDK client of the eks-auth API
 * (`aws-sdk-go-v2/… api/eksauth#…`); the AWS CLI names its command (`aws-cli/… command/eks-auth.assume-role-for-pod-identity`).
 */
export function eksAuthCaller(ua: string | undefined | null): 'agent' | 'cli' | 'other' {
  if (!ua) return 'other';
  if (/^aws-cli\//.test(ua) || /\bcommand\/eks-auth\./.test(ua)) return 'cli';
  if (/\bapi\/eksauth#/.test(ua)) return 'agent';
  return 'other';
}

/** A successful AssumeRoleForPodIdentity by an instance's role session (a node's agent, or someone on the instance). */
export function eksAuthCallOf(fact: FactRecord): EksAuthCall | null {
  const r = fact.record;
  if (getStr(r, 'eventSource') !== 'eks-auth.amazonaws.com' || getStr(r, 'eventName') !== 'AssumeRoleForPodIdentity') return null;
  if (getStr(r, 'errorCode')) return null;
  const clusterName = getStr(r, 'requestParameters', 'clusterName');
  const instanceId = sessionNameOf(getStr(r, 'userIdentity', 'arn'));
  if (!clusterName || !isInstanceId(instanceId)) return null;
  const where = whereLogged(r);
  return {
    eventID: fact.eventID,
    eventMs: fact.eventMs,
    clusterName,
    clusterKey: clusterKey(where.account, where.region, clusterName),
    record: r,
    caller: eksAuthCaller(getStr(r, 'userAgent')),
    userAgent: getStr(r, 'userAgent') ?? null,
    region: getStr(r, 'awsRegion') ?? null,
    instanceId,
    nodeRoleArn: getStr(r, 'userIdentity', 'sessionContext', 'sessionIssuer', 'arn') ?? null,
    sourceIp: getStr(r, 'sourceIPAddress') ?? null,
  };
}

/** How far apart the eks-auth call and the STS AssumeRole it triggers can be logged (whole seconds). */
export const EKS_AUTH_WINDOW_MS = { before: 2_000, after: 1_000 };

export interface NodeMatch {
  call: EksAuthCall;
  deltaMs: number;
}

/** Node-agent calls for one cluster in `region` within the window around the STS call at `stsMs`.
 * `calls` must be sorted by eventMs (facts.ts sorts them). */
export function matchEksAuth(calls: EksAuthCall[] | undefined, stsMs: number, region: string | null): NodeMatch[] {
  if (!calls) return [];
  const out: NodeMatch[] = [];
  const from = stsMs - EKS_AUTH_WINDOW_MS.before;
  let lo = 0;
  let hi = calls.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (calls[mid]!.eventMs < from) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < calls.length && calls[i]!.eventMs <= stsMs + EKS_AUTH_WINDOW_MS.after; i++) {
    const call = calls[i]!;
    const delta = stsMs - call.eventMs; // the eks-auth call comes first
    if (region && call.region && region !== call.region) continue;
    out.push({ call, deltaMs: delta });
  }
  return out;
}
