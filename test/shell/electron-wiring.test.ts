/**
 * The Electron shell's wiring, run for real under Node against a fake `electron` module (fake-electron.ts): the
 * Electron binary cannot run on the build machines, so main.ts is imported as the app would run it, and the test
 * plays Electron — it fires `ready`, the navigation, window-open, webview, permission and IPC events, and requests
 * on the app:// protocol — and checks what the shell's own handlers answer. The engine is a stand-in too (the real
 * one is tested elsewhere); what is checked here is that every door is wired to the policy in shell/policy.ts.
 *
 * What this cannot show: that Electron itself honours the options (sandbox, context isolation). That needs the
 * binary (test/ui/electron.spec.ts, skipped where it is missing).
 */
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, metaContentSecurityPolicy } from '../../electron/server/security';
import { REPO } from '../helpers/reference';
import * as fake from './fake-electron';

vi.mock('electron', async () => await import('./fake-electron'));

interface EngineCall {
  name: string;
  input: unknown;
}
const engineCalls: EngineCall[] = [];
vi.mock('../../electron/engine/service/host', () => ({
  EngineHost: {
    start: (casePath: string) => ({
      casePath,
      call: async (name: string, input: unknown) => {
        engineCalls.push({ name, input });
        return name === 'ingest.start' ? { ok: true, value: { jobId: 1 } } : { ok: true, value: { events: 1 } };
      },
      onPush: () => () => {},
      close: async () => {},
    }),
  },
}));

const ALLOWED_DOC = 'https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html';
const HOSTILE_URLS = ['https://attacker.example/x', 'javascript:alert(1)', 'file:///etc/passwd', 'smb://attacker/share', 'app://podtrail/other', 'http://docs.aws.amazon.com/'];

let win: fake.BrowserWindow;
const beforeReady: string[] = [];

beforeAll(async () => {
  fake.app.userData = mkdtempSync(join(tmpdir(), 'podtrail-shell-'));
  fake.app.appPath = REPO;
  process.argv.push(`--case=${join(fake.app.userData, 'case.db')}`);
  await import('../../electron/main');
  beforeReady.push(...fake.log.order);
  fake.makeReady();
  await vi.waitFor(() => expect(fake.BrowserWindow.instances).toHaveLength(1), { timeout: 10_000 });
  win = fake.BrowserWindow.instances[0]!;
  win.webContents.mainFrame.url = win.loadedUrl ?? '';
});

afterAll(() => {
  process.argv = process.argv.filter((a) => !a.startsWith('--case='));
});

/** An IPC event as Electron builds it, from a frame of a webContents. */
function ipcEvent(over: { sender?: fake.FakeWebContents; url?: string; top?: boolean; routingId?: number; frame?: null } = {}) {
  const sender = over.sender ?? win.webContents;
  const frame =
    over.frame === null
      ? null
      : {
          url: over.url ?? 'app://podtrail/',
          parent: over.top === false ? { url: 'app://podtrail/' } : null,
          processId: sender.mainFrame.processId,
          routingId: over.routingId ?? sender.mainFrame.routingId,
        };
  return { sender, senderFrame: frame };
}

describe('before the app is ready', () => {
  it('registers the app:// scheme and turns the sandbox on for every renderer, and opens no window', () => {
    expect(beforeReady).toContain('protocol.registerSchemesAsPrivileged');
    expect(beforeReady).toContain('app.enableSandbox');
    expect(beforeReady).not.toContain('new BrowserWindow');
  });

  it('gives app:// an origin of its own and no privilege that would weaken the page', () => {
    expect(fake.log.schemes).toHaveLength(1);
    const { scheme, privileges } = fake.log.schemes[0]!;
    expect(scheme).toBe('app');
    expect(privileges).toMatchObject({ standard: true, secure: true });
    for (const p of ['bypassCSP', 'corsEnabled', 'allowServiceWorkers', 'stream']) expect(privileges[p], p).toBeFalsy();
  });
});

