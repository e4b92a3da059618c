/**
 * ingestEvidence end to end into a case database: S3 layouts, de-duplication and conflicts, failing files,
 * re-ingest, archives read in place, and one transaction per file. Every test builds its own temp dir and
 * case; the main scenarios run in-process (`workers: 0`) and with two parse worker threads.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { Database } from 'better-sqlite3';
import { CASE_CACHE, openCase } from '../../../electron/engine/db/open';
import { buildSecondaryIndexes } from '../../../electron/engine/db/migrations/0090-compact-store';
import { BULK_LOAD_CACHE, ingestEvidence, ingestTuning } from '../../../electron/engine/ingest/ingest';
import { EvidenceStore, idTableTuning, sameContent } from '../../../electron/engine/ingest/store';
import { hash53, IdHashBits, IdHashTable } from '../../../electron/engine/db/event-id';
import { normalizeRecord, type EventRow } from '../../../electron/engine/ingest/normalize';
import { parseEvidence } from '../../../electron/engine/ingest/parse-file';
import type { JsonObject } from '../../../electron/engine/util/json';
import { buildTar, buildTarGz, buildZip } from '../../helpers/archives';
import { apiRecord, invictusFiles, lookupEvents, put, readTrail, sha256, tempDir, trailJson } from '../../helpers/evidence';
import { count, expectConsistent, outcomeOf, rawOf } from '../../helpers/case';
import { packRows, rawReader, type RawRef } from '../../../electron/engine/ingest/raw-blocks';

const WORKER_SCRIPT = resolve(__dirname, '..', '..', '..', 'dist', 'electron', 'engine', 'ingest', 'worker.js');

function newCase(dir: string): Database {
  return openCase(join(dir, 'case.db'));
}

function snapshot(db: Database) {
  return {
    events: count(db, 'SELECT COUNT(*) FROM events'),
    raw: count(db, 'SELECT COUNT(*) FROM events WHERE raw_len > 0'),
    sources: count(db, 'SELECT COUNT(*) FROM event_sources'),
    files: count(db, 'SELECT COUNT(*) FROM evidence_files'),
    complete: count(db, "SELECT COUNT(*) FROM evidence_files WHERE status = 'complete'"),
    failed: count(db, "SELECT COUNT(*) FROM evidence_files WHERE status = 'failed'"),
    documents: count(db, 'SELECT COUNT(*) FROM documents'),
    recordErrors: count(db, 'SELECT COUNT(*) FROM record_errors'),
  };
}

/** Three real trail files (invictus-ir dataset), gzip-compressed as CloudTrail delivers them. */
function realTrails(n = 3) {
  const picked = invictusFiles().filter((p) => /_(nx9Yx1FyJdBaTqKj|bXGZYqBeCCsqWq1U|kboLbHJlz2H6cLyo)\.json$/.test(p));
  expect(picked).toHaveLength(3);
  return picked.slice(0, n).map((p) => {
    const { bytes, records } = readTrail(p);
    const name = p.split('/').pop()!.replace('218007301253_', '123837392027_') + '.gz';
    return { name, bytes, gz: gzipSync(bytes), records };
  });
}

const ACCOUNT = '123837392027';
const s3Key = (name: string) => `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2023/07/10/${name}`;
const orgKey = (name: string) => `AWSLogs/o-abc123def4/${ACCOUNT}/CloudTrail/us-east-1/2023/07/10/${name}`;

/** The real trails under `accountRoot` as S3 delivers an account trail, and under `orgRoot` as an organisation trail's copies; `n`: their records. */
function trailsWithOrgCopies(accountRoot: string, orgRoot: string) {
  const trails = realTrails();
  for (const t of trails) {
    put(accountRoot, s3Key(t.name), t.gz);
    put(orgRoot, orgKey(t.name), t.gz);
  }
  return { trails, n: trails.reduce((s, t) => s + t.records.length, 0) };
}

/** A gzip trail of `n` unique records (ids `${prefix}-NNNNN`), cut at 90 %: large enough that row batches
 * reach the writer before the truncation is found. */
function truncatedBigTrail(prefix: string, n = 4000): Buffer {
  const records = Array.from({ length: n }, (_, i) =>
    apiRecord(`${prefix}-${String(i).padStart(5, '0')}`, { eventTime: '2023-07-10T12:00:00Z', padding: 'p'.repeat(600) }),
  );
  const full = gzipSync(Buffer.from(trailJson(records)));
  return full.subarray(0, Math.floor(full.length * 0.9));
}

const ID_TABLE_ROWS = idTableTuning.maxRows;

