/**
 * The filterable columns of every event, in memory, for a read connection (the reader worker's, reader-worker.ts):
 * what lets the timeline's histogram, a search page's total and the column part of a free-text search be counted
 * in a few milliseconds instead of scanning the event table (160–260 ms per filter change at 1M events).
 *
 * Per event row id (arrays indexed by `events.id`): its time (`event_ms`: int32 whole seconds from the first time,
 * or float64 ms once a time is not a whole second: `Times`), its attribution subject (`event_subjects.subject_id` + 1;
 * 0: none yet, so no table row shows it), and dictionary codes (uint16, widened to uint32 past 65,535 values; 0 is
 * NULL, or no row) of: the facet combination (account, region, source, event name, error code: a few hundred
 * distinct tuples), the access key, the source IP, the principal ARN's and the user agent's `strings` ids. 16 bytes
 * per event (48 MB at 3M, 160 MB at 10M), plus a 64 Kib summary of the eventIDs' character
 * pairs (a search for text no eventID can hold skips their scan).
 *
 * Memory stops growing with the case at `COLUMN_ROWS_IN_MEMORY` rows (16M: 256 MB): the columns of the rows past them
 * are kept in temporary files beside the case (column-spill.ts), and a scan reads them a chunk of 65,536 rows at a time, from the
 * operating system's file cache once read (measured at 10M events with every row spilled: a histogram in ~170 ms
 * against ~112 ms from memory). What a query itself holds does not grow with the case either: the other id sets of
 * a filter are walked beside the rows, and the first rows of a page keep at most a few times the page's end.
 *
 * Filters are answered as SQL answers them, by the same rules (event-query.ts `whereClause`): the facet filters and
 * the key as a mask over the dictionaries (values compared as SQLite compares text, byte for byte); the subject-level
 * filters (mechanism, cluster, namespace, service account, pod, node, principal) as a mask over subjects, read by
 * SQL from `subjects` with the table's own WHERE clause; flags, stars and tags as the row ids their SQL gives; search
 * terms as the row ids of their hit set (raw-search.ts). Filters it does not know make it decline (the caller falls
 * back to SQL). event-columns.test.ts compares it with the SQL histogram over random filter combinations.
 *
 * Loading: in slices of 65,536 row ids, one statement each (`group_concat` of the columns: better-sqlite3 builds one
 * string per slice instead of a row per event), yielding between slices, in the background from the moment the
 * reader starts: first what the histogram needs (time, facets, key, then the subjects: ~1.5 s at 1M events on the
 * build machine), then the search columns (~0.4 s at 1M: the eventIDs' characters come from the writer's summary,
 * db/id-summary.ts). The reader's callers wait for the first phase (histogram.ts `columnsReady`); a search that comes
 * before the second phase is through reads the rest of it first.
 * Events are only ever appended, so later loads read the rows past the last one loaded. The subject of an event
 * changes with every correlation: each slice of `event_subjects` is kept with a checksum (row count and a sum of a
 * non-linear mix of row id and subject), and only the slices whose checksum changed are read again. `PRAGMA
 * data_version` says when another connection has committed anything (an ingest, a correlation, a note); only then
 * are the checksums read (~35 ms at 1M events, 1.4–1.75 s at 10M), and only when the correlation's token
 * (`correlation_state.subjects_token`, new with each correlation) is not the one the subjects were read at: a note,
 * a star or a tag changes no subject. A refresh is done again if a commit landed while it ran, so that what is kept
 * is one committed state.
 */
import { existsSync } from 'node:fs';
import type { Database, Statement } from 'better-sqlite3';
import type { EventFilters } from '../../../shared/api';
import { IdSummary, readIdSummary } from '../db/id-summary';
import { facetFields, facetValues } from '../db/strings';
import { IdList } from '../util/id-list';
import { likePattern, markedSetQueries, SUBJECT_FILTERS, whereClause } from './event-query';
import { Spill, type ColumnArray, type ColumnType } from './column-spill';
import { caseFingerprint, readColumnImage, writeColumnImage, type ImageArray } from './column-image';

/** Row ids per loading slice (also the checksum slices of `event_subjects`, and the chunks of the spilled rows). */
export const SLICE = 65536;

/**
 * Rows whose columns are kept in memory; the columns of the rows past them are kept in a temporary file
 * (column-spill.ts), so that the reader's memory stops growing with the case: 256 MB at 16 bytes a row (352 MB had
 * every dictionary passed 65,535 values). A scan of the spilled rows reads them from the file a chunk at a time.
 */
export const COLUMN_ROWS_IN_MEMORY = 16 * 1024 * 1024;

/** Filters this copy answers; any other with a value makes it decline. */
const KNOWN: ReadonlySet<string> = new Set<keyof EventFilters>([
  'fromMs', 'toMs', 'account', 'region', 'eventSource', 'eventName', 'errorCode', 'mechanism', 'cluster', 'namespace',
  'serviceAccount', 'pod', 'node', 'accessKeyId', 'principal', 'search', 'flag', 'starred', 'tag',
]);

/**
 * One column: the rows below `memRows` in a typed array indexed by row id, the rows from it on (a case past the
 * memory budget, `COLUMN_ROWS_IN_MEMORY`) in a temporary file (column-spill.ts), read a chunk at a time by a scan.
 * Only rows up to `top` are ever written or copied: the room past them is zero pages the system has not given
 * memory for yet (see `ensure`).
 */
class Column {
  a: ColumnArray;
  /** The rows from `memRows` on (null: none written yet). */
  spill: Spill | null = null;
  /**
   * Why rows past `memRows` could not be kept (no temporary file could be made or written: the copy then declines to
   * answer, and the callers use SQL), or 'closed'.
   */
  failed: string | null = null;
  /** One past the highest row written. */
  protected top = 0;
  constructor(
    protected type: ColumnType,
    readonly memRows: number,
    readonly chunk: number,
    /** Where the spill file is made (column-spill.ts). */
    readonly spillDir: string | null,
  ) {
    this.a = new type(0);
  }
  protected put(i: number, v: number): void {
    if (i >= this.top) this.top = i + 1;
    if (i < this.memRows) this.a[i] = v;
    else this.toSpill((s) => s.set(i - this.memRows, v));
  }
  /** Write to the spill file (made when first needed); a failure is kept in `failed`, and nothing more is written. */
  private toSpill(write: (s: Spill) => void): void {
    if (this.failed !== null) return;
    try {
      write((this.spill ??= new Spill(this.type, this.chunk, this.spillDir)));
    } catch (err) {
      this.failed = err instanceof Error ? err.message : String(err);
    }
  }
  grow(capacity: number): void {
    const cap = Math.min(capacity, this.memRows);
    if (cap > this.a.length) this.a = widened(this.a, cap, this.top, this.type);
  }
  fill(v: number, from: number, to: number): void {
    if (to > this.top) this.top = to;
    if (from < this.memRows) this.a.fill(v, from, Math.min(to, this.memRows));
    if (to > this.memRows) this.toSpill((s) => s.fill(v, Math.max(from, this.memRows) - this.memRows, to - this.memRows));
  }
  /** The rows of spilled chunk k (row memRows + k × chunk at 0), for a scan; the file's chunk is read. */
  view(k: number): ColumnArray {
    return this.spill === null ? new this.type(this.chunk) : this.spill.view(k);
  }
  /** Every row as another type, through `convert` (the array's room keeps its length). */
  protected retype(type: ColumnType, convert: (x: number) => number): void {
    const b = new type(this.a.length);
    const used = Math.min(this.top, this.a.length);
    for (let i = 0; i < used; i++) b[i] = convert(this.a[i]!);
    this.a = b;
    const spill = this.spill;
    this.spill = null;
    if (spill !== null) this.toSpill(() => (this.spill = spill.retyped(type, convert)));
    this.type = type;
  }
  /** Take `a` (of `type`) as the array, its first `top` rows written (a column image read back: column-image.ts). */
  adopt(type: ColumnType, a: ColumnArray, top: number): void {
    if (this.spill !== null || this.top > 0) throw new Error('a column image is read only into empty columns');
    this.type = type;
    this.a = a;
    this.top = top;
  }
  /** The rows in use, 0..top-1 (in memory: a column whose rows are spilled has no image). */
  used(): ColumnArray {
    return this.a.subarray(0, this.top);
  }
  /** Bytes of the rows in use: in memory, and in the file. */
  bytes(rows: number): { resident: number; spilled: number } {
    const w = this.a.BYTES_PER_ELEMENT;
    return { resident: Math.min(rows, this.memRows) * w, spilled: Math.max(0, rows - this.memRows) * w };
  }
  close(): void {
    this.spill?.close();
    this.spill = null;
    this.failed ??= 'closed';
  }
}

/** Dictionary codes per row: 16 bits until a dictionary passes 65,535 values, then 32. */
class Codes extends Column {
  constructor(memRows: number, chunk: number, spillDir: string | null) {
    super(Uint16Array, memRows, chunk, spillDir);
  }
  set(i: number, code: number): void {
    if (code > 0xffff && this.type === Uint16Array) this.retype(Uint32Array, (x) => x);
    this.put(i, code);
  }
}

