#!/usr/bin/env node
// Benchmark: ingest + correlate, adding evidence to a big case, the case's size, peak memory, attribute, trace
// latency and filter latency over the loopback API on a generated bundle, compared with DuckDB's read_json over
// the same files and, for the growth figure, with a 200,000-event bundle in the same run. Prints each figure next
// to its target (the store-at-scale issue), met or not met; it is not a test and asserts nothing.
//
//   npm run bench                         # 1,000,000 events (generated once into bench-out/, then reused)
//   npm run bench -- --events 3000000     # bigger
//   npm run bench -- --events 200000      # smaller (no growth figure)
//   npm run bench -- --bundle DIR         # any CloudTrail folder
//   npm run bench -- --k8s                # with EKS audit logs (incl. node lease renewals) and inventories
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { serve } from './lib/serve.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
if (!existsSync(join(DIST, 'electron', 'cli', 'main.js'))) {
  console.error('bench: build first (npm run build)');
  process.exit(1);
}

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    bundle: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench-out') },
    traces: { type: 'string', default: '1000' },
    'skip-duckdb': { type: 'boolean', default: false },
    k8s: { type: 'boolean', default: false },
    // the growth figure: this size's rate against a smaller bundle's, measured in the same run (0: skip)
    'growth-base': { type: 'string', default: '200000' },
    changes: { type: 'string', default: '60' },
  },
});

const events = Number(opts.events);
mkdirSync(opts.out, { recursive: true });

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) out.push(...walk(p));
    else out.push({ path: p, size: s.size });
  }
  return out;
}

const mb = (bytes) => bytes / (1024 * 1024);
const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

