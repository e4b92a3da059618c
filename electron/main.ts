/**
 * PodTrail desktop: the Electron main process. Thin on purpose — it owns one window, the menus and dialogs, and
 * an EngineHost (the engine in a worker thread: SQLite and ingest never run on this thread). The renderer is
 * served from `app://podtrail/` (shell/app-protocol.ts) and reaches the engine only through the preload's
 * `window.podtrail`, whose calls are the API table's (shell/ipc.ts).
 *
 *   electron . [--case <case.db>]     (npm start does this when the Electron binary is installed)
 */
import { app, BrowserWindow, dialog, Menu, session, type OpenDialogOptions } from 'electron';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { API, type PushEvents, type PushName } from '../shared/api';
import { EngineHost } from './engine/service/host';
import { registerAppScheme, serveRenderer } from './shell/app-protocol';
import type { ShellCommand } from './shell/bridge';
import { API_NAMES_SWITCH, CHANNELS } from './shell/channels';
import { hardenAllWebContents, hardenSession, openExternalSafely } from './shell/hardening';
import { registerIpc } from './shell/ipc';
import { buildMenu } from './shell/menu';
import { APP_ORIGIN, caseFromArgv } from './shell/policy';
import { RecentCases } from './shell/recent';

// Before `ready`: the privileged scheme, and the OS sandbox for every renderer.
registerAppScheme();
app.enableSandbox();

// For the end-to-end tests (test/ui): a throwaway profile, and a folder that downloads land in without a dialog.
if (process.env.PODTRAIL_USER_DATA) app.setPath('userData', resolve(process.env.PODTRAIL_USER_DATA));
const downloadDir = process.env.PODTRAIL_DOWNLOAD_DIR ? resolve(process.env.PODTRAIL_DOWNLOAD_DIR) : null;

let window: BrowserWindow | null = null;
let engine: EngineHost | null = null;
let stopPush: (() => void) | null = null;
let casePath = '';
let recent: RecentCases;

function send(channel: string, ...args: unknown[]): void {
  if (window && !window.isDestroyed()) window.webContents.send(channel, ...args);
}

function command(c: ShellCommand): void {
  send(CHANNELS.command, c);
}

function currentEngine(): EngineHost {
  if (!engine) throw new Error('no case is open');
  return engine;
}

function refreshMenu(): void {
  Menu.setApplicationMenu(
    buildMenu(
      {
        openEvidenceFiles: () => void chooseEvidence(['openFile', 'multiSelections']),
        openEvidenceFolder: () => void chooseEvidence(['openDirectory', 'multiSelections']),
        openCase: () => void chooseCase(),
        newCase: () => void chooseNewCase(),
        openRecent: (p) => void switchCase(p),
        clearRecent: () => {
          recent.clear();
          refreshMenu();
        },
        exportReport: () => command({ kind: 'export-report' }),
        openDocs: (url) => void openExternalSafely(url),
      },
      recent.existing(),
      !app.isPackaged,
    ),
  );
}

/** Start an engine on `path` and make it the open case; the old engine stops once the new one answers. */
async function switchCase(path: string): Promise<boolean> {
  const next = EngineHost.start(resolve(path));
  const probe = await next.call('case.summary', {});
  if (!probe.ok) {
    await next.close();
    if (window) await dialog.showMessageBox(window, { type: 'error', message: `Cannot open ${path}`, detail: probe.error.message });
    return false;
  }
  const previous = engine;
  stopPush?.();
  engine = next;
  casePath = resolve(path);
  stopPush = next.onPush((name: PushName, payload: PushEvents[PushName]) => send(CHANNELS.push, name, payload));
  recent.add(casePath);
  refreshMenu();
  if (window && !window.isDestroyed()) {
    window.setTitle(`PodTrail — ${basename(casePath)}`);
    window.webContents.reload();
  }
  await previous?.close();
  return true;
}

async function ingest(paths: string[]): Promise<void> {
  const r = await currentEngine().call('ingest.start', { paths });
  if (r.ok) command({ kind: 'ingest-started', jobId: (r.value as { jobId: number }).jobId, paths });
  else command({ kind: 'ingest-failed', message: r.error.message });
}

async function chooseEvidence(properties: OpenDialogOptions['properties']): Promise<void> {
  if (!window) return;
  const mac = process.platform === 'darwin';
  const r = await dialog.showOpenDialog(window, {
    title: 'Open evidence (read only)',
    buttonLabel: 'Ingest',
    properties: mac ? ['openFile', 'openDirectory', 'multiSelections'] : properties,
  });
  if (!r.canceled && r.filePaths.length) await ingest(r.filePaths);
}

async function chooseCase(): Promise<void> {
  if (!window) return;
  const r = await dialog.showOpenDialog(window, {
    title: 'Open case',
    properties: ['openFile'],
    filters: [{ name: 'PodTrail case', extensions: ['db'] }, { name: 'All files', extensions: ['*'] }],
  });
  if (!r.canceled && r.filePaths[0]) await switchCase(r.filePaths[0]);
}

async function chooseNewCase(): Promise<void> {
  if (!window) return;
  const r = await dialog.showSaveDialog(window, { title: 'New case', defaultPath: 'case.db', filters: [{ name: 'PodTrail case', extensions: ['db'] }] });
  if (!r.canceled && r.filePath) await switchCase(r.filePath);
}

function defaultCase(): string {
  const dir = join(app.getPath('userData'), 'cases');
  mkdirSync(dir, { recursive: true });
  return join(dir, 'default.db');
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: `PodTrail — ${basename(casePath)}`,
    show: false,
    webPreferences: {
      preload: join(__dirname, 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // A middle click on a link would otherwise ask for a new window (denied anyway by setWindowOpenHandler).
      disableBlinkFeatures: 'Auxclick',
      safeDialogs: true,
      spellcheck: false,
      devTools: !app.isPackaged,
      // The preload cannot import the API table (it may require only 'electron'): main hands it the names.
      additionalArguments: [`${API_NAMES_SWITCH}${Object.keys(API).join(',')}`],
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (window === win) window = null;
  });
  void win.loadURL(`${APP_ORIGIN}/`);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });

  app.whenReady().then(async () => {
    recent = new RecentCases(join(app.getPath('userData'), 'recent.json'));
    hardenSession(session.defaultSession);
    hardenAllWebContents();
    if (downloadDir) session.defaultSession.on('will-download', (_e, item) => item.setSavePath(join(downloadDir, basename(item.getFilename()))));
    serveRenderer(session.defaultSession, join(app.getAppPath(), 'renderer', 'dist'));
    registerIpc({ window: () => window, engine: currentEngine, ingest });

    const requested = caseFromArgv(process.argv);
    const first = requested ? resolve(requested) : (recent.existing()[0] ?? defaultCase());
    if (!(await switchCase(first)) && !(await switchCase(defaultCase()))) {
      dialog.showErrorBox('PodTrail', `Cannot open a case (${first}).`);
      app.quit();
      return;
    }
    window = createWindow();
  });

  app.on('window-all-closed', () => app.quit());

  let closing = false;
  app.on('before-quit', (event) => {
    if (closing || !engine) return;
    // Let the engine close the case (WAL checkpoint) before the process ends.
    event.preventDefault();
    closing = true;
    stopPush?.();
    void engine.close().finally(() => app.quit());
  });
}
