/**
 * The case summary (`case.summary`, the header's figures): read from the time index and the rollup, not from every
 * event (it took ~8 s at 10M events), and equal to what a count over every event gives. Its time range is the first
 * and last event in time, in UTC, also where records write other zones (the least text is then not the first time);
 * so are the evidence coverage's per account and region, and a case report's per session.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseService } from '../../../electron/engine/service/case-service';
import type { CaseSummary, CoverageView, ReportFile } from '../../../shared/api';
import { apiRecord, trailJson } from '../../helpers/evidence';
import { ingestDone, ingestedService, type ServiceHarness } from '../../helpers/service';

let h: ServiceHarness;
let service: CaseService;

beforeAll(async () => {
  h = await ingestedService('summary', { events: 3000, seed: 41, k8s: true });
  service = h.service;
}, 120_000);

afterAll(() => service.close());

/** The figures counted over every event, the way the summary once was. */
function counted(): { first: string; last: string; byMechanism: Record<string, number> } {
  const db = new Database(h.casePath, { readonly: true });
  try {
    const times = (db.prepare('SELECT event_time FROM events').pluck().all() as string[]).map((t) => Date.parse(t));
    const byMechanism = Object.fromEntries(
      db.prepare('SELECT s.mechanism, COUNT(*) FROM event_subjects es JOIN subjects s ON s.id = es.subject_id GROUP BY s.mechanism').raw(true).all() as [string, number][],
    );
    return { first: new Date(Math.min(...times)).toISOString(), last: new Date(Math.max(...times)).toISOString(), byMechanism };
  } finally {
    db.close();
  }
}

const asIso = (t: string | null) => (t === null ? null : new Date(t).toISOString());

describe('the case summary', () => {
  it('gives the counts a scan of every event gives, and the first and last event in time', async () => {
    const summary = await h.ok<CaseSummary>('case.summary', {});
    const want = counted();
    expect(summary.byMechanism).toEqual(want.byMechanism);
    expect(Object.keys(summary.byMechanism).length).toBeGreaterThanOrEqual(3);
    expect(asIso(summary.firstEventTime)).toBe(want.first);
    expect(asIso(summary.lastEventTime)).toBe(want.last);
    expect(summary.firstEventTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
  });

  it('orders times by instant, not by their text, when records write other zones; and follows added evidence', async () => {
    const before = await h.ok<CaseSummary>('case.summary', {});
    const first = Date.parse(before.firstEventTime!);
    const last = Date.parse(before.lastEventTime!);
    // Written in UTC−10 and UTC+14: the earlier text is the later instant, and the reverse.
    const local = (ms: number, hours: number) => {
      const d = new Date(ms + hours * 3_600_000).toISOString().slice(0, 19);
      return `${d}${hours < 0 ? '-' : '+'}${String(Math.abs(hours)).padStart(2, '0')}:00`;
    };
    const early = first - 60_000; // a minute before the first event, written in UTC+14 (a text that sorts late)
    const late = last + 60_000; // a minute after the last, in UTC−10 (a text that sorts early)
    const file = join(h.casePath, '..', 'zones.json');
    writeFileSync(
      file,
      trailJson([
        apiRecord('5e5e5e5e-0000-4000-8000-000000000001', { eventTime: local(early, 14) }),
        apiRecord('5e5e5e5e-0000-4000-8000-000000000002', { eventTime: local(late, -10) }),
      ]),
    );
    h.pushes.length = 0;
    await h.ok('ingest.start', { paths: [file] });
    await ingestDone(h.pushes);
    const after = await h.ok<CaseSummary>('case.summary', {});
    expect(after.events).toBe(before.events + 2);
    expect(Date.parse(after.firstEventTime!)).toBe(early);
    expect(Date.parse(after.lastEventTime!)).toBe(late);
    expect(asIso(after.firstEventTime)).toBe(counted().first);
    expect(asIso(after.lastEventTime)).toBe(counted().last);
    expect(after.byMechanism).toEqual(counted().byMechanism);
    // The coverage of their account and region, and the report of their key's session: the same instants.
    const db = new Database(h.casePath, { readonly: true });
    const times = (db.prepare("SELECT event_time FROM events WHERE recipient_account_id = '111122223333' AND aws_region = 'us-east-1'").pluck().all() as string[]).map(Date.parse);
    db.close();
    const coverage = await h.ok<CoverageView>('evidence.coverage', {});
    const row = coverage.cloudtrail.find((r) => r.account === '111122223333' && r.region === 'us-east-1')!;
    expect([Date.parse(row.first), Date.parse(row.last)]).toEqual([Math.min(...times), Math.max(...times)]);
    expect(Date.parse(row.first)).toBeLessThanOrEqual(early);
    expect(row.last).toMatch(/Z$/);
    const report = await h.ok<ReportFile>('report.case', { events: [], keys: ['AKIAEXAMPLEKEY00001'], format: 'json' });
    const session = (JSON.parse(report.body) as { sessions: { accessKeyId: string; first: string; last: string }[] }).sessions[0]!;
    expect(session.accessKeyId).toBe('AKIAEXAMPLEKEY00001');
    expect([session.first, session.last]).toEqual([new Date(early).toISOString().replace('.000Z', 'Z'), new Date(late).toISOString().replace('.000Z', 'Z')]);
  });
});
