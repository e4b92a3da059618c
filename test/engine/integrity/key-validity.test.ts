/**
 * `verify` and the validity of CloudTrail's public keys (issue 11, item 11): every form AWS has printed
 * ValidityStartTime / ValidityEndTime in is read — ISO 8601 with a zone, epoch seconds as a number, epoch seconds as
 * a string like the sample response in AWS's user guide (test/fixtures/reference/public/awsdocs_aws-cloudtrail-user-guide,
 * `"1436317441.0"`, its list spelled `publicKeyList`) — and a validity that cannot be read fails closed. A failed
 * signature or key check says what failed, not "save head-object output". A record in a gzip member appended to a
 * log file is reported at ingest, before any verification.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence, type IngestSummary } from '../../../electron/engine/ingest/ingest';
import { md5Hex, parsePublicKeys, readValidityTime, type PublicKey } from '../../../electron/engine/integrity/keys';
import { readKeyLists, runVerification } from '../../../electron/engine/integrity/store';
import { integrityText } from '../../../electron/engine/integrity/text';
import type { IntegrityResult } from '../../../electron/engine/integrity/types';
import { apiRecord } from '../../helpers/evidence';
import { referencePath } from '../../helpers/reference';
import { fixtureKeys, T0, writeFixture, type Fixture } from '../../helpers/integrity-fixture';
import type { SigningKey } from '../../generator/digests';

const AWS_SAMPLE = 'public/awsdocs_aws-cloudtrail-user-guide/cloudtrail-log-file-custom-validation_L97_list-public-keys-sample-response.json';

interface SampleKey {
  ValidityStartTime: string;
  ValidityEndTime: string;
  Value: string;
  Fingerprint: string;
}

const sample = () => JSON.parse(readFileSync(referencePath(AWS_SAMPLE), 'utf8')) as { publicKeyList: SampleKey[] };

/** A key list for our fixture keys, with the validity times written as `at` prints them (the AWS sample's form by default). */
function keyList(keys: SigningKey[], at: (ms: number, k: SigningKey, which: 'start' | 'end') => unknown = (ms) => `${ms / 1000}.0`): string {
  return JSON.stringify({
    publicKeyList: keys.map((k) => ({
      ValidityStartTime: at(k.validFromMs, k, 'start'),
      ValidityEndTime: at(k.validToMs, k, 'end'),
      Value: k.der.toString('base64'),
      Fingerprint: k.fingerprint,
    })),
  }, null, 4);
}

async function verify(fx: Fixture, keys?: string): Promise<{ db: Database; summary: IngestSummary; r: IntegrityResult }> {
  if (keys !== undefined) writeFileSync(fx.keysFile!, keys);
  const db = openCase(join(fx.dir, 'case.db'));
  const summary = await ingestEvidence(db, [fx.bundle], { workers: 0 });
  const r = runVerification(db, readKeyLists([])).result;
  return { db, summary, r };
}

const failures = (r: IntegrityResult) => r.findings.filter((f) => f.severity === 'failure');

describe('validity times in every form AWS has printed', () => {
  it('the sample response of AWS\'s user guide: epoch-second strings, read as the instants they are', () => {
    const keys = parsePublicKeys(readFileSync(referencePath(AWS_SAMPLE), 'utf8'), AWS_SAMPLE, 'us-east-2') as PublicKey[];
    expect(keys.map((k) => [k.validFromMs, k.validToMs, k.validityProblem])).toEqual([
      [1436317441000, 1438909441000, null],
      [1434589460000, 1437181460000, null],
      [1434589370000, 1437181370000, null],
    ]);
    expect(new Date(keys[0]!.validFromMs!).toISOString()).toBe('2015-07-08T01:04:01.000Z');
    // The fingerprint the list names is the MD5 of the key's DER bytes (PKCS#1 and SPKI alike).
    const listed = sample().publicKeyList;
    expect(keys.map((k) => k.fingerprint)).toEqual(listed.map((k) => k.Fingerprint));
    expect(keys.map((k) => k.fingerprint)).toEqual(listed.map((k) => md5Hex(Buffer.from(k.Value, 'base64'))));
    expect(keys.map((k) => k.encoding)).toEqual(['pkcs1', 'pkcs1', 'spki']);
  });

  it('ISO 8601 with a zone, epoch seconds as numbers and strings; never a guess', () => {
    expect(readValidityTime('2015-07-08T01:04:01+00:00')).toEqual({ ms: 1436317441000 });
    expect(readValidityTime('2015-07-08T01:04:01Z')).toEqual({ ms: 1436317441000 });
    expect(readValidityTime('2015-07-08T03:04:01.000+02:00')).toEqual({ ms: 1436317441000 });
    expect(readValidityTime(1436317441.0)).toEqual({ ms: 1436317441000 });
    expect(readValidityTime('1436317441.0')).toEqual({ ms: 1436317441000 });
    expect(readValidityTime('1436317441')).toEqual({ ms: 1436317441000 });
    expect(readValidityTime(1436317441000)).toEqual({ ms: 1436317441000 });
    expect(readValidityTime('2015-07-08 01:04:01')).toEqual({ problem: '"2015-07-08 01:04:01" has no time zone' });
    expect(readValidityTime('7/8/2015 1:04:01 AM')).toEqual({ problem: '"7/8/2015 1:04:01 AM" is not a time (expected ISO 8601 with a zone, or epoch seconds)' });
    expect(readValidityTime(undefined)).toEqual({ problem: 'missing' });
    expect(readValidityTime(null)).toEqual({ problem: 'null' });
    expect(readValidityTime({ $date: 1 })).toEqual({ problem: 'object, not a time' });
  });
});

