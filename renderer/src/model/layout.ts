/**
 * A left-to-right layered layout, so a chain reads like a sentence without dragging anything: each node sits one
 * column right of its furthest predecessor (longest path), columns are ordered to limit crossings (barycenter
 * sweeps), tall columns split, every box of a column is as wide as the column (edges run in the gaps between
 * columns), and a chain too long for the pane wraps into rows at layer boundaries where one edge turns cleanly.
 * Blast-radius groups are laid out as a compact grid in a band under the chain, starting below the node they expand.
 * Pure; no cytoscape extension.
 */
import type { GraphElement, GraphNodeData } from './graph';

export interface Position {
  x: number;
  y: number;
  /**
   * The width the box is drawn at, when not its own: every box of a column is as wide as the column, so that an edge
   * between two columns (drawn from the right middle of one box to the left middle of the next) stays in the gap
   * between them and never crosses a box stacked with its ends.
   */
  w?: number;
}

export interface LayoutOptions {
  /** The drawing area (px); a chain much wider than it is tall wraps into rows to use it. */
  viewport?: { w: number; h: number };
  rowGap: number;
  layerGap: number;
  nodeGap: number;
  maxPerColumn: number;
  bandGap: number;
  gridCols: number;
}

/** The graph view never fits a drawing larger than this (a short chain is not blown up to poster size). */
export const FIT_MAX_ZOOM = 1.25;

/** Room for a blast band's label above its groups, and its padding below them. */
const BAND_LABEL = 22;
const BAND_PAD = 8;

const DEFAULTS: LayoutOptions = { rowGap: 56, layerGap: 64, nodeGap: 16, maxPerColumn: 10, bandGap: 40, gridCols: 6 };

