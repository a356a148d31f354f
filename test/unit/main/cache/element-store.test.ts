import { array, assert as fcAssert, constantFrom, dictionary, integer, property, record, string, tuple, uniqueArray } from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ELEMENT_KINDS, packElements, packedPositions, REL_KINDS, unpackElements, type ElementInput } from '../../../../main/formats/element-pack';
import { openTemp, seedRepo } from '../../../support/cache-fixture';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const pos = tuple(integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const element = record({
  pos,
  kind: constantFrom(...ELEMENT_KINDS),
  tags: array(string({ maxLength: 8 }), { maxLength: 3 }),
  prop: dictionary(string({ maxLength: 6 }), string({ maxLength: 10 }), { maxKeys: 3 }),
  rels: array(record({ rel: constantFrom(...REL_KINDS), to: pos }), { maxLength: 4 }),
});

const byPos = (a: { pos: readonly number[] }, b: { pos: readonly number[] }) => a.pos[2]! - b.pos[2]! || a.pos[1]! - b.pos[1]! || a.pos[0]! - b.pos[0]!;

describe('packed element blocks', () => {
  it('round-trip any elements exactly, sorted by position, independent of input order', () => {
    fcAssert(
      property(uniqueArray(element, { maxLength: 30, selector: (e) => e.pos.join() }), (els) => {
        const p = packElements(els);
        const back = unpackElements(p.data, p.props, p.tags);
        const want = els.toSorted(byPos).map((e) => ({ ...e, pos: [...e.pos], rels: e.rels.map((r) => ({ rel: r.rel, to: [...r.to] })) }));
        expect(back).toEqual(want);
        expect(Buffer.from(packElements(els.toReversed()).data).equals(Buffer.from(p.data))).toBe(true);
        expect([...packedPositions(p.data)]).toEqual(want.flatMap((e) => e.pos));
      }),
      { numRuns: 200 },
    );
  });

  it('refuse what cannot be stored, and damaged bytes', () => {
    const ok: ElementInput = { pos: [1, 2, 3], kind: 'PreSyn', tags: [], prop: {}, rels: [] };
    expect(() => packElements([{ ...ok, pos: [2 ** 31, 0, 0] }])).toThrow(RangeError);
    expect(() => packElements([ok, { ...ok }])).toThrow(/two elements at 1,2,3/);
    expect(() => packElements([{ ...ok, kind: 'Synapse' }])).toThrow(/unknown element kind/);
    expect(() => packElements([{ ...ok, rels: [{ rel: 'Likes', to: [0, 0, 0] }] }])).toThrow(/unknown relationship/);
    const p = packElements([ok, { ...ok, pos: [4, 5, 6], rels: [{ rel: 'PreSynTo', to: [1, 2, 3] }] }]);
    expect(() => unpackElements(p.data.subarray(0, p.data.length - 1), p.props, p.tags)).toThrow(/packed element block/);
  });
});

function setup() {
  const t = openTemp();
  cleanups.push(t.cleanup);
  const ids = seedRepo(t.cache);
  return { cache: t.cache, ids };
}

const el = (x: number, y: number, z: number, kind = 'PostSyn', prop: Record<string, string> = {}): ElementInput => ({ pos: [x, y, z], kind, tags: [], prop, rels: [] });

describe('ElementStore', () => {
  it('replaces whole blocks, merges per-body reads, and replaces only inside a filter', () => {
    const { cache, ids } = setup();
    const E = cache.elements;
    cache.write(() => {
      E.putBlock(ids.syn, ids.root, [0, 0, 0], 64, [el(1, 1, 1), el(2, 2, 2)], true, ids.fetch);
      E.putBlock(ids.syn, ids.root, [1, 0, 0], 64, [el(70, 1, 1)], true, ids.fetch);
    });
    expect(E.count(ids.syn, ids.root)).toBe(3);
    // A per-body read adds one element and updates another; the block stays complete.
    cache.write(() => E.mergeElements(ids.syn, ids.root, 64, [el(3, 3, 3), el(2, 2, 2, 'PreSyn')], ids.fetch));
    const b = E.block(ids.syn, ids.root, [0, 0, 0])!;
    expect(b.complete).toBe(true);
    expect(b.elements.map((e) => `${e.pos.join()}:${e.kind}`)).toEqual(['1,1,1:PostSyn', '2,2,2:PreSyn', '3,3,3:PostSyn']);
    // A filtered re-read replaces only the elements inside the filter (x < 2 here).
    cache.write(() => E.replaceWithin(ids.syn, ids.root, [0, 0, 0], 64, [el(0, 5, 5)], (p) => p[0] < 2, ids.fetch));
    expect(E.block(ids.syn, ids.root, [0, 0, 0])!.elements.map((e) => e.pos.join())).toEqual(['2,2,2', '3,3,3', '0,5,5']);
    expect(E.inBox(ids.syn, ids.root, [0, 0, 0, 100, 3, 100]).map((e) => e.pos.join())).toEqual(['70,1,1', '2,2,2']);
    expect([...E.all(ids.syn, ids.root)].map((e) => e.pos.join())).toEqual(['2,2,2', '3,3,3', '0,5,5', '70,1,1']);
  });

  it('tracks the supervoxels per block and forgets them when the block is rewritten', () => {
    const { cache, ids } = setup();
    const E = cache.elements;
    cache.write(() => {
      E.putBlock(ids.syn, ids.root, [0, 0, 0], 64, [el(1, 1, 1), el(2, 2, 2)], true, ids.fetch);
      E.putBlock(ids.syn, ids.root, [1, 0, 0], 64, [el(70, 1, 1)], true, ids.fetch);
      E.putBlock(ids.syn, ids.root, [2, 0, 0], 64, [], true, ids.fetch);
    });
    expect(E.blocksWithoutSupervoxels(ids.syn, ids.root, 10, null, null).map((b) => b.coord.join())).toEqual(['0,0,0', '1,0,0']);
    expect([...E.positionsNeedingSupervoxels(ids.syn, ids.root, [0, 0, 0], 64, null)!]).toEqual([1, 1, 1, 2, 2, 2]);
    expect(E.positionsNeedingSupervoxels(ids.syn, ids.root, [0, 0, 0], 32, null)).toBeNull();
    cache.write(() => E.putSupervoxels(ids.syn, ids.root, [0, 0, 0], ids.seg, BigUint64Array.of(2n ** 64n - 1n, 5n), ids.fetch));
    expect(E.supervoxelAt(ids.syn, ids.root, [1, 1, 1])).toBe(2n ** 64n - 1n);
    expect(E.supervoxelAt(ids.syn, ids.root, [2, 2, 2])).toBe(5n);
    expect(E.countSupervoxels(ids.syn, ids.root)).toBe(2);
    expect(E.blocksWithoutSupervoxels(ids.syn, ids.root, 10, null, null).map((b) => b.coord.join())).toEqual(['1,0,0']);
    expect(E.blocksWithoutSupervoxels(ids.syn, ids.root, 10, null, [0, 0, 0]).map((b) => b.coord.join())).toEqual(['1,0,0']);
    cache.write(() => E.mergeElements(ids.syn, ids.root, 64, [el(4, 4, 4)], ids.fetch));
    expect(E.supervoxelAt(ids.syn, ids.root, [1, 1, 1])).toBeNull();
    expect(E.countSupervoxels(ids.syn, ids.root)).toBe(0);
  });
});
