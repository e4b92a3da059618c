/**
 * The single writer. Each evidence file is loaded inside its own savepoint: its events, its provenance rows,
 * its documents, its record errors and its manifest row are kept together, or — when the file turns out to be
 * unreadable — rolled back together, leaving a `failed` manifest row and nothing else.
 *
 * Group commit: whole files are committed together, every GROUP_ROWS rows or GROUP_MS milliseconds, because a
 * commit per small file rewrites the same index pages hundreds of times. A crash loses at most the files of the
 * open group (they are loaded again on the next run), never part of a file: a file is in the case completely,
 * with its `complete` manifest row, or not at all.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { PackedBatch, PackedRow } from './raw-blocks';
import { CODEC_BROTLI, rawReader } from './raw-blocks';
import { facetText, StringIds } from '../db/strings';
import { IdSummary, readIdSummary, summarizeRows, writeIdSummary } from '../db/id-summary';
import { IdHashBits, IdHashTable } from '../db/event-id';
import { buildIdHashIndex, buildPartialIdHashIndex, PARTIAL_ID_HASH_INDEX } from '../db/migrations/0090-compact-store';
import type { AuditRow } from './k8s-normalize';
import type { ParseResult } from './parse-file';
import { canonicalJson } from '../util/canonical';
import { isoUtc } from '../util/time';
import { TOOL_VERSION } from '../version';

export interface FileOutcome {
  path: string;
  status: 'loaded' | 'already-loaded' | 'failed';
  format: string;
  records: number;
  /** Kubernetes audit events read from the file, and how many were new to the case. */
  audits: number;
  newAudits: number;
  /** Audit events already in the case (counted apart from CloudTrail's duplicates). */
  auditDuplicates: number;
  newEvents: number;
  /** CloudTrail records already in the case. */
  duplicates: number;
  conflicts: number;
  insights: number;
  rejected: number;
  error: string | null;
  recordErrors: { recordIndex: number; message: string }[];
  /** What the reader assumed or found that the examiner must know (parse-file.ts `notes`). */
  notes: string[];
}

/** Counters of the file being loaded. */
export class OpenFile {
  newEvents = 0;
  newAudits = 0;
  auditDuplicates = 0;
  duplicates = 0;
  conflicts = 0;
  firstMs = Infinity;
  lastMs = -Infinity;
  firstTime: string | null = null;
  lastTime: string | null = null;
  constructor(
    readonly fileId: number,
    readonly path: string,
  ) {}
}

const GROUP_ROWS = 50_000;
/** A case of at most this many events has its id hashes read into an `IdHashBits` when the writer starts. */
const ID_BITS_UP_TO = 100_000;
const GROUP_MS = 2_000;
/** Row ids a load may add past the id table's cap (one batch, with room to spare). */
const ROW_ID_MARGIN = 2 ** 24;

/**
 * A bulk load holds its rows' id hashes in an `IdHashTable` (db/event-id.ts) up to this many rows (a table of 128 MiB
 * at most, 2^24 slots at most 3/4 full). When it is full, the writer builds an eventID-hash index over the rows so far
 * only (a partial index, `WHERE id <= <the last row>`: one sort), starts an empty table for the rows after them, and
 * looks a row up in both. Later rows do not enter that index: had they entered the whole index, each would be a
 * random insert into it (a 20M-event load wrote its rows past the cap at 13–24k records/s, against ~35k before it,
 * docs/benchmarks.md). When the next table is full, the partial index is built again over all rows so far. 0: no
 * table, the whole index throughout (as when the row ids would outgrow the table's 32 bits). A setting, for tests.
 */
export const idTableTuning = { maxRows: 12_000_000 };

/**
 * What an event row keeps of its record's SHA-256 (`raw_sha256`): the first 128 bits. It only tells the deliveries of
 * one eventID apart (same bytes: a duplicate; otherwise compared as canonical JSON): a tampered copy of a genuine
 * record passing for a duplicate would need a second preimage of SHA-256's first 128 bits (~2^128 tries), and 16
 * bytes a row less is ~3 % of a case. Rows written before 2026-12-04 hold all 32 bytes: compared on their first 16.
 */
export const CONTENT_KEY_BYTES = 16;

function contentKey(sha256Hex: string): Buffer {
  return Buffer.from(sha256Hex.slice(0, CONTENT_KEY_BYTES * 2), 'hex');
}

