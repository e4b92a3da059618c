/**
 * The renderer's only door to the engine: typed calls and push subscriptions derived from the API table
 * (shared/api.ts), over whichever transport start-up picked (Electron IPC or loopback HTTP). Nothing else in the
 * UI knows which one it is.
 *
 * Only types are imported from shared/api: its runtime half is zod, which the renderer does not need (the
 * engine validates every input) and whose eval probe a `script-src 'self'` page should not run.
 */
import type { ApiErrorCode, ApiInput, ApiName, ApiOutput, ApiResult, PushEvents, PushName } from '../../../shared/api';

export interface Transport {
  call(name: string, input: unknown): Promise<ApiResult<unknown>>;
  subscribe(listener: (name: string, payload: unknown) => void): () => void;
}

/** An `{ok:false}` result, or a transport that could not deliver the call ('unavailable'). */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode | 'unavailable',
    message: string,
    readonly method: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Client {
  call<N extends ApiName>(name: N, input: ApiInput<N>): Promise<ApiOutput<N>>;
  on<P extends PushName>(name: P, listener: (payload: PushEvents[P]) => void): () => void;
  /**
   * Whether the engine answers: `false` (with the error) when a call could not be delivered at all — the server
   * of `podtrail serve` stopped, the network refused — and `true` again with the next call that gets an answer.
   */
  onAvailability(listener: (available: boolean, error: ApiError | null) => void): () => void;
}

/** What an undeliverable call means, in words (never the transport's own "Failed to fetch"). */
export const UNAVAILABLE_TEXT =
  'PodTrail’s engine is not answering: the `podtrail serve` process (or the app’s engine) may have stopped. Start it again — it prints a new address to open — or press Retry if it was only busy.';

export function createClient(transport: Transport): Client {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const availability = new Set<(available: boolean, error: ApiError | null) => void>();
  let available = true;
  const setAvailable = (up: boolean, error: ApiError | null) => {
    if (up === available) return;
    available = up;
    for (const l of [...availability]) l(up, error);
  };
  let unsubscribe: (() => void) | null = null;

  // One transport subscription, opened with the first listener and closed with the last.
  const dispatch = (name: string, payload: unknown) => {
    for (const l of listeners.get(name) ?? []) l(payload);
  };

  return {
    async call<N extends ApiName>(name: N, input: ApiInput<N>): Promise<ApiOutput<N>> {
      let result: ApiResult<unknown>;
      try {
        result = await transport.call(name, input);
      } catch (err) {
        // The transport's own words ("Failed to fetch") say nothing to an examiner: kept on `cause` only.
        const e = new ApiError('unavailable', UNAVAILABLE_TEXT, name);
        (e as { cause?: unknown }).cause = err;
        setAvailable(false, e);
        throw e;
      }
      setAvailable(true, null);
      if (!result || typeof result !== 'object' || typeof result.ok !== 'boolean') {
        throw new ApiError('internal', `${name}: malformed response`, name);
      }
      if (!result.ok) throw new ApiError(result.error.code, result.error.message, name);
      return result.value as ApiOutput<N>;
    },
    onAvailability(listener) {
      availability.add(listener);
      return () => availability.delete(listener);
    },
    on<P extends PushName>(name: P, listener: (payload: PushEvents[P]) => void): () => void {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      const l = listener as (payload: unknown) => void;
      set.add(l);
      unsubscribe ??= transport.subscribe(dispatch);
      return () => {
        set.delete(l);
        if ([...listeners.values()].every((s) => s.size === 0) && unsubscribe) {
          unsubscribe();
          unsubscribe = null;
        }
      };
    },
  };
}
