/**
 * Ingest coordinator: enumerates evidence, hands files to parse workers (both cores parse), and is the one
 * writer. Files are written one at a time, each in its own transaction; a worker whose file is not the one
 * being written waits for its batches to be acknowledged (in a bulk load, once a few of them wait: parse-job.ts
 * `BATCHES_AHEAD`), which bounds memory.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { ByteBudget, enumerateEvidence, MAX_MEMBER_BYTES_IN_FLIGHT } from './sources';
import { appendCustody, fileManifest, logInterruptedIngest, maxFileId } from '../custody/log';
import { EvidenceStore, emptyOutcome, type FileOutcome, type OpenFile } from './store';
import { BATCHES_AHEAD, runParseJob } from './parse-job';
import { BatchAcks, isFinal, type FromWorker, type ToWorker } from './protocol';
import { fromWire } from './row-wire';
import type { ByteSource } from './parse-file';
import { buildSecondaryIndexes } from '../db/migrations/0090-compact-store';
import { PeriodicHeapTrim, trimNativeHeap } from '../util/native-heap';

/** Counts so far, in the summary's terms: `done` marks the last report, whose counts are the summary's. */
export interface IngestProgress {
  /** Files loaded (the summary's `loaded`). */
  filesDone: number;
  filesFailed: number;
  /** Files already in the case (the summary's `alreadyLoaded`). */
  filesSkipped: number;
  /** CloudTrail records read from loaded files (the summary's `records`). */
  records: number;
  /** Kubernetes audit events read (the summary's `audits`). */
  audits: number;
  bytes: number;
  elapsedMs: number;
  currentPath: string | null;
  done: boolean;
}

export interface IngestOptions {
  /** Parse workers; 0 parses in-process (used where worker scripts are unavailable). Default: one per core. */
  workers?: number;
  onProgress?: (p: IngestProgress) => void;
  /** Stop after the file being written; what was committed stays. */
  signal?: AbortSignal;
  /** Bytes of archive members in memory at once (default MAX_MEMBER_BYTES_IN_FLIGHT; sources.ts ByteBudget). */
  memberBytesInFlight?: number;
  /** The page cache past `ingestTuning.bulkLoadRecords` records (default `BULK_LOAD_CACHE`; the app's is smaller). */
  bulkLoadCache?: number;
}

export interface IngestSummary {
  files: FileOutcome[];
  loaded: number;
  alreadyLoaded: number;
  failed: number;
  records: number;
  newEvents: number;
  /** Kubernetes audit events read, and new to the case. */
  audits: number;
  newAudits: number;
  /** CloudTrail records, and Kubernetes audit events, already in the case. */
  duplicates: number;
  auditDuplicates: number;
  conflicts: number;
  insights: number;
  rejectedRecords: number;
  /** Bytes read from evidence files, and after decompression (files loaded in this run). */
  bytes: number;
  decompressedBytes: number;
  cancelled: boolean;
}

interface Job {
  jobId: number;
  displayPath: string;
  source: ByteSource;
  /** Batches the job may send ahead of the writer (parse-job.ts `BATCHES_AHEAD`: a bulk load's; otherwise none). */
  batchesAhead: number;
}

/** Where parse jobs run. */
interface ParsePool {
  readonly size: number;
  run(job: Job, loadedHashes: string[], onMessage: (msg: FromWorker) => void): void;
  ack(jobId: number): void;
  close(): Promise<void>;
}

function workerScript(): string | null {
  // Compiled: dist/electron/engine/ingest/worker.js next to this file. From TypeScript sources (tests),
  // use the compiled worker of the same tree if it has been built.
  const here = join(__dirname, 'worker.js');
  if (existsSync(here)) return here;
  const built = join(__dirname, '..', '..', '..', 'dist', 'electron', 'engine', 'ingest', 'worker.js');
  return existsSync(built) ? built : null;
}

