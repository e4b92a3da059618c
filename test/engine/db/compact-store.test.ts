/**
 * The compact store (migration 0090): raw record text in compressed blocks, the first delivery in the event row,
 * eventIDs found by hash. A generated bundle with EKS audit logs, ingested on the real path (parse workers):
 * - every event's raw text comes back byte-identical (its SHA-256, taken by the parse worker before packing, and
 *   the record as the evidence file holds it);
 * - a case written by the previous schema (version 80: raw text per row, every delivery in event_sources) and
 *   upgraded equals a fresh ingest: the same events and raw texts, the same deliveries, the same attribution.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename, join } from 'node:path';
import type { Database as Db } from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateBundle } from '../../generator';
import { openCase, migrate, schemaVersion } from '../../../electron/engine/db/open';
import { LATEST_VERSION } from '../../../electron/engine/db/migrations';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { canonicalJson } from '../../../electron/engine/util/canonical';
import { EVENT_COLUMNS_10, eventsWithRaw, expectConsistent } from '../../helpers/case';
import { tempDir } from '../../helpers/evidence';

let dir: string;
let fresh: Db;

function attributionLines(db: Db): string[] {
  return [...new CaseQueries(db).attributionLines()].join('').split('\n');
}

function deliveries(db: Db): unknown[] {
  return db.prepare('SELECT event_rowid, file_id, record_index FROM event_sources ORDER BY event_rowid, file_id, record_index').all();
}

/** The same case as the previous schema wrote it: raw text per row in event_raw, every delivery in event_sources. */
function writeVersion80(from: Db, path: string): Db {
  const old = openCase(path, { targetVersion: 80 });
  old.exec(`ATTACH DATABASE '${from.name.replace(/'/g, "''")}' AS fresh`);
  old.pragma('foreign_keys = OFF');
  const tables = old.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  for (const t of tables) {
    if (['events', 'event_raw', 'event_sources', 'custody_log'].includes(t)) continue;
    const cols = (old.pragma(`main.table_info(${t})`) as { name: string }[]).map((c) => c.name).join(', ');
    old.exec(`INSERT INTO main.${t} (${cols}) SELECT ${cols} FROM fresh.${t}`);
  }
  const insertEvent = old.prepare(`INSERT INTO events (${EVENT_COLUMNS_10.join(', ')}) VALUES (${EVENT_COLUMNS_10.map(() => '?').join(', ')})`);
  const insertRaw = old.prepare('INSERT INTO event_raw (event_rowid, raw) VALUES (?, ?)');
  for (const e of eventsWithRaw(from)) {
    insertEvent.run(EVENT_COLUMNS_10.map((c) => e[c]));
    insertRaw.run(e.id, e.raw);
  }
  old.exec('INSERT INTO main.event_sources SELECT event_rowid, file_id, record_index FROM fresh.event_sources');
  // (a key of a later migration's, copied with the fresh case's meta: no version-80 case has it)
  old.exec("DELETE FROM main.case_meta WHERE key = 'facet_sids_after'");
  old.pragma('foreign_keys = ON');
  old.exec('DETACH DATABASE fresh');
  return old;
}

beforeAll(async () => {
  dir = tempDir('compact-store');
  const bundle = generateBundle({ outDir: join(dir, 'bundle'), events: 3000, seed: 'compact-store', k8s: true }).outDir;
  fresh = openCase(join(dir, 'fresh.db'));
  await ingestEvidence(fresh, [bundle]);
  correlate(fresh);
}, 120_000);

