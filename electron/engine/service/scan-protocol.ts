/**
 * How the reader shares a search's blocks with the scan worker (scan-helper.ts ↔ scan-worker.ts). The job's
 * control words live in a SharedArrayBuffer: both threads claim blocks from one counter, so whichever is faster
 * checks more; the reader blocks on the state word while the worker finishes (its search call is synchronous).
 */
import type { SearchTerm } from './search-terms';

/** Control words (Int32Array indexes). */
export const NEXT = 0;
export const STATE = 1;
/** Blocks the worker has finished (the reader watches it to tell a slow worker from a dead one). */
export const PROGRESS = 2;
export const CONTROL_WORDS = 3;

/** Job states: posted and not yet taken; taken by the worker; finished (its answer is on the port); given up by the reader before the worker took it. */
export const WAITING = 0;
export const RUNNING = 1;
export const DONE = 2;
export const CANCELLED = 3;

export interface ScanJob {
  job: number;
  term: SearchTerm;
  /** Candidate blocks (every one has a filter: its record offsets). */
  blocks: Int32Array;
  control: Int32Array;
}

export type ScanAnswer = { job: number; rows: Int32Array; records: number } | { job: number; error: string };

/**
 * A slice of the reader's in-memory columns read on the worker's connection while the reader parses the one before
 * (event-columns.ts `SliceSource`): one of that module's slice statements, its row given back. Sent and answered on
 * the worker's own message channel (the scan answers' port is read synchronously by the reader).
 */
export interface SliceJob {
  kind: 'slice';
  id: number;
  sql: string;
  after: number;
  upTo: number;
}

export type SliceAnswer = { kind: 'slice'; id: number; row: unknown[] } | { kind: 'slice'; id: number; error: string };
