/** The timeline: bars from `events.histogram`, time ticks, and a brushed pixel range → a time filter. Pure. */
import type { Histogram } from '../../../shared/api';

export interface Bar {
  x: number;
  y: number;
  w: number;
  h: number;
  count: number;
  fromMs: number;
  toMs: number;
}

export function histogramSpan(h: Histogram): { fromMs: number; toMs: number } {
  return { fromMs: h.fromMs, toMs: h.fromMs + h.bucketMs * h.counts.length };
}

/** Bars scaled to the tallest bucket; a non-empty bucket is at least 1 px tall so it never disappears. */
export function bars(h: Histogram, width: number, height: number): Bar[] {
  const n = h.counts.length;
  if (n === 0 || width <= 0) return [];
  const max = Math.max(1, ...h.counts);
  const bw = width / n;
  return h.counts.map((count, i) => {
    const bh = count === 0 ? 0 : Math.max(1, (count / max) * height);
    return { x: i * bw, y: height - bh, w: Math.max(0.5, bw - (bw > 3 ? 1 : 0)), h: bh, count, fromMs: h.fromMs + i * h.bucketMs, toMs: h.fromMs + (i + 1) * h.bucketMs };
  });
}

/**
 * A brushed range [x0, x1] in pixels over a histogram drawn `width` px wide → fromMs/toMs, snapped outwards to
 * bucket edges (toMs exclusive, as the engine filters). A drag shorter than `minPx` is a click: null.
 */
export function filtersFromBrush(h: Histogram, x0: number, x1: number, width: number, minPx = 3): { fromMs: number; toMs: number } | null {
  if (width <= 0 || h.counts.length === 0) return null;
  const a = Math.max(0, Math.min(x0, x1));
  const b = Math.min(width, Math.max(x0, x1));
  if (b - a < minPx) return null;
  const n = h.counts.length;
  const first = Math.max(0, Math.min(n - 1, Math.floor((a / width) * n)));
  const last = Math.max(first, Math.min(n - 1, Math.ceil((b / width) * n) - 1));
  return { fromMs: h.fromMs + first * h.bucketMs, toMs: h.fromMs + (last + 1) * h.bucketMs };
}

const STEPS_MS = [
  1000, 5000, 15_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000,
  7 * 86_400_000, 30 * 86_400_000,
];

/** Round UTC ticks between from and to, at most `max` of them, labelled for the span they cover. */
export function timeTicks(fromMs: number, toMs: number, max: number): { ms: number; label: string }[] {
  const span = toMs - fromMs;
  if (!(span > 0) || max < 1) return [];
  const step = STEPS_MS.find((s) => span / s <= max) ?? Math.ceil(span / max / 86_400_000) * 86_400_000;
  const out: { ms: number; label: string }[] = [];
  for (let t = Math.ceil(fromMs / step) * step; t <= toMs; t += step) {
    const iso = new Date(t).toISOString();
    const day = iso.slice(5, 10);
    const hm = iso.slice(11, step < 60_000 ? 19 : 16);
    out.push({ ms: t, label: step >= 86_400_000 ? iso.slice(0, 10) : t % 86_400_000 === 0 || out.length === 0 ? `${day} ${hm}` : hm });
  }
  return out;
}
