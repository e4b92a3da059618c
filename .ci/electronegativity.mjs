#!/usr/bin/env node
/**
 * The Electronegativity gate (`.ci/electronegativity`, and test/shell/electronegativity.test.ts in `npm test`).
 *
 * Electronegativity (@doyensec/electronegativity, Doyensec's Electron misconfiguration scanner) exits 0 whatever
 * it finds (doyensec/electronegativity#108), so this script runs it through its programmatic API over the app's
 * source — electron/, renderer/ (without its build), shared/ and package.json (which gives it the Electron
 * version) — and fails on:
 *   - any finding that is not recorded, with a reason, in .ci/electronegativity-reviewed.json (matched by check
 *     id + file + the finding's source line, and the line number when the entry gives one: a new finding, or a
 *     reviewed one whose code changed, fails until someone reviews it again);
 *   - any reviewed entry that no longer matches a finding (the record must describe the code as it is);
 *   - any file the tool could not parse (it would otherwise go unchecked);
 *   - any inline `eng-disable` comment (the tool honours them silently; every exception goes through the file).
 *
 * Offline by construction: the AvailableSecurityFixesGlobalCheck (which downloads Electron's release list and
 * writes it into the working directory) is excluded, and the tool's translation download (a 1 s request to S3 at
 * start-up) is replaced by its bundled en-US strings.
 *
 *   .ci/electronegativity [--sarif <file>] [--reviewed <file>]
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REVIEWED_FILE = join(REPO, '.ci', 'electronegativity-reviewed.json');
/** What is scanned: the app's source, as it is packaged (no tests, no build output). */
const SOURCES = ['electron', 'renderer', 'shared', 'package.json'];
const SKIP = new Set(['dist', 'node_modules']);
/** Network, and a file written into the working directory: never in CI. */
const EXCLUDED_CHECKS = ['AvailableSecurityFixesGlobalCheck'];
const MIN_REASON = 20;

/**
 * @typedef {{ check: string, file: string, line: number, column: number, snippet: string, severity: string, confidence: string, description: string }} Finding
 * @typedef {{ check: string, file: string, snippet: string, line?: number, reason: string }} Reviewed
 */

const norm = (s) => String(s ?? '').replace(/\s+/g, ' ').trim();

/** Problems with the reviewed file itself: every entry names a check, a file, a snippet, and says why. */
export function validateReviewed(entries) {
  const problems = [];
  if (!Array.isArray(entries)) return ['the reviewed file must hold an array "reviewed"'];
  entries.forEach((e, i) => {
    const at = `reviewed[${i}]`;
    if (!e || typeof e !== 'object') return problems.push(`${at}: not an object`);
    for (const k of ['check', 'file', 'snippet']) if (typeof e[k] !== 'string' || !e[k].trim()) problems.push(`${at}: "${k}" is missing`);
    if (typeof e.reason !== 'string' || e.reason.trim().length < MIN_REASON) problems.push(`${at}: "reason" must say why the finding is accepted (at least ${MIN_REASON} characters)`);
    if (e.line !== undefined && !(Number.isInteger(e.line) && e.line > 0)) problems.push(`${at}: "line" must be a positive integer when given`);
  });
  return problems;
}

/**
 * Pairs findings with reviewed entries, one entry per finding: same check id, same file, same source line text
 * (whitespace-insensitive), and the same line number when the entry pins one. Returns what is left on each side.
 * @param {Finding[]} findings
 * @param {Reviewed[]} reviewed
 */
export function matchFindings(findings, reviewed) {
  const used = new Set();
  const matched = [];
  const unreviewed = [];
  for (const f of findings) {
    const i = reviewed.findIndex(
      (r, j) => !used.has(j) && r.check === f.check && r.file === f.file && norm(r.snippet) === norm(f.snippet) && (r.line === undefined || r.line === f.line),
    );
    if (i < 0) unreviewed.push(f);
    else {
      used.add(i);
      matched.push({ finding: f, reviewed: reviewed[i] });
    }
  }
  const stale = reviewed.filter((_, j) => !used.has(j));
  return { matched, unreviewed, stale };
}