/**
 * Event times: whole seconds from the first time loaded, 32 bits, while every time is a whole second within 68 years
 * of it (CloudTrail writes whole seconds), else milliseconds as doubles (8 bytes).
 */
class Times extends Column {
  /** The time of second 0 (ms; NaN until the first time). */
  base = Number.NaN;
  constructor(memRows: number, chunk: number, spillDir: string | null) {
    super(Int32Array, memRows, chunk, spillDir);
  }
  /** Whether the times are whole seconds from `base` (else ms). */
  inSeconds(): boolean {
    return this.type === Int32Array;
  }
  set(i: number, ms: number): void {
    if (this.type === Int32Array) {
      if (Number.isNaN(this.base)) this.base = Math.floor(ms / 1000) * 1000;
      const s = (ms - this.base) / 1000;
      if (Number.isInteger(s) && s >= -0x80000000 && s <= 0x7fffffff) {
        this.put(i, s);
        return;
      }
      const base = this.base;
      this.retype(Float64Array, (x) => base + x * 1000);
    }
    this.put(i, ms);
  }
}

/**
 * Texts to codes, looked up inside a larger string without cutting it (a slice's `group_concat`): a 32-bit hash of
 * the characters, then a comparison in place. Code 0 is NULL. Texts are kept encoded as the loader writes them:
 * `n` for NULL, `v<text>` for a value.
 */
class TextCodes {
  /** Encoded texts by code (code 0: `n`). */
  readonly encoded: string[] = ['n'];
  private readonly byHash = new Map<number, number | number[]>([[hashOf('n', 0, 1), 0]]);

  /** The code of `s[start, end)` (an encoded text), added if new; `onNew` sees a new one first. */
  codeAt(s: string, start: number, end: number, h: number, onNew?: (text: string) => void): number {
    const have = this.byHash.get(h);
    const len = end - start;
    if (have !== undefined) {
      if (typeof have === 'number') {
        const t = this.encoded[have]!;
        if (t.length === len && s.startsWith(t, start)) return have;
      } else {
        for (const c of have) {
          const t = this.encoded[c]!;
          if (t.length === len && s.startsWith(t, start)) return c;
        }
      }
    }
    // A copy of its own: a slice of 13 characters or more would keep the whole slice's text alive (V8's sliced
    // strings), and the dictionaries held 117 MB of it at 10M events.
    const text = ownCopy(s.slice(start, end));
    onNew?.(text);
    const code = this.encoded.length;
    this.encoded.push(text);
    if (have === undefined) this.byHash.set(h, code);
    else if (typeof have === 'number') this.byHash.set(h, [have, code]);
    else have.push(code);
    return code;
  }

  /** The code of an encoded text, or -1 if no row has it. */
  find(encoded: string): number {
    const have = this.byHash.get(hashOf(encoded, 0, encoded.length));
    if (have === undefined) return -1;
    for (const c of typeof have === 'number' ? [have] : have) if (this.encoded[c] === encoded) return c;
    return -1;
  }

  /** The values by code (NULL for code 0). */
  values(): (string | null)[] {
    return this.encoded.map((t) => (t === 'n' ? null : t.slice(1)));
  }

  /** A dictionary holding `encoded` by code (as `encoded` gave them; code 0 must be NULL's `n`). */
  static of(encoded: readonly string[]): TextCodes {
    if (encoded[0] !== 'n' || encoded.some((t) => typeof t !== 'string')) throw new Error('a dictionary without NULL as code 0');
    const d = new TextCodes();
    for (let i = 1; i < encoded.length; i++) {
      const t = encoded[i]!;
      if (d.codeAt(t, 0, t.length, hashOf(t, 0, t.length)) !== i) throw new Error(`a dictionary holding ${JSON.stringify(t.slice(0, 40))} twice`);
    }
    return d;
  }
}

/**
 * `s` as a string that holds its own characters (not a slice of a larger one): concatenated with one more character,
 * which V8 flattens into a new string when it is sliced again.
 */
export function ownCopy(s: string): string {
  return (' ' + s).slice(1);
}

function hashOf(s: string, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The integers of a comma-separated list (`group_concat` of integers) into `out`, in order ('' — a NULL written so
 * — as NaN); how many.
 */
function parseIntegers(s: string | null, out: Float64Array): number {
  if (s === null) return 0;
  let n = 0;
  let x = 0;
  let neg = false;
  let digits = 0;
  const len = s.length;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? s.charCodeAt(i) : 44;
    if (c === 44) {
      out[n++] = digits === 0 ? NaN : neg ? -x : x;
      x = 0;
      neg = false;
      digits = 0;
    } else if (c === 45) neg = true;
    else {
      x = x * 10 + (c - 48);
      digits++;
    }
  }
  return n;
}

