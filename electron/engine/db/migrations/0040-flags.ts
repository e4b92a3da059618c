import type { Database } from 'better-sqlite3';

/** 0040: offline detections, rebuilt with the attribution: one row per (event, flag), with what showed it. */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE event_flags (
      event_rowid INTEGER NOT NULL REFERENCES events(id),
      flag        TEXT NOT NULL,
      detail      TEXT NOT NULL,
      PRIMARY KEY (event_rowid, flag)
    ) STRICT, WITHOUT ROWID;
  `);
}
