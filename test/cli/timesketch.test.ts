/**
 * `podtrail attribute --format timesketch` and `--format csv` on the demo bundle (demo/bundle: an attack flagged by
 * the detections, and the hostile-input corpus of test/generator/hostile.ts chained through the stolen session),
 * spawned as a user runs them. The Timesketch file is also read the way Timesketch's importer reads JSON Lines
 * (timesketch/lib/utils.py, read_and_validate_jsonl: Python text-mode lines, json.loads, the mandatory fields,
 * the datetime parsed) to show it imports as it is. Needs the compiled CLI (`npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AttributionRecord } from '../../shared/attribution';
import { podtrail, REPO } from '../helpers/cli';
import { parseCsv } from '../helpers/csv';
import { tempDir } from '../helpers/evidence';

interface DemoFacts {
  attack: { getSecretValueEventID: string; exchangeEventID: string; sourceIPAddress: string };
  hostile: { events: { eventID: string; hostile: string }[]; assumeRole: { eventID: string } };
}

/** Every leaf (string, number, boolean) of a value. */
function leaves(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.flatMap(leaves);
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).flatMap(leaves);
  return [v];
}

const RAW_IN_MESSAGE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

let dir: string;
let casePath: string;
let records: Map<string, AttributionRecord>;
let tsText: string;
let events: Record<string, unknown>[];
const demo = JSON.parse(readFileSync(join(REPO, 'demo', 'demo.json'), 'utf8')) as DemoFacts;

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'electron', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  dir = tempDir('timesketch');
  casePath = join(dir, 'case.db');
  const ingest = await podtrail(['ingest', join(REPO, 'demo', 'bundle'), '--case', casePath, '--quiet']);
  expect(ingest.code, ingest.stderr).toBe(0);
  const jsonl = await podtrail(['attribute', '--case', casePath]);
  expect(jsonl.code).toBe(0);
  records = new Map(jsonl.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as AttributionRecord).map((a) => [a.eventID, a]));
  const ts = await podtrail(['attribute', '--case', casePath, '--format', 'timesketch', '--out', join(dir, 'podtrail.jsonl')]);
  expect(ts.code, ts.stderr).toBe(0);
  tsText = readFileSync(join(dir, 'podtrail.jsonl'), 'utf8');
  events = tsText.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}, 120_000);

