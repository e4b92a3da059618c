/**
 * A summary of the case's eventIDs for free-text search: which characters and which pairs of adjacent characters
 * (ASCII case folded) occur in some eventID, as two 64 Kib bitmaps. A search for text one of whose pairs no eventID
 * holds (a word with a letter past `f`, an address with a dot, against UUIDs) skips the scan of every eventID
 * (service/event-columns.ts). The summary may hold more than the case's ids (a rolled-back file's): it only ever rules
 * text out, so a superset is still right.
 *
 * The writer keeps it as it stores events (ingest/store.ts) in `event_id_summary` (migration 0130), with the last
 * event row it covers, so that a reader opening a case of millions of events need not read every eventID to make it.
 */
import type { Database } from 'better-sqlite3';

const BYTES = 8192;

/** A pair of characters (ASCII case folded) in the 64 Kib bitmap. */
function pairBit(a: number, b: number): number {
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ (b << 5)) >>> 16;
}

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

export class IdSummary {
  readonly pairs = new Uint8Array(BYTES);
  readonly singles = new Uint8Array(BYTES);

  /** Add the characters and pairs of one eventID, or of several separated by `separator` (a character code). */
  add(text: string, separator = -1): void {
    let prev = -1;
    for (let i = 0; i < text.length; i++) {
      const c = fold(text.charCodeAt(i));
      if (c === separator) {
        prev = -1;
        continue;
      }
      const s = c & 0xffff;
      this.singles[s >> 3]! |= 1 << (s & 7);
      if (prev >= 0) {
        const b = pairBit(prev, c);
        this.pairs[b >> 3]! |= 1 << (b & 7);
      }
      prev = c;
    }
  }

  /** Add another summary's bits (bitmaps as stored). */
  merge(pairs: Uint8Array, singles: Uint8Array): void {
    if (pairs.length !== BYTES || singles.length !== BYTES) throw new Error(`event_id_summary: bitmaps of ${pairs.length} and ${singles.length} bytes, not ${BYTES}`);
    for (let i = 0; i < BYTES; i++) {
      this.pairs[i]! |= pairs[i]!;
      this.singles[i]! |= singles[i]!;
    }
  }

  clear(): void {
    this.pairs.fill(0);
    this.singles.fill(0);
  }

  /** Whether some eventID may hold `text` (ASCII case ignored): all of its characters' pairs occur in eventIDs. */
  mayHold(text: string): boolean {
    if (text.length === 1) {
      const s = fold(text.charCodeAt(0)) & 0xffff;
      return (this.singles[s >> 3]! & (1 << (s & 7))) !== 0;
    }
    for (let i = 1; i < text.length; i++) {
      const b = pairBit(fold(text.charCodeAt(i - 1)), fold(text.charCodeAt(i)));
      if ((this.pairs[b >> 3]! & (1 << (b & 7))) === 0) return false;
    }
    return true;
  }
}

/** The stored summary: the last event row it covers and its bitmaps (null: none stored). */
export function readIdSummary(db: Database): { through: number; pairs: Uint8Array; singles: Uint8Array } | null {
  const row = db.prepare('SELECT through, pairs, singles FROM event_id_summary WHERE id = 1').get() as
    | { through: number; pairs: Uint8Array; singles: Uint8Array }
    | undefined;
  return row ?? null;
}

/** Add the eventIDs of rows (after, upTo] to `summary`, read in slices. */
export function summarizeRows(db: Database, summary: IdSummary, after: number, upTo: number): void {
  const slice = db.prepare('SELECT group_concat(event_id, char(30)), max(instr(event_id, char(30))) FROM events WHERE id > ? AND id <= ?').raw(true);
  const rows = db.prepare('SELECT event_id FROM events WHERE id > ? AND id <= ?').pluck();
  for (let a = after; a < upTo; a += 65536) {
    const b = Math.min(upTo, a + 65536);
    const [text, cut] = slice.get(a, b) as [string | null, number | null];
    if (text === null) continue;
    if (cut === 0) summary.add(text, 30);
    else for (const id of rows.iterate(a, b) as Iterable<string>) summary.add(id); // an id holding the separator: one by one
  }
}

/** Store `summary` as covering every event row up to `through` (in the caller's transaction). */
export function writeIdSummary(db: Database, summary: IdSummary, through: number): void {
  db.prepare('INSERT OR REPLACE INTO event_id_summary (id, through, pairs, singles) VALUES (1, ?, ?, ?)').run(
    through,
    Buffer.from(summary.pairs.buffer, summary.pairs.byteOffset, summary.pairs.byteLength),
    Buffer.from(summary.singles.buffer, summary.singles.byteOffset, summary.singles.byteLength),
  );
}
