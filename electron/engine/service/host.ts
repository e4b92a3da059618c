/**
 * Runs a case's engine in a worker thread and exposes the API table as promises. The Electron main process and
 * the loopback HTTP server both use it, so neither blocks on SQLite or ingest.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ApiResult, PushEvents, PushName } from '../../../shared/api';

export type HostRequest = { kind: 'call'; id: number; name: string; input: unknown } | { kind: 'close' };
export type HostMessage =
  | { kind: 'result'; id: number; result: ApiResult<unknown> }
  | { kind: 'push'; name: PushName; payload: PushEvents[PushName] }
  | { kind: 'closed' };

function workerPath(): string {
  const here = join(__dirname, 'engine-worker.js');
  if (existsSync(here)) return here;
  const built = join(__dirname, '..', '..', '..', 'dist', 'electron', 'engine', 'service', 'engine-worker.js');
  if (existsSync(built)) return built;
  throw new Error('engine worker not built: run `npm run build`');
}

export class EngineHost {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, (r: ApiResult<unknown>) => void>();
  private readonly listeners = new Set<(name: PushName, payload: PushEvents[PushName]) => void>();

  private constructor(readonly casePath: string) {
    this.worker = new Worker(workerPath(), { workerData: { casePath } });
    this.worker.on('message', (m: HostMessage) => {
      if (m.kind === 'result') {
        this.pending.get(m.id)?.(m.result);
        this.pending.delete(m.id);
      } else if (m.kind === 'push') {
        for (const l of this.listeners) l(m.name, m.payload);
      }
    });
    // A worker that dies (an error, or an exit) must fail the calls waiting on it, never leave them hanging.
    const fail = (message: string) => {
      for (const [, resolve] of this.pending) resolve({ ok: false, error: { code: 'internal', message } });
      this.pending.clear();
    };
    this.worker.on('error', (err) => fail(`engine stopped: ${err.message}`));
    this.worker.on('exit', (code) => fail(`engine stopped (exit ${code})`));
  }

  static start(casePath: string): EngineHost {
    return new EngineHost(casePath);
  }

  call(name: string, input: unknown): Promise<ApiResult<unknown>> {
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ kind: 'call', id, name, input } satisfies HostRequest);
    });
  }

  onPush(listener: (name: PushName, payload: PushEvents[PushName]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.worker.postMessage({ kind: 'close' } satisfies HostRequest);
    await this.worker.terminate();
  }
}