export function layeredLayout(elements: readonly GraphElement[], options: Partial<LayoutOptions> = {}): Map<string, Position> {
  const o = { ...DEFAULTS, ...options };
  const nodes: GraphNodeData[] = [];
  const band: GraphNodeData[] = [];
  for (const el of elements) {
    if (el.group !== 'nodes') continue;
    if (el.data.kind === 'blastBand') continue; // a compound parent: its box is its children's
    (el.data.kind === 'blastGroup' && el.data.blast ? band : nodes).push(el.data);
  }
  const ids = new Set(nodes.map((n) => n.id));
  const preds = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const succs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const el of elements) {
    if (el.group !== 'edges') continue;
    const { source, target } = el.data;
    if (source === target || !ids.has(source) || !ids.has(target)) continue;
    preds.get(target)!.push(source);
    succs.get(source)!.push(target);
  }

  // Longest-path layering (Kahn); nodes caught in a cycle go one past their placed predecessors.
  const layer = new Map<string, number>();
  const indeg = new Map(nodes.map((n) => [n.id, preds.get(n.id)!.length]));
  const queue = nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q]!;
    const l = Math.max(0, ...preds.get(id)!.map((p) => (layer.get(p) ?? -1) + 1));
    layer.set(id, l);
    for (const s of succs.get(id)!) {
      indeg.set(s, indeg.get(s)! - 1);
      if (indeg.get(s) === 0) queue.push(s);
    }
  }
  for (const n of nodes) {
    if (!layer.has(n.id)) layer.set(n.id, Math.max(0, ...preds.get(n.id)!.map((p) => (layer.get(p) ?? -1) + 1)));
  }

  const layerCount = Math.max(0, ...layer.values()) + 1;
  const layers: string[][] = Array.from({ length: nodes.length ? layerCount : 0 }, () => []);
  for (const n of nodes) layers[layer.get(n.id)!]!.push(n.id);

  // Barycenter sweeps: order each column by the mean rank of its neighbours in the previous/next one.
  const rank = new Map<string, number>();
  const setRanks = () => layers.forEach((ids) => ids.forEach((id, i) => rank.set(id, i)));
  setRanks();
  const bary = (id: string, nbrs: Map<string, string[]>) => {
    const r = nbrs.get(id)!.map((x) => rank.get(x)!).filter((x) => x !== undefined);
    return r.length ? r.reduce((a, b) => a + b, 0) / r.length : rank.get(id)!;
  };
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.map((_, i) => i) : layers.map((_, i) => layers.length - 1 - i);
    for (const li of order) {
      const col = layers[li]!;
      const nb = down ? preds : succs;
      const keyed = col.map((id, i) => ({ id, k: bary(id, nb), i }));
      keyed.sort((a, b) => a.k - b.k || a.i - b.i);
      layers[li] = keyed.map((x) => x.id);
      setRanks();
    }
  }

  /**
   * Whether a row may start at layer `li`. An edge that crosses a row break is drawn as a turn: down from its
   * source (the last box of the row above, set to the row's bottom), across the gap between the rows, and down into
   * its target (the first box of the new row, set to the row's top). That is only clean when it is the one edge
   * crossing there, from the last box of the layer before to a box alone in its layer. Otherwise the turn runs
   * through the boxes stacked with its ends — a service account's edge to its pod dropping through the cluster box
   * above the pod — and the row is not broken there.
   */
  const rowMayStartAt = (li: number): boolean => {
    if (li === 0 || layers[li]!.length !== 1) return false;
    const crossing: [string, string][] = [];
    for (const [s, ts] of succs) for (const t of ts) if (layer.get(s)! < li && layer.get(t)! >= li) crossing.push([s, t]);
    if (crossing.length !== 1) return false;
    const [s, t] = crossing[0]!;
    const before = layers[li - 1]!;
    return t === layers[li]![0] && before[before.length - 1] === s;
  };

  // The gap before a column leaves room for the labels of the edges that enter it.
  const gapBefore = layers.map(() => o.layerGap);
  for (const el of elements) {
    if (el.group !== 'edges' || !el.data.label || !layer.has(el.data.target) || !layer.has(el.data.source)) continue;
    const l = layer.get(el.data.target)!;
    if (layer.get(el.data.source) !== l - 1) continue;
    gapBefore[l] = Math.max(gapBefore[l]!, labelWidth(el.data.label) + 28);
  }

  const size = new Map([...nodes, ...band].map((n) => [n.id, { w: n.w || 80, h: n.h || 30 }]));

  // Columns: a layer, or a slice of a tall layer, with the gap before it.
  interface Col {
    ids: string[];
    w: number;
    h: number;
    gap: number;
    layer: number;
    breakable: boolean;
  }
  const cols: Col[] = [];
  for (const [li, col] of layers.entries()) {
    for (let start = 0; start < col.length; start += o.maxPerColumn) {
      const part = col.slice(start, start + o.maxPerColumn);
      cols.push({
        ids: part,
        w: Math.max(...part.map((id) => size.get(id)!.w)),
        h: part.reduce((s, id) => s + size.get(id)!.h, 0) + o.nodeGap * (part.length - 1),
        gap: start > 0 ? o.layerGap : li > 0 ? gapBefore[li]! : 0,
        layer: li,
        breakable: start === 0 && rowMayStartAt(li),
      });
    }
  }

  // Rows: a long chain in a tall pane wraps at layer boundaries, like a line of text.
  const rows = wrapRows(cols, o.viewport, o.rowGap);
  const pos = new Map<string, Position>();
  let top = 0;
  rows.forEach((row, ri) => {
    const rowH = Math.max(...row.map((c) => c.h));
    let x = 0;
    row.forEach((c, i) => {
      if (i > 0) x += c.gap;
      // A turn between rows leaves the bottom of one row and enters the top of the next (see rowMayStartAt).
      let y = ri > 0 && i === 0 ? top : ri + 1 < rows.length && i === row.length - 1 ? top + rowH - c.h : top + (rowH - c.h) / 2;
      for (const id of c.ids) {
        const { h } = size.get(id)!;
        pos.set(id, { x: x + c.w / 2, y: y + h / 2, w: c.w });
        y += h + o.nodeGap;
      }
      x += c.w;
    });
    top += rowH + o.rowGap;
  });
  const bottom = top - o.rowGap;

  // Blast bands: one per expanded node, in the order they were expanded, a grid under the chain.
  const byAnchor = new Map<string, GraphNodeData[]>();
  for (const n of band) {
    const a = n.blast!.anchor;
    byAnchor.set(a, [...(byAnchor.get(a) ?? []), n]);
  }
  top = bottom + o.bandGap;
  for (const [anchor, group] of byAnchor) {
    top += BAND_LABEL;
    const left = pos.has(anchor) ? pos.get(anchor)!.x - size.get(anchor)!.w / 2 : 0;
    const cols = Math.min(o.gridCols, Math.max(1, Math.ceil(Math.sqrt(group.length * 2))));
    const cellW = Math.max(...group.map((n) => size.get(n.id)!.w)) + o.nodeGap;
    const cellH = Math.max(...group.map((n) => size.get(n.id)!.h)) + o.nodeGap;
    group.forEach((n, i) => {
      pos.set(n.id, { x: left + (i % cols) * cellW + cellW / 2, y: top + Math.floor(i / cols) * cellH + cellH / 2 });
    });
    top += Math.ceil(group.length / cols) * cellH + BAND_PAD + o.bandGap;
  }
  return pos;
}

