/** Parse worker thread: decompression, hashing, JSON splitting and record validation run here, off the writer. */
import { parentPort } from 'node:worker_threads';
import { runParseJob } from './parse-job';
import type { ToWorker, FromWorker } from './protocol';

if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const port = parentPort;
const acks = new Map<number, () => void>();

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'ack') {
    const resolve = acks.get(msg.jobId);
    acks.delete(msg.jobId);
    resolve?.();
    return;
  }
  void runParseJob(
    msg.jobId,
    msg.source,
    msg.loadedHashes,
    (out: FromWorker) => port.postMessage(out),
    () => new Promise<void>((resolve) => acks.set(msg.jobId, resolve)),
  );
});
