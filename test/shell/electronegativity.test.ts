/**
 * The Electronegativity gate (.ci/electronegativity): it passes on the repository as it is, with every finding
 * reviewed, and it fails on a finding nobody reviewed — whether given as a list or planted in a scanned tree.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module of the CI scripts, without type declarations
import { gate, loadReviewed, matchFindings, scan, validateReviewed } from '../../.ci/electronegativity.mjs';

interface Finding {
  check: string;
  file: string;
  line: number;
  column: number;
  snippet: string;
  severity: string;
  confidence: string;
  description: string;
}

const finding = (over: Partial<Finding> = {}): Finding => ({
  check: 'OPEN_EXTERNAL_JS_CHECK',
  file: 'electron/shell/hardening.ts',
  line: 25,
  column: 7,
  snippet: 'void shell.openExternal(url);',
  severity: 'MEDIUM',
  confidence: 'TENTATIVE',
  description: 'Review the use of openExternal',
  ...over,
});
const entry = { check: 'OPEN_EXTERNAL_JS_CHECK', file: 'electron/shell/hardening.ts', snippet: 'void  shell.openExternal(url);', reason: 'guarded by the https documentation-host allowlist' };

describe('matching findings to reviewed entries', () => {
  it('accepts a finding reviewed by check, file and source line (whitespace aside)', () => {
    const v = gate({ findings: [finding()] }, [entry]);
    expect(v.ok).toBe(true);
    expect(v.matched).toHaveLength(1);
  });

  it.each<[string, Partial<Finding>]>([
    ['a new check', { check: 'NODE_INTEGRATION_JS_CHECK' }],
    ['the same check in another file', { file: 'electron/main.ts' }],
    ['the same check on changed code', { snippet: 'void shell.openExternal(untrusted);' }],
  ])('fails on %s', (_what, over) => {
    const v = gate({ findings: [finding(over)] }, [entry]);
    expect(v.ok).toBe(false);
    expect(v.unreviewed).toEqual([finding(over)]);
    expect(v.stale).toEqual([entry]);
  });

  it('needs one entry per finding: a second identical finding is new', () => {
    const { unreviewed } = matchFindings([finding(), finding({ line: 40 })], [entry]);
    expect(unreviewed).toEqual([finding({ line: 40 })]);
  });

  it('holds an entry to its line when it pins one', () => {
    expect(matchFindings([finding({ line: 26 })], [{ ...entry, line: 25 }]).unreviewed).toHaveLength(1);
    expect(matchFindings([finding({ line: 25 })], [{ ...entry, line: 25 }]).unreviewed).toHaveLength(0);
  });

  it('fails on an entry that matches nothing, on an unparsed file, and on an inline suppression', () => {
    expect(gate({ findings: [] }, [entry]).ok).toBe(false);
    expect(gate({ findings: [], errors: [{ file: 'electron/x.ts', message: 'Unexpected token', tolerable: false }] }, []).ok).toBe(false);
    expect(gate({ findings: [], errors: [{ file: 'electron/x.ts', message: 'recovered', tolerable: true }] }, []).ok).toBe(true);
    expect(gate({ findings: [], suppressions: [{ file: 'electron/main.ts', line: 3, text: '/* eng-disable PRELOAD_JS_CHECK */' }] }, []).ok).toBe(false);
  });

  it('refuses entries without a reason', () => {
    expect(validateReviewed([{ ...entry, reason: '' }])).toHaveLength(1);
    expect(validateReviewed([{ ...entry, reason: 'ok' }])).toHaveLength(1);
    expect(validateReviewed([{ check: 'X', file: 'f', reason: 'a long enough reason, really' }])).toEqual(['reviewed[0]: "snippet" is missing']);
    const v = gate({ findings: [finding()] }, [{ ...entry, reason: 'fine' }]);
    expect(v.ok).toBe(false);
    expect(v.unreviewed).toHaveLength(1);
  });
});

describe('the gate over real source', () => {
  it('passes on this repository: every finding reviewed, every file parsed, no inline suppressions', async () => {
    const s = await scan();
    const v = gate(s, loadReviewed());
    expect(v.unreviewed, 'findings nobody reviewed').toEqual([]);
    expect(v.stale, 'reviewed entries that match no finding').toEqual([]);
    expect(v.unparsed, 'files the tool could not parse').toEqual([]);
    expect(v.suppressions).toEqual([]);
    expect(v.ok).toBe(true);
    expect(s.findings.length).toBeGreaterThan(0);
  });

  it('fails on a misconfigured window planted in a scanned tree', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'podtrail-eng-fixture-'));
    mkdirSync(join(repo, 'electron'), { recursive: true });
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'fixture', devDependencies: { electron: '^45.4.1' } }));
    writeFileSync(
      join(repo, 'electron', 'main.ts'),
      "import { BrowserWindow } from 'electron';\nexport const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false } });\n",
    );
    const s = await scan(repo);
    const v = gate(s, loadReviewed());
    expect(v.ok).toBe(false);
    const checks = new Set(v.unreviewed.map((f: Finding) => f.check));
    // The window's own options, and the app-wide checks our shell passes (no navigation limit, no permission handler).
    for (const c of ['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'WEB_SECURITY_JS_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK', 'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK']) {
      expect(checks, c).toContain(c);
    }
    // The reviewed entries name our files, so none of them stands in for the fixture's findings.
    expect(v.matched).toEqual([]);
  });
});
