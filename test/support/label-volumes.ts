/**
 * Synthetic label volumes for tests and benchmarks (seeded, deterministic).
 *
 * `neuronTubes` imitates dense FIB-SEM segmentation: K neurites as wobbly tubes crossing the block,
 * every voxel labelled by its nearest tube axis (so the space is filled, as a supervoxel
 * segmentation is), giving 1–4 labels per 8³ sub-block with smooth boundaries between them.
 */
import type { LabelVolume } from '../../main/formats/label-block';

/** mulberry32: small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random uint64 label with the given number of significant bits (1..64). */
export function randomLabel(rand: () => number, bits = 64): bigint {
  const hi = BigInt(Math.floor(rand() * 2 ** 32));
  const lo = BigInt(Math.floor(rand() * 2 ** 32));
  return ((hi << 32n) | lo) >> BigInt(64 - bits);
}

export function volumeFrom(nx: number, ny: number, nz: number, labelAt: (x: number, y: number, z: number) => bigint): LabelVolume {
  const voxels = new BigUint64Array(nx * ny * nz);
  for (let z = 0, i = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, i++) voxels[i] = labelAt(x, y, z);
  return { nx, ny, nz, voxels };
}

export function neuronTubes(seed: number, size = 64, tubes = 5, blobs = 6): LabelVolume {
  const rand = prng(seed);
  const newLabel = () => 10_000_000_000n + BigInt(Math.floor(rand() * 1e9));
  const axes = Array.from({ length: tubes }, () => {
    // a point inside the block and a random direction
    const p = [rand() * size, rand() * size, rand() * size];
    let d = [rand() - 0.5, rand() - 0.5, rand() - 0.5];
    const len = Math.hypot(d[0]!, d[1]!, d[2]!) || 1;
    d = d.map((c) => c / len);
    return {
      p,
      d,
      label: newLabel(),
      weight: 0.5 + rand() * 1.5, // thicker and thinner neurites
      phase: rand() * Math.PI * 2,
      freq: 0.05 + rand() * 0.1,
    };
  });
  // small fragments (little supervoxels) that add labels but few boundaries
  const spheres = Array.from({ length: blobs }, () => ({
    c: [rand() * size, rand() * size, rand() * size],
    r: 2 + rand() * 4,
    label: newLabel(),
  }));
  return volumeFrom(size, size, size, (x, y, z) => {
    for (const b of spheres) {
      if (Math.hypot(x - b.c[0]!, y - b.c[1]!, z - b.c[2]!) < b.r) return b.label;
    }
    let best = Infinity;
    let label = 0n;
    for (const a of axes) {
      const vx = x - a.p[0]!;
      const vy = y - a.p[1]!;
      const vz = z - a.p[2]!;
      const t = vx * a.d[0]! + vy * a.d[1]! + vz * a.d[2]!;
      const dist = Math.hypot(vx - t * a.d[0]!, vy - t * a.d[1]!, vz - t * a.d[2]!);
      const wobble = 1 + 0.15 * Math.sin(t * a.freq + a.phase);
      const score = dist / (a.weight * wobble);
      if (score < best) {
        best = score;
        label = a.label;
      }
    }
    return label;
  });
}
