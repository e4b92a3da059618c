/**
 * Scan worker: checks a share of a search's candidate blocks on the second core, with its own read-only
 * connection to the case (raw blocks never change once written, so it reads what the reader reads). Started by
 * the reader worker (scan-helper.ts); see scan-protocol.ts for the hand-off. While the reader loads its in-memory
 * columns, it also reads their next slices here (`SliceJob`).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Statement } from 'better-sqlite3';
import { openCase } from '../db/open';
import { decompressBlock } from '../ingest/raw-blocks';
import { BlockFilter } from '../ingest/block-filter';
import { BlockScan, recordsAt, scanQuery } from './block-scan';
import { IdList } from '../util/id-list';
import { DONE, NEXT, PROGRESS, RUNNING, STATE, WAITING, type ScanAnswer, type ScanJob, type SliceAnswer, type SliceJob } from './scan-protocol';

if (!parentPort) throw new Error('scan-worker must run as a worker thread');
const { casePath, answers } = workerData as { casePath: string; answers: MessagePort };
const db = openCase(casePath, { readonly: true, mustExist: true });
// It reads each block once per search: a page cache as large as the engine's would only hold the blocks' pages
// (up to 256 MiB more per process); the operating system's file cache serves a block read again.
db.pragma('cache_size = -8192');
const scan = new BlockScan(db);
const blockOf: Statement = db.prepare('SELECT b.codec, b.data, f.filter FROM raw_blocks b LEFT JOIN raw_block_filters f ON f.block = b.id WHERE b.id = ?');

function run(job: ScanJob): ScanAnswer {
  const { control, blocks } = job;
  const q = scanQuery(job.term);
  const rows = new IdList();
  let records = 0;
  for (let i = Atomics.add(control, NEXT, 1); i < blocks.length; i = Atomics.add(control, NEXT, 1)) {
    const block = blocks[i]!;
    const row = blockOf.get(block) as { codec: number; data: Uint8Array; filter: Uint8Array | null } | undefined;
    if (!row) throw new Error(`raw block ${block} is missing from the case`);
    if (!row.filter) throw new Error(`raw block ${block} has no filter: the reader checks such blocks itself`);
    const list = recordsAt(new BlockFilter(row.filter).offsets);
    records += list.length;
    for (const r of scan.rows(block, decompressBlock(row.codec, row.data), list, q)) rows.push(r);
    Atomics.add(control, PROGRESS, 1);
  }
  return { job: job.job, rows: rows.toArray(), records };
}

/** The column slice statements the reader asks for, by their text (event-columns.ts: a few). */
const slices = new Map<string, Statement>();

function slice(job: SliceJob): SliceAnswer {
  try {
    let statement = slices.get(job.sql);
    if (!statement) slices.set(job.sql, (statement = db.prepare(job.sql).raw(true)));
    return { kind: 'slice', id: job.id, row: statement.get(job.after, job.upTo) as unknown[] };
  } catch (err) {
    return { kind: 'slice', id: job.id, error: (err as Error).message };
  }
}

parentPort.on('message', (job: ScanJob | SliceJob) => {
  if ('kind' in job) {
    parentPort!.postMessage(slice(job));
    return;
  }
  // The reader may have checked every block itself and given the job up before this thread took it.
  if (Atomics.compareExchange(job.control, STATE, WAITING, RUNNING) !== WAITING) return;
  let answer: ScanAnswer;
  try {
    answer = run(job);
  } catch (err) {
    answer = { job: job.job, error: (err as Error).message };
  }
  // The answer is on the port before the state says so: the reader takes it synchronously once it sees DONE.
  answers.postMessage(answer);
  Atomics.store(job.control, STATE, DONE);
  Atomics.notify(job.control, STATE);
});