describe.each([
  { workers: 0, label: 'in-process', idTableRows: ID_TABLE_ROWS },
  { workers: 2, label: 'two worker threads', idTableRows: ID_TABLE_ROWS },
  // A bulk load looks eventIDs up in the writer's id table (store.ts); these two take the index's way: throughout
  // (a table of no rows gives way to the index at once), and from a few rows on (the index built mid-load).
  { workers: 2, label: 'eventIDs looked up through the index', idTableRows: 0 },
  { workers: 0, label: 'the id table outgrown after 5 rows', idTableRows: 5 },
])('ingest ($label)', ({ workers, idTableRows }) => {
  beforeEach(() => void (idTableTuning.maxRows = idTableRows));
  afterEach(() => void (idTableTuning.maxRows = ID_TABLE_ROWS));
  if (workers > 0) {
    it('has the compiled worker script (run `npm run build` first)', () => {
      // Without it the pool silently parses in-process and this block would not test worker threads.
      expect(existsSync(WORKER_SCRIPT), `missing ${WORKER_SCRIPT}: run \`npm run build\``).toBe(true);
    });
  }

  it('builds the secondary indexes after a bulk load and gives the case its page cache back', async () => {
    const dir = tempDir('ingest-bulk');
    const root = join(dir, 'evidence');
    for (const t of realTrails()) put(root, s3Key(t.name), t.gz);
    const db = newCase(dir);
    const cache = CASE_CACHE;
    expect(db.pragma('cache_size', { simple: true })).toBe(cache);
    // A small load keeps the case's cache; a large one (here: from 10 records) takes the larger one while it runs.
    const cacheDuring = async (into: Database, bulkLoadCache?: number) => {
      const seen = new Set<number>();
      await ingestEvidence(into, [root], { workers, bulkLoadCache, onProgress: () => seen.add(into.pragma('cache_size', { simple: true }) as number) });
      return [...seen];
    };
    const other = newCase(tempDir('ingest-bulk-large'));
    const tuned = ingestTuning.bulkLoadRecords;
    ingestTuning.bulkLoadRecords = 10;
    onTestFinished(() => void (ingestTuning.bulkLoadRecords = tuned));
    // While the writer holds its id table (store.ts), the table's bytes come out of it: here its first 64 Ki slots,
    // 512 KiB. With the index, all of it; with the table outgrown mid-load, either.
    const larger = (bulk: number, seen: number[]) => {
      const least = Math.min(...seen);
      if (idTableRows === ID_TABLE_ROWS) expect(least).toBe(bulk + 512);
      else if (idTableRows === 0) expect(least).toBe(bulk);
      else expect([bulk, bulk + 512]).toContain(least);
    };
    larger(BULK_LOAD_CACHE, await cacheDuring(other));
    expect(other.pragma('cache_size', { simple: true })).toBe(cache);
    other.close();
    // The app's smaller one (its process holds the reader's columns too), and never the command line's.
    const app = newCase(tempDir('ingest-bulk-app'));
    larger(-131072, await cacheDuring(app, -131072));
    expect(app.pragma('cache_size', { simple: true })).toBe(cache);
    app.close();
    ingestTuning.bulkLoadRecords = tuned;
    expect(await cacheDuring(db)).toEqual([cache]);
    const indexes = () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'events_%' ORDER BY name").pluck().all();
    expect(indexes()).toEqual(['events_facts', 'events_id_hash', 'events_key', 'events_time']);
    expect(db.pragma('cache_size', { simple: true })).toBe(cache);
    // A bulk load that was killed left them missing: the next opening for writing builds them.
    db.exec('DROP INDEX events_time; DROP INDEX events_key; DROP INDEX events_id_hash');
    db.close();
    const again = newCase(dir);
    expect(again.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('events_time', 'events_key', 'events_id_hash')").pluck().get()).toBe(3);
    expect(again.pragma('cache_size', { simple: true })).toBe(cache);
    again.close();
  });

  it('stores an S3 trail and its organization-trail copy once, keeping every provenance row', async () => {
    const dir = tempDir('ingest');
    const root = join(dir, 'evidence');
    const { trails, n } = trailsWithOrgCopies(root, root);
    const db = newCase(dir);
    const summary = await ingestEvidence(db, [root], { workers });
    expect(summary).toMatchObject({ loaded: 6, alreadyLoaded: 0, failed: 0, records: 2 * n, newEvents: n, duplicates: n, conflicts: 0, rejectedRecords: 0, cancelled: false });
    expect(snapshot(db)).toMatchObject({ events: n, raw: n, sources: 2 * n, files: 6, complete: 6, failed: 0 });

    // Every event is read from both copies, at the same record index.
    const perEvent = db
      .prepare(
        `SELECT e.event_id, group_concat(f.path || '#' || s.record_index, '|') AS prov, COUNT(*) AS n
         FROM events e JOIN event_sources s ON s.event_rowid = e.id JOIN evidence_files f ON f.id = s.file_id
         GROUP BY e.id`,
      )
      .all() as { event_id: string; prov: string; n: number }[];
    expect(perEvent).toHaveLength(n);
    for (const t of trails) {
      for (const [i, r] of t.records.entries()) {
        const row = perEvent.find((p) => p.event_id === r.eventID)!;
        expect(row.n).toBe(2);
        expect(row.prov.split('|').sort()).toEqual([`${join(root, orgKey(t.name))}#${i}`, `${join(root, s3Key(t.name))}#${i}`].sort());
      }
    }

    // The manifest: hashes of the raw and the decompressed bytes, the format, counts and the time range.
    for (const t of trails) {
      const times = t.records.map((r) => r.eventTime as string).sort((a, b) => Date.parse(a) - Date.parse(b));
      for (const key of [s3Key(t.name), orgKey(t.name)]) {
        const f = db.prepare('SELECT * FROM evidence_files WHERE path = ?').get(join(root, key)) as Record<string, unknown>;
        expect(f).toMatchObject({
          status: 'complete',
          size: t.gz.length,
          sha256: sha256(t.gz),
          sha256_decompressed: sha256(t.bytes),
          compression: 'gzip',
          format: 'cloudtrail-log',
          records: t.records.length,
          first_event_time: times[0],
          last_event_time: times[times.length - 1],
          error: null,
        });
        expect(f.tool_version).toMatch(/^\d+\.\d+\.\d+/);
        expect(Number(f.new_events) + Number(f.duplicates)).toBe(t.records.length);
      }
    }
    // The raw text stored is the record exactly as read.
    const one = trails[0]!.records[0]!;
    const raw = rawOf(db, one.eventID as string)!;
    expect(trails[0]!.bytes.toString('utf8').includes(raw)).toBe(true);
    expect(JSON.parse(raw)).toEqual(one);
    expectConsistent(db);

    // Re-ingesting the same evidence adds nothing.
    const before = snapshot(db);
    const again = await ingestEvidence(db, [root], { workers });
    expect(again).toMatchObject({ loaded: 0, alreadyLoaded: 6, failed: 0, records: 0, newEvents: 0, duplicates: 0 });
    expect(again.files.map((f) => f.status)).toEqual(Array(6).fill('already-loaded'));
    expect(snapshot(db)).toEqual(before);
    db.close();
  });

  it('knows the events of an earlier ingest: their organisation-trail copies, added later, are duplicates', async () => {
    // The writer skips the eventID lookup for an id hash the case certainly lacks (db/event-id.ts IdHashBits):
    // it must have read the hashes of the events already in the case.
    const dir = tempDir('ingest-later-copies');
    const first = join(dir, 'account');
    const later = join(dir, 'organisation');
    const { n } = trailsWithOrgCopies(first, later);
    const db = newCase(dir);
    expect(await ingestEvidence(db, [first], { workers })).toMatchObject({ loaded: 3, newEvents: n, duplicates: 0 });
    expect(IdHashBits.load(db, n)).not.toBeNull();
    expect(await ingestEvidence(db, [later], { workers })).toMatchObject({ loaded: 3, records: n, newEvents: 0, duplicates: n, conflicts: 0 });
    expect(snapshot(db)).toMatchObject({ events: n, sources: 2 * n, files: 6, complete: 6 });
    expectConsistent(db);
    // A case bigger than the writer reads hashes for has none read: every row is looked up, as before.
    expect(IdHashBits.load(db, n - 1)).toBeNull();
    db.close();
  });

  it('keeps a different record under a known eventID as a second variant and counts a conflict', async () => {
    const dir = tempDir('ingest');
    const original = apiRecord('conflict-1', { sourceIPAddress: '198.51.100.7' });
    const tampered = apiRecord('conflict-1', { sourceIPAddress: '203.0.113.66' });
    const a = put(dir, 'ev/a.json', trailJson([original, apiRecord('plain-1')]));
    const b = put(dir, 'ev/b.json', trailJson([tampered]));
    const c = put(dir, 'ev/c.json', trailJson([tampered])); // the tampered record again: a duplicate of variant 1
    const db = newCase(dir);
    const summary = await ingestEvidence(db, [a, b, c], { workers });
    expect(summary).toMatchObject({ loaded: 3, newEvents: 2, conflicts: 1, duplicates: 1 });
    expect(outcomeOf(summary, b)).toMatchObject({ conflicts: 1, newEvents: 0, duplicates: 0 });
    expect(outcomeOf(summary, c)).toMatchObject({ conflicts: 0, newEvents: 0, duplicates: 1 });
    const variants = db
      .prepare("SELECT variant, source_ip, (SELECT COUNT(*) FROM event_sources s WHERE s.event_rowid = e.id) AS prov FROM events e WHERE event_id = 'conflict-1' ORDER BY variant")
      .all();
    expect(variants).toEqual([
      { variant: 0, source_ip: '198.51.100.7', prov: 1 },
      { variant: 1, source_ip: '203.0.113.66', prov: 2 },
    ]);
    expect(db.prepare('SELECT conflicts FROM evidence_files WHERE path = ?').pluck().get(b)).toBe(1);
    // Each row keeps the first 128 bits of its record's SHA-256 to tell deliveries apart (32 bytes before 2026-12-04).
    const rows = db.prepare('SELECT raw_sha256, raw_block, raw_off, raw_len FROM events').all() as ({ raw_sha256: Buffer } & RawRef)[];
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      const full = sha256(Buffer.from(rawReader(db).text(r), 'utf8'));
      expect(r.raw_sha256.toString('hex')).toBe(full.slice(0, 32));
      // A row of an older case, with all 32 bytes, is compared on its first 16.
      expect(sameContent(Buffer.from(full, 'hex'), full)).toBe(true);
      expect(sameContent(r.raw_sha256, full)).toBe(true);
      const other = sha256(Buffer.from('other', 'utf8'));
      expect(sameContent(r.raw_sha256, other) || sameContent(Buffer.from(full, 'hex'), other)).toBe(false);
    }
    expect(sameContent(Buffer.alloc(0), sha256(Buffer.alloc(0)))).toBe(false);
    expectConsistent(db);
    db.close();
  });

  it('treats a lookup-events copy of an S3 record (re-serialised) as a duplicate, not a conflict', async () => {
    const dir = tempDir('ingest');
    const [t] = realTrails(1);
    const s3 = put(dir, s3Key(t!.name), t!.gz);
    // Keys in another order, indented: same record, different bytes.
    const reorder = (r: JsonObject) =>
      JSON.stringify(Object.fromEntries(Object.entries(r).reverse()), null, 2);
    const picked = t!.records.slice(0, 3);
    const lookup = put(dir, 'exports/lookup-events.json', lookupEvents(picked, reorder));
    const db = newCase(dir);
    const summary = await ingestEvidence(db, [s3, lookup], { workers });
    expect(summary.conflicts).toBe(0);
    expect(outcomeOf(summary, lookup)).toMatchObject({ status: 'loaded', format: 'lookup-events', records: 3, duplicates: 3, newEvents: 0, conflicts: 0 });
    expect(count(db, 'SELECT COUNT(*) FROM events')).toBe(t!.records.length);
    expect(count(db, 'SELECT COUNT(*) FROM events WHERE variant > 0')).toBe(0);
    for (const r of picked) {
      expect(count(db, 'SELECT COUNT(*) FROM event_sources s JOIN events e ON e.id = s.event_rowid WHERE e.event_id = ?', r.eventID)).toBe(2);
    }
    expectConsistent(db);
    db.close();
  });

  it('fails a truncated .json.gz alone: the other files load, nothing of it is kept', async () => {
    const dir = tempDir('ingest');
    const trails = realTrails();
    const root = join(dir, 'evidence');
    for (const t of trails) put(root, s3Key(t.name), t.gz);
    const bad = put(root, s3Key('123837392027_CloudTrail_us-east-1_20230710T1206Z_truncated.json.gz'), truncatedBigTrail('bad'));
    const n = trails.reduce((s, t) => s + t.records.length, 0);
    const db = newCase(dir);
    const summary = await ingestEvidence(db, [root], { workers });
    expect(summary).toMatchObject({ loaded: 3, failed: 1, newEvents: n });
    const out = outcomeOf(summary, bad);
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/^truncated gzip/);
    expect(out).toMatchObject({ records: 0, newEvents: 0 });
    expect(count(db, 'SELECT COUNT(*) FROM events')).toBe(n);
    expect(count(db, "SELECT COUNT(*) FROM events WHERE event_id LIKE 'bad-%'")).toBe(0);
    const failedRow = db.prepare('SELECT * FROM evidence_files WHERE path = ?').all(bad) as Record<string, unknown>[];
    expect(failedRow).toHaveLength(1);
    expect(failedRow[0]).toMatchObject({ status: 'failed', records: 0, new_events: 0 });
    expect(failedRow[0]!.error).toMatch(/^truncated gzip/);
    expect(count(db, 'SELECT COUNT(*) FROM event_sources WHERE file_id = ?', failedRow[0]!.id)).toBe(0);
    for (const t of trails) expect(outcomeOf(summary, join(root, s3Key(t.name))).status).toBe('loaded');
    expectConsistent(db);
    // Ingested again: it fails again, and is still recorded once; changed, it is a new attempt with its own row.
    const again = await ingestEvidence(db, [root], { workers });
    expect(again).toMatchObject({ loaded: 0, alreadyLoaded: 3, failed: 1 });
    expect(count(db, 'SELECT COUNT(*) FROM evidence_files WHERE path = ?', bad)).toBe(1);
    put(root, s3Key('123837392027_CloudTrail_us-east-1_20230710T1206Z_truncated.json.gz'), truncatedBigTrail('bad2'));
    await ingestEvidence(db, [root], { workers });
    expect(count(db, 'SELECT COUNT(*) FROM evidence_files WHERE path = ?', bad)).toBe(2);
    db.close();
  });

  it('records the hash and size of an unreadable file in its manifest row', async () => {
    const dir = tempDir('ingest');
    const bytes = truncatedBigTrail('hash', 50);
    const bad = put(dir, 'bad.json.gz', bytes);
    const db = newCase(dir);
    await ingestEvidence(db, [bad], { workers });
    expect(db.prepare('SELECT status, size, sha256 FROM evidence_files WHERE path = ?').get(bad)).toEqual({
      status: 'failed',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    db.close();
  });

  it('keeps previously loaded events when a later ingest fails', async () => {
    const dir = tempDir('ingest');
    const trails = realTrails(2);
    for (const t of trails) put(dir, `good/${t.name}`, t.gz);
    const db = newCase(dir);
    await ingestEvidence(db, [join(dir, 'good')], { workers });
    const before = snapshot(db);
    const bad = put(dir, 'later/bad.json.gz', truncatedBigTrail('later'));
    const summary = await ingestEvidence(db, [bad], { workers });
    expect(summary).toMatchObject({ loaded: 0, failed: 1, newEvents: 0 });
    const after = snapshot(db);
    expect(after).toEqual({ ...before, files: before.files + 1, failed: before.failed + 1 });
    expectConsistent(db);
    db.close();
    // Still there after reopening the file.
    const reopened = openCase(join(dir, 'case.db'));
    expect(snapshot(reopened)).toEqual(after);
    reopened.close();
  });

  it('keeps the good records of a file with rejected records, and lists the rejected ones', async () => {
    const dir = tempDir('ingest');
    const noTime = apiRecord('rej-1');
    delete noTime.eventTime;
    const f = put(dir, 'mixed.json', trailJson([apiRecord('ok-1'), noTime, apiRecord('ok-2', { eventTime: 'yesterday' })]));
    const db = newCase(dir);
    const summary = await ingestEvidence(db, [f], { workers });
    expect(summary).toMatchObject({ loaded: 1, failed: 0, newEvents: 1, rejectedRecords: 2 });
    expect(outcomeOf(summary, f).recordErrors.map((e) => e.recordIndex)).toEqual([1, 2]);
    expect(db.prepare('SELECT record_index FROM record_errors ORDER BY record_index').pluck().all()).toEqual([1, 2]);
    expect(db.prepare('SELECT rejected FROM evidence_files').pluck().get()).toBe(2);
    db.close();
  });

  it('loads the same path named twice in one run once (overlapping arguments)', async () => {
    const dir = tempDir('ingest');
    const trails = realTrails();
    for (const t of trails) put(dir, `ev/${t.name}`, t.gz);
    const one = join(dir, 'ev', trails[0]!.name);
    const db = newCase(dir);
    const summary = await ingestEvidence(db, [one, one, join(dir, 'ev')], { workers });
    expect(summary.failed).toBe(0);
    expect(summary.loaded).toBe(3);
    expect(summary.alreadyLoaded).toBe(2);
    expect(count(db, "SELECT COUNT(*) FROM evidence_files WHERE path = ? AND status = 'complete'", one)).toBe(1);
    expect(count(db, 'SELECT COUNT(*) FROM event_sources')).toBe(trails.reduce((s, t) => s + t.records.length, 0));
    expectConsistent(db);
    db.close();
  });

  it('stores digests and describe-cluster output as documents and rejects deep lookup-events records alone', async () => {
    const dir = tempDir('ingest');
    const digest = put(dir, 'ev/digest.json.gz', gzipSync(JSON.stringify({ digestStartTime: '2024-03-01T10:00:00Z', logFiles: [] })));
    const cluster = put(dir, 'ev/cluster.json', JSON.stringify({ cluster: { name: 'c1', arn: 'arn:aws:eks:us-east-1:111122223333:cluster/c1' } }));
    const deep = '['.repeat(50_000) + ']'.repeat(50_000);
    const mk = (extra: string) => JSON.stringify(apiRecord('deep-1')).replace(/}$/, `,"${extra}":${deep}}`);
    // Two different deep records under one eventID: the writer would have to compare them.
    const l1 = put(dir, 'ev/l1.json', JSON.stringify({ Events: [{ CloudTrailEvent: mk('x') }, { CloudTrailEvent: JSON.stringify(apiRecord('fine-1')) }] }));
    const l2 = put(dir, 'ev/l2.json', JSON.stringify({ Events: [{ CloudTrailEvent: mk('y') }] }));
    const db = newCase(dir);
    const summary = await ingestEvidence(db, [join(dir, 'ev')], { workers });
    expect(summary).toMatchObject({ loaded: 4, failed: 0, newEvents: 1, rejectedRecords: 2 });
    expect(outcomeOf(summary, l1).recordErrors).toEqual([{ recordIndex: 0, message: expect.stringMatching(/nested deeper/) }]);
    expect(outcomeOf(summary, l2).recordErrors).toHaveLength(1);
    expect(db.prepare('SELECT d.kind, f.path FROM documents d JOIN evidence_files f ON f.id = d.file_id ORDER BY d.kind').all()).toEqual([
      { kind: 'cloudtrail-digest', path: digest },
      { kind: 'eks-describe-cluster', path: cluster },
    ]);
    expectConsistent(db);
    db.close();
  });

  describe('archives read in place', () => {
    function members() {
      const [t1, t2] = realTrails(2);
      const evil = apiRecord('evil-1', { eventName: 'PutObject' });
      return {
        t1: t1!,
        t2: t2!,
        evil,
        list: [
          { name: s3Key(t1!.name), data: t1!.gz },
          { name: `plain/${t2!.name.replace(/\.gz$/, '')}`, data: t2!.bytes },
          { name: '../evil.json', data: trailJson([evil]) },
        ],
        total: t1!.records.length + t2!.records.length + 1,
      };
    }

    async function check(archive: string, m: ReturnType<typeof members>, linkMember: string, linkError: RegExp) {
      const dir = dirname(archive);
      const db = newCase(dir);
      const summary = await ingestEvidence(db, [archive], { workers });
      const s3 = outcomeOf(summary, `${archive}!/${s3Key(m.t1.name)}`);
      expect(s3).toMatchObject({ status: 'loaded', format: 'cloudtrail-log', records: m.t1.records.length });
      expect(outcomeOf(summary, `${archive}!/plain/${m.t2.name.replace(/\.gz$/, '')}`).status).toBe('loaded');
      // A member named ../evil.json is only a label (its `..` encoded, see archives.test.ts): read from memory,
      // nothing written anywhere.
      expect(outcomeOf(summary, `${archive}!/%2E%2E/evil.json`)).toMatchObject({ status: 'loaded', newEvents: 1 });
      expect(existsSync(join(dir, '..', 'evil.json'))).toBe(false);
      // A symlink member is reported and not followed.
      const link = outcomeOf(summary, `${archive}!/${linkMember}`);
      expect(link.status).toBe('failed');
      expect(link.error).toMatch(linkError);
      expect(summary).toMatchObject({ loaded: 3, failed: 1, newEvents: m.total });
      expect(count(db, 'SELECT COUNT(*) FROM events')).toBe(m.total);
      // Provenance names the member inside the archive; the archive member's own hash is recorded.
      const prov = db
        .prepare("SELECT f.path, f.sha256, f.sha256_decompressed FROM events e JOIN event_sources s ON s.event_rowid = e.id JOIN evidence_files f ON f.id = s.file_id WHERE e.event_id = ?")
        .get(m.t1.records[0]!.eventID);
      expect(prov).toEqual({ path: `${archive}!/${s3Key(m.t1.name)}`, sha256: sha256(m.t1.gz), sha256_decompressed: sha256(m.t1.bytes) });
      expect(
        db.prepare("SELECT f.path FROM events e JOIN event_sources s ON s.event_rowid = e.id JOIN evidence_files f ON f.id = s.file_id WHERE e.event_id = 'evil-1'").pluck().get(),
      ).toBe(`${archive}!/%2E%2E/evil.json`);
      expectConsistent(db);
      // Only the archive and the case are in the folder: nothing was extracted.
      expect(readdirSync(dir).filter((n) => !n.startsWith('case.db')).sort()).toEqual([archive.split('/').pop()]);

      const again = await ingestEvidence(db, [archive], { workers });
      expect(again).toMatchObject({ loaded: 0, alreadyLoaded: 3, newEvents: 0 });
      db.close();
    }

    it('zip (deflated and stored members, a ../ name, a symlink)', async () => {
      const dir = tempDir('zip');
      const m = members();
      const zip = buildZip([
        { ...m.list[0]!, method: 'store' },
        m.list[1]!,
        m.list[2]!,
        { name: 'link.json', data: '/etc/passwd', symlink: true },
        // Finder litter, proved by the AppleDouble magic: skipped without a word (a name alone would not do).
        { name: '__MACOSX/._x.json', data: Buffer.concat([Buffer.from([0, 5, 0x16, 7]), Buffer.from('junk')]) },
      ]);
      await check(put(dir, 'bundle.zip', zip), m, 'link.json', /symbolic link/);
    });

    it('tar', async () => {
      const dir = tempDir('tar');
      const m = members();
      const tar = await buildTar([...m.list, { name: 'link.json', type: 'symlink', linkname: '/etc/passwd' }]);
      await check(put(dir, 'bundle.tar', tar), m, 'link.json', /symbolic link/);
    });

    it('tar.gz (a hard link member is refused too)', async () => {
      const dir = tempDir('tgz');
      const m = members();
      const tgz = await buildTarGz([...m.list, { name: 'hard.json', type: 'link', linkname: m.list[2]!.name }]);
      await check(put(dir, 'bundle.tar.gz', tgz), m, 'hard.json', /hard link/);
    });

    it('a truncated tar.gz fails without losing the members read before the cut', async () => {
      const dir = tempDir('tgz');
      const m = members();
      const tgz = await buildTarGz(m.list);
      const archive = put(dir, 'cut.tar.gz', tgz.subarray(0, tgz.length - 40));
      const db = newCase(dir);
      const summary = await ingestEvidence(db, [archive], { workers });
      // The cut is found either between members (the archive fails) or inside the last one (that member fails).
      const failed = summary.files.filter((f) => f.status === 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.path === archive || failed[0]!.path.startsWith(`${archive}!/`)).toBe(true);
      expect(failed[0]!.error).toMatch(/^tar archive is corrupt or truncated: unexpected end of file/);
      expect(outcomeOf(summary, `${archive}!/${s3Key(m.t1.name)}`).status).toBe('loaded');
      expect(outcomeOf(summary, `${archive}!/plain/${m.t2.name.replace(/\.gz$/, '')}`).status).toBe('loaded');
      expect(count(db, 'SELECT COUNT(*) FROM events')).toBeGreaterThanOrEqual(m.t1.records.length + m.t2.records.length);
      expectConsistent(db);
      db.close();
    });
  });
});

