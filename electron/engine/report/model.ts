/**
 * The attribution report for one event: what the HTML, JSON and CSV renderings all show. Built only from the
 * case (no clock reads), so the same case gives the same report bytes.
 */
import { FLAGS, type AttributionRecord, type Flag, type FlagReason } from '../../../shared/attribution';
import type { CaseQueries, CredentialActivity, EvidenceFile, RecordVariant, Trace, TracedHop, Provenance } from '../case/queries';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import type { RecheckResult } from '../custody/recheck';
import type { CustodyEntry } from '../custody/log';
import type { FileIntegrity } from '../integrity/store';

export interface ReportModel {
  tool: { name: string; version: string };
  case: { path: string; events: number; evidenceFiles: number; failedFiles: number; lastIngestAt: string | null };
  event: {
    eventID: string;
    eventTime: string;
    eventSource: string;
    eventName: string;
    raw: string;
    provenance: Provenance[];
    /** The record's `userAgent`. */
    userAgent: string | null;
    /** Which of the records under this eventID the report is on (0: the first ingested; 1 record: no conflict). */
    variant: number;
    variants: number;
    /** The other records under this eventID, with the fields in which each differs (each has its own report). */
    otherVariants: RecordVariant[];
  };
  attribution: AttributionRecord;
  hops: TracedHop[];
  /** Every detection raised on the event, with its reason (`attribution.flags` names them). */
  flags: FlagReason[];
  /** The detections PodTrail runs on every case (shared/attribution.ts FLAGS), each with whether it was raised here. */
  detections: { flag: Flag; raised: boolean }[];
  /** What else the credential behind the event (its attribution subject) did in the case. */
  credential: CredentialActivity | null;
  /** Evidence files holding the event and every record cited by a hop, with their hashes. */
  files: Pick<EvidenceFile, 'path' | 'sha256' | 'sha256Decompressed' | 'format' | 'size'>[];
  timeNote: string;
  /**
   * The cited files re-hashed just before the report was written, and the custody-log entry the report was made
   * from (set by `exportReport`; absent from a model built only from the case).
   */
  evidenceCheck?: RecheckResult[];
  custody?: { pinned: Pick<CustodyEntry, 'seq' | 'at' | 'action' | 'entryHash'> | null; intact: boolean; problems: string[] };
  /** The examiner: who made the pinned custody entry (its `actor`, the operating-system user and host). Set with `custody`. */
  examiner?: string | null;
  /** What the case's latest integrity verification proved about the files the event and its evidence were read from. */
  integrity: ReportIntegrity;
}

export interface ReportIntegrity {
  /** The verification (case data: its own time, never the report's). Null when the case was never verified. */
  verification: { runId: number; verifiedAt: string; verdict: string; headline: string } | null;
  /** The files the event's own record was read from (event_sources → evidence_files). */
  event: { path: string; status: FileIntegrity['status']; detail: string }[];
  /** Every cited file, in the order of `files`. */
  files: { path: string; status: FileIntegrity['status']; detail: string }[];
}

export class ReportError extends Error {}

export function buildReport(queries: CaseQueries, casePath: string, eventID: string): ReportModel {
  const trace: Trace | null = queries.trace(eventID);
  if (!trace || !trace.event || !trace.attribution) throw new ReportError(`event ${eventID} is not in the case`);
  const allFiles = queries.evidenceFiles();
  const citedFiles = citedEvidenceFiles(allFiles, trace);
  const files = citedFiles.map(({ path, sha256, sha256Decompressed, format, size }) => ({ path, sha256, sha256Decompressed, format, size }));
  const lastIngestAt = allFiles.reduce<string | null>((m, f) => (m === null || f.ingestedAt > m ? f.ingestedAt : m), null);
  return {
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    case: {
      path: casePath,
      events: queries.eventCount(),
      evidenceFiles: allFiles.filter((f) => f.status === 'complete').length,
      failedFiles: allFiles.filter((f) => f.status === 'failed').length,
      lastIngestAt,
    },
    event: {
      eventID: trace.event.eventID,
      eventTime: trace.event.eventTime,
      eventSource: trace.event.eventSource,
      eventName: trace.event.eventName,
      raw: trace.event.raw,
      provenance: trace.event.provenance,
      userAgent: trace.event.userAgent,
      variant: trace.event.variant,
      variants: trace.event.variants,
      otherVariants: trace.event.otherVariants,
    },
    attribution: trace.attribution,
    hops: trace.hops,
    flags: trace.flags,
    detections: FLAGS.map((flag) => ({ flag, raised: trace.flags.some((f) => f.flag === flag) })),
    credential: queries.credentialActivity(eventID),
    files,
    integrity: integrityOfFiles(queries, citedFiles, trace),
    timeNote: 'All times are UTC, as recorded by AWS (eventTime).',
  };
}

/** The complete evidence files a trace cites: the event's own and every hop record's. */
function citedEvidenceFiles(allFiles: EvidenceFile[], trace: Trace): EvidenceFile[] {
  const cited = new Set<string>((trace.event?.provenance ?? []).map((p) => p.path));
  for (const v of trace.event?.otherVariants ?? []) for (const p of v.provenance) cited.add(p.path);
  for (const h of trace.hops) {
    for (const r of h.records) for (const p of [...r.provenance, ...(r.otherVariants ?? []).flatMap((v) => v.provenance)]) cited.add(p.path);
  }
  return allFiles.filter((f) => f.status === 'complete' && cited.has(f.path));
}

function integrityOfFiles(queries: CaseQueries, citedFiles: EvidenceFile[], trace: Trace): ReportIntegrity {
  const integ = queries.fileIntegrity(citedFiles.map((f) => f.id));
  const files = citedFiles.map((f) => ({ path: f.path, ...integ.files.get(f.id)! }));
  const eventPaths = new Set((trace.event?.provenance ?? []).map((p) => p.path));
  return { verification: integ.run, event: files.filter((f) => eventPaths.has(f.path)), files };
}

/** What the latest integrity verification says about the files a trace cites (`podtrail trace`, like the report). */
export function traceIntegrity(queries: CaseQueries, trace: Trace): ReportIntegrity {
  return integrityOfFiles(queries, citedEvidenceFiles(queries.evidenceFiles(), trace), trace);
}
