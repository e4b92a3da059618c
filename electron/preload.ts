/**
 * The preload of the PodTrail window: exposes `window.podtrail` (shell/bridge.ts) and nothing else — no
 * ipcRenderer, no Node. It runs sandboxed, where `require` knows only 'electron' and a few built-ins and
 * there may be no `exports`: so this file is a plain script (no import/export statements; types come in as
 * `import()` types and vanish in the build), and the API table's names arrive from the main process on the
 * command line (`--podtrail-api-names=`, see main.ts) instead of being imported.
 */
{
  type ApiName = import('../shared/api').ApiName;
  type ApiResult<T> = import('../shared/api').ApiResult<T>;
  type PushEvents = import('../shared/api').PushEvents;
  type PushName = import('../shared/api').PushName;
  type Bridge = import('./shell/bridge').PodtrailBridge;
  type Channels = import('./shell/bridge').Channels;
  type ShellCommand = import('./shell/bridge').ShellCommand;
  type ApiNamesSwitch = import('./shell/bridge').ApiNamesSwitch;

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload is a script: require is its only import
  const { contextBridge, ipcRenderer, webUtils } = require('electron') as typeof import('electron');

  const CH: Channels = {
    call: 'podtrail:call',
    push: 'podtrail:push',
    command: 'podtrail:command',
    printPdf: 'podtrail:print-pdf',
    drop: 'podtrail:drop',
  };
  const NAMES_SWITCH: ApiNamesSwitch = '--podtrail-api-names=';

  const apiNames = new Set<string>(
    (process.argv.find((a) => a.startsWith(NAMES_SWITCH))?.slice(NAMES_SWITCH.length) ?? '').split(',').filter(Boolean),
  );

  /** The API table's names as main passed them; anything else never reaches IPC. */
  const isApiName = (name: unknown): name is ApiName => typeof name === 'string' && apiNames.has(name);

  const refuse = (name: unknown): ApiResult<never> => ({
    ok: false,
    error: { code: 'unknown-method', message: `unknown method ${String(name).slice(0, 100)}` },
  });

  /** The few DOM pieces the drop handler needs (the repo's tsconfig is Node's, without the DOM library). */
  interface DropEvent {
    preventDefault(): void;
    dataTransfer: { types: readonly string[]; files: ArrayLike<File> } | null;
  }
  const page = globalThis as unknown as {
    addEventListener(type: 'dragover' | 'drop', listener: (e: DropEvent) => void, capture: boolean): void;
  };

  const bridge: Bridge = {
    call(name, input) {
      if (!isApiName(name)) return Promise.resolve(refuse(name));
      return ipcRenderer.invoke(CH.call, name, input);
    },
    onPush(listener) {
      // Never hand the page the IpcRendererEvent: its `sender` is the ipcRenderer itself.
      const wrapped = (_event: unknown, name: PushName, payload: PushEvents[PushName]) => listener(name, payload);
      ipcRenderer.on(CH.push, wrapped);
      return () => void ipcRenderer.removeListener(CH.push, wrapped);
    },
    onCommand(listener) {
      const wrapped = (_event: unknown, command: ShellCommand) => listener(command);
      ipcRenderer.on(CH.command, wrapped);
      return () => void ipcRenderer.removeListener(CH.command, wrapped);
    },
    printToPdf(html, suggestedName) {
      if (typeof html !== 'string') return Promise.resolve({ ok: false, error: { code: 'bad-input', message: 'printToPdf: html must be a string' } });
      return ipcRenderer.invoke(CH.printPdf, html, typeof suggestedName === 'string' ? suggestedName : undefined);
    },
    pathsForFiles(files) {
      return Array.from(files, (f) => webUtils.getPathForFile(f)).filter((p) => p.length > 0);
    },
  };

  contextBridge.exposeInMainWorld('podtrail', bridge);

  // Evidence dropped anywhere on the window is ingested into the open case (the page hears `ingest-started`).
  // Files only: a dropped link or text is ignored, and the page never navigates (navigateOnDragDrop is off).
  const hasFiles = (e: DropEvent) => !!e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files');
  page.addEventListener(
    'dragover',
    (e) => {
      if (hasFiles(e)) e.preventDefault();
    },
    true,
  );
  page.addEventListener(
    'drop',
    (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      const paths = bridge.pathsForFiles(Array.from(e.dataTransfer!.files));
      if (paths.length) ipcRenderer.send(CH.drop, paths);
    },
    true,
  );
}
