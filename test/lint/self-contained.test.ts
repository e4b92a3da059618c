/**
 * The repository alone is the product: no test, script or documented command may read anything outside it
 * (a clone has nothing beside it), and every repository path a documented command names must exist.
 *
 * Code (test/, scripts/, demo/, .ci/ and the root config files) is parsed with the TypeScript compiler, so
 * comments and the hostile path strings the tests feed the engine (archive members named `../x`, URL paths
 * like `/../secret.txt`) are not mistaken for reads. What counts as reaching outside:
 * - a path built from the file's own location or the repository root (`resolve(__dirname, '..')`,
 *   `join(REPO, '..', 'shared')`, `new URL('../x', import.meta.url)`, through constants and imported constants)
 *   that lands outside the repository;
 * - a relative import, `require`, dynamic `import()` or `vi.mock` that leaves it;
 * - a literal relative path given to a file-system call or a child process, resolved from the repository root
 *   (where the tests and scripts run) that leaves it;
 * - any string naming the reference material that used to sit beside the repository (the sibling `shared` folder's data, seeds and docs).
 * Markdown: the commands in shell code blocks and inline code spans starting with `npm`, `npx` or `node`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REFERENCE, REPO } from '../helpers/reference';

const SELF = __filename;
const CODE_EXT = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs']);
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'bench-out', 'test-results', '.case']);
/** Where the scan never looks: recorded evidence, not code. */
const DATA_DIRS = [join(REPO, 'test', 'fixtures'), join(REPO, 'demo', 'bundle')];

/** Reference material that lived beside the repository; no string may name it. */
const OUTSIDE_NAMES = /(?:^|[^\w.])(?:\.\.\/)+shared\/(?:data|seeds|docs)\b|\/work\/shared\b/;
const FS_CALLS = new Set([
  'readFileSync', 'readFile', 'existsSync', 'exists', 'readdirSync', 'readdir', 'statSync', 'stat', 'lstatSync', 'lstat',
  'createReadStream', 'openSync', 'open', 'opendir', 'opendirSync', 'access', 'accessSync', 'copyFileSync', 'copyFile', 'cpSync', 'cp',
  'realpathSync', 'realpath', 'readlinkSync', 'glob', 'globSync',
]);
const PROCESS_CALLS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork', 'podtrail', 'run', 'runCli', 'cli']);
const MODULE_CALLS = new Set(['require', 'mock', 'doMock', 'unmock', 'importActual', 'importMock']);

export interface Violation {
  file: string;
  line: number;
  what: string;
}

