/**
 * The command line's attribute, report and trace output, spawned as a user runs them:
 * - detections: on a generated bundle with planted attacks (test/generator, `k8s: true`), `attribute --format csv`
 *   and `--format jsonl` carry every flag with its reason (as the case's `event_flags` holds them), and `report`
 *   gives them in every format;
 * - conflicting records under one eventID (the real records iam-ug_01 and iam-ug_02): `trace` names the other
 *   record, and `trace`/`report` take `<eventID>#<variant>`.
 * Needs the compiled CLI (`npm run build`).
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { neutralizeCell } from '../../electron/engine/report/csv';
import type { ReportModel } from '../../electron/engine/report/model';
import { FLAGS, type AttributionRecord, type FlagReason } from '../../shared/attribution';
import { generateBundle } from '../generator';
import { podtrail, REPO } from '../helpers/cli';
import { parseCsv } from '../helpers/csv';
import { put, tempDir } from '../helpers/evidence';
import { referencePath } from '../helpers/reference';

beforeAll(() => {
  if (!existsSync(join(REPO, 'dist', 'electron', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
});

describe('detections in attribute and report output (generated bundle with planted attacks)', () => {
  let dir: string;
  let casePath: string;
  /** eventID → its flags with reasons, read from the case database itself. */
  let reasons: Map<string, FlagReason[]>;

  beforeAll(async () => {
    dir = tempDir('cli-detections');
    const bundle = generateBundle({ outDir: join(dir, 'bundle'), events: 4000, seed: 11, k8s: true }).outDir;
    casePath = join(dir, 'case.db');
    const ingest = await podtrail(['ingest', bundle, '--case', casePath, '--quiet']);
    expect(ingest.code, ingest.stderr).toBe(0);
    const db = new Database(casePath, { readonly: true });
    try {
      const rows = db
        .prepare('SELECT e.event_id, e.variant, f.flag, f.detail FROM event_flags f JOIN events e ON e.id = f.event_rowid ORDER BY e.event_id, f.flag')
        .all() as { event_id: string; variant: number; flag: FlagReason['flag']; detail: string }[];
      expect(rows.every((r) => r.variant === 0)).toBe(true);
      reasons = new Map();
      for (const r of rows) reasons.set(r.event_id, [...(reasons.get(r.event_id) ?? []), { flag: r.flag, detail: r.detail }]);
    } finally {
      db.close();
    }
    expect(reasons.size).toBeGreaterThan(5);
  }, 300_000);

  it('attribute --format csv: a flagReasons column with every flag and its reason, on every row', async () => {
    const r = await podtrail(['attribute', '--case', casePath, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = parseCsv(r.stdout);
    const id = header!.indexOf('eventID');
    const flags = header!.indexOf('flags');
    const why = header!.indexOf('flagReasons');
    expect(why).toBeGreaterThan(flags);
    let flagged = 0;
    for (const row of rows) {
      expect(row).toHaveLength(header!.length);
      const want = reasons.get(row[id]!) ?? [];
      expect(row[flags]).toBe(want.map((f) => f.flag).join(' '));
      expect(row[why], row[id]).toBe(neutralizeCell(want.map((f) => `${f.flag}: ${f.detail}`).join(' | ')));
      if (want.length) flagged++;
    }
    expect(flagged).toBe(reasons.size);
  });

  it('attribute --format jsonl: flagReasons beside flags', async () => {
    const r = await podtrail(['attribute', '--case', casePath]);
    expect(r.code, r.stderr).toBe(0);
    const records = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as AttributionRecord);
    for (const a of records) {
      const want = reasons.get(a.eventID) ?? [];
      expect(a.flagReasons, a.eventID).toEqual(want);
      expect(a.flags).toEqual(want.map((f) => f.flag));
    }
  });

  it('report: every flag with its reason in HTML, CSV and JSON; the HTML also has the detections that ran and the examiner', async () => {
    const [eventID, want] = [...reasons].sort((a, b) => b[1].length - a[1].length)[0]!;
    const custody = await podtrail(['custody', '--case', casePath, '--format', 'json']);
    const ingest = (JSON.parse(custody.stdout) as { entries: { action: string; actor: string; entryHash: string }[] }).entries.find((e) => e.action === 'ingest')!;
    const out = (ext: string) => join(dir, `report.${ext}`);
    for (const format of ['html', 'csv', 'json'] as const) {
      const r = await podtrail(['report', '--case', casePath, '--event', eventID, '--format', format, '--out', out(format)]);
      expect(r.code, r.stderr).toBe(0);
    }
    const html = readFileSync(out('html'), 'utf8');
    for (const f of want) expect(html).toContain(`<li><strong>${f.flag}</strong>: `);
    for (const flag of FLAGS) expect(html).toContain(`<code>${flag}</code>`);
    expect(html).toContain(`<code>${ingest.entryHash}</code>, examiner <strong>`);
    expect(html).toContain('<h2>The same credential</h2>');
    expect(html).toContain('<tr><th>User agent</th>');
    const csv = parseCsv(readFileSync(out('csv'), 'utf8'));
    expect(csv.filter((row) => row[0] === 'flag')).toEqual(want.map((f) => ['flag', f.flag, neutralizeCell(f.detail)]));
    expect(csv.find((row) => row[0] === 'custody' && row[1] === 'examiner')![2]).toBe(neutralizeCell(ingest.actor));
    const json = JSON.parse(readFileSync(out('json'), 'utf8')) as ReportModel;
    expect(json.flags).toEqual(want);
    expect(json.attribution.flagReasons).toEqual(want);
    expect(json.examiner).toBe(ingest.actor);
  });
});

