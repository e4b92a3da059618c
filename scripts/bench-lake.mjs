#!/usr/bin/env node
// Benchmark of `podtrail lake attribute --engine duckdb` (issue 14) against its targets, on a generated bundle's trail
// (its AWSLogs folder, as S3 holds it). Prints each figure next to its target, met / not met. Not a test.
//
//   node scripts/bench-lake.mjs                                   # bench-out/bundle-1000000-seed1 if it exists,
//                                                                 # else bench-out/bundle-200000-seed1
//   node scripts/bench-lake.mjs --bundle DIR                      # any bundle (DIR/AWSLogs) or trail folder
//   node scripts/bench-lake.mjs --memory-limit 1GB --skip-engine  # skip the podtrail ingest + attribute comparison
//
// Figures (targets from issue 14, on this 2-core machine, for the 1M-event benchmark bundle):
//   1. lake attribute wall time ≤ 2× DuckDB's plain one-hop join on the same files (read the same files with the same
//      reader, join every event to the STS call that issued its key, write the same JSON Lines);
//   2. peak RSS of the lake attribute process < 2 GB;
//   3. every proven field identical to what `podtrail attribute` gives on the same files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const LAKE = join(DIST, 'electron', 'engine', 'lake', 'duckdb.js');
if (!existsSync(LAKE)) {
  console.error('bench-lake: build first (npx tsc -p tsconfig.json)');
  process.exit(1);
}