/** Whether a stored row's `raw_sha256` (16 bytes, or 32 in an older case) is that of the record with this SHA-256. */
export function sameContent(stored: Buffer, sha256Hex: string): boolean {
  return stored.length >= CONTENT_KEY_BYTES && contentKey(sha256Hex).equals(stored.subarray(0, CONTENT_KEY_BYTES));
}

/** Positional parameters in the column order of the INSERT below (binding an array is cheaper than an object). */
function eventParams(r: PackedRow, variant: number, fileId: number, blockId: number, s: StringIds, facets: boolean): unknown[] {
  const params = [
    r.idHash, r.eventId, variant, r.idSynthetic ? 1 : 0, contentKey(r.rawSha256), r.eventTime, r.eventMs, r.eventSource,
    r.eventName, r.awsRegion, r.recipientAccountId, r.sourceIp, s.id(r.userAgent), r.identityType, s.id(r.principalArn),
    s.id(r.principalId), r.accessKeyId, s.id(r.sessionIssuerArn), s.id(r.invokedBy), s.id(r.userName), r.errorCode, r.readOnly,
    fileId, r.recordIndex, blockId, r.rawOff, r.rawLen,
  ];
  if (facets) params.push(s.id(facetText(r.recipientAccountId, r.awsRegion, r.eventSource, r.eventName, r.errorCode)));
  return params;
}

export function emptyOutcome(path: string, status: FileOutcome['status']): FileOutcome {
  return {
    path,
    status,
    format: '',
    records: 0,
    audits: 0,
    newAudits: 0,
    auditDuplicates: 0,
    newEvents: 0,
    duplicates: 0,
    conflicts: 0,
    insights: 0,
    rejected: 0,
    error: null,
    recordErrors: [],
    notes: [],
  };
}

/** The columns of `Stored`. */
const STORED = 'id, id_hash, event_id, variant, raw_sha256, raw_block, raw_off, raw_len';

/** An event already in the case under the same eventID hash. */
interface Stored {
  id: number;
  id_hash: number;
  event_id: string;
  variant: number;
  raw_sha256: Buffer;
  raw_block: number;
  raw_off: number;
  raw_len: number;
}

export class EvidenceStore {
  private readonly insertEvent: Statement;

  private readonly byHash: Statement;
  private readonly byRowId: Statement;
  private readonly insertBlock: Statement;
  private readonly insertFilter: Statement | null;
  private readonly deleteFilter: Statement | null;
  private readonly deleteBlock: Statement;
  private readonly insertSource: Statement;
  private readonly insertAudit: Statement;
  private readonly auditIdOf: Statement;
  private readonly insertAuditSource: Statement;
  private readonly insertPlaceholder: Statement;
  private readonly completeFile: Statement;
  private readonly insertFailed: Statement;
  private readonly insertError: Statement;
  private readonly insertDocument: Statement;
  private readonly findComplete: Statement;
  private readonly findFailed: Statement;
  private readonly strings: StringIds;
  private readonly facets: boolean;
  private open: OpenFile | null = null;
  private group: { rows: number; since: number } | null = null;
  /** The eventIDs' summary (db/id-summary.ts), written with each commit that added events (null: a case of a schema
   * before it, written by a test that plays an older PodTrail; the migration makes it from the rows). */
  private readonly ids: IdSummary | null;
  private idsChanged = false;
  /** The id hashes in the case (null: a case too big to read them for a few files; every row is looked up). */
  private readonly idBits: IdHashBits | null;
  /** While the case has no `events_id_hash` index (a bulk load dropped it): the id hashes of its rows; null: the index. */
  private idTable: IdHashTable | null;
  /** Rows up to this id are in the partial eventID-hash index, not in `idTable` (0: no such index; see `idTableTuning`). */
  private indexedThrough = 0;
  private byHashUpTo: Statement | null = null;
  private readonly hasIdIndex: Statement;

