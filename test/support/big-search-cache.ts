/**
 * A cache with ≥ 100 k bodies for the e2e table test (virtualization at scale): the derive fixture's
 * synthetic repo on the locked root node, every body annotated, stored under the cache folder a
 * server URL maps to, with a finished sync job so the app makes that node active by itself. The
 * server is never reached (the app runs offline on it).
 */
import type { ServerRef } from '../../preload/api';
import { Cache } from '../../main/cache/index';
import { cacheDirFor } from '../../main/paths';
import { buildFixture, F_ROOT, type Fixture } from './derive-fixture';

export const BIG_BODIES = 100_000;

export function buildBigSearchCache(root: string, server: ServerRef): { dir: string; fx: Fixture } {
  const dir = cacheDirFor(root, server, F_ROOT);
  const cache = Cache.open(dir);
  try {
    const fx = buildFixture(cache, { seed: 8, bodies: BIG_BODIES, svsPerBody: 1, tbars: 30_000, maxPsds: 2, size: 1024, annotatedFraction: 1, namedFraction: 0.3 });
    cache.write(() => {
      const job = cache.jobs.create({ nodeId: fx.ids.node, planKey: 'e2e', plan: '{}', mutationId: null }, []);
      cache.jobs.writeJob({ ...job, state: 'done', finishedAt: Date.now() });
    });
    return { dir, fx };
  } finally {
    cache.close();
  }
}
