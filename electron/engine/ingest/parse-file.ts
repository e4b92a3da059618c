/**
 * One evidence file → hashes, detected format, normalised rows, documents and per-record errors.
 * Runs inside a parse worker (see worker.ts); pure of any database access so it is tested directly.
 *
 * Format is detected from content, never from the name alone: gzip by its magic bytes, then the JSON
 * shape (`{"Records":[…]}` trail file, `{"Events":[…]}` lookup-events export, JSON Lines, a bare array,
 * a digest, an `aws eks describe-cluster` document, CloudTrail shipped through a SIEM — see siem.ts).
 *
 * What the reader had to assume is said in the file's `notes` (ingest summary, custody log): times without a zone
 * read as UTC, a SIEM's `@timestamp` taken for a missing `eventTime`, records rebuilt from Splunk's fields, and
 * records read from data appended after a gzip file's first member.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { JsonRecordScanner, ScanError, type ScanLimits, DEFAULT_SCAN_LIMITS } from './scanner';
import { fastRecordRow, trailRecords, trailRow } from './record-fields';
import { describeKeys, describeValue, normalizeRecord, recordKind, RecordError, type EventRow, type RecordText } from './normalize';
import { getStr, obj, str } from '../util/json';
import { isLogstashRecord, looksLikeCloudTrail, unwrapSiem, type SiemFormat, type SiemShape } from './siem';
import { AuditRecordError, inventoryKind, isAuditEvent, normalizeAudit, stripTimestampPrefix, type AuditRow, type InventoryKind } from './k8s-normalize';
import { GzipMemberProbe } from './gzip-members';
import { readWholeFile, type WholeFile } from './whole-file';
import { integrityDocumentKind, type IntegrityDocumentKind } from '../integrity/documents';

export type EvidenceFormat =
  | 'cloudtrail-log'
  | 'cloudtrail-insight'
  | 'lookup-events'
  | 'jsonl'
  | 'json'
  | 'json-concatenated'
  | 'json-array'
  | 'cloudtrail-digest'
  | 'eks-describe-cluster'
  | 'k8s-audit'
  | 'cloudwatch-logs'
  | 'cloudwatch-export'
  | 'k8s-list'
  | 'ec2-describe-instances'
  | 'eks-pod-identity-associations'
  | SiemFormat
  | IntegrityDocumentKind
  | 'unknown';

export type DocumentKind = 'cloudtrail-digest' | 'eks-describe-cluster' | InventoryKind | IntegrityDocumentKind;

export interface ParsedDocument {
  kind: DocumentKind;
  raw: string;
}

export interface RecordFailure {
  recordIndex: number;
  message: string;
}

export interface ParseLimits extends ScanLimits {
  /** Cap on decompressed bytes of one gzip file (defends against gzip bombs). */
  maxDecompressedBytes: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  ...DEFAULT_SCAN_LIMITS,
  maxDecompressedBytes: 4 * 1024 * 1024 * 1024,
};

export interface ParseSink {
  /** A batch of rows; `last` marks the file's final batch (the caller need not wait for it to be written). */
  rows(rows: EventRow[], last: boolean): Promise<void>;
  /** A batch of Kubernetes audit events (always followed by more rows or the end of the file). */
  audits?(rows: AuditRow[]): Promise<void>;
}

export interface ParseResult {
  size: number;
  /** Bytes after decompression (equals `size` for uncompressed files). */
  decompressedSize: number;
  sha256: string;
  sha256Decompressed: string | null;
  compression: 'gzip' | null;
  /** gzip: bytes after the end of the first member (0 = none; null = not gzip or not determined). See gzip-members.ts. */
  gzipTrailingBytes: number | null;
  /** gzip with data after its first member: SHA-256 of the first member's decompressed bytes alone. */
  sha256FirstMember: string | null;
  format: EvidenceFormat;
  records: number;
  /** Kubernetes audit events read. */
  audits: number;
  insights: number;
  documents: ParsedDocument[];
  failures: RecordFailure[];
  /** What was assumed or found while reading that the examiner must know (one sentence each, naming records). */
  notes: string[];
}

