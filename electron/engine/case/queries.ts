/**
 * Read side of a case: attributions in contract order, the trace of one event or key, evidence files.
 * Everything the CLI, the reports and (later) the UI show comes through here.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { AttributionRecord, Flag, FlagReason } from '../../../shared/attribution';
import type { EventBaseRow } from '../db/rows';
import type { EvidenceFileView, EvidenceRecordView, Provenance as ProvenanceView, RecordErrorPage, RecordErrorView, RecordVariantView } from '../../../shared/api';
import { composeAttribution, type EventHead } from '../chain/attribution';
import type { Hop, Issuance, Resolution } from '../chain/model';
import { Resolver } from '../chain/resolve';
import { loadFacts } from '../chain/correlate';
import { issuanceOf, preferredIssuance } from '../chain/credentials';
import { fileIntegrity } from '../integrity/store';
import { canonicalJson } from '../util/canonical';
import { get, getStr, obj, type JsonObject } from '../util/json';
import { isoUtc } from '../util/time';
import { rawReader, withRaw, type RawRef } from '../ingest/raw-blocks';
import { eventIdArgs, eventIdIs } from '../db/event-id';

export type Provenance = ProvenanceView;
export type EvidenceRecord = EvidenceRecordView;

export interface TracedHop extends Hop {
  records: EvidenceRecord[];
}

export type RecordVariant = RecordVariantView;

export interface TracedEvent extends EventHead {
  raw: string;
  provenance: Provenance[];
  idSynthetic: boolean;
  userAgent: string | null;
  /** Which of the records under this eventID is traced (0: the first ingested); each is attributed on its own. */
  variant: number;
  /** How many different records the bundle holds under this eventID (1: no conflict). */
  variants: number;
  /** The others, with the fields in which each differs from the traced one (trace them as `<eventID>#<variant>`). */
  otherVariants: RecordVariant[];
}

export interface Trace {
  /** The event traced, or null when a key was traced. */
  event: TracedEvent | null;
  accessKeyId: string | null;
  attribution: AttributionRecord | null;
  resolution: Resolution;
  hops: TracedHop[];
  /** Detections on the event, with what showed them. */
  flags: FlagReason[];
}

/** What the credential behind an event did in the case: its calls by API, most frequent first. */
export interface CredentialActivity {
  /** Events made with the credential (the attribution subject of the event), this one included. */
  events: number;
  /** The most frequent (eventSource, eventName) pairs with their counts; ties in name order. */
  calls: { eventSource: string; eventName: string; count: number }[];
  /** How many other (eventSource, eventName) pairs the credential called, not listed. */
  more: number;
}

/** A variant row of an eventID: the fields the trace needs to cite it. */
interface VariantRow {
  id: number;
  variant: number;
  event_ms: number;
  event_name: string;
  event_time: string;
  raw: string;
}

export type EvidenceFile = EvidenceFileView;

interface HeadRow extends EventBaseRow {
  id_synthetic: number;
  variant: number;
}

/** A trace target `<eventID>#<variant>`: one of several records that share an eventID. */
const VARIANT_TARGET = /^(.+)#(\d{1,9})$/;

function head(r: HeadRow): EventHead {
  return {
    eventID: r.event_id,
    eventTime: r.event_time,
    eventSource: r.event_source,
    eventName: r.event_name,
    recipientAccountId: r.recipient_account_id,
    awsRegion: r.aws_region,
    sourceIPAddress: r.source_ip,
    accessKeyId: r.access_key_id,
  };
}

/**
 * An event row as `attributionOfRow` reads it: the event's head columns, `id_synthetic`, `variant`, its subject and
 * its flags (`group_concat` of event_flags.flag).
 */
export interface AttributedEventRow extends HeadRow {
  subject_id: number;
  flags: string | null;
}

export class CaseQueries {
  private flagsStmt: Statement | null = null;
  private subjectStmt: Statement | null = null;

  constructor(private readonly db: Database) {}

  eventCount(): number {
    return this.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  }

