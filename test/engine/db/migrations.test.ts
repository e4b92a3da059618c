/**
 * Case database migrations and opening: each migration from the version before it (rows written before are
 * intact after), atomic migrations, the pragmas a case file runs with, and the cases that must be refused.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CaseError, migrate, openCase, schemaVersion } from '../../../electron/engine/db/open';
import { LATEST_VERSION, MIGRATIONS } from '../../../electron/engine/db/migrations';
import { tempDir } from '../../helpers/evidence';
import { checkCustody, readCustody } from '../../../electron/engine/custody/log';
import { eventsWithRaw } from '../../helpers/case';
import { IdSummary, readIdSummary } from '../../../electron/engine/db/id-summary';

function objects(db: Db, type: 'table' | 'index' | 'view'): string[] {
  return db
    .prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all(type) as string[];
}

function columns(db: Db, table: string): string[] {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
}

/** Rows in every version-10 table, as an ingest would write them. */
function seed10(db: Db): void {
  db.prepare("INSERT INTO case_meta (key, value) VALUES ('created_by', 'test')").run();
  db.prepare(
    `INSERT INTO evidence_files (id, path, size, sha256, sha256_decompressed, compression, format, status, records, new_events,
       first_event_time, last_event_time, ingested_at, tool_version)
     VALUES (1, '/e/a.json.gz', 123, '${'a'.repeat(64)}', '${'b'.repeat(64)}', 'gzip', 'cloudtrail-log', 'complete', 2, 2,
       '2024-03-01T10:00:00Z', '2024-03-01T10:00:05Z', '2024-03-02T00:00:00Z', '0.1.0')`,
  ).run();
  db.prepare(
    `INSERT INTO evidence_files (id, path, size, sha256, format, status, error, ingested_at, tool_version)
     VALUES (2, '/e/bad.json.gz', 9, '${'c'.repeat(64)}', 'unknown', 'failed', 'truncated gzip', '2024-03-02T00:00:00Z', '0.1.0')`,
  ).run();
  const ev = db.prepare(
    `INSERT INTO events (id, event_id, variant, raw_sha256, event_time, event_ms, event_source, event_name, access_key_id)
     VALUES (?, ?, ?, ?, ?, ?, 'sts.amazonaws.com', ?, ?)`,
  );
  ev.run(1, 'ev-1', 0, 'd'.repeat(64), '2024-03-01T10:00:00Z', Date.parse('2024-03-01T10:00:00Z'), 'AssumeRole', 'ASIAEXAMPLE0000001');
  ev.run(2, 'ev-1', 1, 'e'.repeat(64), '2024-03-01T10:00:05Z', Date.parse('2024-03-01T10:00:05Z'), 'AssumeRole', null);
  db.prepare("INSERT INTO event_raw (event_rowid, raw) VALUES (1, '{\"eventID\":\"ev-1\"}'), (2, '{\"eventID\":\"ev-1\",\"x\":1}')").run();
  db.prepare('INSERT INTO event_sources (event_rowid, file_id, record_index) VALUES (1, 1, 0), (2, 1, 1)').run();
  db.prepare("INSERT INTO documents (file_id, kind, raw) VALUES (1, 'cloudtrail-digest', '{}')").run();
  db.prepare("INSERT INTO record_errors (file_id, record_index, message) VALUES (1, 7, 'eventTime: missing or not a string')").run();
}

/** Seed at 10, migrate to `previous`, then to `version`: the version-10 rows are unchanged throughout. */
function runFrom10(version: number, previous: number): void {
  const db = openCase(':memory:', { targetVersion: 10 });
  seed10(db);
  const before = dump10(db);
  migrate(db, previous);
  expect(schemaVersion(db)).toBe(previous);
  expect(dump10(db)).toEqual(before);
  const tablesBefore = objects(db, 'table');
  migrate(db, version);
  expect(schemaVersion(db)).toBe(version);
  expect(dump10(db)).toEqual(before);
  // 0090 moves the raw texts of event_raw into raw_blocks, and event_sources becomes a view of every delivery.
  const replaced = version === 90 ? ['event_raw', 'event_sources'] : [];
  expect(objects(db, 'table')).toEqual(expect.arrayContaining(tablesBefore.filter((t) => !replaced.includes(t))));
  if (version === 90) expect(objects(db, 'view')).toContain('event_sources');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  db.close();
}

