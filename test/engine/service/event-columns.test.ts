/**
 * The in-memory event columns (service/event-columns.ts) answer exactly what SQL answers: the histogram, the total
 * and the column part of a free-text search, over random combinations of every filter of `EventFilters` (with and
 * without time ranges, stars, tags, flags and search terms), on a generated case with EKS evidence and people; and
 * they follow the case when more evidence (and a correlation) or a note is committed by another connection.
 *
 * The fast answers are asked of the columns themselves (never through a path that could fall back to SQL), the
 * SQL ones of a second connection that keeps no columns.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerEventIdHash } from '../../../electron/engine/db/event-id';
import type { CaseService } from '../../../electron/engine/service/case-service';
import { enableEventColumns, EventColumns, kthSmallest, ownCopy } from '../../../electron/engine/service/event-columns';
import { countHistogram, termIds } from '../../../electron/engine/service/histogram';
import { EVENT_FROM, likePattern, pageQuery, searchColumnsLike, whereClause } from '../../../electron/engine/service/event-query';
import { searchHits } from '../../../electron/engine/service/raw-search';
import { EventPages } from '../../../electron/engine/service/event-page';
import { FLAGS, MECHANISMS } from '../../../shared/attribution';
import type { EventFilters, EventPage, EventQuery, TraceView } from '../../../shared/api';
import { ingestedService, type ServiceHarness } from '../../helpers/service';
import { generateBundle } from '../../generator';
import { trailJson } from '../../helpers/evidence';

let h: ServiceHarness;
let service: CaseService;
/** A connection keeping the columns, and one answering with SQL only. */
let fast: Database.Database;
let sql: Database.Database;
let columns: EventColumns;
/** The same columns with most rows past their memory budget (in the spill files: column-spill.ts), on a third connection. */
let spilledDb: Database.Database;
let spilled: EventColumns;

function open(path: string): Database.Database {
  const db = new Database(path, { readonly: true });
  registerEventIdHash(db);
  return db;
}

/** A small seeded generator (the same combinations every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Pools {
  values: Partial<Record<keyof EventFilters, unknown[]>>;
  minMs: number;
  maxMs: number;
  /** Event times: a range bound on one must keep it (from) or leave it out (to). */
  times: number[];
}

/** Values each filter can take: what the case holds, plus values that match nothing and edge cases. */
function pools(): Pools {
  const col = (q: string) => sql.prepare(q).pluck().all() as unknown[];
  const range = sql.prepare('SELECT MIN(event_ms) lo, MAX(event_ms) hi FROM events').get() as { lo: number; hi: number };
  const names = col('SELECT DISTINCT event_name FROM events') as string[];
  const ids = col('SELECT event_id FROM events ORDER BY id LIMIT 5') as string[];
  const arns = col("SELECT text FROM strings WHERE text LIKE 'arn:%' LIMIT 5") as string[];
  const keys = col('SELECT DISTINCT access_key_id FROM events WHERE access_key_id IS NOT NULL LIMIT 40');
  const ips = col('SELECT DISTINCT source_ip FROM events WHERE source_ip IS NOT NULL LIMIT 20') as string[];
  const search = [
    ...names.slice(0, 12).map((n) => n.slice(0, 8)), // prefixes: column matches, few raw
    ...names.slice(0, 4), // whole names: raw tokens too
    ...ids.map((id) => id.slice(2, 9)), // a piece of an eventID: the eventID scan
    ...ips.slice(0, 3).map((ip) => ip.slice(0, 6)),
    ...arns.map((a) => a.slice(-10)),
    'amazonaws', '.amazonaws.com', 'aws-cli', 'Boto3', 'prod', 'GETSECRETVALUE', 'ASIA', 'zzzz-nothing', '--', '%', '_', 'us-east-1 GetObject',
    'eventName:Get*', 'requestParameters.roleSessionName:*', 'userIdentity.type:AssumedRole prod',
  ];
  return {
    minMs: range.lo,
    maxMs: range.hi,
    times: col('SELECT event_ms FROM events ORDER BY random() LIMIT 200') as number[],
    values: {
      account: [...col('SELECT DISTINCT recipient_account_id FROM events'), '000000000000', ''],
      region: [...col('SELECT DISTINCT aws_region FROM events'), 'xx-nowhere-1'],
      eventSource: [...col('SELECT DISTINCT event_source FROM events'), 'nothing.amazonaws.com'],
      eventName: [...names, 'NoSuchCall'],
      errorCode: [...col('SELECT DISTINCT error_code FROM events WHERE error_code IS NOT NULL'), 'any', 'none', 'any', 'none', 'NoSuchError'],
      mechanism: [...MECHANISMS],
      cluster: [...col('SELECT DISTINCT cluster_name FROM subjects WHERE cluster_name IS NOT NULL'), 'no-cluster'],
      namespace: col('SELECT DISTINCT namespace FROM subjects WHERE namespace IS NOT NULL'),
      serviceAccount: col('SELECT DISTINCT service_account FROM subjects WHERE service_account IS NOT NULL'),
      pod: col('SELECT DISTINCT pod_name FROM subjects WHERE pod_name IS NOT NULL LIMIT 30'),
      node: col('SELECT DISTINCT node_instance FROM subjects WHERE node_instance IS NOT NULL'),
      accessKeyId: [...keys, 'ASIANOTAKEYATALL0000'],
      principal: [
        ...col("SELECT DISTINCT resolution ->> '$.principal' FROM subjects WHERE resolution ->> '$.principal' IS NOT NULL LIMIT 20"),
        ...col("SELECT DISTINCT resolution ->> '$.actor.principal' FROM subjects WHERE resolution ->> '$.actor.principal' IS NOT NULL"),
      ],
      search,
      flag: [...col('SELECT DISTINCT flag FROM event_flags'), 'any', 'any', FLAGS[0]],
      starred: [true, true, false],
      tag: ['exfil', 'exfil', 'other', 'no-such-tag'],
    },
  };
}

