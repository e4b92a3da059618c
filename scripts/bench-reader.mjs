// The reader on a case already built (one too big for `npm run bench` to build each run, such as 10M events):
// `podtrail serve` on it, the table and timeline asked for, then four searches and three region filters, each timed,
// and the serve process's peak RSS (engine, reader and scan workers) next to its target.
//
//   node scripts/bench-reader.mjs <case.db> [--add <evidence>]
//
// --add: then adds that evidence to the open case through the same process (as the app does: its ingest, the
// incremental correlation and the reader's refresh share one process) and reports the time and the peak RSS again.
// It changes the case: give it a copy.
//
// Needs `npx tsc -p tsconfig.json` first (runs bin/podtrail.js). The words: one common event name, a word of many
// records, one no record holds, and a prefix (a search first waits for the search columns, so the first is slow).
import { parseArgs } from 'node:util';
import { serve } from './lib/serve.mjs';

const { values: opts, positionals } = parseArgs({ options: { add: { type: 'string' } }, allowPositionals: true });
const [casePath] = positionals;
if (!casePath) throw new Error('usage: node scripts/bench-reader.mjs <case.db> [--add <evidence>]');
const { call, change, stop, peakRssKb, nextPush } = await serve(casePath);
const mb = () => {
  const kb = peakRssKb();
  return kb === null ? null : Math.round(kb / 1024);
};
try {
  const t = performance.now();
  const facets = await call('events.facets', {});
  await change({});
  console.log(`timeline ready    ${Math.round(performance.now() - t)} ms after opening, peak RSS ${mb()} MB`);
  for (const search of ['GetSecretValue', 'Describe', 'zqx-in-no-record', 'PutObjec']) {
    const t0 = performance.now();
    await change({ search });
    console.log(`search ${search.padEnd(18)} ${Math.round(performance.now() - t0)} ms, peak RSS ${mb()} MB`);
  }
  for (const region of (facets.regions ?? []).slice(0, 3)) {
    const t0 = performance.now();
    await change({ region });
    console.log(`region ${region.padEnd(18)} ${Math.round(performance.now() - t0)} ms`);
  }
  const verdict = (label, peak) =>
    console.log(`${label.padEnd(17)} ${peak === null ? 'not measured (no /proc)' : `${peak} MB`}   target < 1,024 MB: ${peak === null ? '—' : peak < 1024 ? 'met' : 'NOT MET'}`);
  verdict('reader peak RSS', mb());
  if (opts.add) {
    const before = await call('case.summary', {});
    const t0 = performance.now();
    const done = await nextPush('ingest.done');
    const { jobId } = await call('ingest.start', { paths: [opts.add] });
    const result = await done.found;
    if (result.jobId !== jobId || !result.ok) throw new Error(`the ingest did not succeed: ${JSON.stringify(result).slice(0, 500)}`);
    // Then the reader's refresh: its timeline counts every event the case now holds.
    const after = await call('case.summary', {});
    while ((await call('events.histogram', { filters: {}, buckets: 10 })).counts.reduce((a, b) => a + b, 0) !== after.events) {
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(`added             ${after.events - before.events} events in ${Math.round(performance.now() - t0)} ms (ingest, correlation, the reader's refresh)`);
    await change({ search: 'GetSecretValue' });
    verdict('with the ingest', mb());
  }
} finally {
  await stop();
}
