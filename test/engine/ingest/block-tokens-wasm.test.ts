/**
 * The WebAssembly the engine runs is what its AssemblyScript source compiles to: the module is committed as base64
 * (electron/engine/ingest/block-tokens-wasm.ts, written by `npm run build:wasm`), so a change to the source that
 * was not compiled, or a module edited by hand, fails here. (What the module computes is tested against the
 * JavaScript it replaced: block-filter.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { carrier, compile, MODULES } from '../../../scripts/build-wasm.mjs';

const root = join(__dirname, '../../..');

describe('the committed WebAssembly modules', () => {
  it.each(MODULES.map((m: { source: string; target: string; name: string }) => [m.target, m]))('%s is what its source compiles to', async (_target, m) => {
    const bytes = await compile(m.source, m.options);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('\0asm');
    expect(readFileSync(join(root, m.target), 'utf8')).toBe(carrier(m.source, m.name, bytes));
  }, 60_000);
});
