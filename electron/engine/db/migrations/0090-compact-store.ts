import type { Database } from 'better-sqlite3';
import { FACT_SOURCES, CODEC_BROTLI, BLOCK_BYTES, compressBlock } from '../../ingest/raw-blocks';
import { hash53 } from '../event-id';
import { buildBlockFilter } from '../../ingest/block-filter';
import { EVENTS_VIEW, StringIds } from '../strings';

/**
 * 0090: the compact store (store-at-scale issue).
 *
 * - Raw record text leaves `event_raw` (one row per event, 72 % of a case) for `raw_blocks`: many records per
 *   Brotli-compressed block (ingest/raw-blocks.ts); each event points at its bytes (`raw_block`, `raw_off`,
 *   `raw_len`).
 * - The first place an event was read from is in its own row (`file_id`, `record_index`); `event_redeliveries`
 *   keeps only the further deliveries of the same record, and the view `event_sources` gives them all.
 * - Repeated strings (user agents, ARNs, principal ids, invoking services, user names) are stored once, in
 *   `strings`, and the event rows hold their ids; the view `events_v` gives them as text (db/strings.ts).
 * - De-duplication looks events up by a 53-bit hash of the eventID (`id_hash`, an integer index) and compares the
 *   full id, instead of a unique text index on the eventID; the record's SHA-256 is 32 bytes, not 64 hex characters.
 *
 * Existing cases are upgraded in place: rows keep their ids (every table that points at an event stays valid),
 * raw texts are packed into blocks in row order, and the earliest provenance of each event moves into its row.
 * The new columns carry no REFERENCES clause: they are written once by the single writer, and a foreign-key
 * lookup per row and column is a measurable part of its time.
 */
