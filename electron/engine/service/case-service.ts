/**
 * The engine behind the API table (shared/api.ts) for one open case. Every transport — Electron IPC, the
 * loopback HTTP server, tests — calls `dispatch`, which validates the input against the table and returns a
 * result value (never throws across the boundary).
 */
import { isoUtc } from '../util/time';
import { basename } from 'node:path';
import type { Database } from 'better-sqlite3';
import {
  type ApiName,
  type ApiOutput,
  type ApiResult,
  type CaseSummary,
  type EventPage,
  type Facets,
  type Histogram,
  type PushEvents,
  type PushName,
  type TraceView,
  type EventQuery,
  type HistogramQuery,
  type BlastQuery,
  type EventFilters,
  type ReportFormat,
  type TableExportInput,
  RECORD_ERRORS_PER_FILE,
} from '../../../shared/api';
import type { Flag, Mechanism } from '../../../shared/attribution';
import { openCase } from '../db/open';
import { CaseQueries } from '../case/queries';
import { ingestEvidence } from '../ingest/ingest';

import { correlate } from '../chain/correlate';
import { ReportError } from '../report/model';
import { exportReport } from '../report/export';
import { checkCustody, readCustody } from '../custody/log';
import { integrityView, KeyListError, latestVerification, readKeyLists, runVerification, type KeyListSpec } from '../integrity/store';
import { TOOL_VERSION } from '../version';
import { EVENT_FROM, whereClause } from './event-query';
import { searchHits } from './raw-search';
import { EventPages } from './event-page';
import { countHistogram, SupersededError } from './histogram';
import { ExportNotFoundError, TableExports } from './table-export';
import { validateApiInput } from './validate-input';
import type { ActorQuery, CaseReportInput, PeopleQuery } from '../../../shared/api';
import type { NoteKind, NoteTarget } from '../../../shared/notes';
import { NoteError, NoteNotFoundError, NoteStore } from '../notes/store';
import { exportCaseReport } from '../report/case-export';
import { peopleOfEvent } from '../case/people';
import { actorTimelineView } from '../k8s/actor-pivot';
import { evidenceCoverage } from './coverage';
import { eventIdArgs, eventIdIs } from '../db/event-id';

/**
 * The page cache of a large load in the app (SQLite `cache_size`, KiB: 128 MiB), half the command line's
 * (`BULK_LOAD_CACHE`): here the load shares the process with the reader's columns and caches (~600 MB with a 10M-event
 * case open), and 10M events added to such a case took it to 1.1 GB with the command line's.
 */
const APP_BULK_LOAD_CACHE = -131072;

export class NotFoundError extends Error {}

export type PushListener = <P extends PushName>(name: P, payload: PushEvents[P]) => void;

export class CaseService {
  private readonly queries: CaseQueries;
  private readonly tableExports: TableExports;
  private readonly notes: NoteStore;
  private facetsCache: Facets | null = null;
  /** Pages and their totals (kept per filter set: paging through 1M events must not recount them for every page). */
  private readonly pages: EventPages;
  private histogramGeneration = 0;
  private nextJob = 1;
  private readonly running = new Map<number, AbortController>();

  constructor(
    private readonly db: Database,
    readonly casePath: string,
    private readonly push: PushListener = () => {},
  ) {
    this.queries = new CaseQueries(db);
    this.tableExports = new TableExports(db, this.queries);
    this.notes = new NoteStore(db);
    this.pages = new EventPages(db);
  }

  static open(casePath: string, push?: PushListener): CaseService {
    return new CaseService(openCase(casePath), casePath, push);
  }

  close(): void {
    for (const c of this.running.values()) c.abort();
    this.db.close();
  }

