import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = new URL('..', import.meta.url).pathname;

// One vitest invocation runs every suite (unit, integration, e2e); the summary reporter prints the
// final "N passed, N failed" line CI reads.
export default defineConfig({
  root,
  test: {
    // The demo DVID every integration and e2e suite talks to: the small preset, generated once into
    // the git-ignored .cache/demo-dataset (also for the app processes the e2e suites spawn).
    globalSetup: ['./test/support/demo-global-setup.ts'],
    env: { DVID_DESK_DEMO_DATA: join(root, '.cache', 'demo-dataset'), DVID_DESK_DEMO_PRESET: 'small' },
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
