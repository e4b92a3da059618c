// Child process of scripts/bench.mjs: ingest + correlate one bundle, print figures as JSON.
const { join } = require('node:path');
const { availableParallelism } = require('node:os');
const DIST = join(__dirname, '..', 'dist', 'electron', 'engine');
const { openCase } = require(join(DIST, 'db', 'open.js'));
const { ingestEvidence } = require(join(DIST, 'ingest', 'ingest.js'));
const { correlate } = require(join(DIST, 'chain', 'correlate.js'));

(async () => {
  const [casePath, bundle] = process.argv.slice(2);
  const db = openCase(casePath);
  let t = Date.now();
  const s = await ingestEvidence(db, [bundle], {});
  const ingestMs = Date.now() - t;
  t = Date.now();
  const c = correlate(db);
  const correlateMs = Date.now() - t;
  db.close();
  process.stdout.write(
    JSON.stringify({
      ingestMs,
      correlateMs,
      records: s.records,
      newEvents: s.newEvents,
      duplicates: s.duplicates,
      audits: s.audits,
      failed: s.failed,
      subjects: c.subjects,
      bytesDecompressed: s.decompressedBytes,
      maxRssKb: process.resourceUsage().maxRSS,
      cpus: availableParallelism(),
    }),
  );
})();