/**
 * Jobs sent to a worker at once: four, the others waiting in the worker behind the one it parses (worker.ts runs them
 * one at a time). A job's last batch is not waited for (parse-job.ts), so the worker starts its next queued file the
 * moment it ends; with one job per worker it waited instead for the coordinator to send the next, and the coordinator
 * is also the writer, often busy storing a batch just then (each worker idle ~30 % of a 200k-event load). With two, a
 * worker still ran out of queued files while the writer stored a run of them (a worker waited 4–7 s for a job in a
 * 1M-event load of ~29 s; with four and more files parsed ahead (`MAX_UNWRITTEN_PER_WORKER`), 1.8 s). A queued job holds
 * nothing parsed: its path, or an archive member's bytes within the members' budget (sources.ts). (Until 2026-12-05
 * jobs in one worker were parsed concurrently: three held more parsed batches and larger heaps, peak RSS 509 against
 * 436 MB at 1M events.) docs/benchmarks.md has the measurements.
 */
const JOBS_PER_WORKER = 4;
/**
 * Files a load may have sent to the workers and not yet written, per worker: those queued or being parsed, and those
 * parsed ahead of the writer, which writes files in their order (each holds its last batch, ~1 MB, until it is
 * written). With two a worker (as many as the workers held), a file the writer waited for at the head stopped the
 * other worker once it had parsed the files behind it: in a 1M-event load the coordinator held back a job from a
 * worker with room for one for 7.6–9.7 s. Six: none so held back; the load used 1.80 instead of 1.75 of the 2 cores
 * (CPU / wall, four alternating pairs of 1M loads), peak RSS 447–466 against 422–458 MB.
 */
const MAX_UNWRITTEN_PER_WORKER = 6;

export class WorkerPool implements ParsePool {
  private readonly workers: Worker[] = [];
  private readonly load = new Map<Worker, number>();
  private readonly owner = new Map<number, Worker>();
  private readonly handlers = new Map<number, (msg: FromWorker) => void>();
  private failure: Error | null = null;
  private closing = false;

