import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseService } from '../../../electron/engine/service/case-service';
import type { EventPage, Facets, Histogram, PushEvents, TraceView } from '../../../shared/api';
import Database from 'better-sqlite3';
import { histogramQuery } from '../../../electron/engine/service/event-query';
import { ingestedService, type ServiceHarness } from '../../helpers/service';

let service: CaseService;
let pushes: ServiceHarness['pushes'];
let ok: ServiceHarness['ok'];
let casePath: string;
/** A second, read-only connection to the case, to check the service's answers with plain SQL. */
const db = () => new Database(casePath, { readonly: true });
const byTime = { column: 'eventTime', dir: 'asc' } as const;

beforeAll(async () => {
  ({ service, pushes, ok, casePath } = await ingestedService('service', { events: 3000, seed: 11 }));
}, 120_000);

afterAll(() => service.close());

describe('CaseService (the engine behind the API table)', () => {
  it('ingests in the background and reports the result as a push event', () => {
    const done = pushes.find((p) => p.name === 'ingest.done')!.payload as PushEvents['ingest.done'];
    expect(done.ok).toBe(true);
    expect(done.newEvents).toBeGreaterThan(2500);
  });

  it('pages, filters and sorts in SQL, with the total of the filtered set', async () => {
    const all = await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 50 });
    const pods = await ok<EventPage>('events.query', { filters: { mechanism: 'pod-identity' }, sort: byTime, offset: 0, limit: 50 });
    expect(all.rows).toHaveLength(50);
    expect(pods.total).toBeLessThan(all.total);
    expect(pods.rows.every((r) => r.mechanism === 'pod-identity')).toBe(true);
    const desc = await ok<EventPage>('events.query', { filters: {}, sort: { column: 'eventTime', dir: 'desc' }, offset: 0, limit: 1 });
    expect(desc.rows[0]!.eventTime >= all.rows[49]!.eventTime).toBe(true);
  });

  it('lists the facet values of the events the table shows (from the rollup, as the event table holds them)', async () => {
    const facets = await ok<Facets>('events.facets', {});
    const sql = db();
    try {
      const values = (col: string) =>
        sql.prepare(`SELECT DISTINCT e.${col} FROM events e JOIN event_subjects es ON es.event_rowid = e.id WHERE e.${col} IS NOT NULL AND e.${col} != '' ORDER BY 1`).pluck().all();
      expect(facets.accounts).toEqual(values('recipient_account_id'));
      expect(facets.regions).toEqual(values('aws_region'));
      expect(facets.eventSources).toEqual(values('event_source'));
      expect(facets.eventSources.length).toBeGreaterThan(3);
    } finally {
      sql.close();
    }
  });

  it('counts the histogram over the same filters', async () => {
    const h = await ok<Histogram>('events.histogram', { filters: {}, buckets: 24 });
    const total = (await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 1 })).total;
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(total);
    // Counted in slices, bucket for bucket what one query over the whole range gives.
    const ro = db();
    // Without a time range the slices are row-id ranges, with one they are buckets: both must add up to the same.
    const region = (ro.prepare('SELECT aws_region FROM events LIMIT 1').pluck().get() as string) ?? 'us-east-1';
    const cases = [{}, { mechanism: 'irsa' as const }, { region }, { region, errorCode: 'none' }, { fromMs: h.fromMs + 7 * h.bucketMs + 500, toMs: h.fromMs + 19 * h.bucketMs }];
    for (const filters of cases) {
      const sliced = await ok<Histogram>('events.histogram', { filters, buckets: 37 });
      const whole = histogramQuery(filters, sliced.fromMs, sliced.bucketMs);
      const expected = new Array<number>(sliced.counts.length).fill(0);
      for (const r of ro.prepare(whole.sql).all(...whole.params) as { bucket: number; n: number }[]) expected[r.bucket] = r.n;
      expect(sliced.counts).toEqual(expected);
    }
    ro.close();
  });

  it('stops a histogram when a newer one is asked for (the timeline only shows the latest)', async () => {
    const [older, newer] = await Promise.all([
      service.dispatch('events.histogram', { filters: {}, buckets: 100 }),
      service.dispatch('events.histogram', { filters: { mechanism: 'irsa' }, buckets: 100 }),
    ]);
    expect(older).toMatchObject({ ok: false, error: { code: 'superseded' } });
    expect(newer).toMatchObject({ ok: true });
  });

  it('answers a table page asked for while a histogram is being counted before the histogram', async () => {
    const order: string[] = [];
    const histogram = service.dispatch('events.histogram', { filters: {}, buckets: 200 }).then(() => order.push('histogram'));
    const page = service.dispatch('events.query', { filters: {}, sort: byTime, offset: 0, limit: 50 }).then(() => order.push('page'));
    await Promise.all([histogram, page]);
    expect(order).toEqual(['page', 'histogram']);
  });

  it('locates a pasted eventID at its offset', async () => {
    const page = await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 120, limit: 1 });
    const loc = await ok<{ offset: number | null }>('events.locate', {
      text: ` ${page.rows[0]!.eventID} `,
      query: { filters: {}, sort: byTime, offset: 0, limit: 50 },
    });
    expect(loc.offset).toBe(120);
  });

  it('traces an event and expands a pod to its blast radius', async () => {
    const page = await ok<EventPage>('events.query', { filters: { mechanism: 'pod-identity' }, sort: byTime, offset: 0, limit: 1 });
    const row = page.rows[0]!;
    const trace = await ok<TraceView>('trace.get', { target: row.eventID });
    expect(trace.attribution?.pod?.name).toBe(row.pod);
    expect(trace.hops.length).toBeGreaterThan(0);
    const blast = await ok<EventPage>('blast.radius', { kind: 'pod', value: row.pod!, limit: 10 });
    expect(blast.total).toBeGreaterThanOrEqual(1);
    expect(blast.rows.every((r) => r.pod === row.pod)).toBe(true);
    // The same rows and total as the table filtered to that pod; an empty value matches nothing, not everything.
    const table = await ok<EventPage>('events.query', { filters: { pod: row.pod! }, sort: byTime, offset: 0, limit: 10 });
    expect(blast).toEqual(table);
    for (const q of [{ kind: 'pod', value: '' }, { kind: 'serviceAccount', value: 'no-slash' }, { kind: 'serviceAccount', value: '/sa' }]) {
      expect(await ok<EventPage>('blast.radius', { ...q, limit: 10 })).toEqual({ total: 0, rows: [] });
    }
  });

  it('exports the report of an event', async () => {
    const page = await ok<EventPage>('events.query', { filters: { mechanism: 'pod-identity' }, sort: byTime, offset: 0, limit: 1 });
    const file = await ok<{ filename: string; body: string }>('report.export', { eventID: page.rows[0]!.eventID, format: 'html' });
    expect(file.filename).toMatch(/\.html$/);
    expect(file.body).toContain(page.rows[0]!.pod!);
  });

  it('refuses bad input and unknown methods with a result, not an exception', async () => {
    expect(await service.dispatch('events.query', { filters: {}, sort: byTime, offset: -1, limit: 10 })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(await service.dispatch('db.exec', { sql: 'DROP TABLE events' })).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    expect(await service.dispatch('report.export', { eventID: 'nope', format: 'html' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });
});
