/**
 * A sync in a process of its own, for measuring its peak memory. Argument: one JSON object
 * {serverUrl, cacheRoot, node, instances: ["name[=scope]"], blockCompression?, concurrency?, poolSize?}.
 * Prints one JSON line: {state, seconds, blocks (stored), bytes, peakRssBytes (VmHWM, Linux), sampledPeakRssBytes}.
 */
import { readFileSync } from 'node:fs';
import { parseInstanceArg } from '../../main/sync/scope';
import { SyncSession } from '../../main/sync/session';

const o = JSON.parse(process.argv[2]!) as {
  serverUrl: string;
  cacheRoot: string;
  node: string;
  instances: string[];
  blockCompression?: 'blocks' | 'lz4';
  concurrency?: number;
  poolSize?: number;
};
let sampled = 0;
const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage().rss)), 20);
const session = new SyncSession({
  serverUrl: o.serverUrl,
  cacheRoot: o.cacheRoot,
  node: o.node,
  scopes: o.instances.map((i) => parseInstanceArg(i)),
  blockCompression: o.blockCompression,
  concurrency: o.concurrency,
  poolSize: o.poolSize,
  maxBytes: 1024 ** 4,
});
const prepared = await session.prepare();
if (prepared.kind === 'refused') throw new Error(prepared.message);
const t0 = performance.now();
const outcome = await session.run();
const seconds = (performance.now() - t0) / 1000;
const c = session.cache;
const blocks = c.db.db.prepare('SELECT count(*) FROM blocks WHERE hash IS NOT NULL').pluck().get() as number;
await session.close();
clearInterval(timer);
let peak: number | null = null;
try {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (m) peak = Number(m[1]) * 1024;
} catch {
  // not Linux: the sampled figure stands alone
}
process.stdout.write(
  `${JSON.stringify({ state: outcome.state, seconds, blocks, bytes: outcome.progress.bytes.done, peakRssBytes: peak, sampledPeakRssBytes: sampled })}\n`,
);
