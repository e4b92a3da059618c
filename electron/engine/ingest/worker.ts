/** Parse worker thread: decompression, hashing, JSON splitting and record validation run here, off the writer. */
import { parentPort } from 'node:worker_threads';
import { runParseJob } from './parse-job';
import { BatchAcks, isFinal, type ToWorker, type FromWorker } from './protocol';
import { discardBytes } from './discard-bytes';
import { wireTransfer } from './row-wire';

if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const port = parentPort;
const acks = new BatchAcks();

type Job = Extract<ToWorker, { type: 'job' }>;
/**
 * Jobs run one at a time, in the order they came; the coordinator may send the next one while this one runs
 * (ingest.ts `JOBS_PER_WORKER`), so that the worker starts it the moment this one ends instead of waiting for the
 * coordinator, which is also the writer and often busy storing a batch when a job ends.
 */
const queue: Job[] = [];
let running = false;

function runNext(): void {
  const msg = queue.shift();
  running = msg !== undefined;
  if (!msg) return;
  void runParseJob(
    msg.jobId,
    msg.source,
    msg.loadedHashes,
    (out: FromWorker) => {
      // The job is done with its bytes: an archive member moved here is freed before the coordinator, told the job
      // ended, reads the next one (ingest.ts bounds the members in memory; garbage collection would free it later).
      if (isFinal(out) && 'bytes' in msg.source) discardBytes(msg.source.bytes);
      // A batch's row columns are handed over, not copied.
      port.postMessage(out, out.type === 'rows' ? wireTransfer(out.batch) : []);
    },
    () => acks.wait(msg.jobId),
    msg.batchesAhead,
  ).finally(runNext);
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'ack') {
    acks.ack(msg.jobId);
    return;
  }
  queue.push(msg);
  if (!running) runNext();
});