describe('conflicting records under one eventID (iam-ug_01 and iam-ug_02)', () => {
  const ID = 'dEXAMPLE-ac7f-466c-a608-4ac8dEXAMPLE';
  let dir: string;
  let casePath: string;

  beforeAll(async () => {
    dir = tempDir('cli-variants');
    put(dir, 'evidence/.keep', '');
    copyFileSync(referencePath('public/doc-examples/iam-ug_01_sts-AssumeRole_by-IAMUser_line129.json'), join(dir, 'evidence', 'iam-ug_01.json'));
    copyFileSync(referencePath('public/doc-examples/iam-ug_02_sts-AssumeRole_by-AWSAccount_cross-account_line181.json'), join(dir, 'evidence', 'iam-ug_02.json'));
    casePath = join(dir, 'case.db');
    const ingest = await podtrail(['ingest', join(dir, 'evidence', 'iam-ug_01.json'), join(dir, 'evidence', 'iam-ug_02.json'), '--case', casePath, '--quiet']);
    expect(ingest.code, ingest.stderr).toBe(0);
  });

  it('trace <eventID> says which record it is on and names the other; trace <eventID>#1 traces the other', async () => {
    const zero = await podtrail(['trace', ID, '--case', casePath]);
    expect(zero.code, zero.stderr).toBe(0);
    expect(zero.stdout).toContain('variant 0 of 2 different records under this eventID');
    expect(zero.stdout).toMatch(/other record under this eventID: variant 1 from \S*iam-ug_02\.json #0; differs in /);
    const one = await podtrail(['trace', `${ID}#1`, '--case', casePath, '--format', 'json']);
    expect(one.code, one.stderr).toBe(0);
    const t = JSON.parse(one.stdout) as { event: { variant: number; provenance: { path: string }[]; raw: string; otherVariants: { variant: number }[] } };
    expect(t.event.variant).toBe(1);
    expect(t.event.provenance[0]!.path).toMatch(/iam-ug_02\.json$/);
    expect((JSON.parse(t.event.raw) as { userIdentity: { type: string } }).userIdentity.type).toBe('AWSAccount');
    expect(t.event.otherVariants.map((o) => o.variant)).toEqual([0]);
    const none = await podtrail(['trace', `${ID}#7`, '--case', casePath]);
    expect(none.code).toBe(1);
  });

  it('report --event <eventID>#1 reports on that record', async () => {
    const out = join(dir, 'variant-1.json');
    const r = await podtrail(['report', '--case', casePath, '--event', `${ID}#1`, '--format', 'json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(out, 'utf8')) as ReportModel;
    expect(m.event).toMatchObject({ eventID: ID, variant: 1, variants: 2 });
    expect(m.event.provenance[0]!.path).toMatch(/iam-ug_02\.json$/);
  });
});
