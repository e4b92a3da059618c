/**
 * Writing a case report the way every front end does (CLI, desktop, browser mode), like `exportReport` for one
 * event: re-hash the evidence it cites, pin the custody entry it is made from, render (HTML, JSON, or PDF: the HTML
 * printed by whatever Chromium the front end has — `printPdf`), and log the export with the file's SHA-256.
 */
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { CaseQueries } from '../case/queries';
import { appendCustody, checkCustody, custodyHead, readCustody } from '../custody/log';
import { recheckEvidence, recheckProblems } from '../custody/recheck';
import { escapeInvisibleInJson } from '../../../shared/invisible';
import { caseReportHtml } from './case-html';
import { buildCaseReport, type CaseReportModel, type CaseReportOptions } from './case-model';

export const CASE_REPORT_FORMATS = ['html', 'json', 'pdf'] as const;
export type CaseReportFormat = (typeof CASE_REPORT_FORMATS)[number];

export interface ExportedCaseReport {
  model: CaseReportModel;
  body: string | Buffer;
  mime: string;
  filename: string;
  sha256: string;
  evidenceProblems: string[];
}

/** The model with the evidence re-checked and the custody entry pinned: what every rendering shows. */
export async function caseReportModel(db: Database, queries: CaseQueries, casePath: string, options: CaseReportOptions): Promise<CaseReportModel> {
  const model = buildCaseReport(db, queries, casePath, options);
  model.evidenceCheck = await recheckEvidence(model.files);
  const custody = checkCustody(db);
  const pinned = custodyHead(db);
  model.custody = { pinned, intact: custody.ok, problems: custody.problems };
  // No examiner given: who made the pinned entry (not who runs this export), so the same case gives the same bytes.
  if (!model.case.examinerGiven) model.case.examiner = pinned ? (readCustody(db).find((x) => x.seq === pinned.seq)?.actor ?? null) : null;
  return model;
}

export function caseReportFilename(model: CaseReportModel, ext: string): string {
  const safe = model.case.caseId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'case';
  return `podtrail-case-report-${safe}.${ext}`;
}

export async function exportCaseReport(
  db: Database,
  queries: CaseQueries,
  casePath: string,
  options: CaseReportOptions,
  format: CaseReportFormat,
  destination: string | null,
  printPdf?: (html: string) => Promise<Buffer>,
): Promise<ExportedCaseReport> {
  const model = await caseReportModel(db, queries, casePath, options);
  let body: string | Buffer;
  let mime: string;
  switch (format) {
    case 'html':
      body = caseReportHtml(model);
      mime = 'text/html';
      break;
    case 'json':
      body = escapeInvisibleInJson(JSON.stringify(model, null, 2)) + '\n';
      mime = 'application/json';
      break;
    case 'pdf':
      if (!printPdf) throw new Error('PDF needs a Chromium to print the HTML report with');
      body = await printPdf(caseReportHtml(model));
      mime = 'application/pdf';
      break;
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  const filename = caseReportFilename(model, format);
  const evidenceProblems = recheckProblems(model.evidenceCheck ?? []);
  appendCustody(db, 'export', {
    scope: 'case report',
    events: model.scope.events,
    keys: model.scope.keys,
    caseId: model.case.caseId,
    examiner: model.case.examiner,
    format,
    destination: destination ?? filename,
    reportSha256: sha256,
    bytes: typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length,
    pinnedEntry: model.custody?.pinned?.seq ?? null,
    evidence: { cited: model.files.length, notAsIngested: evidenceProblems.length },
  });
  return { model, body, mime, filename, sha256, evidenceProblems };
}
