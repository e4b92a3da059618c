import { describe, expect, it } from 'vitest';
import { isWrapEdge, labelWidth, layeredLayout, wrapRows, type Position } from '../../../renderer/src/model/layout';

const pos = (m: Map<string, Position>, id: string) => m.get(id)!;
import { graphElements, type GraphElement, type GraphNodeData } from '../../../renderer/src/model/graph';
import { blastElements } from '../../../renderer/src/model/blast';
import { iamUser, irsa, irsaAmbiguousPods, irsaInferredPod, missingIssuer, podIdentityBound, podIdentityChained } from '../fixtures';
import type { TraceView } from '../../../shared/api';
import { crossed, drawn } from '../routes';
import type { EventRowView } from '../../../shared/api';

const boxes = (els: GraphElement[], pos: Map<string, { x: number; y: number }>) =>
  els.filter((e) => e.group === 'nodes').map((e) => {
    const d = e.data as GraphNodeData;
    const p = pos.get(d.id)!;
    return { id: d.id, l: p.x - d.w / 2, r: p.x + d.w / 2, t: p.y - d.h / 2, b: p.y + d.h / 2 };
  });

describe('layeredLayout', () => {
  it('puts every edge left to right: a target is right of its source', () => {
    const els = graphElements(podIdentityChained());
    const pos = layeredLayout(els);
    for (const e of els) {
      if (e.group !== 'edges') continue;
      expect(pos.get(e.data.target)!.x, `${e.data.source} -> ${e.data.target}`).toBeGreaterThan(pos.get(e.data.source)!.x);
    }
  });

  it('orders the chain event → credentials → service account → pod → node', () => {
    const els = graphElements(podIdentityChained());
    const pos = layeredLayout(els);
    const x = (id: string) => pos.get(id)!.x;
    expect(x('event')).toBeLessThan(x('key:0:ASIAKEY0000000000000'));
    expect(x('key:0:ASIAKEY0000000000000')).toBeLessThan(x('key:1:ASIAKEY1111111111111'));
    expect(x('key:1:ASIAKEY1111111111111')).toBeLessThan(x('sa'));
    expect(x('sa')).toBeLessThan(x('pod'));
    expect(x('pod')).toBeLessThan(x('node:i-0aaa'));
    expect(x('node:i-0aaa')).toBe(x('node:i-0bbb'));
  });

  it('never overlaps two boxes, also with a large expansion', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({ eventID: `e${i}`, eventName: `Call${i % 40}`, eventSource: 's3.amazonaws.com', errorCode: null }) as EventRowView);
    const els = [...graphElements(podIdentityChained()), ...blastElements('pod', { total: 2000, rows }), ...blastElements('sa', { total: 2000, rows })];
    const pos = layeredLayout(els);
    const b = boxes(els.filter((e) => e.group !== 'nodes' || e.data.kind !== 'blastBand'), pos);
    for (let i = 0; i < b.length; i++) {
      for (let j = i + 1; j < b.length; j++) {
        const p = b[i]!;
        const q = b[j]!;
        const overlap = p.l < q.r && q.l < p.r && p.t < q.b && q.t < p.b;
        expect(overlap, `${p.id} overlaps ${q.id}`).toBe(false);
      }
    }
    // The blast band sits under the chain.
    const chainBottom = Math.max(...b.filter((x) => !x.id.startsWith('blast:')).map((x) => x.b));
    expect(Math.min(...b.filter((x) => x.id.startsWith('blast:')).map((x) => x.t))).toBeGreaterThan(chainBottom);
  });

  it('leaves room for edge labels between columns', () => {
    const els = graphElements(podIdentityChained());
    const pos = layeredLayout(els);
    for (const e of els) {
      if (e.group !== 'edges' || e.data.kind === 'candidate') continue;
      const s = els.find((n) => n.group === 'nodes' && n.data.id === e.data.source)!.data as GraphNodeData;
      const t = els.find((n) => n.group === 'nodes' && n.data.id === e.data.target)!.data as GraphNodeData;
      const gap = pos.get(t.id)!.x - t.w / 2 - (pos.get(s.id)!.x + s.w / 2);
      if (pos.get(t.id)!.y === pos.get(s.id)!.y) expect(gap, e.data.id).toBeGreaterThanOrEqual(labelWidth(e.data.label));
    }
  });

  it('wraps a long chain into rows in a tall pane, and not in a wide one', () => {
    const els = graphElements(podIdentityChained());
    const rows = (pos: Map<string, { x: number; y: number }>) => new Set([...pos.values()].map((p) => Math.round(p.y / 50))).size;
    const wide = layeredLayout(els, { viewport: { w: 3000, h: 300 } });
    const tall = layeredLayout(els, { viewport: { w: 800, h: 500 } });
    expect(pos(wide, 'event').y).toBe(pos(wide, 'sa').y);
    expect(pos(tall, 'sa').y).toBeGreaterThan(pos(tall, 'event').y);
    expect(pos(tall, 'sa').x).toBeLessThan(pos(tall, 'key:1:ASIAKEY1111111111111').x);
    expect(isWrapEdge(pos(tall, 'key:1:ASIAKEY1111111111111'), pos(tall, 'sa'))).toBe(true);
    expect(isWrapEdge(pos(tall, 'event'), pos(tall, 'key:0:ASIAKEY0000000000000'))).toBe(false);
    expect(rows(tall)).toBeGreaterThan(rows(wide));
  });

  it('survives a cycle and dangling edges', () => {
    const n = (id: string): GraphElement => ({ group: 'nodes', data: { id, kind: 'session', label: id, title: id, w: 80, h: 30 } });
    const e = (s: string, t: string): GraphElement => ({ group: 'edges', data: { id: `${s}-${t}`, source: s, target: t, kind: 'chain', label: '', confidence: 'proven', rule: null, hops: [], decisive: 0, selfFields: [] } });
    const pos = layeredLayout([n('a'), n('b'), n('c'), e('a', 'b'), e('b', 'c'), e('c', 'b'), e('c', 'zz')]);
    expect([...pos.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const p of pos.values()) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
  });
});

