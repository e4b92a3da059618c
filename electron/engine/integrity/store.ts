/**
 * Integrity verification against a case database: read what the case holds, run the pure verification, keep the
 * result (migration 0050) and log it in the custody log. Key lists given at verification time are read here
 * (read-only) and hashed, so the record says exactly which key list the verdict rests on.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Database } from 'better-sqlite3';
import { appendCustody } from '../custody/log';
import type { IntegrityView } from '../../../shared/api';
import { TOOL_VERSION } from '../version';
import { verifyIntegrity } from './verify';
import { regionFromPath } from './keys';
import { publicKeyListOf } from './documents';
import type { DocumentInput, FileInput, FileStatus, IntegrityInput, IntegrityResult, KeyListInput } from './types';

/** A key list named on the command line or in the API: `<region>=<file>`, or a file whose path names its region. */
export interface KeyListSpec {
  region?: string;
  path: string;
}

export class KeyListError extends Error {}

const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** Parse `--public-keys` values: `us-east-1=keys.json`, or `keys/us-east-1.json` (region from the path). */
export function parseKeyListSpec(value: string): KeyListSpec {
  const eq = value.indexOf('=');
  if (eq > 0 && REGION.test(value.slice(0, eq))) return { region: value.slice(0, eq), path: value.slice(eq + 1) };
  return { path: value };
}

export function readKeyLists(specs: KeyListSpec[]): KeyListInput[] {
  return specs.map((s) => {
    const path = resolve(s.path);
    const region = s.region ?? regionFromPath(path);
    if (!region || !REGION.test(region)) {
      throw new KeyListError(`${s.path}: which region are these keys for? CloudTrail keys are per region: give --public-keys <region>=<file>`);
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new KeyListError(`cannot read public keys ${path}: ${(err as Error).message}`);
    }
    const raw = bytes.toString('utf8');
    try {
      if (!publicKeyListOf(JSON.parse(raw))) throw new Error('no PublicKeyList array');
    } catch (err) {
      throw new KeyListError(`${path} is not \`aws cloudtrail list-public-keys\` output: ${(err as Error).message}`);
    }
    return { source: path, region, sha256: createHash('sha256').update(bytes).digest('hex'), raw };
  });
}

interface FileRow {
  id: number;
  path: string;
  sha256: string;
  sha256_decompressed: string | null;
  compression: string | null;
  format: string;
  status: string;
  error: string | null;
  gzip_trailing_bytes: number | null;
  sha256_first_member: string | null;
}

export function loadIntegrityInput(db: Database, keyLists: KeyListInput[] = []): IntegrityInput {
  const rows = db
    .prepare(
      `SELECT id, path, sha256, sha256_decompressed, compression, format, status, error, gzip_trailing_bytes, sha256_first_member
       FROM evidence_files ORDER BY id`,
    )
    .all() as FileRow[];
  // A failed load of a path that was later loaded whole is history, not evidence.
  const loaded = new Set(rows.filter((r) => r.status === 'complete').map((r) => r.path));
  const files: FileInput[] = rows
    .filter((r) => r.status === 'complete' || !loaded.has(r.path))
    .map((r) => ({
      id: r.id,
      path: r.path,
      sha256: r.sha256,
      sha256Decompressed: r.sha256_decompressed,
      compression: r.compression,
      format: r.format,
      status: r.status,
      error: r.error,
      gzipTrailingBytes: r.gzip_trailing_bytes,
      sha256FirstMember: r.sha256_first_member,
    }));
  const documents = db
    .prepare(
      `SELECT file_id AS fileId, kind, raw FROM documents
       WHERE kind IN ('cloudtrail-digest', 'cloudtrail-public-keys', 's3-head-object') ORDER BY id`,
    )
    .all() as DocumentInput[];
  return { files, documents, keyLists };
}

export interface StoredVerification {
  runId: number;
  verifiedAt: string;
  toolVersion: string;
  result: IntegrityResult;
}

/** Verify the case and keep the result; the custody log records the run and the key lists it used. */
export function runVerification(db: Database, keyLists: KeyListInput[] = [], now: () => Date = () => new Date()): StoredVerification {
  const result = verifyIntegrity(loadIntegrityInput(db, keyLists));
  const verifiedAt = now().toISOString();
  const runId = db.transaction(() => {
    const info = db
      .prepare('INSERT INTO integrity_runs (verified_at, tool_version, verdict, headline, files_up_to, result) VALUES (?, ?, ?, ?, ?, ?)')
      .run(verifiedAt, TOOL_VERSION, result.verdict, result.headline, result.filesUpTo, JSON.stringify(result));
    const id = Number(info.lastInsertRowid);
    const insert = db.prepare('INSERT INTO integrity_files (run_id, file_id, role, status, detail) VALUES (?, ?, ?, ?, ?)');
    for (const f of result.files) insert.run(id, f.fileId, f.role, f.status, f.detail);
    appendCustody(
      db,
      'verify',
      {
        integrityRun: id,
        verdict: result.verdict,
        headline: result.headline,
        authenticatedTo: result.authenticatedTo,
        filesUpTo: result.filesUpTo,
        failures: result.counts.failures,
        gaps: result.counts.gaps,
        keyLists: keyLists.map((k) => ({ source: k.source, region: k.region, sha256: k.sha256 })),
      },
      { at: verifiedAt },
    );
    return id;
  })();
  return { runId, verifiedAt, toolVersion: TOOL_VERSION, result };
}

export function latestVerification(db: Database): StoredVerification | null {
  const row = db.prepare('SELECT id, verified_at, tool_version, result FROM integrity_runs ORDER BY id DESC LIMIT 1').get() as
    | { id: number; verified_at: string; tool_version: string; result: string }
    | undefined;
  if (!row) return null;
  return { runId: row.id, verifiedAt: row.verified_at, toolVersion: row.tool_version, result: JSON.parse(row.result) as IntegrityResult };
}

export interface FileIntegrity {
  status: FileStatus | 'not-verified';
  detail: string;
}

/** Status of evidence files in the latest verification (files added since, or never verified: `not-verified`). */
export function fileIntegrity(db: Database, fileIds: number[]): { run: { runId: number; verifiedAt: string; verdict: string; headline: string } | null; files: Map<number, FileIntegrity> } {
  const run = db.prepare('SELECT id, verified_at, verdict, headline FROM integrity_runs ORDER BY id DESC LIMIT 1').get() as
    | { id: number; verified_at: string; verdict: string; headline: string }
    | undefined;
  const files = new Map<number, FileIntegrity>();
  const get = run ? db.prepare('SELECT status, detail FROM integrity_files WHERE run_id = ? AND file_id = ?') : null;
  for (const id of fileIds) {
    const r = get?.get(run!.id, id) as { status: FileStatus; detail: string } | undefined;
    files.set(id, r ?? { status: 'not-verified', detail: run ? 'added to the case after the last verification' : 'the case has not been verified (podtrail verify)' });
  }
  return { run: run ? { runId: run.id, verifiedAt: run.verified_at, verdict: run.verdict, headline: run.headline } : null, files };
}

/** What the app shows: a stored verification and how many evidence files were added after it. */
export function integrityView(db: Database, v: StoredVerification | null): IntegrityView | null {
  if (!v) return null;
  const newerFiles = db.prepare('SELECT COUNT(*) FROM evidence_files WHERE id > ?').pluck().get(v.result.filesUpTo) as number;
  return { runId: v.runId, verifiedAt: v.verifiedAt, toolVersion: v.toolVersion, newerFiles, result: v.result };
}