/** The verdict on one scan: ok only when every finding is reviewed, every entry matches and every file was read. */
export function gate({ findings, errors = [], suppressions = [] }, reviewed) {
  const invalid = validateReviewed(reviewed);
  const { matched, unreviewed, stale } = invalid.length ? { matched: [], unreviewed: findings, stale: [] } : matchFindings(findings, reviewed);
  const unparsed = errors.filter((e) => !e.tolerable);
  return { ok: invalid.length === 0 && unreviewed.length === 0 && stale.length === 0 && unparsed.length === 0 && suppressions.length === 0, invalid, matched, unreviewed, stale, unparsed, suppressions };
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** A copy of the sources in a temp dir (so the tool sees exactly those, with paths relative to the repository). */
function stage(repo) {
  const dir = mkdtempSync(join(tmpdir(), 'podtrail-eng-'));
  for (const s of SOURCES) {
    if (!existsSync(join(repo, s))) continue;
    cpSync(join(repo, s), join(dir, s), { recursive: true, filter: (src) => !SKIP.has(src.split(sep).pop()) });
  }
  return dir;
}

/** Replace the tool's start-up translation download with its bundled en-US strings (same configuration, no request). */
function offlineI18n(require) {
  const i18nModule = require.resolve('@doyensec/electronegativity/dist/locales/i18n.js');
  const i18n = createRequire(i18nModule)('i18n');
  const m = new Module(i18nModule);
  m.filename = i18nModule;
  m.loaded = true;
  m.exports = async function localI18n() {
    i18n.configure({
      locales: ['en-US'],
      defaultLocale: 'en-US',
      directory: dirname(i18nModule),
      updateFiles: false,
      objectNotation: true,
      retryInDefaultLocale: true,
      register: globalThis,
    });
    i18n.setLocale('en-US');
  };
  require.cache[i18nModule] = m;
}

/**
 * Run Electronegativity over the repository's sources. Returns the findings (paths relative to the repository,
 * forward slashes), the tool's parse errors, and any inline suppression comments found.
 */
export async function scan(repo = REPO, { sarif } = {}) {
  // The tool is always this repository's devDependency, whatever tree is scanned.
  const require = createRequire(join(REPO, 'package.json'));
  offlineI18n(require);
  const run = require('@doyensec/electronegativity/dist/runner.js');
  const version = require('@doyensec/electronegativity/package.json').version;
  const dir = stage(repo);
  try {
    const suppressions = walk(dir)
      .filter((f) => /\.(m?[jt]sx?|html?)$/.test(f))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((text, i) => ({ file: relative(dir, f).split(sep).join('/'), line: i + 1, text: text.trim() }))
          .filter((l) => /eng-disable/.test(l.text)),
      );
    const result = await run({
      input: dir,
      isRelative: true,
      customScan: [],
      excludeFromScan: EXCLUDED_CHECKS.map((c) => c.toLowerCase()),
      parserPlugins: [],
      output: sarif ? resolve(sarif) : undefined,
      isSarif: !!sarif,
    });
    const findings = result.issues.map((i) => ({
      check: i.id,
      file: String(i.file).split(sep).join('/'),
      line: i.location?.line ?? 0,
      column: i.location?.column ?? 0,
      snippet: norm(i.sample),
      severity: i.severity?.name ?? String(i.severity),
      confidence: i.confidence?.name ?? String(i.confidence),
      description: i.description,
    }));
    const errors = result.errors.map((e) => ({ file: relative(dir, e.file).split(sep).join('/'), message: e.message, tolerable: !!e.tolerable }));
    return { version, checks: result.globalChecks + result.atomicChecks, findings, errors, suppressions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function loadReviewed(file = REVIEWED_FILE) {
  return JSON.parse(readFileSync(file, 'utf8')).reviewed;
}

const where = (f) => `${f.check} ${f.file}:${f.line} ${JSON.stringify(f.snippet)}`;

async function main(argv) {
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const reviewed = loadReviewed(opt('--reviewed') ?? REVIEWED_FILE);
  const s = await scan(REPO, { sarif: opt('--sarif') });
  const v = gate(s, reviewed);
  const out = [];
  out.push(`electronegativity ${s.version}: ${s.checks} checks, ${s.findings.length} findings (${v.matched.length} reviewed, ${v.unreviewed.length} not reviewed)`);
  for (const m of v.matched) out.push(`  reviewed  ${where(m.finding)} — ${m.reviewed.reason}`);
  for (const f of v.unreviewed) out.push(`  NEW       ${where(f)} [${f.severity}/${f.confidence}] ${f.description}`);
  for (const r of v.stale) out.push(`  STALE     reviewed entry matches no finding: ${r.check} ${r.file} ${JSON.stringify(r.snippet)} (remove it, or review the changed code again)`);
  for (const e of v.unparsed) out.push(`  UNPARSED  ${e.file}: ${e.message}`);
  for (const e of s.errors.filter((x) => x.tolerable)) out.push(`  warning   ${e.file}: ${e.message}`);
  for (const p of v.suppressions) out.push(`  SUPPRESSED ${p.file}:${p.line} ${p.text} (record the exception in ${relative(REPO, REVIEWED_FILE)} instead)`);
  for (const p of v.invalid) out.push(`  INVALID   ${p}`);
  out.push(v.ok ? 'electronegativity: ok' : `electronegativity: FAILED — review each NEW finding (fix it, or record it with a reason in ${relative(REPO, REVIEWED_FILE)})`);
  process.stdout.write(out.join('\n') + '\n');
  return v.ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`electronegativity: ${err.stack ?? err}\n`);
      process.exit(2);
    },
  );
}
