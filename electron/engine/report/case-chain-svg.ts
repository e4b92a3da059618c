/**
 * The chain for the case report at a readable size: the same boxes as the single-event report's diagram
 * (chain-svg.ts `chainBoxes`), stacked top to bottom at a fixed 640-unit width drawn at 1:1, 13 px text in a
 * monospaced face, long values wrapped (never cut) — it fits an A4 page and prints as it reads on screen.
 * Deterministic and escaped like every other field taken from logs.
 */
import type { AttributionRecord, Confidence } from '../../../shared/attribution';
import { chainBoxes } from './chain-svg';
import { escapeHtml as e } from './escape';

const COLORS: Record<Confidence, string> = { proven: '#1b7f3a', inferred: '#8a5d00', ambiguous: '#b4410b', none: '#5b6675' };
export const DIAGRAM_WIDTH = 640;
const PAD = 12;
const BOX_X = 8;
const BOX_W = DIAGRAM_WIDTH - 2 * BOX_X;
const LINE_H = 18;
const TITLE_H = 22;
const GAP = 34;
/** Characters per line at 13 px monospace in the box (≈ 7.9 px each). */
export const WRAP_AT = Math.floor((BOX_W - 2 * PAD) / 7.9);

/** A value in lines of at most `n` characters, broken at spaces where it can be and anywhere where it cannot. */
export function wrap(s: string, n = WRAP_AT): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    let w = word;
    while (w.length > 0) {
      const room = line === '' ? n : n - line.length - 1;
      if (w.length <= room) {
        line = line === '' ? w : `${line} ${w}`;
        w = '';
      } else if (line !== '') {
        out.push(line);
        line = '';
      } else {
        out.push(w.slice(0, n));
        w = w.slice(n);
      }
    }
  }
  if (line !== '' || out.length === 0) out.push(line);
  return out;
}

/** The chain of an event; `first` replaces its first box (a session: its key and events instead of one event). */
export function caseChainSvg(a: AttributionRecord, first?: { title: string; lines: string[] }): string {
  const { boxes, edges } = chainBoxes(a);
  if (first) boxes[0] = first;
  const parts: string[] = [];
  let y = 4;
  boxes.forEach((b, i) => {
    const lines = b.lines.filter((l) => l !== '').flatMap((l) => wrap(l));
    const h = TITLE_H + lines.length * LINE_H + 10;
    parts.push(`<rect x="${BOX_X}" y="${y}" width="${BOX_W}" height="${h}" rx="6" fill="#f6f8fa" stroke="#44546a"/>`);
    parts.push(`<text x="${BOX_X + PAD}" y="${y + 18}" font-weight="700" font-family="system-ui,sans-serif">${e(b.title)}</text>`);
    lines.forEach((l, j) => parts.push(`<text x="${BOX_X + PAD}" y="${y + TITLE_H + 14 + j * LINE_H}">${e(l)}</text>`));
    y += h;
    const edge = edges[i];
    if (edge && i < boxes.length - 1) {
      const x = BOX_X + 40;
      const color = COLORS[edge.label];
      const dash = edge.label === 'proven' ? '' : ' stroke-dasharray="5 4"';
      parts.push(`<line x1="${x}" y1="${y}" x2="${x}" y2="${y + GAP - 5}" stroke="${color}" stroke-width="2"${dash}/>`);
      parts.push(`<polygon points="${x - 5},${y + GAP - 6} ${x + 5},${y + GAP - 6} ${x},${y + GAP}" fill="${color}"/>`);
      parts.push(`<text x="${x + 14}" y="${y + GAP / 2 + 5}" fill="${color}" font-weight="600" font-family="system-ui,sans-serif">${e(edge.label)}</text>`);
      y += GAP;
    }
  });
  const height = y + 4;
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="attribution chain" class="chain" width="${DIAGRAM_WIDTH}" height="${height}" viewBox="0 0 ${DIAGRAM_WIDTH} ${height}" font-family="ui-monospace,Menlo,Consolas,monospace" font-size="13">${parts.join('')}</svg>`;
}
