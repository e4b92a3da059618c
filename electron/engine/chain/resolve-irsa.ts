/**
 * Root: web identity. An EKS OIDC provider makes it IRSA: the subject names the service account (proven), the
 * provider id names the cluster (proven with describe-cluster output), and the audit timeline narrows it to a
 * pod (k8s/narrow.ts: inferred or ambiguous, never proven). Other providers are plain web-identity federation.
 */
import type { ChainLink } from '../../../shared/attribution';
import { emptyResolution, type Issuance, type Resolution } from './model';
import { isSdkSessionName, webIdentityOf } from './irsa';
import { principalHop, type ResolveContext } from './resolve-context';
import { decide, irsaCandidates, type PodVerdict } from '../k8s/narrow';
import { lineageFeasible, type LineageExchange } from '../k8s/lineage';
import { aliveAt, type PodLife } from '../k8s/timeline';
import { isIp, isPrivateIp } from '../util/ip';
import { hasPodsOf, nodesOfCluster } from '../k8s/facts';
import { clusterKey } from './clusters';
import { getStr, type JsonObject } from '../util/json';
import { isoUtc } from '../util/time';
import { userAgentKind } from './node';

/** Exchanges of the account this close to the one decided are cited as the lineage's evidence. */
const LINEAGE_EVIDENCE_MS = 2 * 3600_000;

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
  if (iss && ctx.facts.k8s) irsaPod(ctx, r, iss);
  else r.notes.push('IRSA names the service account, not the pod or node: EKS audit logs are needed to go further');
  return r;
}

interface PodQuery {
  cluster: string;
  oidcId: string;
  namespace: string;
  serviceAccount: string;
  nodes: Set<string>;
  inCluster: (p: PodLife) => boolean;
}

const podEgressCache = new WeakMap<ResolveContext, Map<string, Set<string>>>();

/**
 * The NAT addresses the pods of each node were seen leaving from: a web-identity session whose calls came from
 * exactly one pod's own IP (a service reached through a VPC endpoint) is that pod's, and the public addresses of
 * its other calls are the path its node's pods take to everything else. Positive evidence of a node's path, used
 * beside the node's own calls (k8s/facts.ts) when they show none.
 */
function podEgress(ctx: ResolveContext): Map<string, Set<string>> {
  const cached = podEgressCache.get(ctx);
  if (cached) return cached;
  const k8s = ctx.facts.k8s!;
  const out = new Map<string, Set<string>>();
  const podsByIp = new Map<string, PodLife[]>();
  for (const p of k8s.timeline.pods) {
    for (const ip of p.ips) {
      const list = podsByIp.get(ip);
      if (list) list.push(p);
      else podsByIp.set(ip, [p]);
    }
  }
  for (const list of ctx.facts.issuances.values()) {
    for (const iss of list) {
      if (iss.eventName !== 'AssumeRoleWithWebIdentity') continue;
      const sa = webIdentityOf(iss.record).serviceAccount;
      if (!sa) continue;
      const stsIp = getStr(iss.record, 'sourceIPAddress');
      const ips = [...new Set([...(stsIp ? [stsIp] : []), ...k8s.ipsOfKey(iss.accessKeyId)])];
      const pods = new Set<PodLife>();
      for (const ip of ips) {
        for (const p of podsByIp.get(ip) ?? []) {
          if (p.namespace === sa.namespace && p.serviceAccount === sa.serviceAccount && aliveAt(p, iss.issuedMs)) pods.add(p);
        }
      }
      if (pods.size !== 1) continue;
      const [pod] = [...pods] as [PodLife];
      if (!pod.nodeName) continue;
      for (const ip of ips) {
        if (!isIp(ip) || isPrivateIp(ip)) continue;
        let set = out.get(pod.nodeName);
        if (!set) out.set(pod.nodeName, (set = new Set()));
        set.add(ip);
      }
    }
  }
  podEgressCache.set(ctx, out);
  return out;
}

/** The narrowing rules of k8s/narrow.ts for one exchange (without the refresh lineage). */
function narrowExchange(ctx: ResolveContext, q: PodQuery, iss: Issuance): PodVerdict {
  const k8s = ctx.facts.k8s!;
  const stsIp = getStr(iss.record, 'sourceIPAddress') ?? null;
  const ips = [...new Set([...(stsIp ? [stsIp] : []), ...k8s.ipsOfKey(iss.accessKeyId)])];
  return decide(
    irsaCandidates(k8s.timeline, {
      namespace: q.namespace,
      serviceAccount: q.serviceAccount,
      atMs: iss.issuedMs,
      sourceIps: ips,
      inCluster: q.inCluster,
      exchanges: ctx.exchangesOf(q.namespace, q.serviceAccount),
      sessions: ctx.sessionsOf(q.namespace, q.serviceAccount),
      sessionName: iss.sessionName,
      egressOf: (node) => {
        const instance = ctx.instanceOfNode(node);
        const own = instance ? k8s.egressOfInstance.get(instance) : undefined;
        const learned = podEgress(ctx).get(node);
        if (!own && !learned) return null;
        return new Set([...(own ?? []), ...(learned ?? [])]);
      },
    }),
  );
}

