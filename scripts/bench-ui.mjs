#!/usr/bin/env node
/**
 * UI benchmark (a script, not a test): the desktop UI in Chromium, browser mode, on a 1,000,000-event case.
 *
 *   npm run bench:ui                          # bench-out/bundle-1000000-seed1 → bench-out/ui-bench-1000000.db (built once)
 *   npm run bench:ui -- --case other.db       # any case
 *   npm run bench:ui -- --events 200000       # a smaller generated bundle
 *
 * Prints: time to first rows (cold and reloaded), filter latency over ~50 filter changes (from the change of a
 * filter control to the table showing the new first row and total; p50/p95/max), and the graph render of a
 * 2,000-event blast radius (from the click to the graph's new nodes painted). Targets: filter p95 ≤ 100 ms,
 * graph < 500 ms. Uses Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { rng } from './lib/rng.mjs';
import { serve } from './lib/serve.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const CLI = join(ROOT, 'bin', 'podtrail.js');
const log = (s) => process.stderr.write(`bench-ui: ${s}\n`);

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    case: { type: 'string' },
    changes: { type: 'string', default: '50' },
    out: { type: 'string', default: join(ROOT, 'bench-out') },
  },
});

for (const f of ['dist/electron/cli/main.js', 'renderer/dist/index.html']) {
  if (!existsSync(join(ROOT, f))) {
    log(`${f} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}

// 1. The case.
function ensureCase() {
  if (opts.case) return resolve(opts.case);
  const events = Number(opts.events);
  const casePath = join(opts.out, `ui-bench-${events}.db`);
  if (existsSync(casePath)) return casePath;
  mkdirSync(opts.out, { recursive: true });
  const bundle = join(opts.out, `bundle-${events}-seed${opts.seed}`);
  if (!existsSync(bundle)) {
    log(`generating ${events} events into ${bundle} …`);
    const { generateBundle } = require(join(ROOT, 'dist', 'test', 'generator', 'index.js'));
    generateBundle({ outDir: bundle, events, seed: opts.seed, truthPath: `${bundle}.truth.jsonl` });
  }
  log(`building the case ${casePath} from ${bundle} (once) …`);
  const building = `${casePath}.building`;
  for (const p of [building, `${building}-wal`, `${building}-shm`]) rmSync(p, { force: true });
  const t = Date.now();
  const r = spawnSync(process.execPath, [CLI, 'ingest', bundle, '--case', building, '--quiet'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0 && r.status !== 2) {
    log(`ingest failed (exit ${r.status})`);
    process.exit(1);
  }
  renameSync(building, casePath);
  log(`case built in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  return casePath;
}

// 2. The server: scripts/lib/serve.mjs.

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const ms = (x) => `${x.toFixed(0)} ms`;
const countText = (n) => `${n.toLocaleString('en-US')} events`;
const SORT = { column: 'eventTime', dir: 'asc' }; // the renderer's DEFAULT_SORT


/**
 * In the page: note when each API response arrives (the renderer calls the global fetch at call time), so a
 * measurement can wait for the answer to *its* query and tell engine time from rendering time.
 */
function instrumentFetch() {
  if (window.__bench) return;
  window.__bench = { responses: [] };
  const original = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const res = await original(input, init);
    const url = typeof input === 'string' ? input : input.url;
    const name = /\/api\/([^/?]+)/.exec(url)?.[1];
    if (name && name !== 'events') {
      const at = performance.now();
      let request = null;
      try {
        request = JSON.parse(init?.body ?? 'null');
      } catch {
        // not JSON
      }
      res
        .clone()
        .json()
        .then((body) => window.__bench.responses.push({ name, request, body, at }))
        .catch(() => {});
    }
    return res;
  };
}

/**
 * In the page: change one filter <select> (found by its label) and resolve when the table shows the answer to
 * the new query: its total and its first row. Returns the time to that, and when the engine's answer arrived.
 */
