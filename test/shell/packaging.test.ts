/**
 * Packaging: electron-builder.yml and `npm run dist`. The installers cannot be built on this project's machines
 * (electron-builder downloads the Electron binary and headers), so this checks everything short of that with
 * electron-builder's own code, from node_modules: its loader reads the file, its configuration schema
 * (app-builder-lib/scheme.json) and its own validation accept it, its file matcher finds every `files` pattern
 * in the build output, the fuses (electron-builder's FuseOptionsV1, flipped at packaging time) have the values
 * of the Electron security checklist, and its command line runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import Ajv from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/reference';

// electron-builder's packages, resolved from the installed electron-builder (not copies).
const repoRequire = createRequire(join(REPO, 'package.json'));
const builderRequire = createRequire(repoRequire.resolve('electron-builder/package.json'));
const libRequire = createRequire(builderRequire.resolve('app-builder-lib/package.json'));

interface BuilderConfig {
  files: (string | { from?: string; to?: string; filter?: string[] })[];
  asar?: boolean;
  asarUnpack?: string[];
  npmRebuild?: boolean;
  buildDependenciesFromSource?: boolean;
  electronFuses?: Record<string, boolean>;
  linux?: { target?: unknown };
  mac?: { target?: unknown };
  win?: { target?: unknown };
  [key: string]: unknown;
}
interface ConfigModule {
  getConfig(projectDir: string): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
}
interface Minimatch {
  negate: boolean;
  match(path: string, partial?: boolean): boolean;
}
type MinimatchModule = { Minimatch: new (pattern: string, options: { dot: boolean }) => Minimatch; braceExpand(pattern: string): string[] };
type FileFilter = (file: string, stat: Stats) => boolean;
type FileMatcherClass = new (from: string, to: string, macroExpander: (s: string) => string, patterns: string[]) => { createFilter(): FileFilter };

const configModule = libRequire('./out/util/config/config') as ConfigModule;
const { FileMatcher } = libRequire('./out/fileMatcher') as { FileMatcher: FileMatcherClass };
/** The minimatch electron-builder matches `files` with, with its options. */
const minimatch = libRequire('minimatch') as MinimatchModule;
const MATCH = { dot: true };
const SCHEMA_PATH = libRequire.resolve('./scheme.json');
const quietLogger = { isEnabled: false, add: () => undefined };

const EXPECTED_FUSES = {
  runAsNode: false,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false,
};

function schemaValidator() {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as { definitions: Record<string, { properties?: Record<string, unknown> }> };
  // No type coercion (electron-builder's own validator coerces): "true" for a boolean is an error here.
  const ajv = new Ajv({ allErrors: true, strict: false });
  return { schema, validate: ajv.compile(schema) };
}

function posix(p: string): string {
  return p.split(sep).join('/');
}

/** Files under `dir` (relative to the repository, POSIX separators), skipping node_modules and .git unless asked for. */
function filesUnder(dir: string, keep: (rel: string, stat: Stats) => boolean = () => true, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    const rel = posix(relative(REPO, p));
    if (st.isDirectory()) {
      if ((name === 'node_modules' || name === '.git') && !relative(REPO, dir).startsWith('node_modules')) continue;
      if (keep(rel, st)) filesUnder(p, keep, out);
    } else if (keep(rel, st)) out.push(rel);
  }
  return out;
}

/** What electron-builder's own filter for these `files` patterns takes from the app directory (node_modules aside). */
function packagedFiles(patterns: string[]): string[] {
  const filter = new FileMatcher(REPO, '/app', (s) => s, patterns).createFilter();
  return filesUnder(REPO, (rel, st) => filter(join(REPO, rel), st)).sort();
}

/** Patterns that select nothing: an include matching no packaged file, an exclude matching no existing file. */
function deadPatterns(patterns: string[], packaged: string[]): string[] {
  return patterns.filter((p) => {
    if (!p.startsWith('!')) {
      const m = new minimatch.Minimatch(p, MATCH);
      return !packaged.some((f) => m.match(f));
    }
    // Each alternative of an exclude ({a,b}) must name something that exists, or it guards nothing.
    return minimatch.braceExpand(p.slice(1)).some((alt) => {
      const m = new minimatch.Minimatch(alt, MATCH);
      const segments = alt.split('/');
      const stat = segments.findIndex((s) => /[*?[\]{}!()+@]/.test(s));
      const base = join(REPO, ...segments.slice(0, stat === -1 ? segments.length : stat));
      return !filesUnder(base, (rel, st) => st.isDirectory() || m.match(rel)).some((f) => m.match(f));
    });
  });
}