function inside(p: string): boolean {
  const rel = relative(REPO, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function rel(p: string): string {
  return relative(REPO, p).split(sep).join('/');
}

function walk(dir: string, keep: (p: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (SKIP_DIRS.has(name) || DATA_DIRS.includes(p)) continue;
    const st = statSync(p);
    if (st.isDirectory()) walk(p, keep, out);
    else if (keep(p)) out.push(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Code

/** The module file a relative specifier names (with the extensions TypeScript and Node try). */
function resolveModule(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const candidates = [base, ...[...CODE_EXT].map((e) => base + e), ...[...CODE_EXT].map((e) => join(base, `index${e}`))];
  if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts'));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

interface Module {
  file: string;
  source: ts.SourceFile;
  consts: Map<string, ts.Expression>;
  imports: Map<string, { from: string; name: string }>;
  /** Local names of node:path functions (`join`, or `j` for `join as j`), and of node:path itself (`path`). */
  pathFns: Map<string, string>;
  pathModules: Set<string>;
}

/** A value: a string, and whether it derives from where the code is (`__dirname`, `import.meta`, the cwd). */
interface Val {
  s: string;
  anchored: boolean;
}

const PATH_MODULES = new Set(['path', 'node:path', 'path/posix', 'node:path/posix']);

/** Symbolic evaluation of path expressions, over the files of the scan (parsed once each). */
class PathEvaluator {
  private readonly modules = new Map<string, Module>();
  private readonly evaluating = new Set<string>();

  module(file: string, text?: string): Module {
    const known = this.modules.get(file);
    if (known && text === undefined) return known;
    const source = ts.createSourceFile(file, text ?? readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, scriptKind(file));
    const m: Module = { file, source, consts: new Map(), imports: new Map(), pathFns: new Map(), pathModules: new Set() };
    for (const st of source.statements) {
      if (ts.isVariableStatement(st) && st.declarationList.flags & ts.NodeFlags.Const) {
        for (const d of st.declarationList.declarations) {
          if (!d.initializer) continue;
          if (ts.isIdentifier(d.name)) {
            m.consts.set(d.name.text, d.initializer);
            if (requiredPathModule(d.initializer)) m.pathModules.add(d.name.text);
          } else if (ts.isObjectBindingPattern(d.name) && requiredPathModule(d.initializer)) {
            for (const el of d.name.elements) {
              if (ts.isIdentifier(el.name)) m.pathFns.set(el.name.text, (el.propertyName && ts.isIdentifier(el.propertyName) ? el.propertyName : el.name).text);
            }
          }
        }
      }
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const spec = st.moduleSpecifier.text;
      const clause = st.importClause;
      if (PATH_MODULES.has(spec)) {
        if (clause?.name) m.pathModules.add(clause.name.text);
        const named = clause?.namedBindings;
        if (named && ts.isNamespaceImport(named)) m.pathModules.add(named.name.text);
        if (named && ts.isNamedImports(named)) for (const el of named.elements) m.pathFns.set(el.name.text, (el.propertyName ?? el.name).text);
        continue;
      }
      if (!spec.startsWith('.')) continue;
      const target = resolveModule(file, spec);
      const named = clause?.namedBindings;
      if (target && named && ts.isNamedImports(named)) {
        for (const el of named.elements) m.imports.set(el.name.text, { from: target, name: (el.propertyName ?? el.name).text });
      }
    }
    this.modules.set(file, m);
    return m;
  }

  /** The node:path function a call makes (`join`, `resolve`, `dirname`), or undefined. */
  pathFunction(m: Module, call: ts.CallExpression): string | undefined {
    const c = call.expression;
    if (ts.isIdentifier(c)) return m.pathFns.get(c.text);
    if (ts.isPropertyAccessExpression(c) && ts.isIdentifier(c.expression) && m.pathModules.has(c.expression.text)) return c.name.text;
    // path.posix.join(…)
    if (ts.isPropertyAccessExpression(c) && ts.isPropertyAccessExpression(c.expression) && ts.isIdentifier(c.expression.expression) && m.pathModules.has(c.expression.expression.text)) {
      return c.name.text;
    }
    return undefined;
  }

  /** The value of an expression when it can be known without running the code. */
  value(m: Module, e: ts.Expression): Val | undefined {
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { s: e.text, anchored: false };
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e)) {
      return this.value(m, e.expression);
    }
    if (ts.isTemplateExpression(e) || (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken)) {
      const parts = ts.isTemplateExpression(e)
        ? [{ s: e.head.text, anchored: false }, ...e.templateSpans.flatMap((sp) => [this.value(m, sp.expression), { s: sp.literal.text, anchored: false }])]
        : [this.value(m, e.left), this.value(m, e.right)];
      if (parts.some((x) => x === undefined)) return undefined;
      return { s: parts.map((x) => x!.s).join(''), anchored: parts.some((x) => x!.anchored) };
    }
    if (ts.isIdentifier(e)) return this.identifier(m, e.text);
    if (ts.isPropertyAccessExpression(e) && ts.isMetaProperty(e.expression)) {
      if (e.name.text === 'url') return { s: pathToFileURL(m.file).href, anchored: true };
      if (e.name.text === 'dirname') return { s: dirname(m.file), anchored: true };
      if (e.name.text === 'filename') return { s: m.file, anchored: true };
      return undefined;
    }
    if (ts.isNewExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'URL' && e.arguments?.length === 2) {
      const [spec, base] = e.arguments.map((a) => this.value(m, a));
      if (spec === undefined || base === undefined || !base.s.startsWith('file:')) return undefined;
      return { s: new URL(spec.s, base.s).href, anchored: spec.anchored || base.anchored };
    }
    if (ts.isCallExpression(e)) {
      if (ts.isPropertyAccessExpression(e.expression) && ts.isIdentifier(e.expression.expression)) {
        if (e.expression.expression.text === 'process' && e.expression.name.text === 'cwd') return { s: REPO, anchored: true };
      }
      const fn = this.pathFunction(m, e) ?? (ts.isIdentifier(e.expression) && e.expression.text === 'fileURLToPath' ? 'fileURLToPath' : undefined);
      if (!fn) return undefined;
      const args = e.arguments.map((a) => this.value(m, a));
      if (args.some((a) => a === undefined)) return undefined;
      const v = (args as Val[]).map((a) => fromUrl(a.s));
      const anchored = (args as Val[]).some((a) => a.anchored);
      // A relative path.resolve() is resolved from the cwd: the repository root, where tests and scripts run.
      if (fn === 'resolve') return { s: resolve(REPO, ...v), anchored: anchored || !isAbsolute(v[0] ?? '') };
      if (fn === 'join' && v.length) return { s: join(...v), anchored };
      if (fn === 'dirname' && v.length === 1) return { s: dirname(v[0]!), anchored };
      if (fn === 'fileURLToPath' && v.length === 1 && args[0]!.s.startsWith('file:')) return { s: v[0]!, anchored };
    }
    return undefined;
  }

  private identifier(m: Module, name: string): Val | undefined {
    if (name === '__dirname') return { s: dirname(m.file), anchored: true };
    if (name === '__filename') return { s: m.file, anchored: true };
    const key = `${m.file}#${name}`;
    if (this.evaluating.has(key)) return undefined;
    this.evaluating.add(key);
    try {
      const init = m.consts.get(name);
      if (init) return this.value(m, init);
      const imp = m.imports.get(name);
      if (imp) return this.identifier(this.module(imp.from), imp.name);
      return undefined;
    } finally {
      this.evaluating.delete(key);
    }
  }
}

/** `require('node:path')` */
function requiredPathModule(e: ts.Expression): boolean {
  return ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'require' && !!e.arguments[0] &&
    ts.isStringLiteral(e.arguments[0]) && PATH_MODULES.has(e.arguments[0].text);
}

function fromUrl(s: string): string {
  return s.startsWith('file:') ? fileURLToPath(s) : s;
}

function scriptKind(file: string): ts.ScriptKind {
  const ext = extname(file);
  if (ext === '.tsx') return ts.ScriptKind.TSX;
  if (ext === '.ts' || ext === '.mts' || ext === '.cts') return ts.ScriptKind.TS;
  return ts.ScriptKind.JS;
}

function calleeName(call: ts.CallExpression | ts.NewExpression): string | undefined {
  const c = call.expression;
  if (ts.isIdentifier(c)) return c.text;
  if (ts.isPropertyAccessExpression(c)) return c.name.text;
  return undefined;
}

/** An absolute path next to the repository (`/work/shared/…` for a repository at `/work/main`): system paths
 * such as `/usr/bin/chromium` are the machine's, not material a clone would lack beside it. */
function besideRepo(p: string): boolean {
  return isAbsolute(p) && !inside(p) && p.startsWith(dirname(REPO) + sep);
}

/** Where `p` (absolute, or relative to the repository root) lands, when that is outside the repository. */
function outside(p: string): string | undefined {
  const abs = p.startsWith('file:') ? fileURLToPath(p) : resolve(REPO, p);
  return inside(abs) ? undefined : abs;
}

export function scanCode(file: string, text?: string, evaluator = new PathEvaluator()): Violation[] {
  const m = evaluator.module(file, text);
  const found: Violation[] = [];
  const report = (node: ts.Node, what: string) =>
    found.push({ file: rel(file), line: m.source.getLineAndCharacterOfPosition(node.getStart()).line + 1, what });
  const checkModule = (node: ts.Node, spec: string) => {
    if (!spec.startsWith('.')) return;
    const target = resolve(dirname(file), spec);
    if (!inside(target)) report(node, `imports ${spec} → ${target}, outside the repository`);
  };
  const literalPath = (node: ts.Expression): string | undefined =>
    ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : undefined;

  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      if (OUTSIDE_NAMES.test(node.text)) report(node, `names the material that sat beside the repository: ${JSON.stringify(node.text)}`);
    }
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      checkModule(node, node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
      const spec = literalPath(node.arguments[0]);
      if (spec) checkModule(node, spec);
    }
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const name = calleeName(node);
      const args = node.arguments ?? ts.factory.createNodeArray<ts.Expression>();
      if (name && MODULE_CALLS.has(name) && args[0]) {
        const spec = literalPath(args[0]);
        if (spec) checkModule(node, spec);
      }
      const fn = ts.isCallExpression(node) ? evaluator.pathFunction(m, node) : name === 'URL' ? 'URL' : undefined;
      if (fn === 'resolve' || fn === 'join' || fn === 'URL') {
        const v = evaluator.value(m, node as ts.Expression);
        if (v !== undefined && (isAbsolute(v.s) || v.s.startsWith('file:'))) {
          const out = outside(v.s);
          // Built from where the code is, or naming a place next to the repository.
          if (out && (v.anchored || besideRepo(out))) report(node, `builds a path outside the repository: ${node.getText(m.source)} → ${out}`);
        }
      }
      if (name && FS_CALLS.has(name) && args[0]) {
        const p = literalPath(args[0]);
        const out = p !== undefined && (p.startsWith('.') || besideRepo(p)) ? outside(p) : undefined;
        if (out) report(node, `reads ${p} → ${out}, outside the repository`);
      }
      if (name && PROCESS_CALLS.has(name)) {
        for (const a of args) {
          const items = ts.isArrayLiteralExpression(a) ? a.elements : [a];
          for (const item of items) {
            const p = ts.isExpression(item) ? literalPath(item) : undefined;
            if (p === undefined || !(p.startsWith('../') || besideRepo(p))) continue;
            const out = outside(p);
            if (out) report(item, `passes ${p} → ${out}, outside the repository, to a process`);
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(m.source);
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Markdown

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
const OUTPUT_FLAGS = new Set(['--out', '--case', '-o', '>', '>>', '--output']);
const PATHY_EXT = /\.(json|jsonl|db|html|pdf|csv|js|mjs|cjs|ts|gz|tgz|zip|tar|yml|yaml|md|txt|log|png)$/i;
/** Placeholders (`<case.db>`, `[--format …]`, `…`), globs, variables and URLs are not paths. */
const NOT_A_PATH = /[<>…[\]|*$={}]|:\/\//;

export interface Command {
  line: number;
  text: string;
}

export function commandsIn(md: string): Command[] {
  const out: Command[] = [];
  const lines = md.split('\n');
  let fence: string | undefined;
  let pending: Command | undefined;
  lines.forEach((raw, i) => {
    const open = /^\s*```\s*([\w-]*)/.exec(raw);
    if (open && fence === undefined) {
      fence = open[1] ?? '';
      return;
    }
    if (/^\s*```/.test(raw) && fence !== undefined) {
      fence = undefined;
      return;
    }
    if (fence !== undefined) {
      if (!SHELL_LANGS.has(fence)) return;
      const text = raw.replace(/^\s*\$\s+/, '').replace(/(^|\s)#.*$/, '').trimEnd();
      if (pending) {
        pending.text += ' ' + text.replace(/\\$/, '');
        if (!text.endsWith('\\')) pending = undefined;
        return;
      }
      if (!text.trim()) return;
      const cmd = { line: i + 1, text: text.replace(/\\$/, '') };
      out.push(cmd);
      if (text.endsWith('\\')) pending = cmd;
      return;
    }
    for (const span of raw.matchAll(/`([^`\n]+)`/g)) {
      if (/^(npx|npm|node)\s/.test(span[1]!)) out.push({ line: i + 1, text: span[1]! });
    }
  });
  return out;
}

/** The source a `dist/` path is compiled from (`dist/test/generator/cli.js` ← `test/generator/cli.ts`). */
function builtFrom(p: string): boolean {
  const src = p.replace(/^dist\//, '');
  const stem = src.replace(/\.(js|cjs|mjs)$/, '');
  return [src, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`].some((c) => existsSync(join(REPO, c)));
}

export function scanMarkdown(file: string, text?: string): { violations: Violation[]; named: string[] } {
  const md = text ?? readFileSync(file, 'utf8');
  const violations: Violation[] = [];
  const named: string[] = [];
  for (const cmd of commandsIn(md)) {
    const tokens = cmd.text.split(/\s+/).filter(Boolean).map((t) => t.replace(/^['"]|['"]$/g, ''));
    tokens.forEach((t, i) => {
      if (t.startsWith('-') || NOT_A_PATH.test(t)) return;
      if (!(t.includes('/') || PATHY_EXT.test(t) || t === '..' || t.startsWith('~'))) return;
      const output = OUTPUT_FLAGS.has(tokens[i - 1] ?? '');
      const abs = t.startsWith('~') ? join('/root', t.slice(1)) : resolve(REPO, t);
      if (!inside(abs) && !abs.startsWith('/tmp/') && !abs.startsWith(tmpdir() + sep)) {
        violations.push({ file: rel(file), line: cmd.line, what: `\`${cmd.text}\` names ${t} → ${abs}, outside the repository` });
        return;
      }
      if (output || isAbsolute(t)) return;
      // A path whose first segment is in the repository (or is the build output) names repository content and
      // must exist; others (`eks-audit/`, `kubectl-get-pods.json`) are the reader's own files.
      const first = t.replace(/^\.\//, '').split('/')[0]!;
      if (first !== 'dist' && !existsSync(join(REPO, first))) return;
      // The benchmarks' output (git-ignored): what is in it depends on the machine's earlier runs, not on the repository.
      if (first === 'bench-out') return;
      const p = t.replace(/^\.\//, '').replace(/\/$/, '');
      named.push(p);
      const ok = first === 'dist' ? existsSync(join(REPO, p)) || builtFrom(p) : existsSync(join(REPO, p));
      if (!ok) violations.push({ file: rel(file), line: cmd.line, what: `\`${cmd.text}\` names ${t}, which is not in the repository` });
    });
  }
  return { violations, named };
}

// ---------------------------------------------------------------------------------------------------------

function codeFiles(): string[] {
  const roots = ['test', 'scripts', 'demo', '.ci'].map((d) => join(REPO, d)).filter((d) => existsSync(d));
  const files = roots.flatMap((d) => walk(d, (p) => CODE_EXT.has(extname(p))));
  for (const name of readdirSync(REPO)) if (CODE_EXT.has(extname(name))) files.push(join(REPO, name));
  return files.filter((f) => f !== SELF).sort();
}

function markdownFiles(): string[] {
  return walk(REPO, (p) => extname(p) === '.md').sort();
}

describe('the repository is self-contained', () => {
  it('the reference records are inside the repository', () => {
    expect(inside(REFERENCE)).toBe(true);
    expect(existsSync(join(REFERENCE, 'SOURCES.md'))).toBe(true);
  });

  it('no test, script or config reads outside the repository', () => {
    const files = codeFiles();
    // The scan must see the suites it guards (a walk that found nothing would pass vacuously).
    expect(files.map(rel)).toEqual(expect.arrayContaining(['test/helpers/reference.ts', 'test/engine/seeds.test.ts', 'scripts/bench.mjs']));
    const evaluator = new PathEvaluator();
    const found = files.flatMap((f) => scanCode(f, undefined, evaluator));
    expect(found.map((v) => `${v.file}:${v.line}: ${v.what}`)).toEqual([]);
  });

  it('no documented command reads outside the repository, and every repository path one names exists', () => {
    const files = markdownFiles();
    expect(files.map(rel)).toContain('README.md');
    const results = files.map((f) => scanMarkdown(f));
    expect(results.flatMap((r) => r.violations).map((v) => `${v.file}:${v.line}: ${v.what}`)).toEqual([]);
    // The quick start's reference records are among the paths checked.
    const named = results.flatMap((r) => r.named);
    expect(named).toEqual(expect.arrayContaining(['test/fixtures/reference/seed-examples', 'test/fixtures/reference/public/doc-examples']));
  });
});

describe('the self-containment checks catch what they are for', () => {
  const probe = join(REPO, 'test', 'helpers', 'probe.ts');

  it('a reference folder built beside the repository (the old test helper)', () => {
    const code = [
      "import { resolve } from 'node:path';",
      "export const REPO = resolve(__dirname, '..', '..');",
      "export const DATA = resolve(REPO, '..', 'shared', 'data');",
    ].join('\n');
    expect(scanCode(probe, code).map((v) => v.line)).toEqual([3]);
  });

  it('a repository constant imported from another module', () => {
    const code = "import { join } from 'node:path';\nimport { REPO } from './reference';\nexport const X = join(REPO, '..', 'elsewhere');\n";
    expect(scanCode(probe, code)).toHaveLength(1);
  });

  it('a relative read, an import, a URL and a process argument that leave the repository', () => {
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import { x } from '../../../outside';",
      "readFileSync('../elsewhere/records.json');",
      "const u = new URL('../../../x.json', import.meta.url);",
      "podtrail(['ingest', '../elsewhere/bundle', '--case', 'c.db']);",
      "const hostileMember = '../x';",
      '// readFileSync("../../outside.json") in a comment is not a read',
    ].join('\n');
    expect(scanCode(probe, code).map((v) => v.line)).toEqual([2, 3, 4, 5]);
  });

  it('a README command on a folder outside the repository, and one naming a repository path that does not exist', () => {
    const md = [
      '```sh',
      'npx podtrail ingest ../elsewhere/seed-examples --case demo.db   # comment',
      'npx podtrail ingest test/fixtures/reference/no-such-folder --case demo.db',
      'npx podtrail ingest eks-audit/ pods.json --case case.db',
      'node dist/test/generator/cli.js --out /tmp/bundle',
      '```',
      'and inline: `node scripts/no-such-script.mjs`',
    ].join('\n');
    const { violations } = scanMarkdown(join(REPO, 'probe.md'), md);
    expect(violations.map((v) => v.line)).toEqual([2, 3, 7]);
  });

  it('a string naming the old material beside the repository', () => {
    const code = `const p = '..' + '/x';\nconst q = ${JSON.stringify(['..', 'shared', 'data', 'x.json'].join('/'))};\n`;
    expect(scanCode(probe, code).map((v) => v.line)).toEqual([2]);
  });
});
