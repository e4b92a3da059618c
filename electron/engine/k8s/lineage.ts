/**
 * Rule: IRSA refresh lineage. A pod's AWS SDK holds one set of web-identity credentials at a time: when it
 * exchanges its token again (a refresh), it stops using the old session. So the sessions of one pod form a
 * lineage in which each session is no longer used once the next one is issued. Pods of one service account that
 * nothing else tells apart (same node, same NAT address, tokens requested together) usually differ here: a
 * candidate whose own session was still in use after an exchange cannot have made that exchange.
 *
 * Over all exchanges of one service account, each with the candidate pods the other rules left (its domain),
 * this finds for every exchange the pods that appear in at least one complete assignment in which no pod's
 * session is used after that pod's next exchange (beyond a small slack for requests in flight). Exact: a forward
 * pass over the exchanges in time order keeps every reachable state (per pod, until when its current session was
 * used), a backward pass keeps the states that can be completed. An exchange whose candidates the rule reduces to
 * one is inferred, never proven: it assumes one credential holder per pod (a pod with several processes or
 * containers that each call AWS breaks it). When no assignment is consistent at all, or when one process's
 * session name has two sessions in use at once (workers forked together), that assumption failed somewhere, and
 * the rule says nothing for the whole service account.
 */

/** Requests signed with the old credentials just before a refresh may still reach AWS a little later. */
export const HANDOFF_SLACK_MS = 2 * 60_000;
/** Above this many states in one step the rule gives up on the service account (it never guesses). */
export const MAX_STATES = 20_000;

export interface LineageExchange {
  /** The exchange's eventID. */
  id: string;
  atMs: number;
  /** Time of the last call made with the credentials it issued (its own time when never used). */
  lastUseMs: number;
  /** Pods that may have made it (their keys), or null when it may come from anywhere (it then constrains nothing). */
  domain: string[] | null;
  /**
   * The credential holder's own name when the SDK keeps one per process (botocore's and the Java SDK's default
   * session names carry the process's start time): one process's sessions never overlap in use.
   */
  holder?: string | null;
}

/**
 * Two sessions in use at the same time under one process's session name: two processes started in the same
 * second (a server forking its workers, each with its own credentials) — the one-holder-per-pod assumption fails.
 */
function severalHoldersPerName(exchanges: LineageExchange[]): boolean {
  const byHolder = new Map<string, LineageExchange[]>();
  for (const x of exchanges) {
    if (!x.holder || !x.domain) continue;
    const list = byHolder.get(x.holder);
    if (list) list.push(x);
    else byHolder.set(x.holder, [x]);
  }
  for (const list of byHolder.values()) {
    list.sort((a, b) => a.atMs - b.atMs);
    for (let i = 1; i < list.length; i++) if (list[i - 1]!.lastUseMs - HANDOFF_SLACK_MS > list[i]!.atMs) return true;
  }
  return false;
}

/** Per pod with a session still in use: the time until which it cannot exchange again. Sorted, as a map key. */
type State = string;

function encode(busy: Map<string, number>): State {
  return [...busy.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([p, t]) => `${p}\u0000${t}`)
    .join('\u0001');
}

function decode(s: State): Map<string, number> {
  const m = new Map<string, number>();
  if (s === '') return m;
  for (const part of s.split('\u0001')) {
    const [p, t] = part.split('\u0000') as [string, string];
    m.set(p, Number(t));
  }
  return m;
}

/**
 * The pods each exchange can have come from (by exchange id), or null when no consistent assignment exists or the
 * search is too large. Exchanges with a null domain are absent from the result.
 */
export function lineageFeasible(exchanges: LineageExchange[]): Map<string, Set<string>> | null {
  if (severalHoldersPerName(exchanges)) return null;
  const order = [...exchanges].sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Forward: the states reachable after each exchange, and every transition taken.
  const transitions: { from: State; pod: string | null; to: State }[][] = [];
  let layer = new Set<State>(['']);
  for (const x of order) {
    const next = new Set<State>();
    const taken: { from: State; pod: string | null; to: State }[] = [];
    for (const from of layer) {
      const busy = decode(from);
      // Sessions no longer in use by now never constrain a later exchange: drop them (fewer distinct states).
      for (const [p, until] of busy) if (until <= x.atMs) busy.delete(p);
      for (const pod of x.domain ?? [null]) {
        if (pod !== null && busy.has(pod)) continue; // that pod's session was still in use after this exchange
        const after = new Map(busy);
        if (pod !== null) after.set(pod, x.lastUseMs - HANDOFF_SLACK_MS);
        const to = encode(after);
        next.add(to);
        taken.push({ from, pod, to });
      }
    }
    if (next.size === 0 || next.size > MAX_STATES) return null;
    transitions.push(taken);
    layer = next;
  }
  // Backward: keep what can be completed; the pods on kept transitions are the feasible ones.
  const out = new Map<string, Set<string>>();
  let completable = layer;
  for (let k = order.length - 1; k >= 0; k--) {
    const before = new Set<State>();
    const pods = new Set<string>();
    for (const t of transitions[k]!) {
      if (!completable.has(t.to)) continue;
      before.add(t.from);
      if (t.pod !== null) pods.add(t.pod);
    }
    if (order[k]!.domain) out.set(order[k]!.id, pods);
    completable = before;
  }
  return out;
}