describe('one transaction per file', () => {
  it('a file open in the writer when the process dies leaves nothing behind', () => {
    const dir = tempDir('txn');
    const casePath = join(dir, 'case.db');
    let db = openCase(casePath);
    const store = new EvidenceStore(db);
    const file = store.begin('/evidence/crashed.json');
    const rows = ['c-1', 'c-2', 'c-3'].map((id, i) => {
      const r = apiRecord(id);
      return normalizeRecord(r, JSON.stringify(r), i);
    });
    store.addRows(file, packRows(rows));
    // Visible inside the open transaction…
    expect(count(db, 'SELECT COUNT(*) FROM events')).toBe(3);
    expect(count(db, "SELECT COUNT(*) FROM evidence_files WHERE status = 'complete' AND sha256 = ''")).toBe(1);
    // …and gone when the connection ends without a commit (as on a crash).
    db.close();
    db = openCase(casePath);
    expect(snapshot(db)).toMatchObject({ events: 0, raw: 0, sources: 0, files: 0 });
    expectConsistent(db);
    db.close();
  });

  it('a failure mid-file rolls back what the file had written, and keeps the files before it', async () => {
    const db = openCase(':memory:');
    const store = new EvidenceStore(db);
    const parsed = async (bytes: Buffer) => {
      const rows: EventRow[] = [];
      const result = await parseEvidence({ bytes }, { rows: async (r) => void rows.push(...r) });
      return { rows, result };
    };
    const goodBytes = Buffer.from(trailJson([apiRecord('g-1')]));
    const g = await parsed(goodBytes);
    const good = store.begin('/evidence/good.json');
    store.addRows(good, packRows(g.rows));
    expect(store.commit(good, g.result).status).toBe('loaded');
    const b = await parsed(Buffer.from(trailJson([apiRecord('b-1'), apiRecord('b-2')])));
    const bad = store.begin('/evidence/bad.json');
    store.addRows(bad, packRows(b.rows));
    expect(count(db, 'SELECT COUNT(*) FROM events')).toBe(3);
    // The rest of the file turns out to be unreadable.
    const outcome = store.recordFailure('/evidence/bad.json', 'truncated gzip: the compressed data ends early');
    expect(outcome.status).toBe('failed');
    store.flush();
    expect(db.prepare('SELECT event_id FROM events').pluck().all()).toEqual(['g-1']);
    expect(db.prepare('SELECT path, status, sha256 FROM evidence_files ORDER BY id').all()).toEqual([
      { path: '/evidence/good.json', status: 'complete', sha256: sha256(goodBytes) },
      { path: '/evidence/bad.json', status: 'failed', sha256: '' },
    ]);
    expectConsistent(db);
    db.close();
  });
});