// 1. the bundle
function ensureBundle(n) {
  const dir = join(opts.out, `bundle-${n}-seed${opts.seed}${opts.k8s ? '-k8s' : ''}`);
  if (!existsSync(dir)) {
    const { generateBundle } = require(join(DIST, 'test', 'generator', 'index.js'));
    console.error(`bench: generating ${n} events into ${dir} …`);
    const t = Date.now();
    generateBundle({ outDir: dir, events: n, seed: opts.seed, truthPath: `${dir}.truth.jsonl`, k8s: opts.k8s, k8sLeases: opts.k8s });
    console.error(`bench: generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
  return dir;
}
const bundle = opts.bundle ?? ensureBundle(events);
const files = walk(bundle);
const logFiles = files.filter((f) => /\.json(\.gz)?$/.test(f.path) && !f.path.includes('CloudTrail-Digest'));
const compressedBytes = files.reduce((s, f) => s + f.size, 0);

/** Ingest + correlate in a child process of its own, so that peak RSS is PodTrail's alone. */
function ingestChild(casePath, args) {
  for (const suffix of ['', '-wal', '-shm', '.columns']) rmSync(casePath + suffix, { force: true });
  const child = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench-ingest.cjs'), casePath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (child.status !== 0) {
    console.error(child.stderr);
    process.exit(1);
  }
  return JSON.parse(child.stdout);
}

// 2. ingest + correlate: the exports and documents first, then the trail's files in time order (the time in each
//    file's name, as CloudTrail writes it every 5 minutes per account and region; then path), all but the last 1 %
//    of files; then the last 1 % added to the same case (the add-evidence figure: the latest minutes of every
//    account, region and trail, as when more of the trail arrives); the ingest rate is over both.
const casePath = join(opts.out, 'bench-case.db');
const inTrail = (p) => /[\\/]CloudTrail[\\/]/.test(p);
const written = (p) => /_(\d{8}T\d{4}Z)_/.exec(p)?.[1] ?? '';
const trailOrder = (a, b) => (written(a) < written(b) ? -1 : written(a) > written(b) ? 1 : a < b ? -1 : a > b ? 1 : 0);
const ordered = [...files.map((f) => f.path).filter((p) => !inTrail(p)).sort(), ...files.map((f) => f.path).filter(inTrail).sort(trailOrder)];
const cut = Math.max(1, Math.floor(ordered.length * 0.99));
const planPath = join(opts.out, 'bench-plan.json');
writeFileSync(planPath, JSON.stringify({ first: ordered.slice(0, cut), then: ordered.slice(cut) }));
const ing = ingestChild(casePath, ['--plan', planPath]);
const dbBytes = ['', '-wal'].reduce((s, x) => s + (existsSync(casePath + x) ? statSync(casePath + x).size : 0), 0);

// 2b. growth: a smaller bundle in the same run, for the rate ratio
let base = null;
const baseEvents = Number(opts['growth-base']);
if (!opts.bundle && baseEvents > 0 && baseEvents < events) {
  const baseCase = join(opts.out, 'bench-case-base.db');
  base = ingestChild(baseCase, [ensureBundle(baseEvents)]);
  base.events = baseEvents;
  for (const suffix of ['', '-wal', '-shm']) rmSync(baseCase + suffix, { force: true });
}

// 3. attribute (the CLI, JSONL to a file)
const attrOut = join(opts.out, 'attributions.jsonl');
let t = Date.now();
const attr = spawnSync(process.execPath, [join(ROOT, 'bin', 'podtrail.js'), 'attribute', '--case', casePath, '--out', attrOut], { encoding: 'utf8' });
if (attr.status !== 0) {
  console.error(attr.stderr);
  process.exit(1);
}
const attributeMs = Date.now() - t;

// 4. trace latency over random events
const { openCase } = require(join(DIST, 'electron', 'engine', 'db', 'open.js'));
const { CaseQueries } = require(join(DIST, 'electron', 'engine', 'case', 'queries.js'));
const db = openCase(casePath, { mustExist: true });
const q = new CaseQueries(db);
const ids = db.prepare('SELECT event_id FROM events ORDER BY random() LIMIT ?').pluck().all(Number(opts.traces));
const lat = [];
for (const id of ids) {
  const s = process.hrtime.bigint();
  q.trace(id);
  lat.push(Number(process.hrtime.bigint() - s) / 1e6);
}
db.close();
lat.sort((a, b) => a - b);
const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];

// 4b. filter latency over the loopback API: each change asks for the table's first page and the timeline's
//     histogram together, as the app does; the figure is the time until both have answered.
async function filterLatency() {
  const { call, change, stop, peakRssKb } = await serve(casePath);
  const opened = performance.now();
  let readyMs = null;
  try {
    const facets = await call('events.facets', {});
    const pick = (xs, i) => (xs && xs.length > 0 ? xs[i % xs.length] : undefined);
    const valuesOf = (k) => facets[k] ?? [];
    const keyDb = openCase(casePath, { mustExist: true, readonly: true });
    const keys = keyDb.prepare('SELECT access_key_id FROM events WHERE access_key_id IS NOT NULL GROUP BY access_key_id ORDER BY random() LIMIT 20').pluck().all();
    const words = keyDb.prepare('SELECT DISTINCT event_name FROM events ORDER BY random() LIMIT 10').pluck().all();
    keyDb.close();
    const changes = [];
    const n = Number(opts.changes);
    for (let i = 0; i < n; i++) {
      const kind = i % 6;
      const f = {};
      if (kind === 0) f.eventName = pick(words, i);
      else if (kind === 1) f.account = pick(valuesOf('accounts'), i);
      else if (kind === 2) f.region = pick(valuesOf('regions'), i);
      else if (kind === 3) f.accessKeyId = pick(keys, i);
      else if (kind === 4) f.search = pick(words, i)?.slice(0, 8);
      else f.eventSource = pick(valuesOf('eventSources'), i);
      for (const k of Object.keys(f)) if (f[k] === undefined) delete f[k];
      changes.push(f);
    }
    const times = [];
    const timed = [];
    for (const [i, filters] of changes.entries()) {
      const t0 = performance.now();
      await change(filters);
      // The first change waits for the reader's in-memory columns (event-columns.ts): the timeline's time to ready.
      if (i === 0) readyMs = performance.now() - opened;
      if (i >= 3) {
        // the first few warm the caches
        times.push(performance.now() - t0);
        timed.push({ filters, ms: performance.now() - t0 });
      }
    }
    const t0 = performance.now();
    await call('events.query', { filters: {}, sort: { column: 'eventTime', dir: 'asc' }, offset: 0, limit: 100 });
    // The slowest changes, with their filters: the p95 is the third slowest of 57, so it says which ones made it.
    const slowest = timed.sort((a, b) => b.ms - a.ms).slice(0, 4);
    // The reader's memory: the serve process (the engine, its reader and scan workers) after every change above.
    return { times, slowest, firstPageMs: performance.now() - t0, readyMs, readerRssKb: peakRssKb() };
  } finally {
    await stop();
  }
}
const filter = await filterLatency();
// The reader's columns kept beside the case once loaded (service/column-image.ts): a cache, counted beside the case.
const imageBytes = existsSync(`${casePath}.columns`) ? statSync(`${casePath}.columns`).size : 0;
const q2 = (xs, q) => {
  const s2 = [...xs].sort((a, b) => a - b);
  return s2[Math.min(s2.length - 1, Math.max(0, Math.ceil(q * s2.length) - 1))];
};

// 5. DuckDB read_json over the same log files
let duck = null;
if (!opts['skip-duckdb']) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await inst.connect();
  const list = logFiles.filter((f) => f.path.endsWith('.json.gz') && f.path.includes('/CloudTrail/')).map((f) => `'${f.path.replace(/'/g, "''")}'`);
  t = Date.now();
  const reader = await conn.runAndReadAll(
    `SELECT count(*) FROM (SELECT unnest(Records) FROM read_json([${list.join(',')}], format = 'auto', maximum_object_size = 1073741824, columns = {Records: 'JSON[]'}))`,
  );
  const duckMs = Date.now() - t;
  duck = { records: Number(reader.getRows()[0][0]), ms: duckMs, files: list.length };
}

