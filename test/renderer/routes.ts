/**
 * Where the chain graph draws its edges, from the layout's positions (renderer/src/model/layout.ts), as
 * ChainGraph.tsx and the SVG export draw them: for the renderer tests that check no edge runs through a box.
 */
import { isWrapEdge, layeredLayout, type Position } from '../../renderer/src/model/layout';
import type { GraphElement } from '../../renderer/src/model/graph';

export type Box = { id: string; x: number; y: number; w: number; h: number };

/** Where the segment from the centre of a box towards (tx, ty) leaves it (as cytoscape and the SVG export end edges). */
function exit(b: Box, tx: number, ty: number): Position {
  const dx = tx - b.x;
  const dy = ty - b.y;
  const s = Math.min(dx ? b.w / 2 / Math.abs(dx) : Infinity, dy ? b.h / 2 / Math.abs(dy) : Infinity);
  return { x: b.x + dx * s, y: b.y + dy * s };
}

/**
 * The path an edge is drawn along (ChainGraph.tsx, svg.ts): straight from the right middle of its source to the left
 * middle of its target (box to box, should one ever point backwards), or for an edge from the end of one row to the
 * start of the next, down from its source, across at the middle, and down into its target.
 */
function route(s: Box, t: Box): Position[] {
  if (!isWrapEdge(s, t)) {
    if (t.x - t.w / 2 > s.x + s.w / 2) return [{ x: s.x + s.w / 2, y: s.y }, { x: t.x - t.w / 2, y: t.y }];
    return [exit(s, t.x, t.y), exit(t, s.x, s.y)];
  }
  const y1 = s.y + s.h / 2;
  const y2 = t.y - t.h / 2;
  const mid = (y1 + y2) / 2;
  return [{ x: s.x, y: y1 }, { x: s.x, y: mid }, { x: t.x, y: mid }, { x: t.x, y: y2 }];
}

/** The boxes (other than `skip`) a path enters or runs along (within `margin` px of the border). */
export function crossed(path: Position[], boxes: Box[], skip: string[], margin = 2): string[] {
  const hit = new Set<string>();
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i]!;
    const b = path[i + 1]!;
    const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y)));
    for (let k = 0; k <= steps; k++) {
      const x = a.x + ((b.x - a.x) * k) / steps;
      const y = a.y + ((b.y - a.y) * k) / steps;
      for (const q of boxes) {
        if (!skip.includes(q.id) && Math.abs(x - q.x) <= q.w / 2 + margin && Math.abs(y - q.y) <= q.h / 2 + margin) hit.add(q.id);
      }
    }
  }
  return [...hit];
}

export function drawn(els: GraphElement[], viewport?: { w: number; h: number }) {
  const pos = layeredLayout(els, viewport ? { viewport } : {});
  const boxes = new Map<string, Box>();
  for (const e of els) {
    if (e.group !== 'nodes') continue;
    const p = pos.get(e.data.id);
    if (p) boxes.set(e.data.id, { id: e.data.id, x: p.x, y: p.y, w: p.w ?? e.data.w, h: e.data.h });
  }
  const edges = els.flatMap((e) => (e.group === 'edges' && boxes.has(e.data.source) && boxes.has(e.data.target) ? [e.data] : []));
  return { boxes, edges, path: (e: { source: string; target: string }) => route(boxes.get(e.source)!, boxes.get(e.target)!) };
}
