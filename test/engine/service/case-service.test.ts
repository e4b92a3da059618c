import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseService } from '../../../electron/engine/service/case-service';
import { generateBundle } from '../../generator';
import type { EventPage, Histogram, PushEvents, TraceView } from '../../../shared/api';

let service: CaseService;
const pushes: { name: string; payload: unknown }[] = [];
let bundle: string;
const byTime = { column: 'eventTime', dir: 'asc' } as const;

async function ok<T>(name: string, input: unknown): Promise<T> {
  const r = await service.dispatch(name, input);
  if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.message}`);
  return r.value as T;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-service-'));
  bundle = generateBundle({ outDir: join(dir, 'bundle'), events: 3000, seed: 11 }).outDir;
  service = CaseService.open(join(dir, 'case.db'), (name, payload) => pushes.push({ name, payload }));
  await ok('ingest.start', { paths: [bundle] });
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (pushes.some((p) => p.name === 'ingest.done')) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
});

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

  it('counts the histogram over the same filters', async () => {
    const h = await ok<Histogram>('events.histogram', { filters: {}, buckets: 24 });
    const total = (await ok<EventPage>('events.query', { filters: {}, sort: byTime, offset: 0, limit: 1 })).total;
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(total);
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