// 6. figures
// The rate counts every file's ingest and both correlations: the whole one after the first 99 % and the incremental
// one after the last files (a one-shot load would correlate whole once, over a little more: about the same time).
const ingestS = ing.ingestMs / 1000;
const correlateMs = ing.correlateMs;
const totalS = (ing.ingestMs + correlateMs) / 1000;
const rate = ing.records / totalS;
console.log(`PodTrail benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${ing.cpus} cores`);
console.log(`bundle            ${bundle}`);
console.log(`                  ${files.length} files, ${fmt(mb(compressedBytes))} MB on disk, ${fmt(mb(ing.bytesDecompressed))} MB decompressed`);
console.log(`records read      ${ing.records.toLocaleString('en-US')} (${ing.newEvents.toLocaleString('en-US')} events, ${ing.duplicates.toLocaleString('en-US')} duplicates)`);
if (ing.audits) console.log(`kubernetes        ${ing.audits.toLocaleString('en-US')} audit events (counted in records read)`);
console.log(`ingest            ${fmt(ingestS)} s`);
console.log(
  `correlate         ${fmt(correlateMs / 1000)} s (${ing.subjects.toLocaleString('en-US')} credentials): whole after the first files ${fmt(ing.first.correlateMs / 1000)} s${ing.then ? `, ${ing.then.mode} after the last ${fmt(ing.then.correlateMs / 1000)} s` : ''}`,
);
console.log(`ingest+correlate  ${fmt(totalS)} s → ${fmt(rate, 0)} records/s, ${fmt(mb(ing.bytesDecompressed) / totalS)} MB/s decompressed (${fmt(mb(compressedBytes) / totalS)} MB/s on disk)`);
const firstS = (ing.first.ingestMs + ing.first.correlateMs) / 1000;
const thenS = ing.then ? (ing.then.ingestMs + ing.then.correlateMs) / 1000 : null;
if (ing.then) {
  console.log(
    `add evidence      first ${cut} files ${fmt(firstS)} s; the last ${ing.then.files} added (${ing.then.newEvents.toLocaleString('en-US')} new events): ingest ${fmt(ing.then.ingestMs / 1000)} s + correlate ${fmt(ing.then.correlateMs / 1000)} s (${ing.then.mode})`,
  );
}
console.log(`peak RSS          ${fmt(ing.maxRssKb / 1024, 0)} MB (ingest process, workers included)`);
console.log(`case database     ${fmt(mb(dbBytes), 0)} MB; the columns' image beside it ${fmt(mb(imageBytes), 0)} MB (${fmt(imageBytes / compressedBytes, 3)} × the gzip)`);
console.log(`attribute         ${fmt(attributeMs / 1000)} s (JSONL of every event)`);
console.log(`trace             p50 ${fmt(pct(50), 2)} ms, p95 ${fmt(pct(95), 2)} ms over ${lat.length} random events`);
console.log(`timeline ready    ${fmt(filter.readyMs, 0)} ms after the case opened (the first filter change, untimed with the next two: it waits for the columns to load)`);
console.log(`filter changes    ${filter.times.length} over the loopback API (page + histogram): p50 ${fmt(q2(filter.times, 0.5), 0)} ms, p95 ${fmt(q2(filter.times, 0.95), 0)} ms; first page ${fmt(filter.firstPageMs, 0)} ms`);
console.log(`  slowest         ${filter.slowest.map((c) => `${JSON.stringify(c.filters)} ${fmt(c.ms, 0)} ms`).join(', ')}`);
console.log(`reader peak RSS   ${filter.readerRssKb === null ? 'not measured (no /proc)' : `${fmt(filter.readerRssKb / 1024, 0)} MB`} (podtrail serve after the filter changes: columns, search filters, caches)`);
let duckRate = null;
if (duck) {
  duckRate = duck.records / (duck.ms / 1000);
  console.log(`DuckDB read_json  ${fmt(duck.ms / 1000)} s for ${duck.records.toLocaleString('en-US')} records in ${duck.files} files → ${fmt(duckRate, 0)} records/s (2 threads)`);
}
const baseRate = base ? base.records / ((base.ingestMs + base.correlateMs) / 1000) : null;
if (base) console.log(`growth base       ${base.events.toLocaleString('en-US')} events: ${fmt(baseRate, 0)} records/s, peak RSS ${fmt(base.maxRssKb / 1024, 0)} MB`);

