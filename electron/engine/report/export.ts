/**
 * Writing a report the way every front end does (CLI, desktop, browser mode): re-hash the evidence it cites,
 * pin the custody-log entry it is made from, render, and log the export with the report's own SHA-256.
 * Nothing here reads the clock except the custody entry of the export itself, so the same case and evidence
 * give byte-identical reports.
 */
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { ReportFormat } from '../../../shared/api';
import { missingCase } from '../../../shared/attribution';
import type { CaseQueries } from '../case/queries';
import { appendCustody, checkCustody, custodyHead, readCustody } from '../custody/log';
import { recheckEvidence, recheckProblems } from '../custody/recheck';
import { reportCsv } from './csv';
import { reportHtml } from './html';
import { buildReport, type ReportModel } from './model';
import { escapeInvisibleInJson } from '../../../shared/invisible';

export interface ExportedReport {
  model: ReportModel;
  body: string;
  mime: string;
  /** Suggested file name (the event id, made safe for file systems). */
  filename: string;
  sha256: string;
  /** Cited files that are not as ingested (changed, missing, unreadable): the report says so too. */
  evidenceProblems: string[];
}

function render(model: ReportModel, format: ReportFormat): { body: string; mime: string; ext: string } {
  switch (format) {
    case 'html':
      return { body: reportHtml(model), mime: 'text/html', ext: 'html' };
    case 'csv':
      return { body: reportCsv(model), mime: 'text/csv', ext: 'csv' };
    case 'json':
      return { body: escapeInvisibleInJson(JSON.stringify(model, null, 2)) + '\n', mime: 'application/json', ext: 'json' };
    default:
      return missingCase(format);
  }
}

export async function exportReport(
  db: Database,
  queries: CaseQueries,
  casePath: string,
  eventID: string,
  format: ReportFormat,
  destination: string | null,
): Promise<ExportedReport> {
  const model = buildReport(queries, casePath, eventID);
  model.evidenceCheck = await recheckEvidence(model.files);
  const custody = checkCustody(db);
  const pinned = custodyHead(db);
  model.custody = { pinned, intact: custody.ok, problems: custody.problems };
  // The examiner is who made the pinned entry (not who runs this export): the same case gives the same bytes.
  model.examiner = pinned ? (readCustody(db).find((e) => e.seq === pinned.seq)?.actor ?? null) : null;
  const { body, mime, ext } = render(model, format);
  const sha256 = createHash('sha256').update(body, 'utf8').digest('hex');
  const safeId = eventID.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 80);
  const filename = `podtrail-report-${safeId}.${ext}`;
  const evidenceProblems = recheckProblems(model.evidenceCheck);
  appendCustody(db, 'export', {
    eventID,
    format,
    destination: destination ?? filename,
    reportSha256: sha256,
    bytes: Buffer.byteLength(body, 'utf8'),
    pinnedEntry: model.custody.pinned?.seq ?? null,
    evidence: { cited: model.files.length, notAsIngested: evidenceProblems.length },
  });
  return { model, body, mime, filename, sha256, evidenceProblems };
}