/** The exchange itself (AssumeRoleWithWebIdentity): no key before the service account, event → service account. */
function irsaExchange(): TraceView {
  const t = irsaInferredPod();
  return { ...t, resolution: { ...t.resolution, chain: [] }, attribution: { ...t.attribution!, chain: [] } };
}

/** Candidate pods whose names differ in length, and a token minted for their service account (an action past the pod). */
function irsaAmbiguousUneven(): TraceView {
  const t = irsaAmbiguousPods();
  const candidates = [
    { pod: { name: 'checkout-api-t2ccvzsshb-t5xc8', uid: 'u-a' }, node: { instanceId: 'i-057e31cd3da22adc0', name: 'ip-10-0-8-79.ec2.internal' }, score: 0.67, why: 'alive' },
    { pod: { name: 'report-builder-s5hdpmph2l-4rsgt', uid: 'u-b' }, node: { instanceId: 'i-0027a9a9b615664ff', name: 'ip-10-0-28-247.ec2.internal' }, score: 0.33, why: 'alive' },
  ];
  const podActors = [
    { action: 'token' as const, time: '2026-03-02T03:43:12Z', kubernetesUser: 'system:serviceaccount:analytics:report-builder', principal: null, accessKeyId: null, auditID: 'a-token', confidence: 'ambiguous' as const, target: 'serviceaccount checkout/checkout-api', why: 'not an IAM principal' },
  ];
  return { ...t, resolution: { ...t.resolution, candidates }, attribution: { ...t.attribution!, candidates, podActors, chain: [] } };
}

/** The graph pane at 1280×800 (757×280) and 1440×900 (852×348), narrow ones, a tall one. */
const PANES = [{ w: 757, h: 280 }, { w: 852, h: 348 }, { w: 600, h: 280 }, { w: 500, h: 420 }, { w: 800, h: 500 }];
const TRACES = [irsaExchange, irsaInferredPod, irsaAmbiguousPods, irsaAmbiguousUneven, podIdentityBound, podIdentityChained, irsa, iamUser, missingIssuer];

