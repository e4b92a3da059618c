/**
 * A parse worker is sent its next job while it still runs one (ingest.ts `JOBS_PER_WORKER`): it must queue it and run
 * the jobs one at a time, in order. Run against the compiled worker thread itself.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { FromWorker, ToWorker } from '../../../electron/engine/ingest/protocol';
import { apiRecord, put, tempDir, trailJson } from '../../helpers/evidence';

const WORKER_SCRIPT = resolve(__dirname, '..', '..', '..', 'dist', 'electron', 'engine', 'ingest', 'worker.js');

function trail(dir: string, name: string, n: number): string {
  const records = Array.from({ length: n }, (_, i) => apiRecord(`${name}-${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`));
  return put(dir, `${name}.json`, trailJson(records));
}

describe('parse worker job queue', () => {
  it('has the compiled worker script (run `npm run build` first)', () => {
    expect(existsSync(WORKER_SCRIPT)).toBe(true);
  });

  it('runs jobs sent together one at a time, in the order sent, each to its end', async () => {
    const dir = tempDir('worker-queue');
    // Job 1 has two batches at least (2,000 rows or so each) and waits for the writer's ack between them; job 2 is one
    // small batch. Run at once, job 2 would finish while job 1 waits for its first ack.
    const big = trail(dir, 'big', 5_000);
    const small = trail(dir, 'small', 10);
    const bad = put(dir, 'bad.json', '{"Records": [ not json');
    const w = new Worker(WORKER_SCRIPT);
    onTestFinished(() => void w.terminate());
    const seen: { jobId: number; type: string; rows?: number }[] = [];
    const ended = new Promise<void>((done, fail) => {
      w.on('error', fail);
      w.on('message', (msg: FromWorker) => {
        seen.push({ jobId: msg.jobId, type: msg.type, rows: msg.type === 'rows' ? msg.batch.rows.count : undefined });
        // Acknowledge each batch a little later, as a busy writer would.
        if (msg.type === 'rows') setTimeout(() => w.postMessage({ type: 'ack', jobId: msg.jobId } satisfies ToWorker), 20);
        if (msg.jobId === 3 && (msg.type === 'done' || msg.type === 'failed')) done();
      });
    });
    for (const [jobId, path] of [big, small, bad].entries()) {
      const job: ToWorker = { type: 'job', jobId: jobId + 1, displayPath: path, source: { path }, loadedHashes: [] };
      w.postMessage(job);
    }
    await ended;

    expect(seen.map((m) => m.jobId)).toEqual([...seen.map((m) => m.jobId)].sort((a, b) => a - b));
    const first = seen.filter((m) => m.jobId === 1).map((m) => m.type);
    expect(first.length).toBeGreaterThanOrEqual(3);
    expect(first).toEqual([...first.slice(0, -1).map(() => 'rows'), 'done']);
    expect(seen.filter((m) => m.jobId === 1).reduce((n, m) => n + (m.rows ?? 0), 0)).toBe(5_000);
    expect(seen.filter((m) => m.jobId === 2).map((m) => m.type)).toEqual(['rows', 'done']);
    // A job that fails does not stop the queue: it ends with its own 'failed' message.
    expect(seen.filter((m) => m.jobId === 3).map((m) => m.type)).toEqual(['failed']);
  });
});