describe('the main window', () => {
  it('loads app://podtrail/, only after the session is hardened and the protocol is served', () => {
    expect(win.loadedUrl).toBe('app://podtrail/');
    expect(fake.defaultSession.permissionRequestHandler).not.toBeNull();
    expect(fake.defaultSession.protocolHandlers.has('app')).toBe(true);
  });

  it('runs sandboxed, isolated, without Node, with web security on', () => {
    const wp = win.options.webPreferences!;
    expect(wp).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      devTools: false, // packaged
    });
    expect(String(wp.disableBlinkFeatures)).toContain('Auxclick');
    expect(String(wp.preload)).toMatch(/[\\/]preload\.js$/);
    // Nothing else that could loosen it (experimentalFeatures, enableBlinkFeatures, a session of its own, …).
    const known = new Set([
      'preload', 'contextIsolation', 'sandbox', 'nodeIntegration', 'nodeIntegrationInWorker', 'nodeIntegrationInSubFrames', 'webSecurity',
      'allowRunningInsecureContent', 'webviewTag', 'navigateOnDragDrop', 'disableBlinkFeatures', 'safeDialogs', 'spellcheck', 'devTools', 'additionalArguments',
    ]);
    expect(Object.keys(wp).filter((k) => !known.has(k))).toEqual([]);
    // The preload learns the API names from the command line, and nothing else.
    expect(wp.additionalArguments).toEqual([expect.stringMatching(/^--podtrail-api-names=[a-zA-Z.,]+$/)]);
  });
});

describe('navigation, new windows and webviews', () => {
  it('denies every new window, and opens only allowlisted documentation in the browser', () => {
    const open = win.webContents.windowOpenHandler!;
    expect(open).toBeTypeOf('function');
    const before = fake.log.openExternal.length;
    for (const url of HOSTILE_URLS) expect(open({ url }), url).toEqual({ action: 'deny' });
    expect(fake.log.openExternal.length).toBe(before);
    expect(open({ url: ALLOWED_DOC })).toEqual({ action: 'deny' });
    expect(fake.log.openExternal.slice(before)).toEqual([ALLOWED_DOC]);
  });

  it('prevents every navigation of the page, its own origin included', () => {
    const before = fake.log.openExternal.length;
    for (const url of [...HOSTILE_URLS, 'app://podtrail/', ALLOWED_DOC]) {
      const e = new fake.FakeEvent({ url });
      win.webContents.emit('will-navigate', e, url);
      expect(e.defaultPrevented, url).toBe(true);
    }
    expect(fake.log.openExternal.slice(before)).toEqual([ALLOWED_DOC]);
  });

  it('prevents sub-frame navigation and redirects away from app://podtrail', () => {
    const sub = new fake.FakeEvent({ isMainFrame: false, url: 'app://podtrail/' });
    win.webContents.emit('will-frame-navigate', sub);
    expect(sub.defaultPrevented).toBe(true);
    const away = new fake.FakeEvent();
    win.webContents.emit('will-redirect', away, 'https://attacker.example/');
    expect(away.defaultPrevented).toBe(true);
    const home = new fake.FakeEvent();
    win.webContents.emit('will-redirect', home, 'app://podtrail/index.html');
    expect(home.defaultPrevented).toBe(false);
  });

  it('refuses to attach a webview', () => {
    const e = new fake.FakeEvent();
    win.webContents.emit('will-attach-webview', e, {}, {});
    expect(e.defaultPrevented).toBe(true);
  });

  it('hardens every webContents the app creates, not only the main window', () => {
    const other = new fake.FakeWebContents();
    fake.app.emit('web-contents-created', new fake.FakeEvent(), other);
    expect(other.windowOpenHandler!({ url: 'https://attacker.example/' })).toEqual({ action: 'deny' });
    const e = new fake.FakeEvent();
    other.emit('will-navigate', e, 'https://attacker.example/');
    expect(e.defaultPrevented).toBe(true);
  });
});

