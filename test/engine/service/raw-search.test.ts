/**
 * Search over every field of the raw records (service/raw-search.ts) through the engine's own calls: the events it
 * finds are exactly those a scan of every raw record finds (for free text, plus the old column matches), blocks
 * without a filter are still searched, the filter does skip blocks, and the search joins the table's other
 * filters, the total and the timeline.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { rawReader } from '../../../electron/engine/ingest/raw-blocks';
import { BlockFilter, buildBlockFilter, searchableText } from '../../../electron/engine/ingest/block-filter';
import { CaseService } from '../../../electron/engine/service/case-service';
import { RawSearch, rawSearch } from '../../../electron/engine/service/raw-search';
import { searchColumnsLike } from '../../../electron/engine/service/event-query';
import { fieldMatches, parseSearch, textMatches } from '../../../electron/engine/service/search-terms';
import type { EventFilters } from '../../../shared/api';
import { generateBundle } from '../../generator';
import { tempDir } from '../../helpers/evidence';

let db: Database;
let service: CaseService;
let records: { id: number; raw: string; parsed: unknown }[];
let secretId: string;

/** The events a scan of every record finds for a search box text (every term ANDed). */
function scan(search: string): number[] {
  let ids = records.map((r) => r.id);
  for (const term of parseSearch(search)) {
    let hit: Set<number>;
    if (term.kind === 'field') hit = new Set(records.filter((r) => fieldMatches(term, r.parsed)).map((r) => r.id));
    else {
      const like = searchColumnsLike(term.text);
      hit = new Set(db.prepare(`SELECT e.id FROM events e WHERE ${like.sql}`).pluck().all(...like.params) as number[]);
      for (const r of records) if (textMatches(term.text, searchableText(r.raw))) hit.add(r.id);
    }
    ids = ids.filter((id) => hit.has(id));
  }
  return ids.sort((a, b) => a - b);
}

/** The case's most frequent event name. */
function commonName(): string {
  return db.prepare('SELECT event_name FROM events GROUP BY event_name ORDER BY COUNT(*) DESC, event_name LIMIT 1').pluck().get() as string;
}

async function found(filters: EventFilters): Promise<{ total: number; ids: number[]; histogram: number }> {
  const page = service.eventPage({ filters, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 1000 });
  const h = await service.histogram({ filters, buckets: 50 });
  return { total: page.total, ids: page.rows.map((r) => r.rowid).sort((a, b) => a - b), histogram: h.counts.reduce((a, b) => a + b, 0) };
}

beforeAll(async () => {
  const dir = tempDir('raw-search');
  const bundle = generateBundle({ outDir: `${dir}/bundle`, events: 4000, seed: 23 }).outDir;
  db = openCase(`${dir}/case.db`);
  await ingestEvidence(db, [bundle], { workers: 0 });
  correlate(db);
  service = new CaseService(db, `${dir}/case.db`);
  const reader = rawReader(db);
  records = (db.prepare('SELECT id, raw_block, raw_off, raw_len FROM events ORDER BY id').all() as { id: number; raw_block: number; raw_off: number; raw_len: number }[]).map((r) => {
    const raw = reader.text(r);
    return { id: r.id, raw, parsed: JSON.parse(raw) as unknown };
  });
  const secrets = records.map((r) => (r.parsed as { requestParameters?: { secretId?: unknown } }).requestParameters?.secretId).filter((s): s is string => typeof s === 'string');
  // The least frequent secret of the case.
  const counts = new Map<string, number>();
  for (const s of secrets) counts.set(s, (counts.get(s) ?? 0) + 1);
  secretId = [...counts].sort((a, b) => a[1] - b[1])[0]![0];
});

