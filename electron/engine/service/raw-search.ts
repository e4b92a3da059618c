/**
 * Search over every field of the raw records, answered from the blocks' skip index.
 *
 * For one search term (search-terms.ts) this finds the events whose raw record matches it: the term's required
 * tokens are looked up in every raw block's filter (ingest/block-filter.ts; the filters are read once per
 * connection and kept, ~2 % of the case); only the blocks that may hold them are decompressed, and every record in
 * those is checked exactly — a free-text phrase on whole tokens of its text, a field term on its parsed value. The
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
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { BlockFilter, filterProbe, searchableText } from '../ingest/block-filter';
import { rawReader } from '../ingest/raw-blocks';
import { eventIdArgs } from '../db/event-id';
import { fieldMatches, globRegExp, isBareToken, requiredTokens, textMatches, type SearchTerm } from './search-terms';
import { searchColumnsLike, type SearchHits } from './event-query';
import { eventColumnsOf, sortedDistinct } from './event-columns';

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

/** A record's bytes in its block, and its event row (null: not known yet; resolved from its eventID). */
interface RecordRef {
  off: number;
  end: number;
  row: number | null;
}

const LATIN1_SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const EVENT_ID = /"eventID"\s*:\s*"([^"\\]*)"/;

export class RawSearch {
  private readonly filters = new Map<number, BlockFilter | null>();
  private loadedThrough = 0;
  /** Records of the blocks without a filter, from the event table (read once, when first needed). */
  private legacy: Map<number, RecordRef[]> | null = null;
  private readonly tables = new Map<string, { name: string; stamp: string; few: boolean; ids: Int32Array | null }>();
  private seq = 0;
  private readonly rowOf: Statement;
  private readonly rowsInRange: Statement;
  private readonly stampOf: Statement;
  /** What the last search did (for benchmarks and tests). */
  last: SearchStats | null = null;

  constructor(private readonly db: Database) {
    this.rowOf = db.prepare('SELECT id FROM events WHERE id_hash = ? AND event_id = ? AND raw_block = ? AND raw_off = ?').pluck();
    // A rollback may give a dropped block's id to another block: what was read about blocks is read again.
    rawReader(db).onForget(() => this.forget());
    this.rowsInRange = db.prepare('SELECT id, raw_off FROM events WHERE id BETWEEN ? AND ? AND raw_block = ?').raw(true);
    this.stampOf = db.prepare("SELECT (SELECT COALESCE(MAX(id), 0) FROM raw_blocks) || ':' || (SELECT COALESCE(MAX(id), 0) FROM events)").pluck();
  }

  /**
   * A temporary table (`temp.<table>`, column `id`) holding the row ids of the events matching `term`, and whether
   * they are few: at most 1/32 of the case's events (a query then starts from them).
   */
  hits(term: SearchTerm): { table: string; few: boolean } {
    const stamp = this.stampOf.get() as string;
    const have = this.tables.get(term.key);
    if (have && have.stamp === stamp && this.exists(have.name)) {
      this.tables.delete(term.key);
      this.tables.set(term.key, have);
      return { table: have.name, few: have.few };
    }
    if (have) this.drop(term.key);
    const ids = sortedDistinct(this.matching(term, Number(stamp.split(':')[1])));
    const name = `raw_hits_${++this.seq}`;
    // Nested in a savepoint when the connection is inside a transaction (an ingest's group on the engine's).
    this.db.transaction(() => {
      this.db.exec(`CREATE TEMP TABLE "${name}" (id INTEGER PRIMARY KEY)`);
      const insert = this.db.prepare(`INSERT OR IGNORE INTO temp."${name}" (id) SELECT value FROM json_each(?)`);
      for (let at = 0; at < ids.length; at += 1 << 18) insert.run(JSON.stringify(Array.from(ids.subarray(at, at + (1 << 18)))));
    })();
    const events = Number(stamp.split(':')[1]);
    const few = ids.length * 32 <= events;
    this.tables.set(term.key, { name, stamp, few, ids });
    while (this.tables.size > KEEP) this.drop(this.tables.keys().next().value!);
    // The oldest tables' ids leave memory first (read back from their table when asked for).
    let kept = 0;
    for (const t of [...this.tables.values()].reverse()) {
      if (t.ids && (kept += t.ids.length) > KEEP_IDS) t.ids = null;
    }
    return { table: name, few };
  }

