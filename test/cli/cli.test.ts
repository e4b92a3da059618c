/**
 * The `podtrail` command line, spawned as a user runs it (`node bin/podtrail.js …`): exit codes, the ingest
 * summary, attribute output order and formats, trace, and reports that must not carry hostile record text
 * through unescaped. Needs the compiled CLI (`npm run build`; `npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { JsonObject } from '../../electron/engine/util/json';
import { apiRecord, invictusFiles, put, readTrail, tempDir, trailJson } from '../helpers/evidence';
import { referencePath } from '../helpers/reference';
import { BIN, podtrail, REPO, type Run } from '../helpers/cli';
import { parseCsv } from '../helpers/csv';
import { buildTarGz, buildZip } from '../helpers/archives';

const COMPILED = join(REPO, 'dist', 'electron', 'cli', 'main.js');


const HOSTILE_UA = '=HYPERLINK("x")<script>alert(1)</script>';
const HOSTILE_IP = '=HYPERLINK("x")';

/** The evidence: three real S3 trail files, the IRSA pair of seed article 000, a record with hostile text,
 * and (optionally) a truncated .json.gz. Returns the paths and every good record. */
function buildEvidence(dir: string, withTruncated: boolean) {
  const root = join(dir, 'evidence');
  const good: JsonObject[] = [];
  const picked = invictusFiles().filter((p) => /_(nx9Yx1FyJdBaTqKj|bXGZYqBeCCsqWq1U|kboLbHJlz2H6cLyo)\.json$/.test(p));
  expect(picked).toHaveLength(3);
  for (const p of picked) {
    const { bytes, records } = readTrail(p);
    const name = p.split('/').pop()!;
    put(root, `AWSLogs/123837392027/CloudTrail/us-east-1/2023/07/10/${name}.gz`, gzipSync(bytes));
    good.push(...records);
  }
  const call = { ...(JSON.parse(readFileSync(referencePath('seed-examples/000-01-GetSecretValue.json'), 'utf8')) as JsonObject), eventID: 'irsa-call-0001' };
  const issue = { ...(JSON.parse(readFileSync(referencePath('seed-examples/000-02-AssumeRoleWithWebIdentity.json'), 'utf8')) as JsonObject), eventID: 'irsa-issue-0001' };
  const hostile = apiRecord('hostile-0001', { userAgent: HOSTILE_UA, sourceIPAddress: HOSTILE_IP, eventTime: '2024-11-13T09:00:00Z' });
  put(root, 'AWSLogs/210987654321/CloudTrail/us-east-1/2024/11/13/210987654321_CloudTrail_us-east-1_20241113T0900Z_seed.json.gz', gzipSync(trailJson([issue, call, hostile])));
  good.push(issue, call, hostile);
  let bad: string | null = null;
  if (withTruncated) {
    const full = gzipSync(trailJson(Array.from({ length: 300 }, (_, i) => apiRecord(`trunc-${i}`, { padding: 'p'.repeat(200) }))));
    bad = put(root, 'AWSLogs/123837392027/CloudTrail/us-east-1/2023/07/10/123837392027_CloudTrail_us-east-1_20230710T1300Z_cut.json.gz', full.subarray(0, Math.floor(full.length / 2)));
  }
  return { root, good, bad };
}

beforeAll(() => {
  if (!existsSync(COMPILED)) throw new Error(`the compiled CLI is missing (${COMPILED}): run \`npm run build\` first`);
});

