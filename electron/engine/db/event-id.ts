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
