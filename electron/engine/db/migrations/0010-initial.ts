import type { Database } from 'better-sqlite3';

/**
 * 0010: the evidence store. Every evidence file has a manifest row with its SHA-256 (raw bytes, and
 * decompressed bytes for gzip, which is what CloudTrail digests hash); every event keeps its raw record text
 * beside the extracted, indexed columns, and one provenance row per (file, record index) it was read from.
 */
export function up(db: Database): void {
  db.exec(`
    CREATE TABLE case_meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE evidence_files (
      id                  INTEGER PRIMARY KEY,
      path                TEXT NOT NULL,
      size                INTEGER NOT NULL,
      sha256              TEXT NOT NULL,
      sha256_decompressed TEXT,
      compression         TEXT,
      format              TEXT NOT NULL,
      status              TEXT NOT NULL CHECK (status IN ('complete', 'failed')),
      records             INTEGER NOT NULL DEFAULT 0,
      new_events          INTEGER NOT NULL DEFAULT 0,
      duplicates          INTEGER NOT NULL DEFAULT 0,
      conflicts           INTEGER NOT NULL DEFAULT 0,
      insights            INTEGER NOT NULL DEFAULT 0,
      rejected            INTEGER NOT NULL DEFAULT 0,
      first_event_time    TEXT,
      last_event_time     TEXT,
      error               TEXT,
      ingested_at         TEXT NOT NULL,
      tool_version        TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX evidence_files_complete ON evidence_files(path, sha256) WHERE status = 'complete';

    CREATE TABLE record_errors (
      file_id      INTEGER NOT NULL REFERENCES evidence_files(id),
      record_index INTEGER NOT NULL,
      message      TEXT NOT NULL
    ) STRICT;

    CREATE TABLE events (
      id                   INTEGER PRIMARY KEY,
      event_id             TEXT NOT NULL,
      variant              INTEGER NOT NULL DEFAULT 0,
      id_synthetic         INTEGER NOT NULL DEFAULT 0,
      raw_sha256           TEXT NOT NULL,
      event_time           TEXT NOT NULL,
      event_ms             INTEGER NOT NULL,
      event_source         TEXT NOT NULL,
      event_name           TEXT NOT NULL,
      aws_region           TEXT,
      recipient_account_id TEXT,
      source_ip            TEXT,
      user_agent           TEXT,
      identity_type        TEXT,
      principal_arn        TEXT,
      principal_id         TEXT,
      access_key_id        TEXT,
      session_issuer_arn   TEXT,
      invoked_by           TEXT,
      user_name            TEXT,
      error_code           TEXT,
      read_only            INTEGER,
      UNIQUE (event_id, variant)
    ) STRICT;

    -- The raw record text, exactly as read, beside the extracted columns (same rowid). A table of its own keeps
    -- the rows scanned by correlation and the event table narrow.
    CREATE TABLE event_raw (
      event_rowid INTEGER PRIMARY KEY REFERENCES events(id),
      raw         TEXT NOT NULL
    ) STRICT;

    CREATE VIEW events_full AS SELECT e.*, r.raw FROM events e JOIN event_raw r ON r.event_rowid = e.id;

    -- Keyed by event first: rows arrive in event order (cheap appends) and are read per event.
    CREATE TABLE event_sources (
      event_rowid  INTEGER NOT NULL REFERENCES events(id),
      file_id      INTEGER NOT NULL REFERENCES evidence_files(id),
      record_index INTEGER NOT NULL,
      PRIMARY KEY (event_rowid, file_id, record_index)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE documents (
      id      INTEGER PRIMARY KEY,
      file_id INTEGER NOT NULL REFERENCES evidence_files(id),
      kind    TEXT NOT NULL,
      raw     TEXT NOT NULL
    ) STRICT;
  `);
}

/**
 * Secondary indexes are created after bulk loads would be faster, but a case is loaded many times
 * (evidence arrives in batches), so they exist from the start.
 */
export function indexes(db: Database): void {
  db.exec(`
    CREATE INDEX events_time ON events(event_ms, event_id);
    CREATE INDEX events_key ON events(access_key_id) WHERE access_key_id IS NOT NULL;
    -- Only the services whose records carry chain facts (STS, EKS Auth, EKS, IAM) are indexed by name.
    CREATE INDEX events_facts ON events(event_source, event_name)
      WHERE event_source IN ('sts.amazonaws.com', 'eks-auth.amazonaws.com', 'eks.amazonaws.com', 'iam.amazonaws.com');
  `);
}
