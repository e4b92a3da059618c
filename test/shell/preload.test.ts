/**
 * The preload, run as Electron runs a sandboxed preload: the compiled script in a fresh context whose `require`
 * knows only a (fake) 'electron'. Checks what the page gets (checklist item 20): one object, `window.podtrail`,
 * whose calls reach IPC only for API-table names, and whose listeners never see the IpcRendererEvent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { API } from '../../shared/api';
import { REPO } from '../helpers/reference';

function loadPreload() {
  const js = ts.transpileModule(readFileSync(join(REPO, 'electron', 'preload.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const exposed = new Map<string, unknown>();
  const invoked: unknown[][] = [];
  const sent: unknown[][] = [];
  const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
  const pageListeners = new Map<string, (e: unknown) => void>();
  const ipcRenderer = {
    invoke: async (...args: unknown[]) => {
      invoked.push(args);
      return { ok: true, value: null };
    },
    send: (...args: unknown[]) => void sent.push(args),
    on: (ch: string, l: (...a: unknown[]) => void) => void listeners.set(ch, [...(listeners.get(ch) ?? []), l]),
    removeListener: (ch: string, l: (...a: unknown[]) => void) => void listeners.set(ch, (listeners.get(ch) ?? []).filter((x) => x !== l)),
  };
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, value: unknown) => void exposed.set(name, value) },
    ipcRenderer,
    webUtils: { getPathForFile: (f: { path?: string }) => f.path ?? '' },
  };
  const required: string[] = [];
  const sandbox = {
    require: (m: string) => {
      required.push(m);
      if (m !== 'electron') throw new Error(`a sandboxed preload cannot require ${m}`);
      return electron;
    },
    process: { argv: ['electron', `--podtrail-api-names=${Object.keys(API).join(',')}`] },
    addEventListener: (type: string, l: (e: unknown) => void) => void pageListeners.set(type, l),
  };
  (sandbox as Record<string, unknown>).globalThis = sandbox;
  runInNewContext(js, sandbox);
  return { exposed, invoked, sent, listeners, pageListeners, required };
}

describe('the preload, run', () => {
  it('requires only electron and exposes exactly one object, window.podtrail', () => {
    const p = loadPreload();
    expect(p.required).toEqual(['electron']);
    expect([...p.exposed.keys()]).toEqual(['podtrail']);
    const bridge = p.exposed.get('podtrail') as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['call', 'onCommand', 'onPush', 'pathsForFiles', 'printToPdf']);
    for (const v of Object.values(bridge)) expect(typeof v).toBe('function');
  });

  it('sends only API-table calls over IPC', async () => {
    const p = loadPreload();
    const bridge = p.exposed.get('podtrail') as { call(name: unknown, input: unknown): Promise<unknown> };
    for (const bad of ['constructor', '__proto__', 'toString', 'case.summary,events.query', '', 42, null]) {
      expect(await bridge.call(bad, {}), String(bad)).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
    }
    expect(p.invoked).toEqual([]);
    await bridge.call('case.summary', {});
    expect(p.invoked).toEqual([['podtrail:call', 'case.summary', {}]]);
  });

  it('never hands the page the IpcRendererEvent (whose sender is ipcRenderer itself)', () => {
    const p = loadPreload();
    const bridge = p.exposed.get('podtrail') as { onPush(l: (...a: unknown[]) => void): () => void; onCommand(l: (...a: unknown[]) => void): () => void };
    const got: unknown[][] = [];
    const offPush = bridge.onPush((...a) => got.push(a));
    const offCommand = bridge.onCommand((...a) => got.push(a));
    const event = { sender: 'the ipcRenderer', senderFrame: {} };
    for (const l of p.listeners.get('podtrail:push')!) l(event, 'ingest.done', { jobId: 1 });
    for (const l of p.listeners.get('podtrail:command')!) l(event, { kind: 'export-report' });
    expect(got).toEqual([['ingest.done', { jobId: 1 }], [{ kind: 'export-report' }]]);
    offPush();
    offCommand();
    expect(p.listeners.get('podtrail:push')).toEqual([]);
    expect(p.listeners.get('podtrail:command')).toEqual([]);
  });

  it('refuses a non-string report for PDF printing', async () => {
    const p = loadPreload();
    const bridge = p.exposed.get('podtrail') as { printToPdf(html: unknown, name?: unknown): Promise<unknown> };
    expect(await bridge.printToPdf({ toString: () => '<p>' })).toMatchObject({ ok: false });
    expect(p.invoked).toEqual([]);
  });

  it('ingests dropped files, and ignores dropped links and text', () => {
    const p = loadPreload();
    const drop = p.pageListeners.get('drop')!;
    let prevented = 0;
    drop({ preventDefault: () => prevented++, dataTransfer: { types: ['text/uri-list'], files: [] } });
    expect(p.sent).toEqual([]);
    drop({ preventDefault: () => prevented++, dataTransfer: { types: ['Files'], files: [{ path: '/evidence/a.json.gz' }] } });
    expect(p.sent).toEqual([['podtrail:drop', ['/evidence/a.json.gz']]]);
    expect(prevented).toBe(1);
  });
});