export function up(db: Database): void {
  db.exec(`
    DROP VIEW IF EXISTS events_full;

    CREATE TABLE raw_blocks (
      id    INTEGER PRIMARY KEY,
      codec INTEGER NOT NULL,
      -- 1: holds only records of the services whose text the chain rules read (raw-blocks.ts FACT_SOURCES)
      facts INTEGER NOT NULL DEFAULT 0,
      data  BLOB NOT NULL,
      -- what free-text search may skip the block by (ingest/block-filter.ts); NULL: never skipped
      filter BLOB
    ) STRICT;

    CREATE TABLE strings (
      id   INTEGER PRIMARY KEY,
      text TEXT NOT NULL UNIQUE
    ) STRICT;

    CREATE TABLE events_compact (
      id                   INTEGER PRIMARY KEY,
      id_hash              INTEGER NOT NULL,
      event_id             TEXT NOT NULL,
      variant              INTEGER NOT NULL DEFAULT 0,
      id_synthetic         INTEGER NOT NULL DEFAULT 0,
      raw_sha256           BLOB NOT NULL,
      event_time           TEXT NOT NULL,
      event_ms             INTEGER NOT NULL,
      event_source         TEXT NOT NULL,
      event_name           TEXT NOT NULL,
      aws_region           TEXT,
      recipient_account_id TEXT,
      source_ip            TEXT,
      user_agent_sid       INTEGER,
      identity_type        TEXT,
      principal_arn_sid    INTEGER,
      principal_id_sid     INTEGER,
      access_key_id        TEXT,
      session_issuer_arn_sid INTEGER,
      invoked_by_sid       INTEGER,
      user_name_sid        INTEGER,
      error_code           TEXT,
      read_only            INTEGER,
      file_id              INTEGER NOT NULL,
      record_index         INTEGER NOT NULL,
      raw_block            INTEGER NOT NULL,
      raw_off              INTEGER NOT NULL,
      raw_len              INTEGER NOT NULL
    ) STRICT;
  `);

  const old = db.prepare(`
    SELECT e.*, r.raw,
      (SELECT s.file_id FROM event_sources s WHERE s.event_rowid = e.id ORDER BY s.file_id, s.record_index LIMIT 1) AS src_file,
      (SELECT s.record_index FROM event_sources s WHERE s.event_rowid = e.id ORDER BY s.file_id, s.record_index LIMIT 1) AS src_index
    FROM events e JOIN event_raw r ON r.event_rowid = e.id WHERE e.id > ? ORDER BY e.id LIMIT 5000`);
  const insertBlock = db.prepare('INSERT INTO raw_blocks (codec, facts, data, filter) VALUES (?, ?, ?, ?)');
  const insert = db.prepare(`
    INSERT INTO events_compact (id, id_hash, event_id, variant, id_synthetic, raw_sha256, event_time, event_ms, event_source,
      event_name, aws_region, recipient_account_id, source_ip, user_agent_sid, identity_type, principal_arn_sid, principal_id_sid,
      access_key_id, session_issuer_arn_sid, invoked_by_sid, user_name_sid, error_code, read_only, file_id, record_index,
      raw_block, raw_off, raw_len)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const facts = new Set(FACT_SOURCES);
  const strings = new StringIds(db);
  type Old = Record<string, unknown> & { id: number; raw: string; event_source: string; src_file: number | null; src_index: number | null };
  const pending: [Old[], Old[]] = [[], []];
  const sizes = [0, 0];
  const flush = (kind: 0 | 1): void => {
    const rows = pending[kind];
    if (rows.length === 0) return;
    const texts = rows.map((r) => r.raw);
    const bytes = Buffer.from(texts.join(''), 'utf8');
    // The same block and search filter a fresh ingest writes (raw-blocks.ts packRows).
    const filter = buildBlockFilter(bytes, texts).filter;
    const block = Number(insertBlock.run(CODEC_BROTLI, kind, compressBlock(bytes), filter).lastInsertRowid);
    let off = 0;
    for (const r of rows) {
      const len = Buffer.byteLength(r.raw, 'utf8');
      insert.run(
        r.id, hash53(r.event_id as string), r.event_id, r.variant, r.id_synthetic, Buffer.from(r.raw_sha256 as string, 'hex'),
        r.event_time, r.event_ms, r.event_source, r.event_name, r.aws_region, r.recipient_account_id, r.source_ip,
        strings.id(r.user_agent as string | null), r.identity_type, strings.id(r.principal_arn as string | null),
        strings.id(r.principal_id as string | null), r.access_key_id, strings.id(r.session_issuer_arn as string | null),
        strings.id(r.invoked_by as string | null), strings.id(r.user_name as string | null), r.error_code, r.read_only, r.src_file ?? 0, r.src_index ?? -1, block, off, len,
      );
      off += len;
    }
    pending[kind] = [];
    sizes[kind] = 0;
  };
  // In pages: one connection cannot write while it iterates.
  for (let after = -1, page = old.all(after) as Old[]; page.length > 0; page = old.all(after) as Old[]) {
    for (const r of page) {
      const kind = facts.has(r.event_source) ? 1 : 0;
      pending[kind].push(r);
      sizes[kind] = sizes[kind]! + r.raw.length;
      if (sizes[kind]! >= BLOCK_BYTES) flush(kind);
    }
    after = page[page.length - 1]!.id;
  }
  flush(0);
  flush(1);

  db.exec(`
    -- The first delivery is now in the event's row; the table keeps the others, and a view of the old name gives
    -- every delivery (readers are unchanged).
    DELETE FROM event_sources WHERE EXISTS (
      SELECT 1 FROM events_compact c WHERE c.id = event_sources.event_rowid AND c.file_id = event_sources.file_id
        AND c.record_index = event_sources.record_index);
    ALTER TABLE event_sources RENAME TO event_redeliveries;
    DROP TABLE event_raw;
    DROP TABLE events;
    ALTER TABLE events_compact RENAME TO events;
    ${EVENTS_VIEW}
    CREATE VIEW event_sources (event_rowid, file_id, record_index) AS
      SELECT id, file_id, record_index FROM events
      UNION ALL SELECT event_rowid, file_id, record_index FROM event_redeliveries;
  `);
  indexes(db);
}

/**
 * The event table's indexes. A bulk ingest into an empty or small case drops the three secondary ones and builds
 * them when its rows are in (ingest.ts); the eventID hash stays, because de-duplication reads it while loading.
 */
export const SECONDARY_INDEXES = `
  CREATE INDEX IF NOT EXISTS events_time ON events(event_ms, event_id);
  CREATE INDEX IF NOT EXISTS events_key ON events(access_key_id) WHERE access_key_id IS NOT NULL;
  -- Only the services whose records carry chain facts (STS, EKS Auth, EKS, IAM) are indexed by name.
  CREATE INDEX IF NOT EXISTS events_facts ON events(event_source, event_name)
    WHERE event_source IN (${FACT_SOURCES.map((s) => `'${s}'`).join(', ')});`;

/**
 * The page cache (KiB, as the pragma takes it) while the secondary indexes are built: SQLite sizes a CREATE INDEX's
 * sorter by the cache setting, so with the case's 256 MiB the build of the 10M case's indexes held 256 MiB of
 * sorted keys on top of a full page cache (peak +258 MiB); with 32 MiB it spills runs to temporary files instead,
 * and took 12.6–13.5 s instead of 17.3 s (the 10M case's time and key indexes, same machine, alternating runs).
 * Smaller runs sort faster still (they fit the processor's caches; merging more runs costs less than that saves):
 * the four indexes of the 1M case in 2.1–2.3 s with 4 MiB against 3.1–3.2 s with 32 MiB, of the 10M case in
 * 21.1–24.0 s against 36.3–36.6 s (2 MiB: about the same; 8 MiB: 25 s; SQLite's sorter threads: no gain).
 */
const INDEX_BUILD_CACHE = -4096;

/** The eventID-hash index (every lookup by eventID, and the writer's duplicate check, go through it). */
export const ID_HASH_INDEX = 'CREATE INDEX IF NOT EXISTS events_id_hash ON events(id_hash);';

/**
 * A bulk load's eventID-hash index over its rows up to a row id, made when they outgrew the writer's id table
 * (ingest/store.ts): rows after that id are not in it, so adding them costs it nothing. Gone when the load ends.
 */
export const PARTIAL_ID_HASH_INDEX = 'events_id_hash_upto';

export function partialIdHashIndexSql(through: number): string {
  if (!Number.isSafeInteger(through) || through < 0) throw new RangeError(`bad row id ${through}`);
  return `CREATE INDEX ${PARTIAL_ID_HASH_INDEX} ON events(id_hash) WHERE id <= ${through}`;
}

/** (Re)build the partial eventID-hash index over the rows up to `through`, unless it is already that one. */
export function buildPartialIdHashIndex(db: Database, through: number): void {
  const want = partialIdHashIndexSql(through);
  const have = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?").pluck().get(PARTIAL_ID_HASH_INDEX);
  if (have === want) return;
  buildWithSmallCache(db, `DROP INDEX IF EXISTS ${PARTIAL_ID_HASH_INDEX}; ${want};`);
}

/**
 * Build the event indexes that are missing (after a bulk load, or a bulk load that was killed): the secondary ones
 * and the eventID hash's (the load's partial one dropped).
 */
export function buildSecondaryIndexes(db: Database): void {
  buildWithSmallCache(db, `DROP INDEX IF EXISTS ${PARTIAL_ID_HASH_INDEX}; ${ID_HASH_INDEX} ${SECONDARY_INDEXES}`);
}

/** Build the eventID-hash index alone, if missing (a bulk load whose rows outgrew the writer's id table). */
export function buildIdHashIndex(db: Database): void {
  buildWithSmallCache(db, ID_HASH_INDEX);
}

function buildWithSmallCache(db: Database, sql: string): void {
  const cache = db.pragma('cache_size', { simple: true }) as number;
  // Only ever smaller than the connection's own setting (a negative size is KiB, a positive one pages).
  const pageKiB = (db.pragma('page_size', { simple: true }) as number) / 1024;
  if ((cache < 0 ? -cache : cache * pageKiB) <= -INDEX_BUILD_CACHE) {
    db.exec(sql);
    return;
  }
  db.pragma(`cache_size = ${INDEX_BUILD_CACHE}`);
  try {
    db.exec(sql);
  } finally {
    db.pragma(`cache_size = ${cache}`);
  }
}

export function indexes(db: Database): void {
  db.exec(`${ID_HASH_INDEX} ${SECONDARY_INDEXES}`);
}
