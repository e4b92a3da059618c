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
import { isIp, isPrivateIp } from '../util/ip';
import { HANDOFF_SLACK_MS } from './lineage';

export const IRSA_AUDIENCE = 'sts.amazonaws.com';
/** How soon after the kubelet's token request a starting pod's SDK exchanges it. */
export const FRESH_TOKEN_MS = 60_000;
/** How long before its credentials expire an AWS SDK refreshes them (botocore: 15 minutes; others less). */
export const REFRESH_WINDOW_MS = 15 * 60_000;
/** How long after a token minted outside the kubelet an exchange is attributed to it as a possibility. */
export const MINTED_USE_MS = 5 * 60_000;

export interface PodCandidate {
  pod: PodLife;
  score: number;
  why: string[];
  evidence: string[];
  /** Found through a token minted outside the kubelet. */
  minted?: boolean;
  /** When that token was minted. */
  mintedMs?: number;
  /**
   * Whether a public source address of the calls is one of the NAT addresses the pod's node's own calls left from
   * (`match`), only other NAT addresses were seen for its node (`other`), or nothing is known (`unknown`).
   */
  egress?: 'match' | 'other' | 'unknown';
  /** Its kubelet token was requested just before the call (a new pod's first exchange follows within seconds). */
  fresh?: boolean;
  /** Why this pod, alive at the call, did not make it: the rule, in words, and the records it rests on. */
  out?: RuledOut;
}

export interface RuledOut {
  rule: 'not-started' | 'pod-ip' | 'nat-egress' | 'fresh-token' | 'refresh-lineage';
  why: string;
  evidence: string[];
}

export interface IrsaQuery {
  namespace: string;
  serviceAccount: string;
  atMs: number;
  /** Source IPs of the STS call and of the calls made with the credentials it issued. */
  sourceIps: string[];
  /** Only pods of the exchange's cluster, when known. */
  inCluster?: ((p: PodLife) => boolean) | null;
  /** Times of every AssumeRoleWithWebIdentity of this service account (to pair a fresh token with one exchange). */
  exchanges: number[];
  /**
   * The same exchanges with when the session each issued expires and when its key was last used (null: never), so
   * that an exchange that may be an older pod's refresh is not taken for a new pod's first one (`refreshDue`).
   */
  sessions?: readonly { atMs: number; expiresMs: number; lastUseMs?: number | null }[];
  /**
   * The NAT addresses a Kubernetes node's own calls left from (public source addresses, with every address that
   * shares a NAT gateway with them: see k8s/facts.ts), or null when none was seen.
   */
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
    if (!t.audiences.includes(IRSA_AUDIENCE) || !tokenOf(t, p)) continue;
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
    const c: PodCandidate = { pod, score: 2, minted: true, mintedMs: t.tsMs, why: [`${t.requester} minted a token for ${q.namespace}/${q.serviceAccount} at ${new Date(t.tsMs).toISOString()} (not a kubelet)`], evidence: [t.auditId] };
    const e = egressOf(pod, q);
    if (e.podIp) {
      c.score += 4;
      c.why.push(`source IP ${e.podIp} is this pod's IP`);
    } else if (e.egress) c.egress = e.egress;
    out.push(c);
  }
  return out;
}

/**
 * A starting pod's kubelet token pairs with this exchange when nothing else of the service account can claim
 * either: the token is the account's last kubelet token before the call, the call is the account's first exchange
 * after the token, and any other exchange in the token's first minute follows another pod's newer token (pods
 * that start one after the other: token, exchange, token, exchange). An exchange in that minute with no newer
 * token before it may be an older pod's refresh, and then neither is paired; so may the exchange itself when it is
 * an older session's only possible refresh (`refreshDue`): a new pod's SDK exchanges its token at its first AWS
 * call, which may come minutes later, while another pod's SDK refreshes within that minute.
 */
