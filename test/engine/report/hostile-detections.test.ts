/**
 * The report fields added for the detections, on hostile text: flag reasons (a detection's detail quotes evidence:
 * session names, addresses), the calls the same credential made (event names and sources are the logs' own),
 * the user agent, the examiner (the custody log's actor: an operating-system user and host name), and a second,
 * conflicting record under the event's eventID. Every one is escaped and inert in the HTML report, neutralised
 * in every CSV cell, and exact in the JSON report.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { correlate } from '../../../electron/engine/chain/correlate';
import { appendCustody } from '../../../electron/engine/custody/log';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { ATTRIBUTION_COLUMNS, csvRow, neutralizeCell } from '../../../electron/engine/report/csv';
import { revealInvisible } from '../../../electron/engine/report/escape';
import { exportReport } from '../../../electron/engine/report/export';
import type { ReportModel } from '../../../electron/engine/report/model';
import { traceText } from '../../../electron/engine/report/text';
import { HOSTILE, hostileRecords, type HostileBundle } from '../../generator/hostile';
import { parseCsv } from '../../helpers/csv';
import { tempDir } from '../../helpers/evidence';
import { expectNoExecutableMarkup, FORMULA_START, INVISIBLE_RAW, visibleText } from './hostile-html';

let db: Database;
let q: CaseQueries;
let casePath: string;
let bundle: HostileBundle;
/** The event the reports are on: the first call of the hostile session. */
let target: string;
const actor = HOSTILE.map((h) => h.value).join(' ');

/** How a value reads in the HTML report's text: invisible characters shown as `\u{…}`. */
const shown = (v: string) => revealInvisible(v);

beforeAll(async () => {
  const dir = tempDir('hostile-detections');
  bundle = hostileRecords({ accountId: '111122223333', region: 'us-east-1', startTime: '2026-03-02T10:00:00Z', sourceIPAddress: '203.0.113.66', label: 'detections' });
  target = bundle.events[0]!.eventID;
  const first = bundle.records.find((r) => r.eventID === target)!;
  // More calls of the same session, one per hostile string, with that string as event name and event source.
  const more = HOSTILE.map((h, i) => ({
    ...first,
    eventID: `named-${h.id}`,
    eventTime: `2026-03-02T10:3${Math.floor(i / 10)}:${String((i % 10) * 5).padStart(2, '0')}Z`,
    eventName: h.value,
    eventSource: h.value,
    sourceIPAddress: '203.0.113.66',
  }));
  // A second, different record under the target's eventID (a conflict), carrying hostile text of its own.
  const conflicting = { ...first, userAgent: HOSTILE.map((h) => h.value).join('|'), sourceIPAddress: '203.0.113.67' };
  writeFileSync(join(dir, 'a.jsonl'), [...bundle.records.filter((r) => r.eventID !== bundle.hugeEventID), ...more].map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, 'b.jsonl'), JSON.stringify(conflicting) + '\n');
  casePath = join(dir, 'case.db');
  db = openCase(casePath);
  const summary = await ingestEvidence(db, [join(dir, 'a.jsonl'), join(dir, 'b.jsonl')], { workers: 0 });
  expect(summary.files.map((f) => [f.status, f.recordErrors.length])).toEqual([
    ['loaded', 0],
    ['loaded', 0],
  ]);
  correlate(db);
  // Detections quote the evidence in their reasons: planted here, one reason per hostile string.
  const rowid = db.prepare('SELECT id FROM events WHERE event_id = ? AND variant = 0').pluck().get(target) as number;
  const add = db.prepare('INSERT INTO event_flags (event_rowid, flag, detail) VALUES (?, ?, ?)');
  add.run(rowid, 'first-seen-api', `first call of ${HOSTILE.slice(0, 11).map((h) => h.value).join(' / ')}`);
  add.run(rowid, 'token-exchange-outside-cluster', HOSTILE.find((h) => h.id === 'csv-equals')!.value);
  add.run(rowid, 'node-credentials-off-node', HOSTILE.slice(11).map((h) => h.value).join(' / '));
  // The examiner: the actor of the entry the report pins (an operating-system user and host name, hostile here).
  appendCustody(db, 'verify', { note: 'hostile examiner' }, { actor });
  q = new CaseQueries(db);
});

