/**
 * The timeline's histogram: the filtered events per time bucket. It runs on a read-only connection of its own
 * (reader-worker.ts) beside the engine.
 *
 * On that connection the event columns are kept in memory (event-columns.ts): once loaded, and after a quick
 * refresh when another connection has committed since (an ingest, a correlation, a note), a histogram is one pass
 * over typed arrays, a few milliseconds at 1M events whatever the filters (a search term's hits come from its hit
 * table, raw-search.ts). It still yields once before counting: a newer request for the same view stops an older one.
 *
 * Otherwise (the copy still loading, a connection without it, a filter it does not know) it is counted with SQL, in
 * slices, one query each, yielding between them: a newer request stops an older one at its next slice instead of
 * piling up behind it (and, where it shares the engine's connection, a table page asked for meanwhile is answered
 * between two slices). Without a time range the slices are ranges of row ids: each reads its part of the table in
 * storage order and the counts add up. Slicing by time instead walks the time index and looks every row up out of
 * order, 3–4× slower at 1M events (916 → 241 ms for a region, 656 → 166 ms for an event name). With a time range (a
 * brushed timeline) the time index is what finds the few rows, and the slices are whole buckets. Both ways give the
 * same counts (event-columns.test.ts compares them).
 */
import type { Database } from 'better-sqlite3';
import type { EventFilters, Histogram, HistogramQuery } from '../../../shared/api';
import { histogramQuery, searchColumnsLike } from './event-query';
import { rawSearch, searchHits } from './raw-search';
import { eventColumnsOf, sortedDistinct, type TermIds } from './event-columns';
import { parseSearch, searchesRaw } from './search-terms';

const HISTOGRAM_SLICES = 16;

/** A histogram stopped because a newer one was asked for (the caller no longer wants it). */
export class SupersededError extends Error {}

/**
 * The row-id sets of a search box's terms for the in-memory columns: each raw-searchable term's hit table, and a
 * term that only reaches the table's columns (no letter or digit) from the columns themselves.
 */
export function termIds(db: Database): TermIds {
  return (search: string) =>
    parseSearch(search).map((t) => {
      if (t.kind === 'field' || searchesRaw(t)) return rawSearch(db).hitIds(t);
      const last = db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number;
      const ids = eventColumnsOf(db)?.searchColumns(t.text, last);
      if (ids) return ids;
      // The search columns still loading: the column scan.
      const like = searchColumnsLike(t.text);
      return sortedDistinct(db.prepare(`SELECT e.id FROM events e WHERE ${like.sql}`).pluck().all(...like.params) as number[]);
    });
}

/**
 * Wait for the connection's in-memory columns to be current, if it keeps them and they have been loaded once (a
 * refresh reads only what changed) or are loading; false when the caller must count with SQL. `current`: checked
 * while waiting.
 */
export async function columnsReady(db: Database, current: () => boolean, search = false): Promise<boolean> {
  const columns = eventColumnsOf(db);
  // A first load running is waited for. Counting with SQL meanwhile would take ~0.3 µs an event for every filter
  // change (a second at 3M events) on the thread that loads, so that a user changing filters during the load got
  // each answer in a second and the columns many seconds later (13 s instead of 4.5 s, 3M events).
  if (!columns || (!columns.loadedOnce() && !columns.loading())) return false;
  if (!columns.fresh()) await settled(columns.refresh(), current);
  // A search waits for the search columns' background load too (it would otherwise read their rest at once, on
  // this thread alone).
  const searching = search ? columns.searchLoading() : null;
  if (searching && columns.fresh()) await settled(searching, current);
  return columns.fresh();
}

/** Wait for `done` to settle, checking `current()` between turns of the event loop. */
async function settled(done: Promise<void>, current: () => boolean): Promise<void> {
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!current()) throw new SupersededError('a newer histogram was asked for');
  }
}

/** `current`: whether this request is still wanted (checked between slices). */
export async function countHistogram(db: Database, q: HistogramQuery, current: () => boolean = () => true): Promise<Histogram> {
  const yieldOrStop = async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!current()) throw new SupersededError('a newer histogram was asked for');
  };
  const fast = await columnsReady(db, current, (q.filters.search ?? '').trim() !== '');
  let { fromMs, toMs } = q.filters;
  if (fromMs === undefined || toMs === undefined) {
    // Two subqueries: each reads one end of the time index (MIN and MAX in one SELECT scan it whole: ~50 ms at 1M).
    const r = db.prepare('SELECT (SELECT MIN(event_ms) FROM events) f, (SELECT MAX(event_ms) FROM events) l').get() as { f: number | null; l: number | null };
    fromMs ??= r.f ?? 0;
    toMs ??= (r.l ?? 0) + 1;
  }
  const bucketMs = Math.max(1000, Math.ceil((toMs - fromMs) / q.buckets / 1000) * 1000);
  const buckets = Math.max(1, Math.ceil((toMs - fromMs) / bucketMs));
  if (fast) {
    await yieldOrStop();
    const timed = q.filters.fromMs !== undefined || q.filters.toMs !== undefined;
    const counts = eventColumnsOf(db)!.histogram(q.filters, termIds(db), fromMs, toMs, bucketMs, buckets, timed);
    if (counts) return { fromMs, bucketMs, counts };
  }
  return { fromMs, bucketMs, counts: await sqlCounts(db, q.filters, fromMs, toMs, bucketMs, buckets, yieldOrStop) };
}

/** The counts from SQL, in slices (see above). */
async function sqlCounts(db: Database, f: EventFilters, fromMs: number, toMs: number, bucketMs: number, buckets: number, yieldOrStop: () => Promise<void>): Promise<number[]> {
  const counts = new Array<number>(buckets).fill(0);
  if (f.fromMs === undefined && f.toMs === undefined) {
    const last = (db.prepare('SELECT MAX(id) FROM events').pluck().get() as number | null) ?? 0;
    const step = Math.max(1, Math.ceil(last / HISTOGRAM_SLICES));
    for (let after = 0; after < last; after += step) {
      if (after > 0) await yieldOrStop();
      const h = histogramQuery(f, fromMs, bucketMs, searchHits(db), { after, upTo: after + step });
      for (const r of db.prepare(h.sql).all(...h.params) as { bucket: number; n: number }[]) {
        if (r.bucket >= 0 && r.bucket < counts.length) counts[r.bucket]! += r.n;
      }
    }
    return counts;
  }
  const perSlice = Math.ceil(counts.length / HISTOGRAM_SLICES);
  for (let b = 0; b < counts.length; b += perSlice) {
    if (b > 0) await yieldOrStop();
    const slice = { ...f, fromMs: fromMs + b * bucketMs, toMs: Math.min(fromMs + (b + perSlice) * bucketMs, toMs) };
    const h = histogramQuery(slice, fromMs, bucketMs, searchHits(db));
    for (const r of db.prepare(h.sql).all(...h.params) as { bucket: number; n: number }[]) {
      if (r.bucket >= 0 && r.bucket < counts.length) counts[r.bucket] = r.n;
    }
  }
  return counts;
}
