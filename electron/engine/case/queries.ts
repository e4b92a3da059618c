/**
 * Read side of a case: attributions in contract order, the trace of one event or key, evidence files.
 * Everything the CLI, the reports and (later) the UI show comes through here.
 */
import type { Database } from 'better-sqlite3';
import type { AttributionRecord, Flag } from '../../../shared/attribution';
import type { EventBaseRow } from '../db/rows';
import type { EvidenceFileView, EvidenceRecordView, Provenance as ProvenanceView } from '../../../shared/api';
import { composeAttribution, type EventHead } from '../chain/attribution';
import type { Hop, Resolution } from '../chain/model';
import { Resolver } from '../chain/resolve';
import { loadFacts } from '../chain/correlate';
import { fileIntegrity } from '../integrity/store';
import { isoUtc } from '../util/time';

export type Provenance = ProvenanceView;
export type EvidenceRecord = EvidenceRecordView;

export interface TracedHop extends Hop {
  records: EvidenceRecord[];
}

export interface Trace {
  /** The event traced, or null when a key was traced. */
  event: (EventHead & { raw: string; provenance: Provenance[]; idSynthetic: boolean; variants: number }) | null;
  accessKeyId: string | null;
  attribution: AttributionRecord | null;
  resolution: Resolution;
  hops: TracedHop[];
  /** Detections on the event, with what showed them. */
  flags: { flag: Flag; detail: string }[];
}

export type EvidenceFile = EvidenceFileView;

interface HeadRow extends EventBaseRow {
  id_synthetic: number;
  variant: number;
}

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

export class CaseQueries {
  constructor(private readonly db: Database) {}

  eventCount(): number {
    return this.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
  }

  /** One attribution per event, ordered by eventTime then eventID (the contract's order). */
  /** One attribution per event, ordered by eventTime then eventID (the contract's order). */
  *attributions(): Generator<AttributionRecord> {
    const subjects = this.subjects();
    for (const row of this.orderedEvents()) {
      const rec = composeAttribution(head(row), subjects.get(row.subject_id)!.resolution);
      if (row.variant > 0 || row.id_synthetic) rec.notes = [...rec.notes, ...eventNotes(row)];
      rec.flags = flagList(row.flags);
      yield rec;
    }
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
      yield `${JSON.stringify(head(row)).slice(0, -1)},${s.credentialJson},"evidence":${s.evidenceJson},"notes":${notes},"flags":${JSON.stringify(flagList(row.flags))}}\n`;
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

  private *orderedEvents(): Generator<HeadRow & { subject_id: number; flags: string | null }> {
    yield* this.db
      .prepare(`
        SELECT e.id, e.event_id, e.event_time, e.event_source, e.event_name, e.recipient_account_id, e.aws_region,
               e.source_ip, e.access_key_id, e.id_synthetic, e.variant, es.subject_id,
               (SELECT group_concat(f.flag, ',') FROM event_flags f WHERE f.event_rowid = e.id) AS flags
        FROM events e JOIN event_subjects es ON es.event_rowid = e.id
        ORDER BY e.event_ms, e.event_id, e.variant`)
      .iterate() as Iterable<HeadRow & { subject_id: number; flags: string | null }>;
  }

  /** The detections on one event, with what showed them. */
  flagsOf(eventRowid: number): { flag: Flag; detail: string }[] {
    return this.db.prepare('SELECT flag, detail FROM event_flags WHERE event_rowid = ? ORDER BY flag').all(eventRowid) as { flag: Flag; detail: string }[];
  }

  private eventRows(eventID: string): (HeadRow & { raw: string; subject_id: number | null })[] {
    return this.db
      .prepare(`
        SELECT e.*, es.subject_id FROM events_full e LEFT JOIN event_subjects es ON es.event_rowid = e.id
        WHERE e.event_id = ? ORDER BY e.variant`)
      .all(eventID) as (HeadRow & { raw: string; subject_id: number | null })[];
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
    return this.db.prepare('SELECT 1 FROM events WHERE event_id = ? LIMIT 1').get(eventID) !== undefined;
  }

  /** Trace an event (by eventID) or the session behind an access key. Returns null when neither is in the case. */
  trace(target: string): Trace | null {
    const rows = this.eventRows(target);
    if (rows.length > 0) {
      const row = rows[0]!;
      const resolution = this.resolutionOf(row.subject_id);
      const h = head(row);
      const attribution = composeAttribution(h, resolution);
      attribution.notes = [...attribution.notes, ...eventNotes({ ...row, variant: rows.length > 1 ? 1 : 0 })];
      const flags = this.flagsOf(row.id);
      attribution.flags = flags.map((f) => f.flag);
      return {
        event: { ...h, raw: row.raw, provenance: this.provenanceOf(row.id), idSynthetic: row.id_synthetic === 1, variants: rows.length },
        accessKeyId: row.access_key_id,
        attribution,
        resolution,
        hops: this.traceHops(resolution),
        flags,
      };
    }
    if (!/^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{8,}$/.test(target)) return null;
    const subject = this.db.prepare('SELECT id FROM subjects WHERE subject_key = ?').pluck().get(`key:${target}`) as number | undefined;
    let resolution: Resolution;
    if (subject !== undefined) resolution = this.resolutionOf(subject);
    else {
      const used = this.db.prepare('SELECT raw FROM events_full WHERE access_key_id = ? ORDER BY event_ms LIMIT 1').pluck().get(target) as string | undefined;
      const resolver = new Resolver(loadFacts(this.db));
      const direct = resolver.resolveKey(target);
      if (direct) resolution = direct;
      else if (used) resolution = resolver.resolveOwnIdentity(JSON.parse(used));
      else return null;
    }
    return { event: null, accessKeyId: target, attribution: null, resolution, hops: this.traceHops(resolution), flags: [] };
  }

  private resolutionOf(subjectId: number | null): Resolution {
    if (subjectId === null) throw new Error('the case has not been correlated: run ingest again');
    const raw = this.db.prepare('SELECT resolution FROM subjects WHERE id = ?').pluck().get(subjectId) as string;
    return JSON.parse(raw) as Resolution;
  }

  private traceHops(r: Resolution): TracedHop[] {
    return r.hops.map((h) => ({ ...h, records: h.evidence.map((id) => this.evidenceRecord(id)).filter((x): x is EvidenceRecord => x !== null) }));
  }

  evidenceRecord(id: string): EvidenceRecord | null {
    if (id.startsWith('file:')) {
      const sha = id.split('#')[1] ?? '';
      const doc = this.db
        .prepare(`SELECT d.raw, f.path, f.sha256 FROM documents d JOIN evidence_files f ON f.id = d.file_id WHERE f.sha256 LIKE ? || '%' LIMIT 1`)
        .get(sha) as { raw: string; path: string; sha256: string } | undefined;
      if (!doc) return null;
      return { id, kind: 'document', eventName: null, eventTime: null, provenance: [{ path: doc.path, recordIndex: 0, fileSha256: doc.sha256 }], raw: doc.raw };
    }
    const row = this.db.prepare('SELECT id, event_name, event_time, raw FROM events_full WHERE event_id = ? ORDER BY variant LIMIT 1').get(id) as
      | { id: number; event_name: string; event_time: string; raw: string }
      | undefined;
    if (row) return { id, kind: 'event', eventName: row.event_name, eventTime: row.event_time, provenance: this.provenanceOf(row.id), raw: row.raw };
    return this.auditRecord(id);
  }

  /** An EKS audit event by its auditID (the ResponseComplete stage when several stages were logged). */
  private auditRecord(auditId: string): EvidenceRecord | null {
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
