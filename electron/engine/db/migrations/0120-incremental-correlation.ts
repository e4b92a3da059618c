import type { Database } from 'better-sqlite3';

/**
 * 0120: what correlation keeps so that adding evidence re-correlates only what it can change (chain/correlate.ts):
 * - `correlation_state`: the last row of `events`, `k8s_audit` and `documents` the attribution covers;
 * - `key_windows_state`: the validity windows each issued key had, to see which keys new records re-issue;
 * - `subject_ip_use`: per subject, the addresses and user agents its events came from (count and first use), the
 *   input of the node-credential detections;
 * - `first_seen_state`: per service account, where the first-seen-api detection stopped (its calls, APIs, last
 *   event and the events it flagged);
 * - `subjects.rep_rowid`: the event a subject's own identity was read from; `subjects.split_of`: the subject a
 *   pod-actor split copied (k8s/pod-actors.ts), merged back before an incremental correlation.
 * All derived: an upgraded case has no state yet, and its next correlation is a whole one that writes it.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE correlation_state (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      engine       TEXT NOT NULL,
      events_max   INTEGER NOT NULL,
      audits_max   INTEGER NOT NULL,
      documents_max INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE key_windows_state (
      access_key_id TEXT PRIMARY KEY,
      windows       TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE subject_ip_use (
      subject_id     INTEGER NOT NULL,
      source_ip      TEXT NOT NULL,
      user_agent_sid INTEGER,
      n              INTEGER NOT NULL,
      first_ms       INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX subject_ip_use_subject ON subject_ip_use(subject_id);
    CREATE TABLE first_seen_state (
      sa         TEXT PRIMARY KEY,
      first_ms   INTEGER NOT NULL,
      calls      INTEGER NOT NULL,
      last_ms    INTEGER NOT NULL,
      last_rowid INTEGER NOT NULL,
      apis       TEXT NOT NULL,
      hits       TEXT NOT NULL
    ) STRICT;
    ALTER TABLE subjects ADD COLUMN rep_rowid INTEGER;
    ALTER TABLE subjects ADD COLUMN split_of INTEGER;
  `);
}
