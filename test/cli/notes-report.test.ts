/**
 * `podtrail note` and the case report from the command line (issue 17 part 4), spawned as a user runs them on a
 * generated bundle with planted attacks:
 * - `note add --event <id> <text>` (and --tag, --star; --pod, --key, --principal), `note list`, `note remove`,
 *   each logged in the custody log;
 * - `report` with several --event and --key: the case report in HTML, JSON and PDF (printed by Debian's Chromium
 *   through playwright-core); a clear error, exit 1, when no Chromium is found; one --event alone is still the
 *   single-event report, byte for byte what it was (the same bytes as the app's `report.export`).
 * Needs the compiled CLI (`npm run build`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaseReportModel } from '../../electron/engine/report/case-model';
import { exportReport } from '../../electron/engine/report/export';
import { CaseQueries } from '../../electron/engine/case/queries';
import type { NoteView } from '../../shared/notes';
import { generateBundle } from '../generator';
import { podtrail, REPO } from '../helpers/cli';
import { tempDir } from '../helpers/evidence';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let dir: string;
let casePath: string;
let flagged: { eventID: string; key: string }[];

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'electron', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  dir = tempDir('cli-notes');
  const bundle = generateBundle({ outDir: join(dir, 'bundle'), events: 3000, seed: 11, k8s: true }).outDir;
  casePath = join(dir, 'case.db');
  const ingest = await podtrail(['ingest', bundle, '--case', casePath, '--quiet']);
  expect(ingest.code, ingest.stderr).toBe(0);
  const db = new Database(casePath, { readonly: true });
  flagged = db
    .prepare('SELECT DISTINCT e.event_id eventID, e.access_key_id key FROM event_flags f JOIN events e ON e.id = f.event_rowid WHERE e.access_key_id IS NOT NULL ORDER BY e.event_ms, e.event_id')
    .all() as { eventID: string; key: string }[];
  db.close();
  expect(flagged.length).toBeGreaterThan(2);
}, 300_000);

async function custody(): Promise<{ entries: { seq: number; action: string; details: Record<string, unknown> }[]; check: { ok: boolean } }> {
  const r = await podtrail(['custody', '--case', casePath, '--format', 'json']);
  return JSON.parse(r.stdout) as never;
}

describe('podtrail note', () => {
  it('adds a note, a tag and a star, lists and removes them, each in the custody log', async () => {
    const ev = flagged[0]!;
    const add = await podtrail(['note', 'add', '--case', casePath, '--event', ev.eventID, 'token', 'used', 'from', 'a', 'VPS']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(new RegExp(`^added: #\\d+ event ${ev.eventID} — note: token used from a VPS \\(`));
    expect((await podtrail(['note', 'add', '--case', casePath, '--key', ev.key, '--tag', 'stolen-token'])).code).toBe(0);
    expect((await podtrail(['note', 'add', '--case', casePath, '--event', ev.eventID, '--star'])).code).toBe(0);
    const twice = await podtrail(['note', 'add', '--case', casePath, '--event', ev.eventID, '--star']);
    expect(twice.stdout).toMatch(/^already there: /);

    const list = await podtrail(['note', 'list', '--case', casePath, '--format', 'json']);
    expect(list.code, list.stderr).toBe(0);
    const notes = JSON.parse(list.stdout) as NoteView[];
    expect(notes.map((n) => [n.target.kind, n.kind, n.text])).toEqual([
      ['event', 'note', 'token used from a VPS'],
      ['session', 'tag', 'stolen-token'],
      ['event', 'star', ''],
    ]);
    const one = JSON.parse((await podtrail(['note', 'list', '--case', casePath, '--key', ev.key, '--format', 'json'])).stdout) as NoteView[];
    expect(one.map((n) => n.kind)).toEqual(['tag']);

    const log = await custody();
    expect(log.check.ok).toBe(true);
    expect(log.entries.filter((e) => e.action === 'annotate').map((e) => e.seq)).toEqual(notes.map((n) => n.custodySeq));

    const extra = JSON.parse((await podtrail(['note', 'add', '--case', casePath, '--principal', 'bob', '--tag', 'x'])).stdout.replace(/^.*#(\d+).*\n$/s, '$1')) as number;
    const rm = await podtrail(['note', 'remove', '--case', casePath, String(extra)]);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await podtrail(['note', 'remove', '--case', casePath, String(extra)])).code).toBe(1);
    const text = await podtrail(['note', 'list', '--case', casePath]);
    expect(text.stdout).not.toContain('principal bob');
    expect((await podtrail(['custody', '--case', casePath])).stdout).toContain(`removed tag "x" (annotation ${extra}) on principal bob`);
  });

  it('refuses an unknown event, no target, two targets, and text with --star (exit 1)', async () => {
    const before = (await custody()).entries.length;
    for (const args of [
      ['--event', 'no-such-event', 'x'],
      ['x'],
      ['--event', flagged[0]!.eventID, '--key', flagged[0]!.key, 'x'],
      ['--event', flagged[0]!.eventID, '--star', 'x'],
      ['--event', flagged[0]!.eventID, '--tag', 'two words'],
    ]) {
      const r = await podtrail(['note', 'add', '--case', casePath, ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^podtrail: /);
    }
    expect((await custody()).entries.length).toBe(before);
  });
});

describe('podtrail report: the case report', () => {
  it('several --event and a --key: HTML and JSON with the summary, each event, the session, the notes, examiner and case id', async () => {
    const [a, b] = [flagged[0]!, flagged[flagged.length - 1]!];
    const args = ['report', '--case', casePath, '--event', a.eventID, '--event', b.eventID, '--key', a.key, '--examiner', 'A. Examiner', '--case-id', 'IR-17'];
    const html = await podtrail([...args, '--format', 'html', '--out', join(dir, 'case.html')]);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stderr).toMatch(/^report: case report \(\d+ events, 1 sessions\) as html written to /);
    const json = await podtrail([...args, '--format', 'json', '--out', join(dir, 'case.json')]);
    expect(json.code, json.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseReportModel;
    expect(m.scope).toEqual({ events: [a.eventID, b.eventID], keys: [a.key] });
    expect(m.case).toMatchObject({ caseId: 'IR-17', examiner: 'A. Examiner' });
    expect(m.details.map((d) => d.report.event.eventID)).toEqual([a.eventID, b.eventID]);
    expect(m.sessions[0]!.accessKeyId).toBe(a.key);
    const body = readFileSync(join(dir, 'case.html'), 'utf8');
    expect(body).toContain('token used from a VPS');
    expect(body).toContain('stolen-token');
    expect(body).toContain('<th>I · P · N</th>');
    for (const r of m.rows) expect(body).toContain(r.eventID);
    const log = await custody();
    expect(log.entries.at(-1)!.details).toMatchObject({ scope: 'case report', format: 'json', caseId: 'IR-17' });
  });

  it('--format pdf prints the case report with Chromium', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: this test needs Debian's chromium`);
    const out = join(dir, 'case.pdf');
    const r = await podtrail(['report', '--case', casePath, '--event', flagged[0]!.eventID, '--key', flagged[0]!.key, '--format', 'pdf', '--chromium', CHROMIUM, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const pdf = readFileSync(out);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    // A4 pages (595 × 842 points), several of them (the summary, the event, the session, the evidence).
    const text = pdf.toString('latin1');
    const boxes = [...text.matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)].map((x) => [Math.round(Number(x[1])), Math.round(Number(x[2]))]);
    expect(boxes.length).toBeGreaterThanOrEqual(3);
    for (const b of boxes) expect(b).toEqual([595, 842]);
    expect((await custody()).entries.at(-1)!.details).toMatchObject({ scope: 'case report', format: 'pdf' });
  });

  it('no Chromium: a clear error naming where it looked, exit 1, nothing written or logged', async () => {
    const before = (await custody()).entries.length;
    const out = join(dir, 'none.pdf');
    const r = await podtrail(['report', '--case', casePath, '--event', flagged[0]!.eventID, '--format', 'pdf', '--chromium', join(dir, 'no-chromium'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no Chromium at ${join(dir, 'no-chromium')}`);
    expect(r.stderr).toContain('--chromium <path> or PODTRAIL_CHROMIUM');
    expect(existsSync(out)).toBe(false);
    expect((await custody()).entries.length).toBe(before);
  });

  it('a case report is not CSV; no event and no key is a usage error', async () => {
    const csv = await podtrail(['report', '--case', casePath, '--key', flagged[0]!.key, '--format', 'csv', '--out', join(dir, 'x.csv')]);
    expect(csv.code).toBe(1);
    expect(csv.stderr).toContain('a case report is html, json or pdf');
    const none = await podtrail(['report', '--case', casePath, '--out', join(dir, 'x.html')]);
    expect(none.code).toBe(1);
  });

  it('one --event alone is the single-event report, the same bytes as exportReport gives', async () => {
    const id = flagged[0]!.eventID;
    for (const format of ['html', 'json', 'csv'] as const) {
      const out = join(dir, `single.${format}`);
      const r = await podtrail(['report', '--case', casePath, '--event', id, '--format', format, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^report: ${format} written to `));
      const db = new Database(casePath);
      try {
        const direct = await exportReport(db, new CaseQueries(db), casePath, id, format, out);
        expect(readFileSync(out, 'utf8')).toBe(direct.body);
      } finally {
        db.close();
      }
    }
    expect(readFileSync(join(dir, 'single.html'), 'utf8')).toMatch(/^<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n.*<title>PodTrail attribution report — /s);
  });
});