const podKey = (p: PodLife) => p.uid ?? `${p.namespace}/${p.name}`;

/**
 * The refresh lineage of one service account in one cluster (k8s/lineage.ts), computed once: every exchange of
 * the account with the candidates the other rules left. Only exchanges that look like a pod's SDK take part (a
 * default SDK session name, and a source address tied to a candidate: its pod IP or its node's NAT address, no
 * token minted outside the kubelet); any other exchange may come from anywhere and constrains nothing.
 */
function lineageOf(ctx: ResolveContext, q: PodQuery): Map<string, Set<string>> | null {
  const key = `${q.oidcId}|${q.namespace}|${q.serviceAccount}`;
  if (ctx.lineage.has(key)) return ctx.lineage.get(key)!;
  const k8s = ctx.facts.k8s!;
  const exchanges: LineageExchange[] = [];
  for (const iss of ctx.webIdentityExchanges(q.namespace, q.serviceAccount)) {
    if (webIdentityOf(iss.record).eks?.oidcId !== q.oidcId) continue;
    const v = narrowExchange(ctx, q, iss);
    const pool = v.kind === 'one' ? [v.pick] : v.kind === 'several' ? v.candidates : [];
    const sdk = iss.sessionName !== null && isSdkSessionName(iss.sessionName);
    const tied = pool.some((c) => c.score >= 5 || c.egress === 'match');
    const eligible = sdk && tied && pool.length > 0 && !pool.some((c) => c.minted);
    exchanges.push({
      id: iss.eventID,
      atMs: iss.issuedMs,
      lastUseMs: Math.max(iss.issuedMs, k8s.lastUseOfKey(iss.accessKeyId) ?? iss.issuedMs),
      domain: eligible ? pool.map((c) => podKey(c.pod)) : null,
      holder: iss.sessionName && /^(botocore-session|aws-sdk-java)-\d+$/.test(iss.sessionName) ? iss.sessionName : null,
    });
  }
  const result = lineageFeasible(exchanges);
  ctx.lineage.set(key, result);
  return result;
}

/** Other exchanges of the account, none made with a person's tool, that make one made with such a tool stand out. */
const HAND_BASELINE = 3;

/**
 * Why the exchange is not the workload's own (its SDK refreshing the token its kubelet projects), or null: it was
 * made with a tool a person runs (the AWS CLI, an attack tool: node.ts `userAgentKind`), and the account's other
 * exchanges, at least `HAND_BASELINE` of them, never were. With a token minted outside the kubelet and paired with
 * this exchange, that session is the minted token's even while pods of the account were alive to make it.
 */
export function byHand(iss: Issuance, exchanges: readonly Issuance[]): string | null {
  const ua = getStr(iss.record, 'userAgent');
  if (userAgentKind(ua) !== 'tool') return null;
  const others = exchanges.filter((x) => x !== iss);
  if (others.length < HAND_BASELINE || others.some((x) => userAgentKind(getStr(x.record, 'userAgent')) === 'tool')) return null;
  return `the exchange was made with ${ua!.split(' ')[0]}, a tool a person runs, and none of the account's ${others.length} other exchanges was: not the workload's SDK`;
}

