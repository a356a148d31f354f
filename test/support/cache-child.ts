/**
 * Child-process helper for cache tests (run with `node --import tsx`):
 *   writer DIR       seed a cache, then commit 20,000-element transactions (200 blocks) forever, printing
 *                    "begin N" / "committed N" (the parent SIGKILLs it mid-transaction)
 *   try-open DIR     try to open DIR for writing and for reading + verify; print one JSON line
 */
import { Cache } from '../../main/cache/index';
import { verifyCache } from '../../main/cache/verify';
import { seedRepo } from './cache-fixture';

const [cmd, dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: cache-child.ts writer|try-open DIR');

if (cmd === 'writer') {
  const cache = Cache.open(dir);
  const ids = seedRepo(cache);
  for (let batch = 0; ; batch++) {
    process.stdout.write(`begin ${batch}\n`);
    cache.write(() => {
      const f = cache.fetches!.record({ jobId: null, instanceId: ids.syn, nodeId: ids.root, request: `batch ${batch}`, mutationId: null });
      for (let b = 0; b < 200; b++) {
        const els = Array.from({ length: 100 }, (_, k) => ({
          pos: [b * 64 + (k % 64), batch * 64 + Math.floor(k / 64), 7] as [number, number, number],
          kind: 'PostSyn',
          tags: [],
          prop: { conf: '0.5', user: 'x' },
          rels: [{ rel: 'PostSynTo', to: [b * 64, batch * 64, 8] as [number, number, number] }],
        }));
        cache.elements.putBlock(ids.syn, ids.root, [b, batch, 0], 64, els, true, f);
      }
    });
    process.stdout.write(`committed ${batch}\n`);
  }
} else if (cmd === 'try-open') {
  const out: Record<string, unknown> = {};
  try {
    Cache.open(dir).close();
    out.writer = 'opened';
  } catch (err) {
    out.writer = { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  try {
    const r = verifyCache(dir);
    out.verify = { ok: r.ok, rows: r.rowsChecked, problems: r.problems };
  } catch (err) {
    out.verify = { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
