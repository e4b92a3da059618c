/**
 * One page of the event table and the total of its filtered set, on a connection: the engine's (case-service.ts),
 * or the reader's for a page that searches (reader-worker.ts: the search's hit table is built once, on the
 * connection that also counts its timeline). Totals are kept per filter set (paging through 1M events must not
 * recount them for every page) until `clear`; a star or tag filter is counted every time (the notes change under
 * it). `fastTotal`, where given, counts a filter set from the in-memory columns (event-columns.ts) when it can.
 */
import type { Database } from 'better-sqlite3';
import type { EventFilters, EventPage, EventQuery, EventRowView } from '../../../shared/api';
import { attributedRowView, type AttributedRow } from '../db/rows';
import { rawReader } from '../ingest/raw-blocks';
import { countQuery, pageQuery, rollupFilters, subjectEventsQuery } from './event-query';
import { searchHits } from './raw-search';
import { fieldText } from './search-terms';

/** The deepest page end (offset + limit) read among the first rows from memory; deeper pages use SQL alone. */
const FIRST_ROWS = 10_000;
/**
 * Rows of the time index SQL may walk for a filtered page (about page end × events / total) before the page is read
 * from memory instead: the columns cost ~5 ns a row of the case (5M: ~25 ms), the walk ~0.5 µs a row visited with
 * its pages in SQLite's cache and 2–5 µs from a cold cache, as every filter is the first time after the case opens
 * (an event name with 1,291 events of 1M: a walk of 77,000 rows, 170–410 ms cold and 40 ms warm; from memory 20 ms).
 * The estimate takes the events as spread evenly over time, and bursts are common (a pipeline's calls): `PutImage`,
 * 5,254 events of 1M, was estimated at 19,000 rows and walked 132,000 (80–140 ms a page, warm); from memory 17–31 ms.
 * Hence a threshold well under what an even spread would call for (20,000 before 2026-12-05).
 */
const WALK_ROWS = 5_000;
/**
 * An access key's filtered events from which its page is read from memory. The case keeps no planner statistics, so
 * SQLite takes `access_key_id = ?` through its index as selective whatever the key: it reads every event of the key
 * (row, subject, flags) and sorts them for the page, 15–25 µs a row read cold on a quiet machine, up to ~90 µs on a
 * slow one. A node's key with 17,886 events of 1M took 0.4–0.6 s the first time it was clicked (20 ms again); from
 * the columns, 30 ms. Keys of 1,200–1,750 events of 3M took 72–186 ms the first time with SQL (page and timeline
 * together, from a dropped page cache), a 1,400-event key of 1M 124 ms in a benchmark run. So a key with 1,000 events
 * or more is read from memory: with SQL, a smaller key's first page stays under ~90 ms even read cold and slowly.
 */
const KEY_ROWS = 1_000;

function rowView(r: AttributedRow & { id: number }): EventRowView {
  return { rowid: r.id, ...attributedRowView(r, (flags) => flags.sort()) };
}

export class EventPages {
  private readonly totals = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly fastTotal: (f: EventFilters) => number | null = () => null,
    private readonly fastFirst: (f: EventFilters, k: number, desc: boolean) => ArrayLike<number> | null = () => null,
    private readonly walkRows = WALK_ROWS,
  ) {}

  /** Forget the kept totals (the case has changed). */
  clear(): void {
    this.totals.clear();
  }

  page(q: EventQuery): EventPage {
    const key = JSON.stringify(q.filters);
    // A star or tag filter is counted every time: the examiner's notes change under it (here, or from the CLI).
    const notes = q.filters.starred === true || !!q.filters.tag;
    let total = notes ? undefined : this.totals.get(key);
    if (total === undefined) {
      // The rollup sums a facet filter in milliseconds; anything else is counted in memory where the copy exists.
      const fast = rollupFilters(q.filters) ? null : this.fastTotal(q.filters);
      if (fast !== null) total = fast;
      else {
        const count = countQuery(q.filters, searchHits(this.db));
        total = this.db.prepare(count.sql).pluck().get(...count.params) as number;
      }
      if (this.totals.size > 200) this.totals.clear();
      if (!notes) this.totals.set(key, total);
    }
    // Nothing matches: skip the page query, which would scan every event to find no row.
    if (total === 0) return { total, rows: [] };
    const among = this.firstRows(q, total);
    if (among !== null && among.length === 0) return { total, rows: [] };
    const page = pageQuery(q, among === null && this.sparse(q, total), searchHits(this.db), among ?? undefined);
    const rows = (this.db.prepare(page.sql).all(...page.params) as (AttributedRow & { id: number })[]).map(rowView);
    if (q.fields?.length) this.withFields(rows, q.fields);
    return { total, rows };
  }

  /**
   * The rows a page sorted by time can hold, from the in-memory columns where this connection has them, for a search
   * (SQL would read every hit to sort them, or walk the time index past the rows that do not match) or when walking
   * the time index would visit many rows for each one kept (a rare event name: SQL walks the whole index to find its
   * 83 events of 5M, a second). Null: the page is read with SQL alone.
   */
  private firstRows(q: EventQuery, total: number): ArrayLike<number> | null {
    const k = q.offset + q.limit;
    if (q.sort.column !== 'eventTime' || k > FIRST_ROWS) return null;
    if (!q.filters.search?.trim()) {
      const events = this.db.prepare('SELECT COALESCE(SUM(n), 0) FROM event_rollup').pluck().get() as number;
      // A key's filtered set is at most its own events, each of which SQL reads (above); otherwise the time index walk.
      if (q.filters.accessKeyId ? total < KEY_ROWS : (k * events) / Math.max(total, 1) < this.walkRows) return null;
    }
    return this.fastFirst(q.filters, k, q.sort.dir === 'desc');
  }

  /** The raw record's values at the asked paths (columns the examiner chose: `requestParameters.secretId`…). */
  private withFields(rows: EventRowView[], fields: string[]): void {
    const reader = rawReader(this.db);
    for (const row of rows) {
      let record: unknown = null;
      try {
        record = JSON.parse(reader.ofEvent(row.rowid));
      } catch {
        // (a stored record always parses: it was parsed to be stored)
      }
      row.fields = Object.fromEntries(fields.map((f) => [f, fieldText(record, f.split('.'))]));
    }
  }

  /**
   * Whether a page is cheaper read from the matching subjects than along the time index: walking the index visits
   * about (offset + limit) × events / total rows; the subjects' own events are what the other plan reads.
   */
  private sparse(q: EventQuery, total: number): boolean {
    if (q.sort.column !== 'eventTime' || !rollupFilters(q.filters)) return false;
    const events = this.db.prepare('SELECT COALESCE(SUM(n), 0) FROM event_rollup').pluck().get() as number;
    const alongTime = Math.min(events, ((q.offset + q.limit) * events) / total);
    const s = subjectEventsQuery(q.filters);
    return (this.db.prepare(s.sql).pluck().get(...s.params) as number) < alongTime / 4;
  }
}
