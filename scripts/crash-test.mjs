#!/usr/bin/env node
// Crash safety of ingest: start `podtrail ingest` on a generated bundle, kill it with SIGKILL at a random moment,
// check the case it left, resume, and compare with an uninterrupted run — N times. The generated bundle (CloudTrail
// and EKS audit evidence) gets three malformed files of the test's own, so that kills also land while a failed
// file and rejected records are being recorded.
//
//   npm run build && node scripts/crash-test.mjs                    # 100 kills (the default)
//   node scripts/crash-test.mjs --iterations 20 --seed 7 --events 800
//   node scripts/crash-test.mjs --bundle DIR                        # any evidence folder
//
// After each kill the case must pass `PRAGMA integrity_check` and hold no half-loaded file: every `complete`
// manifest row has exactly the provenance rows, audit rows, documents and record errors that the uninterrupted
// run gave the same file (path and SHA-256), no event lacks its raw text or provenance, nothing is in the case
// that the reference does not hold, and attribution is either absent or complete. Then `podtrail ingest` is run
// again on the same inputs and the counts must equal the reference's exactly. Kill delays are drawn from a seeded
// generator over an uninterrupted run's duration, so a run is reproducible up to the machine's timing; a failing
// iteration keeps its case file and prints the seed and delay. Exits 1 on any failure.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { rng } from './lib/rng.mjs';

const require = createRequire(import.meta.url);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'podtrail.js');
const Database = require('better-sqlite3');


