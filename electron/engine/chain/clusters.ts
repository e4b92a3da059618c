/**
 * Rule: OIDC id → cluster, from evidence only. A cluster's OIDC issuer
 * (`https://oidc.eks.<region>.amazonaws.com/id/<ID>`) is stated by:
 * - EKS `CreateCluster` / `DescribeCluster` records: `responseElements.cluster.identity.oidc.issuer` with
 *   `responseElements.cluster.name` and `.arn`;
 * - `aws eks describe-cluster` output placed in the bundle: `cluster.identity.oidc.issuer`;
 * - IAM `CreateOpenIDConnectProvider`: `requestParameters.url`, naming the cluster only through a tag that
 *   eksctl (`alpha.eksctl.io/cluster-name`) or the operator set.
 * Pod Identity session tags and eks-auth calls name clusters too (without their OIDC id).
 */
import type { ClusterFact, FactDocument, FactRecord } from './model';
import { parseEksOidc } from './irsa';
import { arr, get, getStr, obj, str } from '../util/json';
import type { JsonObject } from '../util/json';

/** The key of a cluster: account, region and name (an unknown part is `?`). */
export function clusterKey(account: string | null | undefined, region: string | null | undefined, name: string): string {
  return `${account || '?'}:${region || '?'}:${name}`;
}

/** The parts of a cluster key. */
export function clusterKeyParts(key: string): { account: string | null; region: string | null; name: string } {
  const [account, region, ...rest] = key.split(':');
  return { account: account === '?' ? null : account!, region: region === '?' ? null : (region ?? null), name: rest.join(':') };
}

/** `arn:aws:eks:<region>:<account>:cluster/<name>` → its parts. */
export function clusterArnParts(arn: string | null | undefined): { account: string; region: string; name: string } | null {
  const m = arn ? /^arn:aws[a-z-]*:eks:([a-z0-9-]+):(\d{12}):cluster\/(.+)$/.exec(arn) : null;
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : null;
}

/** A cluster fact; account and region come from the ARN when there is one, else from the record that names it. */
export function clusterFact(name: string, arn: string | null, oidcId: string | null, where: { account: string | null; region: string | null }, evidence: string): ClusterFact {
  const parts = clusterArnParts(arn);
  const account = parts?.account ?? where.account;
  const region = parts?.region ?? where.region;
  return { name, account, region, key: clusterKey(account, region, name), arn, oidcId, evidence };
}

function fromClusterObject(cluster: JsonObject | undefined, evidence: string, where: { account: string | null; region: string | null }): ClusterFact | null {
  if (!cluster) return null;
  const name = str(cluster.name) ?? str(cluster.clusterName);
  if (!name) return null;
  const arn = str(cluster.arn) ?? null;
  const oidc = parseEksOidc(getStr(cluster, 'identity', 'oidc', 'issuer'));
  return clusterFact(name, arn, oidc?.oidcId ?? null, { account: where.account, region: oidc?.region ?? where.region }, evidence);
}

/** Where a record was logged: the account and region it speaks for. */
export function whereLogged(r: JsonObject): { account: string | null; region: string | null } {
  return { account: getStr(r, 'recipientAccountId') ?? getStr(r, 'userIdentity', 'accountId') ?? null, region: getStr(r, 'awsRegion') ?? null };
}

export const CLUSTER_NAME_TAGS = ['alpha.eksctl.io/cluster-name', 'eks:cluster-name', 'cluster-name', 'ClusterName'];

export function clusterFactFromRecord(fact: FactRecord): ClusterFact | null {
  const r = fact.record;
  const source = getStr(r, 'eventSource');
  const name = getStr(r, 'eventName');
  if (getStr(r, 'errorCode')) return null;
  if (source === 'eks.amazonaws.com' && (name === 'CreateCluster' || name === 'DescribeCluster')) {
    return fromClusterObject(obj(get(r, 'responseElements', 'cluster')), fact.eventID, whereLogged(r));
  }
  if (source === 'iam.amazonaws.com' && name === 'CreateOpenIDConnectProvider') {
    const oidc = parseEksOidc(getStr(r, 'requestParameters', 'url'));
    if (!oidc) return null;
    for (const t of arr(get(r, 'requestParameters', 'tags'))) {
      const key = str(obj(t)?.key);
      const value = str(obj(t)?.value);
      if (key && value && CLUSTER_NAME_TAGS.includes(key)) {
        return clusterFact(value, null, oidc.oidcId, { account: whereLogged(r).account, region: oidc.region }, fact.eventID);
      }
    }
  }
  return null;
}

export function clusterFactFromDocument(doc: FactDocument): ClusterFact | null {
  if (doc.kind !== 'eks-describe-cluster') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc.raw);
  } catch {
    return null;
  }
  return fromClusterObject(obj(obj(parsed)?.cluster), doc.ref, { account: null, region: null });
}

/** Merge facts about one cluster (one key): the first non-null of each field wins, evidence is kept. */
export function mergeCluster(a: ClusterFact | undefined, b: ClusterFact): ClusterFact {
  if (!a) return b;
  return { ...a, arn: a.arn ?? b.arn, oidcId: a.oidcId ?? b.oidcId };
}
