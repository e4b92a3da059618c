/**
 * Times without a zone are read as UTC, never in the examiner's time zone (issue 11, item 4), for Kubernetes audit
 * events and CloudTrail records alike, and the ingest says so. Real records: Panther's EKS audit test event
 * (`"requestReceivedTimestamp": "2022-11-29 00:09:04.38"`) and its normalised CloudTrail record
 * (`"eventTime": "2025-01-21 17:49:47.000000000"`), test/fixtures/reference/public/panther-labs_panther-analysis.
 * The same files are ingested by the compiled CLI under TZ=America/New_York and TZ=UTC: the stored times must be
 * the same instant (needs `npm run build`).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseEvidence } from '../../../electron/engine/ingest/parse-file';
import type { EventRow } from '../../../electron/engine/ingest/normalize';
import type { AuditRow } from '../../../electron/engine/ingest/k8s-normalize';
import { parseEventTime, parseExpiration, parseRecordTime } from '../../../electron/engine/util/time';
import { put, tempDir } from '../../helpers/evidence';
import { referencePath } from '../../helpers/reference';
import { BIN } from '../../helpers/cli';
import { Rng } from '../../generator/rng';

const PANTHER = 'public/panther-labs_panther-analysis';
const AUDIT = readFileSync(referencePath(`${PANTHER}/aws_eks_rules_anonymous_api_access_L36_Anonymous-API-Access.json`), 'utf8');
const BEDROCK = readFileSync(
  referencePath(`${PANTHER}/aws_cloudtrail_rules_aws_bedrock_deletemodelinvocationloggingconfiguration_L34_Model-Invocation-Logging-Configuration-Deleted.json`),
  'utf8',
);
const AUDIT_UTC = Date.UTC(2022, 10, 29, 0, 9, 4, 380);
const BEDROCK_UTC = Date.UTC(2025, 0, 21, 17, 49, 47);

async function parse(bytes: Buffer) {
  const rows: EventRow[] = [];
  const audits: AuditRow[] = [];
  const result = await parseEvidence({ bytes }, { rows: async (r) => void rows.push(...r), audits: async (r) => void audits.push(...r) });
  return { result, rows, audits };
}

describe('record times without a zone', () => {
  it('parseRecordTime reads them as UTC and says they had no zone; times with a zone keep it', () => {
    expect(parseRecordTime('2022-11-29 00:09:04.38')).toEqual({ ms: AUDIT_UTC, zoneless: true });
    expect(parseRecordTime('2025-01-21 17:49:47.000000000')).toEqual({ ms: BEDROCK_UTC, zoneless: true });
    expect(parseRecordTime('2024-03-01T10:00:00')).toEqual({ ms: Date.UTC(2024, 2, 1, 10), zoneless: true });
    expect(parseRecordTime('2024-04-16T09:20:04Z')).toEqual({ ms: Date.UTC(2024, 3, 16, 9, 20, 4), zoneless: false });
    expect(parseRecordTime('2021-09-27T08:36:44.021638Z')).toEqual({ ms: Date.parse('2021-09-27T08:36:44.021638Z'), zoneless: false });
    expect(parseRecordTime('2024-04-16T11:20:04+02:00')!.ms).toBe(Date.UTC(2024, 3, 16, 9, 20, 4));
    expect(parseRecordTime('2024-04-16 09:20:04 UTC')).toEqual({ ms: Date.UTC(2024, 3, 16, 9, 20, 4), zoneless: false });
    for (const bad of ['2024-02-30 00:00:00', '2024-13-01T00:00:00Z', '2024/03/01 10:00:00', '2024-03-01', 'Mar 1, 2024, 10:00:00 AM', '']) {
      expect(parseRecordTime(bad), bad).toBeNull();
    }
    expect(parseEventTime('2025-01-21 17:49:47.000000000')).toBe(BEDROCK_UTC);
    // STS credential expirations in ISO form without a zone are UTC too (the chain rules' key windows).
    expect(parseExpiration('2024-04-16T15:20:04')).toBe(Date.UTC(2024, 3, 16, 15, 20, 4));
  });

  it("CloudTrail's own form (read without the regular expression) gives what the general reading gives", () => {
    // A leading space takes the general way (the text is trimmed); 20 characters exactly take the short one.
    const general = (v: string) => parseRecordTime(` ${v}`);
    const g = new Rng(20261204);
    const two = (n: number) => String(Math.floor(g.next() * n)).padStart(2, '0');
    const texts = ['2024-02-29T23:59:59Z', '2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2000-02-29T12:00:00Z', '2024-04-31T00:00:00Z', '2024-04-16T24:00:00Z', '2024-04-16T09:60:00Z', '2024-04-16T09:20:60Z', '0099-01-01T00:00:00Z', '0100-01-01T00:00:00Z', '2024-04-16T09:20:04z', '2024-04-16t09:20:04Z', '2024-04-16 09:20:04Z', '+024-04-16T09:20:04Z', '2024-04-1aT09:20:04Z'];
    for (let i = 0; i < 20_000; i++) {
      const year = g.next() < 0.2 ? String(Math.floor(g.next() * 10_000)).padStart(4, '0') : String(1990 + Math.floor(g.next() * 50));
      const text = `${year}-${two(14)}-${two(33)}T${two(26)}:${two(62)}:${two(62)}Z`;
      // One character in ten texts replaced by anything printable.
      const at = Math.floor(g.next() * 200);
      texts.push(at < 20 ? text.slice(0, at) + String.fromCharCode(32 + Math.floor(g.next() * 95)) + text.slice(at + 1) : text);
    }
    let valid = 0;
    for (const text of texts) {
      expect(text).toHaveLength(20);
      const read = parseRecordTime(text);
      expect(read, text).toEqual(general(text));
      if (read) valid++;
    }
    // Both outcomes were drawn often enough to mean something.
    expect(valid).toBeGreaterThan(5_000);
    expect(texts.length - valid).toBeGreaterThan(5_000);
    expect(parseRecordTime('2024-02-29T23:59:59Z')).toEqual({ ms: Date.UTC(2024, 1, 29, 23, 59, 59), zoneless: false });
    expect(parseRecordTime('2023-02-29T00:00:00Z')).toBeNull();
  });

  it('a Panther EKS audit event: stored at the UTC instant, with a note naming the record', async () => {
    const { result, audits } = await parse(Buffer.from(AUDIT));
    expect(result.failures).toEqual([]);
    expect(audits.map((a) => [a.auditId, a.tsMs])).toEqual([['abcde12345', AUDIT_UTC]]);
    expect(result.notes).toEqual([
      '1 Kubernetes audit event has times without a time zone (e.g. "2022-11-29 00:09:04.38", record 0): read as UTC, never in this computer\'s time zone',
    ]);
  });

  it("a Panther normalised CloudTrail record: loaded (not refused as not ISO 8601), eventTime stored in UTC's ISO form", async () => {
    const { result, rows } = await parse(Buffer.from(BEDROCK));
    expect(result.failures).toEqual([]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ eventId: '28773860-a4fd-47c7-a215-6f0e6e6e532f', eventMs: BEDROCK_UTC, eventTime: '2025-01-21T17:49:47Z', timeSource: 'zoneless' });
    // The raw record is kept as it was read.
    expect(rows[0]!.raw).toBe(BEDROCK.trim());
    expect(result.notes).toEqual([
      '1 record has an eventTime without a time zone (e.g. "2025-01-21 17:49:47.000000000", record 0): read as UTC, never in this computer\'s time zone',
    ]);
  });

  it('a record with a zone is stored as written, with no note', async () => {
    const withZone = JSON.stringify({ ...(JSON.parse(BEDROCK) as object), eventTime: '2025-01-21T17:49:47Z' });
    const { result, rows } = await parse(Buffer.from(withZone));
    expect(rows[0]).toMatchObject({ eventMs: BEDROCK_UTC, eventTime: '2025-01-21T17:49:47Z' });
    expect(rows[0]!.timeSource).toBeUndefined();
    expect(result.notes).toEqual([]);
  });
});

function ingestUnder(tz: string, evidence: string[], casePath: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, 'ingest', ...evidence, '--case', casePath, '--quiet'], {
      env: { ...process.env, TZ: tz },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

describe('the examiner\'s time zone changes nothing', () => {
  it('the same records ingested under TZ=America/New_York and TZ=UTC are stored at the same instants', async () => {
    const dir = tempDir('tz');
    const files = [put(dir, 'ev/panther-eks-audit.json', AUDIT), put(dir, 'ev/panther-cloudtrail.json', BEDROCK)];
    const stored: { events: unknown[]; audits: unknown[]; stdout: string; custody: unknown }[] = [];
    for (const tz of ['America/New_York', 'UTC']) {
      const casePath = join(dir, `case-${tz.replace('/', '-')}.db`);
      const r = await ingestUnder(tz, files, casePath);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const db = new Database(casePath, { readonly: true });
      stored.push({
        events: db.prepare('SELECT event_id, event_ms, event_time FROM events ORDER BY event_id').raw(true).all(),
        audits: db.prepare('SELECT audit_id, ts_ms FROM k8s_audit ORDER BY audit_id').raw(true).all(),
        stdout: r.stdout,
        custody: (JSON.parse(db.prepare("SELECT details FROM custody_log WHERE action = 'ingest'").pluck().get() as string) as { notes?: unknown }).notes,
      });
      db.close();
    }
    const [ny, utc] = stored;
    expect(ny!.events).toEqual([['28773860-a4fd-47c7-a215-6f0e6e6e532f', BEDROCK_UTC, '2025-01-21T17:49:47Z']]);
    expect(ny!.audits).toEqual([['abcde12345', AUDIT_UTC]]);
    expect(utc!.events).toEqual(ny!.events);
    expect(utc!.audits).toEqual(ny!.audits);
    // The summary says what was assumed, per file, and the custody log keeps it with the ingest.
    expect(ny!.custody).toEqual([
      { path: files[0], note: expect.stringMatching(/^1 Kubernetes audit event has times without a time zone .*: read as UTC/) },
      { path: files[1], note: expect.stringMatching(/^1 record has an eventTime without a time zone .*: read as UTC/) },
    ]);
    expect(ny!.stdout).toContain(`notes:\n  ${files[0]}: 1 Kubernetes audit event has times without a time zone`);
    expect(ny!.stdout).toContain(`  ${files[1]}: 1 record has an eventTime without a time zone (e.g. "2025-01-21 17:49:47.000000000", record 0): read as UTC`);
  }, 60_000);
});
