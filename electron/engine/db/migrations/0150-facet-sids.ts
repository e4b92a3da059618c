import type { Database } from 'better-sqlite3';

/**
 * 0150: each event row's facet combination (account, region, event source, event name, error code) as a `strings`
 * id (`facet_sid`; its text is `facetText` of db/strings.ts), written by the writer from now on, so that the reader's
 * columns load an integer a row instead of building those five values' text for every row (the larger part of the
 * load of a case of millions of events).
 *
 * The rows already in the case are not rewritten (at 10M events that would write the whole table again at open):
 * they keep no id, and `facet_sids_after` in `case_meta` says up to which row, so that the reader reads their values
 * as before without asking for ids first.
 */
export function up(db: Database): void {
  db.exec('ALTER TABLE events ADD COLUMN facet_sid INTEGER');
  const last = db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number;
  db.prepare("INSERT INTO case_meta (key, value) VALUES ('facet_sids_after', ?)").run(String(last));
}
