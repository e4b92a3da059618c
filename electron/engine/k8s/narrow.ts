/**
 * Rule: IRSA → pod. CloudTrail's AssumeRoleWithWebIdentity names the service account, never the pod. Among the
 * pods of that service account alive at that moment (audit timeline), the evidence that singles one out:
 * - the source IP of the STS call or of the session's later calls equals the pod's IP (traffic through a VPC
 *   endpoint keeps the pod IP; through NAT it does not, and then the IP says nothing);
 * - otherwise (NAT), the public address the calls came from, when it is one the candidate's node's own traffic
 *   leaves from (its agent's and its instance profile's calls): pods on nodes behind another NAT gateway are
 *   ruled out, which narrows the candidates to the pods behind that gateway (one subnet or zone, usually);
 * - the kubelet requested a token with audience `sts.amazonaws.com` for that pod before the call (every live pod
 *   has one, so this only separates pods that had none);
 * - an SDK's default session name carries a time the SDK was already running (botocore and the Java SDK name it
 *   when they start): a pod none of whose containers had started by then is ruled out (`notStartedYet`);
 * - a token minted outside the kubelet makes its minter a candidate, unless the minter's node leaves from another
 *   address than the call did.
 * The refresh lineage over all of a service account's exchanges (lineage.ts) narrows further.
 * CloudTrail does not log the web-identity token's id, so a token can never be matched exactly: the answer is
 * at best `inferred`, or `ambiguous` with scored candidates.
 */
import { aliveAt, type PodLife, type Timeline, type TokenRequest } from './timeline';

export const IRSA_AUDIENCE = 'sts.amazonaws.com';
/** How soon after the kubelet's token request a starting pod's SDK exchanges it. */
export const FRESH_TOKEN_MS = 60_000;
/** How long after a token minted outside the kubelet an exchange is attributed to it as a possibility. */
export const MINTED_USE_MS = 5 * 60_000;

export interface PodCandidate {
  pod: PodLife;
  score: number;
  why: string[];
  evidence: string[];
  /** Found through a token minted outside the kubelet. */
  minted?: boolean;
  /** Whether a source IP is a public address the pod's node's own traffic leaves from (unknown: no such address seen). */
  egress?: 'match' | 'other' | 'unknown';
  /** Its kubelet token was requested just before the call (a new pod's first exchange follows within seconds). */
  fresh?: boolean;
}

export interface IrsaQuery {
  namespace: string;
  serviceAccount: string;
  atMs: number;
  /** Source IPs of the STS call and of the calls made with the credentials it issued. */
  sourceIps: string[];
  /** Only pods on these nodes (the cluster's nodes), when known. */
  nodes: ReadonlySet<string> | null;
  /** Times of every AssumeRoleWithWebIdentity of this service account (to pair a fresh token with one exchange). */
  exchanges: number[];
  /** Public addresses a Kubernetes node's own traffic leaves from, or null when none was seen. */
  egressOf?: (nodeName: string) => ReadonlySet<string> | null;
  /** The exchange's role session name (an SDK's default name carries a time the SDK was running at). */
  sessionName?: string | null;
}

/**
 * The moment an AWS SDK's default web-identity session name shows the SDK was already running, as the latest
 * millisecond it can stand for. botocore names the session when its credential provider is created
 * (`botocore-session-<unix seconds>`), the Java SDK likewise in milliseconds (`aws-sdk-java-<ms>`), the
 * JavaScript v3 SDK at each exchange (`aws-sdk-js-session-<ms>`). The SDK runs inside one of the pod's containers,
 * on the node's clock — the same clock as the kubelet's container start times.
 */
export function sdkSessionTime(name: string | null | undefined): number | null {
  if (!name) return null;
  const py = /^botocore-session-(\d{9,11})$/.exec(name);
  if (py) return Number(py[1]) * 1000 + 999;
  const ms = /^(?:aws-sdk-java|aws-sdk-js-session)-(\d{12,14})$/.exec(name);
  return ms ? Number(ms[1]) : null;
}

