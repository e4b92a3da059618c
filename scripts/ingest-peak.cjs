// Child process of scripts/big-file.mjs (and test/engine/ingest/big-file.test.ts): ingest evidence into a case
// and print, as JSON, the summary and this process's own peak RSS (worker threads share the process, so it counts
// them). `--cache-mib N` sets SQLite's page cache before the ingest: the cache is a fixed cap that fills as the
// case grows, and a smaller one lets a test see whether anything else grows with the file.
//
//   node scripts/ingest-peak.cjs <case.db> <evidence>… [--cache-mib N] [--workers N]
const { join } = require('node:path');
const DIST = join(__dirname, '..', 'dist', 'electron', 'engine');
const { openCase } = require(join(DIST, 'db', 'open.js'));
const { ingestEvidence } = require(join(DIST, 'ingest', 'ingest.js'));

(async () => {
  const args = process.argv.slice(2);
  const option = (name) => {
    const i = args.indexOf(name);
    if (i === -1) return undefined;
    const v = Number(args[i + 1]);
    args.splice(i, 2);
    return v;
  };
  const cacheMiB = option('--cache-mib');
  const workers = option('--workers');
  const [casePath, ...inputs] = args;
  const db = openCase(casePath);
  if (cacheMiB !== undefined) db.pragma(`cache_size = -${cacheMiB * 1024}`);
  const started = Date.now();
  const s = await ingestEvidence(db, inputs, workers === undefined ? {} : { workers });
  const ms = Date.now() - started;
  db.close();
  process.stdout.write(
    JSON.stringify({
      ms,
      loaded: s.loaded,
      failed: s.failed,
      records: s.records,
      newEvents: s.newEvents,
      rejectedRecords: s.rejectedRecords,
      decompressedBytes: s.decompressedBytes,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    }) + '\n',
  );
})().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(3);
});