describe('attribute --format timesketch', () => {
  it('one event per attribution, in the same order, each with the mandatory fields', () => {
    expect(events).toHaveLength(records.size);
    expect(events.map((e) => e.eventID)).toEqual([...records.keys()]);
    for (const e of events) {
      expect(typeof e.message).toBe('string');
      expect(e.timestamp_desc).toBe('Event Time');
      expect(e.datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?\+00:00$/);
      expect(Date.parse(e.datetime as string)).toBe(Date.parse(e.eventTime as string));
      expect(e.timestamp).toBe(Date.parse(e.eventTime as string) * 1000);
    }
  });

  it('carries each attribution, flattened: mechanism, cluster, namespace, service account, pod, node, confidences, flags', () => {
    let flagged = 0;
    for (const e of events) {
      const a = records.get(e.eventID as string)!;
      expect(e).toMatchObject({
        mechanism: a.mechanism,
        chained: a.chained,
        principal: a.principal,
        cluster_name: a.cluster?.name ?? null,
        namespace: a.namespace,
        serviceAccount: a.serviceAccount,
        pod_name: a.pod?.name ?? null,
        pod_uid: a.pod?.uid ?? null,
        node_instanceId: a.node?.instanceId ?? null,
        confidence_identity: a.confidence.identity,
        confidence_pod: a.confidence.pod,
        confidence_node: a.confidence.node,
        flags: a.flags ?? [],
        evidence: a.evidence,
        sourceIPAddress: a.sourceIPAddress,
      });
      if ((a.flags ?? []).length) flagged++;
      // Every value of the record is somewhere in the event (a field the export forgot would be missing).
      const values = Object.values(e).flatMap((v) => (Array.isArray(v) ? v : [v])).map(String);
      const missing = leaves(a).filter((leaf) => !values.some((v) => v === String(leaf) || v.includes(String(leaf))));
      expect(missing, a.eventID).toEqual([]);
    }
    expect(flagged).toBeGreaterThan(10);
  });

  it("the stolen token's GetSecretValue: its pod and its flag, in the fields and in the message", () => {
    const e = events.find((x) => x.eventID === demo.attack.getSecretValueEventID)!;
    expect(e.flags).toContain('token-exchange-outside-cluster');
    expect(e).toMatchObject({ mechanism: 'irsa', namespace: 'payments', serviceAccount: 'payments-api' });
    expect(e.message).toMatch(/ called secretsmanager\.amazonaws\.com GetSecretValue from 185\.220\./);
    expect(e.message).toContain('⚑ token-exchange-outside-cluster');
  });

  it('hostile strings: exact in the fields, escaped in the message, never a second line', () => {
    expect(tsText.endsWith('\n')).toBe(true);
    expect(tsText.slice(0, -1)).not.toMatch(/[\r\u0085\u2028\u2029]/);
    expect(demo.hostile.events.length).toBeGreaterThan(20);
    for (const h of [...demo.hostile.events.map((x) => x.eventID), demo.hostile.assumeRole.eventID]) {
      const e = events.find((x) => x.eventID === h)!;
      const a = records.get(h)!;
      expect(e.sourceIPAddress).toBe(a.sourceIPAddress);
      expect(e.principal).toBe(a.principal);
      expect(e.message as string).not.toMatch(RAW_IN_MESSAGE);
    }
    // The hostile values did reach the attributions (as source addresses), raw, so the escaping was exercised.
    expect(demo.hostile.events.some((x) => RAW_IN_MESSAGE.test(records.get(x.eventID)!.sourceIPAddress ?? ''))).toBe(true);
  });

  it("imports as Timesketch's JSON Lines importer reads it (Python text mode, json.loads, mandatory fields, datetime)", () => {
    const script = join(dir, 'read_like_timesketch.py');
    writeFileSync(
      script,
      [
        'import json, sys',
        'from datetime import datetime',
        'try:',
        '    from dateutil import parser as dp',
        '    parse = dp.parse',
        'except ImportError:',
        '    parse = datetime.fromisoformat',
        'n = 0',
        "with open(sys.argv[1], encoding='utf-8') as fh:",
        '    for line in fh:',
        '        d = json.loads(line)',
        "        missing = [f for f in ('message', 'datetime', 'timestamp_desc') if f not in d]",
        '        assert not missing, (n, missing)',
        "        t = parse(d['datetime'])",
        '        assert t.utcoffset() is not None, d["datetime"]',
        "        assert int(t.timestamp() * 1000000) == d['timestamp'], (d['datetime'], d['timestamp'])",
        '        n += 1',
        'print(n)',
      ].join('\n'),
    );
    const run = spawnSync('python3', [script, join(dir, 'podtrail.jsonl')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(Number(run.stdout.trim())).toBe(records.size);
  });
});

describe('attribute --format csv', () => {
  it("carries each event's flags in a flags column", async () => {
    const r = await podtrail(['attribute', '--case', casePath, '--format', 'csv']);
    expect(r.code).toBe(0);
    const [header, ...rows] = parseCsv(r.stdout);
    const col = header!.indexOf('flags');
    expect(col).toBeGreaterThan(0);
    expect(rows).toHaveLength(records.size);
    for (const row of rows) expect(row[col]).toBe((records.get(row[0]!)!.flags ?? []).join(' '));
    expect(rows.find((row) => row[0] === demo.attack.getSecretValueEventID)![col]).toContain('token-exchange-outside-cluster');
  });
});
