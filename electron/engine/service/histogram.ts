/**
 * The timeline's histogram: the filtered events per time bucket. Over a million events the count takes a second,
 * so it runs on a read-only connection of its own (reader-worker.ts) beside the engine, and is counted in slices
 * of whole buckets, one query each, yielding between them: a newer request for the same view stops an older one
 * at its next slice instead of piling up behind it (and, where it shares the engine's connection, a table page
 * asked for meanwhile is answered between two slices).
 */
import type { Database } from 'better-sqlite3';
import type { Histogram, HistogramQuery } from '../../../shared/api';
import { histogramQuery } from './event-query';
import { searchHits } from './raw-search';

const HISTOGRAM_SLICES = 16;

/** A histogram stopped because a newer one was asked for (the caller no longer wants it). */
export class SupersededError extends Error {}

/** `current`: whether this request is still wanted (checked between slices). */
export async function countHistogram(db: Database, q: HistogramQuery, current: () => boolean = () => true): Promise<Histogram> {
  let { fromMs, toMs } = q.filters;
  if (fromMs === undefined || toMs === undefined) {
    const r = db.prepare('SELECT MIN(event_ms) f, MAX(event_ms) l FROM events').get() as { f: number | null; l: number | null };
    fromMs ??= r.f ?? 0;
    toMs ??= (r.l ?? 0) + 1;
  }
  const bucketMs = Math.max(1000, Math.ceil((toMs - fromMs) / q.buckets / 1000) * 1000);
  const counts = new Array<number>(Math.max(1, Math.ceil((toMs - fromMs) / bucketMs))).fill(0);
  const perSlice = Math.ceil(counts.length / HISTOGRAM_SLICES);
  for (let b = 0; b < counts.length; b += perSlice) {
    if (b > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (!current()) throw new SupersededError('a newer histogram was asked for');
    }
    const slice = { ...q.filters, fromMs: fromMs + b * bucketMs, toMs: Math.min(fromMs + (b + perSlice) * bucketMs, toMs) };
    const h = histogramQuery(slice, fromMs, bucketMs, searchHits(db));
    for (const r of db.prepare(h.sql).all(...h.params) as { bucket: number; n: number }[]) {
      if (r.bucket >= 0 && r.bucket < counts.length) counts[r.bucket] = r.n;
    }
  }
  return { fromMs, bucketMs, counts };
}
