#!/usr/bin/env node
/**
 * `npm start`: open the demo case in the desktop app — or, where Electron cannot run, in the browser.
 *
 *   npm start [-- --browser] [-- --port N] [-- --case other.db]
 *
 * 1. Builds what is missing: the TypeScript (dist/) and the renderer (renderer/dist/).
 * 2. Builds the demo case from demo/bundle into demo/.case/demo.db (gitignored) if it is missing or older
 *    than the bundle.
 * 3. Electron if its binary is installed and can load better-sqlite3; otherwise browser mode: `podtrail serve`
 *    on the case, which prints the URL to open.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { electronBinary } = require('./electron-binary.cjs');
const say = (line) => process.stderr.write(`start: ${line}\n`);

function parseArgs(argv) {
  const o = { browser: false, port: undefined, case: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--browser') o.browser = true;
    else if (a === '--port') o.port = argv[++i];
    else if (a.startsWith('--port=')) o.port = a.slice(7);
    else if (a === '--case') o.case = argv[++i];
    else if (a.startsWith('--case=')) o.case = a.slice(7);
    else {
      say(`unknown argument ${a} (use --browser, --port N, --case FILE)`);
      process.exit(1);
    }
  }
  return o;
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    say(`${what} failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(r.status || 1);
  }
}

const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const cli = join(root, 'bin', 'podtrail.js');

function ensureBuilt() {
  if (!existsSync(join(root, 'dist', 'electron', 'cli', 'main.js')) || !existsSync(join(root, 'dist', 'electron', 'main.js'))) {
    say('building the TypeScript (tsc)…');
    run(bin('tsc'), ['-p', 'tsconfig.json'], 'tsc');
  }
  if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) {
    say('building the renderer (vite)…');
    run(bin('vite'), ['build', '--config', 'renderer/vite.config.mts', '--logLevel', 'warn'], 'the renderer build');
  }
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/** The demo case, (re)built next to the bundle when missing or older than the bundle. */
function ensureDemoCase() {
  const bundle = join(root, 'demo', 'bundle');
  const stamp = join(root, 'demo', 'demo.json');
  const casePath = join(root, 'demo', '.case', 'demo.db');
  if (existsSync(casePath) && mtime(casePath) >= mtime(stamp)) return casePath;
  if (!existsSync(bundle)) {
    say('demo/bundle is missing: run `node demo/make-demo.mjs`');
    process.exit(1);
  }
  mkdirSync(dirname(casePath), { recursive: true });
  const building = `${casePath}.building`;
  for (const p of [building, `${building}-wal`, `${building}-shm`]) rmSync(p, { force: true });
  say('building the demo case from demo/bundle…');
  const r = spawnSync(process.execPath, [cli, 'ingest', bundle, '--case', building, '--quiet'], { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] });
  if (r.status !== 0 && r.status !== 2) {
    say(`ingest of the demo bundle failed (exit ${r.status})`);
    process.exit(r.status || 1);
  }
  for (const p of [casePath, `${casePath}-wal`, `${casePath}-shm`]) rmSync(p, { force: true });
  renameSync(building, casePath);
  return casePath;
}

/** The Electron binary, and whether it can load the native SQLite module (built for Node unless rebuilt). */
function electronUsable() {
  const found = electronBinary(root);
  if (!found.path) return found;
  const probe = spawnSync(found.path, ['-e', "require('better-sqlite3')"], {
    cwd: root,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
  });
  if (probe.status !== 0) {
    return {
      path: null,
      reason: `better-sqlite3 is built for Node, not for Electron's ABI (rebuild it with \`npx electron-builder install-app-deps\`; \`npm rebuild better-sqlite3\` switches back for the CLI and tests)`,
    };
  }
  return found;
}

function forward(child) {
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 0 : 1);
  });
}

const opts = parseArgs(process.argv.slice(2));
ensureBuilt();
const casePath = opts.case ? resolve(opts.case) : ensureDemoCase();

const electron = opts.browser ? { path: null, reason: '--browser was given' } : electronUsable();
if (electron.path) {
  say(`opening ${casePath} in the desktop app`);
  forward(spawn(electron.path, [root, '--case', casePath], { cwd: root, stdio: 'inherit' }));
} else {
  process.stderr.write(`Electron is not available on this machine (${electron.reason}); starting browser mode.\n`);
  process.stderr.write('Open the URL below in a browser (it carries the access token; keep it to yourself). Ctrl+C stops.\n');
  const args = [cli, 'serve', '--case', casePath, ...(opts.port ? ['--port', String(opts.port)] : [])];
  forward(spawn(process.execPath, args, { cwd: root, stdio: 'inherit' }));
}