  /** One attribution per event, ordered by eventTime then eventID (the contract's order). */
  *attributions(): Generator<AttributionRecord> {
    const subjects = this.subjects();
    for (const row of this.orderedEvents()) yield this.compose(row, subjects.get(row.subject_id)!.resolution);
  }

  /**
   * The attribution record of one event row, exactly as `attributions()` gives it (the table export reads the
   * filtered events page by page). `resolutions` caches the subjects' resolutions: the caller owns and bounds it.
   */
  attributionOfRow(row: AttributedEventRow, resolutions: Map<number, Resolution>): AttributionRecord {
    let r = resolutions.get(row.subject_id);
    if (!r) {
      this.subjectStmt ??= this.db.prepare('SELECT resolution FROM subjects WHERE id = ?').pluck();
      r = JSON.parse(this.subjectStmt.get(row.subject_id) as string) as Resolution;
      resolutions.set(row.subject_id, r);
    }
    return this.compose(row, r);
  }

  private compose(row: AttributedEventRow, resolution: Resolution): AttributionRecord {
    const rec = composeAttribution(head(row), resolution);
    if (row.variant > 0 || row.id_synthetic) rec.notes = [...rec.notes, ...eventNotes(row)];
    rec.flags = flagList(row.flags);
    rec.flagReasons = row.flags ? this.flagsOf(row.id) : [];
    return rec;
  }

  /**
   * The same records as JSON Lines, fast: each credential's part is serialised once and spliced into every
   * line of its events (a case has millions of events but only thousands of credentials). The output equals
   * `JSON.stringify` of `attributions()` item by item (a test holds it to that).
   */
  *attributionLines(): Generator<string> {
    const subjects = this.subjects();
    for (const row of this.orderedEvents()) {
      const s = subjects.get(row.subject_id)!;
      const notes = row.variant > 0 || row.id_synthetic ? JSON.stringify([...s.resolution.notes, ...eventNotes(row)]) : s.notesJson;
      const reasons = row.flags ? JSON.stringify(this.flagsOf(row.id)) : '[]';
      yield `${JSON.stringify(head(row)).slice(0, -1)},${s.credentialJson},"evidence":${s.evidenceJson},"notes":${notes},"flags":${JSON.stringify(flagList(row.flags))},"flagReasons":${reasons}}\n`;
    }
  }

  private subjects(): Map<number, { resolution: Resolution; credentialJson: string; evidenceJson: string; notesJson: string }> {
    const out = new Map<number, { resolution: Resolution; credentialJson: string; evidenceJson: string; notesJson: string }>();
    for (const row of this.db.prepare('SELECT id, resolution FROM subjects').iterate() as Iterable<{ id: number; resolution: string }>) {
      const r = JSON.parse(row.resolution) as Resolution;
      const { eventID: _i, eventTime: _t, eventSource: _s, eventName: _n, recipientAccountId: _a, awsRegion: _r, sourceIPAddress: _ip, accessKeyId: _k, evidence, notes, ...credential } =
        composeAttribution(EMPTY_HEAD, r);
      out.set(row.id, {
        resolution: r,
        credentialJson: JSON.stringify(credential).slice(1, -1),
        evidenceJson: JSON.stringify(evidence),
        notesJson: JSON.stringify(notes),
      });
    }
    return out;
  }

  private *orderedEvents(): Generator<AttributedEventRow> {
    yield* this.db
      .prepare(`
        SELECT e.id, e.event_id, e.event_time, e.event_source, e.event_name, e.recipient_account_id, e.aws_region,
               e.source_ip, e.access_key_id, e.id_synthetic, e.variant, es.subject_id,
               (SELECT group_concat(f.flag, ',') FROM event_flags f WHERE f.event_rowid = e.id) AS flags
        FROM events e JOIN event_subjects es ON es.event_rowid = e.id
        ORDER BY e.event_ms, e.event_id, e.variant`)
      .iterate() as Iterable<AttributedEventRow>;
  }