/** A whole-file failure: the file could not be read as evidence (not gzip, truncated, not JSON, …). */
export class EvidenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvidenceError';
  }
}

/**
 * Arrays whose elements are records: trail files, lookup-events, CloudWatch Logs output, kubectl lists, AWS CLI lists,
 * Elasticsearch / OpenSearch search output (`hits.hits`, two levels down) and Splunk's `results`.
 */
const CONTAINER_KEYS = new Set(['Records', 'Events', 'events', 'items', 'Reservations', 'associations', 'hits.hits', 'results']);
const CONTAINER_FORMATS: Record<string, EvidenceFormat> = {
  'hits.hits': 'elasticsearch-search',
  results: 'splunk-export',
  Records: 'cloudtrail-log',
  Events: 'lookup-events',
  events: 'cloudwatch-logs',
  items: 'k8s-list',
  Reservations: 'ec2-describe-instances',
  associations: 'eks-pod-identity-associations',
};
const BATCH = 2000;
/** The size of the chunks the scanner is given (gunzip's output chunks; a file read whole is cut the same way). */
const WHOLE_CHUNK = 256 * 1024;

export type ByteSource = { path: string } | { bytes: Buffer };

function openSource(source: ByteSource): Readable {
  if ('path' in source) return createReadStream(source.path, { highWaterMark: 1024 * 1024 });
  return Readable.from([source.bytes]);
}

