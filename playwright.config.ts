/**
 * End-to-end tests of the desktop UI (test/ui): the built renderer against the real engine on the demo case.
 *
 * - `browser`: Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) on `podtrail serve`, started by
 *   test/ui/global-setup.ts on a freshly built copy of the demo case. Never `npx playwright install`.
 * - `electron`: the same specs in the Electron app when its binary is installed; reported as skipped otherwise.
 *
 * Needs `npm run build` first (dist/ and renderer/dist/).
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/ui',
  outputDir: 'test-results/ui',
  globalSetup: './test/ui/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    acceptDownloads: true,
  },
  projects: [
    {
      name: 'browser',
      testMatch: ['browser.spec.ts', 'hostile.spec.ts', 'ruled-out.spec.ts', 'triage.spec.ts', 'table.spec.ts', 'workflow.spec.ts', 'search.spec.ts', 'note-filters.spec.ts', 'people.spec.ts', 'chain-graph.spec.ts', 'timeline.spec.ts'],
      use: {
        browserName: 'chromium',
        viewport: { width: 1440, height: 900 },
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        },
      },
    },
    {
      name: 'electron',
      testMatch: 'electron.spec.ts',
    },
  ],
});
