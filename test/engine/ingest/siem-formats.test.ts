/**
 * CloudTrail shipped through a SIEM (issue 11, item 6), detected from content. The real sample is OTRF's
 * exfiltration data set — CloudTrail exported from Logstash/Elasticsearch (`@timestamp`, `@version`, the CloudTrail
 * fields at the top level, no `eventTime`), kept byte for byte as the upstream zip
 * (test/fixtures/reference/public/OTRF_Security-Datasets/…). Its 103 records are then wrapped the way each SIEM
 * exports documents — Elasticsearch/OpenSearch search and scroll output, elasticdump hits, bulk NDJSON, Elastic Agent's
 * `event.original`, Splunk's export lines, `results` JSON and extracted fields — and each must give back the same
 * records, stored as the CloudTrail record itself, with the wrapper's file and record index as provenance.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence, type IngestSummary } from '../../../electron/engine/ingest/ingest';
import { parseEvidence } from '../../../electron/engine/ingest/parse-file';
import type { EventRow } from '../../../electron/engine/ingest/normalize';
import { rebuildFromFields } from '../../../electron/engine/ingest/siem';
import type { JsonObject } from '../../../electron/engine/util/json';
import { tempDir } from '../../helpers/evidence';
import { referencePath } from '../../helpers/reference';
import { eventsWithRaw, outcomeOf } from '../../helpers/case';

const OTRF_ZIP = 'public/OTRF_Security-Datasets/datasets/atomic/aws/collection/ec2_proxy_s3_exfiltration.zip';
const MEMBER = 'ec2_proxy_s3_exfiltration_2020-09-14011940.json';

/** The OTRF records as the case stored them (the Logstash lines, exactly as read), in file order. */
let lines: string[] = [];
let records: JsonObject[] = [];

async function parse(text: string) {
  const rows: EventRow[] = [];
  const result = await parseEvidence({ bytes: Buffer.from(text) }, { rows: async (r) => void rows.push(...r) });
  return { result, rows };
}

beforeAll(async () => {
  const dir = tempDir('otrf');
  const db = openCase(join(dir, 'case.db'));
  await ingestEvidence(db, [referencePath(OTRF_ZIP)], { workers: 0 });
  const indexOf = new Map(
    (db.prepare('SELECT event_rowid, record_index FROM event_sources').all() as { event_rowid: number; record_index: number }[]).map((s) => [s.event_rowid, s.record_index]),
  );
  lines = eventsWithRaw(db)
    .sort((a, b) => indexOf.get(a.id as number)! - indexOf.get(b.id as number)!)
    .map((e) => e.raw);
  records = lines.map((l) => JSON.parse(l) as JsonObject);
  db.close();
});

describe('Logstash lines (OTRF exfiltration set, the real export)', () => {
  it('all 103 records load from the zip: time from @timestamp, raw record and record index as in the file', async () => {
    const dir = tempDir('otrf');
    const db: Database = openCase(join(dir, 'case.db'));
    const summary: IngestSummary = await ingestEvidence(db, [referencePath(OTRF_ZIP)], { workers: 0 });
    const path = `${referencePath(OTRF_ZIP)}!/${MEMBER}`;
    const outcome = outcomeOf(summary, path);
    expect(outcome).toMatchObject({ status: 'loaded', format: 'logstash', records: 103, newEvents: 103, rejected: 0 });
    expect(outcome.notes).toEqual([
      '103 records have no eventTime: the time used is the SIEM\'s "@timestamp" (e.g. "2020-09-14T00:44:23.000Z", record 0), which Logstash\'s cloudtrail codec sets from eventTime; a time without a zone is read as UTC',
    ]);
    const first = db.prepare("SELECT event_time, event_ms, event_name, source_ip, access_key_id FROM events WHERE event_id = 'fd4f1042-c7f6-4107-a6ee-d841d92596e7'").get();
    expect(first).toEqual({ event_time: '2020-09-14T00:44:23Z', event_ms: Date.UTC(2020, 8, 14, 0, 44, 23), event_name: 'DescribeInstanceTypes', source_ip: '1.2.3.4', access_key_id: 'ASIA5FLZVX4OI4ZDQJOL' });
    expect(lines).toHaveLength(103);
    expect(records.every((r) => typeof r['@timestamp'] === 'string' && r['@version'] === '1' && !('eventTime' in r))).toBe(true);
    // Provenance: the zip member and the line's index.
    const prov = db
      .prepare("SELECT f.path, s.record_index FROM events e JOIN event_sources s ON s.event_rowid = e.id JOIN evidence_files f ON f.id = s.file_id WHERE e.event_id = 'fd4f1042-c7f6-4107-a6ee-d841d92596e7'")
      .get();
    expect(prov).toEqual({ path, record_index: 0 });
    db.close();
  });
});

