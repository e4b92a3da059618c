/**
 * A stand-in for the `electron` module, for driving the shell's wiring (main.ts, shell/*.ts) under plain Node where
 * the Electron binary cannot run. It records what the code asks of Electron — handlers, window options, URLs —
 * and lets a test fire the events Electron would (a navigation, an IPC message, a permission request). It decides
 * nothing itself: every answer a test checks comes from the code under test.
 */
import { EventEmitter } from 'node:events';

export class FakeEvent {
  defaultPrevented = false;
  constructor(extra: Record<string, unknown> = {}) {
    Object.assign(this, extra);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

type Handler = (...args: never[]) => unknown;

let nextId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame = { processId: 100 + this.id, routingId: 1, url: '', parent: null };
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly sent: unknown[][] = [];
  setWindowOpenHandler(h: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
  send(...args: unknown[]): void {
    this.sent.push(args);
  }
  reload(): void {}
  async printToPDF(): Promise<Buffer> {
    return Buffer.from('%PDF-1.7 fake');
  }
}

export class FakeSession {
  permissionRequestHandler: Handler | null = null;
  permissionCheckHandler: Handler | null = null;
  devicePermissionHandler: Handler | null = null;
  displayMediaRequestHandler: Handler | null = null;
  beforeRequest: { filter: { urls: string[] }; listener: Handler } | null = null;
  readonly protocolHandlers = new Map<string, (request: Request) => Response | Promise<Response>>();
  readonly listeners = new Map<string, Handler>();
  constructor(readonly partition: string) {}
  readonly webRequest = {
    onBeforeRequest: (filter: { urls: string[] }, listener: Handler) => {
      this.beforeRequest = { filter, listener };
    },
  };
  readonly protocol = {
    handle: (scheme: string, handler: (request: Request) => Response | Promise<Response>) => {
      this.protocolHandlers.set(scheme, handler);
    },
  };
  setPermissionRequestHandler(h: Handler): void {
    this.permissionRequestHandler = h;
  }
  setPermissionCheckHandler(h: Handler): void {
    this.permissionCheckHandler = h;
  }
  setDevicePermissionHandler(h: Handler): void {
    this.devicePermissionHandler = h;
  }
  setDisplayMediaRequestHandler(h: Handler): void {
    this.displayMediaRequestHandler = h;
  }
  on(event: string, h: Handler): this {
    this.listeners.set(event, h);
    return this;
  }
}

/** Everything the fake saw, in order where order matters. */
export const log = {
  /** Calls in order: what ran before the app was ready, and when the first window appeared. */
  order: [] as string[],
  schemes: [] as { scheme: string; privileges: Record<string, boolean> }[],
  openExternal: [] as string[],
  menus: [] as unknown[],
  dialogs: [] as string[],
};

let resolveReady!: () => void;
const ready = new Promise<void>((r) => (resolveReady = r));

export const app = Object.assign(new EventEmitter(), {
  isPackaged: true,
  userData: '',
  appPath: '',
  enableSandbox: () => void log.order.push('app.enableSandbox'),
  whenReady: () => ready,
  requestSingleInstanceLock: () => true,
  getPath: (name: string) => (name === 'userData' ? app.userData : `/nonexistent/${name}`),
  setPath: () => {},
  getAppPath: () => app.appPath,
  quit: () => void log.order.push('app.quit'),
});

/** Fire `ready` (the test decides when, to see what main.ts did before it). */
export function makeReady(): void {
  log.order.push('ready');
  resolveReady();
}

export class BrowserWindow extends EventEmitter {
  static readonly instances: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  destroyed = false;
  title = '';
  constructor(readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>) {
    super();
    log.order.push('new BrowserWindow');
    BrowserWindow.instances.push(this);
    app.emit('web-contents-created', new FakeEvent(), this.webContents);
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  setTitle(t: string): void {
    this.title = t;
  }
  show(): void {}
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
}

export const defaultSession = new FakeSession('default');
export const partitions = new Map<string, FakeSession>();

export const session = {
  defaultSession,
  fromPartition(name: string): FakeSession {
    if (!partitions.has(name)) partitions.set(name, new FakeSession(name));
    return partitions.get(name)!;
  },
};

export const protocol = {
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void {
    log.order.push('protocol.registerSchemesAsPrivileged');
    log.schemes.push(...schemes);
  },
};

export const ipcMain = {
  handlers: new Map<string, Handler>(),
  listeners: new Map<string, Handler>(),
  handle(channel: string, h: Handler): void {
    this.handlers.set(channel, h);
  },
  on(channel: string, h: Handler): void {
    this.listeners.set(channel, h);
  },
};

export const shell = {
  async openExternal(url: string): Promise<void> {
    log.openExternal.push(url);
  },
};

export const dialog = {
  async showMessageBox(): Promise<{ response: number }> {
    log.dialogs.push('messageBox');
    return { response: 0 };
  },
  async showOpenDialog(): Promise<{ canceled: boolean; filePaths: string[] }> {
    log.dialogs.push('open');
    return { canceled: true, filePaths: [] };
  },
  async showSaveDialog(): Promise<{ canceled: boolean; filePath?: string }> {
    log.dialogs.push('save');
    return { canceled: true };
  },
  showErrorBox(): void {
    log.dialogs.push('errorBox');
  },
};

export const Menu = {
  buildFromTemplate(template: unknown[]): { template: unknown[] } {
    return { template };
  },
  setApplicationMenu(menu: unknown): void {
    log.menus.push(menu);
  },
};
