/**
 * Root: web identity. An EKS OIDC provider makes it IRSA: the subject names the service account (proven), the
 * provider id names the cluster (proven with describe-cluster output), and the audit timeline narrows it to a
 * pod (k8s/narrow.ts: inferred or ambiguous, never proven). Other providers are plain web-identity federation.
 */
import type { ChainLink } from '../../../shared/attribution';
import { emptyResolution, type Issuance, type Resolution } from './model';
import { webIdentityOf } from './irsa';
import { principalHop, type ResolveContext } from './resolve-context';
import { decide, irsaCandidates } from '../k8s/narrow';
import { nodesOfCluster } from '../k8s/facts';
import { getStr, type JsonObject } from '../util/json';
import { isoUtc } from '../util/time';

export function webIdentityRoot(ctx: ResolveContext, record: JsonObject, chain: ChainLink[], iss: Issuance | null): Resolution {
  const wi = webIdentityOf(record);
  const evidence = iss ? [iss.eventID] : [];
  if (!wi.eks) {
    const r = ctx.root('assumed-role', wi.subject ? `web identity ${wi.subject} via ${wi.provider ?? '?'}` : wi.provider, chain);
    r.hops.push(principalHop(`web identity federation from ${wi.provider ?? 'an unnamed provider'}`, ['userIdentity.identityProvider']));
    return r;
  }
  const r = emptyResolution('irsa');
  r.chain = chain;
  r.principal = wi.subject;
  if (wi.serviceAccount) {
    r.namespace = wi.serviceAccount.namespace;
    r.serviceAccount = wi.serviceAccount.serviceAccount;
    r.confidence.identity = 'proven';
    r.hops.push({
      rule: 'irsa-subject',
      confidence: 'proven',
      claim: `IRSA web identity ${wi.subject} from EKS OIDC provider ${wi.eks.oidcId}`,
      evidence,
      fields: [wi.subjectField, 'userIdentity.identityProvider'],
    });
  } else {
    r.notes.push(`web identity subject ${wi.subject ?? '(none)'} is not a Kubernetes service account`);
  }
  irsaCluster(ctx, r, wi.eks.oidcId, evidence);
  if (iss && ctx.facts.k8s) irsaPod(ctx, r, iss, getStr(record, 'sourceIPAddress') ?? null);
  else r.notes.push('IRSA names the service account, not the pod or node: EKS audit logs are needed to go further');
  return r;
}

/** Rule: IRSA → pod, from the audit timeline (see k8s/narrow.ts). */
function irsaPod(ctx: ResolveContext, r: Resolution, iss: Issuance, stsIp: string | null): void {
  const k8s = ctx.facts.k8s!;
  const cluster = r.cluster?.name;
  if (!r.namespace || !r.serviceAccount) return;
  if (!cluster) {
    r.notes.push('the OIDC id names no cluster in the bundle, so Kubernetes evidence cannot be matched to this session');
    return;
  }
  const nodes = nodesOfCluster(k8s, cluster);
  if (nodes.size === 0) {
    r.notes.push(`no Kubernetes evidence in the bundle is tied to cluster ${cluster}: the pod is not established`);
    return;
  }
  const ips = [...new Set([...(stsIp ? [stsIp] : []), ...k8s.ipsOfKey(iss.accessKeyId)])];
  const exchanges = ctx.exchangesOf(r.namespace, r.serviceAccount);
  const verdict = decide(irsaCandidates(k8s.timeline, { namespace: r.namespace, serviceAccount: r.serviceAccount, atMs: iss.issuedMs, sourceIps: ips, nodes, exchanges,
    egressOf: (node) => {
      const instance = ctx.instanceOfNode(node);
      return instance ? (k8s.egressOfInstance.get(instance) ?? null) : null;
    },
  }));
  const clusterEvidence = [...new Set([...nodes].map((n) => k8s.clusterOfNode.get(n)!.evidence))].slice(0, 3);
  if (verdict.kind === 'none') {
    r.notes.push(`no pod of ${r.namespace}/${r.serviceAccount} was alive in ${cluster} at ${isoUtc(iss.issuedMs)} according to the audit logs`);
    return;
  }
  if (verdict.kind === 'one') {
    const p = verdict.pick.pod;
    r.pod = { name: p.name, uid: p.uid };
    r.confidence.pod = 'inferred';
    r.hops.push({
      rule: 'irsa-pod',
      confidence: 'inferred',
      claim: `pod ${p.namespace}/${p.name}: ${verdict.pick.why.join('; ')}`,
      evidence: [...verdict.pick.evidence, ...clusterEvidence],
      fields: ['sourceIPAddress', 'eventTime', 'objectRef', 'requestObject.spec.boundObjectRef', 'requestObject.status.podIP'],
    });
    ctx.nodeOfPod(r, p.nodeName, p.evidence.bound, 'inferred');
    return;
  }
  const minted = verdict.candidates.filter((c) => c.minted);
  if (minted.length > 0) {
    r.exchangeFlags = [
      { flag: 'token-minted-by-non-kubelet', detail: minted.map((c) => c.why[0]).join('; ') + ` (audit ${minted.flatMap((c) => c.evidence).join(', ')})` },
    ];
  }
  const total = verdict.candidates.reduce((s, c) => s + c.score, 0);
  r.confidence.pod = 'ambiguous';
  r.confidence.node = 'ambiguous';
  r.candidates = verdict.candidates.map((c) => ({
    pod: { name: c.pod.name, uid: c.pod.uid },
    node: c.pod.nodeName ? { instanceId: ctx.instanceOfNode(c.pod.nodeName), name: c.pod.nodeName } : null,
    score: Math.round((c.score / total) * 1000) / 1000,
    why: c.why.join('; '),
  }));
  r.hops.push({
    rule: 'irsa-pod',
    confidence: 'ambiguous',
    claim: `${verdict.candidates.length} pods of ${r.namespace}/${r.serviceAccount} fit the call at ${isoUtc(iss.issuedMs)}`,
    evidence: [...new Set(verdict.candidates.flatMap((c) => c.evidence))].slice(0, 20),
    fields: ['sourceIPAddress', 'eventTime', 'objectRef'],
  });
}

export function irsaCluster(ctx: ResolveContext, r: Resolution, oidcId: string, _evidence: string[]): void {
  const c = ctx.facts.clustersByOidc.get(oidcId);
  if (!c) {
    r.cluster = { name: null, arn: null, oidcId };
    r.notes.push(`no record in the bundle maps OIDC id ${oidcId} to a cluster (add aws eks describe-cluster output)`);
    return;
  }
  r.cluster = { name: c.name, arn: c.arn, oidcId };
  r.hops.push({
    rule: 'irsa-cluster',
    confidence: 'proven',
    claim: `OIDC id ${oidcId} is the issuer of cluster ${c.name}`,
    evidence: [c.evidence],
    fields: ['cluster.identity.oidc.issuer'],
  });
}