  constructor(private readonly db: Database) {
    this.strings = new StringIds(db);
    // Each row's facet combination id (migration 0150); none in a case of a schema before it (a test that plays an
    // older PodTrail writes one).
    this.facets = (db.prepare("SELECT 1 FROM pragma_table_info('events') WHERE name = 'facet_sid'").get() as unknown) !== undefined;
    this.insertEvent = db.prepare(`
      INSERT INTO events (id_hash, event_id, variant, id_synthetic, raw_sha256, event_time, event_ms, event_source, event_name,
        aws_region, recipient_account_id, source_ip, user_agent_sid, identity_type, principal_arn_sid, principal_id_sid, access_key_id,
        session_issuer_arn_sid, invoked_by_sid, user_name_sid, error_code, read_only, file_id, record_index, raw_block, raw_off, raw_len${this.facets ? ', facet_sid' : ''})
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?${this.facets ? ', ?' : ''})`);
    this.byHash = db.prepare(`SELECT ${STORED} FROM events WHERE id_hash = ?`);
    this.byRowId = db.prepare(`SELECT ${STORED} FROM events WHERE id = ?`);
    // The filters apart from the blocks (migration 0140); in the block's row in a case of a schema before it (a test
    // that plays an older PodTrail writes one: the migration copies them).
    const apart = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'raw_block_filters'").get() !== undefined;
    this.insertBlock = db.prepare('INSERT INTO raw_blocks (codec, facts, data, filter) VALUES (?, ?, ?, ?)');
    this.insertFilter = apart ? db.prepare('INSERT INTO raw_block_filters (block, filter) VALUES (?, ?)') : null;
    this.deleteFilter = apart ? db.prepare('DELETE FROM raw_block_filters WHERE block = ?') : null;
    this.deleteBlock = db.prepare('DELETE FROM raw_blocks WHERE id = ?');
    this.insertAudit = db.prepare(`
      INSERT INTO k8s_audit (audit_id, stage, ts_ms, verb, username, source_ip, resource, subresource, namespace, name, code, raw_sha256, raw)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (audit_id, stage) DO NOTHING`);
    this.auditIdOf = db.prepare('SELECT id FROM k8s_audit WHERE audit_id = ? AND stage = ?').pluck();
    this.insertAuditSource = db.prepare('INSERT OR IGNORE INTO k8s_audit_sources (audit_rowid, file_id, record_index) VALUES (?, ?, ?)');
    this.insertSource = db.prepare(
      'INSERT OR IGNORE INTO event_redeliveries (event_rowid, file_id, record_index) VALUES (?, ?, ?)',
    );
    this.insertPlaceholder = db.prepare(`
      INSERT INTO evidence_files (path, size, sha256, format, status, ingested_at, tool_version)
      VALUES (?, 0, '', 'unknown', 'complete', ?, ?)`);
    this.completeFile = db.prepare(`
      UPDATE evidence_files SET size = @size, sha256 = @sha256, sha256_decompressed = @sha256Decompressed,
        compression = @compression, format = @format, records = @records, new_events = @newEvents,
        duplicates = @duplicates, conflicts = @conflicts, insights = @insights, rejected = @rejected,
        first_event_time = @firstTime, last_event_time = @lastTime,
        gzip_trailing_bytes = @gzipTrailingBytes, sha256_first_member = @sha256FirstMember
      WHERE id = @id`);
    this.insertFailed = db.prepare(`
      INSERT INTO evidence_files (path, size, sha256, sha256_decompressed, compression, format, status, error,
        ingested_at, tool_version)
      VALUES (?, ?, ?, ?, ?, ?, 'failed', ?, ?, ?)`);
    this.insertError = db.prepare('INSERT INTO record_errors (file_id, record_index, message) VALUES (?, ?, ?)');
    this.insertDocument = db.prepare('INSERT INTO documents (file_id, kind, raw) VALUES (?, ?, ?)');
    this.findComplete = db.prepare("SELECT sha256 FROM evidence_files WHERE path = ? AND status = 'complete'");
    this.findFailed = db.prepare("SELECT 1 FROM evidence_files WHERE path = ? AND status = 'failed' AND sha256 = ? AND size = ? AND error = ?");
    const kept = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_id_summary'").get() !== undefined;
    this.ids = kept ? new IdSummary() : null;
    this.idBits = IdHashBits.load(db, ID_BITS_UP_TO);
    this.hasIdIndex = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_id_hash'").pluck();
    const last = db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number;
    // Row ids stay below 2^32 while the table is in use: it holds at most `maxRows` and one batch more.
    const fits = last + 2 * idTableTuning.maxRows + ROW_ID_MARGIN <= 0xffffffff;
    this.idTable = this.hasIdIndex.get() === undefined && fits ? IdHashTable.load(db, idTableTuning.maxRows) : null;
    this.ensureIdIndex();
    if (this.ids) {
      const stored = readIdSummary(db);
      if (stored) this.ids.merge(stored.pairs, stored.singles);
      const last = db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number;
      if ((stored?.through ?? 0) < last) {
        summarizeRows(db, this.ids, stored?.through ?? 0, last);
        this.idsChanged = true;
      }
    }
  }

