import { describe, expect, it } from 'vitest';
import type { ElementDefinition } from 'cytoscape';
import { eventRecordFields, graphElements, type GraphEdgeData, type GraphElement, type GraphNodeData } from '../../../renderer/src/model/graph';
import { blastElements, groupRows } from '../../../renderer/src/model/blast';
import { iamUser, irsa, missingIssuer, podIdentityChained } from '../fixtures';
import type { EventRowView } from '../../../shared/api';

const nodes = (els: GraphElement[]) => els.filter((e) => e.group === 'nodes').map((e) => e.data as GraphNodeData);
const edges = (els: GraphElement[]) => els.filter((e) => e.group === 'edges').map((e) => e.data as GraphEdgeData);
const edge = (els: GraphElement[], source: string, target: string) => {
  const e = edges(els).find((x) => x.source === source && x.target === target);
  if (!e) throw new Error(`no edge ${source} -> ${target}: ${edges(els).map((x) => `${x.source}->${x.target}`).join(', ')}`);
  return e;
};

describe('graphElements', () => {
  it('shows bidi controls in node labels and titles as \\u{…} (labels are drawn on a canvas, which would reorder them)', () => {
    const t = podIdentityChained();
    t.event!.eventName = 'Get\u202eeulaVterceS';
    const event = nodes(graphElements(t)).find((n) => n.kind === 'event')!;
    expect(event.label).toContain('Get\\u{202e}eulaVterceS');
    expect(event.label + event.title).not.toMatch(/\u202e/);
  });

  it('is usable as cytoscape element definitions', () => {
    const els: ElementDefinition[] = graphElements(podIdentityChained());
    expect(els.length).toBeGreaterThan(0);
  });

  it('draws event → one node per credential → service account → pod → candidate nodes, with the hops behind each edge', () => {
    const t = podIdentityChained();
    const els = graphElements(t);
    const sessions = nodes(els).filter((n) => n.kind === 'session');
    expect(sessions.map((n) => n.link?.accessKeyId)).toEqual(['ASIAKEY0000000000000', 'ASIAKEY1111111111111']);
    expect(sessions[1]!.label).toBe('SESSION\nASIAKEY1111111111111\nAssumeRole\n→ pod-role\naccount 738785454921');
    const [s0, s1] = sessions.map((s) => s.id) as [string, string];

    const e0 = edge(els, 'event', s0);
    expect(e0.hops.map((i) => t.hops[i]!.rule)).toEqual(['key-issuance']);
    expect(e0.selfFields).toEqual(['userIdentity.accessKeyId']);
    expect(e0.confidence).toBe('proven');

    const e1 = edge(els, s0, s1);
    expect(e1.hops.map((i) => t.hops[i]!.rule).sort()).toEqual(['key-issuance', 'role-chain']);
    expect(e1.hops).toContain(2);

    expect(edge(els, s1, 'sa').hops.map((i) => t.hops[i]!.rule)).toEqual(['pod-identity-tags']);
    expect(edge(els, 'sa', 'pod').confidence).toBe('proven');
    expect(edge(els, 'sa', 'cluster').confidence).toBe('proven');
  });

  it('draws ambiguous node candidates as alternative edges with their scores', () => {
    const els = graphElements(podIdentityChained());
    const a = edge(els, 'pod', 'node:i-0aaa');
    const b = edge(els, 'pod', 'node:i-0bbb');
    for (const e of [a, b]) {
      expect(e.kind).toBe('candidate');
      expect(e.confidence).toBe('ambiguous');
    }
    expect(a.score).toBe(0.6);
    expect(a.label).toBe('ambiguous 0.60');
    expect(b.why).toContain('auth-b');
    expect(nodes(els).find((n) => n.id === 'node:i-0bbb')!.expand).toEqual({ kind: 'node', value: 'i-0bbb' });
  });

  it('places every hop somewhere (no proof is dropped)', () => {
    for (const t of [podIdentityChained(), irsa(), iamUser(), missingIssuer()]) {
      const els = graphElements(t);
      const placed = new Set(edges(els).flatMap((e) => e.hops));
      t.hops.forEach((_, i) => expect(placed.has(i), `hop ${i} of ${t.resolution.mechanism}`).toBe(true));
    }
  });

  it('references only nodes that exist, with unique ids', () => {
    for (const t of [podIdentityChained(), irsa(), iamUser(), missingIssuer()]) {
      const els = graphElements(t);
      const ids = nodes(els).map((n) => n.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const e of edges(els)) {
        expect(ids).toContain(e.source);
        expect(ids).toContain(e.target);
      }
      expect(new Set(edges(els).map((e) => e.id)).size).toBe(edges(els).length);
    }
  });

  it('IRSA: names the service account and cluster as proven, and says the pod and node are not reached', () => {
    const t = irsa();
    const els = graphElements(t);
    expect(nodes(els).find((n) => n.id === 'sa')!.expand).toEqual({ kind: 'serviceAccount', value: 'payments/settlement', cluster: 'payments-west' });
    expect(edge(els, 'key:0:ASIAIRSA000000000000', 'sa').hops.map((i) => t.hops[i]!.rule)).toEqual(['irsa-subject']);
    expect(edge(els, 'sa', 'cluster').hops.map((i) => t.hops[i]!.rule)).toEqual(['irsa-cluster']);
    expect(edge(els, 'sa', 'pod').confidence).toBe('none');
    expect(edge(els, 'pod', 'node').confidence).toBe('none');
    expect(nodes(els).find((n) => n.id === 'pod')!.kind).toBe('unknown');
  });

  it('IAM user: event → long-term key → user', () => {
    const els = graphElements(iamUser());
    expect(nodes(els).find((n) => n.kind === 'session')!.label).toContain('ACCESS KEY');
    const p = nodes(els).find((n) => n.id === 'principal')!;
    expect(p.label).toBe('IAM USER\nuser/ci/deployer');
    expect(edge(els, 'key:0:AKIAUSER000000000000', 'principal').confidence).toBe('proven');
  });

  it('a missing issuing call stops the chain with a grey "none" edge instead of a guess', () => {
    const els = graphElements(missingIssuer());
    const s = nodes(els).find((n) => n.kind === 'session')!;
    expect(s.label).toContain('issuing call\nnot in bundle');
    const e = edge(els, s.id, 'principal');
    expect(e.confidence).toBe('none');
    expect(e.label).toContain('issuer missing');
  });
});