describe("a bulk load's id table (no eventID-hash index)", () => {
  const hasIndex = (db: Database) => count(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_id_hash'") === 1;
  const load = async (store: EvidenceStore, path: string, ids: string[], fail = false) => {
    const bytes = Buffer.from(trailJson(ids.map((id) => apiRecord(id))));
    const rows: EventRow[] = [];
    const result = await parseEvidence({ bytes }, { rows: async (r) => void rows.push(...r) });
    const file = store.begin(path);
    store.addRows(file, packRows(rows));
    return fail ? store.recordFailure(path, 'truncated gzip: the compressed data ends early') : store.commit(file, result);
  };
  const provenance = (db: Database) =>
    db
      .prepare(
        `SELECT e.event_id AS id, e.variant, group_concat(f.path, ' ') AS files FROM events e
         JOIN event_sources s ON s.event_rowid = e.id JOIN evidence_files f ON f.id = s.file_id GROUP BY e.id ORDER BY e.event_id`,
      )
      .all();

  it('finds earlier deliveries past rolled-back rows whose ids were used again', async () => {
    const db = openCase(':memory:');
    db.exec('DROP INDEX events_id_hash');
    const store = new EvidenceStore(db);
    expect(await load(store, '/ev/good.json', ['g-1', 'g-2'])).toMatchObject({ newEvents: 2 });
    // Rows 3 and 4 are written, then rolled back: their entries stay in the table, pointing at ids used again.
    expect(await load(store, '/ev/bad.json', ['b-1', 'b-2'], true)).toMatchObject({ status: 'failed' });
    expect(await load(store, '/ev/later.json', ['b-2', 'g-1', 'g-2'])).toMatchObject({ newEvents: 1, duplicates: 2 });
    expect(db.prepare("SELECT id FROM events WHERE event_id = 'b-2'").pluck().get()).toBe(3);
    expect(await load(store, '/ev/again.json', ['b-2', 'b-1'])).toMatchObject({ newEvents: 1, duplicates: 1 });
    store.flush();
    expect(hasIndex(db)).toBe(false); // the load's end builds it (ingest.ts withBulkIndexes)
    expect(provenance(db)).toEqual([
      { id: 'b-1', variant: 0, files: '/ev/again.json' },
      { id: 'b-2', variant: 0, files: '/ev/later.json /ev/again.json' },
      { id: 'g-1', variant: 0, files: '/ev/good.json /ev/later.json' },
      { id: 'g-2', variant: 0, files: '/ev/good.json /ev/later.json' },
    ]);
    expectConsistent(db);
    db.close();
  });

  const partialThrough = (db: Database) => {
    const sql = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'events_id_hash_upto'").pluck().get() as string | undefined;
    return sql === undefined ? null : Number(/WHERE id <= (\d+)$/.exec(sql)![1]);
  };
  const rowsOf = (ids: string[]) => {
    const rows: EventRow[] = ids.map((id, i) => normalizeRecord(apiRecord(id), JSON.stringify(apiRecord(id)), i));
    return packRows(rows);
  };

  /** A writer on a new in-memory case as a bulk load has it (no eventID-hash index), its id table capped at `rows`. */
  const bulkWriter = (rows: number) => {
    const tuned = idTableTuning.maxRows;
    idTableTuning.maxRows = rows;
    onTestFinished(() => void (idTableTuning.maxRows = tuned));
    const db = openCase(':memory:');
    db.exec('DROP INDEX events_id_hash');
    return { db, store: new EvidenceStore(db) };
  };

  it('indexes the rows so far apart once the table is full, and again when a rolled-back file took that', async () => {
    const { db, store } = bulkWriter(2);
    expect(await load(store, '/ev/good.json', ['g-1', 'g-2'])).toMatchObject({ newEvents: 2 });
    expect(partialThrough(db)).toBeNull();
    // The table is full: the next batch indexes rows 1-2 apart (inside its file's savepoint), and the file fails.
    expect(await load(store, '/ev/bad.json', ['b-1', 'g-1'], true)).toMatchObject({ status: 'failed' });
    expect(partialThrough(db)).toBe(2);
    expect(hasIndex(db)).toBe(false);
    expect(await load(store, '/ev/later.json', ['g-2', 'b-1'])).toMatchObject({ newEvents: 1, duplicates: 1 });
    // A file of three batches: the third finds the table full again and indexes rows 1-4, two of them its own; it fails.
    const file = store.begin('/ev/three.json');
    store.addRows(file, rowsOf(['t-1']));
    store.addRows(file, rowsOf(['t-2']));
    expect(partialThrough(db)).toBe(3);
    store.addRows(file, rowsOf(['t-3']));
    expect(partialThrough(db)).toBe(5);
    store.recordFailure('/ev/three.json', 'truncated gzip: the compressed data ends early');
    // The rollback brought back the index from before the file (rows 1-2); the writer builds the one over 1-5 again.
    // Row ids 4 and 5 are then given again, at or below that bound.
    expect(partialThrough(db)).toBe(5);
    expect(await load(store, '/ev/next.json', ['t-2', 'g-1', 'b-1', 'n-1'])).toMatchObject({ newEvents: 2, duplicates: 2 });
    expect(db.prepare("SELECT id FROM events WHERE event_id IN ('t-2', 'n-1') ORDER BY id").pluck().all()).toEqual([4, 5]);
    expect(await load(store, '/ev/again.json', ['n-1', 't-2', 'g-2', 'x-1'])).toMatchObject({ newEvents: 1, duplicates: 3 });
    store.flush();
    expect(provenance(db)).toEqual([
      { id: 'b-1', variant: 0, files: '/ev/later.json /ev/next.json' },
      { id: 'g-1', variant: 0, files: '/ev/good.json /ev/next.json' },
      { id: 'g-2', variant: 0, files: '/ev/good.json /ev/later.json /ev/again.json' },
      { id: 'n-1', variant: 0, files: '/ev/next.json /ev/again.json' },
      { id: 't-2', variant: 0, files: '/ev/next.json /ev/again.json' },
      { id: 'x-1', variant: 0, files: '/ev/again.json' },
    ]);
    // The load's end drops the partial index and builds the whole one.
    buildSecondaryIndexes(db);
    expect(partialThrough(db)).toBeNull();
    expect(hasIndex(db)).toBe(true);
    db.close();
  });

  it('uses the whole index from the start when the table is set to hold no rows', async () => {
    const { db, store } = bulkWriter(0);
    expect(await load(store, '/ev/good.json', ['g-1', 'g-2'])).toMatchObject({ newEvents: 2 });
    expect(hasIndex(db)).toBe(true);
    expect(partialThrough(db)).toBeNull();
    expect(await load(store, '/ev/later.json', ['g-2', 'b-1'])).toMatchObject({ newEvents: 1, duplicates: 1 });
    store.flush();
    db.close();
  });

  it('holds what it is given, and gives candidates only', () => {
    const t = new IdHashTable(4); // 16 slots: grows several times below
    const hashes = Array.from({ length: 500 }, (_, i) => hash53(`event-${i}`));
    hashes.forEach((h, i) => t.add(h, i + 1));
    expect(t.size).toBe(500);
    expect(t.bytes).toBe(1024 * 8); // 500 rows at most 3/4 full: 1,024 slots of 8 bytes
    hashes.forEach((h, i) => expect(t.rowsOf(h)).toContain(i + 1));
    // Two hashes with the same low 32 bits share their candidates (the writer checks each row's hash and eventID).
    const twin = hashes[7]! + 2 ** 32;
    expect(t.rowsOf(twin)).toEqual(t.rowsOf(hashes[7]!));
    t.add(twin, 900);
    expect(t.rowsOf(hashes[7]!)).toEqual([8, 900]);
    t.add(hashes[7]!, 8); // the same row again (a row id used again after a rollback): given once
    expect(t.rowsOf(hashes[7]!)).toEqual([8, 900]);
    expect(t.rowsOf(hash53('never added'))).toEqual([]);
    expect(() => t.add(1, 2 ** 32)).toThrow(RangeError);
    // Read from a case: every row, or none past `max`.
    const db = openCase(':memory:');
    const store = new EvidenceStore(db);
    const file = store.begin('/ev/a.json');
    store.addRows(file, packRows(['a', 'b', 'c'].map((id, i) => normalizeRecord(apiRecord(id), JSON.stringify(apiRecord(id)), i))));
    expect(IdHashTable.load(db, 3)!.rowsOf(hash53('b'))).toEqual([2]);
    expect(IdHashTable.load(db, 2)).toBeNull();
    store.rollback();
    db.close();
  });
});
