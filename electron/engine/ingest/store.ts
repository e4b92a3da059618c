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
import type { EventRow } from './normalize';
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
const GROUP_MS = 2_000;

/** Positional parameters in the column order of the INSERT below (binding an array is cheaper than an object). */
function eventParams(r: EventRow, variant: number): unknown[] {
  return [
    r.eventId, variant, r.idSynthetic ? 1 : 0, r.rawSha256, r.eventTime, r.eventMs, r.eventSource, r.eventName,
    r.awsRegion, r.recipientAccountId, r.sourceIp, r.userAgent, r.identityType, r.principalArn, r.principalId,
    r.accessKeyId, r.sessionIssuerArn, r.invokedBy, r.userName, r.errorCode, r.readOnly,
  ];
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

export class EvidenceStore {
  private readonly insertEvent: Statement;

  private readonly variantsOf: Statement;
  private readonly insertSource: Statement;
  private readonly insertRaw: Statement;
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
  private open: OpenFile | null = null;
  private group: { rows: number; since: number } | null = null;

  constructor(private readonly db: Database) {
    this.insertEvent = db.prepare(`
      INSERT INTO events (event_id, variant, id_synthetic, raw_sha256, event_time, event_ms, event_source, event_name,
        aws_region, recipient_account_id, source_ip, user_agent, identity_type, principal_arn, principal_id, access_key_id,
        session_issuer_arn, invoked_by, user_name, error_code, read_only)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (event_id, variant) DO NOTHING`);
    this.variantsOf = db.prepare('SELECT id, variant, raw_sha256, raw FROM events_full WHERE event_id = ? ORDER BY variant');
    this.insertRaw = db.prepare('INSERT INTO event_raw (event_rowid, raw) VALUES (?, ?)');
    this.insertAudit = db.prepare(`
      INSERT INTO k8s_audit (audit_id, stage, ts_ms, verb, username, source_ip, resource, subresource, namespace, name, code, raw_sha256, raw)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (audit_id, stage) DO NOTHING`);
    this.auditIdOf = db.prepare('SELECT id FROM k8s_audit WHERE audit_id = ? AND stage = ?').pluck();
    this.insertAuditSource = db.prepare('INSERT OR IGNORE INTO k8s_audit_sources (audit_rowid, file_id, record_index) VALUES (?, ?, ?)');
    this.insertSource = db.prepare(
      'INSERT OR IGNORE INTO event_sources (event_rowid, file_id, record_index) VALUES (?, ?, ?)',
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

  addRows(file: OpenFile, rows: EventRow[]): void {
    for (const row of rows) this.addRow(file, row);
    this.group!.rows += rows.length;
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

  private noteTime(file: OpenFile, row: EventRow): void {
    if (row.eventMs < file.firstMs) {
      file.firstMs = row.eventMs;
      file.firstTime = row.eventTime;
    }
    if (row.eventMs > file.lastMs) {
      file.lastMs = row.eventMs;
      file.lastTime = row.eventTime;
    }
  }

  private addRow(file: OpenFile, row: EventRow): void {
    let rowid: number;
    const info = this.insertEvent.run(eventParams(row, 0));
    if (info.changes === 1) {
      rowid = Number(info.lastInsertRowid);
      this.insertRaw.run(rowid, row.raw);
      file.newEvents++;
    } else {
      rowid = this.resolveExisting(file, row);
    }
    this.insertSource.run(rowid, file.fileId, row.recordIndex);
    this.noteTime(file, row);
  }

  /**
   * The eventID is already in the case. Same bytes, or the same record re-serialised (a lookup-events copy of
   * an S3 record): a duplicate delivery, recorded as one more provenance. Different content under the same
   * eventID: kept as a new variant and counted as a conflict (possible tampering or a broken export).
   */
  private resolveExisting(file: OpenFile, row: EventRow): number {
    const variants = this.variantsOf.all(row.eventId) as { id: number; variant: number; raw_sha256: string; raw: string }[];
    for (const v of variants) {
      if (v.raw_sha256 === row.rawSha256) {
        file.duplicates++;
        return v.id;
      }
    }
    const canonical = canonicalJson(JSON.parse(row.raw));
    for (const v of variants) {
      if (canonicalJson(JSON.parse(v.raw)) === canonical) {
        file.duplicates++;
        return v.id;
      }
    }
    const variant = variants.reduce((m, v) => Math.max(m, v.variant), 0) + 1;
    const info = this.insertEvent.run(eventParams(row, variant));
    const rowid = Number(info.lastInsertRowid);
    this.insertRaw.run(rowid, row.raw);
    file.conflicts++;
    return rowid;
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
      this.open = null;
    }
  }

  /** After an internal error: drop the whole open group (its files are loaded again on the next run). */
  abort(): void {
    this.open = null;
    if (this.group && this.db.inTransaction) this.db.exec('ROLLBACK');
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
