/** The UI specs in Debian's Chromium against `podtrail serve` (started by global-setup.ts). */
import { readFileSync } from 'node:fs';
import { test as base } from '@playwright/test';
import { checkGuards, guard, waitForCase, type UiApp } from './app';
import { uiSpecs } from './specs';

const test = base.extend<{ ui: UiApp }>({
  ui: async ({ page }, use) => {
    const url = process.env.PODTRAIL_UI_URL;
    if (!url) throw new Error('PODTRAIL_UI_URL is not set: run through `npx playwright test` (global-setup.ts starts the server)');
    const { origin, searchParams } = new URL(url);
    const token = searchParams.get('token')!;
    const guards = guard(page);
    await page.goto(url);
    await waitForCase(page);
    // The token left the address bar once read (it lives on in sessionStorage for reloads).
    if (new URL(page.url()).searchParams.has('token')) throw new Error('the access token stayed in the address bar');

    await use({
      kind: 'browser',
      page,
      async call<T>(name: string, input: unknown): Promise<T> {
        const res = await page.request.post(`${origin}/api/${name}`, { headers: { Authorization: `Bearer ${token}` }, data: input });
        const body = (await res.json()) as { ok: boolean; value?: T; error?: { message: string } };
        if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
        return body.value as T;
      },
      async exportReport(format) {
        await page.getByTestId('export-report').click();
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${format}`).click()]);
        const path = await download.path();
        return { filename: download.suggestedFilename(), text: readFileSync(path, 'utf8') };
      },
    });

    await checkGuards(page, guards, [`${origin}/`, `blob:${origin}/`, 'data:']);
  },
});

uiSpecs(test);
