// The reader on a case already built (one too big for `npm run bench` to build each run, such as 10M events):
// `podtrail serve` on it, the table and timeline asked for, then four searches and three region filters, each timed,
// and the serve process's peak RSS (engine, reader and scan workers) next to its target.
//
//   node scripts/bench-reader.mjs <case.db>
//
// Needs `npx tsc -p tsconfig.json` first (runs bin/podtrail.js). The words: one common event name, a word of many
// records, one no record holds, and a prefix (a search first waits for the search columns, so the first is slow).
import { serve } from './lib/serve.mjs';

const [casePath] = process.argv.slice(2);
if (!casePath) throw new Error('usage: node scripts/bench-reader.mjs <case.db>');
const { call, change, stop, peakRssKb } = await serve(casePath);
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
  const peak = mb();
  console.log(`reader peak RSS   ${peak === null ? 'not measured (no /proc)' : `${peak} MB`}   target < 1,024 MB: ${peak === null ? '—' : peak < 1024 ? 'met' : 'NOT MET'}`);
} finally {
  await stop();
}
