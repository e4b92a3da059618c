/**
 * `podtrail custody` and the custody side of `podtrail report`, as a user runs them: the log lists every ingest
 * and export with its hashes; a report on evidence changed since ingest is still written, says so, and exits 2;
 * an edited log is reported and exits 2. Needs the compiled CLI (`npm run build`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { apiRecord, put, sha256, tempDir, trailJson } from '../helpers/evidence';
import { podtrail } from '../helpers/cli';

async function caseWithEvidence() {
  const dir = tempDir('cli-custody');
  const file = put(dir, 'evidence/AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/a.json', trailJson([apiRecord('ev-1')]));
  const casePath = join(dir, 'case.db');
  const r = await podtrail(['ingest', '--quiet', '--case', casePath, join(dir, 'evidence')]);
  expect(r.code).toBe(0);
  return { dir, file, casePath };
}

describe('podtrail custody', () => {
  it('lists the ingest and each export with its report hash, chain intact', async () => {
    const { dir, casePath } = await caseWithEvidence();
    const out = join(dir, 'r.html');
    const rep = await podtrail(['report', '--case', casePath, '--event', 'ev-1', '--out', out]);
    expect(rep.code).toBe(0);
    const reportHash = sha256(readFileSync(out));
    expect(rep.stderr).toContain(`(SHA-256 ${reportHash})`);

    const text = await podtrail(['custody', '--case', casePath]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^#1 \S+ case-created by \S+@\S+ \(PodTrail /m);
    expect(text.stdout).toMatch(/^#2 \S+ ingest by /m);
    expect(text.stdout).toContain(`inputs: ${join(dir, 'evidence')}`);
    expect(text.stdout).toMatch(/^#3 \S+ export by /m);
    expect(text.stdout).toContain(`html report on event ev-1 → ${out}`);
    expect(text.stdout).toContain(`report SHA-256 ${reportHash}`);
    expect(text.stdout).toContain('custody log: 3 entries, hash chain intact');

    const json = JSON.parse((await podtrail(['custody', '--case', casePath, '--format', 'json'])).stdout) as { entries: { action: string }[]; check: { ok: boolean } };
    expect(json.entries.map((e) => e.action)).toEqual(['case-created', 'ingest', 'export']);
    expect(json.check.ok).toBe(true);
  });

  it('an edited log is reported with the entry, exit 2', async () => {
    const { casePath } = await caseWithEvidence();
    const db = new Database(casePath);
    db.exec('DROP TRIGGER custody_log_no_update');
    db.prepare("UPDATE custody_log SET at = '2020-01-01T00:00:00.000Z' WHERE seq = 2").run();
    db.close();
    const r = await podtrail(['custody', '--case', casePath]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('entry 2 (ingest at 2020-01-01T00:00:00.000Z): its contents do not match its hash');
  });
});

describe('podtrail report re-checks its evidence', () => {
  it('evidence changed since ingest: the report is written, names the file, and the command exits 2', async () => {
    const { dir, file, casePath } = await caseWithEvidence();
    writeFileSync(file, trailJson([apiRecord('ev-1', { eventName: 'Tampered' })]));
    const out = join(dir, 'r.html');
    const r = await podtrail(['report', '--case', casePath, '--event', 'ev-1', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`report: evidence ${file}: changed since it was ingested`);
    expect(readFileSync(out, 'utf8')).toContain('<strong>CHANGED</strong>');
  });
});
