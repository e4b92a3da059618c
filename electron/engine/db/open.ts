/**
 * Opening a case database. One writer at a time; WAL so readers (the UI, `trace`) are not blocked by an
 * ingest; `synchronous=FULL` because better-sqlite3 builds SQLite with WAL defaulting to NORMAL, which can
 * lose the last transactions on power loss — not acceptable for a case file.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { LATEST_VERSION, MIGRATIONS } from './migrations';
import { buildSecondaryIndexes } from './migrations/0090-compact-store';
import { registerEventIdHash } from './event-id';

export class CaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaseError';
  }
}

/**
 * The page cache of a case's connection (SQLite's `cache_size`, negative: KiB): 64 MiB. The file's pages SQLite
 * does not keep are in the system's file cache, a read away. A large load raises it while it runs (ingest.ts
 * `BULK_LOAD_CACHE`), the correlation sets its own (chain/correlate.ts).
 */
export const CASE_CACHE = -65536;

export interface OpenOptions {
  /** Open an existing case only (queries); otherwise the case is created if missing. */
  mustExist?: boolean;
  readonly?: boolean;
  /** Migrate up to this version only (tests). */
  targetVersion?: number;
}

export function openCase(path: string, options: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(path, { fileMustExist: options.mustExist ?? false, readonly: options.readonly ?? false });
  } catch (err) {
    throw new CaseError(`cannot open case ${path}: ${(err as Error).message}`);
  }
  try {
    refuseForeign(db); // before any pragma below changes the file
    if (!options.readonly) {
      // Raw records average ~1.7 KB: 16 KiB pages pack them with less slack than 4 KiB ones (set before the
      // first table exists; ignored for an existing case).
      if (schemaVersion(db) === 0) db.pragma('page_size = 16384');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // Checkpoint in large steps: the default (every 1,000 pages) copies pages into the main file after
      // almost every evidence file during ingest. Committed transactions are durable in the WAL either way.
      db.pragma('wal_autocheckpoint = 65536');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma(`cache_size = ${CASE_CACHE}`);
    registerEventIdHash(db);
    migrate(db, options.targetVersion ?? LATEST_VERSION, options.readonly ?? false);
    // An ingest killed while loading in bulk (its secondary indexes dropped) left them missing: build them back.
    if (!options.readonly && schemaVersion(db) >= 90) buildSecondaryIndexes(db);
  } catch (err) {
    db.close();
    // Not a database at all (an evidence file given as --case, say): a usage error, not an internal one.
    if ((err as { code?: unknown }).code === 'SQLITE_NOTADB') {
      throw new CaseError(`${path} is not a PodTrail case (not an SQLite database)`);
    }
    throw err;
  }
  return db;
}

/** Some other application's SQLite database (no PodTrail version, tables of its own): never add to it. */
function refuseForeign(db: Db): void {
  if (schemaVersion(db) === 0 && (db.prepare('SELECT COUNT(*) FROM sqlite_master').pluck().get() as number) > 0) {
    throw new CaseError('this SQLite database is not a PodTrail case (it already holds tables of its own)');
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Db, target: number = LATEST_VERSION, readonly = false): void {
  const current = schemaVersion(db);
  if (current > LATEST_VERSION) {
    throw new CaseError(
      `this case was written by a newer PodTrail (schema ${current}; this version knows up to ${LATEST_VERSION})`,
    );
  }
  const pending = MIGRATIONS.filter((m) => m.version > current && m.version <= target);
  if (pending.length === 0) return;
  if (current === 0) refuseForeign(db);
  if (readonly) throw new CaseError(`case schema ${current} is older than ${target}; open it read-write once to upgrade`);
  // A migration may rebuild a table that others reference (0090 rebuilds `events`): SQLite's procedure for that
  // turns foreign keys off outside the transaction and checks them before it commits.
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    for (const m of pending) {
      db.transaction(() => {
        m.up(db);
        const broken = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
        if (broken.length > 0) {
          const b = broken[0]!;
          throw new CaseError(`migration ${m.version} (${m.name}) would leave ${broken.length} broken reference(s), first ${b.table} row ${b.rowid} → ${b.parent}`);
        }
        db.pragma(`user_version = ${m.version}`);
      })();
    }
  } finally {
    if (foreignKeys) db.pragma('foreign_keys = ON');
  }
}
