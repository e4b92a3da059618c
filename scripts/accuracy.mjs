#!/usr/bin/env node
// Accuracy over many generated bundles (each seed draws its own cluster variety: VPC endpoints for some services,
// NAT per AZ or per VPC, Pod Identity on some nodes only, every SDK's session names): generates, ingests with the
// CLI, attributes, and prints per seed and in total the IRSA pod-level figures and the detections' precision and
// recall next to the targets. It asserts nothing (the many-seed test in npm test asserts the never-wrong
// properties); exit 1 only when a bundle could not be made or read.
//
//   npm run accuracy                          # 40 seeds of 4,000 events over 8 hours
//   npm run accuracy -- --seeds 100 --events 6000 --hours 12 --first 1000
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
if (!existsSync(join(DIST, 'electron', 'cli', 'main.js'))) {
  console.error('accuracy: build first (npm run build)');
  process.exit(1);
}
const { generateBundle } = require(join(DIST, 'test', 'generator', 'index.js'));
const { scoreAttributions, rates, TARGETS } = require(join(DIST, 'test', 'generator', 'accuracy.js'));

const { values: opts } = parseArgs({
  options: {
    seeds: { type: 'string', default: '40' },
    first: { type: 'string', default: '5000' },
    events: { type: 'string', default: '4000' },
    hours: { type: 'string', default: '8' },
  },
});

const CLI = join(ROOT, 'bin', 'podtrail.js');
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const total = {};
const below = Object.fromEntries(Object.keys(TARGETS).map((k) => [k, 0]));
let failed = 0;
console.log('seed   irsa  right    named-right  amb-lists  flags  precision  attack-recall  wrong');
for (let i = 0; i < Number(opts.seeds); i++) {
  const seed = Number(opts.first) + i;
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-acc-'));
  try {
    const g = generateBundle({ outDir: join(dir, 'bundle'), events: Number(opts.events), seed, k8s: true, hours: Number(opts.hours) });
    const db = join(dir, 'case.db');
    const ingest = spawnSync(process.execPath, [CLI, 'ingest', g.outDir, '--case', db, '--quiet'], { encoding: 'utf8' });
    if (ingest.status !== 0) throw new Error(`ingest exit ${ingest.status}: ${ingest.stderr}`);
    const out = spawnSync(process.execPath, [CLI, 'attribute', '--case', db], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (out.status !== 0) throw new Error(`attribute exit ${out.status}: ${out.stderr}`);
    const truth = new Map(readFileSync(g.truthPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((t) => [t.eventID, t]));
    const s = scoreAttributions(out.stdout.trim().split('\n').map((l) => JSON.parse(l)), truth);
    for (const [k, v] of Object.entries(s)) if (typeof v === 'number') total[k] = (total[k] ?? 0) + v;
    const r = rates(s);
    for (const k of Object.keys(TARGETS)) if (r[k] < TARGETS[k]) below[k]++;
    console.log(
      `${String(seed).padEnd(6)} ${String(s.irsa).padStart(5)}  ${pct(r.right).padStart(7)}  ${pct(r.namedRight).padStart(11)}  ${pct(r.ambiguousListsTruth).padStart(9)}  ${String(s.flagged).padStart(5)}  ${pct(r.flagPrecision).padStart(9)}  ${pct(r.attackRecall).padStart(13)}  ${s.wrong}${s.examples.length ? `  e.g. ${s.examples[0]}` : ''}`,
    );
  } catch (e) {
    failed++;
    console.log(`${seed}: FAILED ${e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const r = rates(total);
console.log('');
console.log(`all ${opts.seeds} bundles: ${total.irsa} IRSA events of the audited cluster, ${total.flagged} flagged events`);
const row = (name, value, target, key) =>
  console.log(`  ${name.padEnd(44)} ${pct(value).padStart(8)}   target ≥ ${pct(target).padStart(7)} on every bundle: ${below[key] === 0 ? 'met' : `NOT met on ${below[key]} of ${opts.seeds}`}`);
row('IRSA events naming the right pod', r.right, TARGETS.right, 'right');
row('ambiguous answers that list the true pod', r.ambiguousListsTruth, TARGETS.ambiguousListsTruth, 'ambiguousListsTruth');
row('named pods that are right', r.namedRight, TARGETS.namedRight, 'namedRight');
row('flagged events an investigator should see', r.flagPrecision, TARGETS.flagPrecision, 'flagPrecision');
row('calls of planted attacks that are flagged', r.attackRecall, TARGETS.attackRecall, 'attackRecall');
console.log(`  wrong while proven: ${total.wrongProven} (target 0)`);
process.exit(failed > 0 ? 1 : 0);
