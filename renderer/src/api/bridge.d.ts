/**
 * What the Electron preload exposes on `window.podtrail` (electron/preload.ts, contract in
 * electron/shell/bridge.ts), as far as the renderer uses it. `call` and `onPush` carry the API table
 * (shared/api.ts); the rest are shell conveniences that browser mode does without, so they are optional here.
 */
import type { ApiResult, PushName } from '../../../shared/api';

/** What the desktop shell tells the page (menu items, evidence chosen in a dialog or dropped on the window). */
export type ShellCommand =
  | { kind: 'export-report' }
  | { kind: 'ingest-started'; jobId: number; paths: string[] }
  | { kind: 'ingest-failed'; message: string };

export interface PodtrailBridge {
  call(name: string, input: unknown): Promise<ApiResult<unknown>>;
  /** Every push event of the engine; returns the unsubscribe function. */
  onPush(listener: (name: PushName, payload: unknown) => void): () => void;
  onCommand?(listener: (command: ShellCommand) => void): () => void;
  /** Render report HTML to PDF (webContents.printToPDF) and ask where to save it; path null when cancelled. */
  printToPdf?(html: string, suggestedName?: string): Promise<ApiResult<{ path: string | null }>>;
}

declare global {
  interface Window {
    podtrail?: PodtrailBridge;
  }
}
