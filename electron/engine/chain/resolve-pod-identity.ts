/**
 * Root: EKS Pod Identity. The session tags name cluster, namespace, service account and pod (proven); without
 * tags, the truncated session name and the role's association say what they can (inferred). The node is the
 * one whose agent called eks-auth at that moment (inferred), or the audit binding of the tagged pod uid (proven).
 * The record shapes are in pod-identity.ts and node.ts.
 */
import { emptyResolution, type Issuance, type Resolution } from './model';
import { parsePodIdentitySessionName, podIdentityTags, podMatchesPrefix, splitWithClusters } from './pod-identity';
import { matchEksAuth } from './node';
import { clusterFact, clusterKeyParts, whereLogged } from './clusters';
import type { ResolveContext } from './resolve-context';

export function podIdentityRoot(ctx: ResolveContext, iss: Issuance): Resolution {
  const r = emptyResolution('pod-identity');
  const tags = podIdentityTags(iss.record);
  let cluster: string | null = null;
  if (tags && (tags.podName || tags.serviceAccount)) {
    // requestParameters.tags: eks-cluster-*, kubernetes-namespace, -service-account, -pod-name, -pod-uid. The role
    // is in the cluster's account, and the call is logged in its region (the ARN tag says both when present).
    cluster = tags.clusterName ? clusterFact(tags.clusterName, tags.clusterArn, null, whereLogged(iss.record), iss.eventID).key : null;
    r.cluster = ctx.clusterRef(cluster, tags.clusterArn);
    r.namespace = tags.namespace;
    r.serviceAccount = tags.serviceAccount;
    r.pod = tags.podName ? { name: tags.podName, uid: tags.podUid } : null;
    r.confidence.identity = 'proven';
    r.confidence.pod = tags.podName ? 'proven' : 'none';
    r.hops.push({
      rule: 'pod-identity-tags',
      confidence: 'proven',
      claim: `EKS Pod Identity session tags name pod ${tags.namespace}/${tags.podName} (uid ${tags.podUid}), service account ${tags.serviceAccount}, cluster ${tags.clusterName}`,
      evidence: [iss.eventID],
      fields: ['userIdentity.invokedBy', 'requestParameters.tags'],
    });
  } else {
    cluster = podIdentityWithoutTags(ctx, r, iss);
  }
  r.principal =
    r.namespace && r.serviceAccount
      ? `system:serviceaccount:${r.namespace}:${r.serviceAccount}`
      : `EKS Pod Identity session ${iss.sessionName ?? '?'}`;
  podIdentityNode(ctx, r, iss, cluster);
  podIdentityBinding(ctx, r);
  return r;
}

/**
 * Rule: Pod Identity → node, proven. The session tags name the pod uid; the audit log's scheduler binding of
 * that uid names the node. The eks-auth time match, when there is one, stays as corroboration.
 */
function podIdentityBinding(ctx: ResolveContext, r: Resolution): void {
  const uid = r.pod?.uid;
  const k8s = ctx.facts.k8s;
  if (!uid || !k8s || r.confidence.pod !== 'proven') return;
  const pod = k8s.timeline.pods.find((p) => p.uid === uid);
  if (!pod?.nodeName || !pod.evidence.bound) return;
  const matched = r.node?.instanceId ?? r.candidates.find(() => true)?.node?.instanceId ?? null;
  const before = r.confidence.node;
  const candidates = r.candidates;
  r.candidates = [];
  ctx.nodeOfPod(r, pod.nodeName, pod.evidence.bound, 'proven');
  const instance = r.node?.instanceId;
  if (before === 'inferred' && matched && instance && matched !== instance) {
    r.notes.push(`conflict: the eks-auth time match pointed at ${matched}, the audit binding at ${instance}`);
  } else if (before === 'ambiguous' && instance && !candidates.some((c) => c.node?.instanceId === instance)) {
    r.notes.push(`the audit binding names ${instance}, which was not among the eks-auth time-match candidates`);
  }
}

/**
 * disableSessionTags: the session name's truncated cluster and pod, and the role's association. Only clusters of
 * the account and region the call was logged in are considered (the role is in the cluster's account).
 * Returns the cluster key.
 */
