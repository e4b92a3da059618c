/**
 * The reader's side of the scan worker (scan-worker.ts): a search's candidate blocks are checked by both threads at
 * once, each claiming the next block from a shared counter, so a first search of a common word takes about half
 * as long on two cores. The call stays synchronous (the table's SQL needs the hits at once): the reader checks
 * blocks until none are left, then waits for the worker's last ones.
 *
 * A worker that never took the job costs nothing (the reader gives it up and has checked every block). A worker
 * that stops making progress (it died, or hangs) is dropped: the reader checks every block it did not check
 * itself, so a search never depends on the worker to be right.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { SearchTerm } from './search-terms';
import { CANCELLED, CONTROL_WORDS, DONE, NEXT, PROGRESS, STATE, WAITING, type ScanAnswer, type ScanJob, type SliceAnswer, type SliceJob } from './scan-protocol';

/** How long the worker may go without finishing a block before the reader stops waiting for it. */
const STALL_MS = 5000;

export class ScanHelper {
  private worker: Worker | null;
  private readonly answers: MessagePort;
  private job = 0;
  /** Why the worker is no longer used (null while it is). */
  stopped: string | null = null;
  /** Blocks the worker checked in the last shared search (for tests and benchmarks). */
  lastShare = 0;
  private sliceId = 0;
  private readonly slices = new Map<number, { resolve: (row: unknown[]) => void; reject: (err: Error) => void }>();

  constructor(script: string, casePath: string, private readonly stallMs = STALL_MS) {
    const channel = new MessageChannel();
    this.answers = channel.port1;
    this.worker = new Worker(script, { workerData: { casePath, answers: channel.port2 }, transferList: [channel.port2] });
    this.worker.on('error', (err) => this.stop(`scan worker stopped: ${err.message}`));
    this.worker.on('exit', (code) => this.stop(`scan worker exited (${code})`));
    this.worker.on('message', (m: SliceAnswer) => {
      const waiting = this.slices.get(m.id);
      if (!waiting) return;
      this.slices.delete(m.id);
      if ('error' in m) waiting.reject(new Error(m.error));
      else waiting.resolve(m.row);
    });
    // Neither the worker nor its port keeps the process alive: the reader owns the process's life.
    this.worker.unref();
    this.answers.unref();
  }

  get running(): boolean {
    return this.worker !== null;
  }

  /**
   * Check `blocks` on both threads: `own(block)` is called here for every block this thread takes (and for those
   * the worker took if it fails). Returns the event rows the worker found, and how many records it checked.
   */
  share(term: SearchTerm, blocks: readonly number[], own: (block: number) => void): { rows: Int32Array; records: number } {
    const none = { rows: new Int32Array(0), records: 0 };
    const worker = this.worker;
    if (!worker) {
      for (const b of blocks) own(b);
      return none;
    }
    const control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    const job = ++this.job;
    const mine = new Uint8Array(blocks.length);
    worker.postMessage({ job, term, blocks: Int32Array.from(blocks), control } satisfies ScanJob);
    try {
      for (let i = Atomics.add(control, NEXT, 1); i < blocks.length; i = Atomics.add(control, NEXT, 1)) {
        mine[i] = 1;
        own(blocks[i]!);
      }
    } catch (err) {
      // The search fails: the worker takes no further block of it.
      Atomics.store(control, NEXT, blocks.length);
      throw err;
    }
    this.lastShare = 0;
    // Not taken yet: the reader has checked every block.
    if (Atomics.compareExchange(control, STATE, WAITING, CANCELLED) === WAITING) return none;
    let progress = Atomics.load(control, PROGRESS);
    let since = Date.now();
    while (Atomics.load(control, STATE) !== DONE) {
      Atomics.wait(control, STATE, Atomics.load(control, STATE), 100);
      const now = Atomics.load(control, PROGRESS);
      if (now !== progress) {
        progress = now;
        since = Date.now();
      } else if (Date.now() - since > this.stallMs) {
        this.stop(`scan worker made no progress for ${this.stallMs} ms`);
        for (let i = 0; i < blocks.length; i++) if (!mine[i]) own(blocks[i]!);
        return none;
      }
    }
    const answer = this.take(job);
    if ('error' in answer) throw new Error(answer.error);
    this.lastShare = progress;
    return { rows: answer.rows, records: answer.records };
  }

  /** A slice of the in-memory columns read on the worker's connection (event-columns.ts `SliceSource`). */
  slice(sql: string, after: number, upTo: number): Promise<unknown[]> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error(this.stopped ?? 'scan worker stopped'));
    const id = ++this.sliceId;
    return new Promise((resolve, reject) => {
      this.slices.set(id, { resolve, reject });
      worker.postMessage({ kind: 'slice', id, sql, after, upTo } satisfies SliceJob);
    });
  }

  /** The answer to job `job` (posted before the worker marked it done; earlier jobs' answers are dropped). */
  private take(job: number): ScanAnswer {
    for (;;) {
      const got = receiveMessageOnPort(this.answers);
      if (!got) throw new Error(`scan worker marked job ${job} done without an answer`);
      const answer = got.message as ScanAnswer;
      if (answer.job === job) return answer;
    }
  }

  stop(reason: string): void {
    if (this.stopped === null) this.stopped = reason;
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
    this.answers.close();
    for (const waiting of this.slices.values()) waiting.reject(new Error(this.stopped!));
    this.slices.clear();
  }
}
