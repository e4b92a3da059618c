import type { Database } from 'better-sqlite3';

/**
 * 0050: evidence integrity. The manifest records, for gzip files, how many bytes follow the first gzip member
 * (CloudTrail writes one; gunzip silently reads any others) and, when some do, the SHA-256 of the first member
 * alone. Each `podtrail verify` is kept: its verdict and full result (JSON), and one status row per evidence file,
 * which is what reports and the UI join to (event_sources → evidence_files → integrity_files).
 */
export function up(db: Database): void {
  db.exec(`
    ALTER TABLE evidence_files ADD COLUMN gzip_trailing_bytes INTEGER;
    ALTER TABLE evidence_files ADD COLUMN sha256_first_member TEXT;

    CREATE TABLE integrity_runs (
      id           INTEGER PRIMARY KEY,
      verified_at  TEXT NOT NULL,
      tool_version TEXT NOT NULL,
      verdict      TEXT NOT NULL CHECK (verdict IN ('failed', 'authenticated', 'partly-authenticated', 'consistent', 'nothing-to-verify')),
      headline     TEXT NOT NULL,
      files_up_to  INTEGER NOT NULL,
      result       TEXT NOT NULL
    ) STRICT;

    CREATE TABLE integrity_files (
      run_id  INTEGER NOT NULL REFERENCES integrity_runs(id),
      file_id INTEGER NOT NULL REFERENCES evidence_files(id),
      role    TEXT NOT NULL,
      status  TEXT NOT NULL CHECK (status IN ('authenticated', 'consistent', 'failed', 'not-covered', 'not-applicable')),
      detail  TEXT NOT NULL,
      PRIMARY KEY (run_id, file_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX integrity_files_file ON integrity_files(file_id, run_id);
  `);
}
