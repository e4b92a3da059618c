/**
 * Worker thread with a read-only connection to the case (SQLite WAL: it reads what the engine has committed). It
 * answers the calls that only read and can take a second (host.ts READER_CALLS) — the timeline's histogram, a
 * table page that searches or is filtered and sorted by time, and a person's timeline (`actor.timeline`, whose
 * temporary tables live in this connection's own temp schema) — beside the engine worker, so that a table page never
 * waits behind them. Started by EngineHost once the engine has opened (and migrated) the case.
 *
 * It keeps the event columns in memory (event-columns.ts), loading them in the background from its start: the
 * histogram, a search page's total and a search's column matches are counted from them once loaded. A search's
 * hit table (raw-search.ts) is built once here for both the page and the timeline.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { dirname, resolve } from 'node:path';
import type { ActorQuery, ApiResult, EventQuery, HistogramQuery } from '../../../shared/api';
import { openCase } from '../db/open';
import { actorTimelineView } from '../k8s/actor-pivot';
import { enableEventColumns, IMAGE_SUFFIX } from './event-columns';
import { EventPages } from './event-page';
import { rawSearch } from './raw-search';
import { columnsReady, countHistogram, SupersededError, termIds } from './histogram';
import { READER_CALLS, workerPath, type HostMessage, type HostRequest } from './host';
import { ScanHelper } from './scan-helper';
import { validateApiInput } from './validate-input';

if (!parentPort) throw new Error('reader-worker must run as a worker thread');
const port = parentPort;
const casePath = (workerData as { casePath: string }).casePath;
const db = openCase(casePath, { readonly: true, mustExist: true });
// The reader answers most requests from its in-memory columns, and its SQL reads ranges the operating system's file
// cache serves again: a page cache as large as the writer's (256 MiB, for random index inserts) only filled up with
// pages read once. 32 MiB: the serve process's peak at 10M events 1,575 → 1,361 MB (docs/benchmarks.md).
db.pragma('cache_size = -32768');
// A search's candidate blocks are checked on both cores (scan-helper.ts); without the worker, on this one.
let helper: ScanHelper | null = null;
try {
  helper = new ScanHelper(workerPath('scan-worker.js'), casePath);
  rawSearch(db).useHelper(helper);
} catch {
  helper = null;
}
// The columns' next slices are read on the scan worker's connection while this thread parses the one before.
const scan = helper;
// PODTRAIL_COLUMN_ROWS: the rows whose columns stay in memory (event-columns.ts COLUMN_ROWS_IN_MEMORY), the rest
// spilled to a temporary file: lower on a machine short of memory, or to measure the spilled scans on a smaller case.
const memoryRows = Number(process.env.PODTRAIL_COLUMN_ROWS) > 0 ? Number(process.env.PODTRAIL_COLUMN_ROWS) : undefined;
// The columns' image beside the case (column-image.ts): a case opened again is not read whole to make them.
const columns = enableEventColumns(db, {
  memoryRows,
  spillDir: dirname(resolve(casePath)),
  image: { path: resolve(casePath) + IMAGE_SUFFIX },
  ...(scan ? { source: (sql: string, after: number, upTo: number) => scan.slice(sql, after, upTo) } : {}),
});
// Once the columns are in, the search's block filters too (read at the first search otherwise: ~40 ms at 1M).
void columns
  .refresh()
  .then(() => rawSearch(db).loadFilters())
  .catch(() => {});
const pages = new EventPages(
  db,
  (f) => columns.total(f, termIds(db)),
  (f, k, desc) => columns.firstRows(f, termIds(db), k, desc),
);
/** `PRAGMA data_version` when the pages' totals were kept: another connection's commit makes them stale. */
let pagesVersion = -1;
let generation = 0;

async function answer(name: string, input: unknown): Promise<ApiResult<unknown>> {
  if (!READER_CALLS.has(name)) return { ok: false, error: { code: 'unknown-method', message: `the reader answers ${[...READER_CALLS].join(', ')}, not ${name}` } };
  const checked = validateApiInput(name, input);
  if (!checked.ok) return checked;
  try {
    if (name === 'actor.timeline') return { ok: true, value: actorTimelineView(db, checked.value as ActorQuery) };
    if (name === 'events.query') {
      // A search waits for the columns (its SQL would scan every event); another page is read with SQL meanwhile.
      const q = checked.value as EventQuery;
      if ((q.filters.search ?? '').trim() !== '') await columnsReady(db, () => true, true);
      const version = db.pragma('data_version', { simple: true }) as number;
      if (version !== pagesVersion) {
        pages.clear();
        pagesVersion = version;
      }
      return { ok: true, value: pages.page(q) };
    }
    const mine = ++generation; // the timeline shows one histogram: a newer request stops an older one
    return { ok: true, value: await countHistogram(db, checked.value as HistogramQuery, () => mine === generation) };
  } catch (err) {
    if (err instanceof SupersededError) return { ok: false, error: { code: 'superseded', message: err.message } };
    return { ok: false, error: { code: 'internal', message: (err as Error).message } };
  }
}

port.on('message', (req: HostRequest) => {
  if (req.kind === 'close') {
    columns.stop();
    helper?.stop('the case was closed');
    db.close();
    port.postMessage({ kind: 'closed' } satisfies HostMessage);
    return;
  }
  void answer(req.name, req.input).then((result) => port.postMessage({ kind: 'result', id: req.id, result } satisfies HostMessage));
});