function pairsWith(tl: Timeline, q: IrsaQuery, token: TokenRequest, pod: PodLife): boolean {
  if (q.exchanges.filter((x) => x >= token.tsMs && x <= q.atMs).length !== 1) return false;
  if (refreshDue(tl, q, token, pod)) return false;
  if (unusedTokenBefore(tl, q, token, pod)) return false;
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
 * Whether another pod of the account that may make the call (alive at it, in the cluster) was handed a kubelet token
 * within the minute before the call, no later than `token`, with no exchange of the account from its token until
 * `token`: that pod's first exchange is still to come, and its SDK may make its first AWS call before the other's.
 * Pods started together (a rollout's replicas on one node, their tokens milliseconds apart) leave the exchange
 * ambiguous; pods started one after the other (token, exchange, token, exchange) do not.
 */
function unusedTokenBefore(tl: Timeline, q: IrsaQuery, token: TokenRequest, pod: PodLife): boolean {
  for (const t of tl.tokens) {
    if (t.tsMs > token.tsMs) break; // sorted by time
    if (t === token || t.tsMs < q.atMs - FRESH_TOKEN_MS || !t.nodeName) continue;
    if (t.namespace !== q.namespace || t.serviceAccount !== q.serviceAccount || !t.audiences.includes(IRSA_AUDIENCE)) continue;
    const other = tl.pods.some((p) => p !== pod && tokenOf(t, p) && p.serviceAccount === q.serviceAccount && aliveAt(p, q.atMs) && (!q.inCluster || q.inCluster(p)));
    if (other && !q.exchanges.some((x) => x >= t.tsMs && x < token.tsMs)) return true;
  }
  return false;
}

/** Whether a token request was made for this pod (by uid where both have one, else by name). */
function tokenOf(t: TokenRequest, p: PodLife): boolean {
  return t.namespace === p.namespace && (t.podUid && p.uid ? t.podUid === p.uid : t.podName === p.name);
}

/**
 * Whether the exchange at `q.atMs` may be the refresh of an older session of the account: a session not yet expired
 * at the exchange but within `REFRESH_WINDOW_MS` of its expiry (an SDK refreshes before its credentials expire, at
 * its next call), whose key was not used after the exchange (once refreshed, an SDK signs with the new credentials;
 * requests signed just before may arrive up to `HANDOFF_SLACK_MS` later), for which no other exchange of the account
 * came in that window before the new pod's token (it may have been refreshed there), and whose holder may still run:
 * one of the account's pods alive when it was issued is alive at the exchange and is not the one whose token this is.
 * An exchange in the window after the token does not clear it: the refresh may be this one and the new pod's first
 * exchange that one (seed 9307: the new pod's SDK exchanged six minutes after its token, the older pod refreshed 32 s
 * after it; until 2026-12-07 afternoon the token was paired with the refresh).
 */
function refreshDue(tl: Timeline, q: IrsaQuery, token: TokenRequest, fresh: PodLife): boolean {
  for (const s of q.sessions ?? []) {
    if (s.atMs >= q.atMs || s.expiresMs <= q.atMs || q.atMs < s.expiresMs - REFRESH_WINDOW_MS) continue;
    if (s.lastUseMs != null && s.lastUseMs - HANDOFF_SLACK_MS > q.atMs) continue;
    if (q.exchanges.some((x) => x !== q.atMs && x >= s.expiresMs - REFRESH_WINDOW_MS && x <= s.expiresMs && x < token.tsMs)) continue;
    const holder = tl.pods.some(
      (p) => p !== fresh && p.namespace === q.namespace && p.serviceAccount === q.serviceAccount && aliveAt(p, s.atMs) && aliveAt(p, q.atMs) && (!q.inCluster || q.inCluster(p)),
    );
    if (holder) return true;
  }
  return false;
}

/**
 * Where the calls came from, for one pod: its own IP, or whether a public source address of the calls is one of its
 * node's NAT addresses (`match`), its node was only seen leaving from other NAT addresses (`other`), or nothing is
 * known of its node (`unknown`). Private source addresses are compared with pod IPs only: a call through a VPC
 * endpoint shows the caller's own address, and says nothing about the NAT path of other services.
 */
function egressOf(p: PodLife, q: IrsaQuery): { podIp?: string; egress?: 'match' | 'other' | 'unknown'; via?: string } {
  const podIp = q.sourceIps.find((x) => p.ips.includes(x));
  if (podIp) return { podIp };
  if (!q.egressOf || !p.nodeName) return {};
  const publicIps = q.sourceIps.filter((x) => isIp(x) && !isPrivateIp(x));
  if (publicIps.length === 0) return {};
  const egress = q.egressOf(p.nodeName);
  const via = egress ? publicIps.find((x) => egress.has(x)) : undefined;
  return { egress: !egress ? 'unknown' : via ? 'match' : 'other', via };
}

export function irsaCandidates(tl: Timeline, q: IrsaQuery): PodCandidate[] {
  // A minter whose calls would have left from another address than this exchange's did not make it.
  const out: PodCandidate[] = mintedElsewhere(tl, q);
  for (const p of tl.pods) {
    if (p.namespace !== q.namespace || p.serviceAccount !== q.serviceAccount || !aliveAt(p, q.atMs)) continue;
    if (out.some((c) => c.pod === p)) continue;
    if (q.inCluster && !q.inCluster(p)) continue;
    const c: PodCandidate = { pod: p, score: 1, why: [`pod of ${q.namespace}/${q.serviceAccount} alive at the call`], evidence: [] };
    for (const e of [p.evidence.created, p.evidence.bound, p.evidence.inventory]) if (e) c.evidence.push(e);
    const token = tokenBefore(tl.tokens, p, q.atMs);
    if (token) {
      c.score += 1;
      c.why.push(`kubelet token for ${IRSA_AUDIENCE} requested at ${new Date(token.tsMs).toISOString()}`);
      c.evidence.push(token.auditId);
      if (q.atMs - token.tsMs <= FRESH_TOKEN_MS && pairsWith(tl, q, token, p)) c.fresh = true;
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
  for (const c of cands) {
    if (late.includes(c)) {
      c.out = {
        rule: 'not-started',
        why: `no container of ${c.pod.name} had started (first at ${new Date(c.pod.startedMs!).toISOString()}) when the SDK named session ${q.sessionName} (running by ${new Date(at).toISOString()})`,
        evidence: c.pod.evidence.started ? [c.pod.evidence.started] : [],
      };
      continue;
    }
    c.why.push(why);
    for (const l of late) if (l.pod.evidence.started) c.evidence.push(l.pod.evidence.started);
    if (c.pod.evidence.started) c.evidence.push(c.pod.evidence.started);
  }
  return cands;
}

export type PodVerdict = ({ kind: 'none' } | { kind: 'one'; pick: PodCandidate } | { kind: 'several'; candidates: PodCandidate[] }) & {
  /** Pods of the service account alive at the call that a rule ruled out (`out` says why). */
  ruledOut: PodCandidate[];
};

function exclude(list: PodCandidate[], out: RuledOut): void {
  for (const c of list) c.out ??= out;
}

/**
 * One candidate: inferred. Several: inferred only when exactly one has the pod-IP match (the strongest signal);
 * otherwise ambiguous, every remaining candidate listed. Every pod a rule sets aside is kept in `ruledOut`, with
 * the rule and its records ("why not this pod?").
 */
export function decide(all: PodCandidate[]): PodVerdict {
  // Rules that contradict each other: a pod the calls came from (its own IP) was ruled out by another rule. Then no
  // rule is trusted for this exchange, and every pod alive is listed.
  const contradicted = all.filter((c) => c.out && c.score >= 5);
  if (contradicted.length > 0) {
    const note = `rules disagree: the calls came from ${contradicted.map((c) => `${c.pod.name}'s IP, yet ${c.out!.rule} ruled it out`).join('; ')}: every pod alive is listed`;
    for (const c of all) {
      c.out = undefined;
      c.why.push(note);
    }
    return { kind: all.length === 1 ? 'one' : 'several', ...(all.length === 1 ? { pick: all[0]! } : { candidates: all }), ruledOut: [] } as PodVerdict;
  }
  const verdict = decideAmong(all.filter((c) => !c.out));
  return { ...verdict, ruledOut: all.filter((c) => c.out) };
}

function decideAmong(cands: PodCandidate[]): { kind: 'none' } | { kind: 'one'; pick: PodCandidate } | { kind: 'several'; candidates: PodCandidate[] } {
  if (cands.length === 0) return { kind: 'none' };
  if (cands.length === 1) return { kind: 'one', pick: cands[0]! };
  const ipMatches = cands.filter((c) => c.score >= 5);
  if (ipMatches.length >= 1) {
    const ips = ipMatches.map((c) => `${c.pod.name}'s`).join(' or ');
    exclude(
      cands.filter((c) => !ipMatches.includes(c)),
      { rule: 'pod-ip', why: `the calls came from ${ips} pod IP, not this pod's`, evidence: ipMatches.flatMap((c) => (c.pod.evidence.ip ? [c.pod.evidence.ip] : [])) },
    );
  }
  if (ipMatches.length === 1) return { kind: 'one', pick: ipMatches[0]! };
  let pool = ipMatches.length > 1 ? ipMatches : cands;
  // No pod IP: when some candidates' nodes leave from the calls' public address (NAT), those on nodes seen leaving
  // only from other NAT gateways are ruled out (nodes with no address seen stay in). NAT addresses are not per
  // service: a public source address means the call took the subnet's default route, whatever the service.
  if (ipMatches.length === 0 && cands.some((c) => c.egress === 'match')) {
    const apart = cands.filter((c) => c.egress === 'other');
    pool = cands.filter((c) => c.egress !== 'other');
    exclude(apart, { rule: 'nat-egress', why: `its node's own calls (and its pods' identified sessions) left only from other NAT addresses than these calls, which ${pool.filter((c) => c.egress === 'match').map((c) => `${c.pod.name}'s node`).join(' and ')} used`, evidence: [] });
    if (pool.length === 1) {
      pool[0]!.why.push('the only candidate on a node whose traffic leaves from that address');
      return { kind: 'one', pick: pool[0]! };
    }
  }
  // A token minted outside the kubelet, by a pod still in the running, makes the answer ambiguous whatever else fits.
  if (pool.some((c) => c.minted)) return { kind: 'several', candidates: pool };
  // No IP tells them apart, but only one pod had just been handed its token: the exchange is its first one.
  const fresh = pool.filter((c) => c.fresh);
  if (fresh.length === 1) {
    fresh[0]!.why.push('the only candidate whose token was requested within a minute before the call');
    exclude(
      pool.filter((c) => c !== fresh[0]),
      { rule: 'fresh-token', why: `${fresh[0]!.pod.name}'s kubelet token was requested within a minute before this exchange, the account's only one after it; this pod's token was older`, evidence: fresh[0]!.evidence.slice(-1) },
    );
    return { kind: 'one', pick: fresh[0]! };
  }
  return { kind: 'several', candidates: pool };
}