async function startsWithGzipMagic(source: ByteSource): Promise<boolean> {
  if ('bytes' in source) return source.bytes.length >= 2 && source.bytes[0] === 0x1f && source.bytes[1] === 0x8b;
  const fh = await open(source.path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** A pass-through that hashes (and optionally caps) what flows through it. */
function hashTap(hash: Hash, cap: number | null, onCap: () => Error): Transform & { bytes(): number } {
  let total = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      if (cap !== null && total > cap) return cb(onCap());
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  return Object.assign(tap, { bytes: () => total });
}

export async function parseEvidence(
  source: ByteSource,
  sink: ParseSink,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Promise<ParseResult> {
  const state = new FileState(sink, limits.maxDepth);
  const scanner = new JsonRecordScanner(state, CONTAINER_KEYS, limits);
  const rawHash = createHash('sha256');
  const decompressedHash = createHash('sha256');
  let size = 0;
  let compression: 'gzip' | null = null;
  let decompressedTap: (Transform & { bytes(): number }) | null = null;
  let probe: GzipMemberProbe | null = null;
  const lineMode: { reader: LineReader | null } = { reader: null };

  let whole: WholeFile | null = null;
  /** The file's records were read without the scanner (`trailRows`). */
  let read = false;

  try {
    // The consumer's own error (not JSON, a limit) is the one to report, not the abort it causes upstream.
    let consumeError: unknown = null;
    let decided = false;
    const feed = async (chunk: Buffer): Promise<void> => {
      // CloudWatch Logs exports to S3 prefix every line with a timestamp: not JSON, read line by line.
      if (!decided) {
        decided = true;
        if (startsWithTimestampLine(chunk)) {
          lineMode.reader = new LineReader((line, i, origin) => state.exportLine(line, i, origin));
          state.setLineFormat();
        }
      }
      if (lineMode.reader) lineMode.reader.push(chunk);
      else scanner.push(chunk);
      await state.flushIfFull();
    };
    whole = await readWholeFile(source, limits.maxDecompressedBytes);
    if (whole) {
      // A small file, one gzip member at most (whole-file.ts): its text in the chunks gunzip would give.
      size = whole.size;
      compression = whole.compression;
      // A CloudTrail file whose records are all JSON the WebAssembly walk reads: read from its bytes, each record
      // but one that is not the plain case (then as the scanner would hand it over), without the scanner.
      const trail = trailRecords(whole.data, limits);
      if (trail) {
        state.container('Records');
        for (let i = 0; i < trail.count; i++) {
          const row = trailRow(whole.data, trail, i);
          if (row) state.accept(row);
          else state.element('Records', whole.data.subarray(trail.bounds[i * 2], trail.bounds[i * 2 + 1]), i, trail.bounds[i * 2]);
          await state.flushIfFull();
        }
        read = true;
      } else for (let at = 0; at < whole.data.length; at += WHOLE_CHUNK) await feed(whole.data.subarray(at, at + WHOLE_CHUNK));
    } else {
      compression = (await startsWithGzipMagic(source)) ? 'gzip' : null;
      const stages: (Readable | Transform)[] = [
        openSource(source),
        new Transform({
          transform(chunk: Buffer, _enc, cb) {
            size += chunk.length;
            rawHash.update(chunk);
            cb(null, chunk);
          },
        }),
      ];
      if (compression === 'gzip') {
        decompressedTap = hashTap(decompressedHash, limits.maxDecompressedBytes, () =>
          new EvidenceError(
            `decompressed size exceeds the ${limits.maxDecompressedBytes}-byte cap (gzip bomb or oversized file)`,
          ),
        );
        probe = new GzipMemberProbe();
        const p = probe;
        state.trackAppended(() => p.firstMemberProgress());
        stages.push(probe, createGunzip({ chunkSize: WHOLE_CHUNK }), decompressedTap);
      }
      const consume = async function (chunks: AsyncIterable<Buffer>): Promise<void> {
        try {
          for await (const chunk of chunks) await feed(chunk);
        } catch (err) {
          consumeError = err;
          throw err;
        }
      };
      try {
        // pipeline's typings do not cover a variable-length stage list; the runtime accepts it.
        await (pipeline as unknown as (...stages: unknown[]) => Promise<void>)(...stages, consume);
      } catch (err) {
        throw consumeError ?? err;
      }
    }
    if (size === 0) throw new EvidenceError('empty file');
    if (lineMode.reader) lineMode.reader.end();
    else if (!read) scanner.end();
    // One JSON record on several lines (pretty-printed) is not JSON Lines.
    if (state.format === 'jsonl' && scanner.jsonLines === false) state.format = scanner.topLevelValues === 1 ? 'json' : 'json-concatenated';
    await state.flushAudits();
    await state.flush(true);
  } catch (err) {
    throw toEvidenceError(err, compression);
  }
  // A file read whole is one gzip member with nothing after it (whole-file.ts), as the probe would have found.
  const members = whole?.compression === 'gzip' ? { trailingBytes: 0 } : (probe?.result() ?? null);
  // Rare (appended data): read the file again for the hash of the first member alone.
  const sha256FirstMember = members?.trailingBytes ? await firstMemberSha256(source) : null;
  const notes = state.notes(members?.trailingBytes ?? null, probe?.firstMemberLength() ?? null);

  return {
    size,
    decompressedSize: whole ? whole.data.length : decompressedTap ? decompressedTap.bytes() : size,
    sha256: whole ? whole.sha256 : rawHash.digest('hex'),
    sha256Decompressed: whole ? whole.sha256Decompressed : compression === 'gzip' ? decompressedHash.digest('hex') : null,
    compression,
    gzipTrailingBytes: members?.trailingBytes ?? null,
    sha256FirstMember,
    format: state.format,
    records: state.records,
    audits: state.audits,
    insights: state.insights,
    documents: state.documents,
    failures: state.failures,
    notes,
  };
}

async function firstMemberSha256(source: ByteSource): Promise<string | null> {
  const probe = new GzipMemberProbe({ hashFirstMember: true });
  await pipeline(openSource(source), probe, async function (chunks: AsyncIterable<Buffer>) {
    for await (const _ of chunks) {
      // drained: only the probe's own inflater matters
    }
  });
  return probe.result().firstMemberSha256;
}

function toEvidenceError(err: unknown, compression: 'gzip' | null): EvidenceError {
  if (err instanceof EvidenceError) return err;
  if (err instanceof ScanError) return new EvidenceError(`not valid JSON at byte ${err.byteOffset}: ${err.message}`);
  const e = err as NodeJS.ErrnoException;
  if (compression === 'gzip' && typeof e.code === 'string' && e.code.startsWith('Z_')) {
    if (e.code === 'Z_BUF_ERROR') return new EvidenceError('truncated gzip: the compressed data ends early');
    return new EvidenceError(`corrupt gzip data (${e.message})`);
  }
  if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') return new EvidenceError(`cannot read: ${e.message}`);
  return new EvidenceError(e.message ?? String(err));
}

/** Where a note's example came from: the first record of its kind. */
interface Tally {
  count: number;
  example: string;
  index: number;
}

/** The formats of Kubernetes audit files: a value that is neither kind there is spoken of as an audit file's line. */
const AUDIT_FORMATS = new Set<EvidenceFormat>(['k8s-audit', 'cloudwatch-logs', 'cloudwatch-export']);

/** Accumulates what the scanner finds in one file and classifies each value. */
class FileState {
  format: EvidenceFormat = 'unknown';
  records = 0;
  insights = 0;
  documents: ParsedDocument[] = [];
  failures: RecordFailure[] = [];
  private pending: EventRow[] = [];
  private pendingAudits: AuditRow[] = [];
  audits = 0;
  private topValues = 0;
  /** The previous line was an Elasticsearch bulk `update` action: this one is its partial document. */
  private afterBulkUpdate = false;
  private readonly tallies = new Map<'zoneless' | '@timestamp' | 'audit-zoneless' | 'splunk-rebuilt', Tally>();
  /** gzip: how far the first member is known to reach (records ending after its end came from appended data). */
  private firstMember: (() => { output: number; done: boolean; failed: boolean }) | null = null;
  /**
   * Records not yet judged, as [index, end, index, end, …] from `unjudgedHead` on: those ending beyond what the probe
   * had decompressed of the first member when they were read. Kept short: the probe reads ahead of the parser, and
   * entries it has since passed are dropped.
   */
  private unjudged: number[] = [];
  private unjudgedHead = 0;
  private readonly appended: number[] = [];
  private appendedCount = 0;

  constructor(
    private readonly sink: ParseSink,
    private readonly maxDepth: number,
  ) {}

  container(key: string): void {
    if (this.format !== 'unknown') return;
    this.format = CONTAINER_FORMATS[key] ?? 'json-array';
  }

  /** gzip files: note every record that ends after the first member (data appended to what CloudTrail wrote). */
  trackAppended(progress: () => { output: number; done: boolean; failed: boolean }): void {
    this.firstMember = progress;
  }

  private span(index: number, origin: number, length: number): void {
    if (!this.firstMember) return;
    const end = origin + length;
    const p = this.firstMember();
    if (p.failed) {
      // The first member's end will never be known: say so at the end rather than keep every record.
      this.unjudged = [];
      this.unjudgedHead = 0;
      return;
    }
    if (p.done) {
      if (this.unjudgedHead < this.unjudged.length) this.judge(p.output);
      if (end > p.output) this.markAppended(index);
      return;
    }
    // Drop what the probe has passed since: inside the first member.
    while (this.unjudgedHead < this.unjudged.length && this.unjudged[this.unjudgedHead + 1]! <= p.output) this.unjudgedHead += 2;
    if (this.unjudgedHead > 4096 && this.unjudgedHead * 2 > this.unjudged.length) {
      this.unjudged = this.unjudged.slice(this.unjudgedHead);
      this.unjudgedHead = 0;
    }
    if (end > p.output) this.unjudged.push(index, end);
  }

  private judge(first: number): void {
    for (let i = this.unjudgedHead; i < this.unjudged.length; i += 2) if (this.unjudged[i + 1]! > first) this.markAppended(this.unjudged[i]!);
    this.unjudged = [];
    this.unjudgedHead = 0;
  }

  private markAppended(index: number): void {
    this.appendedCount++;
    if (this.appended.length < 20) this.appended.push(index);
  }

  element(container: string, bytes: Buffer, index: number, origin = 0, colons?: number): void {
    this.span(index, origin, bytes.length);
    const text = decode(bytes, index, this.failures);
    if (text === null) return;
    if (container === 'Records') {
      // A trail's record, read from its bytes when it is the plain case (record-fields.ts); else parsed below.
      const row = fastRecordRow(bytes, text, index);
      if (row) {
        this.accept(row);
        return;
      }
    }
    const value = parseJson(text, index, this.failures);
    if (value === undefined) return;
    // A bare array can hold lookup-events entries too (`aws cloudtrail lookup-events --query Events`).
    if (container === 'Events' || isLookupEntry(value)) this.lookupEvent(value, index);
    else if (container === 'events') this.logMessage(value, index);
    else if (container === 'hits.hits' || container === 'results') {
      const shape = unwrapSiem(value, text, container === 'hits.hits' ? { inHits: true } : { inResults: true });
      if (shape) this.siem(shape, index);
      else this.failures.push({ recordIndex: index, message: `not an Elasticsearch hit (expected "_index", "_id" and "_source"); found ${describeValue(value)}` });
    } else if (isAuditEvent(value)) this.audit(value, text, index, colons);
    else if (container !== 'Records' && container !== '[]') this.inventory(container, value, text, index);
    else {
      // A bare array of Elasticsearch hits or Splunk results (never inside a trail file's Records).
      const shape = container === '[]' && !looksLikeCloudTrail(obj(value)) ? unwrapSiem(value, text) : null;
      if (shape) this.siem(shape, index);
      else this.record(value, text, index, { parsed: true, bytes, keys: colons });
    }
  }

  /** A record's row, read from its bytes (record-fields.ts). */
  accept(row: EventRow): void {
    this.pending.push(row);
    this.records++;
  }

  value(bytes: Buffer, index: number, origin = 0, colons?: number): void {
    this.topValues++;
    this.span(index, origin, bytes.length);
    const text = decode(bytes, index, this.failures);
    if (text === null) return;
    // A JSON Lines record (or a file of one record), read from its bytes when it is the plain case (record-fields.ts
    // sends anything that may be other evidence below); else parsed below.
    const row = fastRecordRow(bytes, text, index);
    if (row) {
      this.afterBulkUpdate = false;
      this.setFormat('jsonl');
      this.accept(row);
      return;
    }
    const value = parseJson(text, index, this.failures);
    if (value === undefined) return;
    const afterUpdate = this.afterBulkUpdate;
    this.afterBulkUpdate = false;
    const o = obj(value);
    if (o && 'digestStartTime' in o && 'logFiles' in o) {
      this.setFormat('cloudtrail-digest');
      this.documents.push({ kind: 'cloudtrail-digest', raw: text });
      return;
    }
    // `aws cloudtrail list-public-keys` and `aws s3api head-object` output for a digest (its signature metadata).
    const integrityKind = integrityDocumentKind(o);
    if (integrityKind) {
      this.setFormat(integrityKind);
      this.documents.push({ kind: integrityKind, raw: text });
      return;
    }
    const cluster = obj(o?.cluster);
    if (cluster && (str(cluster.arn) || obj(cluster.identity))) {
      this.setFormat('eks-describe-cluster');
      this.documents.push({ kind: 'eks-describe-cluster', raw: text });
      return;
    }
    if (isAuditEvent(value)) {
      this.setFormat('k8s-audit');
      this.audit(value, text, index, colons);
      return;
    }
    if (o && typeof o.CloudTrailEvent === 'string') {
      this.setFormat('jsonl');
      this.lookupEvent(value, index);
      return;
    }
    if (o && ('eventVersion' in o || 'eventName' in o || 'eventID' in o)) {
      // Logstash events carry their `@timestamp`/`@version` beside the CloudTrail fields.
      this.setFormat(isLogstashRecord(o) ? 'logstash' : 'jsonl');
      this.record(value, text, index, { parsed: true, bytes, keys: colons });
      return;
    }
    const shape = unwrapSiem(value, text, { afterUpdate });
    if (shape) {
      this.siem(shape, index);
      return;
    }
    const found = o ? `an object with ${describeKeys(o)}` : describeValue(value);
    const message = AUDIT_FORMATS.has(this.format)
      ? `not a Kubernetes audit event (expected "apiVersion": "audit.k8s.io/v1" with "auditID", "verb" and "stageTimestamp") nor a CloudTrail record; found ${found}`
      : `not a recognised evidence shape (expected a CloudTrail record, {"Records":[…]}, lookup-events {"Events":[…]}, a Kubernetes audit event, an Elasticsearch/OpenSearch hit or bulk line, a Splunk result, a digest or describe-cluster output); found ${found}`;
    this.failures.push({ recordIndex: index, message });
  }

  /** A CloudTrail record inside a SIEM's wrapper (siem.ts), a bulk action line, or why the wrapper is refused. */
  private siem(shape: SiemShape, index: number): void {
    this.setFormat(shape.format);
    if (shape.kind === 'action') {
      this.afterBulkUpdate = shape.action === 'update';
      return;
    }
    if (shape.kind === 'error') {
      this.failures.push({ recordIndex: index, message: shape.message });
      return;
    }
    // Text that was a JSON string in the export (`_raw`, `event.original`) escaped the scanner's nesting limit.
    if (nestedDeeperThan(shape.raw, this.maxDepth)) {
      this.failures.push({ recordIndex: index, message: `${shape.via}: JSON nested deeper than ${this.maxDepth} levels` });
      return;
    }
    if (shape.rebuilt) this.tally('splunk-rebuilt', shape.via, index);
    this.record(shape.record, shape.raw, index, { parsed: false });
  }

  private tally(kind: 'zoneless' | '@timestamp' | 'audit-zoneless' | 'splunk-rebuilt', example: string, index: number): void {
    const t = this.tallies.get(kind);
    if (t) t.count++;
    else this.tallies.set(kind, { count: 1, example, index });
  }

  /** `aws logs filter-log-events` / `get-log-events`: the message is the audit event (or CloudTrail record) as text. */
  private logMessage(value: unknown, index: number): void {
    const message = str(obj(value)?.message);
    if (message === undefined) {
      this.failures.push({ recordIndex: index, message: `log event without a message string (expected "message" holding a Kubernetes audit event or a CloudTrail record); found ${describeValue(value)}` });
      return;
    }
    this.textRecord(message, index);
  }

  /** A CloudWatch Logs export line: `<timestamp> <JSON>`. */
  exportLine(line: Buffer, index: number, origin = 0): void {
    this.span(index, origin, line.length);
    const text = decode(line, index, this.failures);
    if (text === null) return;
    const json = stripTimestampPrefix(text);
    if (json === null) {
      this.failures.push({ recordIndex: index, message: `line is not "<timestamp> <JSON>" (a CloudWatch Logs export line); found ${JSON.stringify(text.slice(0, 64))}` });
      return;
    }
    this.textRecord(json, index);
  }

  setLineFormat(): void {
    this.setFormat('cloudwatch-export');
  }

  /** One JSON text that is either an audit event or a CloudTrail record (CloudWatch messages, export lines). */
  private textRecord(text: string, index: number): void {
    const inner = parseJson(text, index, this.failures);
    if (inner === undefined) return;
    if (isAuditEvent(inner)) this.audit(inner, text, index);
    else if (looksLikeCloudTrail(obj(inner)) || 'eventTime' in (obj(inner) ?? {})) this.record(inner, text, index);
    else {
      const o = obj(inner);
      this.failures.push({
        recordIndex: index,
        message: `neither a Kubernetes audit event (expected "apiVersion": "audit.k8s.io/v1" with "auditID", "verb" and "stageTimestamp") nor a CloudTrail record (expected "eventTime", "eventSource", "eventName"); found ${o ? `an object with ${describeKeys(o)}` : describeValue(inner)}`,
      });
    }
  }

  private audit(value: unknown, raw: string, index: number, keys?: number): void {
    try {
      const row = normalizeAudit(value, raw, index, keys);
      this.pendingAudits.push(row);
      this.audits++;
      if (row.zoneless) this.tally('audit-zoneless', getStr(value, 'stageTimestamp') ?? getStr(value, 'requestReceivedTimestamp') ?? '', index);
    } catch (err) {
      if (err instanceof AuditRecordError) this.failures.push({ recordIndex: index, message: err.message });
      else throw err;
    }
  }

  private inventory(container: string, value: unknown, text: string, index: number): void {
    const kind = inventoryKind(container, value);
    if (kind) this.documents.push({ kind, raw: text });
    else this.failures.push({ recordIndex: index, message: `not a recognised ${container} element; found ${describeValue(value)}` });
  }

  private setFormat(f: EvidenceFormat): void {
    if (this.format === 'unknown') this.format = f;
  }

  /** `aws cloudtrail lookup-events`: the record is the JSON string in `CloudTrailEvent`; its outer
   * `EventTime` is rendered in the analyst's local time zone, so the inner `eventTime` is the one used. */
  private lookupEvent(value: unknown, index: number): void {
    const inner = str(obj(value)?.CloudTrailEvent);
    if (inner === undefined) {
      this.failures.push({ recordIndex: index, message: `lookup-events entry without a CloudTrailEvent string; found ${describeValue(value)}` });
      return;
    }
    // The inner string escaped the scanner's nesting limit: apply it here, before anything walks the record
    // recursively (the writer's canonical comparison, the chain rules).
    if (nestedDeeperThan(inner, this.maxDepth)) {
      this.failures.push({ recordIndex: index, message: `CloudTrailEvent: JSON nested deeper than ${this.maxDepth} levels` });
      return;
    }
    const parsed = parseJson(inner, index, this.failures);
    if (parsed === undefined) return;
    this.record(parsed, inner, index);
  }

  /** `from`: what is known of `raw` besides the text (normalize.ts `RecordText`); by default `value` is its parse. */
  private record(value: unknown, raw: string, index: number, from: RecordText = { parsed: true }): void {
    if (recordKind(value) === 'insight') {
      this.insights++;
      if (this.format === 'cloudtrail-log' || this.format === 'unknown') this.format = 'cloudtrail-insight';
      return;
    }
    try {
      const row = normalizeRecord(value, raw, index, from);
      this.pending.push(row);
      this.records++;
      if (row.timeSource === 'zoneless') this.tally('zoneless', getStr(value, 'eventTime') ?? '', index);
      else if (row.timeSource) this.tally('@timestamp', getStr(value, '@timestamp') ?? '', index);
    } catch (err) {
      if (err instanceof RecordError) this.failures.push({ recordIndex: index, message: err.message });
      else throw err;
    }
  }

  /** The file's notes: what was assumed while reading it, and what was read from data appended to a gzip member. */
  notes(trailingBytes: number | null, firstMemberLength: number | null): string[] {
    const out: string[] = [];
    const eg = (t: Tally) => `e.g. ${JSON.stringify(t.example.slice(0, 64))}, record ${t.index}`;
    const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
    const zoneless = this.tallies.get('zoneless');
    if (zoneless) {
      out.push(`${n(zoneless.count, 'record has', 'records have')} an eventTime without a time zone (${eg(zoneless)}): read as UTC, never in this computer's time zone`);
    }
    const stamp = this.tallies.get('@timestamp');
    if (stamp) {
      out.push(
        `${n(stamp.count, 'record has', 'records have')} no eventTime: the time used is the SIEM's "@timestamp" (${eg(stamp)}), which Logstash's cloudtrail codec sets from eventTime; a time without a zone is read as UTC`,
      );
    }
    const audit = this.tallies.get('audit-zoneless');
    if (audit) {
      out.push(`${n(audit.count, 'Kubernetes audit event has', 'Kubernetes audit events have')} times without a time zone (${eg(audit)}): read as UTC, never in this computer's time zone`);
    }
    const rebuilt = this.tallies.get('splunk-rebuilt');
    if (rebuilt) {
      out.push(
        `${n(rebuilt.count, 'record was', 'records were')} rebuilt from the fields Splunk extracted (the export has no _raw; first: record ${rebuilt.index}): every value is Splunk's text, arrays of objects are rebuilt by position, and fields under nested arrays are left out — export _raw to keep the records as CloudTrail wrote them`,
      );
    }
    if (trailingBytes) {
      if (firstMemberLength !== null) this.judge(firstMemberLength);
      const which =
        this.appendedCount === 0
          ? firstMemberLength === null
            ? 'which records were read from them could not be told'
            : 'no record was read from them'
          : `${this.appendedCount === 1 ? 'record' : 'records'} ${this.appended.join(', ')}${this.appendedCount > this.appended.length ? ` and ${this.appendedCount - this.appended.length} more` : ''} ${this.appendedCount === 1 ? 'was' : 'were'} read from them: not part of what CloudTrail delivered`;
      out.push(
        `${trailingBytes} bytes follow the end of the first gzip member (CloudTrail writes one member; gunzip and most readers silently read the rest as part of the file): ${which}. \`podtrail verify\` reports this file as failed`,
      );
    }
    return out;
  }

  async flushIfFull(): Promise<void> {
    if (this.pendingAudits.length >= BATCH) await this.flushAudits();
    if (this.pending.length >= BATCH) await this.flush();
  }

  async flushAudits(): Promise<void> {
    if (this.pendingAudits.length === 0) return;
    const rows = this.pendingAudits;
    this.pendingAudits = [];
    await this.sink.audits?.(rows);
  }

  async flush(last = false): Promise<void> {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    await this.sink.rows(rows, last);
  }
}

/** A lookup-events entry (as opposed to a record): the record is the JSON string in `CloudTrailEvent`. */
function isLookupEntry(value: unknown): boolean {
  const o = obj(value);
  return o !== undefined && typeof o.CloudTrailEvent === 'string' && !('eventTime' in o);
}

/** Whether JSON text nests objects/arrays deeper than `max` (strings skipped; the text is not validated). */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function decode(bytes: Buffer, index: number, failures: RecordFailure[]): string | null {
  if (!isUtf8(bytes)) {
    failures.push({ recordIndex: index, message: 'invalid UTF-8 in record' });
    return null;
  }
  return bytes.toString('utf8');
}

function parseJson(text: string, index: number, failures: RecordFailure[]): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    failures.push({ recordIndex: index, message: `not valid JSON: ${(err as Error).message}` });
    return undefined;
  }
}

/** Does this chunk start (after white space) with `<ISO time or epoch> {`? */
function startsWithTimestampLine(chunk: Buffer): boolean {
  let i = 0;
  while (i < chunk.length && (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d || chunk[i] === 0x09)) i++;
  if (i >= chunk.length || chunk[i]! < 0x30 || chunk[i]! > 0x39) return false;
  const nl = chunk.indexOf(0x0a, i);
  const first = chunk.toString('utf8', i, nl === -1 ? Math.min(chunk.length, i + 4096) : nl);
  return stripTimestampPrefix(first) !== null;
}

/** Splits a byte stream into lines (bounded by the longest line), numbering non-empty ones from 0. */
class LineReader {
  private carry: Buffer = Buffer.alloc(0);
  /** Input offset of the first byte of `carry`. */
  private carryAt = 0;
  private index = 0;
  constructor(private readonly onLine: (line: Buffer, index: number, origin: number) => void) {}
  push(chunk: Buffer): void {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      this.emit(buf.subarray(start, nl), this.carryAt + start);
      start = nl + 1;
    }
    this.carry = Buffer.from(buf.subarray(start));
    this.carryAt += start;
    if (this.carry.length > DEFAULT_SCAN_LIMITS.maxValueBytes) throw new ScanError('a line is longer than the record size limit', 0);
  }
  end(): void {
    this.emit(this.carry, this.carryAt);
    this.carry = Buffer.alloc(0);
  }
  private emit(line: Buffer, origin: number): void {
    let n = line.length;
    while (n > 0 && (line[n - 1] === 0x0d || line[n - 1] === 0x20)) n--;
    if (n === 0) return;
    this.onLine(line.subarray(0, n), this.index++, origin);
  }
}