  /** The detections on one event, with what showed them. */
  flagsOf(eventRowid: number): FlagReason[] {
    this.flagsStmt ??= this.db.prepare('SELECT flag, detail FROM event_flags WHERE event_rowid = ? ORDER BY flag');
    return this.flagsStmt.all(eventRowid) as FlagReason[];
  }

  private eventRows(eventID: string): (HeadRow & { raw: string; user_agent: string | null; subject_id: number | null })[] {
    const rows = this.db
      .prepare(`
        SELECT e.*, es.subject_id FROM events_v e LEFT JOIN event_subjects es ON es.event_rowid = e.id
        WHERE ${eventIdIs('e')} ORDER BY e.variant`)
      .all(...eventIdArgs(eventID)) as (HeadRow & RawRef & { user_agent: string | null; subject_id: number | null })[];
    return withRaw(this.db, rows);
  }

  provenanceOf(eventRowid: number): Provenance[] {
    return (
      this.db
        .prepare(`
          SELECT f.path, s.record_index, f.sha256 FROM event_sources s JOIN evidence_files f ON f.id = s.file_id
          WHERE s.event_rowid = ? ORDER BY f.path, s.record_index`)
        .all(eventRowid) as { path: string; record_index: number; sha256: string }[]
    ).map((p) => ({ path: p.path, recordIndex: p.record_index, fileSha256: p.sha256 }));
  }

  hasEvent(eventID: string): boolean {
    return this.db.prepare(`SELECT 1 FROM events WHERE ${eventIdIs()} LIMIT 1`).get(...eventIdArgs(eventID)) !== undefined;
  }

  /**
   * Trace an event (by eventID) or the session behind an access key. Returns null when neither is in the case.
   * When the bundle holds several different records under one eventID, `<eventID>` traces the first ingested
   * (variant 0) and `<eventID>#<n>` variant n; each is attributed on its own, and the trace lists the others.
   */
  trace(target: string): Trace | null {
    let rows = this.eventRows(target);
    let pick = 0;
    const m = rows.length === 0 ? VARIANT_TARGET.exec(target) : null;
    if (m) {
      rows = this.eventRows(m[1]!);
      pick = rows.findIndex((r) => r.variant === Number(m[2]));
      if (pick < 0) return null;
    }
    if (rows.length > 0) {
      const row = rows[pick]!;
      const resolution = this.resolutionOf(row.subject_id);
      const h = head(row);
      const attribution = composeAttribution(h, resolution);
      const others = rows.filter((r) => r !== row);
      attribution.notes = [...attribution.notes, ...eventNotes({ ...row, variant: 0 })];
      if (others.length > 0) {
        attribution.notes.push(
          `conflict: the bundle holds ${rows.length} different records under eventID ${row.event_id}; this is variant ${row.variant} ` +
            `(${this.provenanceText(row.id)}), the others: ${others.map((o) => `variant ${o.variant} (${this.provenanceText(o.id)})`).join(', ')}; ` +
            'each is attributed on its own',
        );
      }
      const flags = this.flagsOf(row.id);
      attribution.flags = flags.map((f) => f.flag);
      attribution.flagReasons = flags;
      const record = parseRecord(row.raw);
      return {
        event: {
          ...h,
          raw: row.raw,
          provenance: this.provenanceOf(row.id),
          idSynthetic: row.id_synthetic === 1,
          userAgent: row.user_agent ?? null,
          variant: row.variant,
          variants: rows.length,
          otherVariants: others.map((o) => this.variantView(o, record)),
        },
        accessKeyId: row.access_key_id,
        attribution,
        resolution,
        hops: this.traceHops(resolution, record),
        flags,
      };
    }
    if (!/^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{8,}$/.test(target)) return null;
    const subject = this.db.prepare('SELECT id FROM subjects WHERE subject_key = ?').pluck().get(`key:${target}`) as number | undefined;
    let resolution: Resolution;
    if (subject !== undefined) resolution = this.resolutionOf(subject);
    else {
      const first = this.db.prepare('SELECT id FROM events WHERE access_key_id = ? ORDER BY event_ms LIMIT 1').pluck().get(target) as number | undefined;
      const used = first === undefined ? undefined : rawReader(this.db).ofEvent(first);
      const resolver = new Resolver(loadFacts(this.db));
      const direct = resolver.resolveKey(target);
      if (direct) resolution = direct;
      else if (used) resolution = resolver.resolveOwnIdentity(JSON.parse(used));
      else return null;
    }
    return { event: null, accessKeyId: target, attribution: null, resolution, hops: this.traceHops(resolution, null), flags: [] };
  }

