/**
 * The ingest summary and progress say the same thing, in the right place (issue 11, item 12): the last progress line
 * has the summary's counts; Kubernetes audit duplicates are counted on the Kubernetes line, not the CloudTrail one; a
 * pretty-printed single record is `json`, not `jsonl`; rejections inside audit files speak of audit events. Records:
 * the invictus-ir trail files and Panther's EKS audit test event (test/fixtures/reference/public/…), and variants of
 * them. The CLI tests need `npm run build`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvidence } from '../../electron/engine/ingest/parse-file';
import type { AuditRow } from '../../electron/engine/ingest/k8s-normalize';
import type { EventRow } from '../../electron/engine/ingest/normalize';
import { podtrail } from '../helpers/cli';
import { invictusFiles, put, readTrail, tempDir } from '../helpers/evidence';
import { referencePath } from '../helpers/reference';

const AUDIT = readFileSync(referencePath('public/panther-labs_panther-analysis/aws_eks_rules_anonymous_api_access_L36_Anonymous-API-Access.json'), 'utf8');
const BEDROCK = readFileSync(
  referencePath('public/panther-labs_panther-analysis/aws_cloudtrail_rules_aws_bedrock_deletemodelinvocationloggingconfiguration_L34_Model-Invocation-Logging-Configuration-Deleted.json'),
  'utf8',
);

async function parse(text: string) {
  const rows: EventRow[] = [];
  const audits: AuditRow[] = [];
  const result = await parseEvidence({ bytes: Buffer.from(text) }, { rows: async (r) => void rows.push(...r), audits: async (r) => void audits.push(...r) });
  return { result, rows, audits };
}

describe('podtrail ingest: progress and summary', () => {
  it('the last progress line has the summary\'s counts, in the summary\'s words', async () => {
    const dir = tempDir('progress');
    const files = invictusFiles().slice(0, 3);
    const records = files.reduce((n, f) => n + readTrail(f).records.length, 0);
    for (const f of files) put(dir, `ev/${f.split('/').pop()}`, readFileSync(f));
    put(dir, 'ev/audit.json', AUDIT);
    put(dir, 'ev/broken.json', '{"Records":[');
    const r = await podtrail(['ingest', join(dir, 'ev'), '--case', join(dir, 'case.db'), '--workers', '1']);
    expect(r.code).toBe(2);
    const progress = r.stderr.split('\n').filter((l) => l.startsWith('ingest: '));
    expect(progress[progress.length - 1]).toMatch(new RegExp(`^ingest: 4 files loaded, 0 already in the case, 1 unreadable; ${records} records, 1 audit events \\(\\d+/s\\)$`));
    expect(r.stdout).toContain('files: 4 loaded, 0 already in the case, 1 unreadable');
    expect(r.stdout).toContain(`records: ${records} read,`);
    expect(r.stdout).toContain('kubernetes: 1 audit events read, 1 new, 0 duplicates');
  }, 60_000);

  it('Kubernetes audit duplicates are counted on the Kubernetes line, not among CloudTrail duplicates', async () => {
    const dir = tempDir('k8s-dup');
    // The same audit event delivered twice (two exports of one log group), beside one CloudTrail record.
    put(dir, 'ev/a/audit.json', AUDIT);
    put(dir, 'ev/b/audit-copy.json', `${JSON.stringify(JSON.parse(AUDIT))}\n`);
    put(dir, 'ev/c/cloudtrail.json', BEDROCK);
    const r = await podtrail(['ingest', join(dir, 'ev'), '--case', join(dir, 'case.db'), '--quiet']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('records: 1 read, 1 new events, 0 duplicates, 0 conflicting duplicates, 0 Insights events, 0 rejected');
    expect(r.stdout).toContain('kubernetes: 2 audit events read, 1 new, 1 duplicates');
  }, 60_000);
});

describe('formats and rejections', () => {
  it('a pretty-printed single record is `json`; one record per line stays `jsonl`', async () => {
    expect((await parse(BEDROCK)).result.format).toBe('json');
    expect((await parse(`${JSON.stringify(JSON.parse(BEDROCK))}\n`)).result.format).toBe('jsonl');
    const two = `${JSON.stringify(JSON.parse(BEDROCK), null, 2)}\n${JSON.stringify({ ...(JSON.parse(BEDROCK) as object), eventID: 'x-2' }, null, 2)}\n`;
    expect((await parse(two)).result).toMatchObject({ format: 'json-concatenated', records: 2 });
  });

  it('rejections inside an audit file speak of Kubernetes audit events', async () => {
    const event = JSON.parse(AUDIT) as Record<string, unknown>;
    const noId = { ...event };
    delete noId.auditID;
    const noTime: Record<string, unknown> = { ...event, auditID: 'abcde12346' };
    delete noTime.requestReceivedTimestamp;
    const neither = { level: 'Request', user: event.user, sourceIPs: event.sourceIPs };
    const text = [event, noId, noTime, neither].map((e) => JSON.stringify(e)).join('\n');
    const { result, audits } = await parse(text);
    expect(result.format).toBe('k8s-audit');
    expect(audits.map((a) => a.auditId)).toEqual(['abcde12345']);
    expect(result.failures).toEqual([
      { recordIndex: 1, message: "Kubernetes audit event: auditID: missing or not a string (expected the audit event's ID)" },
      { recordIndex: 2, message: 'Kubernetes audit event: stageTimestamp/requestReceivedTimestamp: expected an RFC 3339 time such as "2021-09-27T08:36:44.021638Z"; found neither' },
      {
        recordIndex: 3,
        message: 'not a Kubernetes audit event (expected "apiVersion": "audit.k8s.io/v1" with "auditID", "verb" and "stageTimestamp") nor a CloudTrail record; found an object with keys "level", "user", "sourceIPs"',
      },
    ]);
  });

  it('a CloudWatch Logs message that is neither an audit event nor a CloudTrail record says so', async () => {
    const out = { events: [{ logStreamName: 'kube-apiserver-audit-1', timestamp: 1669680544380, message: AUDIT }, { logStreamName: 'authenticator-1', timestamp: 1669680544381, message: '{"level":"info","msg":"access granted"}' }] };
    const { result, audits } = await parse(JSON.stringify(out));
    expect(audits).toHaveLength(1);
    expect(result.failures).toEqual([
      {
        recordIndex: 1,
        message:
          'neither a Kubernetes audit event (expected "apiVersion": "audit.k8s.io/v1" with "auditID", "verb" and "stageTimestamp") nor a CloudTrail record (expected "eventTime", "eventSource", "eventName"); found an object with keys "level", "msg"',
      },
    ]);
  });
});
