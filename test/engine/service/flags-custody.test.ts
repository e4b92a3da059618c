/**
 * Detections and the custody log through the API table: flagged events are counted in the summary, marked on
 * their rows, filterable (any or one kind), explained in the trace; the custody log lists the ingest and exports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseService } from '../../../electron/engine/service/case-service';
import type { CaseSummary, CustodyLog, EventPage, PushEvents, TraceView } from '../../../shared/api';
import type { Flag } from '../../../shared/attribution';
import { ingestedService, type ServiceHarness } from '../../helpers/service';

let service: CaseService;
let pushes: ServiceHarness['pushes'];
let ok: ServiceHarness['ok'];
const byTime = { column: 'eventTime', dir: 'asc' } as const;

beforeAll(async () => {
  ({ service, pushes, ok } = await ingestedService('flags', { events: 6000, seed: 5, k8s: true }));
  expect((pushes.find((p) => p.name === 'ingest.done')!.payload as PushEvents['ingest.done']).ok).toBe(true);
}, 120_000);

afterAll(() => service.close());

describe('detections through the API', () => {
  it('the summary counts flagged events per detection; the flag filter returns exactly the flagged rows', async () => {
    const summary = await ok<CaseSummary>('case.summary', {});
    const kinds = Object.keys(summary.byFlag) as Flag[];
    expect(kinds.length).toBeGreaterThanOrEqual(3);
    const any = await ok<EventPage>('events.query', { filters: { flag: 'any' }, sort: byTime, offset: 0, limit: 1000 });
    expect(any.total).toBe(any.rows.length);
    expect(any.rows.every((r) => r.flags.length > 0)).toBe(true);
    expect(any.total).toBeLessThanOrEqual(Object.values(summary.byFlag).reduce((s, n) => s + n!, 0));
    for (const kind of kinds) {
      const one = await ok<EventPage>('events.query', { filters: { flag: kind }, sort: byTime, offset: 0, limit: 1000 });
      expect(one.total).toBe(summary.byFlag[kind]);
      expect(one.rows.every((r) => r.flags.includes(kind))).toBe(true);
    }
    const unflagged = await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 200 });
    expect(unflagged.rows.filter((r) => r.flags.length > 0).length).toBeLessThan(unflagged.rows.length);
  });

  it('the trace of a flagged event gives each detection with its reason', async () => {
    const any = await ok<EventPage>('events.query', { filters: { flag: 'any' }, sort: byTime, offset: 0, limit: 1 });
    const row = any.rows[0]!;
    const trace = await ok<TraceView>('trace.get', { target: row.eventID });
    expect(trace.flags.map((f) => f.flag).sort()).toEqual(row.flags);
    for (const f of trace.flags) expect(f.detail.length).toBeGreaterThan(20);
  });

  it('refuses an unknown detection name', async () => {
    const r = await service.dispatch('events.query', { filters: { flag: 'not-a-flag' }, sort: byTime, offset: 0, limit: 1 });
    expect(r.ok).toBe(false);
  });
});

describe('custody log through the API', () => {
  it('lists the ingest and each report export, chain intact', async () => {
    const page = await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 1 });
    await ok('report.export', { eventID: page.rows[0]!.eventID, format: 'json' });
    const log = await ok<CustodyLog>('custody.log', {});
    expect(log.entries.map((e) => e.action)).toEqual(['case-created', 'ingest', 'export']);
    expect(log.entries[2]!.details).toMatchObject({ eventID: page.rows[0]!.eventID, format: 'json' });
    expect(log.check).toEqual({ ok: true, problems: [] });
  });
});