function tokenBefore(tokens: TokenRequest[], p: PodLife, atMs: number): TokenRequest | null {
  let best: TokenRequest | null = null;
  for (const t of tokens) {
    if (t.tsMs > atMs) break; // sorted by time
    if (t.namespace !== p.namespace || !t.audiences.includes(IRSA_AUDIENCE)) continue;
    if (!(t.podUid && p.uid ? t.podUid === p.uid : t.podName === p.name)) continue;
    if (t.expiresMs !== null && t.expiresMs < atMs) continue;
    best = t;
  }
  return best;
}

/**
 * A token for this service account minted by something other than a kubelet, still valid at the call: whoever
 * minted it may be the caller. When the minter is itself a pod, that pod is a candidate.
 */
function mintedElsewhere(tl: Timeline, q: IrsaQuery): PodCandidate[] {
  const out: PodCandidate[] = [];
  for (const t of tl.tokens) {
    if (t.tsMs > q.atMs) break;
    if (t.nodeName || t.namespace !== q.namespace || t.serviceAccount !== q.serviceAccount || !t.audiences.includes(IRSA_AUDIENCE)) continue;
    // Whoever mints a token to exchange it does so at once; later exchanges of the account are its pods' own.
    if (q.atMs - t.tsMs > MINTED_USE_MS) continue;
    const pod = t.requesterPod ? tl.pods.find((p) => (t.requesterPod!.uid ? p.uid === t.requesterPod!.uid : p.name === t.requesterPod!.name)) : undefined;
    if (!pod) continue;
    out.push({ pod, score: 2, minted: true, why: [`${t.requester} minted a token for ${q.namespace}/${q.serviceAccount} at ${new Date(t.tsMs).toISOString()} (not a kubelet)`], evidence: [t.auditId] });
  }
  return out;
}

/**
 * A starting pod's kubelet token pairs with this exchange when nothing else of the service account can claim
 * either: the token is the account's last kubelet token before the call, the call is the account's first exchange
 * after the token, and any other exchange in the token's first minute follows another pod's newer token (pods
 * that start one after the other: token, exchange, token, exchange). An exchange in that minute with no newer
 * token before it may be an older pod's refresh, and then neither is paired.
 */
function pairsWith(tl: Timeline, q: IrsaQuery, token: TokenRequest): boolean {
  if (q.exchanges.filter((x) => x >= token.tsMs && x <= q.atMs).length !== 1) return false;
  const newer: number[] = []; // the account's kubelet tokens after this one, within its minute
  for (const t of tl.tokens) {
    if (t.tsMs > token.tsMs + FRESH_TOKEN_MS) break; // sorted by time
    if (t === token || t.tsMs < token.tsMs || !t.nodeName) continue;
    if (t.namespace !== q.namespace || t.serviceAccount !== q.serviceAccount || !t.audiences.includes(IRSA_AUDIENCE)) continue;
    if (t.tsMs <= q.atMs) return false;
    newer.push(t.tsMs);
  }
  return q.exchanges.every((y) => y <= q.atMs || y > token.tsMs + FRESH_TOKEN_MS || newer.some((t) => t < y));
}

/**
 * Where the calls came from, for one pod: its own IP, or a public address its node's own traffic leaves from
 * (`match`), an address its node is not known to use (`other`), or nothing known about its node (`unknown`).
 */
function egressOf(p: PodLife, q: IrsaQuery): { podIp?: string; egress?: 'match' | 'other' | 'unknown'; via?: string } {
  const podIp = q.sourceIps.find((x) => p.ips.includes(x));
  if (podIp) return { podIp };
  if (!q.egressOf || !p.nodeName) return {};
  const egress = q.egressOf(p.nodeName);
  const via = egress ? q.sourceIps.find((x) => egress.has(x)) : undefined;
  return { egress: !egress ? 'unknown' : via ? 'match' : 'other', via };
}

