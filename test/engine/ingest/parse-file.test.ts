/**
 * parseEvidence: one evidence file → hashes, detected format, rows, documents, per-record failures.
 * Fixtures are real trail files from test/fixtures/reference or hand-made records, written to temp dirs at test time.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PARSE_LIMITS,
  EvidenceError,
  parseEvidence,
  type ByteSource,
  type ParseLimits,
} from '../../../electron/engine/ingest/parse-file';
import type { EventRow } from '../../../electron/engine/ingest/normalize';
import type { JsonObject } from '../../../electron/engine/util/json';
import { referencePath } from '../../helpers/reference';
import { apiRecord, invictusFiles, lookupEvents, put, readTrail, sha256, tempDir, trailJson } from '../../helpers/evidence';

async function parse(source: ByteSource, limits?: ParseLimits) {
  const rows: EventRow[] = [];
  const result = await parseEvidence(source, { rows: async (r) => void rows.push(...r) }, limits);
  return { result, rows };
}

/** Parse expecting a whole-file failure; returns the error and the rows handed out before it. */
async function parseFails(source: ByteSource, limits?: ParseLimits): Promise<{ error: EvidenceError; rowsBefore: number }> {
  let rowsBefore = 0;
  let outcome: unknown;
  try {
    outcome = await parseEvidence(source, { rows: async (r) => void (rowsBefore += r.length) }, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(EvidenceError);
    return { error: err as EvidenceError, rowsBefore };
  }
  throw new Error(`expected the file to be rejected, but it parsed: ${JSON.stringify(outcome).slice(0, 300)}`);
}

/** A real S3 trail file with 10 records (invictus-ir dataset). */
function realTrail() {
  const path = invictusFiles().find((p) => p.endsWith('_nx9Yx1FyJdBaTqKj.json'))!;
  return readTrail(path);
}

describe('gzip trail files', () => {
  it('parses a gzip {"Records":[…]} trail and hashes both the raw and the decompressed bytes', async () => {
    const { bytes, records } = realTrail();
    const gz = gzipSync(bytes);
    const file = put(tempDir('parse'), '123456789012_CloudTrail_us-east-1_20230710T1205Z_x.json.gz', gz);
    const { result, rows } = await parse({ path: file });
    expect(result).toMatchObject({
      size: gz.length,
      sha256: sha256(gz),
      sha256Decompressed: sha256(bytes),
      compression: 'gzip',
      format: 'cloudtrail-log',
      records: records.length,
      insights: 0,
      documents: [],
      failures: [],
    });
    expect(sha256(gz)).not.toBe(sha256(bytes));
    expect(rows.map((r) => r.eventId)).toEqual(records.map((r) => r.eventID));
    expect(rows.map((r) => r.recordIndex)).toEqual(records.map((_, i) => i));
    const text = bytes.toString('utf8');
    for (const [i, row] of rows.entries()) {
      // The raw text is the record's exact bytes in the (decompressed) file, and it hashes to rawSha256.
      expect(text.includes(row.raw)).toBe(true);
      expect(JSON.parse(row.raw)).toEqual(records[i]);
      expect(row.rawSha256).toBe(sha256(row.raw));
      expect(row.eventTime).toBe(records[i]!.eventTime);
      expect(row.eventMs).toBe(Date.parse(records[i]!.eventTime as string));
    }
  });

  it('gives the same result from a path and from in-memory bytes (archive members)', async () => {
    const gz = gzipSync(realTrail().bytes);
    const fromBytes = await parse({ bytes: gz });
    const fromPath = await parse({ path: put(tempDir('parse'), 'a.json.gz', gz) });
    expect(fromBytes.result).toEqual(fromPath.result);
    expect(fromBytes.rows).toEqual(fromPath.rows);
  });

  it('reads content, not the name: plain JSON named .json.gz is parsed as plain JSON', async () => {
    const { bytes, records } = realTrail();
    const file = put(tempDir('parse'), 'misnamed.json.gz', bytes);
    const { result, rows } = await parse({ path: file });
    expect(result.compression).toBeNull();
    expect(result.sha256Decompressed).toBeNull();
    expect(result.sha256).toBe(sha256(bytes));
    expect(result.size).toBe(bytes.length);
    expect(result.format).toBe('cloudtrail-log');
    expect(rows).toHaveLength(records.length);
  });

  it('reads content, not the name: gzip named .json is decompressed', async () => {
    const { bytes, records } = realTrail();
    const { result, rows } = await parse({ path: put(tempDir('parse'), 'plain-looking.json', gzipSync(bytes)) });
    expect(result.compression).toBe('gzip');
    expect(rows).toHaveLength(records.length);
  });

  const gz = gzipSync(realTrail().bytes);
  // Header (10 bytes), the deflate stream, and the 8-byte trailer (CRC-32, size): every region is cut.
  const offsets = [
    ...new Set([
      2, 3, 4, 9, 10, 11, 12, 16, 64, 200,
      Math.floor(gz.length * 0.25), Math.floor(gz.length * 0.5), Math.floor(gz.length * 0.75),
      gz.length - 12, gz.length - 9, gz.length - 8, gz.length - 6, gz.length - 4, gz.length - 2, gz.length - 1,
    ]),
  ].sort((a, b) => a - b);

  it.each(offsets)('a gzip cut at byte %i is rejected as truncated, never a partial success', async (cut) => {
    const { error, rowsBefore } = await parseFails({ bytes: gz.subarray(0, cut) });
    expect(error.message).toMatch(/^truncated gzip/);
    expect(rowsBefore).toBe(0); // a small file: no batch went out before the error
  });

  it('a large truncated gzip fails as a whole even after batches of rows went out (the writer must roll back)', async () => {
    const records = Array.from({ length: 4000 }, (_, i) => apiRecord(`big-${String(i).padStart(5, '0')}`, { padding: 'p'.repeat(600) }));
    const full = gzipSync(Buffer.from(trailJson(records)));
    const file = put(tempDir('parse'), 'big.json.gz', full.subarray(0, Math.floor(full.length * 0.9)));
    const { error, rowsBefore } = await parseFails({ path: file });
    expect(error.message).toMatch(/^truncated gzip/);
    expect(rowsBefore).toBeGreaterThan(0);
    expect(rowsBefore).toBeLessThan(records.length);
  });

  it('rejects a gzip with a corrupt CRC', async () => {
    const bad = Buffer.from(gz);
    bad[bad.length - 6]! ^= 0xff;
    const { error } = await parseFails({ bytes: bad });
    expect(error.message).toMatch(/corrupt gzip/);
  });

  it('stops a gzip bomb at the decompressed-size cap', async () => {
    // 8 MiB of whitespace inside a valid trail compresses to a few KiB.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"Records":['), Buffer.alloc(8 << 20, 0x20), Buffer.from(']}')]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const limits = { ...DEFAULT_PARSE_LIMITS, maxDecompressedBytes: 1 << 20 };
    const { error } = await parseFails({ bytes: bomb }, limits);
    expect(error.message).toMatch(/exceeds the 1048576-byte cap/);
    // The same file under a larger cap is fine: the cap, not the content, rejected it.
    const ok = await parse({ bytes: bomb }, { ...DEFAULT_PARSE_LIMITS, maxDecompressedBytes: 16 << 20 });
    expect(ok.result).toMatchObject({ format: 'cloudtrail-log', records: 0, compression: 'gzip' });
  });

  it('rejects an empty gzip (no JSON inside) clearly', async () => {
    const { error } = await parseFails({ bytes: gzipSync(Buffer.alloc(0)) });
    expect(error.message).toMatch(/no JSON value found/);
  });
});

describe('whole-file failures', () => {
  it('rejects a file that is neither gzip nor JSON', async () => {
    const dir = tempDir('parse');
    for (const content of ['hello, this is a text file\n', '\x00\x01\x02binary', 'PK\x03\x04 not really a zip']) {
      const { error } = await parseFails({ path: put(dir, 'x.json', content) });
      expect(error.message).toMatch(/^not valid JSON at byte 0: expected '\{' or '\['/);
    }
  });

  it('rejects truncated JSON with the offset where it ended', async () => {
    const { bytes } = realTrail();
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    const { error } = await parseFails({ bytes: cut });
    expect(error.message).toMatch(new RegExp(`^not valid JSON at byte ${cut.length}: JSON ends early`));
  });

  it('rejects an empty file', async () => {
    const { error } = await parseFails({ path: put(tempDir('parse'), 'empty.json', '') });
    expect(error.message).toBe('empty file');
    const ws = await parseFails({ bytes: Buffer.from('  \n\n ') });
    expect(ws.error.message).toMatch(/no JSON value found/);
  });

  it('rejects nesting deeper than the limit instead of overflowing the stack', async () => {
    const deep = '{"Records":[' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + ']}';
    const { error } = await parseFails({ bytes: Buffer.from(deep) });
    expect(error.message).toMatch(/nested deeper than 256 levels/);
    // A custom limit applies too; a record just within it is fine.
    const limits = { ...DEFAULT_PARSE_LIMITS, maxDepth: 8 };
    const nested = (n: number) => JSON.stringify(apiRecord('n', { x: JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n)) }));
    expect((await parseFails({ bytes: Buffer.from(`{"Records":[${nested(7)}]}`) }, limits)).error.message).toMatch(/deeper than 8/);
    expect((await parse({ bytes: Buffer.from(`{"Records":[${nested(5)}]}`) }, limits)).rows).toHaveLength(1);
  });

  it('reports a missing file as unreadable', async () => {
    const { error } = await parseFails({ path: '/nonexistent/podtrail/x.json' });
    expect(error.message).toMatch(/^cannot read: .*ENOENT/);
  });
});

