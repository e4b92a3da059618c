import type { Database } from 'better-sqlite3';
import { appendCustody, fileManifest } from '../../custody/log';

/**
 * 0060: the chain-of-custody log. Append-only (triggers refuse UPDATE and DELETE) and hash-chained: each entry
 * holds the hash of the one before, so an edit, a deletion or a reordering breaks every hash after it
 * (`podtrail custody --case …` checks). A case created before this version gets a first entry that pins the
 * evidence files it already held.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE custody_log (
      seq          INTEGER PRIMARY KEY,
      at           TEXT NOT NULL,
      actor        TEXT NOT NULL,
      action       TEXT NOT NULL,
      tool_version TEXT NOT NULL,
      details      TEXT NOT NULL,
      prev_hash    TEXT NOT NULL,
      entry_hash   TEXT NOT NULL UNIQUE
    ) STRICT;
    CREATE TRIGGER custody_log_no_update BEFORE UPDATE ON custody_log
      BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;
    CREATE TRIGGER custody_log_no_delete BEFORE DELETE ON custody_log
      BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;
  `);
  const files = db.prepare('SELECT COUNT(*) FROM evidence_files').pluck().get() as number;
  if (files === 0) appendCustody(db, 'case-created', {});
  else appendCustody(db, 'custody-log-started', { note: 'this case was created by an earlier version; the files it already held are pinned here', files: fileManifest(db, 0) });
}
