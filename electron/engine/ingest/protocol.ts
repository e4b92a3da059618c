/** Messages between the ingest coordinator (the one writer) and its parse workers. */
import type { WireBatch } from './row-wire';
import type { AuditRow } from './k8s-normalize';
import type { ByteSource, ParseResult } from './parse-file';

export type ToWorker =
  | { type: 'job'; jobId: number; displayPath: string; source: ByteSource; loadedHashes: string[]; batchesAhead: number }
  | { type: 'ack'; jobId: number };

export type FromWorker =
  | { type: 'rows'; jobId: number; batch: WireBatch }
  | { type: 'audits'; jobId: number; rows: AuditRow[] }
  | { type: 'done'; jobId: number; result: ParseResult }
  | { type: 'skipped'; jobId: number; sha256: string }
  | { type: 'failed'; jobId: number; error: string; facts: Partial<ParseResult> };

/** The last message of a job: the worker is done with that file. */
export function isFinal(msg: FromWorker): boolean {
  return msg.type === 'done' || msg.type === 'skipped' || msg.type === 'failed';
}

/**
 * The writer's acknowledgements of a job's batches (`rows` and `audits` messages). The writer stores a job's messages
 * in the order they were sent and acknowledges each, so the n-th acknowledgement is that of the n-th batch: `wait`,
 * called right after a batch is sent, gives the promise of its acknowledgement.
 */
export class BatchAcks {
  private readonly waiting = new Map<number, (() => void)[]>();

  wait(jobId: number): Promise<void> {
    let queue = this.waiting.get(jobId);
    if (!queue) this.waiting.set(jobId, (queue = []));
    const q = queue;
    return new Promise<void>((resolve) => q.push(resolve));
  }

  ack(jobId: number): void {
    const queue = this.waiting.get(jobId);
    if (!queue) return;
    const resolve = queue.shift();
    if (queue.length === 0) this.waiting.delete(jobId);
    resolve?.();
  }
}