  constructor(script: string, readonly size: number) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(script);
      w.on('message', (msg: FromWorker) => {
        this.handlers.get(msg.jobId)?.(msg);
        if (isFinal(msg)) this.finished(w, msg.jobId);
      });
      w.on('error', (err) => this.lost(w, new Error(`parse worker crashed: ${err.message}`)));
      // A worker that ends without an error (an exit from its code, a thread the system stopped) ends its jobs too:
      // otherwise the load would wait for them for ever, its other workers kept alive.
      w.on('exit', (code) => {
        if (!this.closing) this.lost(w, new Error(`parse worker stopped (exit code ${code})`));
      });
      this.workers.push(w);
      this.load.set(w, 0);
    }
  }

  private finished(w: Worker, jobId: number): void {
    this.handlers.delete(jobId);
    this.owner.delete(jobId);
    this.load.set(w, this.load.get(w)! - 1);
  }

  /** A worker is gone: each job it held fails (once), and no job is sent to the pool again. */
  private lost(w: Worker, err: Error): void {
    this.failure ??= err;
    for (const [jobId, h] of [...this.handlers]) {
      if (this.owner.get(jobId) !== w) continue;
      this.finished(w, jobId);
      h({ type: 'failed', jobId, error: err.message, facts: {} });
    }
  }

  get available(): number {
    let free = 0;
    for (const n of this.load.values()) free += JOBS_PER_WORKER - n;
    return free;
  }

  run(job: Job, loadedHashes: string[], onMessage: (msg: FromWorker) => void): void {
    if (this.failure) throw this.failure;
    const w = this.workers.reduce((best, x) => (this.load.get(x)! < this.load.get(best)! ? x : best));
    if (this.load.get(w)! >= JOBS_PER_WORKER) throw new Error('no free worker slot');
    this.load.set(w, this.load.get(w)! + 1);
    this.owner.set(job.jobId, w);
    this.handlers.set(job.jobId, onMessage);
    const msg: ToWorker = { type: 'job', jobId: job.jobId, displayPath: job.displayPath, source: job.source, loadedHashes, batchesAhead: job.batchesAhead };
    // An archive member's bytes are moved to the worker, not copied (readAll gives each member a buffer of its own):
    // otherwise each would be held twice, here and there, until the job ends.
    const bytes = 'bytes' in job.source ? job.source.bytes : null;
    const own = bytes !== null && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength > 0;
    w.postMessage(msg, own ? [bytes.buffer as ArrayBuffer] : []);
  }

  ack(jobId: number): void {
    const msg: ToWorker = { type: 'ack', jobId };
    this.owner.get(jobId)?.postMessage(msg);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

class InlinePool implements ParsePool {
  readonly size = 1;
  private busy = false;
  private readonly acks = new BatchAcks();

  get available(): number {
    return this.busy ? 0 : 1;
  }

  run(job: Job, loadedHashes: string[], onMessage: (msg: FromWorker) => void): void {
    this.busy = true;
    void runParseJob(
      job.jobId,
      job.source,
      loadedHashes,
      (msg) => {
        if (isFinal(msg)) this.busy = false;
        // Deliver asynchronously, as a worker would.
        setImmediate(() => onMessage(msg));
      },
      () => this.acks.wait(job.jobId),
      job.batchesAhead,
    );
  }

  ack(jobId: number): void {
    this.acks.ack(jobId);
  }

  async close(): Promise<void> {}
}

type Pool = (WorkerPool | InlinePool) & ParsePool;

function createPool(requested: number | undefined): Pool {
  const size = requested ?? Math.max(1, availableParallelism());
  const script = size > 0 ? workerScript() : null;
  if (size > 0 && script) return new WorkerPool(script, size);
  return new InlinePool();
}

/** Serialises all database writes: one open file at a time, other jobs' messages wait in order. */
class WriterQueue {
  private readonly queues = new Map<number, FromWorker[]>();
  private readonly paths = new Map<number, string>();
  private readonly order: number[] = [];
  private current: number | null = null;
  private open: OpenFile | null = null;
  private fatal: Error | null = null;
  private idleWaiters: (() => void)[] = [];
  outstanding = 0;

  constructor(
    private readonly store: EvidenceStore,
    private readonly pool: ParsePool,
    private readonly onOutcome: (o: FileOutcome, records: number, bytes: number, decompressed: number) => void,
    /** The writer stopped on an internal error: whoever waits for it to make progress must stop waiting. */
    private readonly onFatal: () => void = () => {},
  ) {}

  /**
   * Files are written in the order they were enumerated, not the order their parses finish: which copy of
   * a conflicting eventID becomes variant 0, and every count, must not depend on thread timing. A job that
   * finishes early keeps its messages here until its turn (ingestEvidence caps how many jobs may wait).
   */
  expect(jobId: number, path: string): void {
    this.paths.set(jobId, path);
    this.queues.set(jobId, []);
    this.order.push(jobId);
    this.outstanding++;
  }

  deliver(msg: FromWorker): void {
    const q = this.queues.get(msg.jobId);
    if (!q) return;
    q.push(msg);
    this.pump();
  }

  /** A failure found while enumerating (unreadable path, bad archive member): written between files. */
  failEntry(path: string, error: string): void {
    const jobId = -(this.paths.size + 1);
    this.expect(jobId, path);
    this.deliver({ type: 'failed', jobId, error, facts: {} });
  }

  get error(): Error | null {
    return this.fatal;
  }

  whenIdle(): Promise<void> {
    if (this.outstanding === 0 || this.fatal) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    if (this.fatal) return;
    try {
      for (;;) {
        if (this.current === null) {
          const next = this.order.shift();
          if (next === undefined) return;
          this.current = next;
        }
        const jobId = this.current;
        const q = this.queues.get(jobId)!;
        const msg = q.shift();
        if (!msg) return; // wait for the current job's next batch
        if (this.handle(jobId, msg)) {
          this.queues.delete(jobId);
          this.current = null;
          this.outstanding--;
          if (this.outstanding === 0) {
            this.store.flush();
            this.notifyIdle();
          }
        }
      }
    } catch (err) {
      this.store.abort();
      this.fatal = err as Error;
      this.notifyIdle();
      this.onFatal();
    }
  }

  /** Returns true when the job is finished. */
  private handle(jobId: number, msg: FromWorker): boolean {
    const path = this.paths.get(jobId)!;
    switch (msg.type) {
      case 'rows':
        this.open ??= this.store.begin(path);
        this.store.addRows(this.open, fromWire(msg.batch));
        this.pool.ack(jobId);
        return false;
      case 'audits':
        this.open ??= this.store.begin(path);
        this.store.addAudits(this.open, msg.rows);
        this.pool.ack(jobId);
        return false;
      case 'done': {
        this.open ??= this.store.begin(path);
        const outcome = this.store.commit(this.open, msg.result);
        this.open = null;
        this.onOutcome(outcome, msg.result.records, msg.result.size, msg.result.decompressedSize);
        return true;
      }
      case 'skipped':
        this.onOutcome(
          emptyOutcome(path, 'already-loaded'),
          0,
          0,
          0,
        );
        return true;
      case 'failed':
        this.open = null;
        this.onOutcome(this.store.recordFailure(path, msg.error, msg.facts), 0, 0, 0);
        return true;
    }
  }

  private notifyIdle(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }
}

/**
 * Load evidence into a case and record the run in the custody log: the inputs as given, the outcome, and a hash
 * of the evidence-file rows it wrote (paths, sizes, SHA-256s), whether it finished, was cancelled or failed.
 */
export async function ingestEvidence(db: Database, paths: string[], options: IngestOptions = {}): Promise<IngestSummary> {
  logInterruptedIngest(db);
  const before = maxFileId(db);
  const inputs = paths.map((p) => resolve(p));
  try {
    const s = await loadEvidence(db, paths, options);
    const notes = s.files.flatMap((f) => f.notes.map((note) => ({ path: f.path, note })));
    appendCustody(db, 'ingest', {
      inputs,
      outcome: s.cancelled ? 'cancelled' : 'completed',
      loaded: s.loaded,
      alreadyLoaded: s.alreadyLoaded,
      failed: s.failed,
      records: s.records,
      newEvents: s.newEvents,
      rejectedRecords: s.rejectedRecords,
      // What the reader assumed or found in each file (zone-less times read as UTC, records from appended gzip data…).
      ...(notes.length > 0 ? { notes } : {}),
      files: fileManifest(db, before),
    });
    return s;
  } catch (err) {
    try {
      appendCustody(db, 'ingest', { inputs, outcome: 'error', error: (err as Error).message, files: fileManifest(db, before) });
    } catch {
      // the database itself failed (disk full, closed): the ingest error below is the one to report
    }
    throw err;
  }
}

/**
 * A case with fewer events than this is loaded in bulk: the event table's indexes (eventID hash, time, access key,
 * facts) are dropped while the rows go in and built once at the end, a sort instead of a random insert per row.
 * A bigger case keeps them (rebuilding them would cost more than the few files added).
 */
const BULK_BELOW_EVENTS = 100_000;

/** Run a load with the event indexes dropped when the case is small; they are back when it returns or throws. */
async function withBulkIndexes<T>(db: Database, load: (bulk: boolean) => Promise<T>): Promise<T> {
  const last = (db.prepare('SELECT MAX(id) FROM events').pluck().get() as number | null) ?? 0;
  if (last >= BULK_BELOW_EVENTS) return load(false);
  // The eventID-hash index too: the writer keeps the load's id hashes in memory instead (store.ts, `IdHashTable`).
  db.exec('DROP INDEX IF EXISTS events_id_hash; DROP INDEX IF EXISTS events_id_hash_upto; DROP INDEX IF EXISTS events_time; DROP INDEX IF EXISTS events_key; DROP INDEX IF EXISTS events_facts;');
  try {
    return await load(true);
  } finally {
    // After a crash: they are built when the case is next opened for writing (db/open.ts).
    buildSecondaryIndexes(db);
  }
}

/**
 * The page cache of a load past `ingestTuning.bulkLoadRecords` records (SQLite `cache_size`; negative: KiB). Each new event
 * inserts its eventID hash at a random place of an index that grows ~25 bytes an event (~250 MB at 10M events): a
 * cache that holds it saves a read and a later write of a page per event. What that costs a load is in proportion to
 * the records it writes, so a small one (a few files added to a case, the app's usual load) keeps the case's 64 MiB
 * (db/open.ts CASE_CACHE): added to an open 10M-event case (100,000 events), the same time, ~150 MB less memory at
 * its peak, where the reader's columns already hold ~700 MB. Loaded in one go, 10M events took 534 s with 256 MiB
 * and 630 s with 64 MiB (docs/benchmarks.md); 1M, 0.93 × the time with 64 MiB. A bulk load keeps no such index
 * until its id table is full (store.ts), but the cache still paid: with the case's 64 MiB instead, a 1M load took
 * 1.02 × the time (six pairs, 45 MB less); the table's bytes are taken out of it instead.
 */
export const BULK_LOAD_CACHE = -262144;
/**
 * Settings, for tests. `bulkLoadRecords`: from how many records a load takes `BULK_LOAD_CACHE`.
 * `heapTrimIntervalMs`: how often a load gives the C heap's free pages back to the system (native-heap.ts), checked
 * as each file is stored: what the parse workers and the writer free between two trims is all the allocator keeps.
 */
export const ingestTuning = { bulkLoadRecords: 1_000_000, heapTrimIntervalMs: 10_000 };

async function loadEvidence(db: Database, paths: string[], options: IngestOptions): Promise<IngestSummary> {
  const cache = db.pragma('cache_size', { simple: true }) as number;
  try {
    // (the bulk index build after the rows sorts with it too)
    return await withBulkIndexes(db, (bulk) => loadEvidenceInto(db, paths, options, bulk));
  } finally {
    db.pragma(`cache_size = ${cache}`);
    // The load's page cache beyond the case's, its parse workers' buffers: freed now, given back (native-heap.ts).
    trimNativeHeap();
  }
}

/**
 * A bulk load's parse jobs send batches ahead of the writer (parse-job.ts `BATCHES_AHEAD`); a load into a case that
 * already holds many events does not: there the writer is the slower side (each event goes into the big case's
 * indexes), so parsing ahead only holds memory, and that load shares its process with the reader's columns. With
 * batches ahead, 10M events added to an open 10M-event case peaked at 1,072 and 1,116 MB; without, 961 MB (the same
 * case and build otherwise, 2026-12-06; the target is 1 GB).
 */
function batchesAheadFor(bulk: boolean): number {
  return bulk ? BATCHES_AHEAD : 0;
}

async function loadEvidenceInto(db: Database, paths: string[], options: IngestOptions, bulk: boolean): Promise<IngestSummary> {
  const store = new EvidenceStore(db);
  const caseCache = db.pragma('cache_size', { simple: true }) as number;
  const pool = createPool(options.workers);
  const started = Date.now();
  const files: FileOutcome[] = [];
  const progress: IngestProgress = {
    filesDone: 0,
    filesFailed: 0,
    filesSkipped: 0,
    records: 0,
    audits: 0,
    bytes: 0,
    elapsedMs: 0,
    currentPath: null,
    done: false,
  };
  const report = () => {
    progress.elapsedMs = Date.now() - started;
    options.onProgress?.({ ...progress });
  };
  let decompressedBytes = 0;
  const slotFreed: (() => void)[] = [];
  const heapTrim = new PeriodicHeapTrim(ingestTuning.heapTrimIntervalMs);
  const writer = new WriterQueue(store, pool, (outcome, _records, bytes, decompressed) => {
    decompressedBytes += decompressed;
    files.push(outcome);
    if (outcome.status === 'failed') progress.filesFailed++;
    else if (outcome.status === 'already-loaded') progress.filesSkipped++;
    else progress.filesDone++;
    // What the summary will count: a file found already loaded at commit adds no records.
    progress.records += outcome.records;
    progress.audits += outcome.audits;
    if (progress.records >= ingestTuning.bulkLoadRecords) {
      // The writer's id table (a bulk load, store.ts) takes its memory out of the larger cache: the two together stay
      // within it. Never below the case's own cache.
      const want = Math.min(caseCache, (options.bulkLoadCache ?? BULK_LOAD_CACHE) + Math.ceil(store.idTableBytes / 1024));
      if ((db.pragma('cache_size', { simple: true }) as number) !== want) db.pragma(`cache_size = ${want}`);
    }
    progress.bytes += bytes;
    progress.currentPath = outcome.path;
    report();
    heapTrim.tick();
    slotFreed.shift()?.(); // one job fewer waiting to be written
  }, () => {
    for (const r of slotFreed.splice(0)) r();
  });

  let cancelled = false;
  let jobId = 0;
  // A parse that finishes frees its slot before the writer reaches it (its last batch is not acknowledged):
  // without this cap, small files parsed while a large one is written would all wait here, in memory.
  const maxUnwritten = MAX_UNWRITTEN_PER_WORKER * Math.max(1, pool.size);
  const waitForSlot = async () => {
    while ((pool.available === 0 || writer.outstanding >= maxUnwritten) && !writer.error) {
      await new Promise<void>((r) => slotFreed.push(r));
    }
  };
  try {
    // Archive members are read into memory: at most MAX_MEMBER_BYTES_IN_FLIGHT of them at once (one larger member
    // alone), each released when its parse job has finished.
    const budget = new ByteBudget(options.memberBytesInFlight ?? MAX_MEMBER_BYTES_IN_FLIGHT);
    for await (const item of enumerateEvidence(paths, { budget })) {
      if (options.signal?.aborted) {
        cancelled = true;
        break;
      }
      if (writer.error) break;
      if (item.kind === 'failure') {
        writer.failEntry(item.displayPath, item.error);
        continue;
      }
      await waitForSlot();
      if (writer.error) break;
      const job: Job = { jobId: ++jobId, displayPath: item.displayPath, source: item.source, batchesAhead: batchesAheadFor(bulk) };
      writer.expect(job.jobId, job.displayPath);
      pool.run(job, store.loadedHashes(job.displayPath), (msg) => {
        writer.deliver(msg);
        if (isFinal(msg)) {
          item.release();
          const r = slotFreed.shift();
          r?.();
        }
      });
    }
    await writer.whenIdle();
    if (!writer.error) store.flush();
  } catch (err) {
    store.abort();
    throw err;
  } finally {
    await pool.close();
  }
  if (writer.error) throw writer.error;
  progress.currentPath = null;
  progress.done = true;
  report();

  const sum = (k: 'records' | 'audits' | 'newAudits' | 'auditDuplicates' | 'newEvents' | 'duplicates' | 'conflicts' | 'insights' | 'rejected') =>
    files.reduce((n, f) => n + f[k], 0);
  return {
    files,
    loaded: files.filter((f) => f.status === 'loaded').length,
    alreadyLoaded: files.filter((f) => f.status === 'already-loaded').length,
    failed: files.filter((f) => f.status === 'failed').length,
    records: sum('records'),
    newEvents: sum('newEvents'),
    audits: sum('audits'),
    newAudits: sum('newAudits'),
    duplicates: sum('duplicates'),
    auditDuplicates: sum('auditDuplicates'),
    conflicts: sum('conflicts'),
    insights: sum('insights'),
    rejectedRecords: sum('rejected'),
    bytes: progress.bytes,
    decompressedBytes,
    cancelled,
  };
}