function changeFilterInPage({ label, value, filters }) {
  const select = [...document.querySelectorAll('label.f')].find((l) => l.querySelector('span')?.textContent === label)?.querySelector('select');
  if (!select) throw new Error(`no filter control "${label}"`);
  const canon = (f) => JSON.stringify(Object.keys(f).filter((k) => f[k] !== undefined && f[k] !== '').sort().map((k) => [k, f[k]]));
  const want = canon(filters);
  const from = window.__bench.responses.length;
  const answer = () =>
    window.__bench.responses.slice(from).find((r) => r.name === 'events.query' && r.request?.offset === 0 && r.body?.ok && canon(r.request.filters) === want);
  const shown = (r) => {
    const total = document.querySelector('[data-testid="event-total"]')?.textContent;
    if (total !== `${r.body.value.total.toLocaleString('en-US')} events`) return false;
    const firstId = r.body.value.rows[0]?.eventID ?? null;
    if (firstId === null) return true;
    return document.querySelector('[data-testid="event-row"][data-index="0"]')?.getAttribute('data-event-id') === firstId;
  };
  return new Promise((resolveTime, reject) => {
    const t0 = performance.now();
    let finished = false;
    const check = () => {
      if (finished) return;
      const r = answer();
      if (r && shown(r)) {
        finished = true;
        mo.disconnect();
        clearTimeout(timer);
        resolveTime({ ms: performance.now() - t0, engineMs: r.at - t0 });
      } else requestAnimationFrame(check);
    };
    const timer = setTimeout(() => {
      finished = true;
      mo.disconnect();
      reject(new Error(`the table never showed ${label}=${value}`));
    }, 60_000);
    const mo = new MutationObserver(check);
    mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(select, value);
    select.dispatchEvent(new Event('change', { bubbles: true }));
    requestAnimationFrame(check);
  });
}

/** In the page: click a button and resolve when the graph has more nodes than before and two frames have painted. */
function expandInPage(testId) {
  const graph = document.querySelector('[data-testid="chain-graph"]');
  const before = Number(graph.getAttribute('data-nodes'));
  const button = document.querySelector(`[data-testid="${testId}"]`);
  if (!button) throw new Error(`no ${testId} button`);
  const from = window.__bench.responses.length;
  return new Promise((resolveTime, reject) => {
    const t0 = performance.now();
    const timer = setTimeout(() => reject(new Error('the blast radius never appeared in the graph')), 60_000);
    const mo = new MutationObserver(() => {
      const now = Number(graph.getAttribute('data-nodes'));
      if (now <= before) return;
      mo.disconnect();
      // The canvas paints on the next animation frames after cytoscape receives the elements.
      requestAnimationFrame(() =>
        requestAnimationFrame(() => {
          clearTimeout(timer);
          const r = window.__bench.responses.slice(from).find((x) => x.name === 'blast.radius');
          resolveTime({ ms: performance.now() - t0, engineMs: r ? r.at - t0 : null, nodes: now, edges: Number(graph.getAttribute('data-edges')) });
        }),
      );
    });
    mo.observe(graph, { attributes: true, attributeFilter: ['data-nodes'] });
    button.click();
  });
}

