/**
 * Child-process helper for the derive tests (run with `node --import tsx`):
 *   crash DIR SV BODY   open the cache for writing with the derived tables attached, remap one
 *                       supervoxel (seg instance 1, node 1), and exit at once: no flush, no detach,
 *                       no close (what a killed app leaves behind).
 */
import { Cache } from '../../main/cache/index';
import { Derived } from '../../main/derive/derived';

const [cmd, dir, sv, body] = process.argv.slice(2);
if (cmd !== 'crash' || !dir || !sv || !body) throw new Error('usage: derive-child.ts crash DIR SV BODY');
const cache = Cache.open(dir);
Derived.attach(cache);
cache.write(() => {
  const f = cache.fetches!.record({ jobId: null, instanceId: 1, nodeId: 1, request: 'crash test', mutationId: null });
  cache.svMap.put(1, 1, BigInt(sv), BigInt(body), f);
});
process.stdout.write('written\n');
process.exit(0);