describe('permissions and network', () => {
  const s = () => fake.defaultSession;

  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal', 'fullscreen', 'pointerLock', 'midiSysex', 'hid', 'serial', 'usb'])(
    'denies the permission request %s, and its check',
    async (permission) => {
      const answer = await new Promise<boolean>((resolve) => s().permissionRequestHandler!(win.webContents as never, permission as never, resolve as never, {} as never));
      expect(answer).toBe(false);
      expect(s().permissionCheckHandler!(win.webContents as never, permission as never, 'app://podtrail' as never, {} as never)).toBe(false);
    },
  );

  it('denies devices and screen capture', async () => {
    expect(s().devicePermissionHandler!({ deviceType: 'usb', origin: 'app://podtrail' } as never)).toBe(false);
    const granted = await new Promise<unknown>((resolve) => s().displayMediaRequestHandler!({} as never, resolve as never));
    expect(granted).toEqual({});
  });

  it('cancels every request that is not to a local scheme', async () => {
    const { filter, listener } = s().beforeRequest!;
    expect(filter.urls).toEqual(['<all_urls>']);
    const decide = (url: string) => new Promise<{ cancel: boolean }>((resolve) => listener({ url } as never, resolve as never));
    for (const url of ['http://127.0.0.1:9/beacon', 'https://attacker.example/x.png', 'ws://x/', 'file:///etc/passwd']) expect(await decide(url), url).toEqual({ cancel: true });
    for (const url of ['app://podtrail/assets/x.js', 'data:image/png;base64,AA==']) expect(await decide(url), url).toEqual({ cancel: false });
  });
});

describe('the app:// protocol', () => {
  const get = (url: string, method = 'GET') => fake.defaultSession.protocolHandlers.get('app')!(new Request(url, { method }));

  it('serves the built renderer with the CSP header, and the page carries the same policy in its meta tag', async () => {
    const res = await get('app://podtrail/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toContain(`content="${metaContentSecurityPolicy()}"`);
  });

  it.each([
    ['another host', 'app://report/x', 404],
    ['a path outside the build', 'app://podtrail/..%2f..%2fpackage.json', 400],
    ['an encoded backslash', 'app://podtrail/assets%5c..%5c..%5cpackage.json', 400],
    ['a dot file', 'app://podtrail/.env', 404],
    ['a missing file', 'app://podtrail/nope.js', 404],
  ])('refuses %s', async (_what, url, status) => {
    const res = await get(url);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await res.text()).not.toContain('"name": "podtrail"');
  });

  it('answers only GET and HEAD', async () => {
    expect((await get('app://podtrail/', 'POST')).status).toBe(405);
    expect((await get('app://podtrail/', 'HEAD')).status).toBe(200);
  });
});

