/** Reading a case database in tests: counts, the invariants every ingest keeps, one file's outcome. */
import { expect } from 'vitest';
import type { Database } from 'better-sqlite3';
import type { IngestSummary } from '../../electron/engine/ingest/ingest';
import { withRaw, type RawRef } from '../../electron/engine/ingest/raw-blocks';
import { sha256Hex } from '../../electron/engine/ingest/normalize';

export function count(db: Database, sql: string, ...params: unknown[]): number {
  return db.prepare(sql).pluck().get(...params) as number;
}

/** Invariants that hold after any ingest, whatever failed. */
export function expectConsistent(db: Database): void {
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  // No placeholder row survives: every complete file has its real hash.
  expect(count(db, "SELECT COUNT(*) FROM evidence_files WHERE status = 'complete' AND (sha256 = '' OR size = 0)")).toBe(0);
  // Every event's raw text is in a block of the case, and is the text its SHA-256 was taken of; every event was read
  // from a complete file.
  expect(count(db, 'SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM raw_blocks b WHERE b.id = e.raw_block)')).toBe(0);
  // Every block has its search filter's row (migration 0140), and a block written since has its filter there alone.
  expect(count(db, 'SELECT COUNT(*) FROM raw_blocks b WHERE NOT EXISTS (SELECT 1 FROM raw_block_filters f WHERE f.block = b.id)')).toBe(0);
  expect(count(db, 'SELECT COUNT(*) FROM raw_blocks b JOIN raw_block_filters f ON f.block = b.id WHERE b.filter IS NOT NULL AND b.filter IS NOT f.filter')).toBe(0);
  for (const e of eventsWithRaw(db)) expect(sha256Hex(e.raw).slice(0, 32), `raw text of event ${e.event_id}#${e.variant}`).toBe(e.raw_sha256);
  expect(count(db, 'SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM evidence_files f WHERE f.id = e.file_id)')).toBe(0);
  // Nothing points at a failed file.
  expect(
    count(db, "SELECT COUNT(*) FROM event_sources s JOIN evidence_files f ON f.id = s.file_id WHERE f.status = 'failed'"),
  ).toBe(0);
  expect(count(db, "SELECT COUNT(*) FROM documents d JOIN evidence_files f ON f.id = d.file_id WHERE f.status = 'failed'")).toBe(0);
}

/** The version-10 columns of the event table (later versions store the raw text elsewhere). */
export const EVENT_COLUMNS_10 = [
  'id', 'event_id', 'variant', 'id_synthetic', 'raw_sha256', 'event_time', 'event_ms', 'event_source', 'event_name', 'aws_region',
  'recipient_account_id', 'source_ip', 'user_agent', 'identity_type', 'principal_arn', 'principal_id', 'access_key_id',
  'session_issuer_arn', 'invoked_by', 'user_name', 'error_code', 'read_only',
];

/** Every event with its version-10 columns and raw text, in row order, whatever the schema (raw_sha256 as hex). */
export function eventsWithRaw(db: Database): (Record<string, unknown> & { event_id: string; variant: number; raw: string; raw_sha256: string })[] {
  const blocks = (db.pragma('table_info(events)') as { name: string }[]).some((c) => c.name === 'raw_block');
  type Row = Record<string, unknown> & { event_id: string; variant: number; raw: string; raw_sha256: string };
  // The content key: the first 128 bits of the record's SHA-256 (rows of cases before 2026-12-04 hold all 256).
  const key = (sha: unknown) => (Buffer.isBuffer(sha) ? sha.toString('hex') : (sha as string)).slice(0, 32);
  if (!blocks) return (db.prepare(`SELECT ${EVENT_COLUMNS_10.join(', ')}, raw FROM events_full ORDER BY id`).all() as Row[]).map((r) => ({ ...r, raw_sha256: key(r.raw_sha256) }));
  const rows = db.prepare(`SELECT ${EVENT_COLUMNS_10.join(', ')}, raw_block, raw_off, raw_len FROM events_v ORDER BY id`).all() as (Row & RawRef)[];
  return withRaw(db, rows).map(({ raw_block: _b, raw_off: _o, raw_len: _l, ...r }) => ({ ...r, raw_sha256: key(r.raw_sha256) }));
}

/** The raw text of one event (the first variant of an eventID). */
export function rawOf(db: Database, eventID: string, variant = 0): string | undefined {
  return eventsWithRaw(db).find((e) => e.event_id === eventID && e.variant === variant)?.raw;
}

export function outcomeOf(summary: IngestSummary, path: string) {
  const found = summary.files.filter((f) => f.path === path);
  expect(found, `exactly one outcome for ${path}; have ${summary.files.map((f) => f.path).join(', ')}`).toHaveLength(1);
  return found[0]!;
}
