import { describe, expect, it } from 'vitest';
import { isWrapEdge, labelWidth, layeredLayout, wrapRows, type Position } from '../../../renderer/src/model/layout';

const pos = (m: Map<string, Position>, id: string) => m.get(id)!;
import { graphElements, type GraphElement, type GraphNodeData } from '../../../renderer/src/model/graph';
import { blastElements } from '../../../renderer/src/model/blast';
import { podIdentityChained } from '../fixtures';
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

  it('does not wrap without a viewport', () => {
    expect(wrapRows([col(0), col(1), col(2), col(3), col(4), col(5)], undefined, 56)).toHaveLength(1);
  });
});