const ids = () => records.map((r) => r.eventID);

/** What an Elasticsearch hit of a Logstash index looks like. */
function hit(r: JsonObject, i: number): JsonObject {
  return { _index: 'logstash-cloudtrail-2020.09.14', _id: `otrf-${i}`, _score: 1, _source: r };
}

function searchResponse(hits: JsonObject[], scrollId?: string): JsonObject {
  return {
    ...(scrollId ? { _scroll_id: scrollId } : {}),
    took: 12,
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: { total: { value: records.length, relation: 'eq' }, max_score: 1, hits },
  };
}

describe('Elasticsearch / OpenSearch exports', () => {
  it('search output (`GET _search`, pretty-printed): each hit\'s _source, byte for byte, with its hit index', async () => {
    const text = JSON.stringify(searchResponse(records.map(hit)), null, 2);
    const { result, rows } = await parse(text);
    expect(result).toMatchObject({ format: 'elasticsearch-search', records: 103, failures: [] });
    expect(rows.map((r) => r.eventId)).toEqual(ids());
    expect(rows.map((r) => r.recordIndex)).toEqual(records.map((_, i) => i));
    // The stored record is the _source exactly as the export printed it (here indented), not a re-serialisation.
    const source = JSON.stringify(records[5], null, 2).replace(/\n/g, '\n        ');
    expect(rows[5]!.raw).toBe(source);
    expect(JSON.parse(rows[5]!.raw)).toEqual(records[5]);
  });

  it('scroll output: several pages in one file, record indexes running on', async () => {
    const pages = [records.slice(0, 50), records.slice(50)].map((page, p) =>
      JSON.stringify(searchResponse(page.map((r, i) => hit(r, p * 50 + i)), 'FGluY2x1ZGVfY29udGV4dF91dWlkDXF1ZXJ5QW5kRmV0Y2gBFk')),
    );
    const { result, rows } = await parse(pages.join('\n'));
    expect(result).toMatchObject({ format: 'elasticsearch-search', records: 103, failures: [] });
    expect(rows.map((r) => r.eventId)).toEqual(ids());
    expect(new Set(rows.map((r) => r.recordIndex)).size).toBe(103);
  });

  it('hits one per line (elasticdump, `jq -c .hits.hits[]`), and a bare array of hits', async () => {
    const ndjson = await parse(records.map((r, i) => JSON.stringify(hit(r, i))).join('\n'));
    expect(ndjson.result).toMatchObject({ format: 'elasticsearch-hits', records: 103, failures: [] });
    expect(ndjson.rows.map((r) => r.eventId)).toEqual(ids());
    expect(ndjson.rows[7]!.raw).toBe(lines[7]);
    const array = await parse(JSON.stringify(records.slice(0, 3).map(hit)));
    expect(array.result).toMatchObject({ records: 3, failures: [] });
  });

  it('bulk NDJSON: action lines skipped, the documents after index/create loaded, an update\'s doc too', async () => {
    const out: string[] = [];
    records.forEach((r, i) => {
      const action = i % 2 === 0 ? 'index' : 'create';
      out.push(JSON.stringify({ [action]: { _index: 'cloudtrail', _id: `otrf-${i}` } }), lines[i]!);
    });
    out.push(JSON.stringify({ delete: { _index: 'cloudtrail', _id: 'gone' } }));
    const updated = { ...records[0]!, eventID: 'fd4f1042-c7f6-4107-a6ee-d841d92596e8' };
    out.push(JSON.stringify({ update: { _index: 'cloudtrail', _id: 'otrf-0b' } }), JSON.stringify({ doc: updated }));
    const { result, rows } = await parse(out.join('\n') + '\n');
    expect(result).toMatchObject({ format: 'elasticsearch-bulk', records: 104, failures: [] });
    expect(rows.map((r) => r.eventId)).toEqual([...ids(), updated.eventID]);
    // The record index is the document line's own.
    expect(rows[0]!.recordIndex).toBe(1);
    expect(rows[1]!.recordIndex).toBe(3);
    expect(rows[1]!.raw).toBe(lines[1]);
  });

  it('Elastic Agent documents that kept the original record (`event.original`)', async () => {
    const doc = (r: string, i: number) => ({
      _index: '.ds-logs-aws.cloudtrail-default-2020.09.14-000001',
      _id: `ea-${i}`,
      _source: { '@timestamp': '2020-09-14T00:44:23.000Z', event: { original: r, kind: 'event', dataset: 'aws.cloudtrail' }, cloud: { provider: 'aws' } },
    });
    const { result, rows } = await parse(lines.slice(0, 4).map((l, i) => JSON.stringify(doc(l, i))).join('\n'));
    expect(result).toMatchObject({ records: 4, failures: [] });
    expect(rows.map((r) => r.raw)).toEqual(lines.slice(0, 4));
  });

  it('search output whose records two JSON parsers would read differently is refused whole', async () => {
    const hits = JSON.stringify(records.slice(0, 2).map(hit));
    for (const text of [`{"took":1,"hits":{"hits":${hits},"hits":[]}}`, `{"took":1,"hits":{"hits":${hits}},"hits":{"hits":[]}}`]) {
      await expect(parse(text)).rejects.toThrow(/duplicate key "hits" in the top-level object: JSON parsers disagree on which one holds the file's records/);
    }
    await expect(parse(`{"hits":{"hits":${hits}},"Records":[]}`)).rejects.toThrow(/a second record array \("Records" after "hits\.hits"\)/);
  });

  it('a hit without _source, or with _source twice, is refused saying what was expected and found', async () => {
    const noSource = JSON.stringify({ _index: 'cloudtrail', _id: 'x', fields: { eventName: ['ListBuckets'] } });
    const twice = `{"_index":"cloudtrail","_id":"y","_source":${lines[1]},"_source":${lines[2]}}`;
    const { result, rows } = await parse([JSON.stringify(hit(records[0]!, 0)), noSource, twice].join('\n'));
    expect(rows).toHaveLength(1);
    expect(result.failures).toEqual([
      { recordIndex: 1, message: 'Elasticsearch hit without a _source object (no _source (only "fields")): export the documents with their _source' },
      { recordIndex: 2, message: 'Elasticsearch hit with two "_source" keys: JSON parsers disagree on which is the record' },
    ]);
  });
});

/** A Splunk export line for an event of the Splunk Add-on for AWS. */
function splunkLine(raw: string, i: number, last = false): string {
  const r = JSON.parse(raw) as JsonObject;
  return JSON.stringify({
    preview: false,
    offset: i,
    ...(last ? { lastrow: true } : {}),
    result: {
      _bkt: 'aws~12~6F3B3C0E-9C1A-4A5B-8A56-3E2B1F0C9D11',
      _cd: `12:${1000 + i}`,
      _indextime: '1600044300',
      _raw: raw,
      _serial: String(i),
      _si: ['splunk-idx-1', 'aws'],
      _sourcetype: 'aws:cloudtrail',
      _time: `${String(r['@timestamp']).slice(0, 19)}.000+00:00`,
      host: 'cloudtrail-input',
      index: 'aws',
      linecount: '1',
      source: 's3://cloudtrail-bucket/AWSLogs/123456789123/CloudTrail/us-east-1/2020/09/14/x.json.gz',
      sourcetype: 'aws:cloudtrail',
      splunk_server: 'splunk-idx-1',
    },
  });
}

describe('Splunk exports', () => {
  it('`search/jobs/export` JSON lines: each result\'s _raw is the record, the closing lastrow line is no record', async () => {
    const text = [...lines.map((l, i) => splunkLine(l, i)), JSON.stringify({ preview: false, lastrow: true })].join('\n');
    const { result, rows } = await parse(text);
    expect(result).toMatchObject({ format: 'splunk-export', records: 103, failures: [] });
    expect(rows.map((r) => r.raw)).toEqual(lines);
    expect(rows.map((r) => r.recordIndex)).toEqual(lines.map((_, i) => i));
  });

  it('`…/results?output_mode=json`: the results array', async () => {
    const results = lines.slice(0, 5).map((l, i) => (JSON.parse(splunkLine(l, i)) as { result: JsonObject }).result);
    const text = JSON.stringify({ preview: false, init_offset: 0, messages: [], fields: [{ name: '_raw' }, { name: '_time' }], results });
    const { result, rows } = await parse(text);
    expect(result).toMatchObject({ format: 'splunk-export', records: 5, failures: [] });
    expect(rows.map((r) => r.raw)).toEqual(lines.slice(0, 5));
  });

  it('extracted fields without _raw: the record is rebuilt, and the notes say it is not the record CloudTrail wrote', async () => {
    // What `| fields - _raw` exports for a record: dotted names, multi-values as arrays, every value a string.
    // The exfiltration itself: the instance profile's key reading the bucket.
    const r = records.find((x) => x.eventName === 'GetObject' && Array.isArray(x.resources))!;
    const resources = r.resources as JsonObject[];
    const fields: JsonObject = {
      _time: '2020-09-14T00:58:02.000+00:00',
      host: 'cloudtrail-input',
      sourcetype: 'aws:cloudtrail',
      '@timestamp': r['@timestamp']!,
      eventID: r.eventID!,
      eventName: r.eventName!,
      eventSource: r.eventSource!,
      awsRegion: r.awsRegion!,
      sourceIPAddress: r.sourceIPAddress!,
      readOnly: String(r.readOnly ?? 'true'),
      'userIdentity.type': (r.userIdentity as JsonObject).type!,
      'userIdentity.arn': (r.userIdentity as JsonObject).arn!,
      'userIdentity.accessKeyId': (r.userIdentity as JsonObject).accessKeyId!,
      'resources{}.ARN': resources.map((x) => x.ARN!),
      'resources{}.type': resources.map((x) => x.type!),
      user: 'pedro', // an add-on alias, not a CloudTrail field
    };
    const { result, rows } = await parse(JSON.stringify({ preview: false, offset: 0, result: fields }));
    expect(result.failures).toEqual([]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ eventId: r.eventID, eventName: r.eventName, accessKeyId: (r.userIdentity as JsonObject).accessKeyId, eventMs: Date.parse(String(r['@timestamp'])) });
    const rebuilt = JSON.parse(rows[0]!.raw) as JsonObject;
    expect(rebuilt.resources).toEqual(resources.map((x) => ({ ARN: x.ARN, type: x.type })));
    expect(rebuilt).not.toHaveProperty('user');
    expect(rebuilt).not.toHaveProperty('host');
    expect(result.notes).toEqual([
      expect.stringMatching(/^1 record has no eventTime: the time used is the SIEM's "@timestamp"/),
      expect.stringMatching(/^1 record was rebuilt from the fields Splunk extracted \(the export has no _raw; first: record 0\): .* export _raw to keep the records as CloudTrail wrote them$/),
    ]);
    expect(rebuildFromFields({ host: 'x', sourcetype: 'aws:cloudtrail' })).toBeNull();
  });

  it('a _raw that is not JSON is refused naming what was expected and found', async () => {
    const bad = JSON.stringify({ preview: false, offset: 1, result: { _raw: 'Sep 14 00:44:23 ip-10-0-0-1 sshd[1]: Accepted publickey', _time: '1600044263' } });
    const { result, rows } = await parse([splunkLine(lines[0]!, 0), bad].join('\n'));
    expect(rows).toHaveLength(1);
    expect(result.failures).toEqual([
      { recordIndex: 1, message: expect.stringMatching(/^Splunk result\._raw: expected the CloudTrail record as JSON text; found text that is not JSON \(.*\): "Sep 14 00:44:23 ip-10-0-0-1 sshd/) },
    ]);
  });
});

describe('Panther\'s normalised CloudTrail time format', () => {
  it('"2025-01-21 17:49:47.000000000" and "2021-01-24 04:55:45.000" are read (as UTC), not refused as not ISO 8601', async () => {
    const r: JsonObject = { ...records[0]!, eventTime: '2025-01-21 17:49:47.000000000', eventID: 'p-1' };
    const s: JsonObject = { ...records[1]!, eventTime: '2021-01-24 04:55:45.000', eventID: 'p-2' };
    delete r['@timestamp'];
    delete s['@timestamp'];
    const { result, rows } = await parse([r, s].map((x) => JSON.stringify(x)).join('\n'));
    expect(result.failures).toEqual([]);
    expect(rows.map((x) => [x.eventTime, x.eventMs])).toEqual([
      ['2025-01-21T17:49:47Z', Date.UTC(2025, 0, 21, 17, 49, 47)],
      ['2021-01-24T04:55:45Z', Date.UTC(2021, 0, 24, 4, 55, 45)],
    ]);
  });
});

describe('what is refused, and why', () => {
  it('a record with neither eventTime nor @timestamp names both, and the keys it has', async () => {
    const r = { ...records[0]! };
    delete r['@timestamp'];
    const { result } = await parse(JSON.stringify(r));
    expect(result.failures).toEqual([
      {
        recordIndex: 0,
        message:
          'eventTime: missing (expected CloudTrail\'s "eventTime", or the "@timestamp" of a SIEM export); found keys "requestParameters", "userAgent", "awsRegion", "eventType", "@version", "userIdentity", "recipientAccountId", "responseElements", … (14 in all)',
      },
    ]);
  });

  it('an object of no known shape lists the shapes expected and the keys found', async () => {
    const { result } = await parse(JSON.stringify({ timestamp: '2020-09-14T00:44:23Z', log: lines[0] }));
    expect(result.failures).toEqual([
      {
        recordIndex: 0,
        message:
          'not a recognised evidence shape (expected a CloudTrail record, {"Records":[…]}, lookup-events {"Events":[…]}, a Kubernetes audit event, an Elasticsearch/OpenSearch hit or bulk line, a Splunk result, a digest or describe-cluster output); found an object with keys "timestamp", "log"',
      },
    ]);
  });
});
