/**
 * Issue 12, item 7: characters XML forbids (U+FFFE, U+FFFF, lone surrogates, C0 controls) and the invisible ones
 * (U+202E…) are written visibly in every report a person reads: HTML (and so the PDF), CSV, `trace`, and the JSON
 * report, where they become JSON escapes so that a parser still gets the exact value (the raw record included).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { correlate } from '../../../electron/engine/chain/correlate';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { exportReport } from '../../../electron/engine/report/export';
import { traceText } from '../../../electron/engine/report/text';
import { escapeInvisibleInJson, revealInvisible } from '../../../shared/invisible';
import { apiRecord, tempDir } from '../../helpers/evidence';

/** Code points outside XML 1.0's `Char` production (a lone surrogate is one too). */
export function xmlForbidden(text: string): string[] {
  const bad: string[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const ok = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
    if (!ok) bad.push(`U+${c.toString(16).toUpperCase()}`);
  }
  return bad;
}

/** What no report may carry raw where a person reads it. */
const RAW = /[\u0001\u202e\ufffe\uffff\ud800-\udfff\u{10fffe}]/u;

let db: Database;
let q: CaseQueries;
let casePath: string;
let rawRecord: string;
const ID = 'xml-forbidden-1';

beforeAll(async () => {
  const dir = tempDir('xml-forbidden');
  // Written with JSON escapes, as an attacker's record would be: `\ud800` is a lone surrogate once parsed.
  const record = apiRecord(ID, { eventName: 'GetObject\ufffe\uffff', userAgent: 'aws-cli\u202Efdp.exe\u0001' });
  rawRecord = JSON.stringify(record).replace('aws-cli', 'aws-cli\\ud800\\udbff\\udfff\\u{10fffe}'.replace('\\u{10fffe}', '\\udbff\\udffe'));
  writeFileSync(join(dir, 'x.jsonl'), rawRecord + '\n');
  casePath = join(dir, 'case.db');
  db = openCase(casePath);
  const summary = await ingestEvidence(db, [join(dir, 'x.jsonl')], { workers: 0 });
  expect(summary.files.map((f) => f.status)).toEqual(['loaded']);
  correlate(db);
  q = new CaseQueries(db);
});

afterAll(() => db?.close());

describe('characters XML forbids, and invisible ones, in reports (issue 12)', () => {
  it('the evidence holds them raw', () => {
    const t = q.trace(ID)!;
    expect(t.event!.eventName).toBe('GetObject\ufffe\uffff');
    expect(t.event!.raw).toMatch(RAW);
  });

  it('HTML: shown as \\u{…}, and the document has no character XML forbids', async () => {
    const { body } = await exportReport(db, q, casePath, ID, 'html', null);
    expect(xmlForbidden(body)).toEqual([]);
    expect(body).not.toMatch(RAW);
    expect(body).toContain('GetObject\\u{fffe}\\u{ffff}');
    expect(body).toContain('\\u{202e}');
  });

  it('CSV and trace: shown as \\u{…}', async () => {
    const { body } = await exportReport(db, q, casePath, ID, 'csv', null);
    expect(body).not.toMatch(RAW);
    expect(body).toContain('GetObject\\u{fffe}\\u{ffff}');
    const text = traceText(q.trace(ID)!);
    expect(text).not.toMatch(RAW);
    expect(text).toContain('GetObject\\u{fffe}\\u{ffff}');
  });

  it('JSON: written as JSON escapes, so a reader sees them and a parser gets the exact values and raw record back', async () => {
    const { body } = await exportReport(db, q, casePath, ID, 'json', null);
    expect(body).not.toMatch(RAW);
    expect(body).toContain('"eventName": "GetObject\\ufffe\\uffff"');
    expect(body).toContain('\\u202e');
    const model = JSON.parse(body) as { event: { eventName: string; raw: string; userAgent: string } };
    expect(model.event.eventName).toBe('GetObject\ufffe\uffff');
    expect(model.event.raw).toBe(q.trace(ID)!.event!.raw);
    expect(model.event.userAgent).toContain('\u202e');
  });
});

describe('revealInvisible and escapeInvisibleInJson', () => {
  it('cover XML 1.0 Char: after revealInvisible nothing XML forbids is left, whatever the code point', () => {
    let all = '';
    for (let c = 0; c <= 0xffff; c++) all += String.fromCharCode(c); // every BMP code unit, lone surrogates included
    for (let p = 1; p <= 16; p++) all += String.fromCodePoint(p * 0x10000 + 0xfffe, p * 0x10000 + 0xffff, p * 0x10000);
    expect(xmlForbidden(all).length).toBeGreaterThan(2000);
    expect(xmlForbidden(revealInvisible(all))).toEqual([]);
    // A surrogate pair is one character, kept as it is.
    expect(revealInvisible('\u{1f600}')).toBe('\u{1f600}');
    expect(revealInvisible('a\ud83d')).toBe('a\\u{d83d}');
  });

  it('escapes in JSON text losslessly', () => {
    const value = { s: 'a\u202eb\ufffe\u{e0041}\u{10ffff}\u{1f600}', raw: '{"x":"\u0001\u2028"}' };
    const json = escapeInvisibleInJson(JSON.stringify(value, null, 2));
    expect(json).not.toMatch(/[\u202e\ufffe\u{e0041}\u{10ffff}\u2028]/u);
    expect(json).toContain('\\u202e');
    expect(json).toContain('\\udb40\\udc41');
    expect(json).toContain('\u{1f600}');
    expect(JSON.parse(json)).toEqual(value);
  });
});
