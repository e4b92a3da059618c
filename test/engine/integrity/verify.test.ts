/**
 * Offline CloudTrail integrity validation, end to end: a bundle signed with our own keys
 * (test/helpers/integrity-fixture.ts) is ingested into a case and verified; then each way the evidence can be
 * wrong — a deleted log, one or two deleted digests, a moved digest, a key from the wrong region, outside its
 * validity or under a false fingerprint, an appended gzip member, a CRLF-joined signing string, a changed log or
 * digest, an added log — must produce its own finding, naming the file and the digest.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence, type IngestSummary } from '../../../electron/engine/ingest/ingest';
import { fileIntegrity, KeyListError, readKeyLists, runVerification } from '../../../electron/engine/integrity/store';
import type { Finding, IntegrityResult } from '../../../electron/engine/integrity/types';
import { buildDigestChain, HOUR_MS, listPublicKeysJson } from '../../generator/digests';
import { apiRecord, put } from '../../helpers/evidence';
import { fixtureKeys, T0, writeFixture, type Fixture } from '../../helpers/integrity-fixture';

async function verify(fx: Fixture, keyFiles: { region?: string; path: string }[] = []): Promise<{ db: Database; summary: IngestSummary; r: IntegrityResult }> {
  const db = openCase(join(fx.dir, 'case.db'));
  const summary = await ingestEvidence(db, [fx.bundle], { workers: 0 });
  const r = runVerification(db, readKeyLists(keyFiles)).result;
  return { db, summary, r };
}

function of(r: IntegrityResult, severity: Finding['severity']): Finding[] {
  return r.findings.filter((f) => f.severity === severity);
}

function kinds(r: IntegrityResult, severity: Finding['severity'] = 'failure'): string[] {
  return of(r, severity).map((f) => f.kind);
}

const END = (h: number) => new Date(T0 + h * HOUR_MS).toISOString().replace('.000Z', 'Z');

describe('a signed bundle, intact', () => {
  it('is authenticated to its newest digest: chain, both key encodings, the backfill digest and every log file', async () => {
    const fx = writeFixture();
    const { db, summary, r } = await verify(fx);
    expect(summary.failed).toBe(0);
    expect(r.findings.filter((f) => f.severity !== 'note')).toEqual([]);
    expect(r.verdict).toBe('authenticated');
    expect(r.headline).toBe(`authenticated to ${END(4)}`);
    expect(r.counts).toMatchObject({ digests: 5, digestsAuthenticated: 5, digestsMissing: 0, logFiles: 9, logsAuthenticated: 9, failures: 0, gaps: 0 });
    // The oldest by its successor's recorded signature, the newest by its head-object output.
    expect(r.digests.map((d) => [d.endTime, d.backfill, d.chain, d.signature])).toEqual([
      [END(1), false, 'start', 'verified'],
      [END(2), false, 'linked', 'verified'],
      [END(2), true, 'not-in-chain', 'verified'],
      [END(3), false, 'linked', 'verified'],
      [END(4), false, 'linked', 'verified'],
    ]);
    expect(r.keys.map((k) => [k.encoding, k.usedBy])).toEqual([
      ['pkcs1', 2],
      ['spki', 3],
    ]);
    const late = r.files.find((f) => f.path === fx.at(fx.late.key))!;
    expect(late).toMatchObject({ role: 'log', status: 'authenticated' });
    expect(late.detail).toContain('_backfill.json.gz');
    // Stored: one status per evidence file, and the run in the custody log.
    expect(db.prepare("SELECT COUNT(*) FROM integrity_files WHERE status = 'authenticated'").pluck().get()).toBe(14);
    expect(db.prepare("SELECT action FROM custody_log ORDER BY seq DESC LIMIT 1").pluck().get()).toBe('verify');
    db.close();
  });

  it('without keys is "consistent, not authenticated", and says an attacker could forge a consistent set', async () => {
    const fx = writeFixture({ keys: 'none' });
    const { db, r } = await verify(fx);
    expect(r.verdict).toBe('consistent');
    expect(r.headline).toBe('consistent, not authenticated');
    expect(r.counts).toMatchObject({ logsConsistent: 9, logsAuthenticated: 0, digestsAuthenticated: 0, failures: 0 });
    expect(r.doesNotProve.join(' ')).toMatch(/anyone able to write to the bucket could have replaced logs and digests with a consistent forged set/);
    db.close();
  });

  it('without head-object output the newest digest stays consistent: authenticated to the digest before it', async () => {
    const fx = writeFixture({ headObject: false });
    const { db, r } = await verify(fx);
    expect(r.verdict).toBe('partly-authenticated');
    expect(r.headline).toBe(`authenticated to ${END(3)}; consistent, not authenticated after it`);
    const newest = r.digests.find((d) => d.endTime === END(4) && !d.backfill)!;
    expect(newest).toMatchObject({ signature: 'unavailable', status: 'consistent' });
    expect(of(r, 'note').map((f) => f.kind)).toContain('signature-unavailable');
    expect(r.files.filter((f) => f.role === 'log' && f.status === 'consistent')).toHaveLength(2);
    db.close();
  });

  it('takes a key list given at verification time, with its region', async () => {
    const fx = writeFixture({ keys: 'file' });
    const { db, r } = await verify(fx, [{ region: 'us-east-1', path: fx.keysFile! }]);
    expect(r.headline).toBe(`authenticated to ${END(4)}`);
    expect(r.keys[0]!.source).toBe(fx.keysFile);
    db.close();
    const noRegion = put(fx.dir, 'keys.json', listPublicKeysJson([fixtureKeys().a]));
    expect(() => readKeyLists([{ path: noRegion }])).toThrow(KeyListError);
  });

  it('reads an organization trail (AWSLogs/<org>/<account>/CloudTrail-Digest/…)', async () => {
    const fx = writeFixture({ org: 'o-a1b2c3d4e5' });
    const { db, r } = await verify(fx);
    expect(r.headline).toBe(`authenticated to ${END(4)}`);
    expect(r.streams.map((s) => s.label)).toEqual(['o-a1b2c3d4e5 111122223333 us-east-1 management-events']);
    db.close();
  });

  it('does not use a key list whose path names no region', async () => {
    const fx = writeFixture({ keys: 'none' });
    put(fx.bundle, 'keys/list-public-keys.json', listPublicKeysJson([fixtureKeys().a, fixtureKeys().b]));
    const { db, r } = await verify(fx);
    expect(r.headline).toBe('consistent, not authenticated');
    expect(kinds(r, 'note')).toContain('keys-region-unknown');
    db.close();
  });
});

describe('each finding, named with its file and digest', () => {
  it('a deleted log file', async () => {
    const fx = writeFixture();
    const gone = fx.logs[4]!;
    rmSync(fx.at(gone.key));
    const { db, r } = await verify(fx);
    expect(kinds(r)).toEqual(['log-missing']);
    expect(of(r, 'failure')[0]!.message).toContain(gone.key);
    expect(of(r, 'failure')[0]!.digest).toBe(`acme-cloudtrail/${fx.chain[2]!.key}`);
    expect(r.verdict).toBe('failed');
    expect(r.counts.logsMissing).toBe(1);
    db.close();
  });

  it('one deleted digest', async () => {
    const fx = writeFixture();
    rmSync(fx.at(fx.chain[1]!.key));
    const { db, r } = await verify(fx);
    expect(kinds(r)).toEqual(['digest-missing']);
    const f = of(r, 'failure')[0]!;
    expect(f.message).toMatch(/^a digest is missing: /);
    expect(f.digest).toBe(`acme-cloudtrail/${fx.chain[1]!.key}`);
    expect(r.counts.digestsMissing).toBe(1);
    db.close();
  });

  it('two consecutive deleted digests are counted as two (aws-cli#7054 saw one)', async () => {
    const fx = writeFixture();
    rmSync(fx.at(fx.chain[1]!.key));
    rmSync(fx.at(fx.chain[2]!.key));
    const { db, r } = await verify(fx);
    expect(kinds(r)).toEqual(['digest-missing']);
    expect(of(r, 'failure')[0]!.message).toContain(`2 consecutive digests are missing`);
    expect(of(r, 'failure')[0]!.message).toContain(`nothing covers ${END(1)} to ${END(3)}`);
    expect(r.counts.digestsMissing).toBe(2);
    db.close();
  });

  it('a digest moved to another key: "moved", and its signature fails over the key it was found at', async () => {
    const fx = writeFixture();
    const d = fx.chain[2]!;
    const moved = fx.at(d.key.replace('/2026/03/02/', '/2026/03/01/'));
    mkdirSync(dirname(moved), { recursive: true });
    renameSync(fx.at(d.key), moved);
    const { db, r } = await verify(fx);
    expect(kinds(r).sort()).toEqual(['digest-moved', 'signature-failed']);
    for (const f of of(r, 'failure')) expect(f.file).toBe(moved);
    db.close();
  });

  it('a key list from the wrong region', async () => {
    const fx = writeFixture({ keyRegion: 'eu-west-1' });
    const { db, r } = await verify(fx);
    expect(new Set(kinds(r))).toEqual(new Set(['key-wrong-region']));
    expect(kinds(r)).toHaveLength(5);
    expect(of(r, 'failure')[0]!.message).toMatch(/supplied for region eu-west-1 .* but the digest is from us-east-1/);
    expect(r.counts.digestsAuthenticated).toBe(0);
    db.close();
  });

  it('a key outside its validity window', async () => {
    const fx = writeFixture({ listed: (k) => [{ ...k.a, validToMs: T0 + 0.5 * HOUR_MS }, k.b] });
    const { db, r } = await verify(fx);
    expect(kinds(r)).toEqual(['key-not-valid-at', 'key-not-valid-at']);
    expect(of(r, 'failure').map((f) => f.digest)).toEqual([0, 1].map((i) => `acme-cloudtrail/${fx.chain[i]!.key}`));
    db.close();
  });

  it('a key list that labels another key with the fingerprint the digests name', async () => {
    // Forged digests signed with key C, naming key A's fingerprint, and a key list that calls C "A".
    const fx = writeFixture({
      signer: (end, k) => (end <= T0 + 2 * HOUR_MS ? { ...k.c, fingerprint: k.a.fingerprint } : k.b),
      listed: (k) => [{ ...k.c, fingerprint: k.a.fingerprint }, k.b],
    });
    const { db, r } = await verify(fx);
    expect(kinds(r)).toEqual(['key-fingerprint-mismatch', 'key-fingerprint-mismatch']);
    expect(of(r, 'failure')[0]!.message).toContain(`the MD5 of that key's DER bytes is ${fixtureKeys().c.fingerprint}`);
    expect(r.keys[0]).toMatchObject({ fingerprint: fixtureKeys().c.fingerprint, claimedFingerprint: fixtureKeys().a.fingerprint });
    db.close();
  });

  it('a signing string joined with CRLF (the AWS Java sample on Windows) does not verify', async () => {
    const fx = writeFixture({ join: '\r\n' });
    const { db, r } = await verify(fx);
    // Three digests signed through their successors, the newest and the backfill through head-object output.
    expect(kinds(r)).toEqual(Array(5).fill('signature-failed'));
    expect(r.counts.digestsAuthenticated).toBe(0);
    db.close();
  });

  it('a changed log file: its hash no longer matches', async () => {
    const fx = writeFixture();
    const log = fx.logs[1]!;
    writeFileSync(fx.at(log.key), gzipSync(log.content.toString('utf8').replace('"ListBuckets"', '"DeleteBucket"')));
    const { db, r } = await verify(fx);
    expect(kinds(r)).toEqual(['log-hash-mismatch']);
    const f = of(r, 'failure')[0]!;
    expect(f.file).toBe(fx.at(log.key));
    expect(f.digest).toBe(`acme-cloudtrail/${fx.chain[0]!.key}`);
    expect(r.files.find((x) => x.path === f.file)!.status).toBe('failed');
    db.close();
  });

  it('a changed digest: the next digest recorded another hash, and its signature fails', async () => {
    const fx = writeFixture();
    const d = fx.chain[1]!;
    const body = JSON.parse(d.body) as { logFiles: unknown[] };
    body.logFiles.pop();
    writeFileSync(fx.at(d.key), gzipSync(JSON.stringify(body)));
    const { db, r } = await verify(fx);
    expect(kinds(r).sort()).toEqual(['digest-chain-mismatch', 'signature-failed']);
    expect(of(r, 'failure').every((f) => f.file === fx.at(d.key))).toBe(true);
    // The log file the altered digest no longer lists is now in the bundle with no digest listing it.
    expect(kinds(r, 'gap')).toEqual(['log-not-listed']);
    db.close();
  });

  it('a gzip member appended to a log file: loaded (gunzip reads it), but flagged, with the first member still matching', async () => {
    const fx = writeFixture();
    const log = fx.logs[2]!;
    const forged = apiRecord('00000000-0000-4000-8000-0000000000ff', { eventName: 'GetSecretValue', eventTime: '2026-03-02T01:05:00Z' });
    const extra = gzipSync(JSON.stringify({ Records: [forged] }));
    appendFileSync(fx.at(log.key), extra);
    const { db, summary, r } = await verify(fx);
    expect(summary.files.find((f) => f.path === fx.at(log.key))).toMatchObject({ status: 'loaded' });
    expect(db.prepare("SELECT COUNT(*) FROM events WHERE event_id = '00000000-0000-4000-8000-0000000000ff'").pluck().get()).toBe(1);
    expect(db.prepare('SELECT gzip_trailing_bytes FROM evidence_files WHERE path = ?').pluck().get(fx.at(log.key))).toBe(extra.length);
    expect(kinds(r)).toEqual(['gzip-trailing-data']);
    expect(of(r, 'failure')[0]!.file).toBe(fx.at(log.key));
    expect(r.files.find((f) => f.path === fx.at(log.key))).toMatchObject({ status: 'failed', detail: expect.stringContaining('its first gzip member matches digest') });
    db.close();
  });

  it('a backfill digest adds files without breaking the chain; without it, its file is listed by no digest', async () => {
    const fx = writeFixture();
    rmSync(fx.at(fx.backfill.key));
    const { db, r } = await verify(fx);
    expect(kinds(r)).toEqual([]);
    expect(kinds(r, 'gap')).toEqual(['log-not-listed']);
    expect(of(r, 'gap')[0]!.message).toMatch(/listed in a backfill digest that is not in the bundle/);
    expect(r.headline).toBe(`authenticated to ${END(4)} — 1 gap`);
    db.close();
  });

  it('a log file added to the bucket that no digest lists', async () => {
    const fx = writeFixture();
    const added = fx.logs[5]!.key.replace('Fx00000000000006', 'Fx000000000000AA');
    put(fx.bundle, added, gzipSync(JSON.stringify({ Records: [apiRecord('00000000-0000-4000-8000-0000000000aa', { eventTime: '2026-03-02T02:30:00Z' })] })));
    const { db, r } = await verify(fx);
    expect(kinds(r, 'gap')).toEqual(['log-not-listed']);
    expect(of(r, 'gap')[0]!.file).toBe(fx.at(added));
    expect(r.files.find((f) => f.path === fx.at(added))!.status).toBe('not-covered');
    db.close();
  });

  it('hours with no digest: a chain that restarts (a starting digest after a pause)', async () => {
    const fx = writeFixture({ keys: 'none' });
    rmSync(fx.bundle, { recursive: true });
    const k = fixtureKeys();
    const trail = fx.trail;
    const logs = fx.logs;
    const first = buildDigestChain({ ...trail, startMs: T0, hours: 2, logs, keyFor: () => k.a });
    const second = buildDigestChain({ ...trail, startMs: T0 + 3 * HOUR_MS, hours: 1, logs, keyFor: () => k.b });
    for (const l of logs.filter((l) => l.nameMs < T0 + 2 * HOUR_MS || l.nameMs >= T0 + 3 * HOUR_MS)) put(fx.bundle, l.key, gzipSync(l.content));
    for (const d of [...first, ...second]) put(fx.bundle, d.key, d.gz);
    const { db, r } = await verify(fx);
    expect(kinds(r)).toEqual([]);
    expect(kinds(r, 'gap')).toEqual(['chain-restart']);
    expect(of(r, 'gap')[0]!.message).toContain(`no digest covers ${END(2)} to ${END(3)}`);
    db.close();
  });

  it('a case with no digests verifies nothing and says so', async () => {
    const fx = writeFixture({ keys: 'none' });
    for (const d of fx.digests) rmSync(fx.at(d.key));
    const { db, r } = await verify(fx);
    expect(r.verdict).toBe('nothing-to-verify');
    expect(r.files.filter((f) => f.role === 'log').every((f) => f.status === 'not-covered')).toBe(true);
    db.close();
  });
});

describe('stored verifications', () => {
  it('a file ingested after the last verification is reported as not verified', async () => {
    const fx = writeFixture();
    const { db } = await verify(fx);
    const extra = put(join(fx.dir, 'later'), 'x.jsonl', JSON.stringify(apiRecord('00000000-0000-4000-8000-0000000000bb')) + '\n');
    await ingestEvidence(db, [extra], { workers: 0 });
    const id = db.prepare('SELECT id FROM evidence_files WHERE path = ?').pluck().get(extra) as number;
    expect(fileIntegrity(db, [id]).files.get(id)).toEqual({ status: 'not-verified', detail: 'added to the case after the last verification' });
    db.close();
  });
});
