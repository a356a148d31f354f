import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksToSpans, parseRoiSpans, RoiBlockSet, spansToBlocks, type RoiSpan } from '../../../main/formats/roi-spans';
import { fcParams, formatErrorOf, fuzzOutcomes } from './helpers';

const small = fc.integer({ min: -6, max: 6 });
const blockArb = fc.tuple(small, small, small);

/** The obvious reference: a Set of "x,y,z" strings. */
function naive(spans: readonly RoiSpan[]): Set<string> {
  const s = new Set<string>();
  for (const [z, y, x0, x1] of spans) for (let x = x0; x <= x1; x++) s.add(`${x},${y},${z}`);
  return s;
}

describe('ROI spans', () => {
  it('parses [z, y, x0, x1] with x1 inclusive (z first!)', () => {
    const spans = parseRoiSpans('[[1, 2, 3, 5], [-1, 0, -4, -4]]');
    expect(spans).toEqual([
      [1, 2, 3, 5],
      [-1, 0, -4, -4],
    ]);
    expect(spansToBlocks(spans)).toEqual([
      [3, 2, 1],
      [4, 2, 1],
      [5, 2, 1],
      [-4, 0, -1],
    ]);
    expect(parseRoiSpans('[]')).toEqual([]);
    expect(parseRoiSpans('null')).toEqual([]);
  });

  it.each([
    ['not an array', '{"a":1}', /array/],
    ['three numbers', '[[1,2,3]]', /span #0/],
    ['a fraction', '[[1,2,3,4.5]]', /span #0/],
    ['beyond int32', '[[1,2,3,2147483648]]', /span #0/],
    ['x0 > x1', '[[0,0,5,4]]', /x0 5 > x1 4/],
    ['broken JSON', '[[0,0,1,2]', /invalid JSON/],
  ])('rejects %s', (_name, text, reason) => {
    expect(formatErrorOf(() => parseRoiSpans(text)).reason).toMatch(reason);
  });

  it('blocksToSpans sorts by z, y, x0 and merges runs; spansToBlocks inverts it', () => {
    expect(
      blocksToSpans([
        [2, 0, 0],
        [0, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
        [5, 0, 0],
        [0, 1, -1],
      ]),
    ).toEqual([
      [-1, 1, 0, 0],
      [0, 0, 0, 2],
      [0, 0, 5, 5],
    ]);
    fc.assert(
      fc.property(fc.array(blockArb, { maxLength: 80 }), (blocks) => {
        const spans = blocksToSpans(blocks);
        expect(naive(spans)).toEqual(new Set(blocks.map((b) => b.join(','))));
        expect(spans.length).toBe(blocksToSpans(spansToBlocks(spans)).length);
        // sorted and maximal: no two spans in a row touch
        for (let i = 1; i < spans.length; i++) {
          const [a, b] = [spans[i - 1] as RoiSpan, spans[i] as RoiSpan];
          expect(a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[3] + 1 < b[2])))).toBe(true);
        }
      }),
      fcParams,
    );
  });

  it('RoiBlockSet agrees with the naive set for blocks and voxels, with overlapping and unsorted spans', () => {
    const spanArb = fc.tuple(small, small, small, fc.integer({ min: 0, max: 5 })).map(([z, y, x0, w]) => [z, y, x0, x0 + w] as RoiSpan);
    fc.assert(
      fc.property(fc.array(spanArb, { maxLength: 30 }), fc.array(fc.tuple(fc.integer({ min: -250, max: 250 }), fc.integer({ min: -250, max: 250 }), fc.integer({ min: -250, max: 250 })), { maxLength: 40 }), (spans, voxels) => {
        const set = new RoiBlockSet(spans);
        const ref = naive(spans);
        expect(set.blockCount).toBe(ref.size);
        const wrong: string[] = [];
        for (let z = -7; z <= 7; z++) for (let y = -7; y <= 7; y++) for (let x = -7; x <= 12; x++) if (set.containsBlock(x, y, z) !== ref.has(`${x},${y},${z}`)) wrong.push(`block ${x},${y},${z}`);
        for (const [x, y, z] of voxels) if (set.containsVoxel(x, y, z) !== ref.has(`${Math.floor(x / 32)},${Math.floor(y / 32)},${Math.floor(z / 32)}`)) wrong.push(`voxel ${x},${y},${z}`);
        expect(wrong).toEqual([]);
      }),
      { ...fcParams, numRuns: 100 },
    );
  });

  it('uses floor division for negative voxels, and other block sizes', () => {
    const set = new RoiBlockSet([[-1, -1, -1, -1]]);
    expect(set.containsVoxel(-1, -1, -1)).toBe(true);
    expect(set.containsVoxel(-32, -32, -32)).toBe(true);
    expect(set.containsVoxel(-33, -1, -1)).toBe(false);
    expect(set.containsVoxel(0, -1, -1)).toBe(false);
    const s64 = new RoiBlockSet([[0, 0, 1, 1]], 64);
    expect(s64.containsVoxel(64, 63, 0)).toBe(true);
    expect(s64.containsVoxel(128, 0, 0)).toBe(false);
  });

  it('handles rows with many intervals (binary search) and ROIs too spread out for the dense table', () => {
    const many: RoiSpan[] = Array.from({ length: 50 }, (_, i) => [0, 0, 4 * i, 4 * i + 1]);
    const set = new RoiBlockSet(many);
    for (let x = -2; x < 210; x++) expect(set.containsBlock(x, 0, 0)).toBe(x >= 0 && x < 200 && x % 4 < 2);
    const spread = new RoiBlockSet([
      [-60_000_000, 5, 0, 0],
      [60_000_000, -5, 1, 2],
    ]);
    expect(spread.containsBlock(0, 5, -60_000_000)).toBe(true);
    expect(spread.containsBlock(2, -5, 60_000_000)).toBe(true);
    expect(spread.containsBlock(0, -5, -60_000_000)).toBe(false);
    expect(spread.containsBlock(0, 5, 0)).toBe(false);
    expect(spread.blockCount).toBe(3);
    const empty = new RoiBlockSet([]);
    expect(empty.containsBlock(0, 0, 0)).toBe(false);
    expect(empty.blockCount).toBe(0);
  });

  it('spansToBlocks refuses to expand absurdly large ROIs', () => {
    expect(formatErrorOf(() => spansToBlocks([[0, 0, -(2 ** 31), 2 ** 31 - 1]])).reason).toMatch(/exceeds the limit/);
  });

  it('damaged span JSON parses or throws FormatError', async () => {
    const valid = new TextEncoder().encode(JSON.stringify([[1, 2, 3, 5], [1, 3, -4, 4], [2, 0, 0, 0]]));
    expect(await fuzzOutcomes(valid, (b) => parseRoiSpans(new TextDecoder().decode(b)))).toContain('format-error');
  });
});