const { values: opts } = parseArgs({
  options: {
    bundle: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench-out', 'lake') },
    'memory-limit': { type: 'string', default: '1GB' },
    threads: { type: 'string', default: '2' },
    'skip-engine': { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});

// --- child mode: one measured run in its own process (peak RSS is the process's) --------------------------------
if (opts.child) {
  const { lakeAttribute, withLake } = require(LAKE);
  const [mode, trail, out] = JSON.parse(opts.child);
  const o = { memoryLimit: opts['memory-limit'], threads: Number(opts.threads) };
  const t = process.hrtime.bigint();
  let events;
  if (mode === 'lake') {
    events = (await lakeAttribute([trail], out, o)).events;
  } else {
    // DuckDB's plain one-hop join: the same reader and table load, one join of each event to the STS call whose
    // response issued its key (no window, no chain, no roots), written as JSON Lines.
    events = await withLake([trail], o, async (c) => {
      const r = await c.run(`COPY (
        WITH ev AS (SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY eventid ORDER BY eventtime) AS dup FROM cloudtrail_logs WHERE eventid IS NOT NULL) WHERE dup = 1),
        iss AS (SELECT json_extract_string(responseelements, '$.credentials.accessKeyId') AS k, eventid AS issuer, eventname AS issuer_name
                FROM ev WHERE eventsource = 'sts.amazonaws.com' AND responseelements IS NOT NULL)
        SELECT ev.eventid AS "eventID", ev.eventtime AS "eventTime", ev.eventname AS "eventName", ev.useridentity.accesskeyid AS "accessKeyId",
          iss.issuer AS "issuedBy", iss.issuer_name AS "issuedByName"
        FROM ev LEFT JOIN iss ON iss.k = ev.useridentity.accesskeyid
        ORDER BY ev.eventtime, ev.eventid
      ) TO '${out.replace(/'/g, "''")}' (FORMAT json)`);
      return Number(r.rowsChanged);
    });
  }
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const u = process.resourceUsage();
  process.stdout.write(JSON.stringify({ events, ms, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssKb: u.maxRSS }) + '\n');
  process.exit(0);
}

// --- the bundle -----------------------------------------------------------------------------------------------------
let bundle = opts.bundle;
if (!bundle) {
  for (const n of [1000000, 200000]) {
    const b = join(ROOT, 'bench-out', `bundle-${n}-seed1`);
    if (existsSync(b)) {
      bundle = b;
      break;
    }
  }
}
if (!bundle || !existsSync(bundle)) {
  console.error('bench-lake: no bundle: make one with `node scripts/bench.mjs` (bench-out/bundle-1000000-seed1) or pass --bundle DIR');
  process.exit(1);
}
const trail = existsSync(join(bundle, 'AWSLogs')) ? join(bundle, 'AWSLogs') : bundle;
mkdirSync(opts.out, { recursive: true });
const self = fileURLToPath(import.meta.url);
const child = (mode, out) => {
  const r = spawnSync(process.execPath, [self, '--child', JSON.stringify([mode, trail, out]), '--memory-limit', opts['memory-limit'], '--threads', opts.threads], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop());
};

const fmt = (n, d = 1) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const verdict = (ok) => (ok ? 'met' : 'NOT MET');
console.log(`bench-lake: ${bundle} (trail ${trail}); DuckDB memory limit ${opts['memory-limit']}, ${opts.threads} threads`);

// 1 + 2: the lake attribution and the plain join, each measured --runs times in its own process, interleaved; the
// fastest run of each counts (other jobs on the machine only ever slow a run down). CPU time is printed beside it.
const lakeOut = join(opts.out, 'lake.jsonl');
const joinOut = join(opts.out, 'join.jsonl');
const runs = { lake: [], join: [] };
for (let i = 0; i < Number(opts.runs); i++) {
  runs.join.push(child('join', joinOut));
  runs.lake.push(child('lake', lakeOut));
}
const best = (xs) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
const lake = best(runs.lake);
const plain = best(runs.join);
const peakKb = Math.max(...runs.lake.map((r) => r.maxRssKb));
console.log(`events: ${lake.events.toLocaleString('en-US')}`);
const minCpu = (xs) => Math.min(...xs.map((r) => r.cpuMs));
console.log(`plain one-hop join (DuckDB):   ${fmt(plain.ms / 1000)} s (runs: ${runs.join.map((r) => fmt(r.ms / 1000)).join(', ')} s; CPU ${fmt(minCpu(runs.join) / 1000)} s), peak RSS ${fmt(Math.max(...runs.join.map((r) => r.maxRssKb)) / 1024, 0)} MiB`);
console.log(`lake attribute (DuckDB):       ${fmt(lake.ms / 1000)} s (runs: ${runs.lake.map((r) => fmt(r.ms / 1000)).join(', ')} s; CPU ${fmt(minCpu(runs.lake) / 1000)} s)`);
const ratio = lake.ms / plain.ms;
console.log(`1. time vs the plain join:     ${fmt(ratio, 2)}× wall clock, fastest runs  (target ≤ 2×) — ${verdict(ratio <= 2)}; CPU time ${fmt(minCpu(runs.lake) / minCpu(runs.join), 2)}×`);
console.log(`2. peak RSS:                   ${fmt(peakKb / 1024, 0)} MiB  (target < 2048 MiB) — ${verdict(peakKb / 1024 < 2048)}`);

// 3: against podtrail attribute on the same files.
if (opts['skip-engine']) {
  console.log('3. proven fields = podtrail attribute: not measured (--skip-engine)');
} else {
  const db = join(opts.out, 'engine.db');
  for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
  const bin = join(ROOT, 'bin', 'podtrail.js');
  let t = Date.now();
  const ing = spawnSync(process.execPath, [bin, 'ingest', trail, '--case', db, '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (ing.status !== 0) {
    console.error(ing.stderr);
    process.exit(1);
  }
  const ingestS = (Date.now() - t) / 1000;
  const engineOut = join(opts.out, 'engine.jsonl');
  t = Date.now();
  const att = spawnSync(process.execPath, [bin, 'attribute', '--case', db, '--out', engineOut], { encoding: 'utf8' });
  if (att.status !== 0) {
    console.error(att.stderr);
    process.exit(1);
  }
  const attributeS = (Date.now() - t) / 1000;
  // The lake output is ordered like podtrail attribute's; read both line by line, side by side.
  const lines = (p) => createInterface({ input: createReadStream(p), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const a = lines(engineOut);
  const b = lines(lakeOut);
  let n = 0;
  let provenFields = 0;
  let provenDiff = 0;
  let otherDiff = 0;
  const examples = [];
  const cl = (c) => (c ? JSON.stringify({ name: c.name, arn: c.arn, oidcId: c.oidcId, account: c.account ?? null, region: c.region ?? null }) : 'null');
  for (;;) {
    const [x, y] = await Promise.all([a.next(), b.next()]);
    if (x.done || y.done) {
      if (x.done !== y.done) {
        provenDiff++;
        examples.push('the two outputs have different numbers of events');
      }
      break;
    }
    const e = JSON.parse(x.value);
    const l = JSON.parse(y.value);
    n++;
    const checks = [];
    if (e.confidence.identity === 'proven' || l.confidence.identity === 'proven') {
      checks.push(['confidence.identity', e.confidence.identity, l.confidence.identity], ['eventID', e.eventID, l.eventID], ['mechanism', e.mechanism, l.mechanism],
        ['chain', JSON.stringify(e.chain), JSON.stringify(l.chain)], ['principal', e.principal, l.principal], ['namespace', e.namespace, l.namespace],
        ['serviceAccount', e.serviceAccount, l.serviceAccount], ['cluster', cl(e.cluster), cl(l.cluster)]);
    }
    if (e.confidence.pod === 'proven' || l.confidence.pod === 'proven') checks.push(['confidence.pod', e.confidence.pod, l.confidence.pod], ['pod', JSON.stringify(e.pod), JSON.stringify(l.pod)]);
    if (e.confidence.node === 'proven' || l.confidence.node === 'proven') checks.push(['confidence.node', e.confidence.node, l.confidence.node], ['node', e.node?.instanceId, l.node?.instanceId]);
    for (const [f, u, v] of checks) {
      provenFields++;
      if (u !== v) {
        provenDiff++;
        if (examples.length < 5) examples.push(`${e.eventID} ${f}: engine ${u} / lake ${v}`);
      }
    }
    const rest = (r) => JSON.stringify([r.mechanism, r.chained, r.principal, cl(r.cluster), r.namespace, r.serviceAccount, r.pod, r.node?.instanceId ?? null, r.confidence]);
    if (rest(e) !== rest(l)) otherDiff++;
  }
  console.log(`   (podtrail ingest ${fmt(ingestS)} s + attribute ${fmt(attributeS)} s on the same files, for the comparison)`);
  console.log(`3. proven fields = podtrail attribute: ${provenFields.toLocaleString('en-US')} proven fields over ${n.toLocaleString('en-US')} events, ${provenDiff} different (target 0) — ${verdict(provenDiff === 0 && n === lake.events)}`);
  console.log(`   every attribution field (proven or not) identical on ${(n - otherDiff).toLocaleString('en-US')} of ${n.toLocaleString('en-US')} events`);
  for (const x of examples) console.log(`   ${x}`);
}
const sizeMb = statSync(lakeOut).size / (1024 * 1024);
console.log(`output: ${lakeOut} (${fmt(sizeMb, 0)} MiB)`);
