/**
 * Event counts per attribution subject and per value of the table's facet columns (account, region, source,
 * event name, error code). The event table needs the total of the filtered set with every page; counting a
 * million joined rows takes a second or more, summing this rollup a few milliseconds. It is derived data, rebuilt
 * with the attribution in the same transaction (correlate.ts), so it always agrees with `event_subjects`.
 */
import type { Database } from 'better-sqlite3';

/** The facet columns the rollup keeps, named as in `events` so that the table's WHERE clause runs on it unchanged. */
export const ROLLUP_COLUMNS = ['recipient_account_id', 'aws_region', 'event_source', 'event_name', 'error_code'] as const;

export function createRollupTable(db: Database): void {
  db.exec(`
    CREATE TABLE event_rollup (
      subject_id           INTEGER NOT NULL,
      recipient_account_id TEXT,
      aws_region           TEXT,
      event_source         TEXT,
      event_name           TEXT,
      error_code           TEXT,
      n                    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX event_rollup_subject ON event_rollup(subject_id);`);
}

/** Recount from `events` and `event_subjects` (inside the caller's transaction). */
export function rebuildRollup(db: Database): void {
  const cols = ROLLUP_COLUMNS.map((c) => `e.${c}`).join(', ');
  db.exec(`
    DELETE FROM event_rollup;
    INSERT INTO event_rollup (subject_id, ${ROLLUP_COLUMNS.join(', ')}, n)
    SELECT es.subject_id, ${cols}, COUNT(*) FROM events e JOIN event_subjects es ON es.event_rowid = e.id
    GROUP BY es.subject_id, ${cols};`);
}
