/**
 * The chain as an inline SVG for the HTML report: event → credentials → root identity → pod → node → cluster,
 * each edge labelled with how it is known. Deterministic (same record, same bytes) and escaped like every
 * other field taken from logs.
 */
import type { AttributionRecord, Confidence } from '../../../shared/attribution';
import { escapeHtml as e } from './escape';

interface Box {
  title: string;
  lines: string[];
}

const COLORS: Record<Confidence, string> = { proven: '#1b7f3a', inferred: '#b7791f', ambiguous: '#c05621', none: '#8a94a6' };
const W = 190;
const H = 64;
const GAP = 70;

function clip(s: string, n = 28): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function chainBoxes(a: AttributionRecord): { boxes: Box[]; edges: { label: Confidence }[] } {
  const boxes: Box[] = [{ title: 'EVENT', lines: [a.eventName, a.eventTime] }];
  const edges: { label: Confidence }[] = [];
  for (const link of a.chain) {
    boxes.push({ title: 'CREDENTIAL', lines: [link.accessKeyId, link.issuedBy ? `← ${link.issuedBy.eventName}` : '← issuer not in bundle'] });
    edges.push({ label: link.issuedBy ? 'proven' : 'none' });
  }
  boxes.push({ title: a.mechanism.toUpperCase(), lines: [a.principal ?? '—', a.namespace ? `${a.namespace}/${a.serviceAccount ?? '?'}` : ''] });
  edges.push({ label: a.confidence.identity });
  if (a.pod || a.confidence.pod !== 'none') {
    boxes.push({ title: 'POD', lines: [a.pod?.name ?? `${a.candidates.length} candidates`, a.pod?.uid ?? ''] });
    edges.push({ label: a.confidence.pod });
  }
  if (a.node || a.confidence.node !== 'none') {
    boxes.push({ title: 'NODE', lines: [a.node?.instanceId ?? `${a.candidates.length} candidates`, a.node?.name ?? ''] });
    edges.push({ label: a.confidence.node });
  }
  if (a.cluster) {
    boxes.push({ title: 'CLUSTER', lines: [a.cluster.name ?? '(name not in evidence)', a.cluster.oidcId ? `OIDC ${a.cluster.oidcId}` : ''] });
    edges.push({ label: a.confidence.identity });
  }
  return { boxes, edges };
}

export function chainSvg(a: AttributionRecord): string {
  const { boxes, edges } = chainBoxes(a);
  const width = boxes.length * W + (boxes.length - 1) * GAP + 20;
  const parts: string[] = [];
  boxes.forEach((b, i) => {
    const x = 10 + i * (W + GAP);
    parts.push(`<rect x="${x}" y="20" width="${W}" height="${H}" rx="6" fill="#f6f8fa" stroke="#44546a"/>`);
    parts.push(`<text x="${x + W / 2}" y="38" text-anchor="middle" font-weight="600">${e(b.title)}</text>`);
    b.lines.forEach((l, j) => parts.push(`<text x="${x + W / 2}" y="${55 + j * 14}" text-anchor="middle">${e(clip(l))}</text>`));
    const edge = edges[i];
    if (edge && i < boxes.length - 1) {
      const x1 = x + W;
      const x2 = x + W + GAP;
      const dash = edge.label === 'proven' ? '' : ' stroke-dasharray="5 4"';
      parts.push(`<line x1="${x1}" y1="52" x2="${x2 - 4}" y2="52" stroke="${COLORS[edge.label]}" stroke-width="2"${dash}/>`);
      parts.push(`<polygon points="${x2 - 4},47 ${x2},52 ${x2 - 4},57" fill="${COLORS[edge.label]}"/>`);
      parts.push(`<text x="${(x1 + x2) / 2}" y="44" text-anchor="middle" fill="${COLORS[edge.label]}">${e(edge.label)}</text>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="attribution chain" width="100%" viewBox="0 0 ${width} 110" preserveAspectRatio="xMinYMin meet" font-family="system-ui,sans-serif" font-size="11">${parts.join('')}</svg>`;
}