describe('eventRecordFields', () => {
  it('marks the key in the event and the fields of hops that read the event itself', () => {
    expect(eventRecordFields(iamUser()).sort()).toEqual(['userIdentity.accessKeyId', 'userIdentity.arn', 'userIdentity.type']);
    expect(eventRecordFields(podIdentityChained())).toEqual(['userIdentity.accessKeyId']);
  });
});

describe('blast radius groups', () => {
  const row = (i: number, name: string, err: string | null = null): EventRowView =>
    ({ eventID: `e${i}`, eventName: name, eventSource: 's3.amazonaws.com', errorCode: err }) as EventRowView;

  it('groups by kind of call, biggest first, counting errors', () => {
    const rows = [row(1, 'GetObject'), row(2, 'PutObject', 'AccessDenied'), row(3, 'GetObject'), row(4, 'GetObject')];
    const g = groupRows('pod', rows);
    expect(g.map((x) => [x.name, x.rows.length, x.errors])).toEqual([
      ['GetObject', 3, 0],
      ['PutObject', 1, 1],
    ]);
  });

  it('keeps 2,000 events to a bounded number of nodes in one band, with one edge', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => row(i, `Call${i % 300}`));
    const els = blastElements('pod', { total: 5000, rows }, 'pod', 24);
    const [band, ...groupNodes] = nodes(els);
    expect(band!.kind).toBe('blastBand');
    expect(band!.label).toBe('blast radius of pod: 2,000 of 5,000 events, 24 kinds of call');
    expect(groupNodes).toHaveLength(24);
    expect(groupNodes.every((n) => n.parent === band!.id)).toBe(true);
    expect(groupNodes.reduce((s, n) => s + n.blast!.eventIDs.length, 0)).toBe(2000);
    expect(groupNodes[23]!.label).toContain('277 other kinds');
    expect(edges(els)).toHaveLength(1);
    expect(edges(els)[0]).toMatchObject({ source: 'pod', target: band!.id, kind: 'blast' });
  });
});
