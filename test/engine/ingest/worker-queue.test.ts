/**
 * A parse worker is sent its next job while it still runs one (ingest.ts `JOBS_PER_WORKER`): it must queue it and run
 * the jobs one at a time, in order. Run against the compiled worker thread itself.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BATCHES_AHEAD } from '../../../electron/engine/ingest/parse-job';
import { WorkerPool } from '../../../electron/engine/ingest/ingest';
import { BatchAcks, type FromWorker, type ToWorker } from '../../../electron/engine/ingest/protocol';
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
      const job: ToWorker = { type: 'job', jobId: jobId + 1, displayPath: path, source: { path }, loadedHashes: [], batchesAhead: 0 };
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

  it.each([BATCHES_AHEAD, 0])('parses on while %i batches wait to be written, and waits for the oldest past them', async (ahead) => {
    const dir = tempDir('worker-ahead');
    // ~2,000 rows a batch: 14,000 records make 7 batches at least.
    const path = trail(dir, 'long', 14_000);
    const w = new Worker(WORKER_SCRIPT);
    onTestFinished(() => void w.terminate());
    const batches: number[] = [];
    let ended = false;
    let onMessage = (): void => {};
    w.on('message', (msg: FromWorker) => {
      if (msg.type === 'rows') batches.push(msg.batch.rows.count);
      if (msg.type === 'done') ended = true;
      onMessage();
    });
    // Until `n` batches have come (a busy machine may take seconds), then a second more: no further batch may come
    // while the worker waits.
    const settled = async (n: number): Promise<void> => {
      for (let i = 0; i < 600 && batches.length < n; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1_000));
    };
    w.postMessage({ type: 'job', jobId: 1, displayPath: path, source: { path }, loadedHashes: [], batchesAhead: ahead } satisfies ToWorker);
    await settled(ahead + 1);
    // No batch acknowledged: the ones it may have ahead, and the one it waits on.
    expect(batches.length).toBe(ahead + 1);
    expect(ended).toBe(false);
    // One acknowledgement: one batch more, then it waits again.
    w.postMessage({ type: 'ack', jobId: 1 } satisfies ToWorker);
    await settled(ahead + 2);
    expect(batches.length).toBe(ahead + 2);
    // Every batch acknowledged as it comes: the job runs to its end with every row.
    onMessage = () => w.postMessage({ type: 'ack', jobId: 1 } satisfies ToWorker);
    for (let i = 0; i < batches.length; i++) w.postMessage({ type: 'ack', jobId: 1 } satisfies ToWorker);
    for (let i = 0; i < 600 && !ended; i++) await new Promise((r) => setTimeout(r, 50));
    expect(ended).toBe(true);
    expect(batches.length).toBeGreaterThanOrEqual(7);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(14_000);
  });
});

describe('the parse worker pool', () => {
  it('ends the jobs of a worker that stops without an error, once each, and takes no job after', async () => {
    const pool = new WorkerPool(resolve(__dirname, '..', '..', 'fixtures', 'workers', 'parse-worker-exits.mjs'), 1);
    try {
      const got: FromWorker[] = [];
      const ended = new Promise<void>((done) => {
        const on = (msg: FromWorker) => {
          got.push(msg);
          // Two jobs a worker at once: the first ends, then the third is sent to wait behind the second, which stops
          // the worker.
          // (after the pool has counted job 1 ended, as the load's own wait for a slot resumes)
          if (msg.jobId === 1) queueMicrotask(() => pool.run({ jobId: 3, displayPath: 'c.json', source: { path: 'c.json' }, batchesAhead: 0 }, [], on));
          if (got.filter((m) => m.type === 'failed').length === 3) done();
        };
        pool.run({ jobId: 1, displayPath: 'a.json', source: { path: 'a.json' }, batchesAhead: 0 }, [], on);
        pool.run({ jobId: 2, displayPath: 'b.json', source: { path: 'b.json' }, batchesAhead: 0 }, [], on);
      });
      await ended;
      await new Promise((r) => setTimeout(r, 100)); // nothing more comes
      expect(got.map((m) => [m.jobId, m.type, m.type === 'failed' ? m.error : ''])).toEqual([
        [1, 'failed', 'first job: a file this worker refuses'],
        [2, 'failed', 'parse worker stopped (exit code 3)'],
        [3, 'failed', 'parse worker stopped (exit code 3)'],
      ]);
      expect(() => pool.run({ jobId: 4, displayPath: 'd.json', source: { path: 'd.json' }, batchesAhead: 0 }, [], () => {})).toThrow(/parse worker stopped \(exit code 3\)/);
    } finally {
      await pool.close();
    }
  }, 20_000);
});

describe('BatchAcks', () => {
  it("resolves a job's waits in the order they were made, one per acknowledgement, and ignores the rest", async () => {
    const acks = new BatchAcks();
    const done: string[] = [];
    const a1 = acks.wait(1).then(() => done.push('1a'));
    const a2 = acks.wait(1).then(() => done.push('1b'));
    const b1 = acks.wait(2).then(() => done.push('2a'));
    acks.ack(1);
    await a1;
    expect(done).toEqual(['1a']);
    acks.ack(2);
    acks.ack(1);
    await Promise.all([a2, b1]);
    expect(done).toEqual(['1a', '2a', '1b']);
    // An acknowledgement that no wait is behind changes nothing for the next wait.
    acks.ack(1);
    const a3 = acks.wait(1).then(() => done.push('1c'));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).not.toContain('1c');
    acks.ack(1);
    await a3;
    expect(done.at(-1)).toBe('1c');
  });
});
