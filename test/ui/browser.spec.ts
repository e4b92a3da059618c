/** The UI specs in Debian's Chromium against `podtrail serve` (started by global-setup.ts). */
import { readFileSync } from 'node:fs';
import { expect, test as base } from '@playwright/test';
import { openBrowserApp, type UiApp } from './app';
import { uiSpecs } from './specs';
import { demoFacts } from './paths';
import type { IntegrityView } from '../../shared/api';

const test = base.extend<{ ui: UiApp }>({
  ui: async ({ page }, use) => {
    const app = await openBrowserApp(page);
    // The token left the address bar once read (it lives on in sessionStorage for reloads).
    if (new URL(page.url()).searchParams.has('token')) throw new Error('the access token stayed in the address bar');

    await use({
      kind: 'browser',
      page,
      call: app.call,
      async exportReport(format) {
        await page.getByTestId('export-report').click();
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${format}`).click()]);
        const path = await download.path();
        return { filename: download.suggestedFilename(), text: readFileSync(path, 'utf8') };
      },
    });

    await app.done();
  },
});

uiSpecs(test);

/** The Integrity panel on the demo case, whose bundle holds digests signed with demo keys and their key lists. */
test.describe('integrity panel', () => {
  const demo = demoFacts() as ReturnType<typeof demoFacts> & { integrity: { headline: string } };

  test('verifies the demo case: authenticated, per digest and per file, and shows what is not proven', async ({ ui }) => {
    const { page } = ui;
    await page.getByTestId('integrity-toggle').click();
    const panel = page.getByTestId('integrity-panel');
    await expect(panel).toBeVisible();
    await page.getByTestId('integrity-verify').click();
    await expect(page.getByTestId('integrity-headline')).toHaveText(demo.integrity.headline);
    await expect(page.getByTestId('integrity-proves')).toContainText('authenticated: signed by CloudTrail');
    await expect(page.getByTestId('integrity-not-proven')).toContainText('not CloudTrail S3 deliveries');
    await expect(panel.getByTestId('integrity-failure')).toHaveCount(0);

    const stored = await ui.call<IntegrityView>('integrity.get', {});
    await panel.getByText(/^Digests \(/).click();
    await expect(panel.getByTestId('integrity-digest')).toHaveCount(stored.result.counts.digests);
    await expect(panel.locator('[data-testid="integrity-digest"][data-status="authenticated"]')).toHaveCount(stored.result.counts.digests);
    await panel.getByText(/^Files \(/).click();
    await expect(panel.locator('[data-testid="integrity-file"][data-status="authenticated"]')).toHaveCount(stored.result.counts.logsAuthenticated + stored.result.counts.digestsAuthenticated);
    expect(stored.result.counts.logsAuthenticated).toBeGreaterThan(100);
    await page.screenshot({ path: 'test-results/ui/integrity-panel.png' });
  });

  test('a key list path is shown as text, never as markup, when it cannot be read', async ({ ui }) => {
    const { page } = ui;
    await page.getByTestId('integrity-toggle').click();
    const hostile = '/nonexistent/<img src=x onerror="window.__pwned=3">.json';
    await page.getByTestId('integrity-keys').fill(`us-east-1=${hostile}`);
    await page.getByTestId('integrity-verify').click();
    const panel = page.getByTestId('integrity-panel');
    await expect(panel.locator('.err').first()).toContainText(`cannot read public keys ${hostile}`);
    await expect(panel.locator('img')).toHaveCount(0);
    // A key list without its region is refused before anything runs.
    await page.getByTestId('integrity-keys').fill('/keys/list-public-keys.json');
    await expect(page.getByTestId('integrity-verify')).toBeDisabled();
    await expect(panel).toContainText('write <region>=<path>');
  });
});
