/**
 * Worker thread with a read-only connection to the case (SQLite WAL: it reads what the engine has committed). It
 * answers the one call that only reads and can take a second, the timeline's histogram, beside the engine worker,
 * so that a table page never waits behind it. Started by EngineHost once the engine has opened (and migrated) the
 * case.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { API, type ApiResult } from '../../../shared/api';
import { openCase } from '../db/open';
import { countHistogram, SupersededError } from './histogram';
import type { HostMessage, HostRequest } from './host';

if (!parentPort) throw new Error('reader-worker must run as a worker thread');
const port = parentPort;
const db = openCase((workerData as { casePath: string }).casePath, { readonly: true, mustExist: true });
let generation = 0;

async function answer(name: string, input: unknown): Promise<ApiResult<unknown>> {
  if (name !== 'events.histogram') return { ok: false, error: { code: 'unknown-method', message: `the reader answers events.histogram, not ${name}` } };
  const parsed = API['events.histogram'].input.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: { code: 'bad-input', message: `${name}: ${issue?.path.join('.') || 'input'}: ${issue?.message}` } };
  }
  const mine = ++generation; // the timeline shows one histogram: a newer request stops an older one
  try {
    return { ok: true, value: await countHistogram(db, parsed.data, () => mine === generation) };
  } catch (err) {
    if (err instanceof SupersededError) return { ok: false, error: { code: 'superseded', message: err.message } };
    return { ok: false, error: { code: 'internal', message: (err as Error).message } };
  }
}

port.on('message', (req: HostRequest) => {
  if (req.kind === 'close') {
    db.close();
    port.postMessage({ kind: 'closed' } satisfies HostMessage);
    return;
  }
  void answer(req.name, req.input).then((result) => port.postMessage({ kind: 'result', id: req.id, result } satisfies HostMessage));
});
