/**
 * The one API table: every call the UI can make (name → validated input → output) and every event the engine
 * pushes. The Electron preload, the main-process IPC handler, the loopback HTTP server (browser mode) and the
 * renderer's client are all derived from it; adding a feature adds a row here, not a channel.
 *
 * Inputs are validated with zod where they enter the engine (the dispatcher); outputs are typed only.
 */
import { z } from 'zod';
import type { AttributionRecord, Confidence, CredentialAttribution, Flag, Mechanism, PodActorAction } from './attribution';
import { FLAGS, MECHANISMS } from './attribution';
import type { IntegrityResult } from './integrity';
import { RECORD_ERROR_PAGE_MAX } from './record-errors';
import { NOTE_KINDS, NOTE_MAX, NOTE_TARGETS, type NoteView } from './notes';
import { FIELD_PATH } from './field-path';

/** `actor.timeline`: entries answered when no limit is asked for, and the most that may be. */
export const ACTOR_TIMELINE_LIMIT = 1000;
export const ACTOR_TIMELINE_MAX = 10_000;

/** Rejected records are answered in bounded pieces (shared/record-errors.ts). */
export { RECORD_ERROR_PAGE_MAX, RECORD_ERRORS_PER_FILE } from './record-errors';

// --- inputs ----------------------------------------------------------------------------------------------

const text = z.string().max(4096);
const optionalText = text.optional();

/** Table filters. Every field narrows; absent fields do not. Applied in SQLite, never in the browser. */
export const EventFilters = z.object({
  fromMs: z.number().int().optional(),
  toMs: z.number().int().optional(),
  account: optionalText,
  region: optionalText,
  eventSource: optionalText,
  eventName: optionalText,
  /** 'any' = only failed calls; 'none' = only successful ones; otherwise an exact error code. */
  errorCode: optionalText,
  mechanism: z.enum(MECHANISMS).optional(),
  cluster: optionalText,
  namespace: optionalText,
  serviceAccount: optionalText,
  pod: optionalText,
  node: optionalText,
  /** Only events of one credential (an access key, within its subject). */
  accessKeyId: optionalText,
  /**
   * Only one person's or workload's events: those whose attribution's root principal is this (in the record's own
   * words, as `podActors[].principal` gives it), and the calls this person most plausibly made through a pod
   * (`actor.principal`).
   */
  principal: optionalText,
  /**
   * Search (electron/engine/service/search-terms.ts): free text as a substring of event name, source, principal,
   * IP, user agent, key or eventID, or on whole words anywhere in the raw record (request and response parameters
   * included); `path:glob` terms (`requestParameters.secretId:prod/*`) on one field of the record. ASCII case
   * ignored; terms AND.
   */
  search: optionalText,
  /** Only events a detection flagged: one kind, or 'any'. */
  flag: z.enum([...FLAGS, 'any']).optional(),
  /**
   * Only the events the examiner starred (shared/notes.ts): a star on the event itself, the ★ of the table's column
   * (on `<eventID>` every record under it, on `<eventID>#<n>` that variant). A star on a pod, session or person does
   * not star their events. Absent or false: no narrowing.
   */
  starred: z.boolean().optional(),
  /**
   * Only the events carrying this tag: on the event itself, or on what it belongs to — its credential session
   * (`accessKeyId`), its pod (`pod`) or its person (`principal`), each read as that filter reads it.
   */
  tag: optionalText,
});
export type EventFilters = z.infer<typeof EventFilters>;

