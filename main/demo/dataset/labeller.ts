/**
 * Voxel labelling: every voxel takes the supervoxel of the capsule whose surface is nearest
 * (a power-diagram partition of the tissue, so neurites fill space and meet along membranes as in
 * FIB-SEM segmentation), unless that surface is farther than SHAPE.labelCap (extracellular space,
 * label 0) or the winner is a trachea (label 0, voxel class "trachea").
 *
 * Voxel (x, y, z) is the unit cube [x, x+1)×[y, y+1)×[z, z+1) and is sampled at its centre.
 *
 * Cost: a 64³ block is culled per 16³ region and then per 8³ sub-block with distance bounds, so most
 * sub-blocks are decided whole and only sub-blocks on a boundary are evaluated voxel by voxel
 * (≈ 2–6 ms per block on one core).
 */
import type { Vec3 } from './geometry';
import { KIND_NEURITE, KIND_SOMA, KIND_TRACHEA, type PrimitiveSet } from './primitives';
import { SHAPE } from './presets';

/** Voxel classes of the `voxel-classes` instance (documented in main/demo/README.md). */
export const CLASS_NONE = 0;
export const CLASS_NEUROPIL = 1;
export const CLASS_CELL_BODY = 2;
export const CLASS_EXTRACELLULAR = 3;
export const CLASS_TRACHEA = 4;

export interface SomaSectors {
  /** For a soma capsule id: its two splitting axes and the 4 sector supervoxels. */
  get(prim: number): { u: Vec3; v: Vec3; svs: number[] } | undefined;
}

const MAX_CANDIDATES = 1 << 16;

export class Labeller {
  private readonly cand: number[] = [];
  // Candidate capsules copied into flat arrays for the inner loops.
  private readonly ax = new Float64Array(MAX_CANDIDATES);
  private readonly ay = new Float64Array(MAX_CANDIDATES);
  private readonly az = new Float64Array(MAX_CANDIDATES);
  private readonly dx = new Float64Array(MAX_CANDIDATES);
  private readonly dy = new Float64Array(MAX_CANDIDATES);
  private readonly dz = new Float64Array(MAX_CANDIDATES);
  private readonly il2 = new Float64Array(MAX_CANDIDATES);
  private readonly rr = new Float64Array(MAX_CANDIDATES);
  private readonly kind = new Uint8Array(MAX_CANDIDATES);
  private readonly svOf = new Int32Array(MAX_CANDIDATES);
  private readonly primOf = new Int32Array(MAX_CANDIDATES);

  constructor(
    private readonly prims: PrimitiveSet,
    private readonly somas: SomaSectors,
    private readonly blockSize = 64,
  ) {}

  private metric(i: number, px: number, py: number, pz: number): number {
    const wx = px - this.ax[i]!, wy = py - this.ay[i]!, wz = pz - this.az[i]!;
    let t = (wx * this.dx[i]! + wy * this.dy[i]! + wz * this.dz[i]!) * this.il2[i]!;
    if (t < 0) t = 0;
    else if (t > 1) t = 1;
    const ex = wx - t * this.dx[i]!, ey = wy - t * this.dy[i]!, ez = wz - t * this.dz[i]!;
    return Math.sqrt(ex * ex + ey * ey + ez * ez) - this.rr[i]!;
  }

