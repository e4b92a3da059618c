/** `podtrail serve`: the command's checks and its lifecycle, in-process. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, EXIT } from '../../electron/cli/main';
import { serveCase, ServeUsageError } from '../../electron/server/serve';
import { buildWorld, type World } from './helpers';

let world: World;
beforeAll(async () => {
  world = await buildWorld(200);
});

afterAll(() => vi.restoreAllMocks());

describe('podtrail serve', () => {
  it('refuses a case that does not exist (exit 1)', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['node', 'podtrail', 'serve', '--case', join(mkdtempSync(join(tmpdir(), 'podtrail-none-')), 'missing.db')]);
    stderr.mockRestore();
    expect(code).toBe(EXIT.usage);
  });

  it('says to run `npm run build` when the renderer is not built', async () => {
    await expect(serveCase({ casePath: world.casePath, staticDir: join(world.dir, 'no-ui') })).rejects.toThrow(ServeUsageError);
    await expect(serveCase({ casePath: world.casePath, staticDir: join(world.dir, 'no-ui') })).rejects.toThrow(/npm run build/);
  });

  it('prints the tokened URL on stdout, serves, and shuts down cleanly when told to stop', async () => {
    const lines: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const running = serveCase({ casePath: world.casePath, staticDir: world.staticDir, until });
    await vi.waitFor(() => expect(lines.length).toBe(1), { timeout: 20_000 });
    stdout.mockRestore();
    const url = lines[0]!.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const { origin, searchParams } = new URL(url);
    const res = await fetch(`${origin}/api/case.summary`, { method: 'POST', headers: { Authorization: `Bearer ${searchParams.get('token')}` }, body: '{}' });
    expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
    stop();
    await running;
    stderr.mockRestore();
    await expect(fetch(`${origin}/`)).rejects.toThrow();
  });
});