// Each figure against its target (store-at-scale issue).
const rows = [];
const row = (figure, measured, target, met) => rows.push([figure, measured, target, met === null ? 'not measured' : met ? 'met' : 'NOT MET']);
const filterTarget = ing.newEvents >= 2_000_000 ? 250 : 100;
row('ingest rate / DuckDB read_json', duckRate ? `${fmt(rate / duckRate, 2)} ×` : '—', '≥ 0.5 ×', duckRate ? rate / duckRate >= 0.5 : null);
row('case size / gzip evidence', `${fmt(dbBytes / compressedBytes, 2)} ×`, '≤ 3 ×', dbBytes / compressedBytes <= 3);
row('  with the columns\' image', `${fmt((dbBytes + imageBytes) / compressedBytes, 2)} ×`, '≤ 3 ×', (dbBytes + imageBytes) / compressedBytes <= 3);
row(`rate at ${fmt(events / 1e6, 1)}M / at ${base ? fmt(base.events / 1e6, 1) : '?'}M`, baseRate ? `${fmt(rate / baseRate, 2)} ×` : '—', '≥ 0.8 ×', baseRate ? rate / baseRate >= 0.8 : null);
row('last 1 % of files / first 99 %', thenS !== null ? `${fmt((100 * thenS) / firstS, 1)} %` : '—', '≤ 10 %', thenS !== null ? thenS / firstS <= 0.1 : null);
row(`filter p95 at ${fmt(ing.newEvents / 1e6, 1)}M`, `${fmt(q2(filter.times, 0.95), 0)} ms`, `≤ ${filterTarget} ms`, q2(filter.times, 0.95) <= filterTarget);
row('first rows (cold page)', `${fmt(filter.firstPageMs, 0)} ms`, '< 1,000 ms', filter.firstPageMs < 1000);
row('peak RSS', `${fmt(ing.maxRssKb / 1024, 0)} MB`, '< 1,024 MB', ing.maxRssKb / 1024 < 1024);
row('reader peak RSS', filter.readerRssKb === null ? '—' : `${fmt(filter.readerRssKb / 1024, 0)} MB`, '< 1,024 MB', filter.readerRssKb === null ? null : filter.readerRssKb / 1024 < 1024);
row('trace p95', `${fmt(pct(95), 2)} ms`, '≤ 20 ms', pct(95) <= 20);
console.log('');
const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['figure', 'measured', 'target', ''][i].length));
console.log(['figure', 'measured', 'target', ''].map((h, i) => h.padEnd(widths[i])).join('  '));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