  /**
   * What the credential behind an event (its attribution subject) did in the case: the `limit` most frequent
   * (eventSource, eventName) pairs with their counts. Null when the event is not in the case or not attributed.
   */
  credentialActivity(target: string, limit = 10): CredentialActivity | null {
    const m = VARIANT_TARGET.exec(target);
    let subject = this.subjectOf(target, 0);
    if (subject === undefined && m) subject = this.subjectOf(m[1]!, Number(m[2]));
    if (subject === undefined || subject === null) return null;
    const rows = this.db
      .prepare(
        `SELECT event_source, event_name, SUM(n) AS n FROM event_rollup WHERE subject_id = ?
         GROUP BY event_source, event_name ORDER BY n DESC, event_name, event_source`,
      )
      .all(subject) as { event_source: string; event_name: string; n: number }[];
    return {
      events: rows.reduce((t, r) => t + r.n, 0),
      calls: rows.slice(0, limit).map((r) => ({ eventSource: r.event_source, eventName: r.event_name, count: r.n })),
      more: Math.max(0, rows.length - limit),
    };
  }

  private subjectOf(eventID: string, variant: number): number | null | undefined {
    const r = this.db
      .prepare(`SELECT es.subject_id FROM events e LEFT JOIN event_subjects es ON es.event_rowid = e.id WHERE ${eventIdIs('e')} AND e.variant = ?`)
      .get(...eventIdArgs(eventID), variant) as { subject_id: number | null } | undefined;
    return r === undefined ? undefined : r.subject_id;
  }

  private resolutionOf(subjectId: number | null): Resolution {
    if (subjectId === null) throw new Error('the case has not been correlated: run ingest again');
    const raw = this.db.prepare('SELECT resolution FROM subjects WHERE id = ?').pluck().get(subjectId) as string;
    return JSON.parse(raw) as Resolution;
  }

  /** `path #index; …`: where a record was read from, in one line. */
  private provenanceText(eventRowid: number): string {
    return this.provenanceOf(eventRowid).map((p) => `${p.path} #${p.recordIndex}`).join('; ');
  }

  private variantRows(eventID: string): VariantRow[] {
    const rows = this.db
      .prepare(`SELECT id, variant, event_ms, event_name, event_time, raw_block, raw_off, raw_len FROM events WHERE ${eventIdIs()} ORDER BY variant`)
      .all(...eventIdArgs(eventID)) as (Omit<VariantRow, 'raw'> & RawRef)[];
    return withRaw(this.db, rows);
  }

  /** Another record under the same eventID, and the top-level fields in which it differs from `than`. */
  private variantView(row: { id: number; variant: number; raw: string }, than: JsonObject | null): RecordVariant {
    return { variant: row.variant, provenance: this.provenanceOf(row.id), differs: differingFields(parseRecord(row.raw), than), raw: row.raw };
  }