/** A text as SQLite stores it (UTF-8: a lone surrogate becomes U+FFFD), so that `===` compares as SQL's `=` does. */
function asStored(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

const ENC = (col: string) => `ifnull('v' || ${col}, 'n')`;
const COMBO_SQL = ['recipient_account_id', 'aws_region', 'event_source', 'event_name', 'error_code'].map(ENC).join(` || char(31) || `);

/** One slice of the table's columns: row count, times, facet combinations, keys (rows after ? up to ?). */
export const EVENT_SLICE_SQL = `SELECT count(*), group_concat(event_ms), group_concat(${COMBO_SQL}, char(30)), group_concat(${ENC('access_key_id')}, char(30))
  FROM events WHERE id > ? AND id <= ?`;

/**
 * The same for rows the writer gave their facet combination's `strings` id (`facet_sid`, migration 0150; its text is
 * what `COMBO_SQL` makes): the ids instead of that text, and how many rows have one (a row without one, whose values
 * hold U+001F, sends the slice to the statement above). At 10M events the text was ~60 % of the load's SQL and most of
 * its parse.
 */
export const EVENT_FACET_SLICE_SQL = `SELECT count(*), group_concat(event_ms), group_concat(facet_sid), group_concat(${ENC('access_key_id')}, char(30)),
  count(facet_sid) FROM events WHERE id > ? AND id <= ?`;

/** The last row without a facet id of its own (written before migration 0150); Infinity: no row has one. */
function facetSidsAfter(db: Database): number {
  try {
    const v = db.prepare("SELECT value FROM case_meta WHERE key = 'facet_sids_after'").pluck().get() as string | undefined;
    const n = Number(v);
    return v !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : Infinity;
  } catch {
    return Infinity; // (no case_meta: a case this reader cannot date)
  }
}

/** The statement reading the correlation's subjects token (migration 0160); null in a case without the column. */
function tokenStatement(db: Database): Statement | null {
  try {
    return db.prepare('SELECT subjects_token FROM correlation_state').pluck();
  } catch {
    return null; // (a case this reader cannot date: the checksums are read)
  }
}

/** One slice of the search columns (the eventIDs too unless the writer's summary covers the rows). */
export function searchSliceSql(ids: boolean): string {
  return `SELECT count(*), group_concat(${ENC('source_ip')}, char(30)), group_concat(ifnull(principal_arn_sid, ''), ','),
    group_concat(ifnull(user_agent_sid, ''), ','), ${ids ? 'group_concat(event_id, char(30))' : 'NULL'}
  FROM events WHERE id > ? AND id <= ?`;
}

/**
 * Runs one of the slice statements above on another connection (the scan worker's, on the second core) and gives its
 * row: the copy then reads the next slices there while it parses this one. Rows never change once written, so what
 * another connection reads of them is what this one would.
 */
export type SliceSource = (sql: string, after: number, upTo: number) => Promise<unknown[]>;

export interface ColumnOptions {
  /** Row ids per loading slice (`SLICE`; smaller in tests). */
  slice?: number;
  /** Where the slices are read (the scan worker's connection), else on this one. */
  source?: SliceSource;
  /** Rows kept in memory (`COLUMN_ROWS_IN_MEMORY`; smaller in tests): the rest are spilled to a file. */
  memoryRows?: number;
  /** The folder of the spill files (the case's own; else the system's temporary folder: column-spill.ts). */
  spillDir?: string;
  /** The room `firstRows` starts with (`FIRST_ROWS_ROOM`; smaller in tests). */
  firstRowsRoom?: number;
  /**
   * Where the columns' image is kept (column-image.ts; the reader's: beside the case), and from how many rows one is
   * written (`IMAGE_MIN_ROWS`; smaller in tests). Without it, none is read or written.
   */
  image?: { path: string; minRows?: number; delayMs?: number; idleMs?: number };
}

/** Rows from which the columns are worth an image: below them, reading the case is about as quick (~1.3 s a million). */
export const IMAGE_MIN_ROWS = 250_000;
/**
 * When the image is written again: once the columns hold a quarter more rows than it does (a load adding evidence
 * refreshes them every few seconds; 160 MB written each time at 10M events would only slow it), at most once a minute,
 * half a second after the load that calls for it and once the columns have gone unasked for two seconds (so that
 * the requests waiting for that load, and a user changing filters, are answered first), or when the columns are
 * closed before then.
 * The subjects a later correlation changed are not a reason: the next start reads again the slices whose checksum
 * differs from the image's.
 */
const IMAGE_GROWTH = 1.25;
const IMAGE_EVERY_MS = 60_000;
const IMAGE_DELAY_MS = 500;
/**
 * How long the columns must go unasked before the image is written: its write holds this thread (~1 s at 10M
 * events), which a user changing filters would feel.
 */
const IMAGE_IDLE_MS = 2_000;
/** The image of a case's columns: the case's file name and this. */
export const IMAGE_SUFFIX = '.columns';

/** What a column image keeps besides the arrays (column-image.ts). */
interface ImageState {
  loaded: number;
  searched: number;
  slice: number;
  timesBase: number | null;
  storedThrough: number;
  sums: [number, string][];
  /** The correlation's token the subjects were read at (`subjectsToken`), and the last row then. */
  subjectsToken: string | null;
  subjectsThrough: number;
  combos: string[];
  comboFields: (string | null)[][];
  facetCodes: [number, number][];
  keys: string[];
  ips: string[];
  arnCodes: [number, number][];
  uaCodes: [number, number][];
}

/** Rows `firstRows` keeps before it drops those past the k-th's time (at least 8 k): 786 KB. */
const FIRST_ROWS_ROOM = 65536;

/** Slices asked of the source ahead of the one being parsed. */
const AHEAD = 2;

/** What a filter asks of the columns, resolved to masks, codes and id sets (null: nothing can match). */
interface Plan {
  comboMask: Uint8Array | null;
  keyCode: number;
  subjectMask: Uint8Array | null;
  /** Sorted row ids each kept row must be in (search terms, flag, star, tag). */
  sets: Int32Array[];
  from: number;
  to: number;
}

/** Resolves a search term to the sorted, distinct row ids of its hits (raw-search.ts), for `plan`. */
export type TermIds = (search: string) => Int32Array[];

export class EventColumns {
  /** Highest row id loaded (rows 1..loaded have their time, facets and key in the arrays). */
  private loaded = 0;
  /** Highest row id whose search columns (IP, ARN, user agent, eventID pairs) are loaded: a second phase. */
  private searched = 0;
  /** The running load of the search columns (null: none). */
  private searchRun: Promise<void> | null = null;
  private readonly times: Times;
  /** Subject id + 1 per row (0: none, or not read yet). */
  private readonly subject: Codes;
  private readonly combo: Codes;
  private readonly key: Codes;
  private readonly ip: Codes;
  private readonly arn: Codes;
  private readonly ua: Codes;
  /** Rows whose columns are in memory (the rest are spilled: `Column`). */
  private readonly memRows: number;
  /** Row ids the columns have room for. */
  private capacity = 0;
  private readonly firstRowsRoom: number;
  private combos = new TextCodes();
  /** Facet combination codes by their `strings` id (`facet_sid`). */
  private readonly facetCodes = new Map<number, number>();
  /** Rows after this one have their `facet_sid` (migration 0150); Infinity: none. */
  private readonly facetsAfter: number;
  private readonly facetSlice: Statement | null;
  private readonly facetTextOf: Statement | null;
  /** Decoded combination fields by code: account, region, source, name, error code. */
  private comboFields: (string | null)[][] = [[null, null, null, null, null]];
  private keys = new TextCodes();
  private ips = new TextCodes();
  private readonly arnCodes = new Map<number, number>();
  private readonly uaCodes = new Map<number, number>();
  /** eventID characters and character pairs present in some eventID (db/id-summary.ts). */
  private readonly ids = new IdSummary();
  /** The stored summary (`event_id_summary`) is merged into `ids` and covers rows up to this one. */
  private storedThrough = 0;
  /** Per slice of `event_subjects`: its checksum when its subjects were read (absent: none read). */
  private readonly sums = new Map<number, string>();
  /**
   * The correlation's token (`correlation_state.subjects_token`, migration 0160) when the subjects were last read
   * slice by slice: while the case has the same, no correlation has changed them and the checksums are not read (null:
   * none known, they are).
   */
  private subjectsToken: string | null = null;
  /**
   * The last row when the subjects were read under `subjectsToken`: the rows after it may have been given subjects by
   * that same correlation (committed after the refresh read its last row), so their slices are still checked.
   */
  private subjectsThrough = 0;
  private readonly tokenOf: Statement | null;
  /** `PRAGMA data_version` at the last complete refresh (null: never complete). */
  private version: number | null = null;
  private refreshing: Promise<void> | null = null;
  private stopped = false;
  private source: SliceSource | null = null;
  /** Why the copy cannot be used (a row id or subject id it cannot index): the callers use SQL. */
  disabled: string | null = null;
  /** Load and refresh times (for benchmarks). */
  readonly stats = { loadMs: 0, refreshes: 0, subjectChecks: 0, imageRows: 0, image: null as string | null };
  /** The column image beside the case (column-image.ts): read at the first refresh, written when a load is through. */
  private readonly image: { path: string; minRows: number; delayMs: number; idleMs: number } | null;
  /** Whether the image was tried at the first refresh. */
  private imageTried = false;
  /** Rows of the image last written or read (0: none), and the rows of its search columns. */
  private imageRows = 0;
  private imageSearched = 0;
  /** When the last image was written (ms since the epoch), and the write waiting to run. */
  private imageAt = 0;
  private imageTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the columns were last asked something (an image waits for a pause in the requests). */
  private lastAsked = 0;

  /** Parsing room for one slice's integers. */
  private readonly scratch: Float64Array;
  private readonly scratch2: Float64Array;
  /** Row ids per slice (SLICE; smaller in tests, to load a small case in many slices). */
  private readonly slice: number;
  private readonly eventSlice: Statement;
  private readonly searchSlice: Statement;
  private readonly searchSliceNoIds: Statement;
  private readonly idSlice: Statement;
  private readonly subjectSlice: Statement;
  private readonly sumSlice: Statement;
  private readonly dataVersion: Statement;

  constructor(
    private readonly db: Database,
    options: ColumnOptions = {},
  ) {
    this.slice = options.slice ?? SLICE;
    this.memRows = Math.max(1, options.memoryRows ?? COLUMN_ROWS_IN_MEMORY);
    this.firstRowsRoom = options.firstRowsRoom ?? FIRST_ROWS_ROOM;
    const dir = options.spillDir ?? null;
    this.times = new Times(this.memRows, this.slice, dir);
    this.subject = new Codes(this.memRows, this.slice, dir);
    this.combo = new Codes(this.memRows, this.slice, dir);
    this.key = new Codes(this.memRows, this.slice, dir);
    this.ip = new Codes(this.memRows, this.slice, dir);
    this.arn = new Codes(this.memRows, this.slice, dir);
    this.ua = new Codes(this.memRows, this.slice, dir);
    this.source = options.source ?? null;
    this.image = options.image
      ? {
          path: options.image.path,
          minRows: options.image.minRows ?? IMAGE_MIN_ROWS,
          delayMs: options.image.delayMs ?? IMAGE_DELAY_MS,
          idleMs: options.image.idleMs ?? IMAGE_IDLE_MS,
        }
      : null;
    this.scratch = new Float64Array(this.slice + 1);
    this.scratch2 = new Float64Array(this.slice + 1);
    this.eventSlice = db.prepare(EVENT_SLICE_SQL).raw(true);
    this.facetsAfter = facetSidsAfter(db);
    const facets = Number.isFinite(this.facetsAfter);
    this.facetSlice = facets ? db.prepare(EVENT_FACET_SLICE_SQL).raw(true) : null;
    this.facetTextOf = facets ? db.prepare('SELECT text FROM strings WHERE id = ?').pluck() : null;
    this.searchSlice = db.prepare(searchSliceSql(true)).raw(true);
    this.searchSliceNoIds = db.prepare(searchSliceSql(false)).raw(true);
    this.idSlice = db.prepare('SELECT group_concat(id) FROM events WHERE id > ? AND id <= ?').pluck();
    const mix = '((event_rowid * 7919 + subject_id * 104729) % 1000003) * ((subject_id * 15485863 + event_rowid) % 999983)';
    this.subjectSlice = db
      .prepare(`SELECT count(*), sum(${mix}), group_concat(event_rowid), group_concat(subject_id) FROM event_subjects WHERE event_rowid > ? AND event_rowid <= ?`)
      .raw(true);
    this.sumSlice = db.prepare(`SELECT count(*), sum(${mix}) FROM event_subjects WHERE event_rowid > ? AND event_rowid <= ?`).raw(true);
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.tokenOf = tokenStatement(db);
  }

  private columns(): Column[] {
    return [this.times, this.subject, this.combo, this.key, this.ip, this.arn, this.ua];
  }

  /**
   * Bytes per event and in all (typed arrays, the rows in use; the dictionaries are a few KB to MB): in memory, and
   * in the spill files past `memoryRows`; and the room reserved in memory to grow into (`ensure`: not written, so not
   * resident).
   */
  memory(): { rows: number; bytes: number; bytesPerRow: number; residentBytes: number; spilledBytes: number; reservedBytes: number } {
    const rows = this.loaded + 1;
    const parts = this.columns().map((c) => c.bytes(rows));
    const residentBytes = parts.reduce((s, b) => s + b.resident, 0);
    const spilledBytes = parts.reduce((s, b) => s + b.spilled, 0);
    const reservedBytes = this.columns().reduce((s, c) => s + c.a.byteLength, 0);
    const bytes = residentBytes + spilledBytes;
    return { rows: this.loaded, bytes, bytesPerRow: bytes / rows, residentBytes, spilledBytes, reservedBytes };
  }

  /** Whether every committed change is in the copy (no refresh needed). */
  fresh(): boolean {
    this.checkSpills();
    return this.disabled === null && this.version !== null && this.version === (this.dataVersion.get() as number);
  }

  /** A column whose spilled rows could not be kept disables the copy (its answers would miss them). */
  private checkSpills(): void {
    if (this.disabled !== null) return;
    const failed = this.columns().find((c) => c.failed !== null);
    if (failed) this.disabled = `the columns of the rows past ${this.memRows} could not be kept in a temporary file: ${failed.failed}`;
  }

  /** Whether a first complete load has been done (later changes are then read quickly). */
  loadedOnce(): boolean {
    return this.disabled === null && this.version !== null;
  }

  /**
   * Load `ranges` (consecutive, from `done()`) in order: each slice's row asked of the source `AHEAD` slices early
   * (read here when the source fails), then `apply` given it. A slice a synchronous catch-up loaded meanwhile is
   * skipped, or read here from where it stopped.
   */
  private async loadAhead(
    ranges: [number, number][],
    sql: (after: number) => string,
    done: () => number,
    apply: (after: number, upTo: number, row: unknown[] | null) => void,
    pause: () => Promise<void>,
  ): Promise<void> {
    const source = this.source!;
    const ask = (r: [number, number]) => source(sql(r[0]), r[0], r[1]).catch(() => null);
    // A queue, not an array indexed by slice: a settled promise keeps its row, and every slice's row kept until the
    // load ends was 1.2 GB of text at 10M events.
    const pending = ranges.slice(0, AHEAD).map(ask);
    for (let i = 0; i < ranges.length && !this.stopped; i++) {
      if (i + AHEAD < ranges.length) pending.push(ask(ranges[i + AHEAD]!));
      const row = await pending.shift()!;
      const [after, upTo] = ranges[i]!;
      const at = done();
      if (at >= upTo || this.stopped) continue;
      apply(at, upTo, at === after ? row : null);
      await pause();
    }
  }

  /** Stop loading (the connection is closing): the spill files go (a scan after this answers from nothing). */
  stop(): void {
    if (this.imageTimer !== null) clearTimeout(this.imageTimer);
    this.imageTimer = null;
    // An image called for and not yet written: now, while the connection is open (the search columns as far as
    // they are: the next start reads the rest).
    if (this.imageDue()) this.writeImage();
    this.stopped = true;
    this.disabled ??= 'closed';
    for (const c of this.columns()) c.close();
  }

  /**
   * Bring the copy up to date, yielding between slices (`pause`); one refresh at a time, shared by every caller. A
   * caller that stops waiting (superseded) leaves it running for the next one.
   */
  refresh(pause: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<void> {
    if (this.fresh() || this.disabled !== null) return Promise.resolve();
    if (!this.refreshing) {
      this.refreshing = this.run(pause).finally(() => (this.refreshing = null));
      this.refreshing.catch(() => {}); // a caller that stopped waiting must not leave it unhandled
    }
    return this.refreshing;
  }

  private async run(pause: () => Promise<void>): Promise<void> {
    const t0 = performance.now();
    if (this.image && !this.imageTried && this.loaded === 0) {
      this.imageTried = true;
      this.readImage(this.image.path);
    }
    for (let pass = 0; pass < 8 && !this.stopped; pass++) {
      const version = this.dataVersion.get() as number;
      const [lo, hi] = this.db.prepare('SELECT ifnull(MIN(id), 1), ifnull(MAX(id), 0) FROM events').raw(true).get() as [number, number];
      if (lo < 1 || hi > 0x7fffffff) {
        this.disabled = `row ids ${lo}..${hi} cannot index the copy`;
        return;
      }
      // Events are appended only: a lower last row means the copy is not of this case's rows any more.
      if (hi < this.loaded) this.reset();
      this.ensure(hi + 1);
      // In quarter slices (~25 ms each at 1M events): a request waiting behind one waits little.
      const step = Math.max(1, this.slice >> 2);
      if (this.source) {
        const sql = (after: number) => (after >= this.facetsAfter ? EVENT_FACET_SLICE_SQL : EVENT_SLICE_SQL);
        await this.loadAhead(ranges(this.loaded, hi, step), sql, () => this.loaded, (a, b, row) => this.loadEvents(a, b, row), pause);
      }
      while (this.loaded < hi && !this.stopped) {
        this.loadEvents(this.loaded, Math.min(hi, (Math.floor(this.loaded / step) + 1) * step));
        await pause();
      }
      // Subjects: the slices whose checksum changed (a slice never read is read at once: its read gives the checksum);
      // while the correlation's token is the one they were read at, only the slices of rows added since.
      const token = (this.tokenOf?.get() as string | null | undefined) ?? null;
      const from = token !== null && token === this.subjectsToken ? Math.floor(this.subjectsThrough / this.slice) : 0;
      if (from * this.slice < hi) {
        if (from === 0) this.stats.subjectChecks++;
        let k = from;
        for (; k * this.slice < hi && !this.stopped; k++) {
          const upTo = Math.min((k + 1) * this.slice, hi);
          const had = this.sums.get(k);
          const [n, sum] = had === undefined ? [0, null] : (this.sumSlice.get(k * this.slice, upTo) as [number, number | null]);
          if (had === undefined || had !== `${upTo}:${n}:${sum}`) {
            this.loadSubjects(k, upTo);
            await pause();
          }
        }
        // Every slice read after the token was: a correlation committed meanwhile wrote another token, so the next
        // refresh checks them again (the slices it changed before this read them are then read again).
        if (k * this.slice >= hi) {
          this.subjectsToken = token;
          this.subjectsThrough = hi;
        }
      }
      for (const k of [...this.sums.keys()]) if (k * this.slice >= hi) this.sums.delete(k);
      if (this.stopped) return;
      if ((this.dataVersion.get() as number) === version) {
        this.version = version;
        this.stats.refreshes++;
        this.stats.loadMs = performance.now() - t0;
        void this.loadSearchColumns(pause);
        return;
      }
      // Something was committed meanwhile: read what changed again.
    }
  }

  private reset(): void {
    // (a facet id read of other rows may name another text in these)
    this.facetCodes.clear();
    this.subject.fill(0, 0, this.loaded + 1);
    this.loaded = 0;
    this.searched = 0;
    this.sums.clear();
    this.subjectsToken = null;
    this.subjectsThrough = 0;
    this.ids.clear();
    this.storedThrough = 0;
  }

  /** The search columns of the rows loaded so far, in the background (one run at a time). */
  private loadSearchColumns(pause: () => Promise<void>): Promise<void> {
    this.searchRun ??= this.runSearchLoad(pause).finally(() => (this.searchRun = null));
    return this.searchRun;
  }

  /**
   * The running background load of the search columns, if any: a search that comes meanwhile may wait for it (the
   * next slices are read on the second core while this thread parses) rather than read the rest here at once.
   */
  searchLoading(): Promise<void> | null {
    return this.searchRun;
  }

  private async runSearchLoad(pause: () => Promise<void>): Promise<void> {
    try {
      const step = Math.max(1, this.slice >> 3); // ~6 ms each at 1M events
      if (this.source && this.searched < this.loaded) {
        const stored = this.storedCovers(this.loaded);
        const apply = (a: number, b: number, row: unknown[] | null) => this.loadSearch(a, b, row && { row, stored });
        const sql = searchSliceSql(!stored);
        await this.loadAhead(ranges(this.searched, this.loaded, step), () => sql, () => this.searched, apply, pause);
      }
      while (this.searched < this.loaded && !this.stopped) {
        this.loadSearch(this.searched, Math.min(this.loaded, (Math.floor(this.searched / step) + 1) * step));
        await pause();
      }
    } catch {
      // (the connection closed) a search then scans with SQL
      return;
    }
    this.planImage();
  }

  /**
   * Whether the columns call for a new image: a quarter more rows than the last (`IMAGE_GROWTH`), or their search
   * columns whole where the last image's were not.
   */
  private imageDue(): boolean {
    const image = this.image;
    if (!image || this.stopped || this.version === null || this.loaded < image.minRows) return false;
    return this.loaded >= this.imageRows * IMAGE_GROWTH || (this.searched >= this.loaded && this.imageSearched < this.imageRows);
  }

  /** Schedule the image's write when one is due. */
  private planImage(): void {
    const image = this.image;
    if (!image || this.imageTimer !== null || !this.imageDue()) return;
    const wait = Math.max(image.delayMs, this.imageAt + IMAGE_EVERY_MS - Date.now());
    const fire = (): void => {
      const busy = image.idleMs - (Date.now() - this.lastAsked);
      if (busy > 0) {
        this.imageTimer = setTimeout(fire, busy);
        this.imageTimer.unref?.();
        return;
      }
      this.imageTimer = null;
      this.writeImage();
    };
    this.imageTimer = setTimeout(fire, this.imageAt === 0 ? image.delayMs : wait);
    this.imageTimer.unref?.();
  }

  /**
   * Write the columns' image when they hold a whole committed state (the search columns as far as they are loaded; no
   * row spilled to a file). Synchronous: the columns must not change while their bytes are hashed and written (~0.7 s
   * for 10M rows; a search columns' slice is loaded whole between two turns of the event loop). A failure (a
   * read-only folder) is noted, never raised.
   */
  private writeImage(): void {
    const image = this.image;
    if (!image || this.stopped || this.disabled !== null || this.refreshing !== null) return;
    if (this.version === null || this.loaded + 1 > this.memRows) return;
    try {
      // The columns hold a committed state (a refresh's, whole); what was committed since (a note, evidence, a
      // correlation) only adds files to the fingerprint whose rows come after theirs, and changes subjects the next
      // start reads again by their checksums (under another correlation token): the rows the image holds are the
      // case's whatever came since.
      const fingerprint = caseFingerprint(this.db);
      const arrays: Record<string, ImageArray> = {
        ids_pairs: this.ids.pairs,
        ids_singles: this.ids.singles,
      };
      for (const [name, c, search] of this.named()) {
        // Every row's place up to the last loaded (a row id no event has is written as the load left it: zero).
        const n = search ? this.searched + 1 : this.loaded + 1;
        if (c.a.length < n) return;
        arrays[name] = c.a.subarray(0, n);
      }
      const state: ImageState = {
        loaded: this.loaded,
        searched: this.searched,
        slice: this.slice,
        timesBase: this.times.base,
        storedThrough: this.storedThrough,
        sums: [...this.sums],
        subjectsToken: this.subjectsToken,
        subjectsThrough: this.subjectsThrough,
        combos: this.combos.encoded,
        comboFields: this.comboFields,
        facetCodes: [...this.facetCodes],
        keys: this.keys.encoded,
        ips: this.ips.encoded,
        arnCodes: [...this.arnCodes],
        uaCodes: [...this.uaCodes],
      };
      writeColumnImage(image.path, { fingerprint, state, arrays });
      this.imageRows = this.loaded;
      this.imageSearched = this.searched;
      this.imageAt = Date.now();
      this.stats.image = `written: ${this.loaded} rows${this.searched < this.loaded ? `, search columns of ${this.searched}` : ''}`;
    } catch (err) {
      this.stats.image = `not written: ${(err as Error).message}`;
    }
  }

  /** The columns by name, and whether each is a search column (loaded in the second phase). */
  private named(): [string, Column, boolean][] {
    return [
      ['times', this.times, false],
      ['subject', this.subject, false],
      ['combo', this.combo, false],
      ['key', this.key, false],
      ['ip', this.ip, true],
      ['arn', this.arn, true],
      ['ua', this.ua, true],
    ];
  }

  /**
   * Read the columns from their image, if it was made from this case (column-image.ts); the refresh that follows reads
   * the rows added since and the subjects of every slice whose checksum changed. Nothing is kept of an image that
   * fails a check: the columns are then read from the case.
   */
  private readImage(path: string): void {
    if (!existsSync(path)) return;
    try {
      const hi = this.db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number;
      const room = (rows: number) => Math.min(Math.max(Math.max(rows, hi + 1) * 2, 1024), this.memRows);
      const img = readColumnImage<ImageState>(path, this.db, (name, Type, length) => (name.startsWith('ids_') ? new Type(length) : new Type(room(length))));
      const s = img.state;
      const rows = s.loaded + 1;
      if (!(Number.isSafeInteger(s.loaded) && s.loaded > 0 && Number.isSafeInteger(s.searched) && s.searched >= 0 && s.searched <= s.loaded && s.slice === this.slice)) {
        throw new Error('its rows are not slices of this reader');
      }
      const lengthOf = (search: boolean) => (search ? s.searched + 1 : rows);
      if (s.loaded > hi) throw new Error(`it holds ${s.loaded} rows, the case ${hi}`);
      if (rows > this.memRows) throw new Error('its rows do not fit the memory budget');
      const combos = TextCodes.of(s.combos);
      const token = s.subjectsToken ?? null;
      if (token !== null && typeof token !== 'string') throw new Error('a correlation token of another kind');
      const through = s.subjectsThrough ?? 0;
      if (!(Number.isSafeInteger(through) && through >= 0)) throw new Error('a last row of another kind');
      if (s.comboFields.length !== s.combos.length) throw new Error('its facet combinations and their fields differ in number');
      if (s.comboFields.some((f) => !Array.isArray(f) || f.length !== 5 || f.some((x) => x !== null && typeof x !== 'string'))) throw new Error('a facet combination of other fields');
      const keys = TextCodes.of(s.keys);
      const ips = TextCodes.of(s.ips);
      const a = img.arrays;
      for (const [name, , search] of this.named()) if (!a[name] || a[name]!.length < lengthOf(search)) throw new Error(`it has no ${name} column`);
      // Every code names an entry of its dictionary (the subject ids are the correlation's the image names by its token:
      // under another token the refresh reads every slice whose checksum changed).
      const within = (name: string, n: number) => {
        const col = a[name]!;
        const end = lengthOf(name === 'ip' || name === 'arn' || name === 'ua');
        for (let i = 0; i < end; i++) if (col[i]! >= n) throw new Error(`its ${name} column holds a code its dictionary lacks`);
      };
      within('combo', s.combos.length);
      within('key', s.keys.length);
      within('ip', s.ips.length);
      within('arn', s.arnCodes.length + 1);
      within('ua', s.uaCodes.length + 1);
      // The sid dictionaries give codes 1..n in order of first sight (`sidCode`), the facet ids codes of `combos`.
      const dense = (entries: [number, number][]) => {
        const codes = new Set(entries.map(([, c]) => c));
        if (codes.size !== entries.length || entries.some(([sid, c]) => !Number.isSafeInteger(sid) || !(c >= 1 && c <= entries.length))) throw new Error('a dictionary of ids with gaps');
      };
      dense(s.arnCodes);
      dense(s.uaCodes);
      if (s.facetCodes.some(([, c]) => !(Number.isSafeInteger(c) && c >= 0 && c < s.combos.length))) throw new Error('a facet id naming no combination');
      if (a.ids_pairs?.length !== this.ids.pairs.length || a.ids_singles?.length !== this.ids.singles.length) throw new Error('its eventID summary is not whole');
      // All checked: the columns take it.
      for (const [name, c, search] of this.named()) c.adopt(a[name]!.constructor as ColumnType, a[name] as ColumnArray, lengthOf(search));
      this.capacity = this.times.a.length;
      this.times.base = s.timesBase ?? Number.NaN;
      this.combos = combos;
      this.comboFields = s.comboFields;
      this.facetCodes.clear();
      for (const [sid, code] of s.facetCodes) this.facetCodes.set(sid, code);
      this.keys = keys;
      this.ips = ips;
      this.arnCodes.clear();
      for (const [sid, code] of s.arnCodes) this.arnCodes.set(sid, code);
      this.uaCodes.clear();
      for (const [sid, code] of s.uaCodes) this.uaCodes.set(sid, code);
      this.ids.clear();
      this.ids.merge(a.ids_pairs as Uint8Array, a.ids_singles as Uint8Array);
      this.storedThrough = s.storedThrough;
      this.sums.clear();
      for (const [k, sum] of s.sums) this.sums.set(k, sum);
      this.subjectsToken = token;
      this.subjectsThrough = through;
      this.loaded = s.loaded;
      this.searched = s.searched;
      this.imageRows = s.loaded;
      this.imageSearched = s.searched;
      this.stats.imageRows = s.loaded;
      this.stats.image = `read: ${s.loaded} rows`;
    } catch (err) {
      this.stats.image = `not used: ${(err as Error).message}`;
    }
  }

  /** Whether the search columns hold every row loaded (a search's column part is then answered from them). */
  searchLoaded(): boolean {
    return this.loadedOnce() && this.searched >= this.loaded;
  }

  /** Whether a first load is running (a caller waits for it rather than count with SQL meanwhile). */
  loading(): boolean {
    return this.version === null && this.refreshing !== null && this.disabled === null;
  }

  /**
   * Room for row ids below `rows`, with as many again to grow into (up to the rows kept in memory). The room past the
   * rows loaded is never written before its rows are (`loadEvents` marks them), so under Node it takes no memory (zero
   * pages the system maps when first written; measured), and a refresh after evidence is added fits in it without
   * copying the columns: the copy holds old and new arrays at once until collected. With a quarter more room, a 10M
   * case grew its columns when 10M events were added: peak RSS of the columns alone 243 → 315 MB (2026-12-06); with
   * the room doubled, none (the room is reserved address space, not memory: 16 bytes a row of it).
   */
  private ensure(rows: number): void {
    if (rows <= this.capacity) return;
    this.capacity = Math.max(rows * 2, 1024);
    for (const c of this.columns()) c.grow(this.capacity);
  }

  /**
   * Load the rows up to `upTo` synchronously, search columns included (the search's column part needs every row up
   * to the case's last). False before the first load, or when many rows are new (the caller uses SQL).
   */
  catchUp(upTo: number): boolean {
    if (this.disabled !== null || this.version === null) return false;
    if (this.searched >= upTo) return true;
    // The search columns left are read now, whatever is left (~0.7 µs a row; the SQL scan instead costs ~0.3 µs a
    // row of the case, for every new term until the background phase, which runs only while this thread is idle,
    // is through).
    if (upTo - this.loaded > 4 * this.slice) return false;
    this.ensure(upTo + 1);
    const next = (from: number) => Math.min(upTo, (Math.floor(from / this.slice) + 1) * this.slice);
    while (this.loaded < upTo) this.loadEvents(this.loaded, next(this.loaded));
    while (this.searched < upTo) this.loadSearch(this.searched, next(this.searched));
    this.checkSpills();
    return this.disabled === null;
  }

  /** The row ids of (after, upTo], given how many rows the slice has (they are dense but for gaps). */
  private idsOf(after: number, upTo: number, n: number): Int32Array {
    let ids: Int32Array;
    if (n === upTo - after) {
      ids = new Int32Array(n);
      for (let i = 0; i < n; i++) ids[i] = after + 1 + i;
    } else {
      const m = parseIntegers(this.idSlice.get(after, upTo) as string | null, this.scratch);
      ids = Int32Array.from(this.scratch.subarray(0, m));
    }
    if (ids.length !== n) throw new Error('event slice: row ids not read in full');
    return ids;
  }

  /**
   * Time, facets and key of rows (after, upTo]: one statement, parsed from its concatenations. `given`: the row of
   * the statement `loadAhead` chose for `after` (the facet ids' past `facetsAfter`).
   */
  private loadEvents(after: number, upTo: number, given: unknown[] | null = null): void {
    if (after >= this.facetsAfter) {
      if (this.loadFacetEvents(after, upTo, given)) return;
      given = null;
    }
    const [n, msList, comboText, keyText] = (given ?? this.eventSlice.get(after, upTo)) as [number, string | null, string | null, string | null];
    const ids = this.idsOf(after, upTo, n);
    // No row has a subject until its slice's are read (none also keeps rows without an event, gaps in the ids, out).
    this.subject.fill(0, after + 1, upTo + 1);
    const ok =
      this.codes(comboText, ids, this.combo, this.combos, 5, (t) => this.comboFields.push(facetFields(t))) &&
      this.codes(keyText, ids, this.key, this.keys);
    if (ok || n === 0) {
      const m = parseIntegers(msList, this.scratch);
      for (let i = 0; i < m; i++) this.times.set(ids[i]!, this.scratch[i]!);
    } else {
      // A value holds a separator character: this slice row by row.
      const rows = this.db
        .prepare('SELECT id, event_ms, recipient_account_id, aws_region, event_source, event_name, error_code, access_key_id FROM events WHERE id > ? AND id <= ?')
        .raw(true)
        .all(after, upTo) as [number, number, string | null, string | null, string, string, string | null, string | null][];
      for (const [id, ms, account, region, source, name, error, key] of rows) {
        this.times.set(id, ms);
        const fields = [account, region, source, name, error];
        // Keyed apart from the loader's texts (which start with 'v' or 'n'): a value may hold its separators.
        this.combo.set(id, codeOf(this.combos, `\0${JSON.stringify(fields)}`, () => this.comboFields.push(fields)));
        this.key.set(id, codeOf(this.keys, key === null ? 'n' : `v${key}`));
      }
    }
    this.loaded = upTo;
  }

  /**
   * `loadEvents` from the facet ids (rows the writer gave one); false, having set nothing, when a row has none or a
   * key holds a separator (the caller then reads the values).
   */
  private loadFacetEvents(after: number, upTo: number, given: unknown[] | null): boolean {
    const [n, msList, sidList, keyText, withSid] = (given ?? this.facetSlice!.get(after, upTo)) as [number, string | null, string | null, string | null, number];
    if (withSid !== n) return false;
    const ids = this.idsOf(after, upTo, n);
    const m = parseIntegers(sidList, this.scratch2);
    if (m !== n) return false;
    // The codes first (a new id's text read once), so that nothing is set unless all of it can be.
    for (let i = 0; i < m; i++) {
      const code = this.facetCode(this.scratch2[i]!);
      if (code < 0) return false;
      this.scratch2[i] = code;
    }
    if (!this.codes(keyText, ids, this.key, this.keys) && n > 0) return false;
    this.subject.fill(0, after + 1, upTo + 1);
    for (let i = 0; i < m; i++) this.combo.set(ids[i]!, this.scratch2[i]!);
    parseIntegers(msList, this.scratch);
    for (let i = 0; i < m; i++) this.times.set(ids[i]!, this.scratch[i]!);
    this.loaded = upTo;
    return true;
  }

  /** The combination code of a facet id (its text read and coded as the text statement's would be); -1: no such text. */
  private facetCode(sid: number): number {
    const had = this.facetCodes.get(sid);
    if (had !== undefined) return had;
    const text = Number.isSafeInteger(sid) ? (this.facetTextOf!.get(sid) as string | undefined) : undefined;
    const fields = typeof text === 'string' ? facetValues(text) : null;
    if (fields === null) return -1;
    const code = this.combos.codeAt(text!, 0, text!.length, hashOf(text!, 0, text!.length), () => this.comboFields.push(fields));
    this.facetCodes.set(sid, code);
    return code;
  }

  /** Source IP, principal ARN and user agent ids, and the eventIDs' character pairs, of rows (after, upTo]. */
  private loadSearch(after: number, upTo: number, given: { row: unknown[]; stored: boolean } | null = null): void {
    // The eventIDs are read only where the writer's summary of them does not cover the rows (they were half the time).
    const stored = given ? given.stored : this.storedCovers(upTo);
    const statement = stored ? this.searchSliceNoIds : this.searchSlice;
    const [n, ipText, arnList, uaList, idText] = (given?.row ?? statement.get(after, upTo)) as [number, string | null, string | null, string | null, string | null];
    const ids = this.idsOf(after, upTo, n);
    if (this.codes(ipText, ids, this.ip, this.ips) || n === 0) {
      this.sids(arnList, ids, this.arn, this.arnCodes);
      this.sids(uaList, ids, this.ua, this.uaCodes);
      if (idText !== null) this.ids.add(idText, 30);
    } else {
      const rows = this.db
        .prepare('SELECT id, source_ip, principal_arn_sid, user_agent_sid, event_id FROM events WHERE id > ? AND id <= ?')
        .raw(true)
        .all(after, upTo) as [number, string | null, number | null, number | null, string][];
      for (const [id, ip, arn, ua, eventId] of rows) {
        this.ip.set(id, codeOf(this.ips, ip === null ? 'n' : `v${ip}`));
        this.arn.set(id, sidCode(this.arnCodes, arn));
        this.ua.set(id, sidCode(this.uaCodes, ua));
        if (!stored) this.ids.add(eventId);
      }
    }
    this.searched = upTo;
  }

  /**
   * Codes of a `char(30)`-separated list of texts of `fields` `char(31)`-separated fields each; false (nothing
   * changed) unless it holds exactly that many separators of each kind (a value holding one is read row by row).
   */
  private codes(text: string | null, ids: Int32Array, out: Codes, dict: TextCodes, fields = 1, onNew?: (t: string) => void): boolean {
    if (text === null) return ids.length === 0;
    if (ids.length === 0 || occurrences(text, '\x1e') !== ids.length - 1) return false;
    if (fields > 1 && occurrences(text, '\x1f') !== ids.length * (fields - 1)) return false;
    let row = 0;
    let start = 0;
    let h = 0;
    const len = text.length;
    for (let i = 0; i <= len; i++) {
      const c = i < len ? text.charCodeAt(i) : 30;
      if (c !== 30) {
        h = (Math.imul(h, 31) + c) | 0;
        continue;
      }
      out.set(ids[row++]!, dict.codeAt(text, start, i, h, onNew));
      start = i + 1;
      h = 0;
    }
    return true;
  }

  private sids(list: string | null, ids: Int32Array, out: Codes, dict: Map<number, number>): void {
    const m = parseIntegers(list, this.scratch);
    for (let i = 0; i < m; i++) {
      const sid = this.scratch[i]!;
      out.set(ids[i]!, sidCode(dict, Number.isNaN(sid) ? null : sid));
    }
  }

  /** Whether the stored eventID summary covers rows up to `upTo` (merged into this copy's when it does). */
  private storedCovers(upTo: number): boolean {
    if (upTo <= this.storedThrough) return true;
    let stored: ReturnType<typeof readIdSummary> = null;
    try {
      stored = readIdSummary(this.db);
    } catch {
      return false; // (a case from before migration 0130, opened without migrating)
    }
    if (stored === null || stored.through < upTo) return false;
    this.ids.merge(stored.pairs, stored.singles);
    this.storedThrough = stored.through;
    return true;
  }

  /** Whether some eventID may hold `text` (ASCII case ignored). */
  private eventIdMayHold(text: string): boolean {
    // The loader separates ids with char(30): a text holding one is never ruled out.
    return text.includes('\x1e') || this.ids.mayHold(text);
  }

  /** The subjects of the rows of slice k (up to row `upTo`), and its checksum, in one statement. */
  private loadSubjects(k: number, upTo: number): void {
    const from = k * this.slice;
    const [n, sum, rowList, subjectList] = this.subjectSlice.get(from, upTo) as [number, number | null, string | null, string | null];
    this.subject.fill(0, from + 1, upTo + 1);
    const m = parseIntegers(rowList, this.scratch);
    parseIntegers(subjectList, this.scratch2);
    for (let i = 0; i < m; i++) {
      const s = this.scratch2[i]!;
      if (!(s >= 0 && s < 0xffffffff)) {
        this.disabled = `subject id ${s} cannot be kept`;
        return;
      }
      this.subject.set(this.scratch[i]!, s + 1);
    }
    this.sums.set(k, `${upTo}:${n}:${sum}`);
  }

  /**
   * The row ids (sorted, distinct) of the events whose table columns hold `text` as a substring, ASCII case ignored:
   * exactly what event-query.ts `searchColumnsLike` selects, with every LIKE run by SQLite over the few distinct
   * values of a column (and over the eventIDs only when the summary cannot rule them out). Null when the copy does
   * not hold every row up to `upTo` (the caller scans with SQL).
   */
  searchColumns(text: string, upTo: number): Int32Array | null {
    this.lastAsked = Date.now();
    if (!this.catchUp(upTo)) return null;
    const pattern = likePattern(text);
    const like = (values: (string | null)[]): Uint8Array => {
      const mask = new Uint8Array(values.length);
      const hits = this.db.prepare("SELECT key FROM json_each(?) WHERE value LIKE ? ESCAPE '\\'").pluck().all(JSON.stringify(values), pattern) as number[];
      for (const k of hits) mask[k] = 1;
      return mask;
    };
    const names = like(this.comboFields.map((f) => f[3] ?? null));
    const sources = like(this.comboFields.map((f) => f[2] ?? null));
    const comboMask = names.map((x, i) => x | sources[i]!);
    const keyMask = like(this.keys.values());
    const ipMask = like(this.ips.values());
    const strings = new Set(this.db.prepare("SELECT id FROM strings WHERE text LIKE ? ESCAPE '\\'").pluck().all(pattern) as number[]);
    const sidMask = (dict: Map<number, number>): Uint8Array => {
      const mask = new Uint8Array(dict.size + 1);
      for (const [sid, code] of dict) if (strings.has(sid)) mask[code] = 1;
      return mask;
    };
    const arnMask = sidMask(this.arnCodes);
    const uaMask = sidMask(this.uaCodes);
    const out = new IdList();
    // Only the columns where some value holds the text are read (most words are in one or two of them).
    const used = (
      [
        [this.combo, comboMask],
        [this.key, keyMask],
        [this.ip, ipMask],
        [this.arn, arnMask],
        [this.ua, uaMask],
      ] as const
    ).filter(([, mask]) => mask.includes(1));
    // Rows lo..hi, at i − off of `arrays` (the arrays in memory, or a spilled chunk of each).
    const scan = (arrays: ColumnArray[], off: number, lo: number, hi: number): void => {
      if (arrays.length === 1) {
        const codes = arrays[0]!;
        const mask = used[0]![1];
        for (let i = lo; i <= hi; i++) if (mask[codes[i - off]!]) out.push(i);
        return;
      }
      for (let i = lo; i <= hi; i++) {
        for (let c = 0; c < arrays.length; c++) {
          if (used[c]![1][arrays[c]![i - off]!]) {
            out.push(i);
            break;
          }
        }
      }
    };
    const n = this.searched;
    if (used.length > 0) {
      scan(used.map(([column]) => column.a), 0, 1, Math.min(n, this.memRows - 1));
      for (let k = 0; this.memRows + k * this.slice <= n; k++) {
        const off = this.memRows + k * this.slice;
        scan(used.map(([column]) => column.view(k)), off, Math.max(off, 1), Math.min(n, off + this.slice - 1));
      }
    }
    if (this.eventIdMayHold(text)) {
      for (const id of this.db.prepare("SELECT id FROM events WHERE event_id LIKE ? ESCAPE '\\'").pluck().all(pattern) as number[]) out.push(id);
      return out.sortedDistinct();
    }
    return out.toArray();
  }

  /**
   * What the filters keep, resolved against this copy; undefined when it cannot answer them (a filter it does not
   * know), null when nothing can match. `from`/`to`: the time range kept (the histogram's, or the filters').
   */
  private plan(f: EventFilters, termIds: TermIds, from: number, to: number): Plan | null | undefined {
    for (const [k, v] of Object.entries(f)) if (v !== undefined && !KNOWN.has(k)) return undefined;
    const given = (v: string | undefined): v is string => v !== undefined && v !== '';
    // Facets: a mask over the combinations, compared in JS as SQLite compares text.
    const facets: [number, string | undefined][] = [
      [0, f.account],
      [1, f.region],
      [2, f.eventSource],
      [3, f.eventName],
    ];
    let comboMask: Uint8Array | null = null;
    const wanted = facets.filter(([, v]) => given(v)).map(([i, v]) => [i, asStored(v!)] as const);
    const err = f.errorCode;
    if (wanted.length > 0 || given(err)) {
      const errWant = given(err) && err !== 'any' && err !== 'none' ? asStored(err) : null;
      comboMask = new Uint8Array(this.comboFields.length);
      let any = false;
      for (let c = 1; c < this.comboFields.length; c++) {
        const fields = this.comboFields[c]!;
        let keep = wanted.every(([i, v]) => fields[i] === v);
        if (keep && given(err)) {
          const e = fields[4] ?? null;
          keep = err === 'any' ? e !== null : err === 'none' ? e === null : e === errWant;
        }
        if (keep) {
          comboMask[c] = 1;
          any = true;
        }
      }
      if (!any) return null;
    }
    let keyCode = -1;
    if (given(f.accessKeyId)) {
      keyCode = this.keys.find(`v${asStored(f.accessKeyId)}`);
      if (keyCode < 0) return null;
    }
    // Subject-level filters: the table's own WHERE clause over `subjects`.
    let subjectMask: Uint8Array | null = null;
    const subjectFilters: EventFilters = {};
    for (const k of SUBJECT_FILTERS) if (f[k] !== undefined) (subjectFilters as Record<string, unknown>)[k] = f[k];
    const w = whereClause(subjectFilters);
    if (w.sql !== '') {
      const ids = this.db.prepare(`SELECT s.id FROM subjects s ${w.sql}`).pluck().all(...w.params) as number[];
      if (ids.length === 0) return null;
      subjectMask = new Uint8Array(Math.max(...ids) + 1);
      for (const id of ids) subjectMask[id] = 1;
    }
    // Flags, stars, tags, search terms: row id sets.
    const sets: Int32Array[] = [];
    for (const q of markedSetQueries(f)) sets.push(sortedDistinct(this.db.prepare(q.sql).pluck().all(...q.params) as number[]));
    if (f.search !== undefined && f.search.trim() !== '') sets.push(...termIds(f.search));
    if (sets.some((s) => s.length === 0)) return null;
    return { comboMask, keyCode, subjectMask, sets, from, to };
  }

  /** Call `kept(i, t)` for each row the plan keeps (row id, time), in row id order when no set drives it. */
  private each(p: Plan, kept: (i: number, t: number) => void): void {
    // Each array read as its one type (a read of either type in one place was ~20 % slower a row), and the time
    // range compared in the stored seconds: for a whole second s, base + 1000 s >= from exactly when s >= ⌈(from − base) / 1000⌉.
    const inSeconds = this.times.inSeconds();
    let seconds = inSeconds ? (this.times.a as Int32Array) : null;
    let ms = inSeconds ? null : (this.times.a as Float64Array);
    const base = this.times.base;
    let subject = this.subject.a;
    let combo = this.combo.a;
    let key = this.key.a;
    const { comboMask, keyCode, subjectMask, from, to } = p;
    const fromS = Math.ceil((from - base) / 1000);
    const toS = Math.ceil((to - base) / 1000);
    const sets = [...p.sets].sort((a, b) => a.length - b.length);
    const driver = sets.shift();
    // The other sets are walked beside the rows, which are visited in ascending order either way (a mask of the
    // case's rows per set was a byte a row: 100 MB a set at 100M events).
    const others = sets;
    const at = new Int32Array(others.length);
    // Row i is at i − off of the arrays: 0 in memory, the first row of the chunk read for the spilled rows.
    let off = 0;
    const visit = (i: number): void => {
      const j = i - off;
      const s = subject[j]! - 1;
      if (s < 0) return;
      let t: number;
      if (seconds !== null) {
        const x = seconds[j]!;
        if (!(x >= fromS && x < toS)) return;
        t = base + x * 1000;
      } else {
        t = ms![j]!;
        if (!(t >= from && t < to)) return;
      }
      if (comboMask !== null && comboMask[combo[j]!] !== 1) return;
      if (keyCode >= 0 && key[j] !== keyCode) return;
      if (subjectMask !== null && subjectMask[s] !== 1) return;
      for (let o = 0; o < others.length; o++) {
        const set = others[o]!;
        let x = at[o]!;
        while (x < set.length && set[x]! < i) x++;
        at[o] = x;
        if (set[x] !== i) return;
      }
      kept(i, t);
    };
    // The spilled chunk that holds row i (i >= memRows), read into the views (only the columns the plan reads).
    const mem = this.memRows;
    const chunk = this.slice;
    let held = -1;
    const hold = (i: number): number => {
      const k = Math.floor((i - mem) / chunk);
      if (k !== held) {
        held = k;
        off = mem + k * chunk;
        subject = this.subject.view(k);
        if (inSeconds) seconds = this.times.view(k) as Int32Array;
        else ms = this.times.view(k) as Float64Array;
        if (comboMask !== null) combo = this.combo.view(k);
        if (keyCode >= 0) key = this.key.view(k);
      }
      return off + chunk - 1;
    };
    if (driver !== undefined) {
      // (sorted: the rows in memory first)
      for (const i of driver) {
        if (i <= 0 || i > this.loaded) continue;
        if (i >= mem) hold(i);
        visit(i);
      }
    } else {
      const last = Math.min(this.loaded, mem - 1);
      for (let i = 1; i <= last; i++) visit(i);
      for (let i = Math.max(mem, 1); i <= this.loaded; ) {
        const end = Math.min(this.loaded, hold(i));
        for (; i <= end; i++) visit(i);
      }
    }
  }

  /**
   * Count the rows kept by a plan into `counts` by bucket (`bucket(ms)` as SQL computes it: CAST((ms - fromMs) /
   * bucketMs AS INTEGER), out-of-range buckets dropped), and return how many were kept.
   */
  private count(p: Plan, counts: number[] | null, fromMs: number, bucketMs: number): number {
    const buckets = counts?.length ?? 0;
    let kept = 0;
    this.each(p, (_i, t) => {
      kept++;
      if (counts !== null) {
        const b = Math.trunc((t - fromMs) / bucketMs);
        if (b >= 0 && b < buckets) counts[b]!++;
      }
    });
    return kept;
  }

  /**
   * The row ids among which a page sorted by time finds its first `k` rows: every row the filters keep whose time is
   * at or before (`desc`: at or after) the k-th kept row's, ties included. SQL ordering these (time, then eventID)
   * and taking the page then gives exactly the page of the whole filtered set, without reading every kept row (a
   * search for a common word keeps 100,000s). Sorted row ids, or null when the copy cannot answer.
   */
  firstRows(f: EventFilters, termIds: TermIds, k: number, desc: boolean): Int32Array | null {
    this.lastAsked = Date.now();
    if (!this.fresh() || k < 1) return null;
    const p = this.plan(f, termIds, f.fromMs ?? -Infinity, f.toMs ?? Infinity);
    if (p === undefined) return null;
    if (p === null) return new Int32Array(0);
    // The rows kept so far that can still be among the first k: whenever they fill the room, only those at or before
    // the k-th's time stay (ties included), so memory is bounded by k, not by the rows kept (a common word's search
    // keeps most of the case: 12 bytes a row).
    let room = Math.max(8 * k, this.firstRowsRoom);
    let ids = new Int32Array(room);
    let times = new Float64Array(room);
    let n = 0;
    let limit = desc ? -Infinity : Infinity;
    const within = (t: number) => (desc ? t >= limit : t <= limit);
    const cut = () => {
      limit = kthSmallest(times.slice(0, n), desc ? n - k : k - 1);
      let m = 0;
      for (let j = 0; j < n; j++) {
        if (within(times[j]!)) {
          ids[m] = ids[j]!;
          times[m++] = times[j]!;
        }
      }
      n = m;
    };
    this.each(p, (i, t) => {
      if (!within(t)) return;
      if (n === room) {
        cut();
        // Ties at the k-th time all stay: room for more when they fill half of it.
        if (n * 2 > room) {
          room *= 2;
          ids = grown(ids, room);
          times = grown(times, room);
        }
      }
      ids[n] = i;
      times[n++] = t;
    });
    if (n > k) cut();
    return sortedDistinct(ids.subarray(0, n));
  }

  /**
   * The histogram of the filters as countHistogram (histogram.ts) gives it from SQL, or null when the copy cannot
   * answer. `fromMs`/`toMs` are the histogram's range; `timed`: the filters give a time range (rows outside are
   * not counted; without one every row counts, in the buckets that exist).
   */
  histogram(f: EventFilters, termIds: TermIds, fromMs: number, toMs: number, bucketMs: number, buckets: number, timed: boolean): number[] | null {
    this.lastAsked = Date.now();
    if (!this.fresh()) return null;
    const counts = new Array<number>(buckets).fill(0);
    const p = this.plan(f, termIds, timed ? fromMs : -Infinity, timed ? toMs : Infinity);
    if (p === undefined) return null;
    if (p !== null) this.count(p, counts, fromMs, bucketMs);
    return counts;
  }

  /** How many events the filters keep (the table's total), or null when the copy cannot answer. */
  total(f: EventFilters, termIds: TermIds): number | null {
    this.lastAsked = Date.now();
    if (!this.fresh()) return null;
    const p = this.plan(f, termIds, f.fromMs ?? -Infinity, f.toMs ?? Infinity);
    if (p === undefined) return null;
    return p === null ? 0 : this.count(p, null, 0, 1);
  }
}

function grown<T extends Int32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/**
 * A new array of `capacity` holding the first `used` values of `a`. Only those are copied: the rest of a large typed
 * array is zero pages the system gives memory for only when they are written, so room to grow into costs nothing
 * until it is used (copying all of `a` would write them).
 */
function widened<T extends Uint16Array | Uint32Array | Int32Array | Float64Array>(
  a: Uint16Array | Uint32Array | Int32Array | Float64Array,
  capacity: number,
  used: number,
  Type: new (n: number) => T,
): T {
  const b = new Type(capacity);
  b.set(a.subarray(0, Math.min(used, capacity, a.length)));
  return b;
}

/** The value of rank `r` (0: the smallest) of `a`, which it reorders (quickselect, Hoare's partition). */
export function kthSmallest(a: Float64Array, r: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const x = a[i]!;
        a[i++] = a[j]!;
        a[j--] = x;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else return a[r]!;
  }
  return a[r]!;
}

/** The slices (after, upTo] from `from` to `to`, cut at multiples of `step`. */
function ranges(from: number, to: number, step: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = from; a < to; ) {
    const b = Math.min(to, (Math.floor(a / step) + 1) * step);
    out.push([a, b]);
    a = b;
  }
  return out;
}

