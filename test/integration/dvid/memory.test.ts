/**
 * A block stream far larger than the memory bound is consumed record by record: the client's memory
 * (V8 heap + ArrayBuffers, this process only; the demo server runs in its own process) stays flat.
 *
 * Two figures: what is *retained* (measured right after a forced full GC at checkpoints: what the
 * client holds on to), which must stay near zero and not grow; and the peak growth without forcing
 * GC (garbage included: V8 collects when it sees fit), which must stay under a fixed bound.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DvidClient } from '../../../main/dvid/client';
import { asUuid } from '../../../main/dvid/paths';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Allowed peak growth of heap + ArrayBuffers, garbage included (a whole-body read would need the stream's size). */
const BOUND = 128 << 20;
/** Allowed retained growth after a full GC: a few 2 MiB records in flight. */
const RETAINED_BOUND = 16 << 20;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let child: ChildProcess;
let server: { url: string; child: string };

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', 'test/support/demo-child.ts'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  server = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as { url: string; child: string });
    });
    child.once('exit', (code) => reject(new Error(`demo server exited (${code}) before printing its URL`)));
  });
}, 120_000);

afterAll(() => {
  child?.stdin?.end();
  child?.kill('SIGTERM');
});

/** Memory after a full GC, once freed ArrayBuffer backing stores have been released (that can lag the GC itself). */
async function settled(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return used();
}

const mib = (n: number): string => (n / 2 ** 20).toFixed(1);

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

describe('streaming memory', () => {
  it('stays within a fixed bound while a 1 GiB block stream is consumed', async () => {
    const client = new DvidClient({ baseUrl: server.url });
    const seg = client.labelmap(asUuid(server.child), 'segmentation');
    // Warm up connections, code paths and the parser once.
    for await (const r of seg.blocks([64, 64, 64], [0, 0, 0], { compression: 'uncompressed' })) void r;
    const base = await settled();
    let peak = 0;
    let bytes = 0;
    let records = 0;
    const retained: number[] = [];
    const t0 = performance.now();
    for await (const r of seg.blocks([512, 512, 512], [0, 0, 0], { compression: 'uncompressed', blockSize: [64, 64, 64] })) {
      bytes += r.payload.length;
      records++;
      peak = Math.max(peak, used() - base);
      if (records % 32 === 0) retained.push((await settled()) - base);
    }
    const seconds = (performance.now() - t0) / 1000;
    await client.close();
    console.log(
      `[memory] ${records} records, ${mib(bytes)} MiB streamed in ${seconds.toFixed(1)} s (${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s, GC forced 16×); ` +
        `retained after GC at 16 checkpoints: ${retained.map(mib).join(' ')} MiB; ` +
        `peak growth with garbage ${mib(peak)} MiB`,
    );
    expect(retained.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...retained)).toBeLessThan(RETAINED_BOUND);
    expect(retained.at(-1)! - retained[0]!).toBeLessThan(4 << 20);
    expect(bytes).toBeGreaterThanOrEqual(8 * BOUND);
    expect(peak).toBeLessThan(BOUND);
  }, 180_000);
});
