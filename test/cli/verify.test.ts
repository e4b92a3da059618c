/**
 * `podtrail verify` as a user runs it: the verdict in words, what is and is not proven, findings naming files,
 * the exit codes (0 all checks passed, 2 a failure or gap, 1 bad usage), key lists given per region, and --json.
 * Needs the compiled CLI (`npm run build`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { podtrail } from '../helpers/cli';
import { put } from '../helpers/evidence';
import { writeFixture } from '../helpers/integrity-fixture';

async function ingested(o: Parameters<typeof writeFixture>[0] = {}) {
  const fx = writeFixture(o);
  const casePath = join(fx.dir, 'case.db');
  const r = await podtrail(['ingest', fx.bundle, '--case', casePath, '--quiet']);
  expect(r.code).toBe(0);
  return { fx, casePath };
}

describe('podtrail verify', () => {
  it('with the region\'s key list: authenticated to the newest digest, exit 0', async () => {
    const { fx, casePath } = await ingested({ keys: 'file' });
    const r = await podtrail(['verify', '--case', casePath, '--public-keys', `us-east-1=${fx.keysFile}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Integrity: authenticated to 2026-03-02T04:00:00Z');
    expect(r.stdout).toMatch(/\nProven:\n {2}- 9 log files match/);
    expect(r.stdout).toMatch(/\nNot proven:\n/);
    expect(r.stdout).toContain('Log files: 9 in the case — 9 authenticated, 0 consistent, 0 failed');
  }, 60_000);

  it('without keys: "consistent, not authenticated", and why that is not proof of authorship', async () => {
    const { casePath } = await ingested({ keys: 'none' });
    const r = await podtrail(['verify', '--case', casePath]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Integrity: consistent, not authenticated');
    expect(r.stdout).toContain('could have replaced logs and digests with a consistent forged set');
  }, 60_000);

  it('a changed log file: exit 2, the failure names the file and its digest; --json carries the same', async () => {
    const fx = writeFixture();
    const log = fx.logs[0]!;
    writeFileSync(fx.at(log.key), gzipSync(log.content.toString('utf8').replace('"ListBuckets"', '"ListUsers"')));
    const casePath = join(fx.dir, 'case.db');
    expect((await podtrail(['ingest', fx.bundle, '--case', casePath, '--quiet'])).code).toBe(0);
    const r = await podtrail(['verify', '--case', casePath]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^Integrity: FAILED — 1 integrity failure: log file changed/);
    expect(r.stdout).toContain(`[log-hash-mismatch] ${fx.at(log.key)}: SHA-256 of its decompressed content is`);
    expect(r.stdout).toContain(`acme-cloudtrail/${fx.chain[0]!.key}`);
    const j = await podtrail(['verify', '--case', casePath, '--json']);
    expect(j.code).toBe(2);
    const result = JSON.parse(j.stdout) as { verdict: string; runId: number; findings: { kind: string; file?: string }[] };
    expect(result.verdict).toBe('failed');
    expect(result.runId).toBe(2);
    expect(result.findings.filter((f) => f.kind === 'log-hash-mismatch').map((f) => f.file)).toEqual([fx.at(log.key)]);
  }, 60_000);

  it('a gap alone (a log file no digest lists) is exit 2 too', async () => {
    const fx = writeFixture({ keys: 'none' });
    put(fx.bundle, fx.logs[0]!.key.replace('Fx00000000000001', 'Fx0000000000000Z'), gzipSync(fx.logs[0]!.content));
    const casePath = join(fx.dir, 'case.db');
    expect((await podtrail(['ingest', fx.bundle, '--case', casePath, '--quiet'])).code).toBe(0);
    const r = await podtrail(['verify', '--case', casePath]);
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toBe('Integrity: consistent, not authenticated — 1 gap');
  }, 60_000);

  it('podtrail trace shows what the latest verification says about each cited file', async () => {
    const fx = writeFixture({ keys: 'file' });
    const log = fx.logs[2]!;
    const eventID = `00000000-0000-4000-8000-${String(30).padStart(12, '0')}`; // the third log file's first record
    const casePath = join(fx.dir, 'case.db');
    expect((await podtrail(['ingest', fx.bundle, '--case', casePath, '--quiet'])).code).toBe(0);
    let t = await podtrail(['trace', eventID, '--case', casePath]);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('\nEvidence integrity: not verified (run podtrail verify)\n');
    expect(t.stdout).toContain(`  ${fx.at(log.key)}: not verified\n`);
    expect((await podtrail(['verify', '--case', casePath, '--public-keys', `us-east-1=${fx.keysFile}`])).code).toBe(0);
    t = await podtrail(['trace', eventID, '--case', casePath]);
    expect(t.stdout).toContain('\nEvidence integrity: verification #1 at ');
    expect(t.stdout).toContain(': authenticated to 2026-03-02T04:00:00Z\n');
    expect(t.stdout).toContain(`  ${fx.at(log.key)}: authenticated\n`);
    const j = JSON.parse((await podtrail(['trace', eventID, '--case', casePath, '--format', 'json'])).stdout) as { integrity: { files: { path: string; status: string }[] } };
    expect(j.integrity.files).toEqual([expect.objectContaining({ path: fx.at(log.key), status: 'authenticated' })]);

    // The same file changed on disk and re-ingested into a new case: the trace names the failure and why.
    writeFileSync(fx.at(log.key), gzipSync(log.content.toString('utf8').replace('"ListBuckets"', '"ListUsers"')));
    const changed = join(fx.dir, 'changed.db');
    expect((await podtrail(['ingest', fx.bundle, '--case', changed, '--quiet'])).code).toBe(0);
    expect((await podtrail(['verify', '--case', changed])).code).toBe(2);
    t = await podtrail(['trace', eventID, '--case', changed]);
    expect(t.stdout).toMatch(new RegExp(`\\n {2}${fx.at(log.key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: FAILED \\(.*SHA-256`));
  }, 90_000);

  it('bad usage is exit 1: a key list without a region, a missing key file, a missing case', async () => {
    const { fx, casePath } = await ingested({ keys: 'none' });
    const noRegion = put(fx.dir, 'keys.json', '{"PublicKeyList":[]}');
    let r = await podtrail(['verify', '--case', casePath, '--public-keys', noRegion]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/which region are these keys for\? .*--public-keys <region>=<file>/);
    r = await podtrail(['verify', '--case', casePath, '--public-keys', `us-east-1=${join(fx.dir, 'nope.json')}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read public keys/);
    r = await podtrail(['verify', '--case', join(fx.dir, 'missing.db')]);
    expect(r.code).toBe(1);
  }, 60_000);
});