  /** Validate, run, and wrap the result. */
  async dispatch(name: string, input: unknown): Promise<ApiResult<unknown>> {
    const checked = validateApiInput(name, input);
    if (!checked.ok) return checked;
    try {
      return { ok: true, value: await this.call(name as ApiName, checked.value) };
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof ReportError || err instanceof ExportNotFoundError) return { ok: false, error: { code: 'not-found', message: err.message } };
      if (err instanceof KeyListError || err instanceof NoteError) return { ok: false, error: { code: 'bad-input', message: err.message } };
      if (err instanceof NoteNotFoundError) return { ok: false, error: { code: 'not-found', message: err.message } };
      if (err instanceof SupersededError) return { ok: false, error: { code: 'superseded', message: err.message } };
      return { ok: false, error: { code: 'internal', message: (err as Error).message } };
    }
  }

  private async call(name: ApiName, input: unknown): Promise<ApiOutput<ApiName>> {
    switch (name) {
      case 'case.summary':
        return this.summary();
      case 'evidence.list':
        return { files: this.queries.evidenceFiles(), recordErrors: this.queries.firstRecordErrors(RECORD_ERRORS_PER_FILE) };
      case 'evidence.recordErrors': {
        const q = input as { fileId: number; offset: number; limit: number };
        const page = this.queries.recordErrorPage(q.fileId, q.offset, q.limit);
        if (!page) throw new NotFoundError(`no evidence file ${q.fileId} in this case`);
        return page;
      }
      case 'evidence.coverage':
        return evidenceCoverage(this.db);
      case 'events.query':
        return this.eventPage(input as EventQuery);
      case 'events.histogram':
        return this.histogram(input as HistogramQuery);
      case 'events.facets':
        return this.facets();
      case 'events.locate':
        return this.locate(input as { text: string; query: EventQuery });
      case 'trace.get':
        return this.queries.trace((input as { target: string }).target) as TraceView | null;
      case 'trace.people':
        return peopleOfEvent(this.db, this.queries, input as PeopleQuery);
      case 'evidence.audit':
        return this.queries.auditRecord((input as { auditID: string }).auditID);
      case 'actor.timeline':
        return actorTimelineView(this.db, input as ActorQuery);
      case 'blast.radius':
        return this.blastRadius(input as BlastQuery);
      case 'report.export':
        return this.report((input as { eventID: string }).eventID, (input as { format: ReportFormat }).format);
      case 'events.export':
        return this.tableExports.next(input as TableExportInput);
      case 'report.case': {
        const q = input as CaseReportInput;
        const r = await exportCaseReport(this.db, this.queries, this.casePath, q, q.format, null);
        return { filename: r.filename, mime: r.mime, body: r.body as string };
      }
      case 'notes.list':
        return this.notes.list((input as { targets?: NoteTarget[] }).targets);
      case 'notes.add': {
        const q = input as { target: NoteTarget; kind: NoteKind; text: string };
        return this.notes.add(q.target, q.kind, q.text).note;
      }
      case 'notes.remove':
        return { removed: this.notes.remove((input as { id: number }).id) };
      case 'custody.log': {
        const check = checkCustody(this.db);
        return { entries: readCustody(this.db), check: { ok: check.ok, problems: check.problems } };
      }
      case 'integrity.get':
        return integrityView(this.db, latestVerification(this.db));
      case 'integrity.verify': {
        const keyLists = readKeyLists((input as { publicKeys?: KeyListSpec[] }).publicKeys ?? []);
        return integrityView(this.db, runVerification(this.db, keyLists))!;
      }
      case 'ingest.start':
        return this.startIngest((input as { paths: string[] }).paths);
      case 'ingest.cancel': {
        const c = this.running.get((input as { jobId: number }).jobId);
        c?.abort();
        return { cancelled: c !== undefined };
      }
    }
  }

  summary(): CaseSummary {
    // Each bound by the time index (one MIN and one MAX per statement: SQLite reads the index's ends only then), as
    // a UTC time: the records' own texts may carry other zones, and the least text is not always the first time.
    // (MIN/MAX of the text and the mechanisms counted over every event took ~8 s at 10M events.)
    const first = this.db.prepare('SELECT MIN(event_ms) FROM events').pluck().get() as number | null;
    const last = this.db.prepare('SELECT MAX(event_ms) FROM events').pluck().get() as number | null;
    const files = this.db.prepare("SELECT status, COUNT(*) n, SUM(rejected) r FROM evidence_files GROUP BY status").all() as { status: string; n: number; r: number }[];
    const byMechanism: Partial<Record<Mechanism, number>> = {};
    // From the rollup (a few thousand rows: each subject's events, kept by correlation).
    for (const m of this.db
      .prepare('SELECT s.mechanism m, SUM(r.n) n FROM event_rollup r JOIN subjects s ON s.id = r.subject_id GROUP BY s.mechanism')
      .all() as { m: Mechanism; n: number }[]) {
      byMechanism[m.m] = m.n;
    }
    return {
      casePath: this.casePath,
      toolVersion: TOOL_VERSION,
      events: this.queries.eventCount(),
      evidenceFiles: files.find((f) => f.status === 'complete')?.n ?? 0,
      failedFiles: files.find((f) => f.status === 'failed')?.n ?? 0,
      rejectedRecords: files.reduce((s, f) => s + (f.r ?? 0), 0),
      firstEventTime: first === null ? null : isoUtc(first),
      lastEventTime: last === null ? null : isoUtc(last),
      byMechanism,
      byFlag: Object.fromEntries(
        (this.db.prepare('SELECT flag, COUNT(*) n FROM event_flags GROUP BY flag ORDER BY flag').raw(true).all() as [Flag, number][]),
      ) as Partial<Record<Flag, number>>,
      flaggedEvents: this.db.prepare('SELECT COUNT(DISTINCT event_rowid) FROM event_flags').pluck().get() as number,
    };
  }

  eventPage(q: EventQuery): EventPage {
    return this.pages.page(q);
  }

  /** The filtered events per time bucket (histogram.ts); a newer request stops an older one between slices. */
  histogram(q: HistogramQuery): Promise<Histogram> {
    const generation = ++this.histogramGeneration;
    return countHistogram(this.db, q, () => generation === this.histogramGeneration);
  }

  facets(): Facets {
    if (this.facetsCache) return this.facetsCache;
    const distinct = (sql: string) => (this.db.prepare(sql).pluck().all() as (string | null)[]).filter((v): v is string => v !== null && v !== '');
    this.facetsCache = {
      // From the rollup (a few thousand rows; the event table itself takes seconds at millions of events): the values
      // of the events the table shows, those with an attribution row.
      accounts: distinct('SELECT DISTINCT recipient_account_id FROM event_rollup ORDER BY 1'),
      regions: distinct('SELECT DISTINCT aws_region FROM event_rollup ORDER BY 1'),
      eventSources: distinct('SELECT DISTINCT event_source FROM event_rollup ORDER BY 1'),
      mechanisms: distinct('SELECT DISTINCT mechanism FROM subjects ORDER BY 1') as Mechanism[],
      clusters: distinct('SELECT DISTINCT cluster_name FROM subjects ORDER BY 1'),
      namespaces: distinct('SELECT DISTINCT namespace FROM subjects ORDER BY 1'),
      serviceAccounts: distinct('SELECT DISTINCT service_account FROM subjects ORDER BY 1'),
      pods: distinct('SELECT DISTINCT pod_name FROM subjects ORDER BY 1'),
      nodes: distinct('SELECT DISTINCT node_instance FROM subjects ORDER BY 1'),
    };
    return this.facetsCache;
  }

  /**
   * A pasted eventID or access key: which event it is, and its offset under the current filters and sort
   * (null when the filters hide it: the UI clears them and asks again).
   */
  locate(input: { text: string; query: EventQuery }): { eventID: string | null; accessKeyId: string | null; offset: number | null } {
    const text = input.text.trim();
    let target: { id: number; event_id: string; event_ms: number } | undefined = this.db
      .prepare(`SELECT id, event_id, event_ms FROM events WHERE ${eventIdIs()} ORDER BY variant LIMIT 1`)
      .get(...eventIdArgs(text)) as typeof target;
    let accessKeyId: string | null = null;
    if (!target && /^(AKIA|ASIA)[A-Z0-9]{8,}$/.test(text)) {
      accessKeyId = text;
      target = this.db
        .prepare('SELECT id, event_id, event_ms FROM events WHERE access_key_id = ? ORDER BY event_ms, event_id LIMIT 1')
        .get(text) as typeof target;
    }
    if (!target) return { eventID: null, accessKeyId, offset: null };
    const q = input.query;
    const w = whereClause(q.filters, searchHits(this.db));
    const visible = this.db.prepare(`SELECT 1 FROM ${EVENT_FROM} ${w.sql ? `${w.sql} AND` : 'WHERE'} e.id = ?`).get(...w.params, target.id);
    if (!visible || q.sort.column !== 'eventTime') return { eventID: target.event_id, accessKeyId, offset: null };
    const before = q.sort.dir === 'asc' ? '<' : '>';
    const pos = this.db
      .prepare(
        `SELECT COUNT(*) FROM ${EVENT_FROM} ${w.sql ? `${w.sql} AND` : 'WHERE'} (e.event_ms ${before} ? OR (e.event_ms = ? AND e.event_id ${before} ?))`,
      )
      .pluck()
      .get(...w.params, target.event_ms, target.event_ms, target.event_id) as number;
    return { eventID: target.event_id, accessKeyId, offset: pos };
  }

  /** Every event of one session, service account, pod or node (the expansion of a graph node). */
  /** Every event of one session, service account, pod or node: the table's query with the matching filters. */
  blastRadius(q: BlastQuery): EventPage {
    // An empty value would be no filter at all (every event): it matches nothing instead.
    if (!q.value || (q.kind === 'serviceAccount' && !/^[^/]+\/[^/]+$/.test(q.value))) return { total: 0, rows: [] };
    const filters: EventFilters = {};
    switch (q.kind) {
      case 'session':
        filters.accessKeyId = q.value;
        break;
      case 'serviceAccount': {
        const [ns, sa] = q.value.split('/');
        filters.namespace = ns ?? '';
        filters.serviceAccount = sa ?? '';
        break;
      }
      case 'pod':
        filters.pod = q.value;
        break;
      case 'node':
        filters.node = q.value;
        break;
    }
    if (q.cluster) filters.cluster = q.cluster;
    return this.eventPage({ filters, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: q.limit });
  }

  async report(eventID: string, format: ReportFormat): Promise<{ filename: string; mime: string; body: string }> {
    const r = await exportReport(this.db, this.queries, this.casePath, eventID, format, null);
    return { filename: r.filename, mime: r.mime, body: r.body };
  }

  /** Load evidence into this case in the background; progress and the result arrive as push events. */
  startIngest(paths: string[]): { jobId: number } {
    const jobId = this.nextJob++;
    const abort = new AbortController();
    this.running.set(jobId, abort);
    let lastPush = 0;
    void ingestEvidence(this.db, paths, {
      signal: abort.signal,
      bulkLoadCache: APP_BULK_LOAD_CACHE,
      onProgress: (p) => {
        const now = Date.now();
        // At most five a second, and always the last: its counts are the result's.
        if (!p.done && now - lastPush < 200) return;
        lastPush = now;
        this.push('ingest.progress', {
          jobId,
          filesDone: p.filesDone,
          filesFailed: p.filesFailed,
          filesSkipped: p.filesSkipped,
          records: p.records,
          bytes: p.bytes,
          elapsedMs: p.elapsedMs,
          rate: p.elapsedMs > 0 ? Math.round((p.records / p.elapsedMs) * 1000) : 0,
          currentPath: p.currentPath ? basename(p.currentPath) : null,
        });
      },
    })
      .then((s) => {
        correlate(this.db);
        this.facetsCache = null;
        this.pages.clear();
        this.push('ingest.done', {
          jobId,
          ok: s.failed === 0 && s.rejectedRecords === 0,
          cancelled: s.cancelled,
          loaded: s.loaded,
          failed: s.failed,
          newEvents: s.newEvents,
          duplicates: s.duplicates,
          errors: s.files
            .filter((f) => f.status === 'failed' || f.recordErrors.length > 0)
            .flatMap((f) => (f.error ? [{ path: f.path, message: f.error }] : f.recordErrors.map((r) => ({ path: f.path, message: `record ${r.recordIndex}: ${r.message}` }))))
            .slice(0, 200),
        });
      })
      .catch((err: Error) => {
        this.push('ingest.done', { jobId, ok: false, cancelled: false, loaded: 0, failed: 0, newEvents: 0, duplicates: 0, errors: [{ path: '', message: err.message }] });
      })
      .finally(() => this.running.delete(jobId));
    return { jobId };
  }
}

export { NotFoundError as CaseNotFoundError };