  /**
   * Each hop with the records it cites. An eventID under which the bundle holds several different records is
   * cited by the record the hop rests on (`citedVariants`), with the others listed; `traced` is the traced
   * event's own record (its keys say which issuance a hop is about; null for a key traced on its own, as a person's
   * key is in case/people.ts).
   */
  traceHops(r: Resolution, traced: JsonObject | null): TracedHop[] {
    const keys = new Set<string>(r.chain.map((l) => l.accessKeyId));
    const ownKey = getStr(traced, 'userIdentity', 'accessKeyId');
    const issuedKey = getStr(traced, 'responseElements', 'credentials', 'accessKeyId');
    if (ownKey) keys.add(ownKey);
    if (issuedKey) keys.add(issuedKey);
    return r.hops.map((h) => {
      const records: EvidenceRecord[] = [];
      const times = new Map<string, number>();
      for (const id of h.evidence) times.set(id, (times.get(id) ?? 0) + 1);
      for (const [id, n] of times) {
        const variants = id.startsWith('file:') ? [] : this.variantRows(id);
        if (variants.length < 2) {
          const rec = variants.length === 1 ? this.eventRecord(id, variants[0]!) : this.evidenceRecord(id);
          if (rec) records.push(rec);
          continue;
        }
        const cited = citedVariants(h, variants, keys, n);
        for (const c of cited.rows) {
          const record = parseRecord(c.raw);
          records.push({
            ...this.eventRecord(id, c),
            variant: c.variant,
            variants: variants.length,
            otherVariants: variants.filter((v) => !cited.rows.includes(v)).map((v) => this.variantView(v, record)),
            variantNote: cited.note(c),
          });
        }
      }
      return { ...h, records };
    });
  }

  private eventRecord(id: string, row: VariantRow): EvidenceRecord {
    return { id, kind: 'event', eventName: row.event_name, eventTime: row.event_time, provenance: this.provenanceOf(row.id), raw: row.raw };
  }

  /** The record behind an evidence id: a document ref, an eventID (its first record) or an EKS auditID. */
  evidenceRecord(id: string): EvidenceRecord | null {
    if (id.startsWith('file:')) {
      const sha = id.split('#')[1] ?? '';
      const doc = this.db
        .prepare(`SELECT d.raw, f.path, f.sha256 FROM documents d JOIN evidence_files f ON f.id = d.file_id WHERE f.sha256 LIKE ? || '%' LIMIT 1`)
        .get(sha) as { raw: string; path: string; sha256: string } | undefined;
      if (!doc) return null;
      return { id, kind: 'document', eventName: null, eventTime: null, provenance: [{ path: doc.path, recordIndex: 0, fileSha256: doc.sha256 }], raw: doc.raw };
    }
    const row = this.db
      .prepare(`SELECT id, variant, event_ms, event_name, event_time, raw_block, raw_off, raw_len FROM events WHERE ${eventIdIs()} ORDER BY variant LIMIT 1`)
      .get(...eventIdArgs(id)) as (Omit<VariantRow, 'raw'> & RawRef) | undefined;
    if (row) return this.eventRecord(id, withRaw(this.db, [row])[0]!);
    return this.auditRecord(id);
  }

  /**
   * An EKS audit event by its auditID (the ResponseComplete stage when several stages were logged), exactly as read,
   * with every file and record index it was read from (`evidence.audit`: the People section's actions).
   */
  auditRecord(auditId: string): EvidenceRecord | null {
    const a = this.db
      .prepare(
        `SELECT id, ts_ms, verb, resource, subresource, namespace, name, raw FROM k8s_audit WHERE audit_id = ?
         ORDER BY stage = 'ResponseComplete' DESC, id LIMIT 1`,
      )
      .get(auditId) as
      | { id: number; ts_ms: number; verb: string | null; resource: string | null; subresource: string | null; namespace: string | null; name: string | null; raw: string }
      | undefined;
    if (!a) return null;
    const object = [a.namespace, a.name].filter(Boolean).join('/');
    const what = `${a.verb ?? '?'} ${a.resource ?? '?'}${a.subresource ? `/${a.subresource}` : ''}${object ? ` ${object}` : ''}`;
    const provenance = (
      this.db
        .prepare(
          `SELECT f.path, s.record_index, f.sha256 FROM k8s_audit_sources s JOIN evidence_files f ON f.id = s.file_id
           WHERE s.audit_rowid = ? ORDER BY f.path, s.record_index`,
        )
        .all(a.id) as { path: string; record_index: number; sha256: string }[]
    ).map((p) => ({ path: p.path, recordIndex: p.record_index, fileSha256: p.sha256 }));
    return { id: auditId, kind: 'audit', eventName: what, eventTime: isoUtc(a.ts_ms), provenance, raw: a.raw };
  }

