/**
 * The contract between the Electron preload and the renderer: what `window.podtrail` offers, and the IPC
 * channel names behind it. Types only, no runtime code — the sandboxed preload can `require` nothing but
 * `electron`, so it imports this file with `import type` and spells the channels as checked literals.
 */
import type { ApiInput, ApiName, ApiOutput, ApiResult, PushEvents, PushName } from '../../shared/api';

/** IPC channels: renderer → main (invoke/send) and main → renderer (push). */
export interface Channels {
  /** invoke(name, input) → ApiResult: one call of the API table. */
  call: 'podtrail:call';
  /** main → renderer: (name, payload), an engine push event. */
  push: 'podtrail:push';
  /** main → renderer: a ShellCommand (menu items, drops). */
  command: 'podtrail:command';
  /** invoke(html, suggestedName) → ApiResult<{ path: string | null }>: render a report to PDF and save it. */
  printPdf: 'podtrail:print-pdf';
  /** send(paths): files or folders dropped on the window, to ingest into the open case. */
  drop: 'podtrail:drop';
}

/** The argument by which main hands the preload the API table's names (see preload.ts). */
export type ApiNamesSwitch = '--podtrail-api-names=';

/** What the desktop shell tells the page. */
export type ShellCommand =
  /** The user chose File → Export report…: export the selected event's report (the page knows which). */
  | { kind: 'export-report' }
  /** Evidence chosen in a dialog or dropped on the window is being ingested; progress arrives as push events. */
  | { kind: 'ingest-started'; jobId: number; paths: string[] }
  /** Ingest could not start (the engine's answer). */
  | { kind: 'ingest-failed'; message: string };

export type PushListener = <P extends PushName>(name: P, payload: PushEvents[P]) => void;

/** `window.podtrail` in the Electron renderer. The browser-mode client offers the same calls over HTTP. */
export interface PodtrailBridge {
  call<N extends ApiName>(name: N, input: ApiInput<N>): Promise<ApiResult<ApiOutput<N>>>;
  /** Engine push events; returns the unsubscribe function. */
  onPush(listener: (name: PushName, payload: PushEvents[PushName]) => void): () => void;
  /** Menu commands and drop notifications; returns the unsubscribe function. */
  onCommand(listener: (command: ShellCommand) => void): () => void;
  /** Render report HTML to PDF in an offline, script-less window and ask where to save it. */
  printToPdf(html: string, suggestedName?: string): Promise<ApiResult<{ path: string | null }>>;
  /** The filesystem paths of dropped File objects (for a page that handles its own drop zone). */
  pathsForFiles(files: readonly File[]): string[];
}
