/**
 * The Electron shell cannot run here (no Electron binary), so what it decides without Electron is tested as
 * plain code: allowed URLs, the case on the command line, recent cases, and that the preload stays a script
 * that a sandboxed renderer can load.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { API } from '../../shared/api';
import {
  caseFromArgv,
  decideNavigation,
  isAllowedExternalUrl,
  isAppUrl,
  isLocalRequestUrl,
  isTrustedSenderFacts,
  mayRedirect,
  type SenderFacts,
  type WindowFacts,
} from '../../electron/shell/policy';
import { MAX_RECENT, RecentCases } from '../../electron/shell/recent';
import { CHANNELS } from '../../electron/shell/channels';
import { REPO } from '../helpers/reference';

describe('shell policy', () => {
  it('opens only https documentation hosts externally', () => {
    expect(isAllowedExternalUrl('https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html')).toBe(true);
    expect(isAllowedExternalUrl('https://kubernetes.io/docs/concepts/security/service-accounts/')).toBe(true);
    for (const bad of [
      'http://docs.aws.amazon.com/',
      'https://docs.aws.amazon.com.attacker.example/',
      'https://attacker.example/?https://docs.aws.amazon.com/',
      'https://user:pw@docs.aws.amazon.com/',
      'https://docs.aws.amazon.com:8443/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'ms-msdt:/id PCWDiagnostic',
      'https://evil.kubernetes.io.example/',
      'not a url',
    ]) {
      expect(isAllowedExternalUrl(bad), bad).toBe(false);
    }
  });

  it('recognises only app://podtrail as our page', () => {
    expect(isAppUrl('app://podtrail/')).toBe(true);
    expect(isAppUrl('app://podtrail/index.html?x=1')).toBe(true);
    expect(isAppUrl('app://other/')).toBe(false);
    expect(isAppUrl('http://127.0.0.1:9/')).toBe(false);
    expect(isAppUrl('file:///index.html')).toBe(false);
  });

  it('never lets a page navigate, and sends only allowlisted documentation links to the browser', () => {
    for (const url of ['app://podtrail/', 'app://podtrail/index.html', 'http://127.0.0.1:1/', 'javascript:alert(1)', 'file:///etc/passwd', 'about:blank', 'data:text/html,<script>1</script>']) {
      expect(decideNavigation(url), url).toEqual({ action: 'deny', openExternally: false });
    }
    expect(decideNavigation('https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html')).toEqual({ action: 'deny', openExternally: true });
    expect(decideNavigation('https://attacker.example/')).toEqual({ action: 'deny', openExternally: false });
  });

  it('follows a redirect only within our own page', () => {
    expect(mayRedirect('app://podtrail/index.html')).toBe(true);
    for (const url of ['https://docs.aws.amazon.com/', 'app://report/x', 'http://127.0.0.1/', 'file:///']) expect(mayRedirect(url), url).toBe(false);
  });

  it('lets pages load only from local schemes (no network at all)', () => {
    for (const url of ['app://podtrail/assets/index.js', 'data:image/png;base64,AA==', 'blob:app://podtrail/1-2-3', 'devtools://devtools/bundled/x.html']) {
      expect(isLocalRequestUrl(url), url).toBe(true);
    }
    for (const url of ['http://127.0.0.1:9/beacon', 'https://attacker.example/x.png', 'ws://127.0.0.1:1/', 'wss://x/', 'file:///etc/passwd', 'ftp://x/', 'chrome://gpu', 'not a url', '']) {
      expect(isLocalRequestUrl(url), url).toBe(false);
    }
  });

  describe('IPC sender check', () => {
    const win: WindowFacts = { webContentsId: 7, mainFrame: { processId: 3, routingId: 1 } };
    const good: SenderFacts = { webContentsId: 7, frame: { url: 'app://podtrail/', isTopFrame: true, processId: 3, routingId: 1 } };

    it('accepts the top frame of our window on app://podtrail', () => {
      expect(isTrustedSenderFacts(win, good)).toBe(true);
      expect(isTrustedSenderFacts(win, { ...good, frame: { ...good.frame!, url: 'app://podtrail/index.html?x=1#y' } })).toBe(true);
    });

    it.each<[string, SenderFacts | null, WindowFacts | null]>([
      ['no window', good, null],
      ['another webContents (the PDF renderer, DevTools)', { ...good, webContentsId: 8 }, win],
      ['a frame that is gone', { ...good, frame: null }, win],
      ['an iframe', { ...good, frame: { ...good.frame!, isTopFrame: false } }, win],
      ['another frame of the same process', { ...good, frame: { ...good.frame!, routingId: 2 } }, win],
      ['a frame of another process', { ...good, frame: { ...good.frame!, processId: 4 } }, win],
      ['a page on another origin', { ...good, frame: { ...good.frame!, url: 'https://attacker.example/' } }, win],
      ['a page on another app:// host', { ...good, frame: { ...good.frame!, url: 'app://report/x' } }, win],
      ['a file:// page', { ...good, frame: { ...good.frame!, url: 'file:///tmp/x.html' } }, win],
      ['about:blank', { ...good, frame: { ...good.frame!, url: 'about:blank' } }, win],
    ])('refuses %s', (_what, sender, w) => {
      expect(isTrustedSenderFacts(w, sender!)).toBe(false);
    });
  });

  it('reads --case from the command line', () => {
    expect(caseFromArgv(['electron', '.', '--case', '/x/c.db'])).toBe('/x/c.db');
    expect(caseFromArgv(['PodTrail', '--case=/x/c.db'])).toBe('/x/c.db');
    expect(caseFromArgv(['PodTrail'])).toBeNull();
    expect(caseFromArgv(['PodTrail', '--case'])).toBeNull();
  });
});

describe('recent cases', () => {
  it('keeps the most recent first, without duplicates, at most ten, and survives a corrupt file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podtrail-recent-'));
    const file = join(dir, 'sub', 'recent.json');
    const recent = new RecentCases(file);
    expect(recent.list()).toEqual([]);
    for (let i = 0; i < 12; i++) recent.add(join(dir, `c${i}.db`));
    recent.add(join(dir, 'c5.db'));
    const list = recent.list();
    expect(list).toHaveLength(MAX_RECENT);
    expect(list[0]).toBe(join(dir, 'c5.db'));
    expect(new Set(list).size).toBe(list.length);
    expect(recent.existing()).toEqual([]);
    writeFileSync(join(dir, 'c5.db'), '');
    expect(recent.existing()).toEqual([join(dir, 'c5.db')]);
    writeFileSync(file, '{not json');
    expect(recent.list()).toEqual([]);
    writeFileSync(file, JSON.stringify({ cases: ['relative.db', 42, join(dir, 'ok.db')] }));
    expect(recent.list()).toEqual([join(dir, 'ok.db')]);
    recent.clear();
    expect(recent.list()).toEqual([]);
  });
});

describe('preload', () => {
  const source = readFileSync(join(REPO, 'electron', 'preload.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, removeComments: true } }).outputText;

  it('compiles to a plain script that requires nothing but electron (sandboxed preloads cannot)', () => {
    expect(js).not.toMatch(/\bexports\b/);
    const required = [...js.matchAll(/require\((['"])(.+?)\1\)/g)].map((m) => m[2]);
    expect(required).toEqual(['electron']);
  });

  it('exposes only window.podtrail, and no ipcRenderer', () => {
    const exposed = [...js.matchAll(/exposeInMainWorld\((['"])(.+?)\1/g)].map((m) => m[2]);
    expect(exposed).toEqual(['podtrail']);
    expect(js).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*[,)]/);
  });

  it('uses the same channel names as the main process', () => {
    for (const name of Object.values(CHANNELS)) expect(source).toContain(`'${name}'`);
  });

  it('gets the API table names from main, so calls are exactly the table', () => {
    const main = readFileSync(join(REPO, 'electron', 'main.ts'), 'utf8');
    expect(main).toContain('Object.keys(API)');
    expect(Object.keys(API).every((n) => /^[a-z]+\.[a-zA-Z]+$/.test(n))).toBe(true); // no comma can split a name
  });
});
