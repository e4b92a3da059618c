/**
 * The exact check of a search term over the records of one raw block, and the event rows of the records that match
 * (raw-search.ts decides which blocks to check; scan-worker.ts checks a share of them on the other core). Reads only
 * the block's own bytes and the event table, so any connection to the case can run it.
 */
import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { searchableText } from '../ingest/block-filter';
import { eventIdArgs } from '../db/event-id';
import { fieldMatches, globRegExp, textMatches, type SearchTerm } from './search-terms';

/** A record's bytes in its block, and its event row (null: not known yet; resolved from its eventID). */
export interface RecordRef {
  off: number;
  end: number;
  row: number | null;
}

/** A term with what checking it needs, made once per search. */
export interface ScanQuery {
  term: SearchTerm;
  glob: RegExp | null;
  needle: Buffer | null;
}

export function scanQuery(term: SearchTerm): ScanQuery {
  return {
    term,
    glob: term.kind === 'field' ? globRegExp(term.pattern) : null,
    needle: term.kind === 'text' ? Buffer.from(term.text, 'utf8') : null,
  };
}

/** The records of a block, from its record offsets (the filter's: the last is one past the last record's end). */
export function recordsAt(offsets: readonly number[]): RecordRef[] {
  const out = new Array<RecordRef>(offsets.length - 1);
  for (let i = 0; i < out.length; i++) out[i] = { off: offsets[i]!, end: offsets[i + 1]!, row: null };
  return out;
}

const LATIN1_SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const EVENT_ID = /"eventID"\s*:\s*"([^"\\]*)"/;

export class BlockScan {
  private readonly rowOf: Statement;
  private readonly rowsInRange: Statement;

  constructor(private readonly db: Database) {
    this.rowOf = db.prepare('SELECT id FROM events WHERE id_hash = ? AND event_id = ? AND raw_block = ? AND raw_off = ?').pluck();
    this.rowsInRange = db.prepare('SELECT id, raw_off FROM events WHERE id BETWEEN ? AND ? AND raw_block = ?').raw(true);
  }

  /** The event rows of the block's records that match the query (a record without a row: none for it). */
  rows(block: number, bytes: Buffer, records: RecordRef[], q: ScanQuery): number[] {
    const term = q.term;
    const matched = term.kind === 'text' ? this.textHits(bytes, records, term.text, q.needle!) : this.fieldHits(bytes, records, term, q.glob!);
    return this.rowsOf(bytes, block, matched);
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
  private rowsOf(bytes: Buffer, block: number, matched: RecordRef[]): number[] {
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

