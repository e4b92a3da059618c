/**
 * Incremental splitter for JSON evidence files.
 *
 * CloudTrail files are one JSON object (`{"Records":[…]}`), and decompressed trails can exceed what V8 can
 * hold as one string (~512 MiB), so a whole-file `JSON.parse` is not an option. This scanner walks the bytes
 * once, tracking only nesting depth and string state, and hands out each record's exact byte slice; each
 * slice is then parsed on its own. Memory is bounded by the largest single record, not by the file.
 *
 * Why not a streaming-JSON library: they build every value token by token in JavaScript, which is 10–20×
 * slower than V8's native `JSON.parse` on a slice, and ingest speed is a product goal (see README, Benchmark).
 *
 * Shapes it understands:
 * - a top-level object whose key in `containerKeys` holds an array (`Records`, `Events`, `items`, `events`):
 *   each array element is emitted as an element of that container;
 * - a top-level object whose key holds an object whose key holds the array, for the two-level names in
 *   `containerKeys` (`hits.hits`: Elasticsearch / OpenSearch search and scroll output): each element is emitted as an
 *   element of `hits.hits`;
 * - a top-level array: each element is emitted (container key `[]`);
 * - any other top-level object: emitted whole as a value; several top-level values in a row are JSON Lines
 *   (or concatenated JSON), each emitted with its own index.
 *
 * Record indexes run through the whole file (elements and values alike), so two records of one file never share
 * one, even when several `{"Records":[…]}` objects were concatenated.
 *
 * JSON Lines: when the first value is an object on one line, the file is read as JSON Lines, where a record
 * never spans lines. A line that is not a complete value (cut short, or not JSON at all) is handed out as it is,
 * so that it fails alone, as that record, and the next line is read afresh — one bad line costs one record,
 * not the file.
 *
 * What two JSON parsers could read differently is refused: a top-level object holding two record arrays, or
 * its record array's key twice (`JSON.parse` keeps the last one; this scanner would read the first).
 */

export interface ScanLimits {
  /** Largest single record or top-level document, in bytes. */
  maxValueBytes: number;
  /** Deepest nesting accepted (a record deeper than this is rejected, not parsed). */
  maxDepth: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxValueBytes: 64 * 1024 * 1024, maxDepth: 256 };

export interface ScanSink {
  /**
   * An element of a recognised container array. `index` is the record index (see above); `origin` the byte offset in
   * the input where the element starts; `colons` the colons outside strings in `bytes`, which is the number of keys
   * written in it when it is valid JSON (duplicate-keys.ts uses it in place of a count of its own).
   */
  element(container: string, bytes: Buffer, index: number, origin: number, colons: number): void;
  /**
   * A complete top-level value that is not a container (a JSON Lines record, a document), starting at `origin`;
   * `colons` as for `element` (undefined for a JSON Lines line handed out cut short).
   */
  value(bytes: Buffer, index: number, origin: number, colons?: number): void;
  /** A top-level object opened a container array under `key`. */
  container?(key: string): void;
}