describe('raw record search', () => {
  it('finds exactly the events a scan of every raw record finds: free text, field globs, both, and nothing', async () => {
    const secretName = secretId.split(':secret:')[1]!;
    const arn = (records.find((r) => /AssumeRole"/.test(r.raw))!.parsed as { requestParameters: { roleArn: string } }).requestParameters.roleArn;
    const searches = [
      secretId, // a full ARN in requestParameters: the column search alone finds none of these
      secretName,
      `requestParameters.secretId:${secretId.split(':secret:')[0]}:secret:*`,
      `requestParameters.secretId:*${secretName.slice(-6)}`,
      `requestParameters.roleArn:${arn}`,
      arn,
      'GetSecret', // a column substring, as before
      'us-east-1',
      `eventName:GetSecretValue ${secretName}`,
      'requestParameters.secretId:no-such-secret-*',
      'zzzz-not-in-any-record',
      // Bare tokens: their matches inside column values are the column search's, outside them the raw search's.
      commonName(),
      'AssumeRole',
      'sts',
      'amazonaws',
      arn.split('/')[1]!.split('-')[0]!,
      'eventName',
    ];
    for (const search of searches) {
      const want = scan(search);
      const got = await found({ search });
      expect({ search, total: got.total }).toEqual({ search, total: want.length });
      expect(got.histogram).toBe(want.length);
      if (want.length <= 1000) expect(got.ids).toEqual(want);
      else expect(got.ids.filter((id) => !want.includes(id))).toEqual([]);
    }
    // The column search alone (before raw search) found none of the secret's events.
    const like = searchColumnsLike(secretId);
    expect(db.prepare(`SELECT COUNT(*) FROM events e WHERE ${like.sql}`).pluck().get(...like.params)).toBe(0);
    expect(scan(secretId).length).toBeGreaterThan(0);
  });

  it('relies on what the writer guarantees: in every block, event row ids increase with the record offset', () => {
    const rows = db.prepare('SELECT raw_block, raw_off, id FROM events ORDER BY raw_block, raw_off').raw(true).all() as [number, number, number][];
    let blocksWithSeveral = 0;
    for (let i = 1; i < rows.length; i++) {
      const [b, , id] = rows[i]!;
      const [pb, , pid] = rows[i - 1]!;
      if (b !== pb) continue;
      if (i < 2 || rows[i - 2]![0] !== b) blocksWithSeveral++;
      expect(id, `block ${b}: row ${id} after row ${pid}`).toBeGreaterThan(pid);
    }
    expect(blocksWithSeveral).toBeGreaterThan(5);
  });

  it('skips blocks: an event name in most blocks, searched as a bare token, decompresses only the blocks that write it elsewhere', () => {
    const name = commonName();
    const s = new RawSearch(db);
    const ids = Array.from(s.matching(parseSearch(name)[0]!));
    expect(ids).toEqual(scan(name));
    const blocksWithIt = (db.prepare('SELECT COUNT(DISTINCT raw_block) FROM events WHERE event_name = ?').pluck().get(name) as number);
    expect(blocksWithIt).toBeGreaterThan(50);
    expect(s.last!.candidates).toBeLessThan(blocksWithIt / 4);
    // As a phrase across the value's edge, every block that holds it is read.
    const phrase = new RawSearch(db);
    expect(Array.from(phrase.matching(parseSearch(`"${name}"`)[0]!))).toEqual(scan(`"${name}"`));
    expect(phrase.last!.candidates).toBeGreaterThanOrEqual(blocksWithIt);
  });

  it('skips blocks: a rare term decompresses a few blocks of many', () => {
    const s = new RawSearch(db);
    const ids = s.matching(parseSearch(secretId.split(':secret:')[1]!)[0]!);
    expect(ids.length).toBeGreaterThan(0);
    expect(s.last!.blocks).toBeGreaterThan(5);
    expect(s.last!.candidates).toBeLessThan(s.last!.blocks);
    const none = new RawSearch(db);
    expect(Array.from(none.matching(parseSearch('zzzz-not-in-any-record')[0]!)).filter((id) => !ids.includes(id))).toEqual([]);
    expect(none.last!.candidates).toBeLessThanOrEqual(1);
  });

  it('keeps the first blocks\' filters in memory up to its budget and reads the others for each search, with the same hits', () => {
    const sizes = db.prepare('SELECT length(filter) FROM raw_block_filters ORDER BY block').pluck().all() as number[];
    expect(sizes.length).toBeGreaterThan(10);
    const budget = sizes[0]! + sizes[1]! + sizes[2]! + 1; // three blocks' filters, not four
    const kept = new RawSearch(db);
    const tight = new RawSearch(db, { filterMemory: budget });
    const secretName = secretId.split(':secret:')[1]!;
    for (const search of [secretName, `requestParameters.secretId:${secretId}`, commonName(), 'zzzz-not-in-any-record', 'amazonaws']) {
      const term = parseSearch(search)[0]!;
      const want = Array.from(kept.matching(term));
      expect(want).toEqual(scan(search));
      expect(Array.from(tight.matching(term)), search).toEqual(want);
      expect(tight.last!.blocks).toBe(sizes.length);
      expect(tight.last!.candidates).toBe(kept.last!.candidates);
      expect(tight.last!.records).toBe(kept.last!.records);
    }
    expect(tight.filterMemoryUse()).toEqual({ bytes: sizes[0]! + sizes[1]! + sizes[2]!, spilled: true });
    expect(kept.filterMemoryUse()).toEqual({ bytes: sizes.reduce((a, b) => a + b, 0), spilled: false });
  });

  it('gives chosen fields of each row\'s raw record as columns', () => {
    const page = service.eventPage({
      filters: { search: `requestParameters.secretId:${secretId}` },
      sort: { column: 'eventTime', dir: 'asc' },
      offset: 0,
      limit: 50,
      fields: ['requestParameters.secretId', 'userIdentity.accessKeyId', 'requestParameters.noSuchField'],
    });
    expect(page.rows.length).toBeGreaterThan(0);
    for (const row of page.rows) {
      const parsed = records.find((r) => r.id === row.rowid)!.parsed as { userIdentity?: { accessKeyId?: string } };
      expect(row.fields).toEqual({
        'requestParameters.secretId': secretId,
        'userIdentity.accessKeyId': parsed.userIdentity?.accessKeyId ?? null,
        'requestParameters.noSuchField': null,
      });
    }
    expect(service.eventPage({ filters: {}, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 5 }).rows[0]!.fields).toBeUndefined();
  });

  it('joins the other filters: time range, event name, key', async () => {
    const search = `requestParameters.secretId:${secretId}`;
    const all = scan(search);
    const times = db.prepare(`SELECT event_ms FROM events WHERE id IN (${all.join(',')}) ORDER BY event_ms`).pluck().all() as number[];
    const mid = times[Math.floor(times.length / 2)]!;
    const later = await found({ search, fromMs: mid });
    expect(later.total).toBe(times.filter((t) => t >= mid).length);
    expect((await found({ search, eventName: 'GetSecretValue' })).total).toBe(
      db.prepare(`SELECT COUNT(*) FROM events WHERE event_name = 'GetSecretValue' AND id IN (${all.join(',')})`).pluck().get(),
    );
    expect((await found({ search, eventName: 'NoSuchCall' })).total).toBe(0);
  });

  it('forgets its filters and hit tables when the writer rolls back (a block id may then be given to another block)', () => {
    const search = rawSearch(db);
    const term = parseSearch(`requestParameters.secretId:${secretId}`)[0]!;
    const before = search.hits(term);
    expect(search.hits(term)).toEqual(before); // cached
    rawReader(db).forget(); // what EvidenceStore.rollback() and abort() call
    const after = search.hits(term);
    expect(after.table).not.toBe(before.table);
    expect(db.prepare(`SELECT id FROM temp."${after.table}" ORDER BY id`).pluck().all()).toEqual(scan(`requestParameters.secretId:${secretId}`));
    expect(db.prepare("SELECT 1 FROM temp.sqlite_master WHERE name = ?").get(before.table)).toBeUndefined();
  });

  it('writes a hit table only when SQL asks for one (hit ids alone are kept in memory)', () => {
    const search = new RawSearch(db);
    const term = parseSearch(commonName())[0]!;
    const tables = () => db.prepare("SELECT count(*) FROM temp.sqlite_master WHERE name LIKE 'raw_hits_%'").pluck().get() as number;
    const before = tables();
    const ids = Array.from(search.hitIds(term));
    expect(ids).toEqual(scan(commonName()));
    expect(search.hitIds(term)).toBe(search.hitIds(term)); // kept
    expect(tables()).toBe(before);
    const { table } = search.hits(term);
    expect(tables()).toBe(before + 1);
    expect(db.prepare(`SELECT id FROM temp."${table}" ORDER BY id`).pluck().all()).toEqual(ids);
    expect(search.hits(term).table).toBe(table);
    search.forget();
    expect(tables()).toBe(before);
  });

  it('searches blocks whose filter is of version 1 (every token unsalted, from before column values were set apart)', () => {
    const name = commonName();
    const before = scan(name);
    const blocks = db.prepare('SELECT block AS id, filter FROM raw_block_filters WHERE block % 2 = 1').all() as { id: number; filter: Uint8Array }[];
    const reader = rawReader(db);
    for (const b of blocks) {
      const filter = new BlockFilter(b.filter);
      const bytes = reader.block(b.id);
      const offsets = filter.offsets;
      const texts = offsets.slice(0, -1).map((off, i) => bytes.toString('utf8', off, offsets[i + 1]));
      const v1 = buildBlockFilter(bytes, texts).filter;
      v1[0] = 1;
      db.prepare('UPDATE raw_block_filters SET filter = ? WHERE block = ?').run(v1, b.id);
    }
    const s = new RawSearch(db);
    expect(Array.from(s.matching(parseSearch(name)[0]!))).toEqual(before);
    // Every version-1 block holding the name is read (its filter has the name's unsalted hash).
    const oddWithIt = db.prepare('SELECT COUNT(DISTINCT raw_block) FROM events WHERE event_name = ? AND raw_block % 2 = 1').pluck().get(name) as number;
    expect(oddWithIt).toBeGreaterThan(20);
    expect(s.last!.candidates).toBeGreaterThanOrEqual(oddWithIt);
    for (const b of blocks) db.prepare('UPDATE raw_block_filters SET filter = ? WHERE block = ?').run(b.filter, b.id);
  });

  it('searches blocks written without a filter (an upgraded case) by reading all of their records', () => {
    const search = `requestParameters.secretId:${secretId}`;
    const before = scan(search);
    // (this test runs last: the filters are not restored)
    db.exec('UPDATE raw_block_filters SET filter = NULL WHERE block % 2 = 0');
    const s = new RawSearch(db);
    expect(Array.from(s.matching(parseSearch(search)[0]!))).toEqual(before);
    expect(s.last!.candidates).toBeGreaterThanOrEqual(Math.floor(s.last!.blocks / 2));
    const text = secretId.split(':secret:')[1]!;
    expect(Array.from(s.matching(parseSearch(text)[0]!))).toEqual(scan(text));
    // …also where they are past the filters kept in memory (none fit: every block's is read per search).
    const tight = new RawSearch(db, { filterMemory: 1 });
    expect(Array.from(tight.matching(parseSearch(search)[0]!))).toEqual(before);
    expect(Array.from(tight.matching(parseSearch(text)[0]!))).toEqual(scan(text));
    expect(tight.last!.candidates).toBe(s.last!.candidates);
    expect(tight.filterMemoryUse().spilled).toBe(true);
  });
});
