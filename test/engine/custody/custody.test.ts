/**
 * Chain of custody: every ingest and export is logged in a hash-chained, append-only log; edits, deletions and
 * manifest changes are found by the check; reports re-hash their evidence first, name any change, and come out
 * byte-identical when made twice.
 */
import { copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { appendCustody, checkCustody, custodyHead, GENESIS_HASH, readCustody } from '../../../electron/engine/custody/log';
import { recheckEvidence } from '../../../electron/engine/custody/recheck';
import { exportReport } from '../../../electron/engine/report/export';
import { apiRecord, put, sha256, tempDir, trailJson } from '../../helpers/evidence';
import { buildZip } from '../../helpers/archives';
import { custodySummary } from '../../../shared/custody';

function evidence(dir: string) {
  const a = put(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/a.json.gz', gzipSync(trailJson([apiRecord('ev-a1'), apiRecord('ev-a2', { eventTime: '2024-03-01T10:05:00Z' })])));
  const b = put(dir, 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/b.json', trailJson([apiRecord('ev-b1', { eventTime: '2024-03-01T11:00:00Z' })]));
  return { a, b };
}

async function loadedCase(label: string) {
  const dir = tempDir(label);
  const files = evidence(join(dir, 'evidence'));
  const casePath = join(dir, 'case.db');
  const db = openCase(casePath);
  await ingestEvidence(db, [join(dir, 'evidence')], { workers: 0 });
  correlate(db);
  return { dir, files, casePath, db };
}

/** Lift the append-only triggers, as someone editing the case file with sqlite3 would. */
function dropTriggers(db: Database): void {
  db.exec('DROP TRIGGER custody_log_no_update; DROP TRIGGER custody_log_no_delete;');
}

describe('custody log', () => {
  it('a new case starts with one entry chained to the genesis hash', () => {
    const db = openCase(':memory:');
    const [first, ...rest] = readCustody(db);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ seq: 1, action: 'case-created', prevHash: GENESIS_HASH });
    expect(first!.entryHash).toMatch(/^[0-9a-f]{64}$/);
    expect(first!.actor).toMatch(/@/);
    expect(checkCustody(db)).toEqual({ ok: true, entries: 1, problems: [] });
    db.close();
  });

  it('records every ingest with its inputs, outcome and a hash of the evidence files it wrote', async () => {
    const { dir, db } = await loadedCase('custody');
    await ingestEvidence(db, [join(dir, 'evidence')], { workers: 0 }); // again: nothing new
    const log = readCustody(db);
    expect(log.map((e) => e.action)).toEqual(['case-created', 'ingest', 'ingest']);
    const [, first, second] = log;
    expect(first!.details).toMatchObject({ inputs: [join(dir, 'evidence')], outcome: 'completed', loaded: 2, failed: 0, newEvents: 3 });
    expect(first!.details.files).toMatchObject({ fromId: 1, toId: 2, count: 2 });
    expect(second!.details).toMatchObject({ loaded: 0, alreadyLoaded: 2, files: { count: 0 } });
    expect(second!.prevHash).toBe(first!.entryHash);
    expect(checkCustody(db).ok).toBe(true);
    db.close();
  });

  it('files committed by an ingest that was killed before its entry are logged by the next ingest as interrupted', async () => {
    const { dir, db } = await loadedCase('custody-killed');
    // What a run killed after committing one file leaves: its manifest row, and no custody entry.
    const c = put(join(dir, 'evidence'), 'c.json', trailJson([apiRecord('ev-c1')]));
    db.prepare(
      "INSERT INTO evidence_files (path, size, sha256, format, status, ingested_at, tool_version) VALUES (?, 10, ?, 'cloudtrail', 'complete', '2024-03-02T00:00:00Z', 'x')",
    ).run(c, sha256('x'));
    expect(checkCustody(db).ok).toBe(true); // the chain alone cannot see it
    await ingestEvidence(db, [join(dir, 'evidence')], { workers: 0 });
    const log = readCustody(db);
    expect(log.map((e) => [e.action, e.details.outcome])).toEqual([
      ['case-created', undefined],
      ['ingest', 'completed'],
      ['ingest', 'interrupted'],
      ['ingest', 'completed'],
    ]);
    expect(log[2]!.details.files).toMatchObject({ fromId: 3, toId: 3, count: 1 });
    expect(custodySummary(log[2]!)[0]).toMatch(/^outcome: interrupted\. files committed by an earlier ingest that ended without writing its custody entry/);
    expect(log[3]!.details.files).toMatchObject({ fromId: 4 });
    expect(checkCustody(db).ok).toBe(true);
    // Nothing left unlogged: a further ingest writes no second interrupted entry.
    await ingestEvidence(db, [join(dir, 'evidence')], { workers: 0 });
    expect(readCustody(db).filter((e) => e.details.outcome === 'interrupted')).toHaveLength(1);
    db.close();
  });

  it('refuses UPDATE and DELETE', async () => {
    const { db } = await loadedCase('custody');
    expect(() => db.prepare("UPDATE custody_log SET actor = 'someone-else' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM custody_log WHERE seq = 2').run()).toThrow(/append-only/);
    db.close();
  });

  it('finds an edited entry, a deleted entry and a changed evidence manifest', async () => {
    const edited = await loadedCase('custody');
    dropTriggers(edited.db);
    edited.db.prepare("UPDATE custody_log SET details = replace(details, '\"newEvents\":3', '\"newEvents\":2') WHERE seq = 2").run();
    expect(checkCustody(edited.db).problems).toEqual([expect.stringMatching(/^entry 2 \(ingest at .*\): its contents do not match its hash$/)]);
    edited.db.close();

    const deleted = await loadedCase('custody');
    appendCustody(deleted.db, 'verify', { verdict: 'test' });
    dropTriggers(deleted.db);
    deleted.db.prepare('DELETE FROM custody_log WHERE seq = 2').run();
    const problems = checkCustody(deleted.db).problems;
    expect(problems).toContain('entry 3: expected sequence number 2 (an entry is missing or out of order)');
    expect(problems).toContain('entry 3: does not link to the entry before it');
    deleted.db.close();

    const manifest = await loadedCase('custody');
    manifest.db.prepare("UPDATE evidence_files SET sha256 = ? WHERE id = 1").run('0'.repeat(64));
    expect(checkCustody(manifest.db).problems).toEqual([expect.stringMatching(/^entry 2 \(ingest at .*\): evidence files 1–2 no longer match what it recorded$/)]);
    manifest.db.close();
  });
});

describe('re-checking evidence before a report', () => {
  it('plain files and archive members: unchanged, changed, missing', async () => {
    const dir = tempDir('recheck');
    const plain = put(dir, 'x.json', '{"Records":[]}');
    const zip = put(dir, 'bundle.zip', buildZip([{ name: 'inner/y.json', data: '{"Records":[1]}' }]));
    const member = `${zip}!/inner/y.json`;
    const ok = await recheckEvidence([
      { path: plain, sha256: sha256('{"Records":[]}') },
      { path: member, sha256: sha256('{"Records":[1]}') },
    ]);
    expect(ok.map((r) => r.status)).toEqual(['unchanged', 'unchanged']);

    writeFileSync(plain, '{"Records":[2]}');
    const changed = await recheckEvidence([{ path: plain, sha256: sha256('{"Records":[]}') }, { path: `${zip}!/gone.json`, sha256: 'x' }]);
    expect(changed[0]).toEqual({ path: plain, status: 'changed', sha256Now: sha256('{"Records":[2]}') });
    expect(changed[1]).toMatchObject({ status: 'missing', detail: 'no longer in the archive' });

    const missing = await recheckEvidence([{ path: join(dir, 'nope.json'), sha256: 'x' }, { path: `${join(dir, 'nope.zip')}!/a.json`, sha256: 'x' }]);
    expect(missing.map((r) => r.status)).toEqual(['missing', 'missing']);
  });

  it('an archive inside a folder whose name ends in "!" is still found (the archive is before the last "!/")', async () => {
    const dir = join(tempDir('recheck-bang'), 'case!');
    const zip = put(dir, 'bundle.zip', buildZip([{ name: 'inner/y.json', data: '{"Records":[1]}' }]));
    expect(zip).toContain('!/');
    const [r] = await recheckEvidence([{ path: `${zip}!/inner/y.json`, sha256: sha256('{"Records":[1]}') }]);
    expect(r).toMatchObject({ status: 'unchanged' });
  });
});

describe('reports and custody', () => {
  it('the same report made twice is byte-identical, in every format, and each export is logged', async () => {
    const { db, casePath } = await loadedCase('report');
    const q = new CaseQueries(db);
    for (const format of ['html', 'json', 'csv'] as const) {
      const one = await exportReport(db, q, casePath, 'ev-a1', format, null);
      const two = await exportReport(db, q, casePath, 'ev-a1', format, null);
      expect(two.body).toBe(one.body);
      expect(two.sha256).toBe(one.sha256);
      expect(one.evidenceProblems).toEqual([]);
    }
    const exports = readCustody(db).filter((e) => e.action === 'export');
    expect(exports).toHaveLength(6);
    expect(exports[0]!.details).toMatchObject({ eventID: 'ev-a1', format: 'html', destination: 'podtrail-report-ev-a1.html', pinnedEntry: 2 });
    expect(custodyHead(db)!.seq).toBe(2); // exports do not move the entry reports are made from
    expect(checkCustody(db).ok).toBe(true);
    db.close();
  });

  it('a report pins the custody entry it was made from, and every cited file as re-checked', async () => {
    const { db, casePath, files } = await loadedCase('report');
    const r = await exportReport(db, new CaseQueries(db), casePath, 'ev-a1', 'json', null);
    const head = readCustody(db)[1]!;
    expect(r.model.custody).toEqual({ pinned: { seq: 2, at: head.at, action: 'ingest', entryHash: head.entryHash }, intact: true, problems: [] });
    expect(r.model.evidenceCheck).toEqual([{ path: files.a, status: 'unchanged' }]);
    expect(r.body).toContain(head.entryHash);
    db.close();
  });

  it('evidence changed after ingest is named in the report and in the result; a moved bundle is noted', async () => {
    const { db, casePath, files } = await loadedCase('report');
    const q = new CaseQueries(db);
    copyFileSync(files.b, files.a); // someone overwrote the cited file
    const changed = await exportReport(db, q, casePath, 'ev-a1', 'html', null);
    expect(changed.evidenceProblems).toEqual([expect.stringMatching(new RegExp(`^${files.a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: changed since it was ingested`))]);
    expect(changed.body).toContain('Evidence warning');
    expect(changed.body).toContain('<strong>CHANGED</strong>');

    renameSync(files.a, `${files.a}.moved`);
    const moved = await exportReport(db, q, casePath, 'ev-a1', 'html', null);
    expect(moved.model.evidenceCheck).toEqual([{ path: files.a, status: 'missing', detail: 'not found at this path' }]);
    expect(moved.body).toContain('could not re-check: missing');
    expect(moved.body).not.toContain('Evidence warning');
    db.close();
  });

  it('a broken custody chain is stated in the report', async () => {
    const { db, casePath } = await loadedCase('report');
    dropTriggers(db);
    db.prepare("UPDATE custody_log SET actor = 'mallory@elsewhere' WHERE seq = 2").run();
    const r = await exportReport(db, new CaseQueries(db), casePath, 'ev-a1', 'html', null);
    expect(r.model.custody!.intact).toBe(false);
    expect(r.body).toContain('hash chain broken');
    expect(r.body).toContain('custody log: entry 2 (ingest at');
    db.close();
  });
});