describe('lookup-events exports', () => {
  it('takes records from the inner CloudTrailEvent string and uses its eventTime, not the outer local EventTime', async () => {
    const recs = [
      apiRecord('lk-1', { eventTime: '2024-03-01T10:00:00Z' }),
      apiRecord('lk-2', { eventTime: '2024-03-01T10:00:05Z', eventName: 'GetObject' }),
    ];
    const text = lookupEvents(recs); // outer EventTime: 2099-12-31T23:59:59+11:00
    const { result, rows } = await parse({ bytes: Buffer.from(text) });
    expect(result).toMatchObject({ format: 'lookup-events', records: 2, failures: [], compression: null });
    expect(rows.map((r) => [r.eventId, r.eventTime, r.eventMs, r.eventName])).toEqual([
      ['lk-1', '2024-03-01T10:00:00Z', Date.parse('2024-03-01T10:00:00Z'), 'ListBuckets'],
      ['lk-2', '2024-03-01T10:00:05Z', Date.parse('2024-03-01T10:00:05Z'), 'GetObject'],
    ]);
    // The raw text is the inner record, exactly as the export carried it.
    const outer = JSON.parse(text) as { Events: { CloudTrailEvent: string }[] };
    expect(rows.map((r) => r.raw)).toEqual(outer.Events.map((e) => e.CloudTrailEvent));
  });

  it('parses a real lookup-events export (EKS security workshop)', async () => {
    const path = referencePath('public/doc-examples/eks-sec-immersion_01_AssumeRoleForPodIdentity_by-node-role-i-064d652934ecf0bfc_lookup-events_2023-12-13.json');
    const { result, rows } = await parse({ path });
    expect(result.format).toBe('lookup-events');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      eventId: 'e05b6d2e-4be6-45dd-8ad5-ba1e076002a5',
      eventName: 'AssumeRoleForPodIdentity',
      eventTime: '2023-12-13T01:14:20Z',
      accessKeyId: 'ASIAQAHCJ2QPOFDF6NOW',
      identityType: 'AssumedRole',
    });
  });

  it('parses lookup-events JSON Lines (plaso test data), with the inner UTC eventTime', async () => {
    const path = referencePath('public/log2timeline_plaso/test_data/jsonl/aws_cloudtrail.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
    const inner = lines.map((l) => JSON.parse((JSON.parse(l) as { CloudTrailEvent: string }).CloudTrailEvent) as JsonObject);
    const { result, rows } = await parse({ path });
    expect(result).toMatchObject({ format: 'jsonl', records: lines.length, failures: [] });
    expect(rows.map((r) => r.eventId)).toEqual(inner.map((r) => r.eventID));
    expect(rows.map((r) => r.eventTime)).toEqual(inner.map((r) => r.eventTime));
    // The outer EventTime of the first line is local time (+11:00); the stored time is the inner UTC one.
    expect((JSON.parse(lines[0]!) as { EventTime: string }).EventTime).toBe('2022-02-08 09:23:37+11:00');
    expect(rows[0]!.eventTime).toBe('2022-02-07T22:23:37Z');
    expect(rows.map((r) => r.recordIndex)).toEqual(lines.map((_, i) => i));
  });

  it('a lookup-events entry without a CloudTrailEvent string is a per-record failure', async () => {
    const text = JSON.stringify({ Events: [{ EventId: 'x' }, { CloudTrailEvent: JSON.stringify(apiRecord('ok-1')) }] });
    const { result, rows } = await parse({ bytes: Buffer.from(text) });
    expect(rows.map((r) => r.eventId)).toEqual(['ok-1']);
    expect(result.failures).toEqual([{ recordIndex: 0, message: expect.stringMatching(/without a CloudTrailEvent/) }]);
  });

  it('rejects an inner CloudTrailEvent nested beyond the depth limit as one failed record', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const innerDeep = JSON.stringify(apiRecord('deep-1')).replace(/}$/, `,"x":${deep}}`);
    const text = JSON.stringify({ Events: [{ CloudTrailEvent: innerDeep }, { CloudTrailEvent: JSON.stringify(apiRecord('ok-2')) }] });
    const { result, rows } = await parse({ bytes: Buffer.from(text) });
    expect(rows.map((r) => r.eventId)).toEqual(['ok-2']);
    expect(result.failures).toEqual([{ recordIndex: 0, message: expect.stringMatching(/nested deeper than 256/) }]);
  });
});

