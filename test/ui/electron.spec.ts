/**
 * The UI specs in the Electron app (electron/main.ts) on a copy of the demo case. Where the Electron binary is
 * not installed (CI and this repository's build machine: ELECTRON_SKIP_BINARY_DOWNLOAD), every test is reported
 * as skipped with the reason.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test as base } from '@playwright/test';
import { checkGuards, guard, waitForCase, type UiApp } from './app';
import { REPO } from './paths';
import { uiSpecs } from './specs';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS helper shared with scripts/start.mjs
const { electronBinary } = require('../../scripts/electron-binary.cjs') as { electronBinary(root: string): { path: string | null; reason?: string } };
const binary = electronBinary(REPO);

const test = base.extend<{ ui: UiApp }>({
  ui: async ({}, use) => {
    test.skip(!binary.path, `Electron binary not installed on this machine: ${binary.reason}`);
    const casePath = process.env.PODTRAIL_UI_CASE;
    if (!casePath || !existsSync(casePath)) throw new Error('PODTRAIL_UI_CASE is not set: run through `npx playwright test`');
    const dir = mkdtempSync(join(tmpdir(), 'podtrail-electron-'));
    const downloads = join(dir, 'downloads');
    const app = await electron.launch({
      executablePath: binary.path!,
      args: [REPO, '--case', casePath],
      env: { ...process.env, PODTRAIL_USER_DATA: join(dir, 'profile'), PODTRAIL_DOWNLOAD_DIR: downloads } as Record<string, string>,
    });
    try {
      const page = await app.firstWindow();
      const guards = guard(page);
      await waitForCase(page);
      // The renderer has the bridge and nothing of Node.
      expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => Object.keys((window as unknown as { podtrail: object }).podtrail).sort())).toEqual(['call', 'onCommand', 'onPush', 'pathsForFiles', 'printToPdf']);

      await use({
        kind: 'electron',
        page,
        async call<T>(name: string, input: unknown): Promise<T> {
          const r = await page.evaluate(
            ([n, i]) => (window as unknown as { podtrail: { call(n: string, i: unknown): Promise<{ ok: boolean; value?: unknown; error?: { message: string } }> } }).podtrail.call(n as string, i),
            [name, input] as const,
          );
          if (!r.ok) throw new Error(`${name}: ${r.error?.message}`);
          return r.value as T;
        },
        async exportReport(format) {
          rmSync(downloads, { recursive: true, force: true });
          await page.getByTestId('export-report').click();
          await page.getByTestId(`export-${format}`).click();
          const done = () => (existsSync(downloads) ? readdirSync(downloads).filter((f) => !f.endsWith('.crdownload')) : []);
          await expect.poll(done).toHaveLength(1);
          const filename = done()[0]!;
          return { filename, text: readFileSync(join(downloads, filename), 'utf8') };
        },
      });

      await checkGuards(page, guards, ['app://podtrail/', 'blob:app://podtrail/', 'data:', 'devtools:']);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

uiSpecs(test);