describe('verify with such key lists', () => {
  it('a key list in the AWS sample\'s form (epoch-second strings, publicKeyList) authenticates what it should', async () => {
    const fx = writeFixture();
    const k = fixtureKeys();
    const { db, r } = await verify(fx, keyList([k.a, k.b]));
    expect(r.headline).toBe('authenticated to 2026-03-02T04:00:00Z');
    expect(r.keys.map((x) => [x.validityStart, x.validityEnd, x.validityProblem])).toEqual([
      [new Date(k.a.validFromMs).toISOString(), new Date(k.a.validToMs).toISOString(), null],
      [new Date(k.b.validFromMs).toISOString(), new Date(k.b.validToMs).toISOString(), null],
    ]);
    db.close();
  });

  it('a key that expired in 2015 (the AWS sample\'s window, as it prints it) verifies nothing signed in 2026', async () => {
    const fx = writeFixture();
    const k = fixtureKeys();
    const window = sample().publicKeyList[0]!;
    const { db, r } = await verify(fx, keyList([k.a, k.b], (ms, key, which) => (key === k.a ? (which === 'start' ? window.ValidityStartTime : window.ValidityEndTime) : `${ms / 1000}.0`)));
    expect(r.verdict).toBe('failed');
    expect(failures(r).map((f) => f.kind)).toEqual(['key-not-valid-at', 'key-not-valid-at']);
    expect(failures(r)[0]!.message).toContain(`key ${k.a.fingerprint} is valid 2015-07-08T01:04:01Z to 2015-08-07T01:04:01Z, not at 2026-03-02T01:00:00Z when the digest was signed`);
    expect(r.proves.join(' ')).not.toMatch(/within its validity window.*up to 2026-03-02T02:00:00Z/);
    db.close();
  });

  it('a validity that cannot be read fails closed: a finding, the verdict FAILED, and the key list shows it', async () => {
    const fx = writeFixture();
    const k = fixtureKeys();
    const { db, r } = await verify(fx, keyList([k.a, k.b], (ms, key, which) => (key === k.a && which === 'end' ? 'next Tuesday' : `${ms / 1000}.0`)));
    expect(r.verdict).toBe('failed');
    expect(r.headline).toBe('FAILED — 2 integrity failures: key validity unreadable');
    expect(failures(r).map((f) => [f.kind, f.digest])).toEqual([0, 1].map((i) => ['key-validity-unreadable', `acme-cloudtrail/${fx.chain[i]!.key}`]));
    expect(failures(r)[0]!.message).toContain(`the validity of key ${k.a.fingerprint} in ${fx.keysFile} cannot be read (entry 0: ValidityEndTime "next Tuesday" is not a time (expected ISO 8601 with a zone, or epoch seconds))`);
    const text = integrityText(r, null);
    expect(text).toContain(`${k.a.fingerprint} pkcs1, validity UNREADABLE (entry 0: ValidityEndTime "next Tuesday" is not a time`);
    expect(text).not.toMatch(/valid \? to \?/);
    db.close();
  });

  it('a missing validity fails closed too', async () => {
    const fx = writeFixture();
    const k = fixtureKeys();
    const { db, r } = await verify(fx, keyList([k.a, k.b], (ms, key, which) => (key === k.b && which === 'start' ? undefined : `${ms / 1000}.0`)));
    expect(new Set(failures(r).map((f) => f.kind))).toEqual(new Set(['key-validity-unreadable']));
    expect(failures(r)[0]!.message).toContain('ValidityStartTime missing');
    db.close();
  });
});