/** Random filters: one to four fields, often a time range. */
function randomFilters(p: Pools, next: () => number): EventFilters {
  const f: Record<string, unknown> = {};
  const fields = Object.keys(p.values).filter((k) => (p.values[k as keyof EventFilters] ?? []).length > 0);
  const n = 1 + Math.floor(next() * 4);
  for (let i = 0; i < n; i++) {
    const k = fields[Math.floor(next() * fields.length)]!;
    const vs = p.values[k as keyof EventFilters]!;
    f[k] = vs[Math.floor(next() * vs.length)];
  }
  const span = p.maxMs - p.minMs + 1;
  const at = () => p.times[Math.floor(next() * p.times.length)]!;
  const r = next();
  if (next() < 0.3) {
    // Bounds on event times (a brushed timeline snaps to none, but an API caller may).
    const x = at();
    const y = at();
    f.fromMs = Math.min(x, y);
    f.toMs = x === y ? x + 1 : Math.max(x, y);
    return f as EventFilters;
  }
  if (r < 0.25) {
    f.fromMs = p.minMs + Math.floor(next() * span);
    f.toMs = (f.fromMs as number) + 1 + Math.floor(next() * span * 0.6);
  } else if (r < 0.35) f.fromMs = p.minMs + Math.floor(next() * span);
  else if (r < 0.45) f.toMs = p.minMs + Math.floor(next() * span);
  else if (r < 0.5) {
    f.fromMs = p.maxMs - 1000;
    f.toMs = p.minMs; // an empty range
  }
  return f as EventFilters;
}

/** The total SQL gives (the table's WHERE clause, row by row). */
function sqlTotal(f: EventFilters): number {
  const w = whereClause(f, searchHits(sql));
  return sql.prepare(`SELECT COUNT(*) FROM ${EVENT_FROM} ${w.sql}`).pluck().get(...w.params) as number;
}

/** The histogram from the columns, asked of them directly (null would be a refusal: the test fails on it). */
async function fastHistogram(
  f: EventFilters,
  buckets: number,
  c: EventColumns = columns,
  db: Database.Database = fast,
): Promise<{ fromMs: number; bucketMs: number; counts: number[] | null }> {
  // The bucketing of countHistogram (its SQL path, on the other connection), then the columns' counts.
  const ref = await countHistogram(sql, { filters: f, buckets });
  const toMs = f.toMs ?? (sql.prepare('SELECT MAX(event_ms) FROM events').pluck().get() as number) + 1;
  const timed = f.fromMs !== undefined || f.toMs !== undefined;
  return { fromMs: ref.fromMs, bucketMs: ref.bucketMs, counts: c.histogram(f, termIds(db), ref.fromMs, toMs, ref.bucketMs, ref.counts.length, timed) };
}

async function compare(f: EventFilters, buckets: number): Promise<number> {
  const want = await countHistogram(sql, { filters: f, buckets });
  const total = sqlTotal(f);
  // The columns in memory, and the same with most rows in their spill files.
  for (const [c, db] of [[columns, fast], [spilled, spilledDb]] as const) {
    const kind = c === columns ? 'in memory' : 'spilled';
    const got = await fastHistogram(f, buckets, c, db);
    expect(got.counts, `the columns (${kind}) answer ${JSON.stringify(f)}`).not.toBeNull();
    expect({ kind, f, counts: got.counts }).toEqual({ kind, f, counts: want.counts });
    // The whole path on the fast connection (columns fresh: it must not fall back) gives the same.
    expect(c.fresh()).toBe(true);
    expect(await countHistogram(db, { filters: f, buckets })).toEqual(want);
    expect({ kind, f, total: c.total(f, termIds(db)) }).toEqual({ kind, f, total });
    // A time-sorted page read among the rows the columns give (event-page.ts) is the page SQL gives.
    for (const [dir, offset, limit] of [['asc', 0, 100], ['desc', 0, 40], ['asc', 37, 25], ['desc', 150, 60]] as const) {
      const q: EventQuery = { filters: f, sort: { column: 'eventTime', dir }, offset, limit };
      const among = c.firstRows(f, termIds(db), offset + limit, dir === 'desc');
      expect(among, `the columns (${kind}) give the first rows of ${JSON.stringify(f)}`).not.toBeNull();
      expect(among!.length).toBeLessThanOrEqual(total);
      const want = pageQuery(q, false, searchHits(sql));
      const got = pageQuery(q, false, undefined, among!);
      expect({ kind, q, rows: sql.prepare(got.sql).all(...got.params) }).toEqual({ kind, q, rows: sql.prepare(want.sql).all(...want.params) });
    }
  }
  return total;
}

/** Both copies brought up to date with the case, search columns included. */
async function refreshBoth(): Promise<void> {
  for (const c of [columns, spilled]) {
    await c.refresh();
    expect(c.fresh()).toBe(true);
    while (!c.searchLoaded()) await new Promise((r) => setTimeout(r, 10));
  }
}

const add = (target: { kind: string; value: string }, kind: 'star' | 'tag', text = '') => h.ok('notes.add', { target, kind, text });