export const SORT_COLUMNS = ['eventTime', 'eventName', 'eventSource', 'account', 'region', 'sourceIp', 'mechanism', 'pod', 'node'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export const EventQuery = z.object({
  filters: EventFilters,
  sort: z.object({ column: z.enum(SORT_COLUMNS), dir: z.enum(['asc', 'desc']) }),
  offset: z.number().int().min(0),
  limit: z.number().int().min(1).max(1000),
  /** Fields of the raw record to show as columns: each row's `fields` gives their values. */
  fields: z.array(z.string().max(200).regex(FIELD_PATH)).max(8).optional(),
});
export type EventQuery = z.infer<typeof EventQuery>;

export const HistogramQuery = z.object({ filters: EventFilters, buckets: z.number().int().min(1).max(1000) });
export type HistogramQuery = z.infer<typeof HistogramQuery>;

export const BLAST_KINDS = ['session', 'serviceAccount', 'pod', 'node'] as const;
export type BlastKind = (typeof BLAST_KINDS)[number];

export const BlastQuery = z.object({
  kind: z.enum(BLAST_KINDS),
  /** session: an access key; serviceAccount: "<namespace>/<name>" (with cluster); pod: a pod name; node: an instance id. */
  value: text,
  cluster: optionalText,
  limit: z.number().int().min(1).max(5000),
});
export type BlastQuery = z.infer<typeof BlastQuery>;

export const REPORT_FORMATS = ['html', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A star, tag or note's target (shared/notes.ts). */
export const NoteTargetInput = z.object({ kind: z.enum(NOTE_TARGETS), value: z.string().min(1).max(2048) });

/**
 * The case report: several events in full and whole sessions (access keys), with the examiner and case id. `html`
 * is also what the app prints to PDF (the shell's printToPDF; the print dialog in a browser).
 */
export const CaseReportInput = z.object({
  events: z.array(text).max(200),
  keys: z.array(text).max(50),
  format: z.enum(['html', 'json']),
  examiner: z.string().max(200).optional(),
  caseId: z.string().max(200).optional(),
  title: z.string().max(200).optional(),
});
export type CaseReportInput = z.infer<typeof CaseReportInput>;

/**
 * Export of the filtered table, one attribution record per event: `csv` (the CLI's `attribute --format csv`),
 * `jsonl` (`attribute --format jsonl`), `timesketch` (`attribute --format timesketch`).
 */
export const TABLE_EXPORT_FORMATS = ['csv', 'jsonl', 'timesketch'] as const;
export type TableExportFormat = (typeof TABLE_EXPORT_FORMATS)[number];

/**
 * `events.export`: start with the filters and a format, then ask for the next chunk with the `exportId` each
 * answer gives until `done`. The engine keeps the position (in eventTime, eventID order), so memory stays bounded
 * on both sides whatever the number of events; the finished export is logged in the custody log with its SHA-256.
 */
export const TableExportInput = z.union([
  z.object({ filters: EventFilters, format: z.enum(TABLE_EXPORT_FORMATS) }),
  z.object({ exportId: z.string().max(100), cancel: z.boolean().optional() }),
]);
export type TableExportInput = z.infer<typeof TableExportInput>;

// --- outputs ---------------------------------------------------------------------------------------------

/** One row of the event table: the event's columns and its attribution's headline. */
export interface EventRowView {
  rowid: number;
  eventID: string;
  eventTime: string;
  eventSource: string;
  eventName: string;
  account: string | null;
  region: string | null;
  sourceIp: string | null;
  errorCode: string | null;
  accessKeyId: string | null;
  mechanism: Mechanism;
  cluster: string | null;
  namespace: string | null;
  serviceAccount: string | null;
  pod: string | null;
  node: string | null;
  confidence: { identity: Confidence; pod: Confidence; node: Confidence };
  /** Detections on this event (reasons in the trace). */
  flags: Flag[];
  /**
   * The raw record's values at the query's `fields` paths, by path: text as is, other values as JSON, several (an
   * array looked through) joined with ", "; null where the record has none. Absent when no fields were asked for.
   */
  fields?: Record<string, string | null>;
}

export interface EventPage {
  total: number;
  rows: EventRowView[];
}

export interface Histogram {
  fromMs: number;
  bucketMs: number;
  counts: number[];
}

export interface Facets {
  accounts: string[];
  regions: string[];
  eventSources: string[];
  mechanisms: Mechanism[];
  clusters: string[];
  namespaces: string[];
  serviceAccounts: string[];
  pods: string[];
  nodes: string[];
}

export interface Provenance {
  path: string;
  recordIndex: number;
  fileSha256: string;
}

/**
 * Another record the bundle holds under the same eventID (a conflict: same eventID, different content). `variant`
 * numbers them in the order they were ingested (0 first).
 */
export interface RecordVariantView {
  variant: number;
  provenance: Provenance[];
  /** The record's top-level fields whose values differ from those of the record it is listed under. */
  differs: string[];
  /** The record text exactly as read: render as text, never as markup. */
  raw: string;
}

export interface EvidenceRecordView {
  id: string;
  /** A CloudTrail event, an EKS audit event (`eventName`: verb and resource), or a document (inventory, describe output). */
  kind: 'event' | 'audit' | 'document';
  eventName: string | null;
  eventTime: string | null;
  provenance: Provenance[];
  /** The record text exactly as read: render as text, never as markup. */
  raw: string;
  /** Set only when several different records share the eventID: which one this is (0: the first ingested). */
  variant?: number;
  /** How many different records share the eventID (set with `variant`). */
  variants?: number;
  /** The other records under the eventID, not cited by this hop (set with `variant`). */
  otherVariants?: RecordVariantView[];
  /** Why this record, of those under the eventID, is the one cited (set with `variant`). */
  variantNote?: string;
}

export interface HopView {
  rule: string;
  confidence: Confidence;
  claim: string;
  evidence: string[];
  fields: string[];
  records: EvidenceRecordView[];
}

export interface TraceView {
  event: {
    eventID: string;
    eventTime: string;
    eventSource: string;
    eventName: string;
    accessKeyId: string | null;
    sourceIPAddress: string | null;
    raw: string;
    provenance: Provenance[];
    /** The record's `userAgent`. */
    userAgent?: string | null;
    /** Which of the records under this eventID was traced (0: the first ingested; see `otherVariants`). */
    variant?: number;
    /** How many different records the bundle holds under this eventID (1: no conflict). */
    variants?: number;
    /** The other records under this eventID (each is attributed on its own: trace `<eventID>#<variant>`). */
    otherVariants?: RecordVariantView[];
  } | null;
  accessKeyId: string | null;
  attribution: AttributionRecord | null;
  /** The resolution behind the attribution (same fields, for a key traced without an event). */
  resolution: CredentialAttribution;
  hops: HopView[];
  /** Detections on the event, with what showed them. */
  flags: { flag: Flag; detail: string }[];
}

/**
 * `trace.people`: the people behind the event's pod as the chain graph draws them (shared/people.ts picks which):
 * each person's actions on the pod with the audit event that shows each, and their own credential chain — the
 * access key the audit log names (`user.extra.accessKeyId`) traced as an API event's key is (its issuing STS calls,
 * role chaining, the root principal), every hop with the records it cites.
 */
export const PeopleQuery = z.object({
  /** The event (`<eventID>` or `<eventID>#<n>`), as `trace.get` takes it. */
  target: text,
  /** How many people, and how many actions of each, to answer with (default: shared/people.ts PEOPLE_LIMITS). */
  people: z.number().int().min(1).max(50).optional(),
  actions: z.number().int().min(1).max(50).optional(),
});
export type PeopleQuery = z.infer<typeof PeopleQuery>;

/**
 * One action on the pod and the audit event that shows it: `what` (the request: verb, resource, the pod or
 * Deployment it names, when) and `who` (the request's `user`: its Kubernetes user, `user.extra.arn` and
 * `user.extra.accessKeyId`, and how they resolve to the person), each a hop citing that audit record.
 */
export interface PersonActionView {
  action: PodActorAction;
  what: HopView;
  who: HopView;
}

/** A person's access key (`user.extra.accessKeyId`) and its chain to the root, as `trace` gives a key's. */
export interface PersonCredentialView {
  accessKeyId: string;
  /** The audit events of the listed actions that name the key. */
  named: HopView;
  /** The key's resolution (chain, root principal, confidence); null when the bundle says nothing of the key. */
  resolution: CredentialAttribution | null;
  /** Its hops, each with the records it cites (the record a root is read from is cited, never left implicit). */
  hops: HopView[];
}

export interface PersonView {
  /** As `podActors` names them: the root principal, else the Kubernetes user. */
  who: string;
  /** Whether they are the event's `actor`. */
  actor: boolean;
  actions: PersonActionView[];
  /** Their other actions on the pod, not listed. */
  moreActions: number;
  /** One per access key of the listed actions, in the order of the actions; none when the audit log names no key. */
  credentials: PersonCredentialView[];
}

export interface PeopleView {
  people: PersonView[];
  /** People behind the pod not listed. */
  more: number;
}

/**
 * `actor.timeline`: the reverse pivot (`podtrail actor`, electron/engine/k8s/actor-pivot.ts). From a person — an
 * Identity Center user, an IAM user, a role session — everything they did in AWS and in Kubernetes, in one timeline:
 * the AWS events of their credentials, the calls their exec sessions made with a pod's credentials, their actions on
 * pods and their other Kubernetes requests (EKS audit log), each with how it is tied to them.
 */
export const ActorQuery = z.object({
  /** Part of a principal (as `podActors[].principal` names it) or an access key id, as `podtrail actor` takes it. */
  target: z.string().min(1).max(4096),
  /** How many entries to answer with, the earliest first (default ACTOR_TIMELINE_LIMIT). */
  limit: z.number().int().min(1).max(ACTOR_TIMELINE_MAX).optional(),
});
export type ActorQuery = z.infer<typeof ActorQuery>;

export interface ActorEntry {
  ms: number;
  time: string;
  kind: 'aws' | 'kubernetes';
  /** eventID or auditID. */
  id: string;
  /** `eventSource:eventName`, or `<verb> <resource>[/<subresource>] <namespace>/<name>`. */
  what: string;
  principal: string | null;
  accessKeyId: string | null;
  /** How the entry is tied to the person. */
  via: string;
}

export interface ActorTimeline {
  target: string;
  /** The principals the target matched (none: nobody in the case). */
  principals: string[];
  /** In time order. */
  entries: ActorEntry[];
}

export interface ActorTimelineView extends ActorTimeline {
  /** The timeline holds more entries than `entries` (the first `limit`): `podtrail actor` lists them all. */
  truncated: boolean;
}

export interface EvidenceFileView {
  id: number;
  path: string;
  size: number;
  sha256: string;
  sha256Decompressed: string | null;
  format: string;
  status: string;
  records: number;
  newEvents: number;
  duplicates: number;
  conflicts: number;
  rejected: number;
  error: string | null;
  ingestedAt: string;
  toolVersion: string;
}


/** One rejected record: the file it was read from and its index there, and why it was refused. */
export interface RecordErrorView {
  fileId: number;
  path: string;
  recordIndex: number;
  message: string;
}

export interface EvidenceListing {
  files: EvidenceFileView[];
  /** The first RECORD_ERRORS_PER_FILE rejected records of each file, by path then record index; `files[].rejected` counts them all. */
  recordErrors: RecordErrorView[];
}

/** What the evidence covers (the Evidence panel's summary; electron/engine/service/coverage.ts). */
export interface CoverageView {
  /** CloudTrail events per account and region; `hoursWithEvents` < `hoursSpanned`: hours with no event at all (a possible gap). */
  cloudtrail: { account: string | null; region: string | null; events: number; first: string; last: string; hoursWithEvents: number; hoursSpanned: number; files: number }[];
  kubernetes: { auditEvents: number; first: string | null; last: string | null; auditFiles: number; inventoryFiles: number };
  /** Complete evidence files by format, most first. */
  byFormat: { format: string; files: number }[];
}

/** A page of one file's rejected records, in record order. */
export interface RecordErrorPage {
  fileId: number;
  path: string;
  /** Every rejected record of the file. */
  total: number;
  offset: number;
  errors: { recordIndex: number; message: string }[];
}

export interface CaseSummary {
  casePath: string;
  toolVersion: string;
  events: number;
  evidenceFiles: number;
  failedFiles: number;
  rejectedRecords: number;
  /** The first and the last event's time, in UTC (ISO 8601), whatever zone their records wrote. */
  firstEventTime: string | null;
  lastEventTime: string | null;
  /** Events attributed, per mechanism. */
  byMechanism: Partial<Record<Mechanism, number>>;
  /** Events flagged by each detection. */
  byFlag: Partial<Record<Flag, number>>;
  /** Events flagged by any detection (an event can carry several). */
  flaggedEvents: number;
}

export interface ReportFile {
  filename: string;
  mime: string;
  body: string;
}

/** One chunk of a table export: append `body` to the file; ask again with `exportId` until `done`. */
export interface TableExportChunk {
  exportId: string;
  filename: string;
  mime: string;
  body: string;
  /** Events written so far (this chunk included). */
  events: number;
  done: boolean;
  /** Set once done: the SHA-256 and size of the whole file, as logged in the custody log. */
  sha256: string | null;
  bytes: number;
}

/** One entry of the case's chain-of-custody log (hash-chained; see electron/engine/custody/log.ts). */
export interface CustodyEntry {
  seq: number;
  /** UTC, when the action was done. */
  at: string;
  /** Operating-system user and host. */
  actor: string;
  /** `annotate`: a star, tag or note added to or removed from the case (shared/notes.ts). */
  action: 'case-created' | 'custody-log-started' | 'ingest' | 'verify' | 'export' | 'annotate';
  toolVersion: string;
  details: Record<string, unknown>;
  prevHash: string;
  entryHash: string;
}

export interface CustodyLog {
  entries: CustodyEntry[];
  /** The hash chain and the evidence manifests the entries pinned, re-derived now. */
  check: { ok: boolean; problems: string[] };
}

/** A stored integrity verification (electron/engine/integrity): the verdict, per digest, per file, findings. */
export interface IntegrityView {
  runId: number;
  /** UTC, when it ran. */
  verifiedAt: string;
  toolVersion: string;
  /** Evidence files added to the case since: this verification says nothing about them. */
  newerFiles: number;
  result: IntegrityResult;
}

/** `aws cloudtrail list-public-keys` output on the engine's disk, for one region (keys are per region). */
export const KeyListRef = z.object({ region: z.string().regex(/^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$/), path: text });

export interface IngestProgressEvent {
  jobId: number;
  filesDone: number;
  filesFailed: number;
  filesSkipped: number;
  records: number;
  bytes: number;
  elapsedMs: number;
  /** Records per second so far. */
  rate: number;
  currentPath: string | null;
}

export interface IngestDoneEvent {
  jobId: number;
  ok: boolean;
  cancelled: boolean;
  loaded: number;
  failed: number;
  newEvents: number;
  duplicates: number;
  errors: { path: string; message: string }[];
}

// --- the table -------------------------------------------------------------------------------------------

/** A call: its input schema and (phantom) output type. */
interface Call<I extends z.ZodType, O> {
  input: I;
  output?: O;
}
/** `call<Output>()(inputSchema)`: the output type is given, the input type is inferred from the schema. */
const call =
  <O>() =>
  <I extends z.ZodType>(input: I): Call<I, O> => ({ input });

const none = z.object({});

export const API = {
  'case.summary': call<CaseSummary>()(none),
  /** The evidence manifest with each file's counts and its first rejected records (RECORD_ERRORS_PER_FILE). */
  'evidence.list': call<EvidenceListing>()(none),
  /** More of one file's rejected records: `limit` of them from `offset`, in record order. */
  'evidence.recordErrors': call<RecordErrorPage>()(
    z.object({ fileId: z.number().int(), offset: z.number().int().min(0), limit: z.number().int().min(1).max(RECORD_ERROR_PAGE_MAX) }),
  ),
  /** What the evidence covers: per account and region, in time, and the Kubernetes evidence. */
  'evidence.coverage': call<CoverageView>()(none),
  'events.query': call<EventPage>()(EventQuery),
  'events.histogram': call<Histogram>()(HistogramQuery),
  'events.facets': call<Facets>()(none),
  /** Where a pasted eventID or access key is: the event's position under the given filters and sort. */
  'events.locate': call<{ eventID: string | null; accessKeyId: string | null; offset: number | null }>()(z.object({ text, query: EventQuery })),
  'trace.get': call<TraceView | null>()(z.object({ target: text })),
  /** The people behind the event's pod with the records of their actions and their own credential chains (PeopleQuery); null when the event is not in the case. */
  'trace.people': call<PeopleView | null>()(PeopleQuery),
  /** An EKS audit event by its auditID, exactly as read, with every file and record index it was read from; null when not in the case. */
  'evidence.audit': call<EvidenceRecordView | null>()(z.object({ auditID: text })),
  /** A person's AWS events and Kubernetes requests in one timeline (ActorQuery; the reverse pivot, `podtrail actor`). */
  'actor.timeline': call<ActorTimelineView>()(ActorQuery),
  'blast.radius': call<EventPage>()(BlastQuery),
  'report.export': call<ReportFile>()(z.object({ eventID: text, format: z.enum(REPORT_FORMATS) })),
  /** The case report of several events and sessions (CaseReportInput); logged in the custody log like every export. */
  'report.case': call<ReportFile>()(CaseReportInput),
  /** Active stars, tags and notes: all of the case, or of the targets given. */
  'notes.list': call<NoteView[]>()(z.object({ targets: z.array(NoteTargetInput).max(500).optional() })),
  /** Star, tag or note an event or entity; logged in the custody log. A star or tag already there is answered as it is. */
  'notes.add': call<NoteView>()(z.object({ target: NoteTargetInput, kind: z.enum(NOTE_KINDS), text: z.string().max(NOTE_MAX) })),
  /** Mark one removed (it stays in the case); logged in the custody log. */
  'notes.remove': call<{ removed: boolean }>()(z.object({ id: z.number().int().min(1) })),
  /** Every event under the filters as CSV, JSON Lines or Timesketch JSONL, chunk by chunk (TableExportInput). */
  'events.export': call<TableExportChunk>()(TableExportInput),
  'custody.log': call<CustodyLog>()(none),
  /** The latest verification, or null when the case has never been verified. */
  'integrity.get': call<IntegrityView | null>()(none),
  /** Verify now, with the key lists in the case and any given here; logged in the custody log. */
  'integrity.verify': call<IntegrityView>()(z.object({ publicKeys: z.array(KeyListRef).max(100).optional() })),
  'ingest.start': call<{ jobId: number }>()(z.object({ paths: z.array(text).min(1).max(1000) })),
  'ingest.cancel': call<{ cancelled: boolean }>()(z.object({ jobId: z.number().int() })),
} as const;

export type ApiName = keyof typeof API;
export type ApiInput<N extends ApiName> = z.infer<(typeof API)[N]['input']>;
export type ApiOutput<N extends ApiName> = Exclude<(typeof API)[N]['output'], undefined>;

/** Events the engine pushes to the UI. */
export interface PushEvents {
  'ingest.progress': IngestProgressEvent;
  'ingest.done': IngestDoneEvent;
}
export type PushName = keyof PushEvents;
export const PUSH_NAMES: readonly PushName[] = ['ingest.progress', 'ingest.done'];

/** Results cross process boundaries as values, because Electron forwards only an Error's message. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: { code: ApiErrorCode; message: string } };
/** `superseded`: a newer call of the same kind replaced this one before it finished (events.histogram). */
export type ApiErrorCode = 'bad-input' | 'not-found' | 'unknown-method' | 'internal' | 'superseded';

export function isApiName(name: string): name is ApiName {
  return Object.prototype.hasOwnProperty.call(API, name);
}