describe('other shapes', () => {
  it('parses JSON Lines of records (LF, CRLF, blank lines)', async () => {
    const recs = ['jl-1', 'jl-2', 'jl-3'].map((id) => apiRecord(id));
    const text = `${JSON.stringify(recs[0])}\n${JSON.stringify(recs[1])}\r\n\n${JSON.stringify(recs[2])}\n`;
    const { result, rows } = await parse({ bytes: Buffer.from(text) });
    expect(result).toMatchObject({ format: 'jsonl', records: 3, failures: [] });
    expect(rows.map((r) => [r.eventId, r.recordIndex])).toEqual([['jl-1', 0], ['jl-2', 1], ['jl-3', 2]]);
  });

  it('parses a bare array of records', async () => {
    const recs = [apiRecord('arr-1'), apiRecord('arr-2')];
    const { result, rows } = await parse({ bytes: Buffer.from(JSON.stringify(recs, null, 2)) });
    expect(result).toMatchObject({ format: 'json-array', records: 2, failures: [] });
    expect(rows.map((r) => r.eventId)).toEqual(['arr-1', 'arr-2']);
  });

  it('parses a bare array of lookup-events entries (`--query Events`) through their CloudTrailEvent', async () => {
    const text = JSON.stringify((JSON.parse(lookupEvents([apiRecord('qa-1'), apiRecord('qa-2')])) as { Events: unknown[] }).Events);
    const { result, rows } = await parse({ bytes: Buffer.from(text) });
    expect(result.failures).toEqual([]);
    expect(rows.map((r) => r.eventId)).toEqual(['qa-1', 'qa-2']);
    expect(rows[0]!.eventTime).toBe('2024-03-01T10:00:00Z');
  });

  it('keeps a CloudTrail digest file as a document, with no events', async () => {
    const digest = {
      awsAccountId: '111122223333',
      digestStartTime: '2024-03-01T10:00:00Z',
      digestEndTime: '2024-03-01T11:00:00Z',
      digestS3Bucket: 'trail-bucket',
      digestS3Object: 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T110000Z.json.gz',
      digestPublicKeyFingerprint: '31e8b5433410dfb61a9dc45cc65b22ff',
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: '2024-03-01T10:59:00Z',
      oldestEventTime: '2024-03-01T10:00:01Z',
      previousDigestS3Bucket: 'trail-bucket',
      previousDigestS3Object: 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/prev.json.gz',
      previousDigestHashValue: 'a'.repeat(64),
      previousDigestHashAlgorithm: 'SHA-256',
      previousDigestSignature: 'b'.repeat(64),
      logFiles: [
        {
          s3Bucket: 'trail-bucket',
          s3Object: 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/x.json.gz',
          hashValue: 'c'.repeat(64),
          hashAlgorithm: 'SHA-256',
          newestEventTime: '2024-03-01T10:59:00Z',
          oldestEventTime: '2024-03-01T10:00:01Z',
        },
      ],
    };
    const text = JSON.stringify(digest);
    const { result, rows } = await parse({ bytes: gzipSync(text) });
    expect(result).toMatchObject({ format: 'cloudtrail-digest', records: 0, insights: 0, failures: [], compression: 'gzip' });
    expect(rows).toEqual([]);
    expect(result.documents).toEqual([{ kind: 'cloudtrail-digest', raw: text }]);
  });

  it('keeps `aws eks describe-cluster` output as a document', async () => {
    const text = JSON.stringify(
      {
        cluster: {
          name: 'prod-1',
          arn: 'arn:aws:eks:us-east-1:111122223333:cluster/prod-1',
          createdAt: '2024-01-01T00:00:00.000000+00:00',
          version: '1.29',
          roleArn: 'arn:aws:iam::111122223333:role/eks-cluster-role',
          identity: { oidc: { issuer: 'https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' } },
          status: 'ACTIVE',
          tags: {},
        },
      },
      null,
      4,
    );
    const { result, rows } = await parse({ bytes: Buffer.from(text) });
    expect(result).toMatchObject({ format: 'eks-describe-cluster', records: 0, failures: [] });
    expect(rows).toEqual([]);
    expect(result.documents).toEqual([{ kind: 'eks-describe-cluster', raw: text }]);
  });

  it('counts Insights events without storing them as API events', async () => {
    const insight = (id: string, state: string) => ({
      eventVersion: '1.08',
      eventTime: '2024-03-01T10:00:00Z',
      awsRegion: 'us-east-1',
      eventID: id,
      eventType: 'AwsCloudTrailInsight',
      recipientAccountId: '111122223333',
      sharedEventID: 'shared-1',
      insightDetails: { state, eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', insightType: 'ApiCallRateInsight' },
      eventCategory: 'Insight',
    });
    const only = await parse({ bytes: Buffer.from(trailJson([insight('i-1', 'Start'), insight('i-2', 'End')])) });
    expect(only.result).toMatchObject({ format: 'cloudtrail-insight', records: 0, insights: 2, failures: [] });
    expect(only.rows).toEqual([]);
    const mixed = await parse({ bytes: Buffer.from(trailJson([insight('i-3', 'Start'), apiRecord('api-1')])) });
    expect(mixed.result).toMatchObject({ records: 1, insights: 1, failures: [] });
    expect(mixed.rows.map((r) => [r.eventId, r.recordIndex])).toEqual([['api-1', 1]]);
  });

  it('reports an unrecognised JSON object as a failure, not an event', async () => {
    const { result, rows } = await parse({ bytes: Buffer.from('{"hello":"world"}') });
    expect(rows).toEqual([]);
    expect(result.format).toBe('unknown');
    expect(result.failures).toEqual([{ recordIndex: 0, message: expect.stringMatching(/not a recognised evidence shape/) }]);
  });

  it('accepts a UTF-8 byte order mark (plain, JSON Lines, inside gzip) and hashes the bytes as they are', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const body = Buffer.from(trailJson([apiRecord('bom-1'), apiRecord('bom-2')]));
    const withBom = Buffer.concat([bom, body]);
    const plain = await parse({ path: put(tempDir('parse'), 'bom.json', withBom) });
    expect(plain.result).toMatchObject({ format: 'cloudtrail-log', records: 2, failures: [], sha256: sha256(withBom), size: withBom.length });
    expect(plain.rows.map((r) => r.eventId)).toEqual(['bom-1', 'bom-2']);
    const jsonl = await parse({ bytes: Buffer.concat([bom, Buffer.from(`${JSON.stringify(apiRecord('bom-3'))}\n`)]) });
    expect(jsonl.rows.map((r) => r.eventId)).toEqual(['bom-3']);
    const gz = await parse({ bytes: gzipSync(withBom) });
    expect(gz.result.sha256Decompressed).toBe(sha256(withBom));
    expect(gz.rows).toHaveLength(2);
  });
});