function podIdentityWithoutTags(ctx: ResolveContext, r: Resolution, iss: Issuance): string | null {
  r.notes.push('no session tags (disableSessionTags): pod and cluster come from the truncated role session name');
  const parts = parsePodIdentitySessionName(iss.sessionName);
  const where = whereLogged(iss.record);
  const here = (key: string) => {
    const k = clusterKeyParts(key);
    return (!k.account || !where.account || k.account === where.account) && (!k.region || !where.region || k.region === where.region);
  };
  const assocs = (iss.roleArn ? (ctx.facts.associationsByRole.get(iss.roleArn) ?? []) : []).filter((a) => here(a.clusterKey));
  const keyOfName = new Map<string, string>();
  for (const key of [...ctx.facts.clustersByKey.keys(), ...assocs.map((a) => a.clusterKey)]) if (here(key)) keyOfName.set(clusterKeyParts(key).name, key);
  const splits = parts ? splitWithClusters(parts.middle, new Set(keyOfName.keys())) : [];
  let clusterName: string | null = null;
  let cluster: string | null = null;
  if (splits.length === 1) {
    clusterName = splits[0]!.cluster;
    cluster = keyOfName.get(clusterName)!;
    r.cluster = ctx.clusterRef(cluster, null);
  } else if (parts) {
    r.notes.push(
      splits.length === 0
        ? `no cluster in the bundle matches the session name prefix of ${iss.sessionName}`
        : `several clusters match the session name ${iss.sessionName}: ${splits.map((s) => s.cluster).join(', ')}`,
    );
  }
  const assoc = assocs.filter((a) => !clusterName || a.clusterName === clusterName);
  if (assoc.length === 1) {
    const a = assoc[0]!;
    r.namespace = a.namespace;
    r.serviceAccount = a.serviceAccount;
    clusterName ??= a.clusterName;
    cluster ??= a.clusterKey;
    r.cluster ??= ctx.clusterRef(a.clusterKey, null);
    r.hops.push({
      rule: 'pod-identity-association',
      confidence: 'inferred',
      claim: `the only Pod Identity association of ${iss.roleArn} binds service account ${a.namespace}/${a.serviceAccount} in ${a.clusterName}`,
      evidence: [a.evidence],
      fields: ['responseElements.association'],
    });
  }
  r.confidence.identity = 'inferred';
  const prefix = splits.length === 1 ? splits[0]!.podPrefix : null;
  if (prefix !== null && cluster) {
    const pods = [...(ctx.facts.podsByCluster.get(cluster)?.values() ?? [])].filter((p) => podMatchesPrefix(p.name, prefix));
    if (pods.length === 1) {
      r.pod = pods[0]!;
      r.confidence.pod = 'inferred';
    } else if (pods.length > 1) {
      r.confidence.pod = 'ambiguous';
      r.candidates = pods.map((p) => ({ pod: p, node: null, score: 1 / pods.length, why: `pod name starts with "${prefix}"` }));
    } else {
      r.pod = { name: prefix, uid: null, nameTruncated: true };
      r.confidence.pod = 'inferred';
    }
    r.hops.push({
      rule: 'pod-identity-session-name',
      confidence: r.confidence.pod,
      claim: `role session name ${iss.sessionName} = eks-<cluster[:10]>-<pod[:10]>-<uuid>: cluster ${clusterName}, pod name starting "${prefix}"${pods.length === 1 ? ` (${pods[0]!.name}, named in other session tags)` : ''}`,
      evidence: [iss.eventID],
      fields: ['userIdentity.invokedBy', 'requestParameters.roleSessionName'],
    });
  }
  return cluster;
}

/**
 * The node whose agent called eks-auth AssumeRoleForPodIdentity for this cluster (same account, region and name)
 * at this time. A call made by hand (the AWS CLI) is no node agent's: it is never matched.
 */
function podIdentityNode(ctx: ResolveContext, r: Resolution, iss: Issuance, cluster: string | null): void {
  if (!cluster) {
    r.notes.push('the node cannot be matched without the cluster name');
    return;
  }
  const clusterName = clusterKeyParts(cluster).name;
  const matches = matchEksAuth(ctx.facts.eksAuthByCluster.get(cluster)?.filter((c) => c.caller !== 'cli'), iss.issuedMs, iss.region);
  const byNode = new Map<string, { delta: number; eventID: string }>();
  for (const m of matches) {
    const prev = byNode.get(m.call.instanceId);
    if (!prev || Math.abs(m.deltaMs) < Math.abs(prev.delta)) byNode.set(m.call.instanceId, { delta: m.deltaMs, eventID: m.call.eventID });
  }
  if (byNode.size === 0) {
    r.notes.push(`no eks-auth AssumeRoleForPodIdentity by a node of ${clusterName} within 2 s before the AssumeRole: node not established`);
    return;
  }
  const evidence = [...byNode.values()].map((v) => v.eventID);
  if (byNode.size === 1) {
    const [instanceId] = [...byNode.keys()];
    r.node = ctx.nodeRef(instanceId!);
    r.confidence.node = 'inferred';
    r.hops.push({
      rule: 'pod-identity-node',
      confidence: 'inferred',
      claim: `the only node of ${clusterName} that called eks-auth AssumeRoleForPodIdentity within 2 s of the AssumeRole: ${instanceId}`,
      evidence,
      fields: ['eventTime', 'requestParameters.clusterName', 'userIdentity.arn'],
    });
    return;
  }
  const weights = [...byNode.entries()].map(([id, v]) => ({ id, v, w: 1 / (1 + Math.abs(v.delta) / 1000) }));
  const total = weights.reduce((s, x) => s + x.w, 0);
  r.confidence.node = 'ambiguous';
  r.candidates = weights
    .sort((a, b) => b.w - a.w || a.id.localeCompare(b.id))
    .map(({ id, v, w }) => ({
      pod: r.pod,
      node: ctx.nodeRef(id),
      score: Math.round((w / total) * 1000) / 1000,
      why: `eks-auth AssumeRoleForPodIdentity ${Math.abs(v.delta) / 1000} s ${v.delta >= 0 ? 'before' : 'after'} the AssumeRole (${v.eventID})`,
    }));
  r.hops.push({
    rule: 'pod-identity-node',
    confidence: 'ambiguous',
    claim: `${byNode.size} nodes of ${clusterName} called eks-auth AssumeRoleForPodIdentity within the window`,
    evidence,
    fields: ['eventTime', 'requestParameters.clusterName', 'userIdentity.arn'],
  });
}
