/** Reading a case database in tests: counts, the invariants every ingest keeps, one file's outcome. */
import { expect } from 'vitest';
import type { Database } from 'better-sqlite3';
import type { IngestSummary } from '../../electron/engine/ingest/ingest';

export function count(db: Database, sql: string, ...params: unknown[]): number {
  return db.prepare(sql).pluck().get(...params) as number;
}

/** Invariants that hold after any ingest, whatever failed. */
export function expectConsistent(db: Database): void {
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  // No placeholder row survives: every complete file has its real hash.
  expect(count(db, "SELECT COUNT(*) FROM evidence_files WHERE status = 'complete' AND (sha256 = '' OR size = 0)")).toBe(0);
  // Every event has its raw text and at least one provenance row.
  expect(count(db, 'SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_raw r WHERE r.event_rowid = e.id)')).toBe(0);
  expect(count(db, 'SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_sources s WHERE s.event_rowid = e.id)')).toBe(0);
  // Nothing points at a failed file.
  expect(
    count(db, "SELECT COUNT(*) FROM event_sources s JOIN evidence_files f ON f.id = s.file_id WHERE f.status = 'failed'"),
  ).toBe(0);
  expect(count(db, "SELECT COUNT(*) FROM documents d JOIN evidence_files f ON f.id = d.file_id WHERE f.status = 'failed'")).toBe(0);
}

export function outcomeOf(summary: IngestSummary, path: string) {
  const found = summary.files.filter((f) => f.path === path);
  expect(found, `exactly one outcome for ${path}; have ${summary.files.map((f) => f.path).join(', ')}`).toHaveLength(1);
  return found[0]!;
}
