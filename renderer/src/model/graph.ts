/**
 * Trace → graph elements: the event, one node per credential in its chain (with the STS call that issued it),
 * and the root it resolves to (service account, pod, node, cluster; or a user, SSO user, service). Every edge
 * carries the hops (indexes into trace.hops) that establish it and how it is known. Pure: the drawing component
 * only draws this and reports clicks.
 */
import type { BlastKind, HopView, TraceView } from '../../../shared/api';
import type { ChainLink, Confidence, Mechanism } from '../../../shared/attribution';
import { weakest, ruleWords } from './confidence';
import { arnAccount, arnTail, ellipsize, formatTime, shortSource, shown } from './format';

export type NodeKind = 'event' | 'session' | 'serviceAccount' | 'pod' | 'node' | 'cluster' | 'principal' | 'unknown' | 'blastBand' | 'blastGroup';
export type EdgeKind = 'chain' | 'candidate' | 'blast';

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
  label: string;
  confidence: Confidence;
  /** Indexes into trace.hops. */
  hops: number[];
  /** Fields of the traced event's own record that this edge rests on (e.g. the key it was signed with). */
  selfFields: string[];
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
  return rule ? `${ruleWords(rule)}\n${confidence}` : confidence;
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

export function graphElements(trace: TraceView): GraphElement[] {
  const r = trace.resolution;
  const hops = trace.hops;
  const out: GraphElement[] = [];
  const edges: GraphEdgeData[] = [];
  const used = new Set<number>();
  const chain = r.chain;

  const addEdge = (source: string, target: string, e: Partial<GraphEdgeData> & { confidence: Confidence }) => {
    const data: GraphEdgeData = { id: `${source}->${target}`, source, target, kind: 'chain', label: '', hops: [], selfFields: [], ...e };
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
  const firstRule = (idx: number[]) => (idx.length ? hops[idx[0]!]!.rule : null);

  // --- source: the event (or the key when a key was traced) -----------------------------------------
  const ev = trace.event;
  if (ev) {
    out.push(
      node('event', 'event', ['EVENT', ev.eventName, `${shortSource(ev.eventSource)} · ${formatTime(ev.eventTime)}`], `${ev.eventName} (${ev.eventSource}) at ${ev.eventTime}\neventID ${ev.eventID}${ev.sourceIPAddress ? `\nfrom ${ev.sourceIPAddress}` : ''}`),
    );
  }

  // --- one node per credential of the chain ----------------------------------------------------------
  const sessionIds = chain.map((l, i) => `key:${i}:${l.accessKeyId}`);
  chain.forEach((l, i) => {
    const longTerm = l.accessKeyId.startsWith('AKIA');
    const role = l.issuedBy?.roleArn ?? null;
    const issued = l.issuedBy
      ? [l.issuedBy.eventName, ...(role ? [`→ ${arnTail(role)}`] : []), ...(role && arnAccount(role) ? [`account ${arnAccount(role)}`] : [])]
      : [longTerm ? 'long-term access key' : 'issuing call', 'not in bundle'];
    out.push(
      node(sessionIds[i]!, 'session', [longTerm ? 'ACCESS KEY' : 'SESSION', l.accessKeyId, ...issued], `${l.accessKeyId}\n${l.issuedBy ? `issued by ${l.issuedBy.eventName} ${l.issuedBy.eventID}${l.issuedBy.roleArn ? `\ninto ${l.issuedBy.roleArn}` : ''}` : 'the call that issued it is not in the bundle'}`, {
        link: l,
        expand: { kind: 'session', value: l.accessKeyId },
      }),
    );
  });

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
    addEdge('event', sessionIds[0]!, { confidence: confOf(idx, 'proven'), hops: idx, selfFields: ['userIdentity.accessKeyId'], label: edgeLabel(confOf(idx, 'proven'), firstRule(idx) ?? 'signed with') });
  }
  // credential i → credential i+1: the call that issued key i was made with key i+1 (role chaining).
  for (let i = 0; i + 1 < chain.length; i++) {
    const idx = hopsWhere((h) => (h.rule === 'role-chain' && issuedIndex(h) === i) || (h.rule === 'key-issuance' && issuedIndex(h) === i + 1));
    const c = confOf(idx, 'proven');
    addEdge(sessionIds[i]!, sessionIds[i + 1]!, { confidence: c, hops: idx, label: edgeLabel(c, idx.some((j) => hops[j]!.rule === 'role-chain') ? 'role-chain' : firstRule(idx)) });
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
    addEdge(last, 'sa', { confidence: r.confidence.identity, hops: idIdx, label: edgeLabel(r.confidence.identity, firstRule(idIdx)) });

    const cl = clusterNode();
    if (cl) {
      const cIdx = hopsWhere((h) => h.rule === 'irsa-cluster' || h.rule === 'pod-identity-tags' || (h.rule === 'pod-identity-session-name' && h.confidence !== 'none'), false);
      for (const i of cIdx) used.add(i);
      const c = confOf(cIdx, r.cluster?.name ? r.confidence.identity : 'none');
      addEdge('sa', cl, { confidence: c, hops: cIdx, label: edgeLabel(c, firstRule(cIdx)) });
    }

    // Pods: the one named, the candidates, or "?".
    const podIdx = hopsWhere((h) => h.rule === 'pod-identity-session-name' || (h.rule === 'pod-identity-tags' && r.pod !== null), false);
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
      addEdge('sa', 'pod', { confidence: r.confidence.pod, hops: podIdx, label: edgeLabel(r.confidence.pod, firstRule(podIdx)) });
      podIds.push('pod');
    } else if (podCands.length > 0) {
      const seen = new Set<string>();
      for (const c of podCands) {
        if (seen.has(c.pod!.name)) continue;
        seen.add(c.pod!.name);
        const id = `pod:${c.pod!.name}`;
        out.push(podNode(id, c.pod!.name, c.pod!.nameTruncated === true, { confidence: 'ambiguous', candidate: true }));
        addEdge('sa', id, { kind: 'candidate', confidence: 'ambiguous', hops: podIdx, score: c.score, why: c.why, label: edgeLabel('ambiguous', null, c.score) });
        podIds.push(id);
      }
    } else {
      out.push(node('pod', 'unknown', ['POD', '?'], r.mechanism === 'irsa' ? 'IRSA names the service account, not the pod' : 'the pod is not established', { confidence: 'none' }));
      addEdge('sa', 'pod', { confidence: r.confidence.pod, hops: podIdx, label: edgeLabel(r.confidence.pod, firstRule(podIdx)) });
      podIds.push('pod');
    }

    // Nodes: the one matched, the candidates (scored), or "?".
    const nodeIdx = hopsWhere((h) => h.rule === 'pod-identity-node');
    const from = podIds.length === 1 ? podIds[0]! : 'sa';
    const nodeCands = r.candidates.filter((c) => c.node?.instanceId);
    if (r.node?.instanceId) {
      out.push(nodeNode(`node:${r.node.instanceId}`, r.node.instanceId, r.node.name, { confidence: r.confidence.node }));
      addEdge(from, `node:${r.node.instanceId}`, { confidence: r.confidence.node, hops: nodeIdx, label: edgeLabel(r.confidence.node, firstRule(nodeIdx)) });
    } else if (nodeCands.length > 0) {
      const seen = new Set<string>();
      for (const c of nodeCands) {
        const id = `node:${c.node!.instanceId}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(nodeNode(id, c.node!.instanceId!, c.node!.name, { confidence: 'ambiguous', candidate: true }));
        const src = c.pod && podIds.includes(`pod:${c.pod.name}`) ? `pod:${c.pod.name}` : from;
        addEdge(src, id, { kind: 'candidate', confidence: 'ambiguous', hops: nodeIdx, score: c.score, why: c.why, label: edgeLabel('ambiguous', null, c.score) });
      }
    } else {
      out.push(node('node', 'unknown', ['NODE', '?'], r.mechanism === 'irsa' ? 'IRSA does not name the node' : 'the node is not established', { confidence: 'none' }));
      addEdge(from, 'node', { confidence: r.confidence.node, hops: nodeIdx, label: edgeLabel(r.confidence.node, firstRule(nodeIdx)) });
    }
  } else if (r.mechanism === 'node-role' && r.node?.instanceId) {
    const id = `node:${r.node.instanceId}`;
    out.push(nodeNode(id, r.node.instanceId, r.node.name, { confidence: r.confidence.node }));
    const idx = hopsWhere((h) => h.rule === 'node-instance-session');
    addEdge(last, id, { confidence: r.confidence.node, hops: idx, label: edgeLabel(r.confidence.node, firstRule(idx) ?? 'node-instance-session') });
    const cl = clusterNode();
    if (cl) {
      const cIdx = hopsWhere((h) => h.rule === 'principal' && !h.fields.includes('sharedEventID'));
      const c = confOf(cIdx, 'none');
      addEdge(id, cl, { confidence: c, hops: cIdx, label: edgeLabel(c, firstRule(cIdx)) });
    }
  } else {
    const p = r.principal;
    const idx = hopsWhere((h) => h.rule === 'principal' && !h.fields.includes('sharedEventID'));
    const stops = r.confidence.identity === 'none';
    out.push(
      node('principal', stops && !p ? 'unknown' : 'principal', [PRINCIPAL_TAG[r.mechanism], p ? principalName(p) : 'not in the bundle'], p ?? 'the evidence does not reach the root credential', {
        confidence: r.confidence.identity,
      }),
    );
    const c = idx.length ? weakest([r.confidence.identity, confOf(idx, 'proven')]) : r.confidence.identity;
    addEdge(last, 'principal', { confidence: c, hops: idx, label: edgeLabel(c, firstRule(idx) ?? (stops ? 'issuer missing' : null)) });
  }

  // Hops not placed above (a rule this UI does not know yet) hang on the edge into the root, never dropped.
  const onNodes = new Set(out.flatMap((el) => (el.group === 'nodes' ? (el.data.hops ?? []) : [])));
  const rest = hops.map((_, i) => i).filter((i) => !used.has(i) && !onNodes.has(i) && !edges.some((e) => e.hops.includes(i)));
  const into = edges.find((e) => e.source === last) ?? edges[edges.length - 1];
  if (into && rest.length) into.hops = [...into.hops, ...rest];

  for (const e of edges) out.push({ group: 'edges', data: e });
  return out;
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
