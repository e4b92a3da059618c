/**
 * The case report (issue 17 part 4): several events and whole credential sessions in one document — a summary
 * table, each event with its verdict, detections and reasons, chain and records, each session with every event
 * made with its key and the detections over them, the examiner's stars, tags and notes, the examiner and case id,
 * evidence integrity and custody. Built only from the case and the options given (no clock reads), so the same
 * case and options give the same bytes.
 */
import { basename, extname } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { CredentialAttribution, Flag } from '../../../shared/attribution';
import { bySeverity, severityOf, type Severity } from '../../../shared/detections';
import { noteKey, summarizeNotes, type NoteTarget, type NoteView } from '../../../shared/notes';
import type { CaseQueries, EvidenceFile, TracedHop } from '../case/queries';
import type { CustodyEntry } from '../custody/log';
import type { RecheckResult } from '../custody/recheck';
import type { FileIntegrity } from '../integrity/store';
import { NoteStore } from '../notes/store';
import { eventIdArgs, eventIdIs } from '../db/event-id';
import { attributedRowView, type AttributedRow } from '../db/rows';
import type { EventRowView } from '../../../shared/api';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import { buildReport, ReportError, type ReportModel } from './model';
import { isoUtc } from '../util/time';

/** Events of one session listed in the report (all of them are counted). */
export const SESSION_ROWS = 1000;
export const MAX_REPORT_EVENTS = 200;
export const MAX_REPORT_KEYS = 50;

export interface CaseReportOptions {
  /** eventIDs (`<eventID>#<n>` for a variant), each reported in full. */
  events: string[];
  /** Access key ids: each session reported whole. */
  keys: string[];
  /** The examiner's name as it should appear; default: who made the custody entry the report is pinned to. */
  examiner?: string | null;
  /** The case or incident number; default: the case file's name. */
  caseId?: string | null;
  title?: string | null;
}

/** One line of the summary table. */
/** One row of the report's tables: the event table's columns (shared/api.ts EventRowView), and the examiner's marks. */
export interface CaseReportRow extends Omit<EventRowView, 'rowid' | 'fields'> {
  variant: number;
  starred: boolean;
  tags: string[];
  notes: number;
  /** Whether the event has a section of its own (it was asked for with --event). */
  detailed: boolean;
}

export interface CaseReportSession {
  accessKeyId: string;
  resolution: CredentialAttribution;
  hops: TracedHop[];
  /** Every event made with the key in the case. */
  events: number;
  /** How many of them the summary lists (at most SESSION_ROWS). */
  listed: number;
  first: string | null;
  last: string | null;
  /** Each detection raised on the session's events: how many events, its severity, and its distinct reasons (up to 5). */
  detections: { flag: Flag; severity: Severity; events: number; reasons: string[] }[];
  /** The calls made with the key, by API, most frequent first. */
  calls: { eventSource: string; eventName: string; count: number }[];
  /** The addresses the key was used from, most events first (at most 20). */
  sourceIps: { ip: string | null; events: number }[];
}

export interface CaseReportDetail {
  report: ReportModel;
  /** Stars, tags and notes on the event and on its pod, session and principal. */
  notes: NoteView[];
}

export interface CaseReportModel {
  kind: 'podtrail-case-report';
  tool: { name: string; version: string };
  title: string;
  case: {
    path: string;
    caseId: string;
    caseIdGiven: boolean;
    examiner: string | null;
    examinerGiven: boolean;
    events: number;
    evidenceFiles: number;
    failedFiles: number;
    lastIngestAt: string | null;
  };
  scope: { events: string[]; keys: string[] };
  summary: {
    events: number;
    flagged: number;
    bySeverity: Partial<Record<Severity, number>>;
    byDetection: { flag: Flag; severity: Severity; events: number }[];
    sessions: number;
    starred: number;
  };
  rows: CaseReportRow[];
  details: CaseReportDetail[];
  sessions: CaseReportSession[];
  /** Every star, tag and note on the events, pods, sessions and principals the report covers, oldest first. */
  notes: NoteView[];
  files: Pick<EvidenceFile, 'path' | 'sha256' | 'sha256Decompressed' | 'format' | 'size'>[];
  integrity: {
    verification: { runId: number; verifiedAt: string; verdict: string; headline: string } | null;
    files: { path: string; status: FileIntegrity['status']; detail: string }[];
  };
  evidenceCheck?: RecheckResult[];
  custody?: { pinned: Pick<CustodyEntry, 'seq' | 'at' | 'action' | 'entryHash'> | null; intact: boolean; problems: string[] };
  timeNote: string;
}

interface SessionRow extends AttributedRow {
  variant: number;
}