beforeAll(async () => {
  h = await ingestedService('event-columns', { events: 3000, seed: 9107, k8s: true, k8sActors: true, hours: 6 });
  service = h.service;
  // Stars and tags on events, a session, a pod and a person.
  const all = (await h.ok<EventPage>('events.query', { filters: {}, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 1000 })).rows;
  for (const r of [all[5]!, all[50]!, all[500]!]) await add({ kind: 'event', value: r.eventID }, 'star');
  await add({ kind: 'event', value: all[7]!.eventID }, 'tag', 'exfil');
  await add({ kind: 'event', value: all[8]!.eventID }, 'tag', 'other');
  const keyed = all.find((r) => r.accessKeyId)!;
  await add({ kind: 'session', value: keyed.accessKeyId! }, 'tag', 'exfil');
  const pod = all.find((r) => r.pod)?.pod;
  if (pod) await add({ kind: 'pod', value: pod }, 'tag', 'exfil');
  fast = open(h.casePath);
  sql = open(h.casePath);
  // Small slices: the case loads in many, as a large one does.
  columns = enableEventColumns(fast, { slice: 700 });
  // (the rows past the first 1,000 in spill files, read back in chunks of 700 rows)
  spilledDb = open(h.casePath);
  spilled = enableEventColumns(spilledDb, { slice: 700, memoryRows: 1000 });
  // (the search columns load after the histogram's, in the background)
  await refreshBoth();
  expect(columns.disabled).toBeNull();
  expect(spilled.disabled).toBeNull();
  expect(spilled.memory().spilledBytes).toBeGreaterThan(spilled.memory().residentBytes);
}, 300_000);

afterAll(() => {
  spilled?.stop();
  fast?.close();
  sql?.close();
  spilledDb?.close();
  service?.close();
});

/**
 * What a correlation writes with the subjects it changes (migration 0160), for a test that writes `event_subjects`
 * itself: the columns read them again only under a new token.
 */
const NEW_SUBJECTS = 'UPDATE correlation_state SET subjects_token = lower(hex(randomblob(16)));';

