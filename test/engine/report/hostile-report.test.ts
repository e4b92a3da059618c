/**
 * Reports on hostile evidence (the corpus in test/generator/hostile.ts, carried through an STS chain): the HTML
 * report holds no executable markup and shows every hostile string as text, with bidi and control characters made
 * visible; every CSV cell is neutralised, whatever its first character, with NUL and bidi characters visible; and
 * a 1 MiB field breaks neither the report nor the CSV rows.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { correlate } from '../../../electron/engine/chain/correlate';
import { openCase } from '../../../electron/engine/db/open';
import { parseCsv } from '../../helpers/csv';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { ATTRIBUTION_COLUMNS, csvHeader, csvRow, neutralizeCell } from '../../../electron/engine/report/csv';
import { escapeHtml, revealInvisible } from '../../../electron/engine/report/escape';
import { exportReport } from '../../../electron/engine/report/export';
import { traceText } from '../../../electron/engine/report/text';
import { HOSTILE, HUGE_FIELD_BYTES, hostileRecords, hugeField, type HostileBundle } from '../../generator/hostile';
import { tempDir } from '../../helpers/evidence';
import { expectNoExecutableMarkup, FORMULA_START, INVISIBLE_RAW, visibleText } from './hostile-html';

let dir: string;
let db: Database;
let casePath: string;
let bundle: HostileBundle;
let q: CaseQueries;

beforeAll(async () => {
  dir = tempDir('hostile-report');
  bundle = hostileRecords({ accountId: '111122223333', region: 'us-east-1', startTime: '2026-03-02T10:00:00Z', sourceIPAddress: '203.0.113.66', label: 'report-test' });
  const big = bundle.records.filter((r) => r.eventID === bundle.hugeEventID);
  writeFileSync(join(dir, 'hostile.jsonl'), bundle.records.filter((r) => r.eventID !== bundle.hugeEventID).map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(dir, 'hostile-1mib.jsonl.gz'), gzipSync(JSON.stringify(big[0]) + '\n'));
  casePath = join(dir, 'case.db');
  db = openCase(casePath);
  const summary = await ingestEvidence(db, [join(dir, 'hostile.jsonl'), join(dir, 'hostile-1mib.jsonl.gz')], { workers: 0 });
  expect(summary.files.map((f) => f.status)).toEqual(['loaded', 'loaded']);
  correlate(db);
  q = new CaseQueries(db);
});

afterAll(() => db?.close());

describe('the hostile corpus', () => {
  it('covers what the issue lists', () => {
    const values = HOSTILE.map((h) => h.value).join('\n');
    for (const needle of ['<script>', 'onerror=', 'javascript:', '<a href="javascript:', '\u202E', '\u0000']) expect(values).toContain(needle);
    for (const c of ['=', '+', '-', '@', '\t', '\r']) expect(HOSTILE.some((h) => h.csvFormula && h.value.startsWith(c)), `a formula starting with ${JSON.stringify(c)}`).toBe(true);
    expect(hugeField()).toHaveLength(HUGE_FIELD_BYTES);
  });

  it('is in the case: every record ingested, chained through the hostile session', () => {
    expect(q.eventCount()).toBe(bundle.records.length);
    const t = q.trace(bundle.events[0]!.eventID)!;
    expect(t.resolution.chain.map((l) => l.accessKeyId)).toContain(bundle.assumeRole.accessKeyId);
    expect(t.resolution.chain[0]!.issuedBy?.eventID).toBe(bundle.assumeRole.eventID);
    expect(t.resolution.mechanism).toBe('iam-user');
    expect(t.resolution.principal).toContain(bundle.callerUserName);
  });
});

describe('HTML report on hostile evidence', () => {
  it.each(HOSTILE.map((h) => [h.id, h] as const))('%s: escaped, inert, and shown as text', async (id, h) => {
    const ev = bundle.events.find((e) => e.hostile === id)!;
    const { body: html } = await exportReport(db, q, casePath, ev.eventID, 'html', null);
    expectNoExecutableMarkup(html);
    const text = visibleText(html);
    if (h.invisible) {
      // Shown as escapes: every invisible character of the value appears as \u{…} in the verdict's source IP.
      expect(text).toContain(revealInvisible(h.value));
      expect(revealInvisible(h.value)).not.toMatch(INVISIBLE_RAW);
    } else {
      expect(text, 'the value as written (verdict, source IP)').toContain(h.value);
      expect(text, 'the value in the raw record').toContain(JSON.stringify(h.value).slice(1, -1));
    }
    // The hostile session name, role and caller are in the chain, as text.
    expect(text).toContain(bundle.callerUserName);
    expect(text).toContain(JSON.stringify(bundle.assumeRole.sessionName).slice(1, -1));
  });

  it('the issuing AssumeRole (hostile session name, role and tags): escaped, inert, shown as text', async () => {
    const { body: html } = await exportReport(db, q, casePath, bundle.assumeRole.eventID, 'html', null);
    expectNoExecutableMarkup(html);
    const text = visibleText(html);
    expect(text).toContain(JSON.stringify(bundle.assumeRole.sessionName).slice(1, -1));
    // Tag values in the raw record: bidi revealed by the report, NUL escaped by JSON itself.
    expect(text).toContain('\\u{202e}');
    expect(text).toContain('before\\u0000after');
  });

  it('escapes markup and reveals invisible characters (unit)', () => {
    expect(escapeHtml('<img src=x onerror="a()">')).toBe('&lt;img src=x onerror=&quot;a()&quot;&gt;');
    expect(escapeHtml("'&")).toBe('&#39;&amp;');
    expect(escapeHtml('a\u202Eb\u0000c\u061Cd\u009Be\u2028f\u2060g\u{E0041}h\u00ADi')).toBe('a\\u{202e}b\\u{0000}c\\u{061c}d\\u{009b}e\\u{2028}f\\u{2060}g\\u{e0041}h\\u{00ad}i');
    expect(escapeHtml('tab\tline\nok')).toBe('tab\tline\nok');
    expect(escapeHtml('naïve Ünïcödé 日本 עברית')).toBe('naïve Ünïcödé 日本 עברית');
  });
});

describe('CSV on hostile evidence', () => {
  it.each(HOSTILE.map((h) => [h.id, h] as const))('%s: every cell neutralised and visible', async (id, h) => {
    const ev = bundle.events.find((e) => e.hostile === id)!;
    const { body } = await exportReport(db, q, casePath, ev.eventID, 'csv', null);
    const rows = parseCsv(body);
    expect(rows[0]).toEqual(['section', 'key', 'value']);
    for (const row of rows) {
      expect(row).toHaveLength(3);
      for (const cell of row) {
        expect(cell, JSON.stringify(cell)).not.toMatch(FORMULA_START);
        expect(cell).not.toMatch(INVISIBLE_RAW);
      }
    }
    const ip = rows.find((r) => r[0] === 'attribution' && r[1] === 'sourceIPAddress')![2];
    expect(ip).toBe(neutralizeCell(h.value));
    if (h.csvFormula) expect(ip!.startsWith("'")).toBe(true);
    if (id === 'nul') expect(ip).toBe('before\\u{0000}after');
    if (id === 'bidi-rlo') expect(ip).toBe('report\\u{202e}fdp.exe');
  });

  it('neutralises a formula whatever its first character (unit)', () => {
    for (const c of ['=', '+', '-', '@', '\t', '\r', '\n', '\uff1d', '\uff0b', '\uff0d', '\uff20']) {
      expect(neutralizeCell(`${c}1+1`), JSON.stringify(c)).toBe(`'${c}1+1`);
    }
    expect(neutralizeCell('\u202E=1+1')).toBe('\\u{202e}=1+1');
    expect(neutralizeCell('\u0000=1')).toBe('\\u{0000}=1');
    expect(neutralizeCell('plain')).toBe('plain');
    expect(neutralizeCell(neutralizeCell('=1'))).toBe("'=1");
  });

  it('attribute CSV: one row per event with every column, every cell neutralised, the 1 MiB cell whole', () => {
    const text = csvHeader() + [...q.attributions()].map((a) => csvRow(a)).join('');
    const rows = parseCsv(text);
    expect(rows).toHaveLength(1 + bundle.records.length);
    for (const row of rows) {
      expect(row).toHaveLength(ATTRIBUTION_COLUMNS.length);
      for (const cell of row) {
        expect(cell.slice(0, 80)).not.toMatch(FORMULA_START);
        expect(cell).not.toMatch(INVISIBLE_RAW);
      }
    }
  });
});

describe('trace text on hostile evidence (the terminal)', () => {
  it.each(HOSTILE.filter((h) => h.invisible).map((h) => [h.id, h] as const))('%s: no escape sequence, carriage return or bidi control reaches the terminal', (id) => {
    const ev = bundle.events.find((e) => e.hostile === id)!;
    const text = traceText(q.trace(ev.eventID)!);
    expect(text).not.toMatch(INVISIBLE_RAW);
    expect(text).not.toContain('\r');
    expect(text.split('\n').length).toBeGreaterThan(10);
  });

  it('shows the escapes instead', () => {
    const text = traceText(q.trace(bundle.events.find((e) => e.hostile === 'controls')!.eventID)!);
    expect(text).toContain('bell\\u{0007} escape\\u{001b}[31m red\\u{009b}31m');
    expect(traceText(q.trace(bundle.events.find((e) => e.hostile === 'csv-cr')!.eventID)!)).toContain('source IP \\u{000d}=1+1');
  });
});

describe('the 1 MiB field', () => {
  it('keeps the HTML report whole and inert', async () => {
    const { body: html } = await exportReport(db, q, casePath, bundle.hugeEventID, 'html', null);
    expectNoExecutableMarkup(html);
    const text = visibleText(html);
    expect(text).toContain('HUGE-FIELD-START');
    expect(text).toContain('HUGE-FIELD-END');
    expect(Buffer.byteLength(html)).toBeGreaterThan(2 * HUGE_FIELD_BYTES);
    expect(Buffer.byteLength(html)).toBeLessThan(12 * HUGE_FIELD_BYTES);
  });

  it('keeps the CSV report to its rows and the JSON report parseable', async () => {
    const small = parseCsv((await exportReport(db, q, casePath, bundle.events[0]!.eventID, 'csv', null)).body);
    const big = parseCsv((await exportReport(db, q, casePath, bundle.hugeEventID, 'csv', null)).body);
    // The same rows (per-file rows aside: the huge event's file is cited besides the AssumeRole's), three cells each.
    const keys = (rows: string[][]) => rows.filter((r) => r[0] === 'attribution' || r[0]!.startsWith('hop ') || r[0] === 'case').map((r) => r.slice(0, 2));
    expect(keys(big).length).toBeGreaterThan(ATTRIBUTION_COLUMNS.length);
    expect(keys(big)).toEqual(keys(small));
    expect(big.filter((r) => r[0] === 'evidence file').map((r) => r[1]!.split('/').pop())).toEqual(['hostile-1mib.jsonl.gz', 'hostile.jsonl']);
    for (const r of big) expect(r).toHaveLength(3);
    const json = JSON.parse((await exportReport(db, q, casePath, bundle.hugeEventID, 'json', null)).body) as { event: { raw: string } };
    expect((JSON.parse(json.event.raw) as { userAgent: string }).userAgent).toBe(hugeField());
  });
});