export function irsaCandidates(tl: Timeline, q: IrsaQuery): PodCandidate[] {
  // A minter whose calls would have left from another address than this exchange's did not make it.
  const out: PodCandidate[] = mintedElsewhere(tl, q).filter((c) => egressOf(c.pod, q).egress !== 'other');
  for (const p of tl.pods) {
    if (p.namespace !== q.namespace || p.serviceAccount !== q.serviceAccount || !aliveAt(p, q.atMs)) continue;
    if (out.some((c) => c.pod === p)) continue;
    if (q.nodes && (!p.nodeName || !q.nodes.has(p.nodeName))) continue;
    const c: PodCandidate = { pod: p, score: 1, why: [`pod of ${q.namespace}/${q.serviceAccount} alive at the call`], evidence: [] };
    for (const e of [p.evidence.created, p.evidence.bound, p.evidence.inventory]) if (e) c.evidence.push(e);
    const token = tokenBefore(tl.tokens, p, q.atMs);
    if (token) {
      c.score += 1;
      c.why.push(`kubelet token for ${IRSA_AUDIENCE} requested at ${new Date(token.tsMs).toISOString()}`);
      c.evidence.push(token.auditId);
      if (q.atMs - token.tsMs <= FRESH_TOKEN_MS && pairsWith(tl, q, token)) c.fresh = true;
    }
    const e = egressOf(p, q);
    if (e.podIp) {
      c.score += 4;
      c.why.push(`source IP ${e.podIp} is this pod's IP`);
      if (p.evidence.ip) c.evidence.push(p.evidence.ip);
    } else if (e.egress) {
      c.egress = e.egress;
      if (e.via) {
        c.score += 2;
        c.why.push(`source IP ${e.via} is an address node ${p.nodeName}'s own calls leave from (NAT)`);
      }
    }
    out.push(c);
  }
  return notStartedYet(out, q).sort((a, b) => b.score - a.score || (a.pod.name < b.pod.name ? -1 : 1));
}

/**
 * Rule: a pod none of whose containers had started when the SDK named the session cannot have made the exchange.
 * Only pods whose creation the audit log holds count (their first container start is then in the log too); if
 * the rule would leave no candidate, it is not applied (the clocks or the log disagree with it).
 */
function notStartedYet(cands: PodCandidate[], q: IrsaQuery): PodCandidate[] {
  const at = sdkSessionTime(q.sessionName);
  if (at === null) return cands;
  const late = cands.filter((c) => !c.minted && c.pod.evidence.created && c.pod.startedMs !== null && c.pod.startedMs > at);
  if (late.length === 0 || late.length === cands.length) return cands;
  const why =
    `session name ${q.sessionName} shows its SDK running by ${new Date(at).toISOString()}, when ` +
    late.map((c) => `${c.pod.name} had no container started (first at ${new Date(c.pod.startedMs!).toISOString()})`).join(', ');
  const kept = cands.filter((c) => !late.includes(c));
  for (const c of kept) {
    c.why.push(why);
    for (const l of late) if (l.pod.evidence.started) c.evidence.push(l.pod.evidence.started);
    if (c.pod.evidence.started) c.evidence.push(c.pod.evidence.started);
  }
  return kept;
}

export type PodVerdict = { kind: 'none' } | { kind: 'one'; pick: PodCandidate } | { kind: 'several'; candidates: PodCandidate[] };

/**
 * One candidate: inferred. Several: inferred only when exactly one has the pod-IP match (the strongest signal);
 * otherwise ambiguous, every remaining candidate listed.
 */
export function decide(cands: PodCandidate[]): PodVerdict {
  if (cands.length === 0) return { kind: 'none' };
  // A token minted outside the kubelet makes the answer ambiguous whatever else fits.
  if (cands.some((c) => c.minted)) return { kind: 'several', candidates: cands };
  if (cands.length === 1) return { kind: 'one', pick: cands[0]! };
  const ipMatches = cands.filter((c) => c.score >= 5);
  if (ipMatches.length === 1) return { kind: 'one', pick: ipMatches[0]! };
  let pool = ipMatches.length > 1 ? ipMatches : cands;
  // No pod IP: when some candidates' nodes leave from the calls' public address, those on nodes known to leave
  // from other addresses are ruled out (nodes with no address seen stay in).
  if (ipMatches.length === 0 && cands.some((c) => c.egress === 'match')) {
    pool = cands.filter((c) => c.egress !== 'other');
    if (pool.length === 1) {
      pool[0]!.why.push('the only candidate on a node whose traffic leaves from that address');
      return { kind: 'one', pick: pool[0]! };
    }
  }
  // No IP tells them apart, but only one pod had just been handed its token: the exchange is its first one.
  const fresh = pool.filter((c) => c.fresh);
  if (fresh.length === 1) {
    fresh[0]!.why.push('the only candidate whose token was requested within a minute before the call');
    return { kind: 'one', pick: fresh[0]! };
  }
  return { kind: 'several', candidates: pool };
}