describe('usage', () => {
  it('--help exits 0 and lists the commands', async () => {
    const r = await podtrail(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['ingest', 'attribute', 'trace', 'report']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd} `, 'm'));
  });

  it('--version exits 0 with the package version', async () => {
    const r = await podtrail(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('an unknown option exits 1', async () => {
    const r = await podtrail(['--no-such-option']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown option '--no-such-option'/);
    const sub = await podtrail(['attribute', '--case', 'x.db', '--frobnicate']);
    expect(sub.code).toBe(1);
    expect(sub.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('an unknown command, a bad --format or a missing --case exits 1', async () => {
    expect((await podtrail(['frobnicate'])).code).toBe(1);
    expect((await podtrail(['attribute', '--case', 'x.db', '--format', 'xml'])).code).toBe(1);
    const noCase = await podtrail(['ingest', 'somewhere']);
    expect(noCase.code).toBe(1);
    expect(noCase.stderr).toMatch(/--case/);
  });

  it('attribute, trace and report on a missing case exit 1 and create nothing', async () => {
    const dir = tempDir('cli');
    const missing = join(dir, 'missing.db');
    for (const args of [['attribute', '--case', missing], ['trace', 'x', '--case', missing], ['report', '--case', missing, '--event', 'x', '--out', join(dir, 'r.html')]]) {
      const r = await podtrail(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/no case database at/);
      expect(r.stderr).not.toMatch(/internal error/);
    }
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });

  it('a file that is not a case database exits 1, not as an internal error', async () => {
    const dir = tempDir('cli');
    const notDb = put(dir, 'evidence.json', trailJson([apiRecord('x-1', { padding: 'x'.repeat(500) })]));
    const r = await podtrail(['attribute', '--case', notDb]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a PodTrail case/);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});

describe('ingest', () => {
  it('good evidence exits 0 and prints the summary; the same evidence again adds nothing', async () => {
    const dir = tempDir('cli');
    const { root, good } = buildEvidence(dir, false);
    const casePath = join(dir, 'case.db');
    const r = await podtrail(['ingest', root, '--case', casePath, '--quiet', '--workers', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('files: 4 loaded, 0 already in the case, 0 unreadable');
    expect(r.stdout).toContain(`records: ${good.length} read, ${good.length} new events, 0 duplicates, 0 conflicting duplicates, 0 Insights events, 0 rejected`);
    expect(r.stdout).toMatch(new RegExp(`attribution: ${good.length} events`));
    expect(r.stdout).not.toContain('errors:');

    const again = await podtrail(['ingest', root, '--case', casePath, '--quiet', '--workers', '0']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('files: 0 loaded, 4 already in the case, 0 unreadable');
    expect(again.stdout).toContain('records: 0 read, 0 new events');
  });

  it('prints progress on stderr unless --quiet', async () => {
    const dir = tempDir('cli');
    const { root } = buildEvidence(dir, false);
    const r = await podtrail(['ingest', root, '--case', join(dir, 'case.db'), '--workers', '0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ingest: \d+ files loaded/m);
  });

  it('a missing evidence path exits 2 and is named', async () => {
    const dir = tempDir('cli');
    const { root } = buildEvidence(dir, false);
    const missing = join(dir, 'no-such-folder');
    const r = await podtrail(['ingest', root, missing, '--case', join(dir, 'case.db'), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${missing}: cannot read`);
    expect(r.stdout).toContain('files: 4 loaded, 0 already in the case, 1 unreadable');
  });

  /** Issue 12, item 5: a path that holds no evidence is not a success. */
  it('a path that holds no evidence exits 2, names the path and says nothing was found; the case is untouched', async () => {
    const dir = tempDir('cli');
    const { root, good } = buildEvidence(dir, false);
    const casePath = join(dir, 'case.db');
    expect((await podtrail(['ingest', root, '--case', casePath, '--quiet'])).code).toBe(0);
    const snapshot = () => {
      const db = new Database(casePath, { readonly: true });
      try {
        return {
          files: db.prepare("SELECT id, path, size, sha256, status, records FROM evidence_files WHERE status = 'complete' ORDER BY id").all(),
          events: db.prepare('SELECT event_id, variant, raw_sha256 FROM events ORDER BY id').all(),
        };
      } finally {
        db.close();
      }
    };
    const before = snapshot();
    expect(before.events).toHaveLength(good.length);

    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'sub', 'deeper'), { recursive: true });
    const folderNamedGz = join(dir, 'x.json.gz');
    mkdirSync(folderNamedGz);
    const litterOnly = join(dir, 'litter');
    put(litterOnly, '.DS_Store', Buffer.concat([Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]), Buffer.alloc(64)]));
    const emptyZip = put(dir, 'empty.zip', buildZip([{ name: 'logs/', data: '', method: 'store' }]));
    const emptyTgz = put(dir, 'empty.tar.gz', await buildTarGz([{ name: 'logs', type: 'directory' }]));
    for (const p of [empty, folderNamedGz, litterOnly, emptyZip, emptyTgz]) {
      const r = await podtrail(['ingest', p, '--case', casePath, '--quiet']);
      expect(r.stderr, p).toBe('');
      expect(r.code, p).toBe(2);
      expect(r.stdout, p).toContain(`${p}: nothing found here:`);
      expect(r.stdout, p).toContain('files: 0 loaded, 0 already in the case, 1 unreadable');
      expect(snapshot(), p).toEqual(before);
    }

    // Named beside evidence, an empty folder is still reported; the evidence loads.
    const fresh = join(dir, 'fresh.db');
    const both = await podtrail(['ingest', root, empty, '--case', fresh, '--quiet']);
    expect(both.code).toBe(2);
    expect(both.stdout).toContain('files: 4 loaded, 0 already in the case, 1 unreadable');
    expect(both.stdout).toContain(`${empty}: nothing found here:`);
  });

  it('rejected records exit 2 and are listed with file and record index', async () => {
    const dir = tempDir('cli');
    const noTime = apiRecord('rej-1');
    delete noTime.eventTime;
    const f = put(dir, 'mixed.json', trailJson([apiRecord('ok-1'), noTime]));
    const r = await podtrail(['ingest', f, '--case', join(dir, 'case.db'), '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${f} record 1: eventTime: missing (expected CloudTrail's "eventTime", or the "@timestamp" of a SIEM export); found keys "eventVersion"`);
  });
});

describe('a case with one truncated file', () => {
  let dir: string;
  let casePath: string;
  let good: JsonObject[];
  let bad: string;
  let ingest: Run;

  beforeAll(async () => {
    dir = tempDir('cli');
    const ev = buildEvidence(dir, true);
    good = ev.good;
    bad = ev.bad!;
    casePath = join(dir, 'case.db');
    ingest = await podtrail(['ingest', ev.root, '--case', casePath, '--quiet']);
  });

  it('ingest exits 2, names the bad file with the reason, and loads every other file', () => {
    expect(ingest.stderr).toBe('');
    expect(ingest.code).toBe(2);
    expect(ingest.stdout).toContain('files: 4 loaded, 0 already in the case, 1 unreadable');
    expect(ingest.stdout).toContain(`records: ${good.length} read, ${good.length} new events`);
    expect(ingest.stdout).toMatch(/^errors:$/m);
    expect(ingest.stdout).toContain(`  ${bad}: truncated gzip`);
  });

  it('attribute --format jsonl outputs every good event, ordered by eventTime then eventID', async () => {
    const r = await podtrail(['attribute', '--case', casePath, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(good.length);
    const recs = lines.map((l) => JSON.parse(l) as { eventID: string; eventTime: string; mechanism: string });
    expect(new Set(recs.map((a) => a.eventID))).toEqual(new Set(good.map((g) => g.eventID as string)));
    expect(recs.some((a) => a.eventID.startsWith('trunc-'))).toBe(false);
    const expected = [...good]
      .map((g) => ({ id: g.eventID as string, ms: Date.parse(g.eventTime as string) }))
      .sort((a, b) => a.ms - b.ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((x) => x.id);
    expect(recs.map((a) => a.eventID)).toEqual(expected);
    // The real trail has several events in one second: the tie-break on eventID is exercised.
    const seconds = recs.map((a) => a.eventTime);
    expect(new Set(seconds).size).toBeLessThan(seconds.length);
    // Each event's time is its record's eventTime.
    const byId = new Map(good.map((g) => [g.eventID as string, g.eventTime as string]));
    for (const a of recs) expect(a.eventTime).toBe(byId.get(a.eventID));
  });

  it('attribute --out writes the same bytes as stdout', async () => {
    const out = join(tempDir('cli'), 'attr.jsonl');
    const [toFile, toStdout] = await Promise.all([
      podtrail(['attribute', '--case', casePath, '--out', out]),
      podtrail(['attribute', '--case', casePath]),
    ]);
    expect(toFile.code).toBe(0);
    expect(toFile.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(toStdout.stdout);
  });

  it('attribute --format csv has a header and one row per event, with formula cells neutralised', async () => {
    const r = await podtrail(['attribute', '--case', casePath, '--format', 'csv']);
    expect(r.code).toBe(0);
    const rows = parseCsv(r.stdout);
    const header = rows[0]!;
    expect(header.slice(0, 4)).toEqual(['eventID', 'eventTime', 'eventSource', 'eventName']);
    expect(header).toContain('sourceIPAddress');
    const body = rows.slice(1);
    expect(body).toHaveLength(good.length);
    for (const row of body) expect(row).toHaveLength(header.length);
    expect(new Set(body.map((row) => row[0]))).toEqual(new Set(good.map((g) => g.eventID as string)));
    const hostile = body.find((row) => row[0] === 'hostile-0001')!;
    expect(hostile[header.indexOf('sourceIPAddress')]).toBe(`'${HOSTILE_IP}`);
    // No cell anywhere starts with a formula character.
    for (const row of body) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('trace <eventID> prints the chain with the records that prove it', async () => {
    const r = await podtrail(['trace', 'irsa-call-0001', '--case', casePath]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^GetSecretValue \(secretsmanager\.amazonaws\.com\) at 2024-11-13T08:44:27Z$/m);
    expect(r.stdout).toMatch(/210987654321_CloudTrail_us-east-1_20241113T0900Z_seed\.json\.gz #1/);
    expect(r.stdout).toMatch(/^Chain:$/m);
    expect(r.stdout).toMatch(/^ {2}1\. \[\w+\] /m);
    expect(r.stdout).toMatch(/AssumeRoleWithWebIdentity 2024-11-12T13:28:26Z irsa-issue-0001/);
    expect(r.stdout).toMatch(/mechanism\s+irsa/);
    expect(r.stdout).toMatch(/namespace\/sa\s+pipelines \/ nightly-runner-5c81f2/);

    const json = await podtrail(['trace', 'irsa-call-0001', '--case', casePath, '--format', 'json']);
    expect(json.code).toBe(0);
    const t = JSON.parse(json.stdout) as { event: { eventID: string }; hops: { records: { id: string }[] }[] };
    expect(t.event.eventID).toBe('irsa-call-0001');
    expect(t.hops.flatMap((h) => h.records.map((x) => x.id))).toContain('irsa-issue-0001');
  });

  it('trace of an unknown id exits 1', async () => {
    const r = await podtrail(['trace', 'no-such-event', '--case', casePath]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no-such-event is neither an eventID nor an access key in this case/);
  });

  it('trace of an event of the truncated file exits 1 (nothing of it was kept)', async () => {
    const r = await podtrail(['trace', 'trunc-0', '--case', casePath]);
    expect(r.code).toBe(1);
  });

  it('report writes HTML with hostile record text escaped', async () => {
    const out = join(tempDir('cli'), 'report.html');
    const r = await podtrail(['report', '--case', casePath, '--event', 'hostile-0001', '--format', 'html', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`report: html written to ${out}`);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('hostile-0001');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('=HYPERLINK(&quot;x&quot;)');
  });

  it('report writes JSON', async () => {
    const out = join(tempDir('cli'), 'report.json');
    const r = await podtrail(['report', '--case', casePath, '--event', 'irsa-call-0001', '--format', 'json', '--out', out]);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(out, 'utf8')) as {
      event: { eventID: string };
      attribution: { mechanism: string; namespace: string };
      files: { path: string; sha256: string }[];
      case: { failedFiles: number };
    };
    expect(m.event.eventID).toBe('irsa-call-0001');
    expect(m.attribution).toMatchObject({ mechanism: 'irsa', namespace: 'pipelines' });
    expect(m.case.failedFiles).toBe(1);
    expect(m.files.map((f) => f.path).some((p) => p.endsWith('_seed.json.gz'))).toBe(true);
    expect(m.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
  });

  it('report writes CSV with formula cells neutralised', async () => {
    const out = join(tempDir('cli'), 'report.csv');
    const r = await podtrail(['report', '--case', casePath, '--event', 'hostile-0001', '--format', 'csv', '--out', out]);
    expect(r.code).toBe(0);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    expect(rows[0]).toEqual(['section', 'key', 'value']);
    expect(rows).toContainEqual(['attribution', 'sourceIPAddress', `'${HOSTILE_IP}`]);
    expect(rows).toContainEqual(['attribution', 'eventID', 'hostile-0001']);
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('report on an unknown event exits 1 and writes nothing', async () => {
    const out = join(tempDir('cli'), 'none.html');
    const r = await podtrail(['report', '--case', casePath, '--event', 'no-such-event', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/event no-such-event is not in the case/);
    expect(existsSync(out)).toBe(false);
  });

  it('attribute into a pipe whose reader has gone ends quietly, not as an internal error', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((res, rej) => {
      const child = spawn(process.execPath, [BIN, 'attribute', '--case', casePath], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      // Close the read end before the CLI writes anything (as `| head` does once it has its lines): its writes
      // fail with EPIPE.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', rej);
      child.on('close', (code) => res({ code, stderr }));
    });
    expect(r.stderr).not.toMatch(/internal error|EPIPE/);
    expect(r.code).toBe(0);
  });
});
