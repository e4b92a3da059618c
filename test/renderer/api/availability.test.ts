/**
 * The client says when the engine stops answering (issue 17 part 5): a call the transport cannot deliver is an
 * `unavailable` error in words an examiner reads (never the transport's "Failed to fetch"), and availability
 * listeners hear `false` once, then `true` with the next answered call.
 */
import { describe, expect, it } from 'vitest';
import { ApiError, createClient, UNAVAILABLE_TEXT, type Transport } from '../../../renderer/src/api/client';

function switchable() {
  let down = false;
  const t: Transport = {
    call: async () => {
      if (down) throw new TypeError('Failed to fetch');
      return { ok: true, value: { events: 1 } };
    },
    subscribe: () => () => {},
  };
  return { t, set: (d: boolean) => (down = d) };
}

describe('client availability', () => {
  it('an undeliverable call: unavailable, in words, with the transport error kept as its cause', async () => {
    const s = switchable();
    s.set(true);
    const err = (await createClient(s.t).call('case.summary', {}).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('unavailable');
    expect(err.message).toBe(UNAVAILABLE_TEXT);
    expect(err.message).not.toContain('Failed to fetch');
    expect((err as { cause?: Error }).cause?.message).toBe('Failed to fetch');
  });

  it('listeners hear down once while calls keep failing, and up with the first answer', async () => {
    const s = switchable();
    const c = createClient(s.t);
    const heard: [boolean, string | null][] = [];
    const off = c.onAvailability((up, e) => heard.push([up, e?.code ?? null]));
    await c.call('case.summary', {});
    expect(heard).toEqual([]);
    s.set(true);
    await c.call('case.summary', {}).catch(() => {});
    await c.call('events.facets', {}).catch(() => {});
    expect(heard).toEqual([[false, 'unavailable']]);
    s.set(false);
    await c.call('case.summary', {});
    expect(heard).toEqual([[false, 'unavailable'], [true, null]]);
    off();
    s.set(true);
    await c.call('case.summary', {}).catch(() => {});
    expect(heard).toHaveLength(2);
  });

  it('an answered failure (not found) is not "unavailable"', async () => {
    const t: Transport = { call: async () => ({ ok: false, error: { code: 'not-found', message: 'no such event' } }), subscribe: () => () => {} };
    const c = createClient(t);
    const heard: boolean[] = [];
    c.onAvailability((up) => heard.push(up));
    await c.call('trace.get', { target: 'x' }).catch(() => {});
    expect(heard).toEqual([]);
  });
});
