/**
 * Reports carry the detections: on a generated bundle with planted attacks (test/generator, `k8s: true`), the
 * report of every flagged event gives each flag with its reason (the `event_flags` detail) in the HTML, CSV and
 * JSON renderings, and the HTML report also shows the event's user agent, what else the same credential did
 * (event names with counts), which detections ran, and the examiner (the custody log's actor) beside the pinned
 * entry hash; each raw record is shown once. The same case gives the same bytes.
 */
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseQueries } from '../../../electron/engine/case/queries';
import { correlate } from '../../../electron/engine/chain/correlate';
import { readCustody } from '../../../electron/engine/custody/log';
import { openCase } from '../../../electron/engine/db/open';
import { ingestEvidence } from '../../../electron/engine/ingest/ingest';
import { ATTRIBUTION_COLUMNS, csvRow, neutralizeCell } from '../../../electron/engine/report/csv';
import { escapeHtml, revealInvisible } from '../../../electron/engine/report/escape';
import { exportReport } from '../../../electron/engine/report/export';
import type { ReportModel } from '../../../electron/engine/report/model';
import { FLAGS, type Flag, type FlagReason } from '../../../shared/attribution';
import { generateBundle } from '../../generator';
import { parseCsv } from '../../helpers/csv';
import { tempDir } from '../../helpers/evidence';
import { expectNoExecutableMarkup, visibleText } from './hostile-html';

let db: Database;
let q: CaseQueries;
let casePath: string;
/** One flagged event per detection that fired (eventID → its flags with reasons, from the case). */
const flagged = new Map<string, FlagReason[]>();

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;
const pretty = (raw: string) => JSON.stringify(JSON.parse(raw), null, 2);

beforeAll(async () => {
  const dir = tempDir('detections-report');
  const bundle = generateBundle({ outDir: join(dir, 'bundle'), events: 6000, seed: 5, k8s: true }).outDir;
  casePath = join(dir, 'case.db');
  db = openCase(casePath);
  await ingestEvidence(db, [bundle], { workers: 0 });
  correlate(db);
  q = new CaseQueries(db);
  const rows = db
    .prepare('SELECT e.event_id, f.flag, f.detail FROM event_flags f JOIN events e ON e.id = f.event_rowid WHERE e.variant = 0 ORDER BY e.event_ms, e.event_id, f.flag')
    .all() as { event_id: string; flag: Flag; detail: string }[];
  const byEvent = new Map<string, FlagReason[]>();
  for (const r of rows) byEvent.set(r.event_id, [...(byEvent.get(r.event_id) ?? []), { flag: r.flag, detail: r.detail }]);
  // The first event of each detection that fired, and the first event flagged twice if there is one.
  for (const kind of FLAGS) {
    const hit = [...byEvent].find(([, fs]) => fs.some((f) => f.flag === kind));
    if (hit) flagged.set(hit[0], hit[1]);
  }
  const twice = [...byEvent].find(([, fs]) => fs.length > 1);
  if (twice) flagged.set(twice[0], twice[1]);
}, 300_000);

afterAll(() => db?.close());

