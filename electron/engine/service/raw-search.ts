/**
 * Search over every field of the raw records, answered from the blocks' skip index.
 *
 * For one search term (search-terms.ts) this finds the events whose raw record matches it: the term's required
 * tokens are looked up in every raw block's filter (ingest/block-filter.ts; ~2 % of the case, ~29 MB a million events:
 * the first blocks' filters are read once per connection and kept, up to a budget (`FILTER_MEMORY`), and the later
 * blocks' are read from the case again for each new term, so that the reader's memory does not grow with the case
 * past it); only the blocks that may hold them are decompressed, and every record in
 * those is checked exactly (block-scan.ts) — a free-text phrase on whole tokens of its text, a field term on its
 * parsed value. In the reader worker the candidate blocks are shared with a scan worker on the other core
 * (scan-helper.ts): a first search of a common word takes about half as long. The
 * matching events' row ids go into a temporary table of this connection, which the table's SQL (event-query.ts)
 * joins with every other filter: page, total, histogram and export all read the same set. The table is kept while
 * the term is asked for again (a small LRU), and rebuilt when the case has gained blocks or events since.
 *
 * Blocks without a filter (written before filters existed) are never skipped: all of their records are checked.
 *
 * A free-text term also matches the events whose table columns hold it as a substring (event-query.ts
 * `searchColumnsLike`). On a connection that keeps the event columns in memory (the reader's: event-columns.ts)
 * that part is answered from them — LIKE over the few distinct values of each column, then one pass over the
 * codes — instead of one scan of the event table per new term (270–340 ms at 1M events). Each hit table's row ids
 * are also kept in memory (sorted, up to a budget) for the in-memory histogram, and the table is filled in one
 * statement from them.
 */
import type { Database, Statement } from 'better-sqlite3';
import { BlockFilter, filterProbe } from '../ingest/block-filter';
import { rawReader } from '../ingest/raw-blocks';
import { isBareToken, requiredTokens, type SearchTerm } from './search-terms';
import { BlockScan, recordsAt, scanQuery, type RecordRef } from './block-scan';
import type { ScanHelper } from './scan-helper';
import { searchColumnsLike, type SearchHits } from './event-query';
import { eventColumnsOf } from './event-columns';
import { IdList } from '../util/id-list';

/** Hit tables kept per connection. */
const KEEP = 32;
/** Row ids of hit tables kept in memory besides the tables (4 bytes each): 16 MB. */
const KEEP_IDS = 4_000_000;

export interface SearchStats {
  /** Blocks in the case, blocks decompressed (their filter may hold the term), records checked in them. */
  blocks: number;
  candidates: number;
  records: number;
  /** Events whose raw record matches, and the time that took. */
  matches: number;
  ms: number;
  /** Free text: events matching by a column substring (one SQL scan), and its time. */
  columnMatches: number;
  columnMs: number;
}

/**
 * Bytes of block filters kept in memory per connection: every block's at 3M events (~87 MB). Past it, the later
 * blocks' filters are read from the case for each new term (~0.1 s for 100 MB from the file cache, on top of a
 * search that takes seconds at that size anyway): at 10M events the filters are ~290 MB, which kept took the
 * reader past 1 GB.
 */
export const FILTER_MEMORY = 96 * 1024 * 1024;

/** Candidate blocks from which a search shares them with the scan worker (fewer: not worth the hand-off). */
const SHARE_FROM = 8;

/** A term's hits: row ids (null once they left memory) and the temporary table made of them (null until needed). */
interface HitSet {
  name: string | null;
  stamp: string;
  few: boolean;
  ids: Int32Array | null;
}

export class RawSearch {
  /** The filters kept in memory: every block's up to `residentThrough` (null: a block written without one). */
  private readonly filters = new Map<number, BlockFilter | null>();
  private residentThrough = 0;
  private residentBytes = 0;
  /** Whether some block after `residentThrough` has a filter that did not fit the budget (read per search). */
  private spilled = false;
  /** Records of the blocks without a filter, from the event table (read once, when first needed). */
  private legacy: Map<number, RecordRef[]> | null = null;
  /** The last block when `legacy` was read (a block without a filter past it is not in it). */
  private legacyThrough = 0;
  private readonly tables = new Map<string, HitSet>();
  private seq = 0;
  private readonly scan: BlockScan;
  /** The scan worker sharing the blocks of a search (the reader worker's; none elsewhere). */
  private helper: ScanHelper | null = null;
  private readonly stampOf: Statement;
  /** What the last search did (for benchmarks and tests). */
  last: SearchStats | null = null;

  private readonly filterMemory: number;

  /** `filterMemory`: bytes of block filters kept in memory (`FILTER_MEMORY`; smaller in tests). */
  constructor(
    private readonly db: Database,
    options: { filterMemory?: number } = {},
  ) {
    this.filterMemory = options.filterMemory ?? FILTER_MEMORY;
    this.scan = new BlockScan(db);
    // A rollback may give a dropped block's id to another block: what was read about blocks is read again.
    rawReader(db).onForget(() => this.forget());
    this.stampOf = db.prepare("SELECT (SELECT COALESCE(MAX(id), 0) FROM raw_blocks) || ':' || (SELECT COALESCE(MAX(id), 0) FROM events)").pluck();
  }