afterAll(() => db?.close());

describe('hostile text in the new report fields', () => {
  it('HTML: escaped, inert, and every value readable as text', async () => {
    const { body: html, model } = await exportReport(db, q, casePath, target, 'html', null);
    expectNoExecutableMarkup(html);
    const text = visibleText(html);
    expect(model.flags).toHaveLength(3);
    for (const f of model.flags) expect(text).toContain(`${f.flag}: ${shown(f.detail)}`);
    expect(model.credential!.calls.length).toBe(10);
    expect(model.credential!.more).toBe(HOSTILE.length + 1 - 10);
    for (const c of model.credential!.calls) expect(text).toContain(`${shown(c.eventName)} ${shown(c.eventSource)}${c.count}`);
    expect(text).toContain(`examiner ${shown(actor)}`);
    expect(text).toContain(shown(model.event.userAgent!));
    expect(model.event.otherVariants).toHaveLength(1);
    expect(text).toContain(shown(HOSTILE.map((h) => JSON.stringify(h.value).slice(1, -1)).join('|')));
  });

  it('CSV report: every cell neutralised and visible, the flag reasons and the examiner exact otherwise', async () => {
    const rows = parseCsv((await exportReport(db, q, casePath, target, 'csv', null)).body);
    for (const row of rows) {
      expect(row).toHaveLength(3);
      for (const cell of row) {
        expect(cell, JSON.stringify(cell.slice(0, 40))).not.toMatch(FORMULA_START);
        expect(cell).not.toMatch(INVISIBLE_RAW);
      }
    }
    const flags = rows.filter((r) => r[0] === 'flag');
    expect(flags.map((r) => r[1])).toEqual(['first-seen-api', 'node-credentials-off-node', 'token-exchange-outside-cluster']);
    expect(flags[2]![2]).toBe(neutralizeCell(HOSTILE.find((h) => h.id === 'csv-equals')!.value));
    expect(flags[2]![2]!.startsWith("'=")).toBe(true);
    expect(rows.find((r) => r[0] === 'custody' && r[1] === 'examiner')![2]).toBe(neutralizeCell(actor));
    expect(rows.filter((r) => r[0] === 'credential calls')).toHaveLength(11);
  });

  it('attribute CSV: the reasons column neutralised like every other', () => {
    const a = [...q.attributions()].find((x) => x.eventID === target && x.flagReasons?.length)!;
    const row = parseCsv(csvRow(a))[0]!;
    const cell = row[ATTRIBUTION_COLUMNS.indexOf('flagReasons')]!;
    expect(cell).toBe(neutralizeCell(a.flagReasons!.map((f) => `${f.flag}: ${f.detail}`).join(' | ')));
    expect(cell).not.toMatch(INVISIBLE_RAW);
  });

  it('JSON report: the values exactly as recorded', async () => {
    const m = JSON.parse((await exportReport(db, q, casePath, target, 'json', null)).body) as ReportModel;
    expect(m.examiner).toBe(actor);
    expect(m.flags.find((f) => f.flag === 'token-exchange-outside-cluster')!.detail).toBe(HOSTILE.find((h) => h.id === 'csv-equals')!.value);
    const names = new Set(['GetObject', ...HOSTILE.map((h) => h.value)]);
    for (const c of m.credential!.calls) expect(names.has(c.eventName) && (c.eventName === 'GetObject' || c.eventSource === c.eventName)).toBe(true);
    expect(m.credential!.calls.map((c) => c.eventName)).toContain(HOSTILE.find((h) => h.id === 'csv-tab')!.value);
  });

  it('trace text: no control or bidi character reaches the terminal', () => {
    const text = traceText(q.trace(target)!);
    expect(text).not.toMatch(INVISIBLE_RAW);
    expect(text).toContain('FLAG token-exchange-outside-cluster: =HYPERLINK(');
    expect(text).toContain('other record under this eventID: variant 1');
  });
});