  /** The row ids of the events matching `term`, sorted and distinct (the hit table's, kept fresh as `hits` keeps it). */
  hitIds(term: SearchTerm): Int32Array {
    this.hits(term);
    const t = this.tables.get(term.key)!;
    t.ids ??= Int32Array.from(this.db.prepare(`SELECT id FROM temp."${t.name}" ORDER BY id`).pluck().all() as number[]);
    return t.ids;
  }

  private exists(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM temp.sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  private drop(key: string): void {
    const t = this.tables.get(key);
    this.tables.delete(key);
    if (t) this.db.exec(`DROP TABLE IF EXISTS temp."${t.name}"`);
  }

  /** Forget every filter and hit table (after a rollback). */
  forget(): void {
    this.filters.clear();
    this.loadedThrough = 0;
    this.legacy = null;
    for (const key of [...this.tables.keys()]) this.drop(key);
  }

  /** Read the filters of blocks written since the last call. */
  loadFilters(): void {
    const rows = this.db.prepare('SELECT id, filter FROM raw_blocks WHERE id > ? ORDER BY id').all(this.loadedThrough) as { id: number; filter: Uint8Array | null }[];
    for (const r of rows) {
      this.filters.set(r.id, r.filter ? new BlockFilter(r.filter) : null);
      this.loadedThrough = r.id;
      if (!r.filter) this.legacy = null; // read again, with this block's records
    }
  }

  private legacyRecords(block: number): RecordRef[] {
    if (!this.legacy) {
      this.legacy = new Map();
      const rows = this.db
        .prepare('SELECT id, raw_block, raw_off, raw_len FROM events WHERE raw_block IN (SELECT id FROM raw_blocks WHERE filter IS NULL)')
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
   * The row ids of the events matching the term (free text: its column matches too), ascending, maybe repeated.
   * `lastRow`: the case's last event row when the search started (read here if not given).
   */
  matching(term: SearchTerm, lastRow?: number): number[] {
    const t0 = performance.now();
    this.loadFilters();
    const probe = filterProbe(requiredTokens(term), isBareToken(term));
    const reader = rawReader(this.db);
    const found: number[] = [];
    const stats: SearchStats = { blocks: this.filters.size, candidates: 0, records: 0, matches: 0, ms: 0, columnMatches: 0, columnMs: 0 };
    const glob = term.kind === 'field' ? globRegExp(term.pattern) : null;
    const needle = term.kind === 'text' ? Buffer.from(term.text, 'utf8') : null;
    for (const [block, filter] of this.filters) {
      if (filter && !filter.admits(probe)) continue;
      stats.candidates++;
      const bytes = reader.block(block);
      const offsets = filter?.offsets;
      const records: RecordRef[] = offsets ? offsets.slice(0, -1).map((off, i) => ({ off, end: offsets[i + 1]!, row: null })) : this.legacyRecords(block);
      stats.records += records.length;
      const matched = term.kind === 'text' ? this.textHits(bytes, records, term.text, needle!) : this.fieldHits(bytes, records, term, glob!);
      for (const row of this.rows(bytes, block, matched)) found.push(row);
    }
    stats.matches = found.length;
    stats.ms = performance.now() - t0;
    if (term.kind === 'text') {
      // …and the events the phrase is a substring of a column of (the search box's meaning before raw search).
      const t1 = performance.now();
      const upTo = lastRow ?? ((this.db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number));
      let ids: Iterable<number> & { length: number } | null = eventColumnsOf(this.db)?.searchColumns(term.text, upTo) ?? null;
      if (ids === null) {
        const like = searchColumnsLike(term.text);
        ids = this.db.prepare(`SELECT e.id FROM events e WHERE ${like.sql}`).pluck().all(...like.params) as number[];
      }
      stats.columnMatches = ids.length;
      for (const id of ids) found.push(id);
      stats.columnMs = performance.now() - t1;
    }
    found.sort((a, b) => a - b);
    this.last = stats;
    return found;
  }

  /** The records of a block in which the phrase occurs on whole tokens. */
  private textHits(bytes: Buffer, records: RecordRef[], phrase: string, needle: Buffer): RecordRef[] {
    const out = new Set<RecordRef>();
    const sorted = [...records].sort((a, b) => a.off - b.off);
    // Records with escapes are checked on their decoded text; the others on their bytes.
    const escaped = new Set<RecordRef>();
    if (bytes.indexOf(0x5c) >= 0) {
      for (const r of sorted) {
        const at = bytes.indexOf(0x5c, r.off);
        if (at >= 0 && at < r.end) escaped.add(r);
      }
      for (const r of escaped) if (textMatches(phrase, searchableText(bytes.toString('utf8', r.off, r.end)))) out.add(r);
    }
    const n = needle.length;
    const first = needle[0]!;
    const last = needle[n - 1]!;
    for (const at of startsIgnoringCase(bytes, needle)) {
      const r = recordAt(sorted, at);
      if (!r || out.has(r) || escaped.has(r) || at + n > r.end) continue;
      if (isTokenByte(first) && at > r.off && isTokenByte(bytes[at - 1]!)) continue;
      if (isTokenByte(last) && at + n < r.end && isTokenByte(bytes[at + n]!)) continue;
      let same = true;
      for (let i = 0; i < n && same; i++) same = lowerByte(bytes[at + i]!) === lowerByte(needle[i]!);
      if (same) out.add(r);
    }
    return [...out];
  }

  /**
   * The records of a block with a value at the term's path matching its glob. Only records whose text holds the
   * path's last key (`"secretId"`, ASCII case ignored; or any escape) are parsed.
   */
  private fieldHits(bytes: Buffer, records: RecordRef[], term: Extract<SearchTerm, { kind: 'field' }>, glob: RegExp): RecordRef[] {
    const text = bytes.toString('latin1');
    const key = new RegExp(`"${Buffer.from(term.path[term.path.length - 1]!, 'utf8').toString('latin1').replace(LATIN1_SPECIAL, '\\$&')}"`, 'gi');
    const sorted = [...records].sort((a, b) => a.off - b.off);
    const maybe = new Set<RecordRef>();
    for (let m = key.exec(text); m !== null; m = key.exec(text)) {
      const r = recordAt(sorted, m.index);
      if (r) maybe.add(r);
    }
    // A key may be written with escapes: records with any are parsed too.
    for (let at = bytes.indexOf(0x5c); at >= 0; ) {
      const r = recordAt(sorted, at);
      if (r) maybe.add(r);
      at = bytes.indexOf(0x5c, r ? r.end : at + 1);
    }
    return [...maybe].filter((r) => {
      let record: unknown;
      try {
        record = JSON.parse(bytes.toString('utf8', r.off, r.end));
      } catch {
        return false;
      }
      return fieldMatches(term, record, glob);
    });
  }

  /**
   * The event rows of matched records of one block. A block's rows were inserted in its records' order (store.ts
   * writes a batch's rows in order: row ids increase with the offset in a block — raw-search.test.ts checks it on a
   * built case), so the rows of the first and the last matched records that have one bound all the others: one
   * range read of the primary key maps them by offset. A matched record in between that the range does not map is
   * a further delivery of an event kept elsewhere (its text was packed before de-duplication): it has no row.
   */
  private rows(bytes: Buffer, block: number, matched: RecordRef[]): number[] {
    const out: number[] = [];
    const pending: RecordRef[] = [];
    for (const r of matched) {
      if (r.row !== null) out.push(r.row);
      else pending.push(r);
    }
    if (pending.length <= 4) {
      for (const r of pending) {
        const row = this.resolve(bytes, block, r);
        if (row !== null) out.push(row);
      }
      return out;
    }
    pending.sort((a, b) => a.off - b.off);
    const known = new Map<RecordRef, number | null>();
    const first = (from: number, step: number): number | null => {
      for (let i = from; i >= 0 && i < pending.length; i += step) {
        const row = this.resolve(bytes, block, pending[i]!);
        known.set(pending[i]!, row);
        if (row !== null) return row;
      }
      return null;
    };
    const lo = first(0, 1);
    const hi = lo === null ? null : first(pending.length - 1, -1);
    const byOff = new Map<number, number>();
    if (lo !== null && hi !== null) {
      for (const [id, off] of this.rowsInRange.all(Math.min(lo, hi), Math.max(lo, hi), block) as [number, number][]) byOff.set(off, id);
    }
    for (const r of pending) {
      const row = known.has(r) ? known.get(r)! : (byOff.get(r.off) ?? null);
      if (row !== null) out.push(row);
    }
    return out;
  }

  /** The event row whose raw text is this record (none: a further delivery of an event kept elsewhere). */
  private resolve(bytes: Buffer, block: number, r: RecordRef): number | null {
    const raw = bytes.toString('utf8', r.off, r.end);
    const lookup = (id: string) => (this.rowOf.get(...eventIdArgs(id), block, r.off) as number | undefined) ?? null;
    // The first `"eventID":"…"` is the record's own almost always: tried first, the row must point at these bytes.
    const quick = EVENT_ID.exec(raw);
    const row = quick ? lookup(quick[1]!) : null;
    if (row !== null) return row;
    let eventId: unknown;
    try {
      eventId = (JSON.parse(raw) as { eventID?: unknown }).eventID;
    } catch {
      return null;
    }
    // A record without an eventID was given one from its content (normalize.ts).
    if (typeof eventId === 'string') return eventId === quick?.[1] ? null : lookup(eventId);
    return lookup(`podtrail-sha256-${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`);
  }
}

/**
 * Where `needle` starts in `bytes`, ASCII case ignored, overlapping occurrences included (ascending). Found from
 * the needle's rarest byte (by a rough frequency of bytes in CloudTrail JSON), each case of it by `indexOf`, then
 * compared in place: no copy of the block as a string.
 */
function startsIgnoringCase(bytes: Buffer, needle: Buffer): number[] {
  const n = needle.length;
  let k = 0;
  for (let i = 1; i < n; i++) if (byteRank(needle[i]!) < byteRank(needle[k]!)) k = i;
  const anchor = lowerByte(needle[k]!);
  const variants = anchor >= 97 && anchor <= 122 ? [anchor, anchor - 32] : [anchor];
  const lowered = needle.map(lowerByte);
  const out: number[] = [];
  for (const v of variants) {
    for (let at = bytes.indexOf(v, k); at >= 0; at = bytes.indexOf(v, at + 1)) {
      const start = at - k;
      if (start + n > bytes.length) break;
      let same = true;
      for (let i = 0; i < n && same; i++) same = lowerByte(bytes[start + i]!) === lowered[i];
      if (same) out.push(start);
    }
  }
  if (variants.length > 1) out.sort((a, b) => a - b);
  return out;
}

/** How common a byte is in CloudTrail JSON (lower: rarer), ASCII case folded: letters by English frequency. */
function byteRank(b: number): number {
  const c = lowerByte(b);
  if (c >= 97 && c <= 122) return 10 + 'zqxjkvbpygfwmucldrhsnioate'.indexOf(String.fromCharCode(c));
  if (c >= 48 && c <= 57) return 30;
  if (c >= 0x80) return 5;
  return '":,-./_ '.includes(String.fromCharCode(c)) ? 40 : 8;
}

function isTokenByte(b: number): boolean {
  return b >= 0x80 || (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122);
}

function lowerByte(b: number): number {
  return b >= 65 && b <= 90 ? b + 32 : b;
}

/** The record holding byte `at` (records sorted by offset). */
function recordAt(sorted: RecordRef[], at: number): RecordRef | null {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = sorted[mid]!;
    if (at < r.off) hi = mid - 1;
    else if (at >= r.end) lo = mid + 1;
    else return r;
  }
  return null;
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