  /** Share the blocks of each search with a scan worker (null: check them all on this thread). */
  useHelper(helper: ScanHelper | null): void {
    this.helper = helper;
  }

  /**
   * A temporary table (`temp.<table>`, column `id`) holding the row ids of the events matching `term`, and whether
   * they are few: at most 1/32 of the case's events (a query then starts from them). Made from the hit ids the
   * first time SQL needs it: a search answered from the in-memory columns never writes one.
   */
  hits(term: SearchTerm): { table: string; few: boolean } {
    const t = this.entry(term);
    if (t.name === null) {
      const name = `raw_hits_${++this.seq}`;
      const ids = t.ids!;
      // Nested in a savepoint when the connection is inside a transaction (an ingest's group on the engine's).
      this.db.transaction(() => {
        this.db.exec(`CREATE TEMP TABLE "${name}" (id INTEGER PRIMARY KEY)`);
        const insert = this.db.prepare(`INSERT OR IGNORE INTO temp."${name}" (id) SELECT value FROM json_each(?)`);
        for (let at = 0; at < ids.length; at += 1 << 18) insert.run(JSON.stringify(Array.from(ids.subarray(at, at + (1 << 18)))));
      })();
      t.name = name;
    }
    return { table: t.name, few: t.few };
  }

  /** The row ids of the events matching `term`, sorted and distinct (kept fresh as `hits` keeps its table). */
  hitIds(term: SearchTerm): Int32Array {
    const t = this.entry(term);
    t.ids ??= Int32Array.from(this.db.prepare(`SELECT id FROM temp."${t.name}" ORDER BY id`).pluck().all() as number[]);
    return t.ids;
  }

  /** The term's hits for the case as it is now: kept ones if nothing was added since, or searched again. */
  private entry(term: SearchTerm): HitSet {
    const stamp = this.stampOf.get() as string;
    const have = this.tables.get(term.key);
    if (have && have.stamp === stamp && (have.name === null ? have.ids !== null : this.exists(have.name))) {
      this.tables.delete(term.key);
      this.tables.set(term.key, have);
      return have;
    }
    if (have) this.drop(term.key);
    const ids = this.matching(term, Number(stamp.split(':')[1]));
    const t: HitSet = { name: null, stamp, few: ids.length * 32 <= Number(stamp.split(':')[1]), ids };
    this.tables.set(term.key, t);
    while (this.tables.size > KEEP) this.drop(this.tables.keys().next().value!);
    // The oldest sets' ids leave memory first (read back from their table when asked for; without one, searched again).
    let kept = 0;
    for (const [key, o] of [...this.tables.entries()].reverse()) {
      if (!o.ids) continue;
      kept += o.ids.length;
      if (o === t || kept <= KEEP_IDS) continue;
      if (o.name === null) this.tables.delete(key);
      else o.ids = null;
    }
    return t;
  }

