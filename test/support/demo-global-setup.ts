/**
 * vitest globalSetup: makes sure the small demo dataset is in the test cache before any suite runs,
 * so suites (and the app processes the e2e tests spawn) only load it. The cache lives in the
 * project's git-ignored .cache/demo-dataset (DVID_DESK_DEMO_DATA, set in vitest.config.ts) and is
 * reused across runs; a generator version bump makes a new one.
 */
import { ensureDataset } from '../../main/demo/dataset/cache';
import { presetParams } from '../../main/demo/dataset/presets';
import { DEMO_DATA_ROOT } from './demo-paths';

export default async function setup(): Promise<void> {
  const t0 = Date.now();
  let announced = false;
  await ensureDataset(presetParams({ preset: 'small' }), {
    root: DEMO_DATA_ROOT,
    onProgress: () => {
      if (!announced) process.stderr.write(`generating the small demo dataset into ${DEMO_DATA_ROOT} (once)…\n`);
      announced = true;
    },
  });
  if (announced) process.stderr.write(`small demo dataset ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