const EVIDENCE_FILES_10 = [
  'id', 'path', 'size', 'sha256', 'sha256_decompressed', 'compression', 'format', 'status', 'records', 'new_events', 'duplicates',
  'conflicts', 'insights', 'rejected', 'first_event_time', 'last_event_time', 'error', 'ingested_at', 'tool_version',
];

function dump10(db: Db) {
  return {
    // (keys later migrations add are theirs: 0150's is checked below)
    meta: db.prepare("SELECT * FROM case_meta WHERE key <> 'facet_sids_after'").all(),
    // The version-10 columns (later migrations add columns; the rows' version-10 values must not change).
    files: db.prepare(`SELECT ${EVIDENCE_FILES_10.join(', ')} FROM evidence_files ORDER BY id`).all(),
    events: eventsWithRaw(db),
    sources: db.prepare('SELECT * FROM event_sources ORDER BY event_rowid').all(),
    documents: db.prepare('SELECT * FROM documents').all(),
    errors: db.prepare('SELECT * FROM record_errors').all(),
  };
}

describe('migrations', () => {
  it('are numbered in tens, ascending, ending at LATEST_VERSION', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    for (const v of versions) expect(v % 10).toBe(0);
    expect(LATEST_VERSION).toBe(versions[versions.length - 1]);
    expect(versions.slice(0, 2)).toEqual([10, 20]);
  });

  it('0010 from an empty database: the evidence store, its constraints and indexes', () => {
    const db = openCase(':memory:', { targetVersion: 0 });
    expect(schemaVersion(db)).toBe(0);
    expect(objects(db, 'table')).toEqual([]);
    migrate(db, 10);
    expect(schemaVersion(db)).toBe(10);
    expect(objects(db, 'table')).toEqual(['case_meta', 'documents', 'event_raw', 'event_sources', 'events', 'evidence_files', 'record_errors']);
    expect(objects(db, 'view')).toEqual(['events_full']);
    expect(objects(db, 'index')).toEqual(expect.arrayContaining(['events_time', 'events_key', 'evidence_files_complete']));
    expect(columns(db, 'events')).toEqual(
      expect.arrayContaining(['event_id', 'variant', 'id_synthetic', 'raw_sha256', 'event_time', 'event_ms', 'access_key_id']),
    );
    expect(columns(db, 'evidence_files')).toEqual(expect.arrayContaining(['sha256', 'sha256_decompressed', 'status', 'error']));
    // Nothing of 0020 yet.
    expect(objects(db, 'table')).not.toContain('subjects');

    seed10(db);
    // Constraints: one row per (eventID, variant); status is complete|failed; one complete load per (path, hash);
    // STRICT tables refuse mistyped values; provenance must point at real rows.
    const dupVariant = () =>
      db.prepare("INSERT INTO events (event_id, variant, raw_sha256, event_time, event_ms, event_source, event_name) VALUES ('ev-1', 0, 'x', 't', 0, 's', 'n')").run();
    expect(dupVariant).toThrow(/UNIQUE constraint failed: events.event_id, events.variant/);
    expect(() =>
      db.prepare("INSERT INTO evidence_files (path, size, sha256, format, status, ingested_at, tool_version) VALUES ('p', 0, 'x', 'f', 'partial', 't', 'v')").run(),
    ).toThrow(/CHECK constraint failed/);
    expect(() =>
      db.prepare(`INSERT INTO evidence_files (path, size, sha256, format, status, ingested_at, tool_version) VALUES ('/e/a.json.gz', 1, '${'a'.repeat(64)}', 'f', 'complete', 't', 'v')`).run(),
    ).toThrow(/UNIQUE constraint failed/);
    // A failed row for the same path and hash is allowed (the index is partial).
    db.prepare(`INSERT INTO evidence_files (path, size, sha256, format, status, ingested_at, tool_version) VALUES ('/e/a.json.gz', 1, '${'a'.repeat(64)}', 'f', 'failed', 't', 'v')`).run();
    expect(() => db.prepare("INSERT INTO events (event_id, raw_sha256, event_time, event_ms, event_source, event_name) VALUES ('z', 'x', 't', 'not a number', 's', 'n')").run()).toThrow(
      /cannot store TEXT value in INTEGER column/,
    );
    expect(() => db.prepare('INSERT INTO event_sources (event_rowid, file_id, record_index) VALUES (999, 1, 0)').run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('0020 from 0010 keeps every row and adds the attribution tables', () => {
    const db = openCase(':memory:', { targetVersion: 10 });
    expect(schemaVersion(db)).toBe(10);
    seed10(db);
    const before = dump10(db);
    migrate(db, 20);
    expect(schemaVersion(db)).toBe(20);
    expect(dump10(db)).toEqual(before);
    expect(before.events).toHaveLength(2);
    expect(objects(db, 'table')).toEqual(expect.arrayContaining(['subjects', 'event_subjects']));
    expect(objects(db, 'index')).toContain('event_subjects_subject');
    // The new tables work with the old rows.
    db.prepare(
      `INSERT INTO subjects (id, subject_key, mechanism, chained, conf_identity, conf_pod, conf_node, resolution)
       VALUES (1, 'key:ASIAEXAMPLE0000001', 'irsa', 0, 'proven', 'none', 'none', '{}')`,
    ).run();
    db.prepare('INSERT INTO event_subjects (event_rowid, subject_id) VALUES (1, 1), (2, 1)').run();
    expect(db.prepare('SELECT COUNT(*) FROM events e JOIN event_subjects s ON s.event_rowid = e.id').pluck().get()).toBe(2);
    expect(() => db.prepare('INSERT INTO event_subjects (event_rowid, subject_id) VALUES (999, 1)').run()).toThrow(/FOREIGN KEY/);
    expect(() =>
      db.prepare(
        "INSERT INTO subjects (subject_key, mechanism, chained, conf_identity, conf_pod, conf_node, resolution) VALUES ('key:ASIAEXAMPLE0000001', 'x', 0, 'a', 'b', 'c', '{}')",
      ).run(),
    ).toThrow(/UNIQUE/);
    db.close();
  });

  it.each(MIGRATIONS.slice(1).map((m, i) => [m.version, MIGRATIONS[i]!.version, m.name] as const))(
    'migration %i from %i (%s) keeps every row written before it',
    (version, previous) => runFrom10(version, previous),
  );

  it('0050 records appended gzip data per evidence file and keeps verifications with a status per file', () => {
    const db = openCase(':memory:', { targetVersion: 10 });
    seed10(db);
    migrate(db, 50);
    expect(columns(db, 'evidence_files')).toEqual(expect.arrayContaining(['gzip_trailing_bytes', 'sha256_first_member']));
    // Files loaded before 0050 were never checked for appended data: unknown, not "none".
    expect(db.prepare('SELECT gzip_trailing_bytes, sha256_first_member FROM evidence_files WHERE id = 1').get()).toEqual({ gzip_trailing_bytes: null, sha256_first_member: null });
    expect(objects(db, 'table')).toEqual(expect.arrayContaining(['integrity_runs', 'integrity_files']));
    expect(objects(db, 'index')).toContain('integrity_files_file');
    db.prepare("INSERT INTO integrity_runs (id, verified_at, tool_version, verdict, headline, files_up_to, result) VALUES (1, 't', 'v', 'consistent', 'consistent, not authenticated', 2, '{}')").run();
    db.prepare("INSERT INTO integrity_files (run_id, file_id, role, status, detail) VALUES (1, 1, 'log', 'consistent', 'd')").run();
    expect(() => db.prepare("INSERT INTO integrity_files (run_id, file_id, role, status, detail) VALUES (1, 2, 'log', 'fine', 'd')").run()).toThrow(/CHECK constraint failed/);
    expect(() => db.prepare("INSERT INTO integrity_files (run_id, file_id, role, status, detail) VALUES (1, 999, 'log', 'failed', 'd')").run()).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare("INSERT INTO integrity_runs (verified_at, tool_version, verdict, headline, files_up_to, result) VALUES ('t', 'v', 'fine', 'h', 0, '{}')").run()).toThrow(/CHECK constraint failed/);
    db.close();
  });

  it('0060 starts the custody log: an empty case gets case-created, a case with evidence pins the files it holds', () => {
    const empty = openCase(':memory:', { targetVersion: 40 });
    migrate(empty, 60);
    expect(empty.prepare('SELECT seq, action FROM custody_log').all()).toEqual([{ seq: 1, action: 'case-created' }]);
    empty.close();

    const db = openCase(':memory:', { targetVersion: 10 });
    seed10(db);
    migrate(db, 60);
    const [entry] = readCustody(db);
    expect(entry).toMatchObject({ seq: 1, action: 'custody-log-started', details: { files: { fromId: 1, toId: 2, count: 2 } } });
    expect(checkCustody(db).ok).toBe(true);
    db.prepare("UPDATE evidence_files SET path = '/e/renamed.json.gz' WHERE id = 1").run();
    expect(checkCustody(db).problems).toEqual([expect.stringContaining('evidence files 1–2 no longer match what it recorded')]);
    db.close();
  });

  it('0070 counts the attributed events of an existing case into the rollup', () => {
    const db = openCase(':memory:', { targetVersion: 10 });
    seed10(db);
    migrate(db, 60);
    const events = db.prepare('SELECT id FROM events ORDER BY id').pluck().all() as number[];
    db.prepare("INSERT INTO subjects (id, subject_key, mechanism, chained, resolution, conf_identity, conf_pod, conf_node) VALUES (1, 'k', 'iam-user', 0, '{}', 'proven', 'none', 'none')").run();
    for (const id of events) db.prepare('INSERT INTO event_subjects (event_rowid, subject_id) VALUES (?, 1)').run(id);
    migrate(db, 70);
    expect(db.prepare('SELECT SUM(n) FROM event_rollup WHERE subject_id = 1').pluck().get()).toBe(events.length);
    db.close();
  });

  it('0080 indexes rejected records by file, so that a page of them reads only that page', () => {
    const db = openCase(':memory:', { targetVersion: 10 });
    seed10(db);
    migrate(db, 70);
    const page = "EXPLAIN QUERY PLAN SELECT record_index, message FROM record_errors WHERE file_id = 1 ORDER BY record_index, rowid LIMIT 20";
    const plan = () => (db.prepare(page).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan()).toMatch(/SCAN record_errors/);
    migrate(db, 80);
    expect(objects(db, 'index')).toContain('record_errors_file');
    expect(plan()).toMatch(/SEARCH record_errors USING INDEX record_errors_file \(file_id=\?\)/);
    expect(plan()).not.toMatch(/TEMP B-TREE/);
    db.close();
  });

  it("0130 summarizes an existing case's eventIDs for search, covering its last event row", () => {
    const db = openCase(':memory:', { targetVersion: 10 });
    seed10(db);
    migrate(db, 120);
    db.prepare("UPDATE events SET event_id = 'Ev-1\x1eQz' WHERE id = 2").run(); // a separator inside an id
    migrate(db, 130);
    const stored = readIdSummary(db)!;
    expect(stored.through).toBe(2);
    const summary = new IdSummary();
    summary.merge(stored.pairs, stored.singles);
    // (the id holding the separator is read alone: its pairs across it are in)
    for (const text of ['ev-1', 'EV', 'v-', '1', 'qz', 'Q', '1\x1eq']) expect(summary.mayHold(text), text).toBe(true);
    for (const text of ['1e', 'zz', 'x', '-e']) expect(summary.mayHold(text), text).toBe(false);
    db.close();
  });

  it("0140 sets the search's block filters apart from the blocks, a row for every block (NULL: none)", () => {
    const db = openCase(':memory:', { targetVersion: 10 });
    seed10(db);
    migrate(db, 130);
    // 0090 packed the two raw texts in a block with its filter; a block without one, as an upgraded case may hold.
    db.prepare("INSERT INTO raw_blocks (codec, facts, data, filter) SELECT codec, facts, data, NULL FROM raw_blocks LIMIT 1").run();
    const before = db.prepare('SELECT id, filter FROM raw_blocks ORDER BY id').all() as { id: number; filter: Uint8Array | null }[];
    expect(before.map((b) => b.filter === null)).toEqual([false, true]);
    migrate(db, 140);
    expect(db.prepare('SELECT block AS id, filter FROM raw_block_filters ORDER BY block').all()).toEqual(before);
    // The blocks keep theirs (clearing them would rewrite every block), and the reader no longer reads them there.
    expect(db.prepare('SELECT id, filter FROM raw_blocks ORDER BY id').all()).toEqual(before);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('0150 adds the rows\' facet ids without writing the rows there, and says up to which row they have none', () => {
    const db = openCase(':memory:', { targetVersion: 10 });
    seed10(db);
    migrate(db, 140);
    const rows = db.prepare('SELECT * FROM events ORDER BY id').all();
    migrate(db, 150);
    expect(db.prepare("SELECT value FROM case_meta WHERE key = 'facet_sids_after'").pluck().get()).toBe('2');
    expect(db.prepare('SELECT * FROM events ORDER BY id').all()).toEqual(rows.map((r) => ({ ...(r as object), facet_sid: null })));
    // An empty case: every row it will hold gets one.
    const empty = openCase(':memory:', { targetVersion: 140 });
    migrate(empty, 150);
    expect(empty.prepare("SELECT value FROM case_meta WHERE key = 'facet_sids_after'").pluck().get()).toBe('0');
    empty.close();
    db.close();
  });

  it("0160 gives a correlated case's subjects a token of their own, and a case never correlated none", () => {
    const tokenOf = (db: Db) => db.prepare('SELECT subjects_token FROM correlation_state').pluck().get();
    const cases = [1, 2].map(() => {
      const db = openCase(':memory:', { targetVersion: 150 });
      db.prepare('INSERT INTO correlation_state (id, engine, events_max, audits_max, documents_max) VALUES (1, ?, 7, 0, 0)').run('podtrail 0.1.0');
      migrate(db, 160);
      return db;
    });
    const [a, b] = cases.map(tokenOf);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b, 'two cases alike never share one').not.toBe(a);
    expect(cases[0]!.prepare('SELECT engine, events_max FROM correlation_state').get()).toEqual({ engine: 'podtrail 0.1.0', events_max: 7 });
    const never = openCase(':memory:', { targetVersion: 150 });
    migrate(never, 160);
    expect(tokenOf(never)).toBeUndefined();
    for (const db of [...cases, never]) db.close();
  });

  it('a file case migrated step by step equals one created at the latest version', () => {
    const dir = tempDir('migrate');
    const stepwise = openCase(join(dir, 'a.db'), { targetVersion: 10 });
    stepwise.close();
    const reopened = openCase(join(dir, 'a.db'));
    const fresh = openCase(join(dir, 'b.db'));
    const schema = (db: Db) => db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all();
    expect(schemaVersion(reopened)).toBe(LATEST_VERSION);
    expect(schema(reopened)).toEqual(schema(fresh));
    reopened.close();
    fresh.close();
  });

  it('a migration that fails leaves the case at the version before it, with nothing half-applied', () => {
    const db = openCase(':memory:', { targetVersion: 10 });
    seed10(db);
    // Something in the way of 0020's second table: its first table must not survive the failure.
    db.exec('CREATE TABLE event_subjects (x INTEGER)');
    expect(() => migrate(db, 20)).toThrow(/already exists/);
    expect(schemaVersion(db)).toBe(10);
    expect(objects(db, 'table')).not.toContain('subjects');
    expect(db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(2);
    db.close();
  });

  it('reopening an up-to-date case changes nothing', () => {
    const dir = tempDir('migrate');
    const path = join(dir, 'case.db');
    const db = openCase(path, { targetVersion: 10 });
    seed10(db);
    migrate(db);
    const before = dump10(db);
    db.close();
    const again = openCase(path);
    expect(schemaVersion(again)).toBe(LATEST_VERSION);
    expect(dump10(again)).toEqual(before);
    again.close();
  });
});

describe('opening a case file', () => {
  it('runs in WAL mode with synchronous=FULL and foreign keys on', () => {
    const dir = tempDir('open');
    const db = openCase(join(dir, 'case.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
    // WAL is persistent: a plain connection sees it too.
    const plain = new Database(join(dir, 'case.db'), { readonly: true });
    expect(plain.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(plain.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    plain.close();
  });

  it('refuses a case from a newer PodTrail with a clear CaseError, and does not touch it', () => {
    const dir = tempDir('open');
    const path = join(dir, 'future.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE from_the_future (x INTEGER)');
    raw.pragma(`user_version = ${LATEST_VERSION + 10}`);
    raw.close();
    const bytes = readFileSync(path);
    let error: unknown;
    try {
      openCase(path).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CaseError);
    expect((error as Error).message).toMatch(new RegExp(`newer PodTrail \\(schema ${LATEST_VERSION + 10}; this version knows up to ${LATEST_VERSION}\\)`));
    expect(() => openCase(path, { mustExist: true, readonly: true })).toThrow(CaseError);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 10);
    expect(objects(check, 'table')).toEqual(['from_the_future']);
    check.close();
    expect(readFileSync(path).subarray(100).equals(bytes.subarray(100))).toBe(true);
  });

  it('refuses to upgrade an older case opened read-only', () => {
    const dir = tempDir('open');
    const path = join(dir, 'old.db');
    openCase(path, { targetVersion: 10 }).close();
    expect(() => openCase(path, { readonly: true, mustExist: true })).toThrow(
      new RegExp(`case schema 10 is older than ${LATEST_VERSION}; open it read-write once`),
    );
    const upgraded = openCase(path);
    expect(schemaVersion(upgraded)).toBe(LATEST_VERSION);
    upgraded.close();
    const ro = openCase(path, { readonly: true, mustExist: true });
    expect(schemaVersion(ro)).toBe(LATEST_VERSION);
    ro.close();
  });

  it('refuses a missing case when it must exist', () => {
    const path = join(tempDir('open'), 'missing.db');
    expect(() => openCase(path, { mustExist: true })).toThrow(CaseError);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a file that is not a database (an evidence file given as the case) with a CaseError', () => {
    const dir = tempDir('open');
    const path = join(dir, 'evidence.json');
    const content = JSON.stringify({ Records: [{ eventName: 'x'.repeat(400) }] });
    writeFileSync(path, content);
    expect(() => openCase(path)).toThrow(CaseError);
    expect(() => openCase(path)).toThrow(/is not a PodTrail case \(not an SQLite database\)/);
    expect(readFileSync(path, 'utf8')).toBe(content);
  });

  it("refuses another application's SQLite database instead of adding tables to it", () => {
    const dir = tempDir('open');
    const path = join(dir, 'other-app.sqlite');
    const other = new Database(path);
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')");
    other.close();
    expect(() => openCase(path)).toThrow(CaseError);
    expect(() => openCase(path)).toThrow(/not a PodTrail case/);
    const check = new Database(path, { readonly: true });
    expect(objects(check, 'table')).toEqual(['notes']);
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(check.pragma('user_version', { simple: true })).toBe(0);
    check.close();
  });
});
