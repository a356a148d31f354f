import { describe, expect, it } from 'vitest';
import { blockToVoxelBox, BoxBits, coordsOf, coverWithBoxes, tiles, voxelBoxToBlocks, type Box } from '../../../../main/sync/geometry';

describe('geometry', () => {
  it('maps scale-0 voxel boxes to block boxes at any scale, floor-dividing negatives', () => {
    expect(voxelBoxToBlocks([0, 0, 0, 512, 512, 512], [64, 64, 64], 0)).toEqual([0, 0, 0, 8, 8, 8]);
    expect(voxelBoxToBlocks([0, 0, 0, 512, 512, 512], [64, 64, 64], 1)).toEqual([0, 0, 0, 4, 4, 4]);
    expect(voxelBoxToBlocks([0, 0, 0, 512, 512, 512], [64, 64, 64], 3)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(voxelBoxToBlocks([-1, 63, 64, 1, 65, 65], [64, 64, 64], 0)).toEqual([-1, 0, 1, 1, 2, 2]);
    expect(blockToVoxelBox([-1, 0, 2], [64, 64, 64], 1)).toEqual([-128, 0, 256, 0, 128, 384]);
  });

  it('tiles a box completely, without overlap', () => {
    const b: Box = [0, -3, 1, 10, 5, 4];
    const seen = new Set<string>();
    for (const t of tiles(b, [4, 4, 1])) for (const c of coordsOf(t)) {
      expect(seen.has(c.join())).toBe(false);
      seen.add(c.join());
    }
    expect(seen.size).toBe(10 * 8 * 3);
  });

  it('covers a scattered block set exactly with few boxes', () => {
    const set = [
      [0, 0, 0], [1, 0, 0], [2, 0, 0],
      [0, 1, 0], [1, 1, 0], [2, 1, 0],
      [5, 1, 0],
      [0, 0, 1],
    ] as Array<[number, number, number]>;
    const boxes = coverWithBoxes(set);
    expect(boxes).toEqual([
      [0, 0, 0, 3, 2, 1],
      [5, 1, 0, 6, 2, 1],
      [0, 0, 1, 1, 1, 2],
    ]);
    const covered = boxes.flatMap((b) => [...coordsOf(b)].map((c) => c.join())).toSorted();
    expect(covered).toEqual(set.map((c) => c.join()).toSorted());
  });

  it('keeps a compact bitset cursor that survives a round trip', () => {
    const bits = new BoxBits([2, 2, 0, 6, 4, 2]);
    expect(bits.add([2, 2, 0])).toBe(true);
    expect(bits.add([5, 3, 1])).toBe(true);
    expect(bits.add([6, 3, 1])).toBe(false);
    const again = new BoxBits([2, 2, 0, 6, 4, 2], bits.toString());
    expect(again.count()).toBe(2);
    expect(again.has([5, 3, 1])).toBe(true);
    expect(again.missing()).toHaveLength(16 - 2);
  });
});
