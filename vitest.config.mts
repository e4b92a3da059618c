import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Tests build their worlds in temp dirs; ingest tests start worker threads of their own.
    pool: 'forks',
    // One temporary directory per run, removed after it (test/helpers/temp-root.ts).
    globalSetup: ['test/helpers/temp-root.ts'],
    // A file whose test blocks its process (no timeout can fire there) fails the run by name instead of holding it.
    reporters: ['default', './test/helpers/watchdog-reporter.ts'],
  },
});
