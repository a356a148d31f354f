/**
 * A full build on a worker thread (Derived.buildInBackground, build-worker.ts): the main thread's
 * event loop keeps turning while it runs, queries are refused with DerivedBuilding meanwhile, cache
 * writes made during the build are applied once it commits, and the tables equal an in-thread
 * build and the from-scratch oracle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Derived, DerivedBuilding } from '../../../../main/derive/derived';
import { openTemp } from '../../../support/cache-fixture';
import { buildFixture } from '../../../support/derive-fixture';
import { derivedSnapshot, oracle } from '../../../support/derive-oracle';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('a background build', () => {
  it('leaves the event loop free, holds queries off, applies writes made meanwhile, and equals an in-thread build', async () => {
    const t = openTemp();
    cleanup = t.cleanup;
    const fx = buildFixture(t.cache, { seed: 5, bodies: 1000, svsPerBody: 2, tbars: 4000, maxPsds: 4, size: 1024, annotatedFraction: 0.5 });
    const d = Derived.attach(t.cache);

    // A timer that records the longest wait between its ticks.
    let ticks = 0;
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 2);
    const t0 = performance.now();
    const built = d.buildInBackground(fx.ids.node);
    expect(d.building?.nodeId).toBe(fx.ids.node);
    expect(() => d.ensureNode(fx.ids.node)).toThrow(DerivedBuilding);
    // A merge written while the worker builds: captured, applied after the build commits.
    const [a, b] = [fx.bodies[0]!, fx.bodies[1]!];
    await new Promise((r) => setTimeout(r, 20));
    t.cache.write(() => {
      for (const sv of fx.svsOf.get(a)!) t.cache.svMap.put(fx.ids.seg, fx.ids.node, sv, b, fx.ids.fetch);
    });
    const ctx = await built;
    const buildMs = performance.now() - t0;
    clearInterval(timer);
    expect(d.building).toBeNull();

    // Not blocked: the timer kept firing; its longest pause is a fraction of the build (an
    // in-thread build would pause it for the whole build).
    expect(buildMs).toBeGreaterThan(300);
    expect(ticks).toBeGreaterThan(20);
    expect(maxGap).toBeLessThan(buildMs / 2);

    d.flush();
    const background = derivedSnapshot(d.db, ctx.id);
    const want = oracle(d.db, fx.ids);
    expect(background).toEqual(want);
    expect(background.bodies[b.toString()]!.post).toBeGreaterThan(0);
    expect(background.bodies[a.toString()]?.post ?? 0).toBe(0);

    d.rebuild(fx.ids.node);
    const inThread = derivedSnapshot(d.db, d.ctxOf(fx.ids.node)!.id);
    expect(inThread).toEqual(background);
    d.detach();
  }, 240_000);

  it('runs the rebuilds a flush needs in the background when asked to', async () => {
    const t = openTemp();
    cleanup = t.cleanup;
    const fx = buildFixture(t.cache, { seed: 6, bodies: 200, svsPerBody: 2, tbars: 800, maxPsds: 3, size: 512, annotatedFraction: 0.5 });
    const d = Derived.attach(t.cache);
    d.ensureNode(fx.ids.node);
    d.backgroundBuilds = true;
    // New ROI spans: the ctx must be rebuilt (ROI membership of every element).
    const roi = Object.values(fx.ids.rois)[0]!;
    t.cache.write(() => t.cache.rois.put(roi, fx.ids.node, 32, [[0, 0, 0, 15]], fx.ids.fetch));
    d.flush();
    expect(d.building?.nodeId).toBe(fx.ids.node);
    while (d.building) await new Promise((r) => setTimeout(r, 10));
    d.flush();
    expect(derivedSnapshot(d.db, d.ctxOf(fx.ids.node)!.id)).toEqual(oracle(d.db, fx.ids));
    d.detach();
  }, 60_000);
});
