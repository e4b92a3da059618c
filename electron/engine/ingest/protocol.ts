/** Messages between the ingest coordinator (the one writer) and its parse workers. */
import type { WireBatch } from './row-wire';
import type { AuditRow } from './k8s-normalize';
import type { ByteSource, ParseResult } from './parse-file';

export type ToWorker =
  | { type: 'job'; jobId: number; displayPath: string; source: ByteSource; loadedHashes: string[] }
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