describe('edge routes (issue 17: service account → pod edges along the cluster box)', () => {
  it('draws a service account → pod edge straight from the service account to its pod, clear of the cluster box', () => {
    for (const make of [irsaExchange, irsaInferredPod, irsaAmbiguousPods, irsaAmbiguousUneven, podIdentityBound, podIdentityChained]) {
      for (const pane of PANES) {
        const { boxes, edges, path } = drawn(graphElements(make()), pane);
        const toPods = edges.filter((e) => e.source === 'sa' && boxes.get(e.target)!.id.startsWith('pod'));
        expect(toPods.length, make.name).toBeGreaterThan(0);
        for (const e of toPods) {
          const where = `${make.name} ${pane.w}×${pane.h} ${e.id}`;
          // Not a turn between rows: the two ends sit side by side, and the path is the segment between them.
          expect(isWrapEdge(boxes.get('sa')!, boxes.get(e.target)!), where).toBe(false);
          expect(crossed(path(e), [...boxes.values()], ['sa', e.target]), where).toEqual([]);
        }
      }
    }
  });

  it('breaks a row only where one edge crosses, into a box alone at the start of the next row: every turn runs clear of the other boxes', () => {
    let turns = 0;
    for (const make of TRACES) {
      for (const pane of PANES) {
        const { boxes, edges, path } = drawn(graphElements(make()), pane);
        for (const e of edges) {
          if (!isWrapEdge(boxes.get(e.source)!, boxes.get(e.target)!)) continue;
          turns++;
          expect(crossed(path(e), [...boxes.values()], [e.source, e.target]), `${make.name} ${pane.w}×${pane.h} ${e.id}`).toEqual([]);
        }
      }
    }
    expect(turns).toBeGreaterThan(5);
  });

  it('draws every box of a column as wide as the column, so that no edge crosses a box', () => {
    for (const make of TRACES) {
      for (const pane of [...PANES, undefined]) {
        const { boxes, edges, path } = drawn(graphElements(make()), pane);
        // Boxes stacked in one column (same centre, overlapping nothing) share its width.
        const byCentre = new Map<number, Set<number>>();
        for (const b of boxes.values()) if (!b.id.startsWith('blast:')) byCentre.set(b.x, (byCentre.get(b.x) ?? new Set()).add(b.w));
        for (const [x, ws] of byCentre) expect(ws.size, `${make.name}: the column at x ${x}`).toBe(1);
        for (const e of edges) expect(crossed(path(e), [...boxes.values()], [e.source, e.target]), `${make.name} ${pane?.w}×${pane?.h} ${e.id}`).toEqual([]);
      }
    }
  });
});

describe('wrapRows', () => {
  const col = (layer: number, w = 200, h = 60) => ({ w, h, gap: layer ? 80 : 0, layer });

  it('keeps a short chain on one line when it already fits at full size', () => {
    const cols = [col(0), col(1), col(2)];
    expect(wrapRows(cols, { w: 950, h: 420 }, 56)).toHaveLength(1);
  });

  it('wraps a long chain at layer boundaries only', () => {
    const cols = [col(0), col(1), { ...col(1), gap: 64 }, col(2), col(3), col(4), col(5)];
    const rows = wrapRows(cols, { w: 800, h: 600 }, 56);
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.flat()).toEqual(cols);
    for (let i = 1; i < rows.length; i++) expect(rows[i]![0]!.layer).not.toBe(rows[i - 1]![rows[i - 1]!.length - 1]!.layer);
  });

  it('starts a row only at a column that may start one', () => {
    const cols: { w: number; h: number; gap: number; layer: number; breakable?: boolean }[] = [col(0), col(1), { ...col(2), breakable: false }, col(3), col(4), col(5)];
    for (const pane of [{ w: 800, h: 600 }, { w: 500, h: 900 }]) {
      const rows = wrapRows(cols, pane, 56);
      expect(rows.length).toBeGreaterThan(1);
      for (const row of rows.slice(1)) expect(row[0]!.breakable, JSON.stringify(rows.map((r) => r.map((c) => c.layer)))).not.toBe(false);
    }
  });

  it('does not wrap without a viewport', () => {
    expect(wrapRows([col(0), col(1), col(2), col(3), col(4), col(5)], undefined, 56)).toHaveLength(1);
  });
});
