/** Index the fact-bearing records and documents of a case (pure: records in, lookups out). */
import type { ClusterFact, EksAuthCall, FactDocument, FactRecord, Facts, PodIdentityAssociation } from './model';
import { issuanceOf } from './credentials';
import { clusterFact, clusterFactFromDocument, clusterFactFromRecord, clusterKey, mergeCluster, whereLogged } from './clusters';
import { eksAuthCallOf } from './node';
import { isPodIdentityIssuance, podIdentityTags } from './pod-identity';
import { get, getStr, obj } from '../util/json';

/** Which records correlation reads (everything else is only attributed, never consulted). */
export const FACT_SQL_FILTER = `
  event_source IN ('sts.amazonaws.com', 'eks-auth.amazonaws.com', 'eks.amazonaws.com', 'iam.amazonaws.com') AND (
  (event_source = 'sts.amazonaws.com' AND event_name IN
     ('AssumeRole','AssumeRoleWithWebIdentity','AssumeRoleWithSAML','GetSessionToken','GetFederationToken','AssumeRoot'))
  OR (event_source = 'eks-auth.amazonaws.com' AND event_name = 'AssumeRoleForPodIdentity')
  OR (event_source = 'eks.amazonaws.com' AND event_name IN
     ('CreateCluster','DescribeCluster','CreatePodIdentityAssociation','DescribePodIdentityAssociation','UpdatePodIdentityAssociation'))
  OR (event_source = 'iam.amazonaws.com' AND event_name = 'CreateOpenIDConnectProvider'))`;

function associationOf(fact: FactRecord): PodIdentityAssociation | null {
  const r = fact.record;
  if (getStr(r, 'eventSource') !== 'eks.amazonaws.com' || getStr(r, 'errorCode')) return null;
  const a = obj(get(r, 'responseElements', 'association'));
  if (!a) return null;
  const clusterName = getStr(a, 'clusterName');
  const namespace = getStr(a, 'namespace');
  const serviceAccount = getStr(a, 'serviceAccount');
  const roleArn = getStr(a, 'roleArn');
  if (!clusterName || !namespace || !serviceAccount || !roleArn) return null;
  const where = whereLogged(r);
  return { clusterName, clusterKey: clusterKey(where.account, where.region, clusterName), namespace, serviceAccount, roleArn, evidence: fact.eventID };
}

export function buildFacts(records: Iterable<FactRecord>, documents: Iterable<FactDocument> = []): Facts {
  const facts: Facts = {
    issuances: new Map(),
    clustersByOidc: new Map(),
    clustersByKey: new Map(),
    eksAuthByCluster: new Map(),
    podsByCluster: new Map(),
    associationsByRole: new Map(),
    clustersByNodeRole: new Map(),
    k8s: null,
  };
  const addCluster = (c: ClusterFact) => {
    const merged = mergeCluster(facts.clustersByKey.get(c.key), c);
    facts.clustersByKey.set(c.key, merged);
    if (merged.oidcId && !facts.clustersByOidc.has(merged.oidcId)) facts.clustersByOidc.set(merged.oidcId, merged);
  };
  const calls: EksAuthCall[] = [];
  for (const fact of records) {
    const iss = issuanceOf(fact);
    if (iss) {
      const list = facts.issuances.get(iss.accessKeyId);
      if (list) list.push(iss);
      else facts.issuances.set(iss.accessKeyId, [iss]);
      if (isPodIdentityIssuance(fact.record)) {
        const tags = podIdentityTags(fact.record);
        if (tags?.clusterName) {
          // The role Pod Identity assumes is in the cluster's account; the call is logged in the cluster's region.
          const c = clusterFact(tags.clusterName, tags.clusterArn, null, whereLogged(fact.record), fact.eventID);
          addCluster(c);
          if (tags.podName) {
            let pods = facts.podsByCluster.get(c.key);
            if (!pods) facts.podsByCluster.set(c.key, (pods = new Map()));
            pods.set(tags.podName, { name: tags.podName, uid: tags.podUid });
          }
        }
      }
      continue;
    }
    const call = eksAuthCallOf(fact);
    if (call) {
      calls.push(call);
      continue;
    }
    const cluster = clusterFactFromRecord(fact);
    if (cluster) {
      addCluster(cluster);
      continue;
    }
    const assoc = associationOf(fact);
    if (assoc) {
      const list = facts.associationsByRole.get(assoc.roleArn);
      if (list) list.push(assoc);
      else facts.associationsByRole.set(assoc.roleArn, [assoc]);
    }
  }
  for (const doc of documents) {
    const c = clusterFactFromDocument(doc);
    if (c) addCluster(c);
  }
  calls.sort((a, b) => a.eventMs - b.eventMs || a.eventID.localeCompare(b.eventID));
  for (const call of calls) {
    let list = facts.eksAuthByCluster.get(call.clusterKey);
    if (!list) facts.eksAuthByCluster.set(call.clusterKey, (list = []));
    list.push(call);
    // A call made by hand (the AWS CLI) says nothing of which roles are node roles.
    if (call.nodeRoleArn && call.caller !== 'cli') {
      let clusters = facts.clustersByNodeRole.get(call.nodeRoleArn);
      if (!clusters) facts.clustersByNodeRole.set(call.nodeRoleArn, (clusters = new Map()));
      if (!clusters.has(call.clusterKey)) clusters.set(call.clusterKey, call.eventID);
    }
    if (!facts.clustersByKey.has(call.clusterKey)) addCluster(clusterFact(call.clusterName, null, null, whereLogged(call.record), call.eventID));
  }
  return facts;
}
