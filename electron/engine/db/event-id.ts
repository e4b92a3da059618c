/**
 * Looking events up by eventID. The case indexes a 53-bit hash of the eventID (`events.id_hash`, an integer
 * index a quarter the size of a text index on the UUIDs) and compares the full id on a match. Every lookup by
 * eventID goes through it:
 *
 *   db.prepare(`SELECT … FROM events e WHERE ${eventIdIs('e')} …`).get(...eventIdArgs(id), …)
 */
import type { Database } from 'better-sqlite3';

/** A 53-bit hash of a string (two 32-bit FNV-1a variants, mixed): a safe integer, bound to SQLite as an INTEGER. */
export function hash53(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return (h2 >>> 0) * 0x200000 + ((h1 >>> 0) & 0x1fffff);
}

/** `<alias>.id_hash = ? AND <alias>.event_id = ?`: bind `...eventIdArgs(id)` in its place. */
export function eventIdIs(alias?: string): string {
  const p = alias ? `${alias}.` : '';
  return `${p}id_hash = ? AND ${p}event_id = ?`;
}

export function eventIdArgs(eventID: string): [number, string] {
  return [hash53(eventID), eventID];
}

/**
 * `event_id_hash(text)`: hash53 in SQL, on every connection openCase opens, so that a query can look eventIDs it
 * reads from another table (the examiner's annotations) up through the hash index:
 * `JOIN events e ON e.id_hash = event_id_hash(x.target) AND e.event_id = x.target`.
 */
export const EVENT_ID_HASH_SQL = 'event_id_hash';

export function registerEventIdHash(db: Database): void {
  db.function(EVENT_ID_HASH_SQL, { deterministic: true }, (s: unknown) => (typeof s === 'string' ? hash53(s) : null));
}

/**
 * The id hashes a case holds, as one bit each in a fixed table (a Bloom filter with one hash; 16 MiB). A clear
 * bit means no event of the case has that hash, so the writer stores the row without looking its eventID up
 * (the lookup was a quarter of the time the writer spends on a new row). A set bit proves nothing: the lookup runs as before. With
 * n events about n / 2^27 of the bits are set (1M: 0.7 %, 10M: 7 %).
 *
 * Complete or absent: `load` reads every id hash of the case, and the writer sets the bit of every row it
 * stores; a row rolled back leaves its bit set, which only costs a lookup.
 */
export class IdHashBits {
  static readonly BITS = 2 ** 27;
  private readonly bits = new Int32Array(IdHashBits.BITS / 32);

  /** The bits of every id hash in the case, when it holds at most `max` events; null otherwise (reading them would cost more than the lookups it saves). */
  static load(db: Database, max: number): IdHashBits | null {
    const hashes = db.prepare('SELECT id_hash FROM events LIMIT ?').pluck().all(max + 1) as number[];
    if (hashes.length > max) return null;
    const out = new IdHashBits();
    for (const h of hashes) out.add(h);
    return out;
  }

  add(h: number): void {
    const i = h % IdHashBits.BITS;
    this.bits[i >>> 5]! |= 1 << (i & 31);
  }

  /** false: no event of the case has this id hash. */
  mayHave(h: number): boolean {
    const i = h % IdHashBits.BITS;
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }
}

/**
 * The eventID hashes of a case's rows and their row ids, in memory, for a bulk load (ingest.ts `withBulkIndexes`):
 * the load drops the `events_id_hash` index, whose insert at a random place was ~40 % of a bare row insert (a 1M
 * load without it: 0.82 × the time, docs/benchmarks.md), and looks a delivery's earlier copies up here instead. The
 * index is built again, in one sort, when the load ends.
 *
 * Open addressing with linear probing, 8 bytes a slot: the hash's low 32 bits (its fingerprint, which also places
 * it) and the row id (0: an empty slot). Its answers are candidates only: the writer reads each candidate row and
 * compares its hash and full eventID, as it does the index's. So a row rolled back (its id used again by another
 * row) or two hashes with the same low bits cost a read, never a wrong match. Row ids of 2^32 and above are not
 * held (`holds`).
 */
export class IdHashTable {
  private fps: Uint32Array;
  private rows: Uint32Array;
  private shift: number;
  /** Entries held. */
  size = 0;

  constructor(slotsLog2 = 16) {
    this.fps = new Uint32Array(2 ** slotsLog2);
    this.rows = new Uint32Array(2 ** slotsLog2);
    this.shift = 32 - slotsLog2;
  }

  /** The (id_hash, id) of every row of the case, when it holds at most `max` rows (all of them below 2^32); null otherwise. */
  static load(db: Database, max: number): IdHashTable | null {
    const n = db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    if (n > max) return null;
    let log2 = 16;
    while (2 ** log2 * 3 < n * 8) log2++; // at most 3/8 full, room to add as many again
    const table = new IdHashTable(log2);
    for (const [h, id] of db.prepare('SELECT id_hash, id FROM events').raw().iterate() as IterableIterator<[number, number]>) {
      if (!IdHashTable.holds(id)) return null;
      table.add(h, id);
    }
    return table;
  }

  static holds(rowid: number): boolean {
    return Number.isInteger(rowid) && rowid > 0 && rowid <= 0xffffffff;
  }

  /** Bytes the table's arrays take. */
  get bytes(): number {
    return this.fps.byteLength + this.rows.byteLength;
  }

  private slot(lo: number): number {
    return Math.imul(lo, 0x9e3779b1) >>> this.shift;
  }

  add(h: number, rowid: number): void {
    if (!IdHashTable.holds(rowid)) throw new RangeError(`row id ${rowid} is out of the id table's range`);
    if ((this.size + 1) * 4 > this.rows.length * 3) this.grow();
    this.put(h >>> 0, rowid);
    this.size++;
  }

  private put(lo: number, rowid: number): void {
    const mask = this.rows.length - 1;
    let i = this.slot(lo);
    while (this.rows[i] !== 0) i = (i + 1) & mask;
    this.fps[i] = lo;
    this.rows[i] = rowid;
  }

  private grow(): void {
    const { fps, rows } = this;
    this.fps = new Uint32Array(rows.length * 2);
    this.rows = new Uint32Array(rows.length * 2);
    this.shift--;
    for (let i = 0; i < rows.length; i++) if (rows[i] !== 0) this.put(fps[i]!, rows[i]!);
  }

  /** The row ids held under this hash's low 32 bits, each once, in ascending order (as the index gives them). */
  rowsOf(h: number): number[] {
    const lo = h >>> 0;
    const mask = this.rows.length - 1;
    const out: number[] = [];
    for (let i = this.slot(lo); this.rows[i] !== 0; i = (i + 1) & mask) {
      if (this.fps[i] === lo && !out.includes(this.rows[i]!)) out.push(this.rows[i]!);
    }
    return out.length > 1 ? out.sort((a, b) => a - b) : out;
  }
}