  /** The bytes of the id table (0: eventIDs are looked up through the index). */
  get idTableBytes(): number {
    return this.idTable?.bytes ?? 0;
  }

  /** SHA-256s of complete loads of this path: a worker re-hashes first and skips a file already in the case. */
  loadedHashes(path: string): string[] {
    return (this.findComplete.all(path) as { sha256: string }[]).map((r) => r.sha256);
  }

  private beginGroup(): void {
    if (this.group) return;
    this.db.exec('BEGIN IMMEDIATE');
    this.group = { rows: 0, since: Date.now() };
  }

  /** Commit the open group of files (call when the writer goes idle and at the end of an ingest). */
  flush(): void {
    if (this.open) throw new Error(`cannot commit while ${this.open.path} is being written`);
    if (!this.group) return;
    if (this.ids && this.idsChanged) {
      writeIdSummary(this.db, this.ids, this.db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number);
      this.idsChanged = false;
    }
    this.db.exec('COMMIT');
    this.group = null;
  }

  private maybeFlush(): void {
    if (this.group && (this.group.rows >= GROUP_ROWS || Date.now() - this.group.since >= GROUP_MS)) this.flush();
  }

  begin(path: string): OpenFile {
    if (this.open) throw new Error(`writer busy with ${this.open.path}`);
    this.beginGroup();
    this.db.exec('SAVEPOINT evidence_file');
    const info = this.insertPlaceholder.run(path, isoUtc(Date.now()), TOOL_VERSION);
    this.open = new OpenFile(Number(info.lastInsertRowid), path);
    return this.open;
  }

  /**
   * Without the id table, the index must be there: built when the table may not go on (`nextIdTable`; inside the open
   * file's savepoint: one sort of the rows so far), and again when a rollback took that build with it. A case with
   * neither (too many rows to hold) gets the index at once. With the table past its first cap, the partial index over
   * the rows before it must be the one for `indexedThrough` (a rollback may have taken its build, or brought back the
   * one before it).
   */
  private ensureIdIndex(): void {
    if (!this.idTable && this.hasIdIndex.get() === undefined) buildIdHashIndex(this.db);
    if (this.idTable && this.indexedThrough > 0) buildPartialIdHashIndex(this.db, this.indexedThrough);
  }

  /** The id table is full: the rows so far go into the partial index, and an empty table takes the rows after them. */
  private nextIdTable(): void {
    const last = this.db.prepare('SELECT ifnull(MAX(id), 0) FROM events').pluck().get() as number;
    if (idTableTuning.maxRows === 0 || last + 2 * idTableTuning.maxRows + ROW_ID_MARGIN > 0xffffffff) {
      this.idTable = null;
      this.indexedThrough = 0;
      this.byHashUpTo = null;
      this.db.exec(`DROP INDEX IF EXISTS ${PARTIAL_ID_HASH_INDEX}`);
      this.ensureIdIndex();
      return;
    }
    this.indexedThrough = last;
    this.idTable = new IdHashTable();
    this.ensureIdIndex();
    // INDEXED BY: the rowid bound alone would also let SQLite scan the table by rowid.
    this.byHashUpTo = this.db.prepare(
      `SELECT ${STORED} FROM events INDEXED BY ${PARTIAL_ID_HASH_INDEX} WHERE id_hash = ? AND id <= ${last} ORDER BY id`,
    );
  }

  /** The rows of the case with this row's eventID (its variants), in row order. */
  private sameId(row: PackedRow): Stored[] {
    if (!this.idTable) return (this.byHash.all(row.idHash) as Stored[]).filter((v) => v.event_id === row.eventId);
    const out: Stored[] = [];
    if (this.byHashUpTo) for (const v of this.byHashUpTo.all(row.idHash) as Stored[]) if (v.event_id === row.eventId) out.push(v);
    for (const id of this.idTable.rowsOf(row.idHash)) {
      // Found through the partial index (a row id given again after a rollback, at or below its bound).
      if (id <= this.indexedThrough) continue;
      // A candidate only: a row rolled back may have left its entry, its id now another row's.
      const v = this.byRowId.get(id) as Stored | undefined;
      if (v && v.id_hash === row.idHash && v.event_id === row.eventId) out.push(v);
    }
    return out;
  }

