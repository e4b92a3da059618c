/**
 * Rule: EKS Pod Identity. The EKS Auth service assumes the associated role with `sts:AssumeRole`, logged
 * with `userIdentity.invokedBy = "pods.eks.amazonaws.com"`. Unless the association sets `disableSessionTags`,
 * `requestParameters.tags` carries six session tags naming cluster, namespace, service account, pod and pod
 * uid (proven). Without tags, `requestParameters.roleSessionName` is `eks-<cluster[:10]>-<pod[:10]>-<uuid>`
 * (the uuid is random, not the pod uid): a truncated pod name (inferred).
 */
import { arr, getStr, obj, str } from '../util/json';
import type { JsonObject } from '../util/json';

export const POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';

/**
 * The root AssumeRole of a Pod Identity session: made by the EKS Auth service itself (`userIdentity.type`
 * `AWSService`). With `targetRoleArn`, the service then assumes the target role *with the first session*:
 * that second AssumeRole also shows `invokedBy: pods.eks.amazonaws.com` but its userIdentity is the first
 * role's session (type AssumedRole, with its accessKeyId), so it is role chaining, not a root.
 */
export function isPodIdentityIssuance(record: JsonObject): boolean {
  if (getStr(record, 'userIdentity', 'invokedBy') !== POD_IDENTITY_SERVICE) return false;
  const type = getStr(record, 'userIdentity', 'type');
  return type === undefined || type === 'AWSService';
}

export interface PodIdentityTags {
  clusterArn: string | null;
  clusterName: string | null;
  namespace: string | null;
  serviceAccount: string | null;
  podName: string | null;
  podUid: string | null;
}

/** `requestParameters.tags`: `[{key, value}]` as logged (some exports write a `{key: value}` map). */
export function podIdentityTags(record: JsonObject): PodIdentityTags | null {
  const raw = obj(record.requestParameters)?.tags;
  const map = new Map<string, string>();
  for (const t of arr(raw)) {
    const k = str(obj(t)?.key);
    const v = str(obj(t)?.value);
    if (k !== undefined && v !== undefined) map.set(k, v);
  }
  const o = obj(raw);
  if (o) for (const [k, v] of Object.entries(o)) if (typeof v === 'string') map.set(k, v);
  if (!map.has('kubernetes-pod-name') && !map.has('eks-cluster-name') && !map.has('kubernetes-service-account')) {
    return null;
  }
  return {
    clusterArn: map.get('eks-cluster-arn') ?? null,
    clusterName: map.get('eks-cluster-name') ?? null,
    namespace: map.get('kubernetes-namespace') ?? null,
    serviceAccount: map.get('kubernetes-service-account') ?? null,
    podName: map.get('kubernetes-pod-name') ?? null,
    podUid: map.get('kubernetes-pod-uid') ?? null,
  };
}

const UUID_TAIL = /-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
export const SESSION_NAME_PART = 10;

export interface SessionNameParts {
  /** `<cluster[:10]>-<pod[:10]>`: the split is ambiguous when names contain dashes. */
  middle: string;
  uuid: string;
}

export function parsePodIdentitySessionName(sessionName: string | null | undefined): SessionNameParts | null {
  if (!sessionName || !sessionName.startsWith('eks-')) return null;
  const m = UUID_TAIL.exec(sessionName);
  if (!m) return null;
  const middle = sessionName.slice(4, sessionName.length - m[0].length);
  return middle.length > 0 ? { middle, uuid: m[1]! } : null;
}

/** The truncated forms of a cluster and pod name as they appear in a session name. */
export function truncatedPart(name: string): string {
  return name.slice(0, SESSION_NAME_PART);
}

/**
 * Split `middle` using a known cluster name: the cluster fits when `middle` starts with its truncated form
 * and a dash. Returns the pod-name prefix for each fitting cluster.
 */
export function splitWithClusters(middle: string, clusters: Iterable<string>): { cluster: string; podPrefix: string }[] {
  const out: { cluster: string; podPrefix: string }[] = [];
  for (const c of clusters) {
    const t = truncatedPart(c);
    if (middle.startsWith(`${t}-`) && middle.length > t.length + 1) out.push({ cluster: c, podPrefix: middle.slice(t.length + 1) });
  }
  return out;
}

/** Does a full pod name produce this prefix? */
export function podMatchesPrefix(podName: string, prefix: string): boolean {
  return truncatedPart(podName) === prefix;
}
