/**
 * `podtrail verify` with key lists whose validity is printed as AWS's user guide prints it (epoch-second strings,
 * `"1436317441.0"`, test/fixtures/reference/public/awsdocs_aws-cloudtrail-user-guide) or cannot be read: a key that
 * expired in 2015 or whose validity is unreadable verifies nothing, and the command exits 2 (issue 11, item 11).
 * `podtrail ingest` names a record read from a gzip member appended to a log file. Needs `npm run build`.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { podtrail } from '../helpers/cli';
import { apiRecord, put } from '../helpers/evidence';
import { referencePath } from '../helpers/reference';
import { fixtureKeys, writeFixture } from '../helpers/integrity-fixture';
import type { SigningKey } from '../generator/digests';

const AWS_SAMPLE = 'public/awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-custom-validation_L97_list-public-keys-sample-response.json';

function keyList(keys: { k: SigningKey; start: string; end: string }[]): string {
  return JSON.stringify({ publicKeyList: keys.map(({ k, start, end }) => ({ ValidityStartTime: start, ValidityEndTime: end, Value: k.der.toString('base64'), Fingerprint: k.fingerprint })) }, null, 4);
}

const epoch = (ms: number) => `${ms / 1000}.0`;

async function verifyWith(list: string) {
  const fx = writeFixture({ keys: 'none' });
  const casePath = join(fx.dir, 'case.db');
  expect((await podtrail(['ingest', fx.bundle, '--case', casePath, '--quiet'])).code).toBe(0);
  const keysFile = put(fx.dir, 'list-public-keys.json', list);
  return podtrail(['verify', '--case', casePath, '--public-keys', `us-east-1=${keysFile}`]);
}

describe('podtrail verify and key validity', () => {
  it('epoch-second strings as in the AWS sample: read, and the bundle is authenticated (exit 0)', async () => {
    const { a, b } = fixtureKeys();
    const r = await verifyWith(keyList([a, b].map((k) => ({ k, start: epoch(k.validFromMs), end: epoch(k.validToMs) }))));
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Integrity: authenticated to 2026-03-02T04:00:00Z');
    expect(r.stdout).toContain(`${a.fingerprint} pkcs1, valid ${new Date(a.validFromMs).toISOString()} to ${new Date(a.validToMs).toISOString()}`);
  }, 60_000);

  it('the key the digests name expired in 2015 (the AWS sample\'s window): exit 2, and no "within its validity window"', async () => {
    const { a, b } = fixtureKeys();
    const window = (JSON.parse(readFileSync(referencePath(AWS_SAMPLE), 'utf8')) as { publicKeyList: { ValidityStartTime: string; ValidityEndTime: string }[] }).publicKeyList[0]!;
    const r = await verifyWith(keyList([{ k: a, start: window.ValidityStartTime, end: window.ValidityEndTime }, { k: b, start: epoch(b.validFromMs), end: epoch(b.validToMs) }]));
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toBe('Integrity: FAILED — 2 integrity failures: key outside its validity window');
    expect(r.stdout).toContain(`${a.fingerprint} pkcs1, valid 2015-07-08T01:04:01.000Z to 2015-08-07T01:04:01.000Z, verified 0 digest(s)`);
  }, 60_000);

  it('a validity it cannot read: exit 2, the finding says what was found, no "valid ? to ?"', async () => {
    const { a, b } = fixtureKeys();
    const r = await verifyWith(keyList([{ k: a, start: epoch(a.validFromMs), end: '08/07/2015 01:04:01' }, { k: b, start: epoch(b.validFromMs), end: epoch(b.validToMs) }]));
    expect(r.code).toBe(2);
    expect(r.stdout.split('\n')[0]).toBe('Integrity: FAILED — 2 integrity failures: key validity unreadable');
    expect(r.stdout).toContain('[key-validity-unreadable] digest acme-cloudtrail/');
    expect(r.stdout).toContain('ValidityEndTime "08/07/2015 01:04:01" is not a time (expected ISO 8601 with a zone, or epoch seconds)');
    expect(r.stdout).not.toContain('valid ? to ?');
    expect(r.stdout).not.toMatch(/Not proven:[\s\S]*head-object/);
  }, 60_000);
});

describe('podtrail ingest and appended gzip members', () => {
  it('names the record read from an appended member under "notes:", before any verification', async () => {
    const fx = writeFixture({ keys: 'none' });
    const log = fx.logs[2]!;
    const forged = apiRecord('00000000-0000-4000-8000-0000000000ff', { eventName: 'GetSecretValue', eventTime: '2026-03-02T01:05:00Z' });
    const extra = gzipSync(JSON.stringify({ Records: [forged] }));
    appendFileSync(fx.at(log.key), extra);
    const r = await podtrail(['ingest', fx.bundle, '--case', join(fx.dir, 'case.db'), '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `notes:\n  ${fx.at(log.key)}: ${extra.length} bytes follow the end of the first gzip member (CloudTrail writes one member; gunzip and most readers silently read the rest as part of the file): record 2 was read from them`,
    );
  }, 60_000);
});
