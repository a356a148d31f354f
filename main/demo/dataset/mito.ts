/**
 * Mitochondria for the `mito_20190501.24734943` labelmap: short capsules lying along the axis of
 * neurites thick enough to hold them, and small blobs inside somas. Each mitochondrion is one label
 * (1, 2, 3, … in generation order); label 0 is everything else. The labelmap has no mapping
 * (supervoxel = body), like hemibrain's mito segmentation.
 */
import { add, dist, lerp, scale, type Vec3 } from './geometry';
import { KIND_NEURITE, PrimitiveSet } from './primitives';
import type { Morphology } from './neurons';
import type { Rng } from './prng';

/** One mitochondrion per this much neurite cable (voxels), on average. */
const CABLE_PER_MITO = 260;

export function placeMitochondria(rng: Rng, morph: Morphology): PrimitiveSet {
  const mito = new PrimitiveSet(morph.size, 16);
  const p = morph.prims;
  let label = 0;
  for (let id = 0; id < p.count; id++) {
    if (p.kind[id] !== KIND_NEURITE || p.r[id]! < 2.2 || p.body[id]! < 0) continue;
    const a = p.a(id), b = p.b(id);
    const L = dist(a, b);
    if (L < 4 || !rng.chance(L / CABLE_PER_MITO * (p.r[id]! / 2.2))) continue;
    const t0 = rng.range(0, 0.4), t1 = Math.min(1, t0 + rng.range(0.3, 0.6));
    mito.add(lerp(a, b, t0), lerp(a, b, t1), p.r[id]! * rng.range(0.35, 0.5), ++label, KIND_NEURITE);
  }
  for (const body of morph.bodies) {
    if (body.somaPrim < 0) continue;
    const c = p.a(body.somaPrim);
    const R = p.r[body.somaPrim]!;
    for (let k = rng.int(3, 8); k > 0; k--) {
      const centre: Vec3 = add(c, scale(rng.direction(), rng.range(0, 0.55) * R));
      const r = rng.range(1.4, 2.6);
      const tail = add(centre, scale(rng.direction(), rng.range(0, 4)));
      mito.add(centre, tail, r, ++label, KIND_NEURITE);
    }
  }
  return mito;
}

/** Mito labels of one block (label = owner field), false when the block holds none. */
export function labelMitoBlock(mito: PrimitiveSet, bx: number, by: number, bz: number, B: number, out: Uint32Array, scratch: number[]): boolean {
  out.fill(0);
  const ox = bx * B, oy = by * B, oz = bz * B;
  const ids = mito.query([ox - 4, oy - 4, oz - 4], [ox + B + 4, oy + B + 4, oz + B + 4], scratch);
  let any = false;
  for (const id of ids) {
    const r = mito.r[id]!;
    const x0 = Math.max(ox, Math.floor(Math.min(mito.ax[id]!, mito.bx[id]!) - r)), x1 = Math.min(ox + B - 1, Math.ceil(Math.max(mito.ax[id]!, mito.bx[id]!) + r));
    const y0 = Math.max(oy, Math.floor(Math.min(mito.ay[id]!, mito.by[id]!) - r)), y1 = Math.min(oy + B - 1, Math.ceil(Math.max(mito.ay[id]!, mito.by[id]!) + r));
    const z0 = Math.max(oz, Math.floor(Math.min(mito.az[id]!, mito.bz[id]!) - r)), z1 = Math.min(oz + B - 1, Math.ceil(Math.max(mito.az[id]!, mito.bz[id]!) + r));
    for (let z = z0; z <= z1; z++)
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++) {
          if (mito.surfaceDistance(id, [x + 0.5, y + 0.5, z + 0.5]) < 0) {
            out[((z - oz) * B + (y - oy)) * B + (x - ox)] = mito.body[id]!;
            any = true;
          }
        }
  }
  return any;
}