describe('per-record failures keep the rest of the file', () => {
  it('a record missing eventTime fails with its index; the others are kept', async () => {
    const bad = apiRecord('no-time');
    delete bad.eventTime;
    const { result, rows } = await parse({ bytes: Buffer.from(trailJson([apiRecord('r-0'), bad, apiRecord('r-2')])) });
    expect(rows.map((r) => [r.eventId, r.recordIndex])).toEqual([['r-0', 0], ['r-2', 2]]);
    expect(result.records).toBe(2);
    expect(result.failures).toEqual([
      { recordIndex: 1, message: expect.stringMatching(/^eventTime: missing \(expected CloudTrail's "eventTime", or the "@timestamp" of a SIEM export\); found keys "eventVersion", "userIdentity", /) },
    ]);
  });

  // A time without a zone (`2024-03-01T10:00:00`) is read as UTC and noted: test/engine/ingest/zoneless-times.test.ts.
  it.each([
    ['2024/03/01 10:00:00'],
    ['Mar 1, 2024, 10:00:00 AM'],
    ['2024-03-01'],
  ])('a record whose eventTime %j is not ISO 8601 UTC fails with its index', async (time) => {
    const { result, rows } = await parse({
      bytes: Buffer.from(trailJson([apiRecord('t-0'), apiRecord('t-1'), apiRecord('t-2', { eventTime: time })])),
    });
    expect(rows.map((r) => r.eventId)).toEqual(['t-0', 't-1']);
    expect(result.failures).toEqual([{ recordIndex: 2, message: `eventTime: not a time: expected ISO 8601 such as "2024-04-16T09:20:04Z", or "2024-04-16 09:20:04.000000000" (read as UTC); found ${JSON.stringify(time)}` }]);
  });

  it('a record with eventTime of the wrong type fails', async () => {
    const { result } = await parse({ bytes: Buffer.from(trailJson([apiRecord('n-0', { eventTime: 1709287200 })])) });
    expect(result.failures).toEqual([{ recordIndex: 0, message: 'eventTime: expected ISO 8601 such as "2024-04-16T09:20:04Z", or "2024-04-16 09:20:04.000000000" (read as UTC); found the number 1709287200' }]);
  });

  it('invalid UTF-8 in one record fails that record only', async () => {
    const good0 = Buffer.from(JSON.stringify(apiRecord('u-0')));
    const bad = Buffer.from(JSON.stringify(apiRecord('u-1', { userAgent: 'XX' })));
    const at = bad.indexOf('XX');
    bad[at] = 0xff; // never valid in UTF-8
    bad[at + 1] = 0xfe;
    const good2 = Buffer.from(JSON.stringify(apiRecord('u-2')));
    const file = Buffer.concat([Buffer.from('{"Records":['), good0, Buffer.from(','), bad, Buffer.from(','), good2, Buffer.from(']}')]);
    const { result, rows } = await parse({ bytes: file });
    expect(rows.map((r) => r.eventId)).toEqual(['u-0', 'u-2']);
    expect(result.failures).toEqual([{ recordIndex: 1, message: 'invalid UTF-8 in record' }]);
    expect(result.sha256).toBe(sha256(file));
  });

  it('a JSON Lines file with one malformed line keeps the other lines', async () => {
    // Structurally balanced but not JSON: the scanner still splits it out, and JSON.parse rejects that line alone.
    const text = `${JSON.stringify(apiRecord('l-0'))}\n{"eventName":"x","eventTime":}\n${JSON.stringify(apiRecord('l-2'))}\n`;
    const { result, rows } = await parse({ bytes: Buffer.from(text) });
    expect(rows.map((r) => [r.eventId, r.recordIndex])).toEqual([['l-0', 0], ['l-2', 2]]);
    expect(result.failures).toEqual([{ recordIndex: 1, message: expect.stringMatching(/^not valid JSON/) }]);
  });

  it('a record without eventID gets a stable synthetic id derived from its content', async () => {
    const r = apiRecord('x');
    delete r.eventID;
    const a = await parse({ bytes: Buffer.from(trailJson([r])) });
    const b = await parse({ bytes: Buffer.from(trailJson([r])) });
    expect(a.rows[0]!.idSynthetic).toBe(true);
    expect(a.rows[0]!.eventId).toMatch(/^podtrail-sha256-[0-9a-f]{32}$/);
    expect(a.rows[0]!.eventId).toBe(b.rows[0]!.eventId);
  });
});
