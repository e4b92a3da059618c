/**
 * Export of the filtered event table (`events.export`): every event under the table's filters, one attribution
 * record each, as CSV, JSON Lines or Timesketch JSONL — the same lines as `podtrail attribute --format …`, in the
 * same order (eventTime, eventID, variant), restricted to the filters.
 *
 * A case can hold millions of events, so nothing here holds the export: the engine keeps only the position of each
 * open export (keyset paging on the time index) and a running SHA-256, and answers one chunk of at most
 * CHUNK_EVENTS events or CHUNK_BYTES per call; the front end appends the chunks to the file. The finished export
 * is logged in the custody log (format, filters, events, bytes, SHA-256), as report exports are.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { EventFilters, TableExportChunk, TableExportFormat, TableExportInput } from '../../../shared/api';
import { missingCase } from '../../../shared/attribution';
import type { Resolution } from '../chain/model';
import type { AttributedEventRow, CaseQueries } from '../case/queries';
import { appendCustody } from '../custody/log';
import { csvHeader, csvRow } from '../report/csv';
import { timesketchLine } from '../report/timesketch';
import { EVENT_FROM, whereClause } from './event-query';
import { searchHits } from './raw-search';

/**
 * Events read per query, and the size after which a chunk stops (whichever comes first). A chunk holds the engine
 * worker for its duration (60–120 ms for 1,000 Timesketch lines): table pages asked meanwhile wait at most that long.
 */
export const CHUNK_EVENTS = 1000;
export const CHUNK_BYTES = 2 * 1024 * 1024;
/** Exports open at once (the least recently used is dropped), and how long an untouched one stays open. */
const MAX_OPEN = 4;
const IDLE_MS = 30 * 60 * 1000;
/** Subject resolutions cached per export (a case has thousands of credentials; millions would not fit). */
const MAX_RESOLUTIONS = 20_000;

export class ExportNotFoundError extends Error {}

interface Position {
  ms: number;
  eventID: string;
  variant: number;
}

interface OpenExport {
  id: string;
  filters: EventFilters;
  format: TableExportFormat;
  filename: string;
  mime: string;
  after: Position | null;
  hash: Hash;
  bytes: number;
  events: number;
  resolutions: Map<number, Resolution>;
  touched: number;
  statement: Statement;
  params: unknown[];
}

type Row = AttributedEventRow & { event_ms: number };

const EXT: Record<TableExportFormat, { ext: string; mime: string }> = {
  csv: { ext: 'csv', mime: 'text/csv' },
  jsonl: { ext: 'jsonl', mime: 'application/x-ndjson' },
  timesketch: { ext: 'timesketch.jsonl', mime: 'application/x-ndjson' },
};

/** `podtrail-events-20260302-101500Z.csv`: the file name offered for a table export made at `now`. */
export function exportFilename(format: TableExportFormat, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '').replace('T', '-');
  return `podtrail-events-${stamp}.${EXT[format].ext}`;
}

export class TableExports {
  private readonly open = new Map<string, OpenExport>();

  constructor(
    private readonly db: Database,
    private readonly queries: CaseQueries,
  ) {}

  /** Start an export (filters and format) or continue one (its id): the next chunk. */
  next(input: TableExportInput, now = new Date()): TableExportChunk {
    this.expire(now.getTime());
    if ('exportId' in input) {
      const x = this.open.get(input.exportId);
      if (!x) throw new ExportNotFoundError(`export ${input.exportId} is not open (finished, cancelled or idle too long): start it again`);
      if (input.cancel) {
        this.open.delete(x.id);
        return { exportId: x.id, filename: x.filename, mime: x.mime, body: '', events: x.events, done: true, sha256: null, bytes: x.bytes };
      }
      return this.chunk(x, now);
    }
    const x = this.start(input.filters, input.format, now);
    return this.chunk(x, now, input.format === 'csv' ? csvHeader() : '');
  }

  private start(filters: EventFilters, format: TableExportFormat, now: Date): OpenExport {
    while (this.open.size >= MAX_OPEN) {
      const oldest = [...this.open.values()].sort((a, b) => a.touched - b.touched)[0]!;
      this.open.delete(oldest.id);
    }
    const w = whereClause(filters, searchHits(this.db));
    const cols = `e.id, e.event_id, e.event_time, e.event_source, e.event_name, e.recipient_account_id, e.aws_region, e.source_ip,
      e.access_key_id, e.id_synthetic, e.variant, e.event_ms, es.subject_id,
      (SELECT group_concat(f.flag, ',') FROM event_flags f WHERE f.event_rowid = e.id) AS flags`;
    // Keyset paging in the contract's order: the next chunk starts after the last event written.
    const after = '(e.event_ms, e.event_id, e.variant) > (?, ?, ?)';
    const where = w.sql ? `${w.sql} AND ${after}` : `WHERE ${after}`;
    const x: OpenExport = {
      id: randomUUID(),
      filters,
      format,
      filename: exportFilename(format, now),
      mime: EXT[format].mime,
      after: null,
      hash: createHash('sha256'),
      bytes: 0,
      events: 0,
      resolutions: new Map(),
      touched: now.getTime(),
      statement: this.db.prepare(`SELECT ${cols} FROM ${EVENT_FROM} ${where} ORDER BY e.event_ms, e.event_id, e.variant LIMIT ?`),
      params: w.params,
    };
    this.open.set(x.id, x);
    return x;
  }

  private line(x: OpenExport, row: Row): string {
    if (x.resolutions.size > MAX_RESOLUTIONS) x.resolutions.clear();
    const rec = this.queries.attributionOfRow(row, x.resolutions);
    switch (x.format) {
      case 'csv':
        return csvRow(rec);
      case 'jsonl':
        return `${JSON.stringify(rec)}\n`;
      case 'timesketch':
        return timesketchLine(rec);
      default:
        return missingCase(x.format);
    }
  }

  private chunk(x: OpenExport, now: Date, prefix = ''): TableExportChunk {
    x.touched = now.getTime();
    const from = x.after ?? { ms: Number.MIN_SAFE_INTEGER, eventID: '', variant: -1 };
    const rows = x.statement.all(...x.params, from.ms, from.eventID, from.variant, CHUNK_EVENTS) as Row[];
    const parts: string[] = prefix ? [prefix] : [];
    let size = Buffer.byteLength(prefix, 'utf8');
    let used = 0;
    for (const row of rows) {
      const line = this.line(x, row);
      parts.push(line);
      size += Buffer.byteLength(line, 'utf8');
      used++;
      x.after = { ms: row.event_ms, eventID: row.event_id, variant: row.variant };
      if (size >= CHUNK_BYTES) break;
    }
    const body = parts.join('');
    x.hash.update(body, 'utf8');
    x.bytes += size;
    x.events += used;
    const done = used === rows.length && rows.length < CHUNK_EVENTS;
    let sha256: string | null = null;
    if (done) {
      this.open.delete(x.id);
      sha256 = x.hash.digest('hex');
      appendCustody(this.db, 'export', {
        scope: 'event table',
        format: x.format,
        filters: x.filters,
        events: x.events,
        destination: x.filename,
        sha256,
        bytes: x.bytes,
      });
    }
    return { exportId: x.id, filename: x.filename, mime: x.mime, body, events: x.events, done, sha256, bytes: x.bytes };
  }

  private expire(now: number): void {
    for (const [id, x] of this.open) if (now - x.touched > IDLE_MS) this.open.delete(id);
  }
}