describe('the compact store', () => {
  it('gives back every raw text byte-identical, in blocks of many records', () => {
    expectConsistent(fresh); // includes: SHA-256 of each raw text read back = the SHA-256 the parse worker took
    const events = eventsWithRaw(fresh);
    expect(events.length).toBeGreaterThan(3000);
    const blocks = fresh.prepare('SELECT COUNT(*) FROM raw_blocks').pluck().get() as number;
    expect(blocks).toBeLessThan(events.length / 4); // a file's records share its blocks (facts apart)
    // And each is the record the file holds at that index (trail files: {"Records": [...]}, gzip).
    const files = new Map<number, unknown[]>();
    const where = fresh.prepare('SELECT e.record_index, f.id, f.path, f.format FROM events e JOIN evidence_files f ON f.id = e.file_id WHERE e.id = ?');
    let checked = 0;
    for (const e of events) {
      const w = where.get(e.id) as { record_index: number; id: number; path: string; format: string };
      if (w.format !== 'cloudtrail-log') continue;
      if (!files.has(w.id)) files.set(w.id, (JSON.parse(gunzipSync(readFileSync(w.path)).toString('utf8')) as { Records: unknown[] }).Records);
      expect(canonicalJson(JSON.parse(e.raw)), `${w.path} #${w.record_index}`).toBe(canonicalJson(files.get(w.id)![w.record_index]));
      checked++;
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('keeps no block that only duplicate deliveries were packed into', async () => {
    const unreferenced = (db: Db) =>
      db.prepare('SELECT COUNT(*) FROM raw_blocks b WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.raw_block = b.id)').pluck().get() as number;
    const copy = openCase(join(dir, 'redelivered.db'));
    const bundle = join(dir, 'bundle');
    await ingestEvidence(copy, [bundle]);
    expect(unreferenced(copy)).toBe(0);
    const blocks = copy.prepare('SELECT COUNT(*) FROM raw_blocks').pluck().get() as number;
    const events = copy.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    // The same trail files again under another path (an organisation trail's copies): every record a duplicate.
    const files = (copy.prepare("SELECT path FROM evidence_files WHERE format = 'cloudtrail-log' ORDER BY id LIMIT 6").pluck().all() as string[]);
    const again = join(dir, 'org-copy');
    mkdirSync(again);
    for (const [i, f] of files.entries()) copyFileSync(f, join(again, `${i}-${basename(f)}`));
    const r = await ingestEvidence(copy, [again]);
    expect(r.duplicates).toBeGreaterThan(0);
    expect(copy.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(events);
    expect(copy.prepare('SELECT COUNT(*) FROM raw_blocks').pluck().get()).toBe(blocks);
    expect(unreferenced(copy)).toBe(0);
    expectConsistent(copy); // every raw text still reads back to its SHA-256
    copy.close();
  });

  it('finds events by eventID through the hash index', () => {
    const q = new CaseQueries(fresh);
    const some = fresh.prepare('SELECT event_id FROM events ORDER BY id DESC LIMIT 5').pluck().all() as string[];
    for (const id of some) expect(q.hasEvent(id)).toBe(true);
    expect(q.hasEvent('00000000-0000-0000-0000-000000000000')).toBe(false);
    const plan = (fresh.prepare('EXPLAIN QUERY PLAN SELECT id FROM events WHERE id_hash = ? AND event_id = ?').all(1, 'x') as { detail: string }[])
      .map((p) => p.detail)
      .join(' ');
    expect(plan).toMatch(/events_id_hash/);
  });

  it('upgrades a case of the previous schema to what a fresh ingest writes', () => {
    const old = writeVersion80(fresh, join(dir, 'old.db'));
    expect(schemaVersion(old)).toBe(80);
    expect(old.prepare('SELECT COUNT(*) FROM event_raw').pluck().get()).toBe(eventsWithRaw(fresh).length);
    migrate(old);
    expect(schemaVersion(old)).toBe(LATEST_VERSION);
    expectConsistent(old);
    expect(eventsWithRaw(old)).toEqual(eventsWithRaw(fresh));
    expect(deliveries(old)).toEqual(deliveries(fresh));
    correlate(old);
    expect(attributionLines(old)).toEqual(attributionLines(fresh));
    old.close();
  });
});