function codeOf(dict: TextCodes, text: string, onNew?: (t: string) => void): number {
  return dict.codeAt(text, 0, text.length, hashOf(text, 0, text.length), onNew);
}

function sidCode(dict: Map<number, number>, sid: number | null): number {
  if (sid === null) return 0;
  let c = dict.get(sid);
  if (c === undefined) {
    c = dict.size + 1;
    dict.set(sid, c);
  }
  return c;
}

/** How many times `sep` occurs in `s`. */
function occurrences(s: string, sep: string): number {
  let n = 0;
  for (let at = s.indexOf(sep); at >= 0; at = s.indexOf(sep, at + 1)) n++;
  return n;
}

export function sortedDistinct(ids: ArrayLike<number>): Int32Array {
  const list = new IdList(ids.length);
  list.pushAll(ids);
  return list.sortedDistinct();
}

const columns = new WeakMap<Database, EventColumns>();

/** Keep the columns of this connection in memory (the reader's): they load in the background from now on. */
export function enableEventColumns(db: Database, options: ColumnOptions = {}): EventColumns {
  let c = columns.get(db);
  if (!c) {
    c = new EventColumns(db, options);
    columns.set(db, c);
    c.refresh().catch(() => {});
  }
  return c;
}

/** The columns of a connection, if it keeps them. */
export function eventColumnsOf(db: Database): EventColumns | undefined {
  return columns.get(db);
}
