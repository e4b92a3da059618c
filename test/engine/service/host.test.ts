/**
 * EngineHost: the engine in a worker thread, and the timeline's histogram on a second, read-only worker (started
 * once the engine has opened the case). Needs the compiled workers (`npm run build`).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost, readerAnswers } from '../../../electron/engine/service/host';
import { CaseService } from '../../../electron/engine/service/case-service';
import type { ApiResult, EventPage, Histogram } from '../../../shared/api';
import { ingestedService } from '../../helpers/service';
import { tempDir } from '../../helpers/evidence';

let casePath: string;
let host: EngineHost;
const value = <T>(r: ApiResult<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
};

beforeAll(async () => {
  const h = await ingestedService('host', { events: 3000, seed: 4 });
  casePath = h.casePath;
  h.service.close();
  host = EngineHost.start(casePath);
}, 120_000);

afterAll(async () => {
  await host.close();
});

describe('EngineHost', () => {
  it('answers the histogram from the reader with the counts the engine itself gives', async () => {
    const direct = CaseService.open(casePath);
    for (const filters of [{}, { mechanism: 'irsa' as const }, { region: 'us-east-1', errorCode: 'any' as const }]) {
      const viaHost = value<Histogram>(await host.call('events.histogram', { filters, buckets: 50 }));
      expect(viaHost).toEqual(value<Histogram>(await direct.dispatch('events.histogram', { filters, buckets: 50 })));
      const total = value<EventPage>(await host.call('events.query', { filters, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 1 })).total;
      expect(viaHost.counts.reduce((a, b) => a + b, 0)).toBe(total);
    }
    direct.close();
  });

  it('answers a table page that searches from the reader (its hits found once there), as the engine does', async () => {
    const byTime = { column: 'eventTime', dir: 'asc' } as const;
    expect(readerAnswers('events.query', { filters: { search: 'GetObject' }, sort: byTime, offset: 0, limit: 1 })).toBe(true);
    // A filtered page sorted by time too (the columns find a rare value's rows); not an unfiltered one, nor another sort.
    expect(readerAnswers('events.query', { filters: { search: '  ', region: 'us-east-1' }, sort: byTime, offset: 0, limit: 1 })).toBe(true);
    expect(readerAnswers('events.query', { filters: { search: '  ' }, sort: byTime, offset: 0, limit: 1 })).toBe(false);
    expect(readerAnswers('events.query', { filters: { region: 'us-east-1' }, sort: { column: 'eventName', dir: 'asc' }, offset: 0, limit: 1 })).toBe(false);
    const direct = CaseService.open(casePath);
    for (const filters of [{ search: 'GetObject' }, { search: 'amazonaws', region: 'us-east-1' }, { search: 'eventName:Get* s3' }, { search: '--' }, { region: 'us-east-1' }, { mechanism: 'irsa' as const, errorCode: 'none' as const }]) {
      for (const offset of [0, 20]) {
        const q = { filters, sort: byTime, offset, limit: 30 };
        const viaHost = value<EventPage>(await host.call('events.query', q));
        expect(viaHost).toEqual(value<EventPage>(await direct.dispatch('events.query', q)));
        const h = value<Histogram>(await host.call('events.histogram', { filters, buckets: 40 }));
        expect(h.counts.reduce((a, b) => a + b, 0)).toBe(viaHost.total);
      }
    }
    direct.close();
  });

  it('checks the histogram input, and stops an older histogram for a newer one', async () => {
    expect(await host.call('events.histogram', { filters: {}, buckets: -1 })).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    // Several histograms asked for at once (a user dragging the brush): the newest is answered, and older ones still
    // counting when a newer one arrives are stopped. Asked of a host just started, whose reader is still starting
    // (loading its code, opening the case), so that they wait together: with its columns in memory, a reader that
    // runs already may answer each before the next arrives (this 3,000-event case's histogram takes a millisecond).
    // At least one of the older ones, not necessarily the first, is superseded.
    const fresh = EngineHost.start(casePath);
    try {
      const results = await Promise.all([
        ...Array.from({ length: 6 }, () => fresh.call('events.histogram', { filters: {}, buckets: 1000 })),
        fresh.call('events.histogram', { filters: { mechanism: 'irsa' }, buckets: 200 }),
      ]);
      const newer = results.pop()!;
      expect(newer.ok).toBe(true);
      expect(results.some((r) => !r.ok && r.error.code === 'superseded')).toBe(true);
      for (const r of results) expect(r.ok || r.error.code === 'superseded').toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('refuses an input nested too deep before it crosses to a worker, and never leaves a call in pending (issue 12)', async () => {
    const pending = (host as unknown as { pending: Map<number, unknown> }).pending;
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    for (const name of ['events.query', 'events.histogram', 'case.summary']) {
      expect(await host.call(name, { filters: deep, buckets: 10 })).toEqual({
        ok: false,
        error: { code: 'bad-input', message: `${name}: input nested deeper than 32 levels` },
      });
    }
    expect(pending.size).toBe(0);
    // Whatever makes postMessage throw, the call is answered and its entry removed.
    const other = EngineHost.start(casePath);
    const worker = (other as unknown as { worker: { postMessage: (m: unknown) => void } }).worker;
    worker.postMessage = () => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    expect(await other.call('case.summary', {})).toMatchObject({ ok: false, error: { code: 'bad-input', message: /cannot be sent to the engine: Maximum call stack/ } });
    expect((other as unknown as { pending: Map<number, unknown> }).pending.size).toBe(0);
    delete (worker as { postMessage?: unknown }).postMessage; // back to the prototype's, to close
    await other.close();
    expect((await host.call('case.summary', {})).ok).toBe(true);
  });

  it('on a case it cannot open, fails every call (the histogram too) instead of leaving it waiting', async () => {
    const bad = EngineHost.start(join(tempDir('host-bad'), 'not-a-dir', 'case.db'));
    const r = await bad.call('events.histogram', { filters: {}, buckets: 10 });
    expect(r).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(await bad.call('case.summary', {})).toMatchObject({ ok: false, error: { code: 'internal' } });
    await bad.close();
  });
});
