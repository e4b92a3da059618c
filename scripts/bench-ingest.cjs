// Child process of scripts/bench.mjs: ingest + correlate one bundle, print figures as JSON.
//   node scripts/bench-ingest.cjs <case.db> <bundle dir>                     one load
//   node scripts/bench-ingest.cjs <case.db> --plan <plan.json>               {"first": [paths…], "then": [paths…]}:
//     the first paths loaded and correlated, then the others added to the same case and correlated again
//     (the add-evidence measurement: what adding a few files to a big case costs).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { availableParallelism } = require('node:os');
const DIST = join(__dirname, '..', 'dist', 'electron', 'engine');
const { openCase } = require(join(DIST, 'db', 'open.js'));
const { ingestEvidence } = require(join(DIST, 'ingest', 'ingest.js'));
const { correlate } = require(join(DIST, 'chain', 'correlate.js'));

async function load(db, paths) {
  let t = Date.now();
  const s = await ingestEvidence(db, paths, {});
  const ingestMs = Date.now() - t;
  t = Date.now();
  const c = correlate(db);
  return { ingestMs, correlateMs: Date.now() - t, s, c };
}

(async () => {
  const [casePath, ...rest] = process.argv.slice(2);
  const plan = rest[0] === '--plan' ? JSON.parse(readFileSync(rest[1], 'utf8')) : { first: rest, then: [] };
  const db = openCase(casePath);
  const a = await load(db, plan.first);
  const b = plan.then.length > 0 ? await load(db, plan.then) : null;
  db.close();
  const sum = (k) => a.s[k] + (b ? b.s[k] : 0);
  process.stdout.write(
    JSON.stringify({
      ingestMs: a.ingestMs + (b ? b.ingestMs : 0),
      correlateMs: a.correlateMs + (b ? b.correlateMs : 0),
      first: { ingestMs: a.ingestMs, correlateMs: a.correlateMs, records: a.s.records },
      then: b ? { ingestMs: b.ingestMs, correlateMs: b.correlateMs, records: b.s.records, newEvents: b.s.newEvents, files: plan.then.length, mode: b.c.mode } : null,
      records: sum('records'),
      newEvents: sum('newEvents'),
      duplicates: sum('duplicates'),
      audits: sum('audits'),
      failed: sum('failed'),
      subjects: (b ?? a).c.subjects,
      bytesDecompressed: sum('decompressedBytes'),
      maxRssKb: process.resourceUsage().maxRSS,
      cpus: availableParallelism(),
    }),
  );
})();