const ROW_SQL = `SELECT e.event_id, e.variant, e.event_time, e.event_source, e.event_name, e.recipient_account_id, e.aws_region,
  e.source_ip, e.error_code, e.access_key_id, s.mechanism, s.cluster_name, s.namespace, s.service_account, s.pod_name,
  s.node_instance, s.conf_identity, s.conf_pod, s.conf_node,
  (SELECT group_concat(f.flag) FROM event_flags f WHERE f.event_rowid = e.id) AS flags
  FROM events e JOIN event_subjects es ON es.event_rowid = e.id JOIN subjects s ON s.id = es.subject_id`;

function rowOf(r: SessionRow, detailed: boolean): CaseReportRow {
  return { ...attributedRowView(r, bySeverity), variant: r.variant, starred: false, tags: [], notes: 0, detailed };
}

const rowKey = (eventID: string, variant: number) => `${eventID}#${variant}`;

function uniq(values: string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter((v) => v !== ''))];
}

/** Files cited by hops: every provenance path of their records and of the records' other variants. */
function hopPaths(hops: TracedHop[]): string[] {
  const out: string[] = [];
  for (const h of hops) for (const r of h.records) for (const p of [...r.provenance, ...(r.otherVariants ?? []).flatMap((v) => v.provenance)]) out.push(p.path);
  return out;
}

