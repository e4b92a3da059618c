/**
 * Trace → graph elements: the event, one node per credential in its chain (with the STS call that issued it),
 * and the root it resolves to (service account, pod, node, cluster; or a user, SSO user, service); past the pod,
 * the people (each action, the person, their own key's chain to its root: `trace.people`). Every edge carries the
 * hops (indexes into trace.hops, or past the pod the person's own hops) that establish it — so it lists exactly the
 * records `podtrail trace` cites for them — and one confidence word: that of the hop that decides it. Pure: the
 * drawing component only draws this and reports clicks.
 */
import type { BlastKind, HopView, PeopleView, PersonCredentialView, TraceView } from '../../../shared/api';
import type { ChainLink, Confidence, Mechanism, PodActorAction } from '../../../shared/attribution';
import { selectPeople } from '../../../shared/people';
import { weakest, ruleWords } from './confidence';
import { arnAccount, arnTail, ellipsize, formatCount, formatTime, shortSource, shown } from './format';

export type NodeKind =
  | 'event'
  | 'session'
  | 'serviceAccount'
  | 'pod'
  | 'node'
  | 'cluster'
  | 'principal'
  | 'person'
  | 'action'
  | 'more'
  | 'unknown'
  | 'blastBand'
  | 'blastGroup';
export type EdgeKind = 'chain' | 'candidate' | 'blast' | 'actor' | 'more';

export interface ExpandSpec {
  kind: BlastKind;
  value: string;
  cluster?: string;
}

export interface GraphNodeData {
  id: string;
  kind: NodeKind;
  /** Lines joined by "\n": a small kind tag first, then the value. */
  label: string;
  /** Everything, unabridged (tooltip, detail pane). */
  title: string;
  w: number;
  h: number;
  confidence?: Confidence;
  /** What `blast.radius` to load when the node is expanded. */
  expand?: ExpandSpec;
  /** A candidate among several (ambiguous): drawn lighter. */
  candidate?: boolean;
  /** The chain link this node stands for (session nodes). */
  link?: ChainLink;
  /** Hops that describe the node itself (a credential's issuing call). */
  hops?: number[];
  /** Past the pod: the node's own hops when they are a person's (see GraphEdgeData.peopleHops). */
  peopleHops?: HopView[];
  /** Compound parent (a blast group sits in its expansion's band). */
  parent?: string;
  /** Blast groups: which expansion and which rows. */
  blast?: { anchor: string; eventIDs: string[]; errors: number };
  [key: string]: unknown;
}

export interface GraphEdgeData {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
  /** Drawn on the canvas: the deciding rule's words and the confidence word (or the candidate's score). */
  label: string;
  /** The one confidence word of the step: that of the hop that decides it (`decisive`); the attribution's when no hop does. */
  confidence: Confidence;
  /** What the step rests on, in words (the deciding hop's rule), without the confidence word. */
  rule: string | null;
  /** Indexes into trace.hops: the hops that decide the step first, then the others cited for it. */
  hops: number[];
  /** How many of `hops` (from the start) decide the step: their confidence is the step's. */
  decisive: number;
  /** Fields of the traced event's own record that this edge rests on (e.g. the key it was signed with). */
  selfFields: string[];
  /**
   * Past the pod (the people, `trace.people`): the step's hops themselves — the audit event of an action, the key a
   * person's request carried and its chain — which are not hops of this event's trace. When set, `hops` is empty and
   * `decisive` counts from the start of these.
   */
  peopleHops?: HopView[];
  score?: number;
  why?: string;
  [key: string]: unknown;
}

export type GraphElement = { group: 'nodes'; data: GraphNodeData } | { group: 'edges'; data: GraphEdgeData };

const CHAR_W = 6.1;
const LINE_H = 13;

/** Node box sized to its label (monospace-ish estimate; the canvas wraps nothing). */
export function nodeBox(label: string): { w: number; h: number } {
  const lines = label.split('\n');
  const longest = Math.max(...lines.map((l) => l.length));
  return { w: Math.round(Math.max(64, longest * CHAR_W + 18)), h: lines.length * LINE_H + 12 };
}