describe('detections in the reports (generated bundle with planted attacks)', () => {
  it('the planted attacks are flagged by several detections', () => {
    const kinds = new Set([...flagged.values()].flatMap((fs) => fs.map((f) => f.flag)));
    expect(kinds.size).toBeGreaterThanOrEqual(3);
  });

  it('JSON: every flag with its reason, and which detections ran', async () => {
    for (const [eventID, reasons] of flagged) {
      const m = JSON.parse((await exportReport(db, q, casePath, eventID, 'json', null)).body) as ReportModel;
      expect(m.flags, eventID).toEqual(reasons);
      expect(m.attribution.flags).toEqual(reasons.map((f) => f.flag));
      expect(m.attribution.flagReasons).toEqual(reasons);
      expect(m.detections).toEqual(FLAGS.map((flag) => ({ flag, raised: reasons.some((f) => f.flag === flag) })));
    }
  });

  it('CSV report: one row per flag with its reason, one per detection that ran, and the reasons in the attribution', async () => {
    for (const [eventID, reasons] of flagged) {
      const rows = parseCsv((await exportReport(db, q, casePath, eventID, 'csv', null)).body);
      for (const r of rows) expect(r).toHaveLength(3);
      expect(rows.filter((r) => r[0] === 'flag')).toEqual(reasons.map((f) => ['flag', f.flag, neutralizeCell(f.detail)]));
      expect(rows.filter((r) => r[0] === 'detection')).toEqual(FLAGS.map((flag) => ['detection', flag, reasons.some((f) => f.flag === flag) ? 'raised' : 'not raised']));
      const cell = rows.find((r) => r[0] === 'attribution' && r[1] === 'flagReasons')![2];
      expect(cell).toBe(neutralizeCell(reasons.map((f) => `${f.flag}: ${f.detail}`).join(' | ')));
    }
  });

  it('attribute CSV rows: every flag with its reason, on every event', () => {
    let rowsWithFlags = 0;
    for (const a of q.attributions()) {
      const row = parseCsv(csvRow(a))[0]!;
      expect(row).toHaveLength(ATTRIBUTION_COLUMNS.length);
      const reasons = a.flagReasons ?? [];
      expect(reasons.map((f) => f.flag)).toEqual(a.flags ?? []);
      expect(row[ATTRIBUTION_COLUMNS.indexOf('flagReasons')]).toBe(neutralizeCell(reasons.map((f) => `${f.flag}: ${f.detail}`).join(' | ')));
      if (reasons.length) rowsWithFlags++;
      const want = flagged.get(a.eventID);
      if (want) expect(reasons).toEqual(want);
    }
    expect(rowsWithFlags).toBeGreaterThanOrEqual(flagged.size);
  });

  it('HTML: the flags with their reasons, the user agent, the credential’s other calls, the detections that ran, the examiner', async () => {
    const ingest = readCustody(db).filter((e) => e.action === 'ingest').pop()!;
    for (const [eventID, reasons] of flagged) {
      const html = (await exportReport(db, q, casePath, eventID, 'html', null)).body;
      expectNoExecutableMarkup(html);
      const text = visibleText(html);
      for (const f of reasons) expect(text, eventID).toContain(`${f.flag}: ${revealInvisible(f.detail)}`);
      expect(text).toContain(`Flagged by ${reasons.length} detection`);
      for (const flag of FLAGS) expect(html).toContain(`<tr><td><code>${flag}</code></td><td>${reasons.some((f) => f.flag === flag) ? '<strong>raised</strong>' : 'not raised'}</td></tr>`);
      const t = q.trace(eventID)!;
      const ua = (JSON.parse(t.event!.raw) as { userAgent?: string }).userAgent;
      expect(ua, 'the generated records carry a user agent').toBeTruthy();
      expect(html).toContain(`<tr><th>User agent</th><td>${escapeHtml(ua)}</td></tr>`);
      // What else the credential did: counted here from the events themselves, not from the rollup.
      const subject = db.prepare('SELECT es.subject_id FROM events e JOIN event_subjects es ON es.event_rowid = e.id WHERE e.event_id = ? AND e.variant = 0').pluck().get(eventID);
      const calls = db
        .prepare(`SELECT e.event_source AS s, e.event_name AS n, COUNT(*) AS c FROM events e JOIN event_subjects es ON es.event_rowid = e.id
                  WHERE es.subject_id = ? GROUP BY e.event_source, e.event_name ORDER BY c DESC, e.event_name, e.event_source`)
        .all(subject) as { s: string; n: string; c: number }[];
      const total = calls.reduce((n, c) => n + c.c, 0);
      expect(text).toContain(`${total} event${total === 1 ? '' : 's'} in the case, this one included`);
      for (const c of calls.slice(0, 10)) expect(html).toContain(`<tr><td>${escapeHtml(c.n)} <span class="muted">${escapeHtml(c.s)}</span></td><td>${c.c}</td></tr>`);
      expect(text).toContain(`hash ${ingest.entryHash}, examiner ${ingest.actor}`);
    }
  });

  it('HTML: each raw record once, however many hops cite it', async () => {
    let repeated = 0;
    for (const eventID of flagged.keys()) {
      const t = q.trace(eventID)!;
      const html = (await exportReport(db, q, casePath, eventID, 'html', null)).body;
      const raws = [t.event!.raw, ...t.hops.flatMap((h) => h.records.map((r) => r.raw))];
      repeated += raws.length - new Set(raws).size;
      for (const raw of new Set(raws)) expect(occurrences(html, escapeHtml(pretty(raw))), eventID).toBe(1);
    }
    // Some record is cited more than once (the exchange by its key-issuance hop and its web-identity hop).
    expect(repeated).toBeGreaterThan(0);
  });

  it('the same report made twice is byte-identical, in every format', async () => {
    const [eventID] = flagged.keys();
    for (const format of ['html', 'json', 'csv'] as const) {
      const one = await exportReport(db, q, casePath, eventID!, format, null);
      const two = await exportReport(db, q, casePath, eventID!, format, null);
      expect(two.body, format).toBe(one.body);
    }
  });
});