const casePath = ensureCase();
const server = await serve(casePath);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const results = {};
try {
  const summary = await server.call('case.summary', {});
  log(`case: ${summary.events.toLocaleString('en-US')} events (${casePath})`);
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });

  // Time to first rows: cold (first load, engine caches empty), then after reloads.
  let t = Date.now();
  await page.goto(server.url);
  await page.locator('[data-testid="event-row"]').first().waitFor();
  results.firstRowsColdMs = Date.now() - t;
  const warm = [];
  for (let i = 0; i < 3; i++) {
    t = Date.now();
    await page.reload();
    await page.locator('[data-testid="event-row"]').first().waitFor();
    warm.push(Date.now() - t);
  }
  results.firstRowsWarmMs = quantile(warm, 0.5);
  await page.locator('[data-testid="event-total"]', { hasText: countText(summary.events) }).waitFor();

  // Filter latency: one <select> at a time, values from the case's facets, in a fixed pseudo-random order.
  const facets = await server.call('events.facets', {});
  const controls = [
    { label: 'mechanism', key: 'mechanism', values: facets.mechanisms },
    { label: 'region', key: 'region', values: facets.regions },
    { label: 'source', key: 'eventSource', values: facets.eventSources.slice(0, 12) },
    { label: 'account', key: 'account', values: facets.accounts },
  ].filter((c) => c.values.length > 0);
  const next = rng(42);
  const filters = {};
  const steps = [];
  const n = Number(opts.changes);
  await page.evaluate(instrumentFetch);
  for (let i = 0; i < n; i++) {
    const c = controls[Math.floor(next() * controls.length)];
    const choices = ['', ...c.values].filter((v) => v !== (filters[c.key] ?? ''));
    const value = choices[Math.floor(next() * choices.length)];
    filters[c.key] = value || undefined;
    steps.push(await page.evaluate(changeFilterInPage, { label: c.label, value, filters }));
  }
  const latencies = steps.map((x) => x.ms);
  const render = steps.map((x) => x.ms - x.engineMs);
  results.filterChanges = latencies.length;
  results.filterP50Ms = quantile(latencies, 0.5);
  results.filterP95Ms = quantile(latencies, 0.95);
  results.filterMaxMs = Math.max(...latencies);
  // Where the time goes: until the engine's answer arrived (query + loopback), and from there to the rows shown.
  results.engineP95Ms = quantile(steps.map((x) => x.engineMs), 0.95);
  results.renderP95Ms = quantile(render, 0.95);
  await page.reload();
  await page.locator('[data-testid="event-row"]').first().waitFor();

  // Graph: a pod with at least 2,000 events (the renderer's blast-radius limit), expanded from its verdict.
  const sample = await server.call('events.query', { filters: { mechanism: 'pod-identity' }, sort: SORT, offset: 0, limit: 1000 });
  let target = null;
  for (const pod of [...new Set(sample.rows.filter((r) => r.pod && r.confidence.pod === 'proven').map((r) => r.pod))]) {
    const b = await server.call('blast.radius', { kind: 'pod', value: pod, limit: 1 });
    if (!target || b.total > target.total) target = { pod, total: b.total, eventID: sample.rows.find((r) => r.pod === pod).eventID };
    if (b.total >= 2000) break;
  }
  if (!target) throw new Error('no Pod Identity event with a proven pod in this case');
  const search = page.getByTestId('event-search');
  await search.fill(target.eventID);
  await search.press('Enter');
  await page.getByTestId('expand-pod').waitFor();
  await page.evaluate(instrumentFetch);
  const graph = await page.evaluate(expandInPage, 'expand-pod');
  results.graphBlastEvents = Math.min(target.total, 2000);
  results.graphNodes = graph.nodes;
  results.graphEdges = graph.edges;
  results.graphRenderMs = graph.ms;
  results.graphEngineMs = graph.engineMs;
} finally {
  await browser.close();
  await server.stop();
}

const ok = (v, target) => (v <= target ? 'ok' : 'OVER TARGET');
process.stdout.write(
  [
    `UI benchmark on ${casePath}`,
    `  first rows           cold ${ms(results.firstRowsColdMs)}, reload (median of 3) ${ms(results.firstRowsWarmMs)}`,
    `  filter latency       ${results.filterChanges} changes: p50 ${ms(results.filterP50Ms)}, p95 ${ms(results.filterP95Ms)} (target ≤ 100 ms: ${ok(results.filterP95Ms, 100)}), max ${ms(results.filterMaxMs)}`,
    `                       (until the engine's answer arrived: p95 ${ms(results.engineP95Ms)}; from the answer to the rows shown: p95 ${ms(results.renderP95Ms)})`,
    `  graph blast radius   ${results.graphBlastEvents.toLocaleString('en-US')} events → ${results.graphNodes} nodes, ${results.graphEdges} edges in ${ms(results.graphRenderMs)} (target < 500 ms: ${ok(results.graphRenderMs, 499.999)})`,
    `                       (blast.radius answered after ${results.graphEngineMs === null ? '?' : ms(results.graphEngineMs)}; drawing took the rest)`,
    '',
  ].join('\n'),
);