  evidenceFiles(): EvidenceFile[] {
    return (
      this.db.prepare('SELECT * FROM evidence_files ORDER BY path, id').all() as {
        id: number;
        path: string;
        size: number;
        sha256: string;
        sha256_decompressed: string | null;
        format: string;
        status: string;
        records: number;
        new_events: number;
        duplicates: number;
        conflicts: number;
        rejected: number;
        error: string | null;
        ingested_at: string;
        tool_version: string;
      }[]
    ).map((f) => ({
      id: f.id,
      path: f.path,
      size: f.size,
      sha256: f.sha256,
      sha256Decompressed: f.sha256_decompressed,
      format: f.format,
      status: f.status,
      records: f.records,
      newEvents: f.new_events,
      duplicates: f.duplicates,
      conflicts: f.conflicts,
      rejected: f.rejected,
      error: f.error,
      ingestedAt: f.ingested_at,
      toolVersion: f.tool_version,
    }));
  }

  /** The latest integrity verification's status of these evidence files (see integrity/store.ts). */
  fileIntegrity(fileIds: number[]): ReturnType<typeof fileIntegrity> {
    return fileIntegrity(this.db, fileIds);
  }

  /**
   * The first `perFile` rejected records of every file that has any, by path then record index: one indexed read
   * per such file (record_errors_file), so the answer and its cost stay bounded however many records were rejected.
   */
  firstRecordErrors(perFile: number): RecordErrorView[] {
    const files = this.db
      .prepare('SELECT id, path FROM evidence_files WHERE rejected > 0 ORDER BY path, id')
      .all() as { id: number; path: string }[];
    const firstOf = this.db.prepare('SELECT record_index, message FROM record_errors WHERE file_id = ? ORDER BY record_index, rowid LIMIT ?');
    return files.flatMap((f) =>
      (firstOf.all(f.id, perFile) as { record_index: number; message: string }[]).map((r) => ({
        fileId: f.id,
        path: f.path,
        recordIndex: r.record_index,
        message: r.message,
      })),
    );
  }

  /** One page of a file's rejected records, in record order; null when the case holds no such file. */
  recordErrorPage(fileId: number, offset: number, limit: number): RecordErrorPage | null {
    const file = this.db.prepare('SELECT path, rejected FROM evidence_files WHERE id = ?').get(fileId) as { path: string; rejected: number } | undefined;
    if (!file) return null;
    const errors = (
      this.db
        .prepare('SELECT record_index, message FROM record_errors WHERE file_id = ? ORDER BY record_index, rowid LIMIT ? OFFSET ?')
        .all(fileId, limit, offset) as { record_index: number; message: string }[]
    ).map((r) => ({ recordIndex: r.record_index, message: r.message }));
    return { fileId, path: file.path, total: file.rejected, offset, errors };
  }

  /** Every rejected record of the case (tests and small cases; the API pages them: firstRecordErrors, recordErrorPage). */
  recordErrors(): { path: string; recordIndex: number; message: string }[] {
    return (
      this.db
        .prepare('SELECT f.path, r.record_index, r.message FROM record_errors r JOIN evidence_files f ON f.id = r.file_id ORDER BY f.path, r.record_index')
        .all() as { path: string; record_index: number; message: string }[]
    ).map((r) => ({ path: r.path, recordIndex: r.record_index, message: r.message }));
  }
}

const EMPTY_HEAD = {
  eventID: '',
  eventTime: '',
  eventSource: '',
  eventName: '',
  recipientAccountId: null,
  awsRegion: null,
  sourceIPAddress: null,
  accessKeyId: null,
};

function flagList(csv: string | null): Flag[] {
  return csv ? (csv.split(',').sort() as Flag[]) : [];
}

