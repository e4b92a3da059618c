// Search over the raw records (issue 17 part 3): time per term on a built case, and the skip index's size.
//
//   node scripts/bench-search.cjs <case.db> [term…]
//
// Needs `npx tsc -p tsconfig.json` first (reads dist/). For each term: the raw search alone (blocks the filters let
// through, records checked, matches, ms), then the table's first page + total and the timeline's histogram through
// the engine's service (cold: the term's first use; warm: asked again, from its cached hit table). Prints JSON.
const { join } = require('node:path');
const { statSync } = require('node:fs');
const DIST = join(__dirname, '..', 'dist', 'electron', 'engine');
const { openCase } = require(join(DIST, 'db', 'open.js'));
const { CaseService } = require(join(DIST, 'service', 'case-service.js'));
const { RawSearch } = require(join(DIST, 'service', 'raw-search.js'));
const { parseSearch } = require(join(DIST, 'service', 'search-terms.js'));

(async () => {
  const [casePath, ...terms] = process.argv.slice(2);
  if (!casePath || terms.length === 0) throw new Error('usage: node scripts/bench-search.cjs <case.db> <term>…');
  const db = openCase(casePath, { mustExist: true });
  const size = db.prepare('SELECT COUNT(*) blocks, SUM(length(data)) data, SUM(length(filter)) filters, COUNT(filter) filtered FROM raw_blocks').get();
  const events = db.prepare('SELECT COUNT(*) FROM events').pluck().get();
  const out = { case: casePath, caseBytes: statSync(casePath).size, events, ...size, terms: [] };
  const service = new CaseService(db, casePath);
  const time = async (fn) => {
    const t = process.hrtime.bigint();
    const v = await fn();
    return { ms: Number(process.hrtime.bigint() - t) / 1e6, v };
  };
  for (const term of terms) {
    // The raw search alone, on a fresh searcher (filters read from the case first: that is the `load` figure).
    const fresh = new RawSearch(db);
    const load = await time(() => fresh.loadFilters());
    const parsed = parseSearch(term);
    const raw = [];
    for (const t of parsed) {
      const r = await time(() => fresh.matching(t));
      raw.push({ term: t.kind === 'text' ? t.text : `${t.path.join('.')}:${t.pattern}`, ...fresh.last, totalMs: r.ms });
    }
    const query = { filters: { search: term }, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 200 };
    const cold = await time(async () => [service.eventPage(query), await service.histogram({ filters: query.filters, buckets: 200 })]);
    const warm = await time(async () => [service.eventPage({ ...query, offset: 200 }), await service.histogram({ filters: query.filters, buckets: 200 })]);
    out.terms.push({
      search: term,
      total: cold.v[0].total,
      filterLoadMs: Math.round(load.ms),
      raw,
      pageAndHistogramColdMs: Math.round(cold.ms),
      pageAndHistogramWarmMs: Math.round(warm.ms),
    });
  }
  db.close();
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
})().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