  private exists(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM temp.sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  private drop(key: string): void {
    const t = this.tables.get(key);
    this.tables.delete(key);
    if (t?.name) this.db.exec(`DROP TABLE IF EXISTS temp."${t.name}"`);
  }

  /** Forget every filter and hit table (after a rollback). */
  forget(): void {
    this.filters.clear();
    this.residentThrough = 0;
    this.residentBytes = 0;
    this.spilled = false;
    this.legacy = null;
    this.legacyThrough = 0;
    for (const key of [...this.tables.keys()]) this.drop(key);
  }

  /** Read the filters of blocks written since the last call, as far as the budget goes (the first blocks'). */
  loadFilters(): void {
    if (this.spilled) return;
    const rows = this.filtersAfter(this.residentThrough);
    for (const r of rows) {
      if (r.filter && this.residentBytes + r.filter.byteLength > this.filterMemory) {
        this.spilled = true;
        break; // (which ends the statement)
      }
      this.filters.set(r.id, r.filter ? new BlockFilter(r.filter) : null);
      this.residentThrough = r.id;
      this.residentBytes += r.filter?.byteLength ?? 0;
      if (!r.filter && r.id > this.legacyThrough) this.legacy = null; // read again, with this block's records
    }
  }

  /** The filters of the blocks after `block`, in block order. */
  private filtersAfter(block: number): IterableIterator<{ id: number; filter: Uint8Array | null }> {
    return this.db.prepare('SELECT block AS id, filter FROM raw_block_filters WHERE block > ? ORDER BY block').iterate(block) as IterableIterator<{
      id: number;
      filter: Uint8Array | null;
    }>;
  }

  /** Bytes of filters kept in memory, and whether some did not fit (for tests and benchmarks). */
  filterMemoryUse(): { bytes: number; spilled: boolean } {
    return { bytes: this.residentBytes, spilled: this.spilled };
  }

  private legacyRecords(block: number): RecordRef[] {
    if (!this.legacy) {
      this.legacy = new Map();
      this.legacyThrough = this.db.prepare('SELECT ifnull(MAX(block), 0) FROM raw_block_filters').pluck().get() as number;
      const rows = this.db
        .prepare('SELECT id, raw_block, raw_off, raw_len FROM events WHERE raw_block IN (SELECT block FROM raw_block_filters WHERE filter IS NULL)')
        .raw(true)
        .iterate() as Iterable<[number, number, number, number]>;
      for (const [id, b, off, len] of rows) {
        let list = this.legacy.get(b);
        if (!list) this.legacy.set(b, (list = []));
        list.push({ off, end: off + len, row: id });
      }
    }
    return this.legacy.get(block) ?? [];
  }

  /**
   * The row ids of the events matching the term (free text: its column matches too), ascending and distinct.
   * `lastRow`: the case's last event row when the search started (read here if not given).
   */
  matching(term: SearchTerm, lastRow?: number): Int32Array {
    const t0 = performance.now();
    this.loadFilters();
    const probe = filterProbe(requiredTokens(term), isBareToken(term));
    const reader = rawReader(this.db);
    const found = new IdList();
    const stats: SearchStats = { blocks: this.filters.size, candidates: 0, records: 0, matches: 0, ms: 0, columnMatches: 0, columnMs: 0 };
    const q = scanQuery(term);
    const candidates: number[] = [];
    const shared: number[] = [];
    const consider = (block: number, filter: BlockFilter | null): boolean => {
      if (filter && !filter.admits(probe)) return false;
      candidates.push(block);
      if (filter) shared.push(block);
      return true;
    };
    for (const [block, filter] of this.filters) consider(block, filter);
    // The blocks past the budget: their filters read now, and only the candidates' kept (for their record offsets).
    const read = new Map<number, BlockFilter | null>();
    if (this.spilled) {
      for (const r of this.filtersAfter(this.residentThrough)) {
        const filter = r.filter ? new BlockFilter(r.filter) : null;
        stats.blocks++;
        if (consider(r.id, filter)) read.set(r.id, filter);
        if (!r.filter && r.id > this.legacyThrough) this.legacy = null;
      }
    }
    const filterOf = (block: number) => (this.filters.has(block) ? this.filters.get(block)! : read.get(block)!);
    stats.candidates = candidates.length;
    const check = (block: number) => {
      const filter = filterOf(block);
      const records = filter ? recordsAt(filter.offsets) : this.legacyRecords(block);
      stats.records += records.length;
      for (const row of this.scan.rows(block, reader.block(block), records, q)) found.push(row);
    };
    if (this.helper?.running && shared.length >= SHARE_FROM) {
      // Blocks without a filter (no record offsets) are this thread's; the others go to both threads.
      for (const b of candidates) if (!filterOf(b)) check(b);
      const theirs = this.helper.share(term, shared, check);
      stats.records += theirs.records;
      found.pushAll(theirs.rows);
    } else {
      for (const b of candidates) check(b);
    }
    stats.matches = found.length;
    stats.ms = performance.now() - t0;
    let ids = found.sortedDistinct();
    if (term.kind === 'text') {
      // …and the events the phrase is a substring of a column of (the search box's meaning before raw search).
      const t1 = performance.now();
      const upTo = lastRow ?? ((this.db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number));
      let columns = eventColumnsOf(this.db)?.searchColumns(term.text, upTo) ?? null;
      if (columns === null) {
        const like = searchColumnsLike(term.text);
        columns = Int32Array.from(this.db.prepare(`SELECT e.id FROM events e WHERE ${like.sql} ORDER BY e.id`).pluck().all(...like.params) as number[]);
      }
      stats.columnMatches = columns.length;
      ids = mergeSorted(ids, columns);
      stats.columnMs = performance.now() - t1;
    }
    this.last = stats;
    return ids;
  }

}

/** The union of two ascending, distinct id lists, ascending and distinct. */
export function mergeSorted(a: Int32Array, b: Int32Array): Int32Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x <= y) {
      out[n++] = x;
      i++;
      if (x === y) j++;
    } else {
      out[n++] = y;
      j++;
    }
  }
  while (i < a.length) out[n++] = a[i++]!;
  while (j < b.length) out[n++] = b[j++]!;
  return out.slice(0, n);
}

const searches = new WeakMap<Database, RawSearch>();

/** The raw search of a connection (its temporary tables belong to it). */
export function rawSearch(db: Database): RawSearch {
  let s = searches.get(db);
  if (!s) {
    s = new RawSearch(db);
    searches.set(db, s);
  }
  return s;
}

/** The hit-table resolver event-query.ts takes, for a connection. */
export function searchHits(db: Database): SearchHits {
  const s = rawSearch(db);
  return (term) => s.hits(term);
}