function removeCase(path) {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

/**
 * How long one uninterrupted or resumed `podtrail ingest` of the test's bundle may take (~1 s on a quiet machine):
 * past it the run is a hang, reported as this iteration's failure (its killed case kept), not a wait without end.
 * Before it is killed, the hung process writes a Node diagnostic report (SIGUSR2), and the failure quotes the
 * JavaScript stacks of its main thread and its parse workers: where it waited.
 */
const INGEST_LIMIT_MS = 120_000;

/** The JavaScript stacks of a Node diagnostic report, its worker threads' too, and its active handles. */
function reportStacks(report) {
  const stack = (r) => (r?.javascriptStack?.stack ?? []).map((l) => `    ${l.trim()}`).join('\n');
  const workers = (report.workers ?? []).map((w, i) => `  worker ${i}: ${w?.javascriptStack?.message ?? ''}\n${stack(w)}`);
  // An empty main stack: the main thread was idle in its event loop, waiting (on what: its active handles).
  const handles = (report.libuv ?? []).filter((h) => h.is_active).map((h) => h.type).join(', ');
  return [`  main: ${report.javascriptStack?.message ?? ''}\n${stack(report)}`, ...workers, `  active handles: ${handles}`].join('\n');
}

/** `podtrail ingest` to completion: exit 0, or 2 when some evidence is unreadable (the bundle has such files). */
async function ingestToEnd(casePath, inputs) {
  const reports = mkdtempSync(join(tmpdir(), 'podtrail-crash-report-'));
  try {
    const child = spawn(process.execPath, ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${reports}`, BIN, 'ingest', '--quiet', '--case', casePath, ...inputs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
    let hung = false;
    const limit = setTimeout(() => {
      hung = true;
      child.kill('SIGUSR2');
      setTimeout(() => child.kill('SIGKILL'), 3_000);
    }, INGEST_LIMIT_MS);
    const [code, signal] = await once(child, 'close');
    clearTimeout(limit);
    if (hung) {
      const written = readdirSync(reports).filter((f) => f.endsWith('.json'));
      const stacks = written.length > 0 ? reportStacks(JSON.parse(readFileSync(join(reports, written[0]), 'utf8'))) : '  (no diagnostic report was written)';
      throw new Error(`podtrail ingest did not end within ${INGEST_LIMIT_MS / 1000} s (killed); where it was:\n${stacks}\n${out}`);
    }
    if (code !== 0 && code !== 2) throw new Error(`podtrail ingest exited ${code}${signal ? ` (${signal})` : ''}:\n${out}`);
    return code;
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

/** A trail record of the crash test's own malformed files. */
function badRecord(id) {
  return { eventVersion: '1.08', eventTime: '2026-03-02T00:30:00Z', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', eventID: id, userIdentity: { type: 'IAMUser', accessKeyId: 'AKIACRASHTEST000001' } };
}

/**
 * Files that fail, whole or in part, beside the generated bundle: the kill must also land while failures and
 * rejected records are being written. A gzip trail cut short (the file fails), a trail with a record missing its
 * eventTime and one with a repeated key (both rejected, the rest loads), JSON Lines with a broken line.
 */
function writeBadFiles(dir) {
  mkdirSync(dir, { recursive: true });
  const trail = JSON.stringify({ Records: Array.from({ length: 60 }, (_, i) => badRecord(`crash-cut-${i}`)) });
  const gz = gzipSync(trail);
  writeFileSync(join(dir, 'cut.json.gz'), gz.subarray(0, Math.floor(gz.length * 0.7)));
  const missing = badRecord('crash-rej-missing');
  delete missing.eventTime;
  const good = Array.from({ length: 10 }, (_, i) => JSON.stringify(badRecord(`crash-rej-${i}`)));
  const dup = JSON.stringify(badRecord('crash-rej-dup')).replace('"eventName":"ListBuckets"', '"eventName":"ListBuckets","eventName":"DeleteBucket"');
  writeFileSync(join(dir, 'rejected.json'), `{"Records":[${[...good.slice(0, 5), JSON.stringify(missing), dup, ...good.slice(5)].join(',')}]}`);
  const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify(badRecord(`crash-line-${i}`)));
  lines[3] = lines[3].slice(0, 40);
  writeFileSync(join(dir, 'broken.jsonl'), lines.join('\n') + '\n');
}

/** `podtrail ingest` to completion, timed: how long until the case file appears, and until the process ends. */
async function timedIngest(casePath, inputs) {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, 'ingest', '--quiet', '--case', casePath, ...inputs], { stdio: 'ignore' });
  let openedMs = null;
  const poll = setInterval(() => {
    if (openedMs === null && existsSync(casePath)) openedMs = Date.now() - started;
  }, 2);
  const limit = setTimeout(() => child.kill('SIGKILL'), INGEST_LIMIT_MS);
  const [code, signal] = await once(child, 'close');
  clearInterval(poll);
  clearTimeout(limit);
  if (signal === 'SIGKILL') throw new Error(`podtrail ingest did not end within ${INGEST_LIMIT_MS / 1000} s (killed)`);
  if (code !== 0 && code !== 2) throw new Error(`podtrail ingest exited ${code}`);
  return { openedMs: openedMs ?? 0, totalMs: Date.now() - started };
}

/** `podtrail ingest`, killed with SIGKILL after `delayMs` (if it is still running then). */
async function ingestKilledAfter(casePath, inputs, delayMs) {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, 'ingest', '--quiet', '--case', casePath, ...inputs], { stdio: 'ignore' });
  const closed = once(child, 'close');
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  const [code, signal] = await closed;
  clearTimeout(timer);
  return { killed: signal === 'SIGKILL', code, elapsedMs: Date.now() - started };
}

const TABLES = ['events', 'raw_blocks', 'event_redeliveries', 'event_sources', 'documents', 'record_errors', 'k8s_audit', 'k8s_audit_sources', 'event_subjects', 'subjects'];

function tableNames(db) {
  return new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all());
}

/** The counts compared with the reference after a resume. */
function counts(db) {
  const have = tableNames(db);
  const c = {};
  const views = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'view'").pluck().all());
  for (const t of TABLES) c[t] = have.has(t) || views.has(t) ? db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() : 0;
  c.filesComplete = have.has('evidence_files') ? db.prepare("SELECT COUNT(*) FROM evidence_files WHERE status = 'complete'").pluck().get() : 0;
  // Each run records its own attempt at an unreadable file: compare which files failed, not how often.
  c.filesFailed = have.has('evidence_files') ? db.prepare("SELECT COUNT(DISTINCT path) FROM evidence_files WHERE status = 'failed'").pluck().get() : 0;
  return c;
}

/** Per evidence file (path + SHA-256): what a complete load of it writes. */
const PER_FILE = `
  SELECT f.path, f.sha256, f.records,
    (SELECT COUNT(*) FROM event_sources s WHERE s.file_id = f.id) AS sources,
    (SELECT COUNT(*) FROM k8s_audit_sources a WHERE a.file_id = f.id) AS audits,
    (SELECT COUNT(*) FROM documents d WHERE d.file_id = f.id) AS documents,
    (SELECT COUNT(*) FROM record_errors r WHERE r.file_id = f.id) AS errors
  FROM evidence_files f WHERE f.status = 'complete'`;

/**
 * Everything a case left by a killed ingest must satisfy, against the reference case. Returns the problems found
 * (empty when none) and how far the ingest had got.
 */
export function checkKilledCase(casePath, referencePath, referenceFiles) {
  const problems = [];
  if (!existsSync(casePath)) return { problems, stage: 'before the case file existed' };
  const db = new Database(casePath); // read-write: opening recovers the WAL, as PodTrail's next open would
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
    const version = db.pragma('user_version', { simple: true });
    const tables = tableNames(db);
    if (version === 0) {
      // Each migration commits with its user_version: no version, no tables.
      if (tables.size > 0) problems.push(`schema version 0 but tables exist: ${[...tables].join(', ')}`);
      return { problems, stage: 'before the schema was created' };
    }
    const fk = db.pragma('foreign_key_check');
    if (fk.length > 0) problems.push(`foreign_key_check: ${JSON.stringify(fk.slice(0, 3))}`);
    if (version < referenceVersion(referencePath)) {
      // The migrations run before any evidence is read: a case killed among them holds no evidence yet.
      if (tables.has('evidence_files') && db.prepare('SELECT COUNT(*) FROM evidence_files').pluck().get() > 0) {
        problems.push(`schema ${version} (not yet migrated) but evidence rows exist`);
      }
      return { problems, stage: 'during the migrations' };
    }
    const q = (sql) => db.prepare(sql).pluck().get();
    const placeholders = q("SELECT COUNT(*) FROM evidence_files WHERE status = 'complete' AND (sha256 = '' OR size = 0)");
    if (placeholders) problems.push(`${placeholders} complete manifest row(s) still a placeholder (half-loaded file)`);
    // A kill must not make a file fail: only the files that fail in the reference may have a failed row.
    db.prepare('ATTACH DATABASE ? AS ref').run(referencePath);
    const wrongFailures = db
      .prepare("SELECT path FROM evidence_files f WHERE status = 'failed' AND NOT EXISTS (SELECT 1 FROM ref.evidence_files r WHERE r.status = 'failed' AND r.path = f.path AND r.error = f.error)")
      .pluck()
      .all();
    for (const path of wrongFailures) problems.push(`failed manifest row for a file that loads in the reference: ${path}`);
    for (const [what, sql] of [
      // (a block may hold only duplicate deliveries: blocks without an event are not an error)
      ['events without raw text', 'SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM raw_blocks b WHERE b.id = e.raw_block)'],
      ['events read from no complete file', "SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM evidence_files f WHERE f.id = e.file_id AND f.status = 'complete')"],
      ['audit events without provenance', 'SELECT COUNT(*) FROM k8s_audit a WHERE NOT EXISTS (SELECT 1 FROM k8s_audit_sources s WHERE s.audit_rowid = a.id)'],
      ['provenance rows of files that are not complete', "SELECT COUNT(*) FROM event_sources s JOIN evidence_files f ON f.id = s.file_id WHERE f.status <> 'complete'"],
    ]) {
      const n = q(sql);
      if (n) problems.push(`${n} ${what}`);
    }
    // Every complete file holds exactly what the uninterrupted run wrote for it.
    const filesComplete = q("SELECT COUNT(*) FROM evidence_files WHERE status = 'complete'");
    for (const f of db.prepare(PER_FILE).all()) {
      const ref = referenceFiles.get(`${f.path}\0${f.sha256}`);
      if (!ref) {
        problems.push(`complete file not in the reference: ${f.path}`);
        continue;
      }
      for (const k of ['records', 'sources', 'audits', 'documents', 'errors']) {
        if (f[k] !== ref[k]) problems.push(`${f.path}: ${k} ${f[k]}, reference ${ref[k]} (half-loaded)`);
      }
      if (f.records !== f.sources + f.audits) problems.push(`${f.path}: ${f.records} records but ${f.sources + f.audits} provenance rows`);
    }
    // Nothing in the case that the reference does not hold (same eventID, same bytes).
    const foreign = q('SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM ref.events r WHERE r.id_hash = e.id_hash AND r.event_id = e.event_id AND r.raw_sha256 = e.raw_sha256)');
    if (foreign) problems.push(`${foreign} events that the reference does not hold`);
    db.exec('DETACH DATABASE ref');
    // Attribution is rebuilt in one transaction after the files: absent, or covering every event.
    const attributed = tables.has('event_subjects') ? q('SELECT COUNT(DISTINCT event_rowid) FROM event_subjects') : 0;
    const events = q('SELECT COUNT(*) FROM events');
    if (attributed !== 0 && attributed !== events) problems.push(`attribution covers ${attributed} of ${events} events (half-correlated)`);
    const stage =
      filesComplete === 0
        ? 'before the first commit'
        : filesComplete < referenceFiles.size
          ? 'with some files committed'
          : attributed === 0
            ? 'with every file committed, before attribution'
            : 'after attribution';
    return { problems, stage, filesComplete };
  } finally {
    db.close();
  }
}

/**
 * After a resume, the custody log still links entry to entry, and every evidence file is pinned by an entry (the
 * files a killed run committed are logged as `interrupted` by the run that resumed). The hashes themselves are
 * re-derived by `podtrail custody` (test/engine/custody); this is the structural check, cheap enough for each kill.
 */
export function custodyProblems(casePath) {
  const db = new Database(casePath, { readonly: true });
  try {
    const problems = [];
    const entries = db.prepare('SELECT seq, prev_hash, entry_hash FROM custody_log ORDER BY seq').all();
    entries.forEach((e, i) => {
      if (e.seq !== i + 1) problems.push(`custody entry ${e.seq}: expected sequence number ${i + 1}`);
      if (i > 0 && e.prev_hash !== entries[i - 1].entry_hash) problems.push(`custody entry ${e.seq}: does not link to the entry before it`);
    });
    const files = db.prepare('SELECT COALESCE(MAX(id), 0) FROM evidence_files').pluck().get();
    const pinned = db.prepare("SELECT COALESCE(MAX(json_extract(details, '$.files.toId')), 0) FROM custody_log").pluck().get();
    if (files > pinned) problems.push(`evidence files ${pinned + 1}–${files} are in no custody entry`);
    return problems;
  } finally {
    db.close();
  }
}

function referenceVersion(path) {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true });
  } finally {
    db.close();
  }
}

function referenceFileMap(path) {
  const db = new Database(path, { readonly: true });
  try {
    return new Map(db.prepare(PER_FILE).all().map((f) => [`${f.path}\0${f.sha256}`, f]));
  } finally {
    db.close();
  }
}

function readCounts(path) {
  const db = new Database(path, { readonly: true });
  try {
    return counts(db);
  } finally {
    db.close();
  }
}

/**
 * The crash test. `bundle`: an evidence folder (default: generated with the test generator, `events` records,
 * Kubernetes evidence included). Returns the summary; `failures` lists the iterations that broke an invariant.
 */
export async function runCrashTest({ iterations = 100, seed = 1, events = 800, bundle, dir, keepFailures = true, log = () => {} } = {}) {
  if (!existsSync(join(ROOT, 'dist', 'electron', 'cli', 'main.js'))) throw new Error('crash-test: build first (npm run build)');
  const work = dir ?? mkdtempSync(join(tmpdir(), 'podtrail-crash-'));
  mkdirSync(work, { recursive: true });
  let inputs = bundle ? [bundle] : null;
  if (!inputs) {
    const out = join(work, 'bundle');
    rmSync(out, { recursive: true, force: true });
    const gen = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'test', 'generator', 'cli.js'), '--out', out, '--events', String(events), '--seed', String(seed), '--k8s', '--hours', '1', '--truth', join(work, 'truth.jsonl')],
      { encoding: 'utf8', timeout: INGEST_LIMIT_MS, killSignal: 'SIGKILL' },
    );
    if (gen.status !== 0) throw new Error(`generator failed${gen.error ? ` (${gen.error.message})` : ''}: ${gen.stderr}`);
    writeBadFiles(join(out, 'zz-malformed'));
    inputs = [out];
  }

  // The uninterrupted reference. Then two more timed runs: the kill delays are spread from just before the case
  // file appears (node starting up is not worth killing) to the end of the fastest run (the first run is slowed
  // by a cold file cache), so that few kills land after the process has ended.
  const referencePath = join(work, 'reference.db');
  removeCase(referencePath);
  const referenceExit = await ingestToEnd(referencePath, inputs);
  const reference = readCounts(referencePath);
  const referenceFiles = referenceFileMap(referencePath);
  const timings = [];
  for (let k = 0; k < 2; k++) {
    const timedPath = join(work, 'timed.db');
    removeCase(timedPath);
    timings.push(await timedIngest(timedPath, inputs));
    removeCase(timedPath);
  }
  let referenceMs = Math.min(...timings.map((t) => t.totalMs));
  const windowStart = Math.round(0.9 * Math.min(...timings.map((t) => t.openedMs)));
  log(`crash-test: uninterrupted ingest ${referenceMs} ms (case file after ${windowStart} ms): ${JSON.stringify(reference)}`);

  const random = rng(seed);
  const casePath = join(work, 'case.db');
  const failures = [];
  const stages = new Map();
  let killed = 0;
  const started = Date.now();
  for (let i = 0; i < iterations; i++) {
    const delayMs = Math.round(windowStart + random() * (referenceMs - windowStart));
    removeCase(casePath);
    const run = await ingestKilledAfter(casePath, inputs, delayMs);
    if (run.killed) killed++;
    // A run that ended before its kill shows the machine is faster now (other jobs come and go): narrow the window.
    else referenceMs = Math.max(windowStart + 1, Math.min(referenceMs, run.elapsedMs));
    const check = run.killed
      ? checkKilledCase(casePath, referencePath, referenceFiles)
      : { problems: run.code === referenceExit ? [] : [`ingest exited ${run.code} before the kill, reference ${referenceExit}`], stage: 'after the process had ended' };
    stages.set(check.stage, (stages.get(check.stage) ?? 0) + 1);
    const problems = [...check.problems];
    // What the kill left, kept until the iteration passes: a failing resume is replayed from it.
    const killedCopy = join(work, 'killed.db');
    if (keepFailures) {
      removeCase(killedCopy);
      for (const suffix of ['', '-wal']) if (existsSync(casePath + suffix)) copyFileSync(casePath + suffix, killedCopy + suffix);
    }
    // Resume: the same command again, to the end; then exactly the reference's counts.
    try {
      const exit = await ingestToEnd(casePath, inputs);
      if (exit !== referenceExit) problems.push(`after resume: exit ${exit}, reference ${referenceExit}`);
      const after = readCounts(casePath);
      for (const [k, v] of Object.entries(reference)) {
        if (after[k] !== v) problems.push(`after resume: ${k} ${after[k]}, reference ${v}`);
      }
      const resumed = checkKilledCase(casePath, referencePath, referenceFiles);
      problems.push(...resumed.problems.map((p) => `after resume: ${p}`));
      problems.push(...custodyProblems(casePath).map((p) => `after resume: ${p}`));
    } catch (err) {
      problems.push(`resume failed: ${err.message}`);
    }
    if (problems.length > 0) {
      let kept = null;
      if (keepFailures) {
        kept = join(work, `failed-${i}.db`);
        for (const suffix of ['', '-wal']) if (existsSync(casePath + suffix)) copyFileSync(casePath + suffix, kept + suffix);
        for (const suffix of ['', '-wal']) if (existsSync(killedCopy + suffix)) copyFileSync(killedCopy + suffix, join(work, `failed-${i}-as-killed.db${suffix}`));
      }
      failures.push({ iteration: i, delayMs, stage: check.stage, problems, kept });
      log(`crash-test: iteration ${i} (kill after ${delayMs} ms, ${check.stage}) FAILED:\n  ${problems.join('\n  ')}`);
    } else {
      log(`crash-test: iteration ${i}: kill after ${delayMs} ms (${check.stage}) — ok`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  removeCase(casePath);
  removeCase(join(work, 'killed.db'));
  if (!dir && failures.length === 0) rmSync(work, { recursive: true, force: true });
  return { iterations, seed, killed, referenceMs, windowStart, reference, stages: Object.fromEntries(stages), failures, seconds, work };
}

async function main() {
  const { values: opts } = parseArgs({
    options: {
      iterations: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      events: { type: 'string', default: '800' },
      bundle: { type: 'string' },
      dir: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const summary = await runCrashTest({
    iterations: Number(opts.iterations),
    seed: Number(opts.seed),
    events: Number(opts.events),
    bundle: opts.bundle,
    dir: opts.dir,
    log: opts.quiet ? () => {} : (m) => console.error(m),
  });
  console.log(`crash-test — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, seed ${summary.seed}`);
  console.log(`reference         ${summary.referenceMs} ms uninterrupted: ${Object.entries(summary.reference).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`kill delays       ${summary.windowStart}–${summary.referenceMs} ms after the start (seeded, uniform; the end narrows when a run ends before its kill)`);
  console.log(`iterations        ${summary.iterations} (${summary.killed} killed mid-run, ${summary.iterations - summary.killed} finished before their kill) in ${summary.seconds.toFixed(1)} s`);
  console.log(`killed at         ${Object.entries(summary.stages).map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  console.log(`result            ${summary.failures.length === 0 ? 'every kill left a consistent case, and every resume matched the reference exactly' : `${summary.failures.length} FAILED (cases kept in ${summary.work})`}`);
  for (const f of summary.failures) console.log(`  iteration ${f.iteration}, kill after ${f.delayMs} ms (${f.stage}): ${f.problems.join('; ')}`);
  if (summary.failures.length > 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
