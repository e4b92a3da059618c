/**
 * The filtered events over time (`events.histogram`), drawn as SVG bars. Drag across it to narrow the time range;
 * the opened event is marked.
 *
 * The bars always say which filters they count: while a newer count runs (the first of a case of millions of events
 * reads every event once, seconds) the last bars stay, dimmed and marked busy, and the line above says the count is
 * running instead of giving the earlier filter's total as this one's; a count that fails says so.
 */
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import type { EventFilters, Histogram } from '../../../shared/api';
import { bars, filtersFromBrush, histogramSpan, timeTicks } from '../model/histogram';
import { cleanFilters } from '../model/query';
import { formatCount, formatMs, formatDuration } from '../model/format';
import { useClient } from './client-context';

const H = 46;
const AXIS = 14;

function TimelineView({ filters, version, markerTime, onRange }: { filters: EventFilters; version: number | string; markerTime: string | null; onRange: (r: { fromMs?: number; toMs?: number }) => void }) {
  const client = useClient();
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  // The bars shown and the request (filters and bucket count) they answer; `failed` the error of the latest request.
  const [shown, setShown] = useState<{ hist: Histogram; request: string } | null>(null);
  const [failed, setFailed] = useState<{ request: string; message: string } | null>(null);
  const [brush, setBrush] = useState<{ x0: number; x1: number } | null>(null);
  const [hover, setHover] = useState<number | null>(null);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    ro.observe(el);
    setWidth(Math.floor(el.clientWidth));
    return () => ro.disconnect();
  }, []);

  const key = JSON.stringify(cleanFilters(filters));
  const buckets = Math.max(10, Math.min(1000, Math.floor(width / 4)));
  const request = `${key} ${buckets} ${version}`;
  useEffect(() => {
    if (width === 0) return;
    let live = true;
    const t = setTimeout(() => {
      client.call('events.histogram', { filters: JSON.parse(key) as EventFilters, buckets }).then(
        (h) => {
          if (!live) return;
          setShown({ hist: h, request });
          setFailed(null);
        },
        (e: unknown) => live && setFailed({ request, message: e instanceof Error ? e.message : String(e) }),
      );
    }, 60);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [client, key, buckets, width, version, request]);

  const hist = shown?.hist ?? null;
  // Bars of other filters (or of the case before new evidence) while this count runs: dimmed, their total not given.
  const error = failed?.request === request ? failed.message : null;
  const counting = width > 0 && shown?.request !== request && error === null;
  const current = shown !== null && shown.request === request;
  const bs = useMemo(() => (hist ? bars(hist, width, H) : []), [hist, width]);
  const span = hist ? histogramSpan(hist) : null;
  const ticks = span ? timeTicks(span.fromMs, span.toMs, Math.max(2, Math.floor(width / 110))) : [];
  const xOf = (ms: number) => (span ? ((ms - span.fromMs) / (span.toMs - span.fromMs)) * width : 0);
  const marker = markerTime ? Date.parse(markerTime) : NaN;
  const ranged = filters.fromMs !== undefined || filters.toMs !== undefined;
  const hb = hover !== null && current ? bs[Math.min(bs.length - 1, Math.floor((hover / width) * bs.length))] : undefined;
  const total = hist ? hist.counts.reduce((a, b) => a + b, 0) : 0;

  const localX = (e: ReactPointerEvent) => e.clientX - (box.current?.getBoundingClientRect().left ?? 0);

  return (
    <div className="timeline">
      <div className="timeline-info">
        {error !== null ? (
          <span className="timeline-error" role="alert" data-testid="timeline-status">
            The timeline could not be counted: {error}
          </span>
        ) : counting ? (
          <span className="muted" data-testid="timeline-status">
            Counting events…{hist ? ' (the bars below are the previous count)' : ''}
          </span>
        ) : hb ? (
          <span className="mono">
            {formatMs(hb.fromMs)} · <b>{formatCount(hb.count)}</b> events / {formatDuration(hb.toMs - hb.fromMs)}
          </span>
        ) : span ? (
          <span className="muted" data-testid="timeline-status">
            {formatCount(total)} events over {formatDuration(span.toMs - span.fromMs)} · {hist ? formatDuration(hist.bucketMs) : ''} per bar · drag to narrow
          </span>
        ) : (
          <span className="muted">timeline</span>
        )}
        {ranged && (
          <button type="button" className="btn small" onClick={() => onRange({ fromMs: undefined, toMs: undefined })} data-testid="timeline-reset">
            Whole case
          </button>
        )}
      </div>
      <div
        className={`timeline-plot${current ? '' : ' stale'}`}
        ref={box}
        data-testid="timeline"
        aria-busy={counting}
        onPointerDown={(e) => {
          if (e.button !== 0) return;
          (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
          const x = localX(e);
          setBrush({ x0: x, x1: x });
        }}
        onPointerMove={(e) => {
          const x = localX(e);
          setHover(x);
          if (brush) setBrush({ ...brush, x1: x });
        }}
        onPointerLeave={() => setHover(null)}
        onPointerUp={(e) => {
          if (!brush || !hist) return setBrush(null);
          const r = filtersFromBrush(hist, brush.x0, localX(e), width);
          setBrush(null);
          if (r) onRange(r);
        }}
      >
        <svg width={width} height={H + AXIS} role="img" aria-label="events over time">
          <line x1={0} x2={width} y1={H + 0.5} y2={H + 0.5} className="axis" />
          {bs.map((b, i) => (b.h > 0 ? <rect key={i} x={b.x} y={b.y} width={b.w} height={b.h} className="bar-rect" /> : null))}
          {ticks.map((t) => (
            <g key={t.ms} transform={`translate(${xOf(t.ms)},0)`}>
              <line y1={H} y2={H + 3} className="axis" />
              <text y={H + 12} className="tick" textAnchor="middle">
                {t.label}
              </text>
            </g>
          ))}
          {Number.isFinite(marker) && span && marker >= span.fromMs && marker <= span.toMs && <line x1={xOf(marker)} x2={xOf(marker)} y1={0} y2={H} className="marker" />}
          {brush && <rect x={Math.min(brush.x0, brush.x1)} y={0} width={Math.abs(brush.x1 - brush.x0)} height={H} className="brush" />}
        </svg>
      </div>
    </div>
  );
}

/** Drawn again only when its props change (not for every state change of the window: the total, the selection). */
export const Timeline = memo(TimelineView);