export function buildCaseReport(db: Database, queries: CaseQueries, casePath: string, options: CaseReportOptions): CaseReportModel {
  const events = uniq(options.events);
  const keys = uniq(options.keys);
  if (events.length === 0 && keys.length === 0) throw new ReportError('a case report needs at least one event (--event) or access key (--key)');
  if (events.length > MAX_REPORT_EVENTS) throw new ReportError(`a case report covers at most ${MAX_REPORT_EVENTS} events in full (use --key for whole sessions)`);
  if (keys.length > MAX_REPORT_KEYS) throw new ReportError(`a case report covers at most ${MAX_REPORT_KEYS} sessions`);

  const rowStmt = db.prepare(`${ROW_SQL} WHERE ${eventIdIs('e')} AND e.variant = ?`);
  const rows = new Map<string, CaseReportRow>();
  const details: CaseReportDetail[] = [];
  const citedPaths = new Set<string>();
  for (const id of events) {
    const report = buildReport(queries, casePath, id);
    for (const f of report.files) citedPaths.add(f.path);
    const r = rowStmt.get(...eventIdArgs(report.event.eventID), report.event.variant) as SessionRow | undefined;
    if (r) rows.set(rowKey(r.event_id, r.variant), rowOf(r, true));
    details.push({ report, notes: [] });
  }

  const sessions: CaseReportSession[] = [];
  const sessionRows = db.prepare(`${ROW_SQL} WHERE e.access_key_id = ? ORDER BY e.event_ms, e.event_id, e.variant LIMIT ${SESSION_ROWS}`);
  for (const key of keys) {
    const trace = queries.trace(key);
    // By instant, in UTC (the records' own texts may carry other zones).
    const count = db.prepare('SELECT COUNT(*) n, MIN(event_ms) f, MAX(event_ms) l FROM events WHERE access_key_id = ?').get(key) as { n: number; f: number | null; l: number | null };
    if (!trace || trace.event || count.n === 0) throw new ReportError(`access key ${key} is not in the case`);
    for (const p of hopPaths(trace.hops)) citedPaths.add(p);
    const listed = sessionRows.all(key) as SessionRow[];
    for (const r of listed) {
      const k = rowKey(r.event_id, r.variant);
      if (!rows.has(k)) rows.set(k, rowOf(r, false));
    }
    const flagRows = db
      .prepare(
        `SELECT f.flag, COUNT(DISTINCT f.event_rowid) n FROM event_flags f JOIN events e ON e.id = f.event_rowid
         WHERE e.access_key_id = ? GROUP BY f.flag`,
      )
      .all(key) as { flag: Flag; n: number }[];
    const reasonStmt = db.prepare(
      `SELECT DISTINCT f.detail FROM event_flags f JOIN events e ON e.id = f.event_rowid WHERE e.access_key_id = ? AND f.flag = ? ORDER BY f.detail LIMIT 5`,
    );
    const calls = db
      .prepare('SELECT event_source, event_name, COUNT(*) n FROM events WHERE access_key_id = ? GROUP BY event_source, event_name ORDER BY n DESC, event_name, event_source')
      .all(key) as { event_source: string; event_name: string; n: number }[];
    sessions.push({
      accessKeyId: key,
      resolution: trace.resolution,
      hops: trace.hops,
      events: count.n,
      listed: listed.length,
      first: count.f === null ? null : isoUtc(count.f),
      last: count.l === null ? null : isoUtc(count.l),
      detections: bySeverity(flagRows.map((f) => f.flag)).map((flag) => ({
        flag,
        severity: severityOf(flag),
        events: flagRows.find((f) => f.flag === flag)!.n,
        reasons: reasonStmt.pluck().all(key, flag) as string[],
      })),
      calls: calls.map((c) => ({ eventSource: c.event_source, eventName: c.event_name, count: c.n })),
      sourceIps: (
        db.prepare('SELECT source_ip ip, COUNT(*) n FROM events WHERE access_key_id = ? GROUP BY source_ip ORDER BY n DESC, source_ip LIMIT 20').all(key) as { ip: string | null; n: number }[]
      ).map((x) => ({ ip: x.ip, events: x.n })),
    });
  }

  // The examiner's notes on everything the report covers.
  const targets: NoteTarget[] = [];
  const seenTargets = new Set<string>();
  const want = (kind: NoteTarget['kind'], value: string | null | undefined) => {
    if (!value) return;
    const t = { kind, value };
    if (seenTargets.has(noteKey(t))) return;
    seenTargets.add(noteKey(t));
    targets.push(t);
  };
  for (const r of rows.values()) {
    want('event', r.eventID);
    if (r.variant > 0) want('event', rowKey(r.eventID, r.variant));
    want('pod', r.pod);
    want('session', r.accessKeyId);
  }
  for (const d of details) want('principal', d.report.attribution.principal);
  for (const s of sessions) want('principal', s.resolution.principal);
  const store = new NoteStore(db);
  const notes = store.list(targets);
  const byTarget = summarizeNotes(notes);
  for (const r of rows.values()) {
    const own = byTarget.get(noteKey({ kind: 'event', value: r.eventID }));
    const variant = r.variant > 0 ? byTarget.get(noteKey({ kind: 'event', value: rowKey(r.eventID, r.variant) })) : undefined;
    r.starred = !!(own?.starred || variant?.starred);
    r.tags = uniq([...(own?.tags ?? []), ...(variant?.tags ?? [])]);
    r.notes = (own?.notes.length ?? 0) + (variant?.notes.length ?? 0);
  }
  for (const d of details) {
    const a = d.report.attribution;
    const mine = new Set(
      [
        { kind: 'event', value: a.eventID },
        { kind: 'event', value: rowKey(a.eventID, d.report.event.variant) },
        { kind: 'pod', value: a.pod?.name ?? '' },
        { kind: 'session', value: a.accessKeyId ?? '' },
        { kind: 'principal', value: a.principal ?? '' },
      ].map((t) => noteKey(t as NoteTarget)),
    );
    d.notes = notes.filter((n) => mine.has(noteKey(n.target)));
  }

  const sorted = [...rows.values()].sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : a.eventID < b.eventID ? -1 : a.eventID > b.eventID ? 1 : a.variant - b.variant));
  const byDetection = new Map<Flag, number>();
  const bySev: Partial<Record<Severity, number>> = {};
  for (const r of sorted) {
    for (const f of r.flags) byDetection.set(f, (byDetection.get(f) ?? 0) + 1);
    if (r.flags.length) {
      const sev = severityOf(r.flags[0]!);
      bySev[sev] = (bySev[sev] ?? 0) + 1;
    }
  }

  const allFiles = queries.evidenceFiles();
  const cited = allFiles.filter((f) => f.status === 'complete' && citedPaths.has(f.path));
  const integ = queries.fileIntegrity(cited.map((f) => f.id));
  const given = (v: string | null | undefined) => (v && v.trim() !== '' ? v.trim() : null);
  const caseId = given(options.caseId);
  const examiner = given(options.examiner);
  return {
    kind: 'podtrail-case-report',
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    title: given(options.title) ?? 'Case report',
    case: {
      path: casePath,
      caseId: caseId ?? basename(casePath, extname(casePath)),
      caseIdGiven: caseId !== null,
      examiner,
      examinerGiven: examiner !== null,
      events: queries.eventCount(),
      evidenceFiles: allFiles.filter((f) => f.status === 'complete').length,
      failedFiles: allFiles.filter((f) => f.status === 'failed').length,
      lastIngestAt: allFiles.reduce<string | null>((m, f) => (m === null || f.ingestedAt > m ? f.ingestedAt : m), null),
    },
    scope: { events, keys },
    summary: {
      events: sorted.length,
      flagged: sorted.filter((r) => r.flags.length > 0).length,
      bySeverity: bySev,
      byDetection: bySeverity([...byDetection.keys()]).map((flag) => ({ flag, severity: severityOf(flag), events: byDetection.get(flag)! })),
      sessions: sessions.length,
      starred: sorted.filter((r) => r.starred).length,
    },
    rows: sorted,
    details,
    sessions,
    notes,
    files: cited.map(({ path, sha256, sha256Decompressed, format, size }) => ({ path, sha256, sha256Decompressed, format, size })),
    integrity: { verification: integ.run, files: cited.map((f) => ({ path: f.path, ...integ.files.get(f.id)! })) },
    timeNote: 'All times are UTC, as recorded by AWS (eventTime); notes carry the time they were written.',
  };
}