function eventNotes(row: { id_synthetic: number; variant: number; event_id: string }): string[] {
  const notes: string[] = [];
  if (row.id_synthetic) notes.push('the record has no eventID: PodTrail derived one from its content (podtrail-sha256-…)');
  if (row.variant > 0) notes.push(`conflict: the bundle holds different records under eventID ${row.event_id}`);
  return notes;
}

function parseRecord(raw: string): JsonObject | null {
  try {
    return obj(JSON.parse(raw)) ?? null;
  } catch {
    return null;
  }
}

/** The top-level fields of `a` and `b` whose values differ (sorted); every field when either is not a JSON object. */
function differingFields(a: JsonObject | null, b: JsonObject | null): string[] {
  if (!a || !b) return ['(the whole record)'];
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null)).sort();
}

/**
 * Which of the records that share an eventID a hop cites (`times`: how often the hop lists the eventID).
 * - Records that issued credentials: the hop is about an issuance, and the chain took the issuance that
 *   `preferredIssuance` picks (chain/credentials.ts) among those of the keys the trace is about (the event's own
 *   key, the key it issued, the chain's keys): that record first, then — when the hop lists the eventID again —
 *   the other records that issued a key too.
 * - Other records: when they agree on every field the hop reads (`hop.fields`), the first; when they differ, the
 *   one whose values of those fields the claim states; when that does not single one out, all of them, saying so.
 */
function citedVariants(h: Hop, rows: VariantRow[], keys: Set<string>, times: number): { rows: VariantRow[]; note: (row: VariantRow) => string } {
  const n = rows.length;
  const parsed = rows.map((row) => ({ row, record: parseRecord(row.raw) }));
  const issuing = parsed.flatMap((p) => {
    const iss = p.record ? issuanceOf({ eventID: '', eventMs: p.row.event_ms, record: p.record }) : null;
    return iss ? [{ row: p.row, iss }] : [];
  });
  if (issuing.length > 0) {
    const about = issuing.filter((x) => keys.has(x.iss.accessKeyId));
    const pool = about.length > 0 ? about : issuing;
    const best: Issuance = preferredIssuance(pool.map((x) => x.iss), null)!;
    const first = pool.find((x) => x.iss === best)!;
    const also = pool.filter((x) => x !== first).slice(0, Math.max(0, times - 1));
    return {
      rows: [first.row, ...also.map((x) => x.row)],
      note: (row) =>
        row === first.row
          ? `${n} different records share this eventID; this hop rests on variant ${row.variant}: the issuance of ${best.accessKeyId} the chain uses ` +
            "(a copy that names its caller before one that names only the caller's account, then the earliest)"
          : `${n} different records share this eventID; variant ${row.variant} issued ${also.find((x) => x.row === row)!.iss.accessKeyId} too and is cited with it, ` +
            `but the claim rests on variant ${first.row.variant}`,
    };
  }
  const paths = h.fields.map((f) => f.split('.'));
  const differing = paths.filter((p) => new Set(parsed.map((x) => canonicalJson(get(x.record, ...p) ?? null))).size > 1);
  const fields = differing.map((p) => p.join('.')).join(', ');
  if (differing.length === 0) {
    return {
      rows: [rows[0]!],
      note: (row) => `${n} different records share this eventID; they agree on every field this hop reads (${h.fields.join(', ') || 'none'}): variant ${row.variant} is cited`,
    };
  }
  const stated = parsed.filter((x) =>
    differing.every((p) => {
      const v = get(x.record, ...p);
      return typeof v === 'string' && v !== '' && h.claim.includes(v);
    }),
  );
  if (stated.length === 1) {
    return {
      rows: [stated[0]!.row],
      note: (row) => `${n} different records share this eventID and differ in ${fields}; this hop's claim states the values of variant ${row.variant}`,
    };
  }
  return {
    rows,
    note: (row) => `${n} different records share this eventID and differ in ${fields}, which this hop reads; PodTrail cannot tell which one it rests on, so all are cited (this is variant ${row.variant})`,
  };
}
