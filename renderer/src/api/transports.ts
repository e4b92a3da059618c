/**
 * The two transports behind the client. Electron: the preload's `window.podtrail`. Browser mode: the loopback
 * server of `podtrail serve` — `POST /api/<name>` with the bearer token, push events over Server-Sent Events.
 */
import type { ApiResult, PushName } from '../../../shared/api';
import type { PodtrailBridge } from './bridge';
import type { Transport } from './client';

/** Every push event name, checked against the API table at compile time (see PushNamesComplete). */
export const PUSH_NAMES = ['ingest.progress', 'ingest.done'] as const satisfies readonly PushName[];
type PushNamesComplete = Exclude<PushName, (typeof PUSH_NAMES)[number]> extends never ? true : never;
export const pushNamesComplete: PushNamesComplete = true;

export function electronTransport(bridge: PodtrailBridge): Transport {
  return {
    call: (name, input) => bridge.call(name, input),
    subscribe: (listener) => bridge.onPush(listener),
  };
}

export interface HttpTransportOptions {
  token: string;
  /** Origin-relative prefix of the API (default `/api`). */
  base?: string;
  fetch?: typeof fetch;
  EventSource?: new (url: string) => Pick<EventSource, 'addEventListener' | 'close'>;
}

function failure(message: string): ApiResult<never> {
  return { ok: false, error: { code: 'internal', message } };
}

function isApiResult(v: unknown): v is ApiResult<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

export function httpTransport(opts: HttpTransportOptions): Transport {
  const base = opts.base ?? '/api';
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const ES = opts.EventSource ?? EventSource;
  return {
    async call(name, input) {
      const res = await doFetch(`${base}/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${opts.token}` },
        body: JSON.stringify(input ?? {}),
        cache: 'no-store',
      });
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: reported below with the status
      }
      if (isApiResult(body)) return body;
      if (res.status === 401) return failure('the access token is missing or wrong: open the URL that `podtrail serve` printed');
      return failure(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    },
    subscribe(listener) {
      const source = new ES(`${base}/events?token=${encodeURIComponent(opts.token)}`);
      for (const name of PUSH_NAMES) {
        source.addEventListener(name, (e: Event) => {
          try {
            listener(name, JSON.parse((e as MessageEvent<string>).data));
          } catch {
            // a malformed message is dropped, never shown
          }
        });
      }
      return () => source.close();
    },
  };
}
