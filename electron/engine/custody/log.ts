/**
 * The case's chain-of-custody log: who did what to the case, when, with which tool version and which inputs.
 *
 * Each entry's hash covers its own fields and the previous entry's hash (SHA-256 over canonical JSON), so the
 * log is a hash chain: changing, removing or reordering any entry breaks the link of every entry after it.
 * SQLite triggers refuse UPDATE and DELETE on the table; the chain is what detects an edit made around them.
 * What the chain cannot detect on its own is the removal of the newest entries (truncation): a report pins the
 * hash of the entry it was made from, so a printed report fixes the log up to that point.
 */
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { Database } from 'better-sqlite3';
import type { CustodyEntry } from '../../../shared/api';
import { canonicalJson } from '../util/canonical';
import { TOOL_VERSION } from '../version';

export const GENESIS_HASH = '0'.repeat(64);

export type { CustodyEntry };
/** What can be done to a case. `export` does not change the case; every other action does. */
export type CustodyAction = CustodyEntry['action'];

interface Row {
  seq: number;
  at: string;
  actor: string;
  action: CustodyAction;
  tool_version: string;
  details: string;
  prev_hash: string;
  entry_hash: string;
}

/** The operating-system account and host running the tool (what an examiner's notes would record). */
export function currentActor(): string {
  let user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep the environment's name
  }
  return `${user}@${hostname()}`;
}

export function entryHash(e: Omit<CustodyEntry, 'entryHash'>): string {
  const body = canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    toolVersion: e.toolVersion,
    details: e.details,
    prevHash: e.prevHash,
  });
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** Append one entry, chained to the last. Runs in its own transaction (or the caller's). */
export function appendCustody(
  db: Database,
  action: CustodyAction,
  details: Record<string, unknown>,
  options: { at?: string; actor?: string } = {},
): CustodyEntry {
  return db.transaction(() => {
    const last = db.prepare('SELECT seq, entry_hash FROM custody_log ORDER BY seq DESC LIMIT 1').get() as
      | { seq: number; entry_hash: string }
      | undefined;
    const partial = {
      seq: (last?.seq ?? 0) + 1,
      at: options.at ?? new Date().toISOString(),
      actor: options.actor ?? currentActor(),
      action,
      toolVersion: TOOL_VERSION,
      // Round-trip so that what is hashed is exactly what is stored (no undefined, no class instances).
      details: JSON.parse(canonicalJson(details)) as Record<string, unknown>,
      prevHash: last?.entry_hash ?? GENESIS_HASH,
    };
    const entry: CustodyEntry = { ...partial, entryHash: entryHash(partial) };
    db.prepare(
      `INSERT INTO custody_log (seq, at, actor, action, tool_version, details, prev_hash, entry_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(entry.seq, entry.at, entry.actor, entry.action, entry.toolVersion, canonicalJson(entry.details), entry.prevHash, entry.entryHash);
    return entry;
  })();
}

export function readCustody(db: Database): CustodyEntry[] {
  return (db.prepare('SELECT * FROM custody_log ORDER BY seq').all() as Row[]).map((r) => ({
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    toolVersion: r.tool_version,
    details: JSON.parse(r.details) as Record<string, unknown>,
    prevHash: r.prev_hash,
    entryHash: r.entry_hash,
  }));
}

/**
 * The entry a report is made from: the newest one that changed the case (exports do not), so exporting the same
 * report twice pins the same entry and gives the same bytes.
 */
export function custodyHead(db: Database): Pick<CustodyEntry, 'seq' | 'at' | 'action' | 'entryHash'> | null {
  const r = db
    .prepare("SELECT seq, at, action, entry_hash FROM custody_log WHERE action <> 'export' ORDER BY seq DESC LIMIT 1")
    .get() as { seq: number; at: string; action: CustodyAction; entry_hash: string } | undefined;
  return r ? { seq: r.seq, at: r.at, action: r.action, entryHash: r.entry_hash } : null;
}

/**
 * The evidence files with ids above `afterId`, as one hash: the ingest entry that loaded them pins their paths,
 * hashes and outcomes, so a later change to the manifest table shows up when the log is checked.
 */
export function fileManifest(db: Database, afterId: number, upToId?: number): { fromId: number; toId: number; count: number; sha256: string } {
  const rows = db
    .prepare(
      `SELECT id, path, size, sha256, sha256_decompressed, status, records FROM evidence_files
       WHERE id > ? AND id <= ? ORDER BY id`,
    )
    .all(afterId, upToId ?? Number.MAX_SAFE_INTEGER) as {
    id: number;
    path: string;
    size: number;
    sha256: string;
    sha256_decompressed: string | null;
    status: string;
    records: number;
  }[];
  const hash = createHash('sha256');
  for (const r of rows) {
    hash.update(canonicalJson([r.id, r.path, r.size, r.sha256, r.sha256_decompressed, r.status, r.records]) + '\n', 'utf8');
  }
  return { fromId: afterId + 1, toId: rows.length ? rows[rows.length - 1]!.id : afterId, count: rows.length, sha256: hash.digest('hex') };
}

/** The highest evidence-file id some custody entry has pinned (0: none). */
export function lastPinnedFileId(db: Database): number {
  return (db.prepare("SELECT COALESCE(MAX(json_extract(details, '$.files.toId')), 0) FROM custody_log").pluck().get() as number) ?? 0;
}

/**
 * Files committed by an ingest that never wrote its custody entry (killed, power lost: each file commits on its
 * own, the entry is written at the end) are logged by the next ingest as `interrupted`, with the manifest rows
 * that run left, so no evidence enters the case without a custody entry.
 */
export function logInterruptedIngest(db: Database): CustodyEntry | null {
  const pinned = lastPinnedFileId(db);
  if (maxFileId(db) <= pinned) return null;
  return appendCustody(db, 'ingest', {
    outcome: 'interrupted',
    note: 'files committed by an earlier ingest that ended without writing its custody entry (killed or crashed); logged by the next ingest',
    files: fileManifest(db, pinned),
  });
}

export function maxFileId(db: Database): number {
  return (db.prepare('SELECT COALESCE(MAX(id), 0) FROM evidence_files').pluck().get() as number) ?? 0;
}

export interface CustodyCheck {
  ok: boolean;
  entries: number;
  /** One line per problem, naming the entry. */
  problems: string[];
}

/**
 * Re-derive every hash and link, and re-hash the evidence-file manifest each ingest entry pinned.
 */
export function checkCustody(db: Database): CustodyCheck {
  const entries = readCustody(db);
  const problems: string[] = [];
  let prev = GENESIS_HASH;
  entries.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`entry ${e.seq}: expected sequence number ${i + 1} (an entry is missing or out of order)`);
    if (e.prevHash !== prev) problems.push(`entry ${e.seq}: does not link to the entry before it`);
    const { entryHash: stored, ...rest } = e;
    if (entryHash(rest) !== stored) problems.push(`entry ${e.seq} (${e.action} at ${e.at}): its contents do not match its hash`);
    const files = e.details.files as { fromId?: number; toId?: number; sha256?: string } | undefined;
    if (files && typeof files.fromId === 'number' && typeof files.toId === 'number' && typeof files.sha256 === 'string') {
      const now = fileManifest(db, files.fromId - 1, files.toId);
      if (now.sha256 !== files.sha256) {
        problems.push(`entry ${e.seq} (${e.action} at ${e.at}): evidence files ${files.fromId}–${files.toId} no longer match what it recorded`);
      }
    }
    prev = stored;
  });
  if (entries.length === 0) problems.push('the custody log is empty');
  return { ok: problems.length === 0, entries: entries.length, problems };
}