function node(id: string, kind: NodeKind, lines: string[], title: string, extra: Partial<GraphNodeData> = {}): GraphElement {
  const label = lines.map((l) => ellipsize(shown(l), 34)).join('\n');
  return { group: 'nodes', data: { id, kind, label, title: shown(title), ...nodeBox(label), ...extra } };
}

function edgeLabel(confidence: Confidence, rule: string | null, score?: number): string {
  if (score !== undefined) return `${confidence} ${score.toFixed(2)}`;
  return rule ? `${rule}\n${confidence}` : confidence;
}

/**
 * The confidence word of a step and the order of its hops. `want` is what the attribution says of the step; the
 * hops whose confidence is that word decide it (`prefer` names the rule to read first among them). When no hop
 * has it, the records' own word wins: the weakest of them (a step is as strong as its weakest proof). Hops of
 * another confidence stay on the step, after the deciding ones: every record `trace` cites for it is listed.
 */
function settle(hops: readonly HopView[], idx: number[], want: Confidence, fallbackRule: string | null, prefer: readonly string[] = []) {
  if (idx.length === 0) return { confidence: want, rule: fallbackRule, hops: [] as number[], decisive: 0 };
  const confidence = idx.some((i) => hops[i]!.confidence === want) ? want : weakest(idx.map((i) => hops[i]!.confidence));
  const rank = (i: number) => {
    const r = prefer.indexOf(hops[i]!.rule);
    return r < 0 ? prefer.length : r;
  };
  const deciding = idx.filter((i) => hops[i]!.confidence === confidence).sort((a, b) => rank(a) - rank(b) || a - b);
  const others = idx.filter((i) => !deciding.includes(i));
  return { confidence, rule: ruleWords(hops[deciding[0]!]!.rule), hops: [...deciding, ...others], decisive: deciding.length };
}

const PRINCIPAL_TAG: Record<Mechanism, string> = {
  'pod-identity': 'PRINCIPAL',
  irsa: 'PRINCIPAL',
  'node-role': 'PRINCIPAL',
  'iam-user': 'IAM USER',
  sso: 'SSO USER',
  saml: 'SAML USER',
  'aws-service': 'AWS SERVICE',
  root: 'ROOT USER',
  'assumed-role': 'ROLE SESSION',
  unknown: 'UNKNOWN',
};

/** "carol@x via IAM Identity Center (…)" → "carol@x"; ARNs keep their resource path. */
function principalName(p: string): string {
  const via = p.indexOf(' via ');
  const head = via > 0 ? p.slice(0, via) : p;
  const m = /^arn:[^:]*:(?:iam|sts)::\d{12}:(.+)$/.exec(head);
  return m ? m[1]! : head;
}

const isK8s = (m: Mechanism) => m === 'pod-identity' || m === 'irsa';