/** A copy of the case in a folder of its own, open for writing (`w`); `done` closes it and removes the folder. */
function caseCopy(name: string): { path: string; w: Database.Database; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-columns-'));
  const path = join(dir, name);
  sql.exec(`VACUUM INTO '${path.replaceAll("'", "''")}'`);
  const w = new Database(path);
  return {
    path,
    w,
    done: () => {
      if (w.open) w.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether every array of the columns holds only zero bits past its rows in use (the room left to grow into). */
function unwrittenPastRows(c: EventColumns): boolean {
  const inner = c as unknown as { loaded: number } & Record<'times' | 'subject' | 'combo' | 'key' | 'ip' | 'arn' | 'ua', { a: Uint16Array | Uint32Array | Int32Array | Float64Array }>;
  const from = inner.loaded + 1;
  const arrays = (['times', 'subject', 'combo', 'key', 'ip', 'arn', 'ua'] as const).map((k) => inner[k].a);
  expect(inner.times.a.length).toBeGreaterThan(from);
  // (Object.is: a time of -0 would be written)
  return arrays.every((a) => a.subarray(from).every((x) => Object.is(x, 0)));
}

describe('the in-memory event columns', () => {
  it('give the SQL histogram and total for random combinations of every filter', async () => {
    const p = pools();
    const next = rng(42);
    let nonEmpty = 0;
    for (let i = 0; i < 250; i++) {
      const f = randomFilters(p, next);
      const total = await compare(f, 1 + Math.floor(next() * 300));
      if (total > 0) nonEmpty++;
    }
    // Every single filter alone too, each of its values (the random ones mostly AND to nothing).
    for (const [k, vs] of Object.entries(p.values)) {
      for (const v of vs.slice(0, 12)) if ((await compare({ [k]: v } as EventFilters, 120)) > 0) nonEmpty++;
    }
    expect(nonEmpty, 'enough of the combinations keep events').toBeGreaterThan(100);
    expect(columns.memory().bytesPerRow).toBeLessThanOrEqual(16);
  });

  it('give a filtered page sorted by time as SQL does when the page is read from them (event-page.ts)', () => {
    // Every page through the columns (no walk is short enough), against the engine's own pages (SQL only).
    const viaColumns = new EventPages(fast, (f) => columns.total(f, termIds(fast)), (f, k, desc) => columns.firstRows(f, termIds(fast), k, desc), 0);
    const viaSql = new EventPages(sql);
    const p = pools();
    const next = rng(11);
    const filters: EventFilters[] = [{ region: 'us-east-1' }, { eventName: 'AssumeRoleWithWebIdentity' }, { errorCode: 'any' }, { mechanism: 'irsa' }, { tag: 'exfil' }];
    for (let i = 0; i < 40; i++) filters.push(randomFilters(p, next));
    for (const f of filters) {
      for (const [dir, offset, limit] of [['asc', 0, 50], ['desc', 10, 30]] as const) {
        const q: EventQuery = { filters: f, sort: { column: 'eventTime', dir }, offset, limit };
        expect({ q, page: viaColumns.page(q) }).toEqual({ q, page: viaSql.page(q) });
      }
    }
  });

  it("load the same through a slice source (the scan worker's connection), and read a slice here when it fails", async () => {
    const other = open(h.casePath);
    const filters: EventFilters[] = [{}, { region: 'us-east-1' }, { search: 'GetObject' }, { search: 'amazonaws', errorCode: 'none' }, { mechanism: 'irsa' }];
    try {
      let asked = 0;
      let failed = 0;
      for (const mode of ['other connection', 'fails now and then', 'always fails'] as const) {
        const source = async (q: string, after: number, upTo: number): Promise<unknown[]> => {
          asked++;
          await new Promise((r) => setTimeout(r, 1));
          if (mode === 'always fails' || (mode === 'fails now and then' && asked % 3 === 0)) {
            failed++;
            throw new Error('the worker stopped');
          }
          return other.prepare(q).raw(true).get(after, upTo) as unknown[];
        };
        const db = open(h.casePath);
        try {
          const c = enableEventColumns(db, { slice: 600, source });
          await c.refresh();
          while (!c.searchLoaded()) await new Promise((r) => setTimeout(r, 5));
          for (const f of filters) {
            expect({ mode, f, total: c.total(f, termIds(db)) }).toEqual({ mode, f, total: sqlTotal(f) });
            const want = await countHistogram(sql, { filters: f, buckets: 40 });
            expect({ mode, f, counts: (await countHistogram(db, { filters: f, buckets: 40 })).counts }).toEqual({ mode, f, counts: want.counts });
          }
          expect(c.memory().rows).toBe(columns.memory().rows);
        } finally {
          db.close();
        }
      }
      expect(asked).toBeGreaterThan(20);
      expect(failed).toBeGreaterThan(5);
    } finally {
      other.close();
    }
  });

  it("let go of each slice's row once it is read (kept until the load ended, they were 1.2 GB at 10M events)", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const other = open(h.casePath);
    const db = open(h.casePath);
    try {
      const rows: WeakRef<object>[] = [];
      const source = async (q: string, after: number, upTo: number): Promise<unknown[]> => {
        const row = other.prepare(q).raw(true).get(after, upTo) as unknown[];
        rows.push(new WeakRef(row));
        return row;
      };
      const c = new EventColumns(db, { slice: 600, source });
      let most = 0;
      let pauses = 0;
      await c.refresh(async () => {
        await new Promise((r) => setImmediate(r));
        gc();
        most = Math.max(most, rows.filter((r) => r.deref() !== undefined).length);
        pauses++;
      });
      while (!c.searchLoaded()) await new Promise((r) => setTimeout(r, 5));
      expect(rows.length).toBeGreaterThan(20);
      expect(pauses).toBeGreaterThan(20);
      // The row being read and the ones asked for ahead of it, no more.
      expect(most).toBeLessThanOrEqual(4);
      expect(c.memory().rows).toBe(columns.memory().rows);
    } finally {
      db.close();
      other.close();
    }
  });

  it("keep dictionary texts as their own strings, not as slices that hold a whole slice's text (117 MB at 10M events)", () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const used = () => {
      gc();
      return getHeapStatistics().used_heap_size;
    };
    const held: string[] = [];
    const base = used();
    for (let i = 0; i < 4; i++) held.push(`${i}`.repeat(8 << 20).slice(0, 40)); // V8 keeps each 8 MB parent alive
    const sliced = used() - base;
    held.length = 0;
    const before = used();
    for (let i = 0; i < 4; i++) held.push(ownCopy(`${i}`.repeat(8 << 20).slice(0, 40)));
    const copied = used() - before;
    expect(held[3]).toBe('3'.repeat(40));
    expect(sliced).toBeGreaterThan(24 << 20);
    expect(copied).toBeLessThan(1 << 20);
  });

  it('find the k-th smallest time however the times repeat', () => {
    const next = rng(7);
    for (let n = 1; n < 400; n += 1 + Math.floor(next() * 20)) {
      const spread = 1 + Math.floor(next() * n); // few distinct values: many ties
      const a = Float64Array.from({ length: n }, () => Math.floor(next() * spread));
      const sorted = Float64Array.from(a).sort();
      for (const r of [0, n - 1, Math.floor(next() * n)]) expect(kthSmallest(Float64Array.from(a), r)).toBe(sorted[r]);
    }
  });

  it('answer a search that comes before their search columns are in (it reads the rest of them first)', async () => {
    const early = open(h.casePath);
    try {
      const c = enableEventColumns(early, { slice: 50 });
      await c.refresh();
      expect(c.searchLoaded()).toBe(false);
      for (const f of [{ search: 'GetObject' }, { search: '--' }, { search: 'amazonaws', region: 'us-east-1' }] as EventFilters[]) {
        const want = await countHistogram(sql, { filters: f, buckets: 30 });
        expect(c.fresh()).toBe(true);
        expect(await countHistogram(early, { filters: f, buckets: 30 })).toEqual(want);
        expect(c.total(f, termIds(early))).toBe(sqlTotal(f));
        expect(c.searchLoaded()).toBe(true);
      }
    } finally {
      early.close();
    }
  });

  it('match the table columns of free text as SQL LIKE does', () => {
    const texts = (sql.prepare('SELECT event_name, event_source, source_ip, access_key_id, event_id FROM events ORDER BY random() LIMIT 40').raw(true).all() as (string | null)[][])
      .flat()
      .filter((t): t is string => !!t)
      .flatMap((t) => [t, t.slice(1, 6), t.toUpperCase().slice(-7), t.slice(3, 4)]);
    texts.push(...(sql.prepare('SELECT text FROM strings LIMIT 20').pluck().all() as string[]).map((t) => t.slice(5, 17)));
    texts.push('%', '_', '\\', 'e_s', '10.', 'ÄÖ', 'x\x1ey', '');
    const last = sql.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
    for (const text of texts) {
      const like = searchColumnsLike(text);
      const want = (sql.prepare(`SELECT e.id FROM events e WHERE ${like.sql} ORDER BY e.id`).pluck().all(...like.params) as number[]);
      expect({ text, ids: Array.from(columns.searchColumns(text, last) ?? [-1]) }).toEqual({ text, ids: want });
      expect({ text, spilled: Array.from(spilled.searchColumns(text, last) ?? [-1]) }).toEqual({ text, spilled: want });
    }
    expect(likePattern('a%b')).toBe('%a\\%b%');
  });

  it("take the eventIDs' characters from the writer's summary where it covers the rows, and read the ids where not", async () => {
    const piece = (sql.prepare('SELECT event_id FROM events ORDER BY id LIMIT 1').pluck().get() as string).slice(3, 11);
    const hits = async (through: 'all' | 'none'): Promise<number> => {
      const copy = join(h.casePath, '..', `summary-${through}.db`);
      sql.prepare('VACUUM INTO ?').run(copy);
      const w = new Database(copy);
      // An empty summary: trusted, it rules every eventID out; not covering the rows, they are read.
      w.prepare('UPDATE event_id_summary SET pairs = zeroblob(8192), singles = zeroblob(8192), through = ?').run(
        through === 'all' ? (w.prepare('SELECT MAX(id) FROM events').pluck().get() as number) : 0,
      );
      w.close();
      const db = open(copy);
      try {
        const c = enableEventColumns(db);
        await c.refresh();
        while (!c.searchLoaded()) await new Promise((r) => setTimeout(r, 10));
        return c.searchColumns(piece, db.prepare('SELECT MAX(id) FROM events').pluck().get() as number)!.length;
      } finally {
        db.close();
      }
    };
    const like = searchColumnsLike(piece);
    const want = (sql.prepare(`SELECT COUNT(*) FROM events e WHERE ${like.sql}`).pluck().get(...like.params) as number);
    expect(want).toBeGreaterThan(0);
    expect(await hits('none')).toBe(want);
    expect(await hits('all')).toBe(0);
  });

  it('grow past the room they keep, and leave rows without an event (gaps in the ids) out of every answer', async () => {
    // A copy of the case whose later rows are held back, and some rows of the middle gone for good.
    const { path: copy, w, done } = caseCopy('copy.db');
    registerEventIdHash(w);
    const max = w.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
    const cut = Math.floor(max * 0.3);
    w.pragma('foreign_keys = OFF');
    w.exec(`CREATE TABLE held AS SELECT * FROM events WHERE id > ${cut};
            CREATE TABLE held_subjects AS SELECT * FROM event_subjects WHERE event_rowid > ${cut};
            DELETE FROM event_subjects WHERE event_rowid > ${cut} OR (event_rowid % 7 = 3 AND event_rowid > 100);
            DELETE FROM events WHERE id > ${cut} OR (id % 7 = 3 AND id > 100);
            DELETE FROM held WHERE id % 7 = 3;
            DELETE FROM held_subjects WHERE event_rowid % 7 = 3;
            UPDATE held SET event_ms = event_ms + 123 WHERE id % 11 = 0;
            UPDATE held SET event_ms = 4102444800000 WHERE id = (SELECT MAX(id) FROM held);`);
    // (the held rows bring times that are not whole seconds, and one 74 years later: the times are then kept in ms)
    const db = open(copy);
    const total = (f: EventFilters) => {
      const where = whereClause(f, searchHits(db));
      return db.prepare(`SELECT COUNT(*) FROM ${EVENT_FROM} ${where.sql}`).pluck().get(...where.params) as number;
    };
    // A time bound on a time that is not a whole second keeps it (from) or leaves it out (to), by one millisecond.
    const odd = w.prepare('SELECT event_ms FROM held WHERE id % 11 = 0 AND id % 7 != 3 ORDER BY id LIMIT 1 OFFSET 5').pluck().get() as number;
    expect(odd % 1000).not.toBe(0);
    const filters: EventFilters[] = [
      {}, { region: 'us-east-1' }, { errorCode: 'none' }, { mechanism: 'irsa' }, { fromMs: 0 }, { toMs: Date.parse('2026-03-02T02:00:00Z') }, { search: 'GetObject' },
      { fromMs: odd }, { fromMs: odd + 1 }, { toMs: odd }, { toMs: odd + 1 }, { fromMs: odd, toMs: odd + 1 },
    ];
    const timesIn = (c: EventColumns) => (c as unknown as { times: { a: object } }).times.a.constructor.name;
    const check = async (c: EventColumns) => {
      for (const f of filters) {
        expect({ f, total: c.total(f, termIds(db)) }).toEqual({ f, total: total(f) });
        const ref = await countHistogram(db, { filters: f, buckets: 30 });
        const toMs = f.toMs ?? (db.prepare('SELECT MAX(event_ms) FROM events').pluck().get() as number) + 1;
        expect({ f, counts: c.histogram(f, termIds(db), ref.fromMs, toMs, ref.bucketMs, ref.counts.length, f.fromMs !== undefined || f.toMs !== undefined) }).toEqual({ f, counts: ref.counts });
      }
    };
    const spill = new EventColumns(db, { slice: 500, memoryRows: 600 });
    try {
      const c = new EventColumns(db, { slice: 500 });
      for (const x of [c, spill]) {
        await x.refresh();
        while (!x.searchLoaded()) await new Promise((r) => setTimeout(r, 5));
        expect(x.memory().rows).toBe(db.prepare('SELECT MAX(id) FROM events').pluck().get());
        await check(x);
        expect(timesIn(x), 'whole seconds: 32 bits a time').toBe('Int32Array');
      }
      expect(spill.memory().spilledBytes).toBeGreaterThan(0);
      const reserved = c.memory().reservedBytes;
      // The held rows come back: more than the room kept, so the arrays are grown (their rows copied, no more).
      w.exec(`INSERT INTO events SELECT * FROM held; INSERT INTO event_subjects SELECT * FROM held_subjects; ${NEW_SUBJECTS}`);
      expect(c.fresh()).toBe(false);
      for (const x of [c, spill]) {
        await x.refresh();
        while (!x.searchLoaded()) await new Promise((r) => setTimeout(r, 5));
        expect(x.memory().rows).toBe(max);
        // (the rows in the spill files turned into milliseconds too)
        expect(timesIn(x)).toBe('Float64Array');
        await check(x);
      }
      expect(c.memory().reservedBytes).toBeGreaterThan(reserved);
      expect(unwrittenPastRows(c)).toBe(true);
      expect(spill.memory().reservedBytes, 'never more room in memory than the budget').toBeLessThanOrEqual(600 * 8 + 6 * 600 * 2);
      expect(total({ fromMs: odd, toMs: odd + 1 })).toBeGreaterThan(0);
      expect(total({})).toBeLessThan(sqlTotal({}));
    } finally {
      spill.stop();
      db.close();
      done();
    }
  });

  it('take as many rows again as they first loaded into the room they keep, without growing (no copy of the columns)', async () => {
    // The case's later half held back, then committed: an add as large as the case (10M events into a 10M-event case).
    const { path: copy, w, done } = caseCopy('half.db');
    const max = w.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
    const cut = Math.floor(max / 2);
    w.pragma('foreign_keys = OFF');
    w.exec(`CREATE TABLE held AS SELECT * FROM events WHERE id > ${cut};
            CREATE TABLE held_subjects AS SELECT * FROM event_subjects WHERE event_rowid > ${cut};
            DELETE FROM event_subjects WHERE event_rowid > ${cut};
            DELETE FROM events WHERE id > ${cut};`);
    const db = open(copy);
    const c = new EventColumns(db, { slice: 500 });
    try {
      await c.refresh();
      expect(c.memory().rows).toBe(cut);
      const arrays = () => (['times', 'subject', 'combo', 'key', 'ip', 'arn', 'ua'] as const).map((k) => (c as unknown as Record<string, { a: object }>)[k]!.a);
      const before = arrays();
      const reserved = c.memory().reservedBytes;
      w.exec(`INSERT INTO events SELECT * FROM held; INSERT INTO event_subjects SELECT * FROM held_subjects; ${NEW_SUBJECTS}`);
      await c.refresh();
      expect(c.memory().rows).toBe(max);
      expect(c.total({}, termIds(db))).toBe(db.prepare('SELECT COUNT(*) FROM events').pluck().get());
      // The same arrays (none copied into a larger one), the same room.
      expect(arrays().every((a, i) => a === before[i])).toBe(true);
      expect(c.memory().reservedBytes).toBe(reserved);
    } finally {
      c.stop();
      db.close();
      done();
    }
  });

  it('give the first rows of a page when hundreds of events share the time at its edge (all of them kept, in bounded room)', async () => {
    // A copy of the case with every time rounded down to its third hour: ~1,800 events a time, more than the room the
    // first rows of a short page start with (1,024 rows here), so that the room must grow for the ties.
    const { path: copy, w, done } = caseCopy('ties.db');
    w.exec('UPDATE events SET event_ms = (event_ms / 10800000) * 10800000');
    w.close();
    const db = open(copy);
    const c = new EventColumns(db, { slice: 700, memoryRows: 1500, firstRowsRoom: 1024 });
    try {
      await c.refresh();
      const most = db.prepare('SELECT COUNT(*) FROM events GROUP BY event_ms ORDER BY 1 DESC LIMIT 1').pluck().get() as number;
      expect(most).toBeGreaterThan(1024);
      for (const f of [{}, { errorCode: 'none' }, { region: 'us-east-1' }] as EventFilters[]) {
        for (const [dir, offset, limit] of [['asc', 0, 5], ['desc', 0, 5], ['asc', 600, 100], ['desc', 900, 50]] as const) {
          const q: EventQuery = { filters: f, sort: { column: 'eventTime', dir }, offset, limit };
          const among = c.firstRows(f, termIds(db), offset + limit, dir === 'desc')!;
          const want = pageQuery(q, false, searchHits(db));
          const got = pageQuery(q, false, undefined, among);
          expect({ q, rows: db.prepare(got.sql).all(...got.params) }).toEqual({ q, rows: db.prepare(want.sql).all(...want.params) });
        }
      }
    } finally {
      c.stop();
      db.close();
      done();
    }
  });

  it('decline to answer when the rows past their budget cannot be kept in a temporary file (SQL answers instead)', async () => {
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = join(h.casePath, '..', 'no-such-folder');
    const db = open(h.casePath);
    const c = enableEventColumns(db, { slice: 700, memoryRows: 1000 });
    try {
      await c.refresh();
      expect(c.fresh()).toBe(false);
      expect(c.disabled).toMatch(/past 1000 could not be kept in a temporary file: ENOENT/);
      for (const f of [{}, { region: 'us-east-1' }, { search: 'GetObject' }] as EventFilters[]) {
        expect(c.total(f, termIds(db))).toBeNull();
        expect(await countHistogram(db, { filters: f, buckets: 20 })).toEqual(await countHistogram(sql, { filters: f, buckets: 20 }));
      }
      expect(c.searchColumns('GetObject', sql.prepare('SELECT MAX(id) FROM events').pluck().get() as number)).toBeNull();
    } finally {
      process.env.TMPDIR = tmp;
      if (tmp === undefined) delete process.env.TMPDIR;
      c.stop();
      db.close();
    }
  });

  it('widen their codes past 65,535 values, in memory and in the spill files, and answer as SQL does', async () => {
    // A copy of the case whose rows are repeated under new ids with an access key and a source IP of their own each:
    // more than 65,535 of either, so that both dictionaries pass 16 bits while most rows are spilled.
    const { path: copy, w, done } = caseCopy('wide.db');
    w.pragma('foreign_keys = OFF');
    const max = w.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
    const names = w.prepare("SELECT name FROM pragma_table_info('events')").pluck().all() as string[];
    const copies = Math.ceil(70_000 / max);
    w.transaction(() => {
      for (let k = 1; k <= copies; k++) {
        const id = `(id + ${k * max})`;
        const list = names.map((c) =>
          c === 'id' ? id
          : c === 'access_key_id' ? `'ASIAWIDE' || printf('%012d', ${id})`
          : c === 'source_ip' ? `'10.' || ((${id} >> 16) & 255) || '.' || ((${id} >> 8) & 255) || '.' || (${id} & 255)`
          : c);
        w.exec(`INSERT INTO events (${names.join(', ')}) SELECT ${list.join(', ')} FROM events WHERE id <= ${max}`);
        w.exec(`INSERT INTO event_subjects (event_rowid, subject_id) SELECT event_rowid + ${k * max}, subject_id FROM event_subjects WHERE event_rowid <= ${max}`);
      }
    })();
    w.close();
    const db = open(copy);
    const total = (f: EventFilters) => {
      const where = whereClause(f, searchHits(db));
      return db.prepare(`SELECT COUNT(*) FROM ${EVENT_FROM} ${where.sql}`).pluck().get(...where.params) as number;
    };
    const keyOf = (id: number) => db.prepare('SELECT access_key_id FROM events WHERE id = ?').pluck().get(id) as string;
    const ipOf = (id: number) => db.prepare('SELECT source_ip FROM events WHERE id = ?').pluck().get(id) as string;
    const last = db.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
    // An early key and IP (codes below 65,536, given before the widening) and late ones (codes past it).
    const early = max + 17;
    const late = last - 5;
    const filters: EventFilters[] = [
      {}, { region: 'us-east-1' }, { accessKeyId: keyOf(early) }, { accessKeyId: keyOf(late) }, { accessKeyId: keyOf(late), errorCode: 'none' },
      { search: keyOf(late).slice(4) }, { search: ipOf(late) }, { search: ipOf(early) }, { search: 'ASIAWIDE00000007' },
    ];
    const inMemory = new EventColumns(db, { slice: 5000 });
    const spill = new EventColumns(db, { slice: 5000, memoryRows: 20_000 });
    const typeOf = (c: EventColumns, k: 'key' | 'ip') => (c as unknown as Record<string, { a: object }>)[k]!.a.constructor.name;
    try {
      for (const c of [inMemory, spill]) {
        await c.refresh();
        while (!c.searchLoaded()) await new Promise((r) => setTimeout(r, 5));
        expect(c.memory().rows).toBe(last);
        expect([typeOf(c, 'key'), typeOf(c, 'ip')]).toEqual(['Uint32Array', 'Uint32Array']);
        for (const f of filters) {
          const want = total(f);
          expect({ f, total: c.total(f, termIds(db)) }).toEqual({ f, total: want });
          const ref = await countHistogram(db, { filters: f, buckets: 25 });
          const toMs = (db.prepare('SELECT MAX(event_ms) FROM events').pluck().get() as number) + 1;
          expect({ f, counts: c.histogram(f, termIds(db), ref.fromMs, toMs, ref.bucketMs, ref.counts.length, false) }).toEqual({ f, counts: ref.counts });
        }
        for (const text of [keyOf(late).slice(6), ipOf(late), ipOf(early).slice(0, 8)]) {
          const like = searchColumnsLike(text);
          const want = db.prepare(`SELECT e.id FROM events e WHERE ${like.sql} ORDER BY e.id`).pluck().all(...like.params) as number[];
          expect({ text, ids: Array.from(c.searchColumns(text, last) ?? [-1]) }).toEqual({ text, ids: want });
        }
      }
      expect(total({ accessKeyId: keyOf(late) })).toBeGreaterThan(0);
      // 24 bytes a row then: both wide columns count 4 bytes a row, in memory and spilled alike.
      expect(spill.memory().bytes).toBe(inMemory.memory().bytes);
      expect(spill.memory().residentBytes).toBeLessThan(spill.memory().spilledBytes);
    } finally {
      spill.stop();
      db.close();
      done();
    }
  });

  it("load the facets from the writer's facet ids, and from the values in rows without one (written before migration 0150), alike", async () => {
    // The writer's text for each row is the reader's (COMBO_SQL), and every row of the ingest has one.
    const combo = ['recipient_account_id', 'aws_region', 'event_source', 'event_name', 'error_code'].map((c) => `ifnull('v' || e.${c}, 'n')`).join(" || char(31) || ");
    const rows = sql.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    expect(sql.prepare(`SELECT COUNT(*) FROM events e JOIN strings s ON s.id = e.facet_sid WHERE s.text = ${combo}`).pluck().get()).toBe(rows);
    expect(sql.prepare("SELECT value FROM case_meta WHERE key = 'facet_sids_after'").pluck().get()).toBe('0');
    expect((columns as unknown as { facetCodes: Map<number, number> }).facetCodes.size).toBeGreaterThan(10);

    // A case upgraded at row 1,234 (mid-slice: the slice across it is read from its values), and one later row
    // without an id (a value holding U+001F has none): the same answers as SQL, and as the ids alone give.
    const { path: copy, w, done } = caseCopy('facets.db');
    const after = 1234;
    w.prepare('UPDATE events SET facet_sid = NULL WHERE id <= ? OR id = ?').run(after, after + 800);
    w.prepare("UPDATE case_meta SET value = ? WHERE key = 'facet_sids_after'").run(String(after));
    // …and a case whose rows all came before it: no ids asked for.
    const { path: older, w: w2, done: done2 } = caseCopy('older.db');
    w2.exec("UPDATE events SET facet_sid = NULL; DELETE FROM case_meta WHERE key = 'facet_sids_after'");
    w.close();
    w2.close();
    const dbs = [open(copy), open(older)];
    const made: EventColumns[] = [];
    try {
      const p = pools();
      const next = rng(1507);
      const filters: EventFilters[] = [{}, { region: 'us-east-1' }, { errorCode: 'none' }, { eventSource: 'sts.amazonaws.com' }, { mechanism: 'irsa' }];
      for (let i = 0; i < 40; i++) filters.push(randomFilters(p, next));
      for (const [i, db] of dbs.entries()) {
        for (const c of [new EventColumns(db, { slice: 700 }), new EventColumns(db, { slice: 700, memoryRows: 1000 })]) {
          made.push(c);
          await c.refresh();
          while (!c.searchLoaded()) await new Promise((r) => setTimeout(r, 5));
          expect(c.disabled).toBeNull();
          const ids = (c as unknown as { facetCodes: Map<number, number> }).facetCodes.size;
          if (i === 0) expect(ids).toBeGreaterThan(10);
          else expect(ids).toBe(0);
          const last = db.prepare('SELECT MAX(id) FROM events').pluck().get() as number;
          expect(c.memory().rows).toBe(last);
          for (const f of filters) {
            const where = whereClause(f, searchHits(db));
            const want = db.prepare(`SELECT COUNT(*) FROM ${EVENT_FROM} ${where.sql}`).pluck().get(...where.params) as number;
            expect({ i, f, total: c.total(f, termIds(db)) }).toEqual({ i, f, total: want });
            const ref = await countHistogram(db, { filters: f, buckets: 30 });
            const toMs = f.toMs ?? (db.prepare('SELECT MAX(event_ms) FROM events').pluck().get() as number) + 1;
            const timed = f.fromMs !== undefined || f.toMs !== undefined;
            expect({ i, f, counts: c.histogram(f, termIds(db), ref.fromMs, toMs, ref.bucketMs, ref.counts.length, timed) }).toEqual({ i, f, counts: ref.counts });
          }
        }
      }
    } finally {
      for (const c of made) c.stop();
      for (const db of dbs) db.close();
      done();
      done2();
    }
  });

  it('follow the case: new evidence and its correlation, and a note, committed by the engine', async () => {
    const before = sql.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    // More evidence: a second bundle, and a record under an eventID the case has (a variant).
    const more = generateBundle({ outDir: join(h.casePath, '..', 'more'), events: 600, seed: 9108, hours: 2, startTime: '2026-03-02T05:00:00Z' }).outDir;
    const first = (await h.ok<EventPage>('events.query', { filters: {}, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 1 })).rows[0]!;
    const raw = (await h.ok<TraceView>('trace.get', { target: first.eventID })).event!.raw;
    const variant = join(h.casePath, '..', 'variant.json');
    const base = JSON.parse(raw) as Record<string, unknown>;
    // …and records whose values hold the loader's separator characters (their slice is read row by row).
    const odd = [
      { ...base, eventID: '0d0d0d0d-0000-4000-8000-000000000001', eventName: 'Get\u001fvThing', errorCode: 'x\u001fny' },
      { ...base, eventID: '0d0d0d0d-0000-4000-8000-000000000002', sourceIPAddress: '198.51.100.1\u001e', awsRegion: 'us\u001fv-odd-1' },
    ];
    writeFileSync(variant, trailJson([{ ...base, sourceIPAddress: '203.0.113.77' }, ...odd]));
    const done = h.pushes.filter((x) => x.name === 'ingest.done').length;
    const reserved = columns.memory().reservedBytes;
    await h.ok('ingest.start', { paths: [more, variant] });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (h.pushes.filter((x) => x.name === 'ingest.done').length > done) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    expect(sql.prepare('SELECT COUNT(*) FROM events').pluck().get() as number).toBeGreaterThan(before);
    expect(columns.fresh(), 'another connection committed: the copy is stale').toBe(false);
    expect(columns.total({}, termIds(fast)), 'and refuses to answer until refreshed').toBeNull();
    expect(spilled.total({}, termIds(spilledDb))).toBeNull();
    await refreshBoth();
    expect(columns.memory().rows).toBe(sql.prepare('SELECT MAX(id) FROM events').pluck().get());
    expect(spilled.memory().rows).toBe(columns.memory().rows);
    // The new rows went into the room the first load left (no copy of the columns: at 10M events a copy held the old
    // and new arrays at once, ~500 MB), and the room past them was never written (so it holds no memory).
    expect(columns.memory().reservedBytes).toBe(reserved);
    expect(unwrittenPastRows(columns)).toBe(true);
    const p = pools();
    const next = rng(7);
    const oddFilters: EventFilters[] = [{ eventName: 'Get\u001fvThing' }, { errorCode: 'x\u001fny' }, { region: 'us\u001fv-odd-1' }, { search: 'Thing' }, { search: '0d0d0d0d' }, { search: '51.100.1\u001e' }];
    for (const f of oddFilters) expect(await compare(f, 50), JSON.stringify(f)).toBeGreaterThan(0);
    for (const f of [{}, { region: 'us-east-1' }, { errorCode: 'none' }, { search: '203.0.113.77' }, { mechanism: 'irsa' as const }, { starred: true }, { tag: 'exfil' }]) await compare(f, 100);
    for (let i = 0; i < 60; i++) await compare(randomFilters(p, next), 1 + Math.floor(next() * 200));
    // A note committed by the engine: a new star shows at once after the refresh.
    const starredBefore = await compare({ starred: true }, 10);
    const last = (await h.ok<EventPage>('events.query', { filters: {}, sort: { column: 'eventTime', dir: 'desc' }, offset: 0, limit: 1 })).rows[0]!;
    await add({ kind: 'event', value: last.eventID }, 'star');
    expect(columns.fresh()).toBe(false);
    await refreshBoth();
    expect(await compare({ starred: true }, 10)).toBe(starredBefore + 1);
  });
});
