/**
 * Previews made during a mesh sync (sync/syncers/mesh-previews.ts): only for meshes the body view
 * draws through a preview; never more than two per worker in flight (the stream waits); a preview
 * that fails is skipped, never the sync's failure; one already in the cache is not made again.
 */
import { describe, expect, it } from 'vitest';
import { PREVIEW_ABOVE } from '../../../../preload/binary';
import type { PreparedKey, PreparedStore } from '../../../../main/cache/prepared-store';
import { MeshPreviews, wantsPreview } from '../../../../main/sync/syncers/mesh-previews';
import type { WorkerPool } from '../../../../main/workers/pool';

/** An ngmesh header for V vertices and T triangles (the rest zeros: only sizes matter here). */
function ngmeshOf(v: number, t: number): Uint8Array {
  const b = new Uint8Array(4 + 12 * v + 12 * t);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

function fakes(opts: { size: number; fail?: (n: number) => boolean; stored?: boolean }) {
  let running = 0, most = 0, started = 0;
  const written: PreparedKey[] = [];
  const releases: Array<() => void> = [];
  const pool = {
    size: opts.size,
    run: async (_spec: unknown, args: { bytes: Uint8Array }) => {
      const n = started++;
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => releases.push(r));
      running--;
      if (opts.fail?.(n)) throw new Error('does not decode');
      return { buffer: new ArrayBuffer(args.bytes.length > 0 ? 8 : 0) };
    },
  } as unknown as WorkerPool;
  const store = { has: () => opts.stored ?? false, write: (k: PreparedKey) => void written.push(k) } as unknown as PreparedStore;
  return { pool, store, written, releases, stats: () => ({ most, started }) };
}

const hash = new Uint8Array(32);

describe('wantsPreview', () => {
  it('asks exactly for the meshes the body view previews (the triangle count bodyGeometry reports)', () => {
    expect(wantsPreview('ngmesh', ngmeshOf(1000, PREVIEW_ABOVE + 1))).toBe(true);
    expect(wantsPreview('ngmesh', ngmeshOf(1000, PREVIEW_ABOVE))).toBe(false);
    expect(wantsPreview('draco', new Uint8Array(PREVIEW_ABOVE + 1))).toBe(true); // ≈ 1 byte per triangle
    expect(wantsPreview('obj', new Uint8Array(PREVIEW_ABOVE + 1))).toBe(false); // ≈ 40 bytes per triangle
    expect(wantsPreview('swc', ngmeshOf(1000, PREVIEW_ABOVE + 1))).toBe(false);
    expect(wantsPreview(null, ngmeshOf(1000, PREVIEW_ABOVE + 1))).toBe(false);
  });
});

describe('MeshPreviews', () => {
  it('keeps at most two previews per worker in flight, skips failures, and stores the rest', async () => {
    const f = fakes({ size: 2, fail: (n) => n === 1 });
    const q = new MeshPreviews(f.pool, f.store);
    const big = ngmeshOf(10, PREVIEW_ABOVE + 1);
    let added = 0;
    const adding = (async () => {
      for (let i = 0; i < 7; i++) {
        await q.add(big, hash, 'ngmesh', `m/${i}`);
        added++;
      }
    })();
    // The fifth add waits: four are in flight.
    await new Promise((r) => setTimeout(r, 20));
    expect(added).toBe(4);
    while (f.stats().started < 7 || f.releases.length) {
      f.releases.shift()?.();
      await new Promise((r) => setTimeout(r, 1));
    }
    await adding;
    await q.drain();
    expect(f.stats().most).toBe(4);
    expect(f.written.length).toBe(6);
    expect(q.made).toBe(6);
  });

  it('makes nothing for small meshes, other formats, or a preview already stored', async () => {
    const f = fakes({ size: 1 });
    const q = new MeshPreviews(f.pool, f.store);
    await q.add(ngmeshOf(10, 100), hash, 'ngmesh', 'small');
    await q.add(ngmeshOf(10, PREVIEW_ABOVE + 1), hash, 'json', 'not a mesh');
    await q.drain();
    const stored = fakes({ size: 1, stored: true });
    const q2 = new MeshPreviews(stored.pool, stored.store);
    await q2.add(ngmeshOf(10, PREVIEW_ABOVE + 1), hash, 'ngmesh', 'already');
    await q2.drain();
    expect(f.stats().started + stored.stats().started).toBe(0);
  });
});
