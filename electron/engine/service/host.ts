/**
 * Runs a case's engine in a worker thread and exposes the API table as promises. The Electron main process and
 * the loopback HTTP server both use it, so neither blocks on SQLite or ingest. The timeline's histogram goes to a
 * second worker with a read-only connection (reader-worker.ts), started once the engine has opened the case, so
 * that the engine's calls (table pages above all) never wait behind it. A table page that searches goes there too:
 * the search's hits are then found once, on the connection that counts its timeline from the in-memory columns
 * (event-columns.ts), instead of on both connections; so does a filtered page sorted by time, whose rows the columns
 * find when they are few (a rare event name: SQL would walk the whole time index to find them).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ApiResult, EventQuery, PushEvents, PushName } from '../../../shared/api';
import { validateApiInput } from './validate-input';

export type HostRequest = { kind: 'call'; id: number; name: string; input: unknown } | { kind: 'close' };
export type HostMessage =
  | { kind: 'result'; id: number; result: ApiResult<unknown> }
  | { kind: 'push'; name: PushName; payload: PushEvents[PushName] }
  | { kind: 'ready' }
  | { kind: 'closed' };

/**
 * Calls the read-only reader worker (reader-worker.ts) answers: they only read, and can take a second. The table's
 * page (`events.query`) is sent there only when it searches or is filtered and sorted by time (`readerAnswers`).
 */
export const READER_CALLS: ReadonlySet<string> = new Set(['events.histogram', 'actor.timeline', 'events.query']);
/** How long a closing case waits for the reader to close its connection before it is stopped. */
const READER_CLOSE_MS = 5_000;

/** Whether a (validated) call goes to the reader worker. */
export function readerAnswers(name: string, input: unknown): boolean {
  if (name === 'events.query') {
    const q = input as EventQuery;
    if ((q.filters.search ?? '').trim() !== '') return true;
    return q.sort.column === 'eventTime' && Object.entries(q.filters).some(([k, v]) => k !== 'search' && v !== undefined && v !== '' && v !== false);
  }
  return READER_CALLS.has(name);
}

/** A worker script of this folder: next to this file when compiled, in dist/ when run from the sources (tests). */
export function workerPath(file: 'engine-worker.js' | 'reader-worker.js' | 'scan-worker.js'): string {
  const here = join(__dirname, file);
  if (existsSync(here)) return here;
  const built = join(__dirname, '..', '..', '..', 'dist', 'electron', 'engine', 'service', file);
  if (existsSync(built)) return built;
  throw new Error(`${file} not built: run \`npm run build\``);
}

export class EngineHost {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, (r: ApiResult<unknown>) => void>();
  private readonly listeners = new Set<(name: PushName, payload: PushEvents[PushName]) => void>();

  /** The reader worker: null until first needed; 'off' when it could not run (its calls then go to the engine). */
  private reader: Worker | 'off' | null = null;
  private readonly readerPending = new Set<number>();
  private readonly ready: Promise<boolean>;
  /** Why the engine stopped, once it has: later calls fail at once instead of waiting for an answer. */
  private stopped: string | null = null;

  private constructor(readonly casePath: string) {
    this.worker = new Worker(workerPath('engine-worker.js'), { workerData: { casePath } });
    let setReady: (ok: boolean) => void = () => {};
    this.ready = new Promise((resolve) => (setReady = resolve));
    this.worker.on('message', (m: HostMessage) => {
      if (m.kind === 'ready') {
        setReady(true);
        // Started now rather than at the first call: it loads the event columns in the background meanwhile.
        void this.readerWorker();
      } else this.onMessage(m);
    });
    // A worker that dies (an error, or an exit) must fail the calls waiting on it, never leave them hanging.
    const fail = (message: string) => {
      setReady(false);
      this.stopped = message;
      for (const [, resolve] of this.pending) resolve({ ok: false, error: { code: 'internal', message } });
      this.pending.clear();
    };
    this.worker.on('error', (err) => fail(`engine stopped: ${err.message}`));
    this.worker.on('exit', (code) => fail(`engine stopped (exit ${code})`));
  }

  private onMessage(m: HostMessage): void {
    if (m.kind === 'result') {
      this.pending.get(m.id)?.(m.result);
      this.pending.delete(m.id);
      this.readerPending.delete(m.id);
    } else if (m.kind === 'push') {
      for (const l of this.listeners) l(m.name, m.payload);
    }
  }

  /** The reader, started on first use once the engine has opened the case; null when it cannot be used. */
  private async readerWorker(): Promise<Worker | null> {
    if (this.reader === null) {
      if (!(await this.ready)) return null;
      if (this.reader !== null) return this.reader === 'off' ? null : this.reader;
      try {
        const reader = new Worker(workerPath('reader-worker.js'), { workerData: { casePath: this.casePath } });
        reader.on('message', (m: HostMessage) => this.onMessage(m));
        const off = (message: string) => {
          this.reader = 'off';
          for (const id of this.readerPending) this.pending.get(id)?.({ ok: false, error: { code: 'internal', message } });
          for (const id of this.readerPending) this.pending.delete(id);
          this.readerPending.clear();
        };
        reader.on('error', (err) => off(`reader stopped: ${err.message}`));
        reader.on('exit', (code) => code !== 0 && off(`reader stopped (exit ${code})`));
        this.reader = reader;
      } catch {
        this.reader = 'off';
      }
    }
    return this.reader === 'off' ? null : this.reader;
  }

  static start(casePath: string): EngineHost {
    return new EngineHost(casePath);
  }

  async call(name: string, input: unknown): Promise<ApiResult<unknown>> {
    if (this.stopped) return { ok: false, error: { code: 'internal', message: this.stopped } };
    // Checked here, before it crosses: only the schema's own fields are sent, and nothing too deep to clone.
    const checked = validateApiInput(name, input);
    if (!checked.ok) return checked;
    const id = ++this.seq;
    const target = readerAnswers(name, checked.value) ? ((await this.readerWorker()) ?? this.worker) : this.worker;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (target !== this.worker) this.readerPending.add(id);
      try {
        target.postMessage({ kind: 'call', id, name, input: checked.value } satisfies HostRequest);
      } catch (err) {
        // Nothing was sent, so no answer will come: the entry must not wait in `pending` forever.
        this.pending.delete(id);
        this.readerPending.delete(id);
        resolve({ ok: false, error: { code: 'bad-input', message: `${name}: input cannot be sent to the engine: ${(err as Error).message}` } });
      }
    });
  }

  onPush(listener: (name: PushName, payload: PushEvents[PushName]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    const reader = this.reader;
    this.reader = 'off';
    if (reader && reader !== 'off') {
      // The reader closes its connection first (writing the columns' image if one is due: ~1 s at 10M events), and
      // is stopped anyway if it has not within a few seconds.
      const closed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, READER_CLOSE_MS);
        reader.on('message', (m: HostMessage) => {
          if (m.kind !== 'closed') return;
          clearTimeout(timer);
          resolve();
        });
        reader.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      reader.postMessage({ kind: 'close' } satisfies HostRequest);
      await closed;
      await reader.terminate();
    }
    this.worker.postMessage({ kind: 'close' } satisfies HostRequest);
    await this.worker.terminate();
  }
}
