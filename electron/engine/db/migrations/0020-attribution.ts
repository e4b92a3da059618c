import type { Database } from 'better-sqlite3';

/**
 * 0020: the attribution built by correlation. Both tables are derived from `events` and `documents` and are
 * rebuilt after every ingest: a subject is one credential (an access key within its validity window, or a
 * key-less principal such as an AWS service), resolved once; each event points at its subject.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE subjects (
      id              INTEGER PRIMARY KEY,
      subject_key     TEXT NOT NULL UNIQUE,
      mechanism       TEXT NOT NULL,
      chained         INTEGER NOT NULL,
      cluster_name    TEXT,
      namespace       TEXT,
      service_account TEXT,
      pod_name        TEXT,
      pod_uid         TEXT,
      node_instance   TEXT,
      conf_identity   TEXT NOT NULL,
      conf_pod        TEXT NOT NULL,
      conf_node       TEXT NOT NULL,
      resolution      TEXT NOT NULL
    ) STRICT;

    CREATE TABLE event_subjects (
      event_rowid INTEGER PRIMARY KEY REFERENCES events(id),
      subject_id  INTEGER NOT NULL REFERENCES subjects(id)
    ) STRICT;
    CREATE INDEX event_subjects_subject ON event_subjects(subject_id);
  `);
}