/** Width of an edge label at the graph's 9 px monospace (longest line). */
export function labelWidth(label: string): number {
  return Math.max(0, ...label.split('\n').map((l) => l.length)) * 5.6 + 8;
}

interface WrapCol {
  w: number;
  h: number;
  gap: number;
  layer: number;
  /** Whether a row may start with this column (layeredLayout: see rowMayStartAt); absent: it may. */
  breakable?: boolean;
}

/**
 * Split columns into rows (only between layers, and only before a column that may start a row) so that the drawing,
 * fitted to the viewport, is as large as possible. One row unless wrapping makes it at least 15% larger; never more than 4 rows.
 */
export function wrapRows<C extends WrapCol>(cols: readonly C[], viewport: { w: number; h: number } | undefined, rowGap: number): C[][] {
  if (cols.length === 0) return [];
  const one = [cols.slice()];
  if (!viewport || viewport.w <= 0 || viewport.h <= 0) return one;
  const byLayer: C[][] = [];
  for (const c of cols) {
    if (byLayer.length === 0 || byLayer[byLayer.length - 1]![0]!.layer !== c.layer) byLayer.push([]);
    byLayer[byLayer.length - 1]!.push(c);
  }
  const width = (row: C[]) => row.reduce((s, c, i) => s + c.w + (i > 0 ? c.gap : 0), 0);
  const scale = (rows: C[][]) => {
    const w = Math.max(...rows.map(width)) + 48;
    const h = rows.reduce((s, r) => s + Math.max(...r.map((c) => c.h)), 0) + rowGap * (rows.length - 1) + 48;
    // Past FIT_MAX_ZOOM the view stops growing, so wrapping would buy nothing.
    return Math.min(viewport.w / w, viewport.h / h, FIT_MAX_ZOOM);
  };
  let best = one;
  let bestScale = scale(one);
  const total = width(cols.slice());
  for (let r = 2; r <= Math.min(4, byLayer.length); r++) {
    const limit = total / r;
    const rows: C[][] = [[]];
    for (const layer of byLayer) {
      const cur = rows[rows.length - 1]!;
      const added = width([...cur, ...layer]);
      if (cur.length > 0 && added > limit * 1.08 && rows.length < r && layer[0]!.breakable !== false) rows.push([...layer]);
      else cur.push(...layer);
    }
    const sc = scale(rows);
    if (sc > bestScale * 1.15) {
      best = rows;
      bestScale = sc;
    }
  }
  return best;
}

/** An edge that runs from the end of one row to the start of the next (drawn as a turn, not a diagonal). */
export function isWrapEdge(source: Position, target: Position): boolean {
  return target.x < source.x && target.y > source.y;
}
