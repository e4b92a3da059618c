import { describe, expect, it, vi } from 'vitest';
import { ApiError, createClient, type Transport } from '../../../renderer/src/api/client';
import { httpTransport, electronTransport } from '../../../renderer/src/api/transports';
import { splitToken, takeToken, TOKEN_KEY } from '../../../renderer/src/api/token';
import type { ApiResult } from '../../../shared/api';

function fakeTransport(result: ApiResult<unknown> | Error) {
  const pushListeners = new Set<(name: string, payload: unknown) => void>();
  const calls: [string, unknown][] = [];
  const t: Transport & { push(name: string, payload: unknown): void; subscriptions: () => number } = {
    call: async (name, input) => {
      calls.push([name, input]);
      if (result instanceof Error) throw result;
      return result;
    },
    subscribe: (l) => {
      pushListeners.add(l);
      return () => pushListeners.delete(l);
    },
    push: (name, payload) => pushListeners.forEach((l) => l(name, payload)),
    subscriptions: () => pushListeners.size,
  };
  return { t, calls };
}

describe('createClient', () => {
  it('returns the value of an ok result', async () => {
    const { t, calls } = fakeTransport({ ok: true, value: { total: 3, rows: [] } });
    const page = await createClient(t).call('events.query', { filters: {}, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 10 });
    expect(page.total).toBe(3);
    expect(calls[0]![0]).toBe('events.query');
  });

  it('throws an ApiError carrying the code and message of a failed result', async () => {
    const { t } = fakeTransport({ ok: false, error: { code: 'not-found', message: 'no event nope' } });
    const err = await createClient(t).call('trace.get', { target: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'not-found', message: 'no event nope', method: 'trace.get' });
  });

  it('reports a transport that cannot deliver as unavailable', async () => {
    const { t } = fakeTransport(new Error('connection refused'));
    await expect(createClient(t).call('case.summary', {})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('fans push events out by name over one subscription, closed with the last listener', () => {
    const { t } = fakeTransport({ ok: true, value: null });
    const c = createClient(t);
    const progress = vi.fn();
    const done = vi.fn();
    const off1 = c.on('ingest.progress', progress);
    const off2 = c.on('ingest.done', done);
    expect(t.subscriptions()).toBe(1);
    t.push('ingest.progress', { jobId: 1 });
    expect(progress).toHaveBeenCalledWith({ jobId: 1 });
    expect(done).not.toHaveBeenCalled();
    off1();
    off2();
    expect(t.subscriptions()).toBe(0);
  });
});

describe('httpTransport', () => {
  it('POSTs the input to /api/<name> with the bearer token and returns the result body', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ ok: true, value: 42 }), { status: 200 }));
    const t = httpTransport({ token: 'tok', fetch: fetch as unknown as typeof globalThis.fetch, EventSource: class {} as never });
    expect(await t.call('case.summary', {})).toEqual({ ok: true, value: 42 });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/case.summary');
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(init.body).toBe('{}');
  });

  it('turns a non-result response into a failed result', async () => {
    const fetch = async () => new Response('missing or wrong access token', { status: 401 });
    const r = await httpTransport({ token: 't', fetch: fetch as typeof globalThis.fetch, EventSource: class {} as never }).call('case.summary', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(!r.ok && r.error.message).toContain('access token');
  });

  it('subscribes to the push events over SSE with the token in the URL', () => {
    const created: { url: string; handlers: Map<string, (e: Event) => void>; closed: boolean }[] = [];
    class FakeES {
      handlers = new Map<string, (e: Event) => void>();
      closed = false;
      constructor(readonly url: string) {
        created.push(this);
      }
      addEventListener(name: string, h: (e: Event) => void) {
        this.handlers.set(name, h);
      }
      close() {
        this.closed = true;
      }
    }
    const got: [string, unknown][] = [];
    const off = httpTransport({ token: 'a b', EventSource: FakeES as never }).subscribe((n, p) => got.push([n, p]));
    expect(created[0]!.url).toBe('/api/events?token=a%20b');
    created[0]!.handlers.get('ingest.done')!({ data: '{"jobId":7}' } as MessageEvent);
    created[0]!.handlers.get('ingest.progress')!({ data: 'not json' } as MessageEvent);
    expect(got).toEqual([['ingest.done', { jobId: 7 }]]);
    off();
    expect(created[0]!.closed).toBe(true);
  });
});

describe('electronTransport', () => {
  it('passes calls and pushes through the preload bridge', async () => {
    const bridge = { call: vi.fn(async () => ({ ok: true as const, value: 1 })), onPush: vi.fn(() => () => {}) };
    const t = electronTransport(bridge);
    expect(await t.call('case.summary', {})).toEqual({ ok: true, value: 1 });
    t.subscribe(() => {});
    expect(bridge.onPush).toHaveBeenCalledOnce();
  });
});

describe('access token', () => {
  it('takes the token out of the URL', () => {
    expect(splitToken('http://127.0.0.1:5000/?token=abc&x=1#h')).toEqual({ token: 'abc', cleanHref: 'http://127.0.0.1:5000/?x=1#h' });
    expect(splitToken('http://127.0.0.1:5000/')).toEqual({ token: null, cleanHref: 'http://127.0.0.1:5000/' });
  });

  it('keeps it in sessionStorage and removes it from the address bar', () => {
    const store = new Map<string, string>();
    const replaced: string[] = [];
    const w = {
      location: { href: 'http://127.0.0.1:5000/?token=s3cret' },
      sessionStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
      history: { state: null, replaceState: (_s: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)) },
    };
    expect(takeToken(w)).toBe('s3cret');
    expect(store.get(TOKEN_KEY)).toBe('s3cret');
    expect(replaced).toEqual(['http://127.0.0.1:5000/']);
    // After a reload the URL is clean: the token comes from the session.
    w.location.href = 'http://127.0.0.1:5000/';
    expect(takeToken(w)).toBe('s3cret');
    expect(replaced).toHaveLength(1);
  });
});
