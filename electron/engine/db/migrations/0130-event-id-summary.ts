import type { Database } from 'better-sqlite3';
import { IdSummary, summarizeRows, writeIdSummary } from '../id-summary';

/**
 * 0130: the summary of the case's eventIDs (db/id-summary.ts), kept by the writer from now on, so that a reader
 * need not read every eventID when it opens the case. An existing case's is made here from its rows.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE event_id_summary (
      id      INTEGER PRIMARY KEY CHECK (id = 1),
      through INTEGER NOT NULL,
      pairs   BLOB NOT NULL,
      singles BLOB NOT NULL
    ) STRICT;`);
  const last = db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number;
  const summary = new IdSummary();
  summarizeRows(db, summary, 0, last);
  writeIdSummary(db, summary, last);
}
