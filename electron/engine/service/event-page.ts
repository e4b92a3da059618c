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

function rowView(r: AttributedRow & { id: number }): EventRowView {
  return { rowid: r.id, ...attributedRowView(r, (flags) => flags.sort()) };
}

export class EventPages {
  private readonly totals = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly fastTotal: (f: EventFilters) => number | null = () => null,
    private readonly fastFirst: (f: EventFilters, k: number, desc: boolean) => ArrayLike<number> | null = () => null,
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
    // A search sorted by time: the rows its page can hold, from memory where the copy exists (SQL would read every
    // hit to sort them, or walk the time index past the rows that do not match).
    const among = q.sort.column === 'eventTime' && q.filters.search?.trim() && q.offset + q.limit <= FIRST_ROWS ? this.fastFirst(q.filters, q.offset + q.limit, q.sort.dir === 'desc') : null;
    if (among !== null && among.length === 0) return { total, rows: [] };
    const page = pageQuery(q, among === null && this.sparse(q, total), searchHits(this.db), among ?? undefined);
    const rows = (this.db.prepare(page.sql).all(...page.params) as (AttributedRow & { id: number })[]).map(rowView);
    if (q.fields?.length) this.withFields(rows, q.fields);
    return { total, rows };
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