  private insertRow(row: PackedRow, variant: number, fileId: number, blockId: number): void {
    const id = Number(this.insertEvent.run(eventParams(row, variant, fileId, blockId, this.strings, this.facets)).lastInsertRowid);
    this.idTable?.add(row.idHash, id);
    this.idBits?.add(row.idHash);
  }

  /** A batch from a parse worker: its compressed raw blocks, then its rows pointing into them. */
  addRows(file: OpenFile, batch: PackedBatch): void {
    if (this.idTable && this.idTable.size >= idTableTuning.maxRows) this.nextIdTable();
    const facts = new Set(batch.factBlocks);
    // A block crosses the worker boundary as a Uint8Array; better-sqlite3 binds Buffers (a view, not a copy).
    const blockIds = batch.blocks.map((data, i) => {
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const f = batch.filters[i];
      const filter = f ? Buffer.from(f.buffer, f.byteOffset, f.byteLength) : null;
      const id = Number(this.insertBlock.run(CODEC_BROTLI, facts.has(i) ? 1 : 0, bytes, this.insertFilter ? null : filter).lastInsertRowid);
      // The filter apart from the block's bytes (migration 0140): a search reads every filter, never every block.
      this.insertFilter?.run(id, filter);
      return id;
    });
    const used = new Set<number>();
    for (const row of batch.rows) if (this.addRow(file, row, blockIds[row.block]!)) used.add(row.block);
    // A block that holds only duplicate deliveries (a file the case already has, such as an organisation trail's
    // copy of an account trail's file) has no row pointing at it: its bytes are already in the case, so it goes.
    // Deleted inside the file's savepoint, before any reader can see it; its id leaves the writer's block cache.
    for (let i = 0; i < blockIds.length; i++) {
      if (used.has(i)) continue;
      this.deleteFilter?.run(blockIds[i]!);
      this.deleteBlock.run(blockIds[i]!);
      rawReader(this.db).evict(blockIds[i]!);
    }
    this.group!.rows += batch.rows.length;
  }

  /** Kubernetes audit events: one row per (auditID, stage), every place it was read from kept. */
  addAudits(file: OpenFile, rows: AuditRow[]): void {
    for (const a of rows) {
      const info = this.insertAudit.run(
        a.auditId, a.stage, a.tsMs, a.verb, a.username, a.sourceIp, a.resource, a.subresource, a.namespace, a.name, a.code, a.rawSha256, a.raw,
      );
      let rowid: number;
      if (info.changes === 1) {
        rowid = Number(info.lastInsertRowid);
        file.newAudits++;
      } else {
        rowid = this.auditIdOf.get(a.auditId, a.stage) as number;
        file.auditDuplicates++;
      }
      this.insertAuditSource.run(rowid, file.fileId, a.recordIndex);
    }
    this.group!.rows += rows.length;
  }

  private noteTime(file: OpenFile, row: PackedRow): void {
    if (row.eventMs < file.firstMs) {
      file.firstMs = row.eventMs;
      file.firstTime = row.eventTime;
    }
    if (row.eventMs > file.lastMs) {
      file.lastMs = row.eventMs;
      file.lastTime = row.eventTime;
    }
  }

  /** Store one row; true when it became an event row (new or a variant), false for a duplicate delivery. */
  private addRow(file: OpenFile, row: PackedRow, blockId: number): boolean {
    const known = this.idBits === null || this.idBits.mayHave(row.idHash);
    const same = known ? this.sameId(row) : [];
    let stored = true;
    if (same.length === 0) {
      this.insertRow(row, 0, file.fileId, blockId);
      if (this.ids) {
        this.ids.add(row.eventId);
        this.idsChanged = true;
      }
      file.newEvents++;
    } else {
      stored = this.resolveExisting(file, row, blockId, same);
    }
    this.noteTime(file, row);
    return stored;
  }

