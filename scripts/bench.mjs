#!/usr/bin/env node
// Benchmark: ingest + correlate, attribute, and trace latency on a generated bundle, compared with DuckDB's
// read_json over the same files. Prints figures; it is not a test and asserts nothing.
//
//   npm run bench                         # 1,000,000 events (generated once into bench-out/, then reused)
//   npm run bench -- --events 200000      # smaller
//   npm run bench -- --bundle DIR         # any CloudTrail folder
//   npm run bench -- --k8s                # with EKS audit logs (incl. node lease renewals) and inventories
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
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
let bundle = opts.bundle;
if (!bundle) {
  bundle = join(opts.out, `bundle-${events}-seed${opts.seed}${opts.k8s ? '-k8s' : ''}`);
  if (!existsSync(bundle)) {
    const { generateBundle } = require(join(DIST, 'test', 'generator', 'index.js'));
    console.error(`bench: generating ${events} events into ${bundle} …`);
    const t = Date.now();
    generateBundle({ outDir: bundle, events, seed: opts.seed, truthPath: `${bundle}.truth.jsonl`, k8s: opts.k8s, k8sLeases: opts.k8s });
    console.error(`bench: generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  }
}
const files = walk(bundle);
const logFiles = files.filter((f) => /\.json(\.gz)?$/.test(f.path) && !f.path.includes('CloudTrail-Digest'));
const compressedBytes = files.reduce((s, f) => s + f.size, 0);

// 2. ingest + correlate in a child process of its own, so peak RSS is PodTrail's alone
const casePath = join(opts.out, 'bench-case.db');
for (const suffix of ['', '-wal', '-shm']) rmSync(casePath + suffix, { force: true });
const child = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench-ingest.cjs'), casePath, bundle], {
  encoding: 'utf8',
  maxBuffer: 1 << 26,
});
if (child.status !== 0) {
  console.error(child.stderr);
  process.exit(1);
}
const ing = JSON.parse(child.stdout);
const dbBytes = ['', '-wal'].reduce((s, x) => s + (existsSync(casePath + x) ? statSync(casePath + x).size : 0), 0);

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
const ingestS = ing.ingestMs / 1000;
const totalS = (ing.ingestMs + ing.correlateMs) / 1000;
const rate = ing.records / totalS;
console.log(`PodTrail benchmark — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${ing.cpus} cores`);
console.log(`bundle            ${bundle}`);
console.log(`                  ${files.length} files, ${fmt(mb(compressedBytes))} MB on disk, ${fmt(mb(ing.bytesDecompressed))} MB decompressed`);
console.log(`records read      ${ing.records.toLocaleString('en-US')} (${ing.newEvents.toLocaleString('en-US')} events, ${ing.duplicates.toLocaleString('en-US')} duplicates)`);
if (ing.audits) console.log(`kubernetes        ${ing.audits.toLocaleString('en-US')} audit events (counted in records read)`);
console.log(`ingest            ${fmt(ingestS)} s`);
console.log(`correlate         ${fmt(ing.correlateMs / 1000)} s (${ing.subjects.toLocaleString('en-US')} credentials)`);
console.log(`ingest+correlate  ${fmt(totalS)} s → ${fmt(rate, 0)} records/s, ${fmt(mb(ing.bytesDecompressed) / totalS)} MB/s decompressed (${fmt(mb(compressedBytes) / totalS)} MB/s on disk)`);
console.log(`peak RSS          ${fmt(ing.maxRssKb / 1024, 0)} MB (ingest process, workers included)`);
console.log(`case database     ${fmt(mb(dbBytes), 0)} MB`);
console.log(`attribute         ${fmt(attributeMs / 1000)} s (JSONL of every event)`);
console.log(`trace             p50 ${fmt(pct(50), 2)} ms, p95 ${fmt(pct(95), 2)} ms over ${lat.length} random events`);
if (duck) {
  const duckRate = duck.records / (duck.ms / 1000);
  console.log(`DuckDB read_json  ${fmt(duck.ms / 1000)} s for ${duck.records.toLocaleString('en-US')} records in ${duck.files} files → ${fmt(duckRate, 0)} records/s (2 threads)`);
  console.log(`ratio             PodTrail ingest+correlate = ${fmt(rate / duckRate, 2)} × DuckDB's read rate (target ≥ 0.5)`);
}