export class ScanError extends Error {
  constructor(
    message: string,
    readonly byteOffset: number,
  ) {
    super(message);
    this.name = 'ScanError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Where the scanner is, relative to the structure it cares about. */
const enum Mode {
  /** Between top-level values. */
  TopLevel,
  /** Inside a top-level object, at depth 1, outside any container. */
  TopObject,
  /** Inside a container array (depth 2 for `{"Records":[`, depth 1 for a top-level array). */
  InContainer,
}

/** A value being collected across chunks: earlier chunks' pieces plus a start in the current chunk. */
class Collector {
  pieces: Buffer[] = [];
  size = 0;
  start = -1;
  /** Byte offset in the file where the value began (for error messages). */
  origin = 0;

  get active(): boolean {
    return this.start >= 0;
  }
  begin(at: number, origin: number): void {
    this.pieces = [];
    this.size = 0;
    this.start = at;
    this.origin = origin;
  }
  /** The current chunk ends while collecting: keep its tail. */
  carry(chunk: Buffer): void {
    if (this.start < 0) return;
    const piece = chunk.subarray(this.start);
    this.pieces.push(piece);
    this.size += piece.length;
    this.start = 0;
  }
  finish(chunk: Buffer, end: number): Buffer {
    const tail = chunk.subarray(this.start, end);
    const out = this.pieces.length === 0 ? tail : Buffer.concat([...this.pieces, tail]);
    this.pieces = [];
    this.size = 0;
    this.start = -1;
    return out;
  }
  cancel(): void {
    this.pieces = [];
    this.size = 0;
    this.start = -1;
  }
  length(at: number): number {
    return this.size + (at - this.start);
  }
}

export class JsonRecordScanner {
  private consumed = 0;
  /** Colons outside strings so far: a value's colons are the count at its end less the count at its start. */
  private colons = 0;
  private elementColons = 0;
  private topColons = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  private mode = Mode.TopLevel;
  private readonly element = new Collector();
  private readonly key = new Collector();
  private readonly top = new Collector();
  private containerKey = '';
  private containerDepth = 0;
  /** Index of the next record (element or value) handed out. */
  private recordIndex = 0;
  private topIndex = 0;
  private lastKey = '';
  private expectKey = false;
  private topObjectHasContainer = false;
  private scalarElement = false;
  /** JSON Lines: null until the first top-level value ends, then whether it was a one-line object. */
  private lines: boolean | null = null;
  private newlineInValue = false;
  /** Collecting a JSON Lines line that does not start a JSON value, up to its end. */
  private garbage = false;
  private chunk: Buffer = Buffer.alloc(0);
  /** Two-level container names (`hits.hits`): the outer key → the inner keys that hold the array. */
  private readonly nestedKeys = new Map<string, Set<string>>();
  /** Inside the object of an outer key of a two-level container (at depth 2): that key. */
  private nested: string | null = null;
  private nestedExpectKey = false;

  constructor(
    private readonly sink: ScanSink,
    private readonly containerKeys: ReadonlySet<string>,
    private readonly limits: ScanLimits = DEFAULT_SCAN_LIMITS,
  ) {
    for (const k of containerKeys) {
      const dot = k.indexOf('.');
      if (dot <= 0) continue;
      const outer = k.slice(0, dot);
      if (!this.nestedKeys.has(outer)) this.nestedKeys.set(outer, new Set());
      this.nestedKeys.get(outer)!.add(k.slice(dot + 1));
    }
  }

  /** Bytes consumed so far (for error messages). */
  get offset(): number {
    return this.consumed;
  }

  /** Whether the input is JSON Lines (its first value was an object on one line); null before the first value ends. */
  get jsonLines(): boolean | null {
    return this.lines;
  }

  /** Number of complete top-level values seen. */
  get topLevelValues(): number {
    return this.topIndex;
  }

  push(chunk: Buffer): void {
    this.chunk = chunk;
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      if (this.lines === true) {
        // JSON Lines: scan up to each newline, then see whether the line's value is complete.
        const nl = chunk.indexOf(0x0a, i);
        const end = nl === -1 ? len : nl;
        i = this.garbage ? end : this.scan(chunk, i, end, true);
        if (nl !== -1) {
          this.lineEnd(nl);
          i = nl + 1;
        }
      } else {
        i = this.scan(chunk, i, len, false);
      }
    }
    if (this.element.active && this.element.length(len) > this.limits.maxValueBytes) {
      throw new ScanError(
        `record ${this.recordIndex} (which starts at byte ${this.element.origin}) is larger than ${this.limits.maxValueBytes} bytes`,
        this.consumed + len,
      );
    }
    if (this.top.active && !this.topObjectHasContainer && this.top.length(len) > this.limits.maxValueBytes) {
      throw new ScanError(
        `a top-level JSON value is larger than ${this.limits.maxValueBytes} bytes and holds no record array`,
        this.consumed + len,
      );
    }
    this.element.carry(chunk);
    this.key.carry(chunk);
    if (!this.topObjectHasContainer) this.top.carry(chunk);
    this.consumed += len;
  }

  /** Call at end of input: throws if a value is incomplete. */
  end(): void {
    this.chunk = Buffer.alloc(0);
    if (this.lines === true && (this.garbage || this.collectingTopValue())) {
      // The last line of a JSON Lines file is cut short: that record fails, like any broken line.
      this.emitBrokenLine(0);
    }
    if (this.depth !== 0 || this.inString) {
      throw new ScanError(
        `JSON ends early${this.whereCut()}: ${this.depth} unclosed bracket(s)${this.inString ? ' inside a string' : ''}`,
        this.consumed,
      );
    }
    if (this.topIndex === 0) throw new ScanError('no JSON value found (empty file)', this.consumed);
  }

  /** Which record the input ended in, for the truncation message. */
  private whereCut(): string {
    if (this.element.active) return ` inside record ${this.recordIndex} (which starts at byte ${this.element.origin})`;
    if (this.mode === Mode.InContainer) {
      return this.recordIndex > 0 ? ` after record ${this.recordIndex - 1}, the record array not closed` : ' before the first record';
    }
    if (this.top.active) return ` inside record ${this.recordIndex} (which starts at byte ${this.top.origin})`;
    if (this.mode === Mode.TopObject && this.topObjectHasContainer) return ` after the "${this.containerKey}" array`;
    return '';
  }

  private collectingTopValue(): boolean {
    return this.mode === Mode.TopObject && !this.topObjectHasContainer && this.top.active;
  }

  /** Scan `chunk[i, end)`. Returns where it stopped: `end`, or earlier when the file turns out to be JSON Lines. */
  private scan(chunk: Buffer, i: number, end: number, lineAware: boolean): number {
    while (i < end) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          i++;
          continue;
        }
        // Most of a record's bytes are inside strings: jump to the closing quote with a native search (a quote is
        // escaped when an odd run of backslashes precedes it; none before `i` counts, `escape` being false there).
        let q = chunk.indexOf(QUOTE, i);
        while (q !== -1 && q < end && oddBackslashesBefore(chunk, q, i)) q = chunk.indexOf(QUOTE, q + 1);
        if (q === -1 || q >= end) {
          this.escape = oddBackslashesBefore(chunk, end, i); // the string goes on in the next range
          i = end;
          continue;
        }
        i = q;
        this.inString = false;
        if (this.key.active) {
          this.finishKey(chunk, i);
        } else if (this.scalarElement && this.depth === this.containerDepth) {
          this.emit(i + 1);
        }
        i++;
        continue;
      }
      const b = chunk[i]!;
      if (isSpace(b)) {
        if (b === 0x0a && this.depth > 0) this.newlineInValue = true;
        i++;
        continue;
      }
      if (b === COLON) this.colons++;
      switch (this.mode) {
        case Mode.TopLevel:
          if (this.lines === true) {
            if (!lineAware) return i; // the caller goes on line by line
            if (b !== OPEN_OBJ && b !== OPEN_ARR) {
              // Not the start of a JSON value: the rest of the line is one bad record.
              this.garbage = true;
              this.topObjectHasContainer = false;
              this.top.begin(i, this.at(i));
              return end;
            }
          }
          i = this.startTopLevel(b, i);
          break;
        case Mode.TopObject:
          i = this.stepTopObject(b, i);
          break;
        case Mode.InContainer:
          i = this.stepContainer(b, i);
          break;
      }
    }
    return i;
  }

  /** A newline in a JSON Lines file: a value still open here is cut short (JSON Lines records never span lines). */
  private lineEnd(nl: number): void {
    if (this.garbage || this.collectingTopValue()) {
      this.emitBrokenLine(nl);
      return;
    }
    if (this.depth !== 0 || this.inString) {
      throw new ScanError(`JSON Lines: a line ends inside a record array${this.whereCut()}`, this.at(nl));
    }
  }

  /** Hand out the line collected so far as a value of its own (it fails to parse, as that record) and start afresh. */
  private emitBrokenLine(end: number): void {
    const origin = this.top.origin;
    const bytes = this.top.finish(this.chunk, end);
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.garbage = false;
    this.key.cancel();
    this.expectKey = false;
    this.mode = Mode.TopLevel;
    this.nested = null;
    this.topIndex++;
    this.sink.value(bytes, this.recordIndex++, origin);
  }

  /** A key of the top-level object has been read. */
  private finishKey(chunk: Buffer, i: number): void {
    let key = this.key.finish(chunk, i).toString('utf8', 1);
    // `"Rec\u006frds"` is `Records` to JSON.parse: compare keys as a JSON parser reads them.
    if (key.includes('\\')) {
      try {
        key = JSON.parse(`"${key}"`) as string;
      } catch {
        // not a valid JSON string: the record it belongs to will fail to parse
      }
    }
    // The key that holds the file's records, seen again at its level: `{"Records":[…],"Records":[…]}`, or for a
    // two-level container `{"hits":{"hits":[…]},"hits":…}` / `{"hits":{"hits":[…],"hits":[…]}}`.
    const [outer, inner] = this.containerKey.split('.');
    const again = this.depth === 1 ? key === outer : this.nested !== null && this.depth === 2 && inner !== undefined && key === inner;
    if (this.topObjectHasContainer && again) {
      throw new ScanError(
        `duplicate key ${JSON.stringify(key)} in the top-level object: JSON parsers disagree on which one holds the file's records`,
        this.at(i),
      );
    }
    this.lastKey = key;
  }

  private at(i: number): number {
    return this.consumed + i;
  }

  private open(i: number): void {
    this.depth++;
    if (this.depth > this.limits.maxDepth) {
      throw new ScanError(`JSON nested deeper than ${this.limits.maxDepth} levels`, this.at(i));
    }
  }

  private close(i: number, b: number): void {
    if (this.depth === 0) throw new ScanError(`unexpected '${String.fromCharCode(b)}'`, this.at(i));
    this.depth--;
  }

  private startTopLevel(b: number, i: number): number {
    if (b === OPEN_OBJ) {
      this.open(i);
      this.mode = Mode.TopObject;
      this.expectKey = true;
      this.nested = null;
      this.topObjectHasContainer = false;
      this.newlineInValue = false;
      this.top.begin(i, this.at(i));
      this.topColons = this.colons;
      return i + 1;
    }
    if (b === OPEN_ARR) {
      this.open(i);
      this.enterContainer('[]', 1);
      return i + 1;
    }
    if (b === 0xef && this.at(i) === 0 && this.chunk[i + 1] === 0xbb && this.chunk[i + 2] === 0xbf) return i + 3; // BOM
    throw new ScanError(`expected '{' or '[' but found ${describeByte(b)}`, this.at(i));
  }

  private enterContainer(key: string, depth: number): void {
    this.mode = Mode.InContainer;
    this.containerKey = key;
    this.containerDepth = depth;
    this.sink.container?.(key);
  }

  private stepTopObject(b: number, i: number): number {
    if (this.depth === 1) {
      switch (b) {
        case QUOTE:
          this.inString = true;
          if (this.expectKey) this.key.begin(i, this.at(i));
          return i + 1;
        case COLON:
          this.expectKey = false;
          return i + 1;
        case COMMA:
          this.expectKey = true;
          return i + 1;
        case CLOSE_OBJ:
          this.close(i, b);
          this.finishTopValue(i + 1);
          return i + 1;
        case OPEN_ARR:
          this.open(i);
          if (!this.expectKey && this.containerKeys.has(this.lastKey)) {
            if (this.topObjectHasContainer) {
              throw new ScanError(
                `a second record array ("${this.lastKey}" after "${this.containerKey}") in one top-level object: JSON parsers disagree on which holds the file's records`,
                this.at(i),
              );
            }
            this.topObjectHasContainer = true;
            this.top.cancel();
            this.enterContainer(this.lastKey, 2);
          }
          return i + 1;
        case OPEN_OBJ:
          this.open(i);
          if (!this.expectKey && this.nestedKeys.has(this.lastKey)) {
            this.nested = this.lastKey;
            this.nestedExpectKey = true;
          }
          return i + 1;
        default:
          return i + 1; // characters of a scalar member value
      }
    }
    if (this.nested !== null && this.depth === 2) return this.stepNestedObject(b, i);
    if (b === QUOTE) this.inString = true;
    else if (b === OPEN_OBJ || b === OPEN_ARR) this.open(i);
    else if (b === CLOSE_OBJ || b === CLOSE_ARR) this.close(i, b);
    return i + 1;
  }

  /** Inside the object of a two-level container's outer key (`{"hits":{` …): its keys are read for the inner one. */
  private stepNestedObject(b: number, i: number): number {
    switch (b) {
      case QUOTE:
        this.inString = true;
        if (this.nestedExpectKey) this.key.begin(i, this.at(i));
        return i + 1;
      case COLON:
        this.nestedExpectKey = false;
        return i + 1;
      case COMMA:
        this.nestedExpectKey = true;
        return i + 1;
      case CLOSE_OBJ:
      case CLOSE_ARR:
        this.close(i, b);
        this.nested = null;
        return i + 1;
      case OPEN_ARR: {
        this.open(i);
        const inner = this.nestedKeys.get(this.nested!)!;
        if (!this.nestedExpectKey && inner.has(this.lastKey)) {
          const key = `${this.nested}.${this.lastKey}`;
          if (this.topObjectHasContainer) {
            throw new ScanError(
              `a second record array ("${key}" after "${this.containerKey}") in one top-level object: JSON parsers disagree on which holds the file's records`,
              this.at(i),
            );
          }
          this.topObjectHasContainer = true;
          this.top.cancel();
          this.enterContainer(key, 3);
        }
        return i + 1;
      }
      case OPEN_OBJ:
        this.open(i);
        return i + 1;
      default:
        return i + 1;
    }
  }

  private stepContainer(b: number, i: number): number {
    const d = this.containerDepth;
    if (this.depth === d && !this.element.active) {
      if (b === COMMA) return i + 1;
      if (b === CLOSE_ARR) {
        this.close(i, b);
        if (d === 1) this.finishTopValue(i + 1);
        else {
          // Back in the top-level object (depth 1), or in a two-level container's outer object (depth 2).
          this.mode = Mode.TopObject;
          this.expectKey = false;
          this.nestedExpectKey = false;
        }
        return i + 1;
      }
      this.element.begin(i, this.at(i));
      this.elementColons = this.colons;
      if (b === OPEN_OBJ || b === OPEN_ARR) {
        this.open(i);
        return i + 1;
      }
      this.scalarElement = true; // strings end at their closing quote, others at the next ',' or ']'
      if (b === QUOTE) this.inString = true;
      return i + 1;
    }
    if (this.scalarElement) {
      if (b === COMMA || b === CLOSE_ARR) {
        this.emit(i);
        return i; // the delimiter is read again, between elements
      }
      return i + 1;
    }
    if (b === QUOTE) this.inString = true;
    else if (b === OPEN_OBJ || b === OPEN_ARR) this.open(i);
    else if (b === CLOSE_OBJ || b === CLOSE_ARR) {
      this.close(i, b);
      if (this.depth === d) this.emit(i + 1);
    }
    return i + 1;
  }

  private emit(end: number): void {
    let bytes = this.element.finish(this.chunk, end);
    if (this.scalarElement) {
      let n = bytes.length;
      while (n > 0 && isSpace(bytes[n - 1]!)) n--;
      bytes = bytes.subarray(0, n);
    }
    if (bytes.length > this.limits.maxValueBytes) {
      throw new ScanError(
        `record ${this.recordIndex} (which starts at byte ${this.element.origin}) is larger than ${this.limits.maxValueBytes} bytes`,
        this.consumed + end,
      );
    }
    this.scalarElement = false;
    this.sink.element(this.containerKey, bytes, this.recordIndex++, this.element.origin, this.colons - this.elementColons);
  }

  private finishTopValue(end: number): void {
    const plainObject = this.mode === Mode.TopObject && !this.topObjectHasContainer;
    // The first value decides: one object on one line makes the file JSON Lines.
    if (this.lines === null) this.lines = plainObject && !this.newlineInValue;
    if (plainObject) {
      const origin = this.top.origin;
      this.sink.value(this.top.finish(this.chunk, end), this.recordIndex++, origin, this.colons - this.topColons);
    }
    this.top.cancel();
    this.topIndex++;
    this.mode = Mode.TopLevel;
  }
}

function describeByte(b: number): string {
  if (b >= 0x20 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** Whether the bytes just before `at` (not before `from`) are an odd run of backslashes. */
function oddBackslashesBefore(chunk: Buffer, at: number, from: number): boolean {
  let n = 0;
  for (let k = at - 1; k >= from && chunk[k] === BACKSLASH; k--) n++;
  return n % 2 === 1;
}