/** Rule: IRSA → pod, from the audit timeline (see k8s/narrow.ts and k8s/lineage.ts). */
function irsaPod(ctx: ResolveContext, r: Resolution, iss: Issuance): void {
  const k8s = ctx.facts.k8s!;
  const cluster = r.cluster?.name ? clusterKey(r.cluster.account, r.cluster.region, r.cluster.name) : null;
  const clusterName = r.cluster?.name;
  if (!r.namespace || !r.serviceAccount) return;
  if (!cluster) {
    r.notes.push('the OIDC id names no cluster in the bundle, so Kubernetes evidence cannot be matched to this session');
    return;
  }
  const nodes = nodesOfCluster(k8s, cluster);
  if (nodes.size === 0 || !hasPodsOf(k8s, cluster)) {
    r.notes.push(`no Kubernetes evidence in the bundle is tied to cluster ${clusterName}: the pod is not established`);
    return;
  }
  const q: PodQuery = {
    cluster,
    oidcId: r.cluster!.oidcId!,
    namespace: r.namespace,
    serviceAccount: r.serviceAccount,
    nodes,
    inCluster: (p) => k8s.clusterOfPod(p) === cluster,
  };
  let verdict = narrowExchange(ctx, q, iss);
  let lineageEvidence: string[] = [];
  if (verdict.kind === 'several' && !verdict.candidates.some((c) => c.minted)) {
    const feasible = lineageOf(ctx, q)?.get(iss.eventID);
    const left = feasible ? verdict.candidates.filter((c) => feasible.has(podKey(c.pod))) : verdict.candidates;
    if (left.length > 0 && left.length < verdict.candidates.length) {
      const out = verdict.candidates.filter((c) => !left.includes(c));
      lineageEvidence = ctx
        .webIdentityExchanges(q.namespace, q.serviceAccount)
        .filter((x) => x !== iss && Math.abs(x.issuedMs - iss.issuedMs) <= LINEAGE_EVIDENCE_MS)
        .sort((a, b) => a.issuedMs - b.issuedMs)
        .map((x) => x.eventID)
        .slice(0, 12);
      const why =
        `refresh lineage: had ${out.map((c) => c.pod.name).join(' or ')} made this exchange, some pod of ${q.namespace}/${q.serviceAccount} ` +
        `would have kept using a session after exchanging its token again, whichever pods made the account's other exchanges ` +
        `(assumes one AWS credential holder per pod)`;
      for (const c of left) c.why.push(why);
      for (const c of out) {
        c.out = {
          rule: 'refresh-lineage',
          why: `had ${c.pod.name} made this exchange, some pod of ${q.namespace}/${q.serviceAccount} would have kept using a session after exchanging its token again, whichever pods made the account's other exchanges (assumes one AWS credential holder per pod)`,
          evidence: lineageEvidence,
        };
      }
      const ruledOut = [...verdict.ruledOut, ...out];
      verdict = left.length === 1 ? { kind: 'one', pick: left[0]!, ruledOut } : { kind: 'several', candidates: left, ruledOut };
    }
  }
  const clusterEvidence = [...new Set([...nodes].map((n) => k8s.clusterOfNode.get(n)!.evidence))].slice(0, 3);
  if (verdict.ruledOut.length > 0) {
    r.ruledOut = verdict.ruledOut.map((c) => ({
      pod: { name: c.pod.name, uid: c.pod.uid },
      node: c.pod.nodeName ? { instanceId: ctx.instanceOfNode(c.pod.nodeName), name: c.pod.nodeName } : null,
      rule: c.out!.rule,
      why: c.out!.why,
      evidence: c.out!.evidence,
    }));
  }
  if (verdict.kind === 'none') {
    r.notes.push(`no pod of ${r.namespace}/${r.serviceAccount} was alive in ${clusterName} at ${isoUtc(iss.issuedMs)} according to the audit logs`);
    return;
  }
  // A token minted outside the kubelet that may have been this exchange's: flag the exchange. The whole session is
  // suspect when every pod left in the running got the token that way, or when the exchange was made by hand (below).
  // A pod of the account itself (one that minted a token for its own account) also holds the token its kubelet
  // projects: the minted one pairs with the account's first exchange after the mint (whoever mints a token to use it
  // does so at once), and its later exchanges may be its SDK's own.
  const left = verdict.kind === 'one' ? [verdict.pick] : verdict.candidates;
  const minted = left.filter((c) => c.minted);
  if (minted.length > 0) {
    const exchanges = ctx.webIdentityExchanges(q.namespace, q.serviceAccount).filter((x) => webIdentityOf(x.record).eks?.oidcId === q.oidcId);
    const before = (x: Issuance) => x.issuedMs < iss.issuedMs || (x.issuedMs === iss.issuedMs && x.eventID < iss.eventID);
    const paired = (c: (typeof left)[number]) =>
      c.pod.namespace !== q.namespace || c.pod.serviceAccount !== q.serviceAccount || !exchanges.some((x) => x !== iss && x.issuedMs >= c.mintedMs! && before(x));
    const hand = minted.every(paired) ? byHand(iss, exchanges) : null;
    r.exchangeFlags = [
      {
        flag: 'token-minted-by-non-kubelet',
        detail: minted.map((c) => c.why[0]).join('; ') + ` (audit ${minted.flatMap((c) => c.evidence).join(', ')})` + (hand && minted.length < left.length ? `; ${hand}` : ''),
        session: minted.every(paired) && (minted.length === left.length || hand !== null),
      },
    ];
  }
  if (verdict.kind === 'one') {
    const p = verdict.pick.pod;
    r.pod = { name: p.name, uid: p.uid };
    r.confidence.pod = 'inferred';
    r.hops.push({
      rule: 'irsa-pod',
      confidence: 'inferred',
      claim: `pod ${p.namespace}/${p.name}: ${verdict.pick.why.join('; ')}`,
      evidence: [...verdict.pick.evidence, ...lineageEvidence, ...clusterEvidence],
      fields: ['sourceIPAddress', 'eventTime', 'objectRef', 'requestObject.spec.boundObjectRef', 'requestObject.status.podIP'],
    });
    ctx.nodeOfPod(r, p.nodeName, p.evidence.bound, 'inferred');
    return;
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
    evidence: [...new Set([...verdict.candidates.flatMap((c) => c.evidence), ...lineageEvidence])].slice(0, 20),
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
  r.cluster = { name: c.name, arn: c.arn, oidcId, account: c.account, region: c.region };
  r.hops.push({
    rule: 'irsa-cluster',
    confidence: 'proven',
    claim: `OIDC id ${oidcId} is the issuer of cluster ${c.name}`,
    evidence: [c.evidence],
    fields: ['cluster.identity.oidc.issuer'],
  });
}
