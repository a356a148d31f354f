/**
 * A full build of the derived tables equals the independent computation from the raw stored rows
 * (test/support/derive-oracle.ts) on the seeded synthetic fixture.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Derived } from '../../../../main/derive/derived';
import { openTemp } from '../../../support/cache-fixture';
import { buildFixture } from '../../../support/derive-fixture';
import { derivedSnapshot, oracle } from '../../../support/derive-oracle';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('full build', () => {
  it('equals counts computed independently from the raw rows', () => {
    const t = openTemp();
    cleanup = t.cleanup;
    const fx = buildFixture(t.cache, { seed: 7, bodies: 300, svsPerBody: 3, tbars: 1500, maxPsds: 5, size: 1024, annotatedFraction: 0.5 });
    const d = Derived.attach(t.cache);
    const ctx = d.ensureNode(fx.ids.node);
    const got = derivedSnapshot(d.db, ctx.id);
    const want = oracle(d.db, { ...fx.ids, node: fx.ids.node });
    expect(got.totals).toEqual(want.totals);
    expect(got.rois).toEqual(want.rois);
    expect(got.bodies).toEqual(want.bodies);
    expect(got.bodyRoi).toEqual(want.bodyRoi);
    expect(got.roiConn).toEqual(want.roiConn);
    expect(got.edges).toEqual(want.edges);
    // The fixture is not trivial: overlapping ROIs, connections, unmapped elements.
    expect(Object.keys(want.edges).length).toBeGreaterThan(500);
    expect(want.rois.CX!.pre).toBe(want.rois.EB!.pre + want.rois.FB!.pre);
    expect(want.totals.pre + want.totals.post).toBeGreaterThan(Object.values(want.bodies).reduce((s, b) => s + b.pre + b.post, 0));
  });
});