describe('IPC', () => {
  it('registers the channels the preload uses, and no others', () => {
    expect([...fake.ipcMain.handlers.keys()].sort()).toEqual(['podtrail:call', 'podtrail:print-pdf']);
    expect([...fake.ipcMain.listeners.keys()]).toEqual(['podtrail:drop']);
  });

  it('forwards a call from our window to the engine', async () => {
    const before = engineCalls.length;
    const r = await fake.ipcMain.handlers.get('podtrail:call')!(ipcEvent() as never, 'case.summary' as never, {} as never);
    expect(r).toEqual({ ok: true, value: { events: 1 } });
    expect(engineCalls.slice(before)).toEqual([{ name: 'case.summary', input: {} }]);
  });

  it('refuses a method outside the API table, even from our window', async () => {
    const before = engineCalls.length;
    const r = await fake.ipcMain.handlers.get('podtrail:call')!(ipcEvent() as never, 'constructor' as never, {} as never);
    expect(r).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    expect(engineCalls.length).toBe(before);
  });

  const untrusted: [string, () => ReturnType<typeof ipcEvent>][] = [
    ['an iframe of our page', () => ipcEvent({ top: false })],
    ['our window on another origin', () => ipcEvent({ url: 'https://attacker.example/' })],
    ['our window on a file:// page', () => ipcEvent({ url: 'file:///tmp/x.html' })],
    ['another frame id', () => ipcEvent({ routingId: 99 })],
    ['a frame that is gone', () => ipcEvent({ frame: null })],
    ['another webContents on app://podtrail', () => ipcEvent({ sender: new fake.FakeWebContents() })],
  ];

  it.each(untrusted)('every handler refuses %s, before doing anything', async (_what, event) => {
    const calls = engineCalls.length;
    const windows = fake.BrowserWindow.instances.length;
    const dialogs = fake.log.dialogs.length;
    const args: Record<string, unknown[]> = {
      'podtrail:call': ['case.summary', {}],
      'podtrail:print-pdf': ['<!doctype html><p>x</p>', 'r.pdf'],
      'podtrail:drop': [['/tmp/evidence.json']],
    };
    for (const [channel, handler] of [...fake.ipcMain.handlers, ...fake.ipcMain.listeners]) {
      expect(args[channel], `a test case for the new channel ${channel}`).toBeDefined();
      const r = await handler(event() as never, ...(args[channel] as never[]));
      if (fake.ipcMain.handlers.has(channel)) expect(r, channel).toMatchObject({ ok: false, error: { code: 'bad-input', message: expect.stringMatching(/refused: not from the PodTrail window/) } });
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(engineCalls.length, 'engine calls').toBe(calls);
    expect(fake.BrowserWindow.instances.length, 'windows opened').toBe(windows);
    expect(fake.log.dialogs.length, 'dialogs shown').toBe(dialogs);
  });

  it('ingests dropped files only from our window', async () => {
    const before = engineCalls.length;
    fake.ipcMain.listeners.get('podtrail:drop')!(ipcEvent() as never, ['/tmp/evidence.json'] as never);
    await vi.waitFor(() => expect(engineCalls.slice(before)).toEqual([{ name: 'ingest.start', input: { paths: ['/tmp/evidence.json'] } }]));
  });

  it('prints a report to PDF in a script-less, network-less window of its own', async () => {
    const before = fake.BrowserWindow.instances.length;
    const r = await fake.ipcMain.handlers.get('podtrail:print-pdf')!(ipcEvent() as never, '<!doctype html><p>report</p>' as never, 'r.pdf' as never);
    expect(r).toEqual({ ok: true, value: { path: null } }); // the fake save dialog is cancelled
    const pdfWin = fake.BrowserWindow.instances[before]!;
    expect(pdfWin.options.webPreferences).toMatchObject({ javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true });
    expect(pdfWin.options.webPreferences!.preload).toBeUndefined();
    expect(pdfWin.destroyed).toBe(true);
    const ses = fake.partitions.get('podtrail-pdf')!;
    expect(pdfWin.options.webPreferences!.session).toBe(ses);
    // Its session is hardened like the main one, and serves nothing once the report is printed.
    expect(await new Promise((resolve) => ses.permissionRequestHandler!(null as never, 'media' as never, resolve as never, {} as never))).toBe(false);
    expect(await new Promise((resolve) => ses.beforeRequest!.listener({ url: 'https://attacker.example/' } as never, resolve as never))).toEqual({ cancel: true });
    expect((await ses.protocolHandlers.get('app')!(new Request(String(pdfWin.loadedUrl)))).status).toBe(404);
  });
});

describe('the Help menu', () => {
  it('opens its documentation links through the allowlist', () => {
    const menu = fake.log.menus.at(-1) as { template: { label?: string; submenu?: { label?: string; click?: () => void }[] }[] };
    const help = menu.template.find((m) => m.label === 'Help')!;
    const before = fake.log.openExternal.length;
    for (const item of help.submenu!) item.click!();
    const opened = fake.log.openExternal.slice(before);
    expect(opened.length).toBe(help.submenu!.length);
    for (const url of opened) expect(url).toMatch(/^https:\/\/(docs\.aws\.amazon\.com|kubernetes\.io)\//);
  });
});

describe('shell.openExternal', () => {
  // Static inspection (wiring only): the one guarded call in shell/hardening.ts is the only call in the app.
  it('is called in one place only, behind the allowlist', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const n of readdirSync(dir)) {
        const p = join(dir, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.tsx?$/.test(n)) files.push(p);
      }
    };
    walk(join(REPO, 'electron'));
    walk(join(REPO, 'renderer', 'src'));
    const callers = files.filter((f) => /\bopenExternal\s*\(/.test(readFileSync(f, 'utf8'))).map((f) => relative(REPO, f));
    expect(callers).toEqual(['electron/shell/hardening.ts']);
    const src = readFileSync(join(REPO, 'electron', 'shell', 'hardening.ts'), 'utf8');
    expect(src).toMatch(/if \(!isAllowedExternalUrl\(url\)\) return false;\s*void shell\.openExternal\(url\);/);
  });
});