  /**
   * The eventID is already in the case. Same bytes, or the same record re-serialised (a lookup-events copy of
   * an S3 record): a duplicate delivery, recorded as one more provenance. Different content under the same
   * eventID: kept as a new variant and counted as a conflict (possible tampering or a broken export).
   */
  private resolveExisting(file: OpenFile, row: PackedRow, blockId: number, variants: Stored[]): boolean {
    let match = variants.find((v) => sameContent(v.raw_sha256, row.rawSha256));
    if (!match) {
      const raws = rawReader(this.db);
      const canonical = canonicalJson(JSON.parse(raws.text({ raw_block: blockId, raw_off: row.rawOff, raw_len: row.rawLen })));
      match = variants.find((v) => canonicalJson(JSON.parse(raws.text(v))) === canonical);
    }
    if (match) {
      file.duplicates++;
      this.insertSource.run(match.id, file.fileId, row.recordIndex);
      return false;
    }
    const variant = variants.reduce((m, v) => Math.max(m, v.variant), 0) + 1;
    this.insertRow(row, variant, file.fileId, blockId);
    file.conflicts++;
    return true;
  }

  /** Commit the open file with its final hashes and counts. */
  commit(file: OpenFile, result: ParseResult): FileOutcome {
    // The same path and bytes were committed since this job started (a path named twice in one run, parsed
    // in parallel): the file is already in the case. Drop this copy instead of breaking the unique manifest.
    if (this.loadedHashes(file.path).includes(result.sha256)) {
      this.rollback();
      return { ...emptyOutcome(file.path, 'already-loaded'), format: result.format };
    }
    for (const doc of result.documents) this.insertDocument.run(file.fileId, doc.kind, doc.raw);
    for (const f of result.failures) this.insertError.run(file.fileId, f.recordIndex, f.message);
    this.completeFile.run({
      id: file.fileId,
      size: result.size,
      sha256: result.sha256,
      sha256Decompressed: result.sha256Decompressed,
      compression: result.compression,
      format: result.format,
      records: result.records + result.audits,
      newEvents: file.newEvents,
      // The manifest's counts cover the whole file (its `records` include audit events): so do its duplicates.
      duplicates: file.duplicates + file.auditDuplicates,
      conflicts: file.conflicts,
      insights: result.insights,
      rejected: result.failures.length,
      firstTime: file.firstTime,
      lastTime: file.lastTime,
      gzipTrailingBytes: result.gzipTrailingBytes ?? null,
      sha256FirstMember: result.sha256FirstMember ?? null,
    });
    this.db.exec('RELEASE evidence_file');
    this.open = null;
    this.maybeFlush();
    return {
      path: file.path,
      status: 'loaded',
      format: result.format,
      records: result.records,
      audits: result.audits,
      newAudits: file.newAudits,
      auditDuplicates: file.auditDuplicates,
      newEvents: file.newEvents,
      duplicates: file.duplicates,
      conflicts: file.conflicts,
      insights: result.insights,
      rejected: result.failures.length,
      error: null,
      recordErrors: result.failures,
      notes: result.notes ?? [],
    };
  }

  /** Roll back whatever the open file wrote; files already released in the group stay. */
  rollback(): void {
    if (this.open) {
      this.db.exec('ROLLBACK TO evidence_file; RELEASE evidence_file');
      this.ensureIdIndex();
      this.open = null;
      rawReader(this.db).forget(); // block ids rolled back may be used again
      this.strings.forget();
    }
  }

  /** After an internal error: drop the whole open group (its files are loaded again on the next run). */
  abort(): void {
    this.open = null;
    if (this.group && this.db.inTransaction) this.db.exec('ROLLBACK');
    this.ensureIdIndex();
    rawReader(this.db).forget();
    this.strings.forget();
    this.group = null;
  }

  /**
   * Record a file that could not be read, in its own transaction (nothing else of it is kept). The same file
   * failing the same way again (a re-ingest) is not recorded twice: its first row stands, and the run's custody
   * entry counts it among the unreadable files.
   */
  recordFailure(path: string, error: string, facts: Partial<ParseResult> = {}): FileOutcome {
    this.rollback();
    this.beginGroup();
    if (!this.findFailed.get(path, facts.sha256 ?? '', facts.size ?? 0, error)) {
      this.insertFailed.run(
        path,
        facts.size ?? 0,
        facts.sha256 ?? '',
        facts.sha256Decompressed ?? null,
        facts.compression ?? null,
        facts.format ?? 'unknown',
        error,
        isoUtc(Date.now()),
        TOOL_VERSION,
      );
    }
    this.maybeFlush();
    return { ...emptyOutcome(path, 'failed'), format: facts.format ?? 'unknown', error };
  }
}