describe('electron-builder.yml, read and validated by electron-builder', () => {
  let config: BuilderConfig;
  beforeAll(async () => {
    config = await configModule.getConfig(REPO);
  });

  it('is the configuration electron-builder loads (not a "build" key in package.json)', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.build).toBeUndefined();
    expect(config.appId).toBe('io.podtrail.desktop');
  });

  it("matches electron-builder's configuration schema from the installed package, without coercion", () => {
    const { validate } = schemaValidator();
    const ok = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("passes electron-builder's own validation", async () => {
    await expect(configModule.validateConfiguration(config, quietLogger)).resolves.toBeUndefined();
  });

  it('the schema and the validation reject a misspelt fuse and a string where a boolean belongs', async () => {
    const { validate } = schemaValidator();
    const typo = { ...config, electronFuses: { ...config.electronFuses, runAsNod: false } };
    expect(validate(typo)).toBe(false);
    expect(validate.errors!.some((e) => e.instancePath === '/electronFuses' && (e.params as { additionalProperty?: string }).additionalProperty === 'runAsNod')).toBe(true);
    expect(validate({ ...config, asar: 'true' })).toBe(false);
    await expect(configModule.validateConfiguration(typo, quietLogger)).rejects.toThrow(/Invalid configuration object/);
  });

  it('sets every fuse as the security checklist says, with names from electron-builder\'s FuseOptionsV1', () => {
    const fuseNames = Object.keys(schemaValidator().schema.definitions.FuseOptionsV1!.properties!);
    expect(Object.keys(config.electronFuses!).filter((k) => !fuseNames.includes(k))).toEqual([]);
    expect(config.electronFuses).toEqual(EXPECTED_FUSES);
    // ASAR integrity validation has nothing to check without an ASAR archive.
    expect(config.asar).toBe(true);
  });

  it('rebuilds better-sqlite3 for Electron at packaging time and keeps it outside the archive', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(true);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/node_modules/better-sqlite3/**', '**/*.node']));
  });

  it('targets AppImage and deb, dmg, nsis', () => {
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.mac?.target).toEqual(['dmg']);
    expect(config.win?.target).toEqual(['nsis']);
  });
});

describe('`files` after `npm run build`', () => {
  let patterns: string[];
  let packaged: string[];
  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist', 'electron', 'main.js')) || !existsSync(join(REPO, 'renderer', 'dist', 'index.html'))) {
      throw new Error('run `npm run build` first');
    }
    // electron-builder normalises a list of patterns into one file set of the app directory.
    const config = await configModule.getConfig(REPO);
    expect(config.files).toHaveLength(1);
    const set = config.files[0]!;
    if (typeof set === 'string' || set.from !== undefined || set.to !== undefined || !set.filter) throw new Error(`unexpected files entry ${JSON.stringify(set)}`);
    patterns = set.filter;
    packaged = packagedFiles(patterns);
  });

  it('takes the entry points: main, preload, the engine, reader and scan workers, the ingest worker, the UI', () => {
    const main = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { main: string }).main;
    const needed = [
      main,
      'dist/electron/preload.js',
      'dist/electron/engine/service/engine-worker.js',
      'dist/electron/engine/service/reader-worker.js',
      'dist/electron/engine/service/scan-worker.js',
      'dist/electron/engine/ingest/worker.js',
      'dist/shared/attribution.js',
      'renderer/dist/index.html',
      'package.json',
    ];
    expect(needed.filter((f) => !existsSync(join(REPO, f)))).toEqual([]);
    expect(needed.filter((f) => !packaged.includes(f))).toEqual([]);
  });

  it('every pattern selects something: each include matches a built file, each exclude an existing one', () => {
    expect(deadPatterns(patterns, packaged)).toEqual([]);
  });

  it('takes nothing else: no sources, tests, fixtures or source maps', () => {
    expect(packaged.filter((f) => f !== 'package.json' && !/^(dist\/electron|dist\/shared|renderer\/dist)\//.test(f))).toEqual([]);
    expect(packaged.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(filesUnder(join(REPO, 'dist')).some((f) => f.endsWith('.map'))).toBe(true);
  });

  it('the dead-pattern check reports patterns that select nothing', () => {
    expect(deadPatterns(['dist/electron/**/*', 'dist/no-such-dir/**/*', '!node_modules/{react,no-such-package}/**'], packaged)).toEqual([
      'dist/no-such-dir/**/*',
      '!node_modules/{react,no-such-package}/**',
    ]);
  });
});

describe('npm run dist', () => {
  it('builds, then packages the targets electron-builder.yml configures (no target flags), never publishing', () => {
    const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.dist).toMatch(/^npm run build && electron-builder\b/);
    expect(scripts.dist).toContain('--publish never');
    expect(scripts.dist).not.toMatch(/\s(-[lmw]|--linux|--mac|--win|--dir|-c|--config)\b/);
  });

  it('`npx electron-builder --version` runs the installed electron-builder', () => {
    const version = (repoRequire('electron-builder/package.json') as { version: string }).version;
    const run = spawnSync('npx', ['--no-install', 'electron-builder', '--version'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(version);
  });
});
