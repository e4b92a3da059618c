/**
 * SVG export of the chain graph from element data and layout positions (no dependency, no DOM): boxes, wrapped
 * labels, confidence-styled edges with arrowheads and labels. Every text from the evidence is XML-escaped.
 */
import { revealInvisible } from '../../../shared/invisible';
import type { GraphElement, GraphNodeData } from './graph';
import { EDGE_LOOK, FONT, NODE_LOOK, edgeLook } from './graph-style';
import { isWrapEdge, type Position } from './layout';

/**
 * Text for XML: markup escaped, and what XML forbids (C0 controls, lone surrogates, U+FFFE/U+FFFF) or would hide
 * (bidi controls, invisible characters) written as `\u{…}`, as the app shows it, so that the file is well-formed.
 */
export function xmlEscape(s: string): string {
  return revealInvisible(s).replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Where the segment from the centre of a w×h box towards (tx, ty) leaves the box. */
function boxExit(cx: number, cy: number, w: number, h: number, tx: number, ty: number): Position {
  const dx = tx - cx;
  const dy = ty - cy;
  if (dx === 0 && dy === 0) return { x: cx, y: cy };
  const s = Math.min(Math.abs(dx) > 0 ? w / 2 / Math.abs(dx) : Infinity, Math.abs(dy) > 0 ? h / 2 / Math.abs(dy) : Infinity);
  return { x: cx + dx * s, y: cy + dy * s };
}

const n2 = (v: number) => Math.round(v * 10) / 10;
const BAND_PAD = 8;

export function graphToSvg(elements: readonly GraphElement[], positions: ReadonlyMap<string, Position>, title = 'PodTrail chain'): string {
  // Boxes: laid-out nodes at their positions; compound bands around their children.
  const nodes = new Map<string, GraphNodeData>();
  const box = new Map<string, Position & { w: number; h: number }>();
  for (const el of elements) {
    if (el.group !== 'nodes') continue;
    const p = positions.get(el.data.id);
    if (p) {
      // As wide as its column when the layout says so (as on screen).
      const data = p.w ? { ...el.data, w: p.w } : el.data;
      nodes.set(el.data.id, data);
      box.set(el.data.id, { x: p.x, y: p.y, w: data.w, h: el.data.h });
    }
  }
  const bands: GraphNodeData[] = [];
  for (const el of elements) {
    if (el.group !== 'nodes' || el.data.kind !== 'blastBand') continue;
    const kids = [...nodes.values()].filter((n) => n.parent === el.data.id).map((n) => box.get(n.id)!);
    if (!kids.length) continue;
    const l = Math.min(...kids.map((k) => k.x - k.w / 2)) - BAND_PAD;
    const r = Math.max(...kids.map((k) => k.x + k.w / 2)) + BAND_PAD;
    const t = Math.min(...kids.map((k) => k.y - k.h / 2)) - BAND_PAD;
    const b = Math.max(...kids.map((k) => k.y + k.h / 2)) + BAND_PAD;
    box.set(el.data.id, { x: (l + r) / 2, y: (t + b) / 2, w: r - l, h: b - t });
    bands.push(el.data);
  }
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const b of box.values()) {
    minX = Math.min(minX, b.x - b.w / 2);
    maxX = Math.max(maxX, b.x + b.w / 2);
    minY = Math.min(minY, b.y - b.h / 2 - (bands.length ? 16 : 0));
    maxY = Math.max(maxY, b.y + b.h / 2);
  }
  if (box.size === 0) minX = minY = maxX = maxY = 0;
  const pad = 24;
  const vb = [minX - pad, minY - pad, maxX - minX + 2 * pad, maxY - minY + 2 * pad].map(n2);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${vb.join(' ')}" width="${vb[2]}" height="${vb[3]}" font-family="${xmlEscape(FONT)}">`);
  out.push(`<title>${xmlEscape(title)}</title>`);
  out.push('<defs>');
  for (const [name, look] of [...Object.entries(EDGE_LOOK), ['blast', edgeLook('blast', 'none')] as const]) {
    out.push(`<marker id="arrow-${name}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${look.color}"/></marker>`);
  }
  out.push('</defs>');
  out.push(`<rect x="${vb[0]}" y="${vb[1]}" width="${vb[2]}" height="${vb[3]}" fill="#ffffff"/>`);

  const labels: string[] = [];
  for (const el of elements) {
    if (el.group !== 'edges') continue;
    const e = el.data;
    const s = box.get(e.source);
    const t = box.get(e.target);
    if (!s || !t) continue;
    const ps = s;
    const pt = t;
    const look = edgeLook(e.kind, e.confidence);
    const marker = e.kind === 'blast' ? 'blast' : e.confidence;
    const stroke = `stroke="${look.color}" stroke-width="${look.width}"${look.dash ? ` stroke-dasharray="${look.dash}"` : ''}${look.line === 'dotted' ? ' stroke-linecap="round"' : ''} marker-end="url(#arrow-${marker})"`;
    const tip = `<title>${xmlEscape(e.why ?? e.label)}</title>`;
    let mx: number;
    let my: number;
    if (e.kind === 'blast' || isWrapEdge(ps, pt)) {
      // From the end of one row down, across, and down into the start of the next (as on screen).
      const y1 = ps.y + s.h / 2;
      const y2 = pt.y - t.h / 2;
      const mid = (y1 + y2) / 2;
      out.push(`<polyline fill="none" points="${[ps.x, y1, ps.x, mid, pt.x, mid, pt.x, y2].map(n2).join(' ')}" ${stroke}>${tip}</polyline>`);
      mx = (ps.x + pt.x) / 2;
      my = mid;
    } else {
      // From the right middle of the source to the left middle of the target (as on screen); backwards, box to box.
      const forward = pt.x - t.w / 2 > ps.x + s.w / 2;
      const a = forward ? { x: ps.x + s.w / 2, y: ps.y } : boxExit(ps.x, ps.y, s.w, s.h, pt.x, pt.y);
      const b = forward ? { x: pt.x - t.w / 2, y: pt.y } : boxExit(pt.x, pt.y, t.w, t.h, ps.x, ps.y);
      out.push(`<line x1="${n2(a.x)}" y1="${n2(a.y)}" x2="${n2(b.x)}" y2="${n2(b.y)}" ${stroke}>${tip}</line>`);
      mx = (a.x + b.x) / 2;
      my = (a.y + b.y) / 2;
    }
    if (e.label) {
      const lines = e.label.split('\n');
      my -= ((lines.length - 1) * 11) / 2;
      const w = Math.max(...lines.map((l) => l.length)) * 5.6 + 6;
      labels.push(`<rect x="${n2(mx - w / 2)}" y="${n2(my - 8)}" width="${n2(w)}" height="${lines.length * 11 + 3}" fill="#ffffff" fill-opacity="0.92"/>`);
      lines.forEach((l, i) => labels.push(`<text x="${n2(mx)}" y="${n2(my + i * 11)}" font-size="9" text-anchor="middle" dominant-baseline="middle" fill="${look.color}">${xmlEscape(l)}</text>`));
    }
  }
  out.push(...labels);

  for (const band of bands) {
    const b = box.get(band.id)!;
    const look = NODE_LOOK.blastBand;
    out.push(`<g><title>${xmlEscape(band.title)}</title>`);
    out.push(`<rect x="${n2(b.x - b.w / 2)}" y="${n2(b.y - b.h / 2)}" width="${n2(b.w)}" height="${n2(b.h)}" rx="6" fill="${look.fill}" stroke="${look.border}" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${n2(b.x)}" y="${n2(b.y - b.h / 2 - 6)}" font-size="10" text-anchor="middle" fill="${look.text}">${xmlEscape(band.label)}</text></g>`);
  }

  for (const n of nodes.values()) {
    const p = box.get(n.id)!;
    const look = NODE_LOOK[n.kind];
    out.push(`<g><title>${xmlEscape(n.title)}</title>`);
    out.push(
      `<rect x="${n2(p.x - n.w / 2)}" y="${n2(p.y - n.h / 2)}" width="${n.w}" height="${n.h}" rx="5" fill="${look.fill}" stroke="${look.border}" stroke-width="${look.borderWidth}"${look.dashed || n.confidence === 'none' ? ' stroke-dasharray="4 3"' : ''}${n.candidate ? ' fill-opacity="0.75"' : ''}/>`,
    );
    const lines = n.label.split('\n');
    const y0 = p.y - ((lines.length - 1) * 13) / 2;
    lines.forEach((l, i) => {
      const tag = i === 0 && /^[A-Z ?]+$/.test(l) && lines.length > 1;
      out.push(
        `<text x="${n2(p.x)}" y="${n2(y0 + i * 13)}" font-size="${tag ? 8.5 : 10}" text-anchor="middle" dominant-baseline="middle" fill="${look.text}"${tag ? ' font-weight="bold" letter-spacing="0.5"' : ''}>${xmlEscape(l)}</text>`,
      );
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