  private loadCandidates(lo: Vec3, hi: Vec3): number {
    const p = this.prims;
    const ids = p.query(lo, hi, this.cand);
    if (ids.length > MAX_CANDIDATES) throw new Error(`too many capsules near block (${ids.length})`);
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      this.ax[k] = p.ax[id]!;
      this.ay[k] = p.ay[id]!;
      this.az[k] = p.az[id]!;
      const dx = p.bx[id]! - p.ax[id]!, dy = p.by[id]! - p.ay[id]!, dz = p.bz[id]! - p.az[id]!;
      this.dx[k] = dx;
      this.dy[k] = dy;
      this.dz[k] = dz;
      const l2 = dx * dx + dy * dy + dz * dz;
      this.il2[k] = l2 > 0 ? 1 / l2 : 0;
      this.rr[k] = p.r[id]!;
      this.kind[k] = p.kind[id]!;
      this.svOf[k] = p.sv[id]!;
      this.primOf[k] = id;
    }
    return ids.length;
  }

  /** Supervoxel index (0 = none) and voxel class of the winner `w` at point p. */
  private resolve(w: number, m: number, px: number, py: number, pz: number, out: { sv: number; cls: number }): void {
    if (w < 0 || m > SHAPE.labelCap) {
      out.sv = 0;
      out.cls = CLASS_EXTRACELLULAR;
      return;
    }
    const k = this.kind[w]!;
    if (k === KIND_TRACHEA) {
      out.sv = 0;
      out.cls = m < 0 ? CLASS_TRACHEA : CLASS_EXTRACELLULAR;
      return;
    }
    if (k === KIND_SOMA) {
      const s = this.somas.get(this.primOf[w]!)!;
      const wx = px - this.ax[w]!, wy = py - this.ay[w]!, wz = pz - this.az[w]!;
      const sector = (wx * s.u[0] + wy * s.u[1] + wz * s.u[2] >= 0 ? 1 : 0) + (wx * s.v[0] + wy * s.v[1] + wz * s.v[2] >= 0 ? 2 : 0);
      out.sv = s.svs[sector]!;
      out.cls = CLASS_CELL_BODY;
      return;
    }
    out.sv = this.svOf[w]!;
    out.cls = CLASS_NEUROPIL;
  }

  /** Label of one voxel (used to verify synapse, skeleton and bookmark positions). */
  labelAt(x: number, y: number, z: number): { sv: number; cls: number } {
    const pad = SHAPE.labelCap + 8;
    const n = this.loadCandidates([x - pad, y - pad, z - pad], [x + pad, y + pad, z + pad]);
    const px = x + 0.5, py = y + 0.5, pz = z + 0.5;
    let best = Infinity, w = -1;
    for (let i = 0; i < n; i++) {
      const m = this.metric(i, px, py, pz);
      if (m < best) {
        best = m;
        w = i;
      }
    }
    const out = { sv: 0, cls: 0 };
    this.resolve(w, best, px, py, pz, out);
    return out;
  }

  /**
   * Labels a whole block: sv[i] (supervoxel index, 0 = none) and cls[i] (voxel class), ZYX order,
   * x fastest. Returns false when every voxel is 0 (an absent block, as in DVID).
   *
   * The block is cut octree-wise (16³ → 8³ → 4³ → 2³ → voxel); at each cube only the capsules that
   * can still win somewhere inside it (lower bound ≤ the best upper bound, and within the cap) are
   * kept, and a cube with a single possible winner is filled whole.
   */
  labelBlock(bx: number, by: number, bz: number, sv: Uint32Array, cls: Uint8Array): boolean {
    const B = this.blockSize;
    const ox = bx * B, oy = by * B, oz = bz * B;
    const pad = SHAPE.labelCap + 8;
    const n = this.loadCandidates([ox - pad, oy - pad, oz - pad], [ox + B + pad, oy + B + pad, oz + B + pad]);
    const all = this.lists[0]!;
    for (let i = 0; i < n; i++) all[i] = i;
    this.any = false;
    this.outSv = sv;
    this.outCls = cls;
    this.origin[0] = ox;
    this.origin[1] = oy;
    this.origin[2] = oz;
    for (let z = 0; z < B; z += 16) for (let y = 0; y < B; y += 16) for (let x = 0; x < B; x += 16) this.cube(x, y, z, 16, 0, n);
    return this.any;
  }

  private any = false;
  private outSv: Uint32Array = new Uint32Array(0);
  private outCls: Uint8Array = new Uint8Array(0);
  private readonly origin = [0, 0, 0];
  private readonly lists = [0, 1, 2, 3, 4, 5].map(() => new Int32Array(MAX_CANDIDATES));
  private readonly metrics = [0, 1, 2, 3, 4, 5].map(() => new Float64Array(MAX_CANDIDATES));

  private fill(x: number, y: number, z: number, s: number, svValue: number, clsValue: number): void {
    const B = this.blockSize;
    if (svValue !== 0) this.any = true;
    for (let k = 0; k < s; k++)
      for (let j = 0; j < s; j++) {
        const base = ((z + k) * B + y + j) * B + x;
        this.outSv.fill(svValue, base, base + s);
        this.outCls.fill(clsValue, base, base + s);
      }
  }

  /** Cube [x, x+s)³ (block-local) with the candidates lists[depth][0..count). */
  private cube(x: number, y: number, z: number, s: number, depth: number, count: number): void {
    const cap = SHAPE.labelCap;
    const list = this.lists[depth]!;
    if (count === 0) {
      this.fill(x, y, z, s, 0, CLASS_EXTRACELLULAR);
      return;
    }
    const cx = this.origin[0]! + x + s / 2, cy = this.origin[1]! + y + s / 2, cz = this.origin[2]! + z + s / 2;
    const ms = this.metrics[depth]!;
    if (s === 1) {
      let best = Infinity, w = -1;
      for (let k = 0; k < count; k++) {
        const m = this.metric(list[k]!, cx, cy, cz);
        if (m < best) {
          best = m;
          w = list[k]!;
        }
      }
      const out = this.scratchOut;
      this.resolve(w, best, cx, cy, cz, out);
      const i = (z * this.blockSize + y) * this.blockSize + x;
      this.outSv[i] = out.sv;
      this.outCls[i] = out.cls;
      if (out.sv !== 0) this.any = true;
      return;
    }
    const h = (s * Math.sqrt(3)) / 2;
    let minUpper = Infinity, w = -1;
    for (let k = 0; k < count; k++) {
      const m = this.metric(list[k]!, cx, cy, cz);
      ms[k] = m;
      if (m + h < minUpper) {
        minUpper = m + h;
        w = list[k]!;
      }
    }
    const bound = Math.min(minUpper, cap);
    const next = this.lists[depth + 1]!;
    let kept = 0;
    for (let k = 0; k < count; k++) if (ms[k]! - h <= bound) next[kept++] = list[k]!;
    if (kept === 0) {
      this.fill(x, y, z, s, 0, CLASS_EXTRACELLULAR);
      return;
    }
    if (minUpper <= cap) {
      if (kept === 1 && this.uniformFill(w, minUpper - h, h, cx, cy, cz, x, y, z, s)) return;
      // Capsules of one neurite supervoxel compete near their joints but give the same label.
      if (kept > 1 && this.kind[w] === KIND_NEURITE) {
        const label = this.svOf[w]!;
        let same = true;
        for (let k = 0; k < kept && same; k++) same = this.kind[next[k]!] === KIND_NEURITE && this.svOf[next[k]!] === label;
        if (same) {
          this.fill(x, y, z, s, label, CLASS_NEUROPIL);
          return;
        }
      }
    }
    const half = s / 2;
    for (let dz = 0; dz < s; dz += half) for (let dy = 0; dy < s; dy += half) for (let dx = 0; dx < s; dx += half) this.cube(x + dx, y + dy, z + dz, half, depth + 1, kept);
  }

  private readonly scratchOut = { sv: 0, cls: 0 };

  /** Fills the cube when winner w's label cannot change inside it; false when it can. */
  private uniformFill(w: number, mCentre: number, h: number, cx: number, cy: number, cz: number, x: number, y: number, z: number, s: number): boolean {
    const k = this.kind[w]!;
    if (k === KIND_TRACHEA) {
      // Inside everywhere (trachea lumen) or outside everywhere (a sheath of extracellular space).
      if (mCentre + h < 0) this.fill(x, y, z, s, 0, CLASS_TRACHEA);
      else if (mCentre - h > 0) this.fill(x, y, z, s, 0, CLASS_EXTRACELLULAR);
      else return false;
      return true;
    }
    if (k === KIND_SOMA) {
      const so = this.somas.get(this.primOf[w]!)!;
      const wx = cx - this.ax[w]!, wy = cy - this.ay[w]!, wz = cz - this.az[w]!;
      const du = wx * so.u[0] + wy * so.u[1] + wz * so.u[2], dv = wx * so.v[0] + wy * so.v[1] + wz * so.v[2];
      if (Math.abs(du) <= h || Math.abs(dv) <= h) return false;
      this.fill(x, y, z, s, so.svs[(du >= 0 ? 1 : 0) + (dv >= 0 ? 2 : 0)]!, CLASS_CELL_BODY);
      return true;
    }
    this.fill(x, y, z, s, this.svOf[w]!, CLASS_NEUROPIL);
    return true;
  }
}
