import { defineConfig } from 'vitest/config';

// One vitest invocation runs every suite (unit, integration, e2e); the summary reporter prints the
// final "N passed, N failed" line CI reads.
export default defineConfig({
  root: new URL('..', import.meta.url).pathname,
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Two cores: keep parallel files (each may start servers and Chromium) to what the machine can carry.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
