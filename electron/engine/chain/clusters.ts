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

function fromClusterObject(cluster: JsonObject | undefined, evidence: string): ClusterFact | null {
  if (!cluster) return null;
  const name = str(cluster.name) ?? str(cluster.clusterName);
  if (!name) return null;
  const arn = str(cluster.arn) ?? null;
  const oidc = parseEksOidc(getStr(cluster, 'identity', 'oidc', 'issuer'));
  const region = oidc?.region ?? (arn ? (arn.split(':')[3] ?? null) : null);
  return { name, arn, oidcId: oidc?.oidcId ?? null, region, evidence };
}

const CLUSTER_NAME_TAGS = ['alpha.eksctl.io/cluster-name', 'eks:cluster-name', 'cluster-name', 'ClusterName'];

export function clusterFactFromRecord(fact: FactRecord): ClusterFact | null {
  const r = fact.record;
  const source = getStr(r, 'eventSource');
  const name = getStr(r, 'eventName');
  if (getStr(r, 'errorCode')) return null;
  if (source === 'eks.amazonaws.com' && (name === 'CreateCluster' || name === 'DescribeCluster')) {
    return fromClusterObject(obj(get(r, 'responseElements', 'cluster')), fact.eventID);
  }
  if (source === 'iam.amazonaws.com' && name === 'CreateOpenIDConnectProvider') {
    const oidc = parseEksOidc(getStr(r, 'requestParameters', 'url'));
    if (!oidc) return null;
    for (const t of arr(get(r, 'requestParameters', 'tags'))) {
      const key = str(obj(t)?.key);
      const value = str(obj(t)?.value);
      if (key && value && CLUSTER_NAME_TAGS.includes(key)) {
        return { name: value, arn: null, oidcId: oidc.oidcId, region: oidc.region, evidence: fact.eventID };
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
  return fromClusterObject(obj(obj(parsed)?.cluster), doc.ref);
}

/** Merge facts about one cluster name: the first non-null of each field wins, evidence is kept. */
export function mergeCluster(a: ClusterFact | undefined, b: ClusterFact): ClusterFact {
  if (!a) return b;
  return {
    name: a.name,
    arn: a.arn ?? b.arn,
    oidcId: a.oidcId ?? b.oidcId,
    region: a.region ?? b.region,
    evidence: a.evidence,
  };
}
