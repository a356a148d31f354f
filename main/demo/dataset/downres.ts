/**
 * 2× downsampling exactly as DVID's labels.downresArray does it: each low-res voxel takes the most
 * frequent non-zero label among its 2³ children, ties going to the smaller label, and is 0 only when
 * all eight children are 0 (zeros do not vote). Labels here are indices that sort like the uint64
 * labels they stand for (see supervoxels.ts), so "smaller index" is "smaller label".
 */

/**
 * Writes the octant `child` (a B³ block of the finer scale, or null when absent = all zero) into
 * the low-res block `out` at octant position (ox, oy, oz) ∈ {0,1}³.
 */
export function downresOctant(child: Uint32Array | null, out: Uint32Array, ox: number, oy: number, oz: number, B: number): void {
  const h = B >> 1;
  const votes = new Uint32Array(8);
  const labels = new Uint32Array(8);
  for (let z = 0; z < h; z++)
    for (let y = 0; y < h; y++) {
      const outBase = ((oz * h + z) * B + oy * h + y) * B + ox * h;
      if (!child) {
        out.fill(0, outBase, outBase + h);
        continue;
      }
      for (let x = 0; x < h; x++) {
        const r00 = (2 * z * B + 2 * y) * B + 2 * x, r01 = r00 + B, r10 = r00 + B * B, r11 = r10 + B;
        const first = child[r00]!;
        if (
          first !== 0 &&
          child[r00 + 1] === first &&
          child[r01] === first &&
          child[r01 + 1] === first &&
          child[r10] === first &&
          child[r10 + 1] === first &&
          child[r11] === first &&
          child[r11 + 1] === first
        ) {
          // Uniform 2³ (most of a segmentation): no vote needed.
          out[outBase + x] = first;
          continue;
        }
        let n = 0;
        for (let dz = 0; dz < 2; dz++)
          for (let dy = 0; dy < 2; dy++) {
            const row = ((2 * z + dz) * B + 2 * y + dy) * B + 2 * x;
            for (let dx = 0; dx < 2; dx++) {
              const l = child[row + dx]!;
              if (l === 0) continue;
              let k = 0;
              while (k < n && labels[k] !== l) k++;
              if (k === n) {
                labels[n] = l;
                votes[n] = 0;
                n++;
              }
              votes[k]!++;
            }
          }
        let winner = 0, best = 0;
        for (let k = 0; k < n; k++) {
          const v = votes[k]!, l = labels[k]!;
          if (v > best || (v === best && l < winner)) {
            best = v;
            winner = l;
          }
        }
        out[outBase + x] = winner;
      }
    }
}