export function graphElements(trace: TraceView, people: PeopleView | null = null): GraphElement[] {
  const r = trace.resolution;
  const hops = trace.hops;
  const out: GraphElement[] = [];
  const edges: GraphEdgeData[] = [];
  const used = new Set<number>();
  const chain = r.chain;

  /**
   * An edge and its hops: `want` is what the attribution says of the step, `fallback` names the step when no hop
   * does; the confidence word and the hops' order come from `settle`.
   */
  const addEdge = (
    source: string,
    target: string,
    idx: number[],
    want: Confidence,
    e: Partial<Pick<GraphEdgeData, 'kind' | 'score' | 'why' | 'selfFields'>> & { fallback?: string | null; prefer?: string[] } = {},
  ) => {
    const { fallback = null, prefer = [], ...rest } = e;
    const s = settle(hops, idx, want, fallback === null ? null : ruleWords(fallback), prefer);
    const data: GraphEdgeData = {
      id: `${source}->${target}`,
      source,
      target,
      kind: 'chain',
      selfFields: [],
      ...rest,
      confidence: s.confidence,
      rule: s.rule,
      hops: s.hops,
      decisive: s.decisive,
      label: edgeLabel(s.confidence, s.rule, rest.score),
    };
    edges.push(data);
    return data;
  };
  const hopsWhere = (pred: (h: HopView, i: number) => boolean, claim = true): number[] => {
    const idx: number[] = [];
    hops.forEach((h, i) => {
      if ((!claim || !used.has(i)) && pred(h, i)) idx.push(i);
    });
    if (claim) for (const i of idx) used.add(i);
    return idx;
  };
  const confOf = (idx: number[], fallback: Confidence) => weakest(idx.map((i) => hops[i]!.confidence), fallback);

  /** A step past the pod: its hops are a person's (`trace.people`), carried on the edge (`peopleHops`). */
  const addPeopleEdge = (
    source: string,
    target: string,
    list: readonly HopView[],
    want: Confidence,
    e: { kind?: EdgeKind; fallback?: string; prefer?: string[] } = {},
  ) => {
    const s = settle(list, list.map((_, i) => i), want, e.fallback ? ruleWords(e.fallback) : null, e.prefer);
    edges.push({
      id: `${source}->${target}`,
      source,
      target,
      kind: e.kind ?? 'chain',
      selfFields: [],
      confidence: s.confidence,
      rule: s.rule,
      hops: [],
      peopleHops: s.hops.map((i) => list[i]!),
      decisive: s.decisive,
      label: edgeLabel(s.confidence, s.rule),
    });
  };

  /**
   * A person's own credential, drawn as an event's chain is: person → the key the audit log names (that naming, and
   * the call that issued the key) → each key it was chained from (role chaining) → the root principal.
   */
  const personChain = (person: string, who: string, c: PersonCredentialView) => {
    const res = c.resolution;
    const links: ChainLink[] = res && res.chain.length > 0 ? res.chain : [{ accessKeyId: c.accessKeyId, issuedBy: null }];
    const ids = links.map((l, i) => `pkey:${who}:${i}:${l.accessKeyId}`);
    const issuedAt = (h: HopView) => links.findIndex((l) => l.issuedBy !== null && h.evidence.includes(l.issuedBy.eventID));
    const placed = new Set<HopView>();
    const take = (pred: (h: HopView) => boolean) => c.hops.filter((h) => !placed.has(h) && pred(h) && placed.add(h));
    links.forEach((l, i) => {
      if (out.some((el) => el.data.id === ids[i])) return;
      out.push(sessionNode(ids[i]!, l, { peopleHops: c.hops.filter((h) => h.rule === 'key-issuance' && issuedAt(h) === i) }));
    });
    const first = [c.named, ...take((h) => h.rule === 'key-outside-window' || (h.rule === 'key-issuance' && issuedAt(h) === 0))];
    addPeopleEdge(person, ids[0]!, first, weakest(first.map((h) => h.confidence)), { prefer: ['key-issuance', 'key-outside-window'] });
    for (let i = 0; i + 1 < links.length; i++) {
      const idx = take((h) => (h.rule === 'role-chain' && issuedAt(h) === i) || (h.rule === 'key-issuance' && issuedAt(h) === i + 1));
      addPeopleEdge(ids[i]!, ids[i + 1]!, idx, weakest(idx.map((h) => h.confidence), 'proven'), { prefer: ['role-chain'] });
    }
    if (!res) return;
    const root = `proot:${who}:${res.principal ?? '?'}`;
    if (!out.some((el) => el.data.id === root)) out.push(rootNode(root, res.mechanism, res.principal, res.confidence.identity));
    // The root, and every hop not placed above (none is dropped).
    const idx = [...take((h) => h.rule === 'principal'), ...take(() => true)];
    const conf = idx.length ? weakest([res.confidence.identity, ...idx.map((h) => h.confidence)]) : res.confidence.identity;
    addPeopleEdge(ids[ids.length - 1]!, root, idx, conf, { fallback: res.confidence.identity === 'none' ? 'issuer missing' : undefined, prefer: ['principal'] });
  };

  // --- source: the event (or the key when a key was traced) -----------------------------------------
  const ev = trace.event;
  if (ev) {
    out.push(
      node('event', 'event', ['EVENT', ev.eventName, `${shortSource(ev.eventSource)} · ${formatTime(ev.eventTime)}`], `${ev.eventName} (${ev.eventSource}) at ${ev.eventTime}\neventID ${ev.eventID}${ev.sourceIPAddress ? `\nfrom ${ev.sourceIPAddress}` : ''}`),
    );
  }

  // --- one node per credential of the chain ----------------------------------------------------------
  const sessionIds = chain.map((l, i) => `key:${i}:${l.accessKeyId}`);
  chain.forEach((l, i) => out.push(sessionNode(sessionIds[i]!, l)));

  const issuedIndex = (h: HopView) => chain.findIndex((l) => l.issuedBy !== null && h.evidence.includes(l.issuedBy.eventID));
  // Each credential node also lists the hop that proves its issuing call (shown when the node is clicked).
  out.forEach((el) => {
    if (el.group !== 'nodes' || el.data.kind !== 'session') return;
    const i = sessionIds.indexOf(el.data.id);
    el.data.hops = hopsWhere((h) => h.rule === 'key-issuance' && issuedIndex(h) === i, false);
  });
  // event → first credential: the key the event was signed with, and the call that issued it.
  if (ev && chain.length > 0) {
    const idx = hopsWhere(
      (h) =>
        h.rule === 'key-outside-window' ||
        (h.rule === 'key-issuance' && issuedIndex(h) === 0) ||
        (h.rule === 'principal' && h.fields.includes('sharedEventID')),
    );
    addEdge('event', sessionIds[0]!, idx, confOf(idx, 'proven'), { selfFields: ['userIdentity.accessKeyId'], fallback: 'signed with' });
  }
  // credential i → credential i+1: the call that issued key i was made with key i+1 (role chaining).
  for (let i = 0; i + 1 < chain.length; i++) {
    const idx = hopsWhere((h) => (h.rule === 'role-chain' && issuedIndex(h) === i) || (h.rule === 'key-issuance' && issuedIndex(h) === i + 1));
    addEdge(sessionIds[i]!, sessionIds[i + 1]!, idx, confOf(idx, 'proven'), { prefer: ['role-chain'] });
  }
  const last = sessionIds[sessionIds.length - 1] ?? (ev ? 'event' : null);
  if (!last) return out;
  // A traced key (no event) still has its own issuance hop: it stays on the key's node (edge-less).

  // --- the root ------------------------------------------------------------------------------------
  const clusterName = r.cluster?.name ?? null;
  const clusterNode = () => {
    if (!r.cluster) return null;
    const c = r.cluster;
    out.push(
      node('cluster', 'cluster', ['CLUSTER', c.name ?? `OIDC ${c.oidcId ?? '?'}`, ...(c.name ? [] : ['(no record names it)'])], [c.name && `cluster ${c.name}`, c.arn, c.oidcId && `OIDC id ${c.oidcId}`].filter(Boolean).join('\n')),
    );
    return 'cluster';
  };

  if (isK8s(r.mechanism)) {
    const sa = r.namespace && r.serviceAccount ? `${r.namespace}/${r.serviceAccount}` : null;
    out.push(
      node('sa', sa ? 'serviceAccount' : 'unknown', ['SERVICE ACCOUNT', sa ?? '?'], sa ? `service account ${sa}${r.principal ? `\n${r.principal}` : ''}` : 'the service account is not established', {
        confidence: r.confidence.identity,
        ...(sa ? { expand: { kind: 'serviceAccount' as const, value: sa, ...(clusterName ? { cluster: clusterName } : {}) } } : {}),
      }),
    );
    const idIdx = hopsWhere((h) => h.rule === 'irsa-subject' || h.rule === 'pod-identity-tags' || h.rule === 'pod-identity-association', false);
    for (const i of idIdx) used.add(i);
    addEdge(last, 'sa', idIdx, r.confidence.identity);

    const cl = clusterNode();
    if (cl) {
      const cIdx = hopsWhere((h) => h.rule === 'irsa-cluster' || h.rule === 'pod-identity-tags' || (h.rule === 'pod-identity-session-name' && h.confidence !== 'none'), false);
      for (const i of cIdx) used.add(i);
      addEdge('sa', cl, cIdx, confOf(cIdx, r.cluster?.name ? r.confidence.identity : 'none'));
    }

    // Pods: the one named, the candidates, or "?". IRSA's pod comes from the audit timeline (irsa-pod: the pod's
    // creation, binding, kubelet token, status with its IP, and the records that tie its node to the cluster).
    const podIdx = hopsWhere((h) => h.rule === 'irsa-pod' || h.rule === 'pod-identity-session-name' || (h.rule === 'pod-identity-tags' && r.pod !== null), false);
    for (const i of podIdx) used.add(i);
    const podCands = r.candidates.filter((c) => c.pod && (!r.pod || c.pod.name !== r.pod.name));
    const podIds: string[] = [];
    const podNode = (id: string, name: string, truncated: boolean, extra: Partial<GraphNodeData>) =>
      node(id, 'pod', ['POD', truncated ? `${name}… (prefix)` : name], `pod ${name}${truncated ? ' (only a truncated prefix is known)' : ''}`, {
        ...extra,
        ...(truncated ? {} : { expand: { kind: 'pod' as const, value: name, ...(clusterName ? { cluster: clusterName } : {}) } }),
      });
    if (r.pod) {
      out.push(podNode('pod', r.pod.name, r.pod.nameTruncated === true, { confidence: r.confidence.pod, title: `pod ${r.pod.name}${r.pod.uid ? `\nuid ${r.pod.uid}` : ''}` }));
      addEdge('sa', 'pod', podIdx, r.confidence.pod, { prefer: ['irsa-pod'] });
      podIds.push('pod');
    } else if (podCands.length > 0) {
      const seen = new Set<string>();
      for (const c of podCands) {
        if (seen.has(c.pod!.name)) continue;
        seen.add(c.pod!.name);
        const id = `pod:${c.pod!.name}`;
        out.push(podNode(id, c.pod!.name, c.pod!.nameTruncated === true, { confidence: 'ambiguous', candidate: true }));
        addEdge('sa', id, podIdx, 'ambiguous', { kind: 'candidate', score: c.score, why: c.why, prefer: ['irsa-pod'] });
        podIds.push(id);
      }
    } else {
      out.push(node('pod', 'unknown', ['POD', '?'], r.mechanism === 'irsa' ? 'IRSA names the service account, not the pod' : 'the pod is not established', { confidence: 'none' }));
      addEdge('sa', 'pod', podIdx, r.confidence.pod);
      podIds.push('pod');
    }

    // Nodes: the one matched, the candidates (scored), or "?". The pod's scheduler binding (pod-identity-binding,
    // for IRSA and Pod Identity pods alike) decides the node when it is there; the eks-auth time match
    // (pod-identity-node) is listed with it. IRSA candidates' nodes come from the bindings the irsa-pod hop cites.
    const nodeIdx = hopsWhere((h) => h.rule === 'pod-identity-node' || h.rule === 'pod-identity-binding');
    const candidateNodeIdx = nodeIdx.length > 0 ? nodeIdx : podIdx.filter((i) => hops[i]!.rule === 'irsa-pod');
    const preferNode = ['pod-identity-binding'];
    const from = podIds.length === 1 ? podIds[0]! : 'sa';
    const nodeCands = r.candidates.filter((c) => c.node?.instanceId);
    if (r.node?.instanceId) {
      out.push(nodeNode(`node:${r.node.instanceId}`, r.node.instanceId, r.node.name, { confidence: r.confidence.node }));
      addEdge(from, `node:${r.node.instanceId}`, nodeIdx, r.confidence.node, { prefer: preferNode });
    } else if (nodeCands.length > 0) {
      const seen = new Set<string>();
      for (const c of nodeCands) {
        const id = `node:${c.node!.instanceId}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(nodeNode(id, c.node!.instanceId!, c.node!.name, { confidence: 'ambiguous', candidate: true }));
        const src = c.pod && podIds.includes(`pod:${c.pod.name}`) ? `pod:${c.pod.name}` : from;
        addEdge(src, id, candidateNodeIdx, 'ambiguous', { kind: 'candidate', score: c.score, why: c.why, prefer: preferNode });
      }
    } else {
      out.push(node('node', 'unknown', ['NODE', '?'], r.mechanism === 'irsa' ? 'IRSA does not name the node' : 'the node is not established', { confidence: 'none' }));
      addEdge(from, 'node', nodeIdx, r.confidence.node, { prefer: preferNode });
    }

    // Past the pod, the people (EKS audit log, `podActors`; shared/people.ts picks whom, `people` — the answer of
    // `trace.people` — gives their records): pod → each action (what and when: its audit event) → the person (who:
    // the audit event's user, resolved to the AWS principal; the event's `actor` is marked) → the access key their
    // requests carried → its chain to the root, as an API event's key is drawn. Past the cap, "+N more".
    const att = trace.attribution ?? r;
    const pick = selectPeople(att.podActors, att.actor);
    const podOf = (a: PodActorAction): string => {
      if (a.action === 'token') return 'sa';
      const named = /^pod [^/]+\/(.+)$/.exec(a.target)?.[1];
      if (named && podIds.includes(`pod:${named}`)) return `pod:${named}`;
      return from;
    };
    for (const p of pick.people) {
      const view = people?.people.find((x) => x.who === p.who);
      const id = `person:${p.who}`;
      const lines = p.actions.map((a) => `${a.time} ${a.action} ${a.target} by ${a.kubernetesUser} (audit ${a.auditID})`);
      const moreActions = p.moreActions > 0 ? [`+${formatCount(p.moreActions)} more action${p.moreActions === 1 ? '' : 's'}`] : [];
      out.push(
        node(id, 'person', [p.actor ? 'ACTOR' : 'PERSON', principalName(p.who), ...moreActions], [p.who, ...(p.actor ? [`most plausibly made this call: ${att.actor!.why}`] : []), ...lines, ...moreActions.map((m) => `${m} on the pod (all under People in the detail pane)`)].join('\n'), {
          confidence: weakest(p.actions.map((a) => a.confidence)),
        }),
      );
      for (const a of p.actions) {
        const v = view?.actions.find((x) => x.action.auditID === a.auditID && x.action.action === a.action);
        const aid = `action:${a.auditID}:${a.action}`;
        out.push(
          node(aid, 'action', [a.action.toUpperCase(), formatTime(a.time)], `${a.action} ${a.target}\nby ${a.kubernetesUser}\nat ${a.time}\naudit ${a.auditID}\n${a.why}`, {
            confidence: v?.what.confidence ?? a.confidence,
          }),
        );
        addPeopleEdge(podOf(a), aid, v ? [v.what] : [], a.confidence, { kind: 'actor', fallback: 'pod-action' });
        addPeopleEdge(aid, id, v ? [v.who] : [], a.confidence, { kind: 'actor', fallback: 'audit-user' });
      }
      for (const c of view?.credentials ?? []) personChain(id, p.who, c);
    }
    if (pick.more > 0) {
      out.push(node('more:people', 'more', [`+${formatCount(pick.more)} MORE`, pick.more === 1 ? 'person' : 'people'], `${formatCount(pick.more)} more ${pick.more === 1 ? 'person' : 'people'} acted on this pod: not drawn, all are listed under People in the detail pane`));
      edges.push({ id: `${from}->more:people`, source: from, target: 'more:people', kind: 'more', label: '', confidence: 'none', rule: null, hops: [], decisive: 0, selfFields: [] });
    }
  } else if (r.mechanism === 'node-role' && r.node?.instanceId) {
    const id = `node:${r.node.instanceId}`;
    out.push(nodeNode(id, r.node.instanceId, r.node.name, { confidence: r.confidence.node }));
    const idx = hopsWhere((h) => h.rule === 'node-instance-session');
    addEdge(last, id, idx, r.confidence.node, { fallback: 'node-instance-session' });
    const cl = clusterNode();
    if (cl) {
      const cIdx = hopsWhere((h) => h.rule === 'principal' && !h.fields.includes('sharedEventID'));
      addEdge(id, cl, cIdx, confOf(cIdx, 'none'));
    }
  } else {
    const idx = hopsWhere((h) => h.rule === 'principal' && !h.fields.includes('sharedEventID'));
    out.push(rootNode('principal', r.mechanism, r.principal, r.confidence.identity));
    const c = idx.length ? weakest([r.confidence.identity, confOf(idx, 'proven')]) : r.confidence.identity;
    addEdge(last, 'principal', idx, c, { fallback: r.confidence.identity === 'none' ? 'issuer missing' : null });
  }

  // Hops not placed above (a rule this UI does not know yet) hang on the edge into the root, never dropped.
  const onNodes = new Set(out.flatMap((el) => (el.group === 'nodes' ? (el.data.hops ?? []) : [])));
  const rest = hops.map((_, i) => i).filter((i) => !used.has(i) && !onNodes.has(i) && !edges.some((e) => e.hops.includes(i)));
  const into = edges.find((e) => e.source === last) ?? edges[edges.length - 1];
  if (into && rest.length) into.hops = [...into.hops, ...rest];

  for (const e of edges) out.push({ group: 'edges', data: e });
  return out;
}

/** A credential of a chain: its key, and the call that issued it (into which role, in which account). */
function sessionNode(id: string, l: ChainLink, extra: Partial<GraphNodeData> = {}): GraphElement {
  const longTerm = l.accessKeyId.startsWith('AKIA');
  const role = l.issuedBy?.roleArn ?? null;
  const issued = l.issuedBy
    ? [l.issuedBy.eventName, ...(role ? [`→ ${arnTail(role)}`] : []), ...(role && arnAccount(role) ? [`account ${arnAccount(role)}`] : [])]
    : [longTerm ? 'long-term access key' : 'issuing call', 'not in bundle'];
  return node(id, 'session', [longTerm ? 'ACCESS KEY' : 'SESSION', l.accessKeyId, ...issued], `${l.accessKeyId}\n${l.issuedBy ? `issued by ${l.issuedBy.eventName} ${l.issuedBy.eventID}${l.issuedBy.roleArn ? `\ninto ${l.issuedBy.roleArn}` : ''}` : 'the call that issued it is not in the bundle'}`, {
    link: l,
    expand: { kind: 'session', value: l.accessKeyId },
    ...extra,
  });
}

/** The root a chain resolves to when it is not a workload: a user, an SSO user, a service, root. */
function rootNode(id: string, mechanism: Mechanism, principal: string | null, identity: Confidence): GraphElement {
  const stops = identity === 'none';
  return node(id, stops && !principal ? 'unknown' : 'principal', [PRINCIPAL_TAG[mechanism], principal ? principalName(principal) : 'not in the bundle'], principal ?? 'the evidence does not reach the root credential', {
    confidence: identity,
  });
}

function nodeNode(id: string, instanceId: string, name: string | null, extra: Partial<GraphNodeData>): GraphElement {
  return node(id, 'node', ['NODE', instanceId, ...(name ? [name] : [])], `EC2 instance ${instanceId}${name ? `\n${name}` : ''}`, {
    ...extra,
    expand: { kind: 'node', value: instanceId },
  });
}

/** The fields of the traced event's own record that the attribution rests on (highlighted in its raw text). */
export function eventRecordFields(trace: TraceView): string[] {
  const fields = new Set<string>();
  if (trace.event?.accessKeyId) fields.add('userIdentity.accessKeyId');
  const own = trace.event?.eventID;
  for (const h of trace.hops) {
    // Hops without evidence records read the event's own identity (principal, a node session named in it).
    if (h.evidence.length === 0 || (own && h.evidence.includes(own))) for (const f of h.fields) fields.add(f);
  }
  return [...fields];
}