describe('"Not proven" says what actually stopped authentication', () => {
  it('failed signatures with head-object output present: the signatures are named, head-object output is not asked for', async () => {
    const fx = writeFixture({ join: '\r\n' });
    const { db, r } = await verify(fx);
    const words = r.doesNotProve.join(' ');
    expect(words).toContain('Digests not authenticated (5) and the log files they list are consistent only: 5 digest signatures did not verify (see FAILURES');
    expect(words).not.toMatch(/head-object/);
    db.close();
  });

  it('a key problem names the key problem', async () => {
    const fx = writeFixture({ listed: (k) => [{ ...k.a, validToMs: T0 + 0.5 * 3_600_000 }, k.b] });
    const { db, r } = await verify(fx);
    const words = r.doesNotProve.join(' ');
    expect(words).toContain('2 digests could not be checked: key outside its validity window (see FAILURES)');
    expect(words).not.toMatch(/head-object/);
    db.close();
  });

  it('only a digest with no signature in the bundle asks for head-object output', async () => {
    const fx = writeFixture({ headObject: false });
    const { db, r } = await verify(fx);
    expect(r.doesNotProve.join(' ')).toContain('1 digest has no signature in the bundle — the newest digest of a chain and backfill digests are signed only in their S3 object metadata: save `aws s3api head-object` output');
    db.close();
  });
});

describe('records in a gzip member appended to a log file, reported at ingest', () => {
  const forged = apiRecord('00000000-0000-4000-8000-0000000000ff', { eventName: 'GetSecretValue', eventTime: '2026-03-02T01:05:00Z' });

  it('an appended member with a forged record: loaded as gunzip reads it, and the ingest names the record', async () => {
    const fx = writeFixture({ keys: 'none' });
    const log = fx.logs[2]!;
    const extra = gzipSync(JSON.stringify({ Records: [forged] }));
    appendFileSync(fx.at(log.key), extra);
    const db = openCase(join(fx.dir, 'case.db'));
    const summary = await ingestEvidence(db, [fx.bundle], { workers: 0 });
    const outcome = summary.files.find((f) => f.path === fx.at(log.key))!;
    expect(outcome).toMatchObject({ status: 'loaded', records: 3 });
    expect(outcome.notes).toEqual([
      `${extra.length} bytes follow the end of the first gzip member (CloudTrail writes one member; gunzip and most readers silently read the rest as part of the file): record 2 was read from them: not part of what CloudTrail delivered. \`podtrail verify\` reports this file as failed`,
    ]);
    // No other file has a note.
    expect(summary.files.filter((f) => f.notes.length > 0).map((f) => f.path)).toEqual([fx.at(log.key)]);
    db.close();
  });

  it('a member boundary inside a record: that record and every one after it are named', async () => {
    const fx = writeFixture({ keys: 'none' });
    const log = fx.logs[3]!;
    const text = log.content.toString('utf8').replace(/\]\}$/, `,${JSON.stringify(forged)}]}`);
    const cut = text.indexOf('"eventName"', text.indexOf('"eventName"') + 1); // inside record 1
    writeFileSync(fx.at(log.key), Buffer.concat([gzipSync(text.slice(0, cut)), gzipSync(text.slice(cut))]));
    const db = openCase(join(fx.dir, 'case.db'));
    const summary = await ingestEvidence(db, [fx.bundle], { workers: 0 });
    const outcome = summary.files.find((f) => f.path === fx.at(log.key))!;
    expect(outcome.records).toBe(3);
    expect(outcome.notes).toEqual([expect.stringContaining(': records 1, 2 were read from them: not part of what CloudTrail delivered.')]);
    db.close();
  });

  it.each([0, 1])('a first member of many read chunks, %i workers: only the records after it are named', async (workers) => {
    const fx = writeFixture({ keys: 'none' });
    const log = fx.logs[1]!;
    // ~4 MiB of records in the first member: many of the gunzip's and the member probe's output chunks, so the
    // records are judged while the probe is still behind the reader.
    const records = Array.from({ length: 6000 }, (_, i) =>
      apiRecord(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, { requestParameters: { pad: 'x'.repeat(400 + (i % 97)) } }),
    );
    const text = JSON.stringify({ Records: [...records, forged] });
    const cut = text.lastIndexOf(',{');
    writeFileSync(fx.at(log.key), Buffer.concat([gzipSync(text.slice(0, cut)), gzipSync(text.slice(cut))]));
    const db = openCase(join(fx.dir, 'case.db'));
    const summary = await ingestEvidence(db, [fx.bundle], { workers });
    const outcome = summary.files.find((f) => f.path === fx.at(log.key))!;
    expect(outcome.records).toBe(6001);
    expect(outcome.notes).toEqual([expect.stringContaining(': record 6000 was read from them: not part of what CloudTrail delivered.')]);
    db.close();
  });

  it('appended bytes that hold no record are still reported', async () => {
    const fx = writeFixture({ keys: 'none' });
    const log = fx.logs[0]!;
    appendFileSync(fx.at(log.key), Buffer.alloc(16));
    const db = openCase(join(fx.dir, 'case.db'));
    const summary = await ingestEvidence(db, [fx.bundle], { workers: 0 });
    const outcome = summary.files.find((f) => f.path === fx.at(log.key))!;
    expect(outcome.notes).toEqual([expect.stringMatching(/^16 bytes follow the end of the first gzip member .*: no record was read from them\. /)]);
    db.close();
  });
});
