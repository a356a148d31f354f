import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downresOctant } from '../../../main/demo/dataset/downres';

/** DVID's rule written the slow, obvious way: count the non-zero children, most votes wins, ties to the smaller. */
function naive(child: Uint32Array, B: number, x: number, y: number, z: number): number {
  const votes = new Map<number, number>();
  for (let d = 0; d < 8; d++) {
    const l = child[((2 * z + (d >> 2)) * B + 2 * y + ((d >> 1) & 1)) * B + 2 * x + (d & 1)]!;
    if (l !== 0) votes.set(l, (votes.get(l) ?? 0) + 1);
  }
  let best = 0, winner = 0;
  for (const [l, v] of [...votes].toSorted((a, b) => a[0] - b[0])) if (v > best) [best, winner] = [v, l];
  return winner;
}

describe('downresOctant', () => {
  it('takes the most frequent non-zero child, ties to the smaller label, 0 only when all are 0', () => {
    const B = 16;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: B ** 3, maxLength: B ** 3 }), fc.integer({ min: 0, max: 7 }), (bytes, octant) => {
        // Few distinct labels (0..4) so ties and zeros are common.
        const child = Uint32Array.from(bytes, (b) => b % 5);
        const out = new Uint32Array(B ** 3);
        const [ox, oy, oz] = [octant & 1, (octant >> 1) & 1, octant >> 2];
        downresOctant(child, out, ox, oy, oz, B);
        const h = B / 2;
        for (let z = 0; z < h; z++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < h; x++) expect(out[((oz * h + z) * B + oy * h + y) * B + ox * h + x]).toBe(naive(child, B, x, y, z));
      }),
      { numRuns: 40 },
    );
  });

  it('writes zeros for an absent child and leaves the other octants alone', () => {
    const B = 8;
    const out = new Uint32Array(B ** 3).fill(7);
    downresOctant(null, out, 1, 0, 1, B);
    let zeros = 0;
    for (const v of out) if (v === 0) zeros++;
    expect(zeros).toBe((B / 2) ** 3);
  });
});
