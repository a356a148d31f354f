/**
 * Capsules (segments with a radius; a sphere is a capsule of length 0) with a uniform-grid spatial
 * index. Neurites, somas, tracheae and mitochondria are all stored this way; the labeller and the
 * growth's collision checks ask the index for the capsules near a box.
 */
import { pointSegmentDistance, segmentSegmentDistance, type Vec3 } from './geometry';

export const KIND_NEURITE = 0;
export const KIND_SOMA = 1;
export const KIND_TRACHEA = 2;

/** A PrimitiveSet's capsules as typed arrays (to hand them to worker threads). */
export interface PrimitiveArrays {
  ax: Float64Array;
  ay: Float64Array;
  az: Float64Array;
  bx: Float64Array;
  by: Float64Array;
  bz: Float64Array;
  r: Float64Array;
  body: Int32Array;
  sv: Int32Array;
  kind: Uint8Array;
}

export class PrimitiveSet {
  ax: number[] = [];
  ay: number[] = [];
  az: number[] = [];
  bx: number[] = [];
  by: number[] = [];
  bz: number[] = [];
  r: number[] = [];
  /** Owner body (index into the body list), -1 for tracheae. */
  body: number[] = [];
  /** Supervoxel (index into the supervoxel list), -1 when not yet assigned. */
  sv: number[] = [];
  kind: number[] = [];

  private readonly cells: (number[] | undefined)[];
  private readonly gx: number;
  private readonly gy: number;
  private readonly gz: number;
  private stamp: Int32Array = new Int32Array(1024);
  private stampValue = 0;

  constructor(
    readonly extent: number,
    readonly cellSize = 16,
  ) {
    this.gx = this.gy = this.gz = Math.ceil(extent / cellSize) + 1;
    this.cells = Array.from({ length: this.gx * this.gy * this.gz });
  }

  get count(): number {
    return this.r.length;
  }

  toArrays(): PrimitiveArrays {
    return {
      ax: Float64Array.from(this.ax),
      ay: Float64Array.from(this.ay),
      az: Float64Array.from(this.az),
      bx: Float64Array.from(this.bx),
      by: Float64Array.from(this.by),
      bz: Float64Array.from(this.bz),
      r: Float64Array.from(this.r),
      body: Int32Array.from(this.body),
      sv: Int32Array.from(this.sv),
      kind: Uint8Array.from(this.kind),
    };
  }

  /** The same capsules, in the same order, with a fresh spatial index. */
  static fromArrays(a: PrimitiveArrays, extent: number, cellSize = 16): PrimitiveSet {
    const p = new PrimitiveSet(extent, cellSize);
    for (let i = 0; i < a.r.length; i++) p.add([a.ax[i]!, a.ay[i]!, a.az[i]!], [a.bx[i]!, a.by[i]!, a.bz[i]!], a.r[i]!, a.body[i]!, a.kind[i]!, a.sv[i]!);
    return p;
  }

  add(a: Vec3, b: Vec3, r: number, body: number, kind: number, sv = -1): number {
    const id = this.r.length;
    this.ax.push(a[0]);
    this.ay.push(a[1]);
    this.az.push(a[2]);
    this.bx.push(b[0]);
    this.by.push(b[1]);
    this.bz.push(b[2]);
    this.r.push(r);
    this.body.push(body);
    this.sv.push(sv);
    this.kind.push(kind);
    const [x0, x1] = this.cellRange(Math.min(a[0], b[0]) - r, Math.max(a[0], b[0]) + r);
    const [y0, y1] = this.cellRange(Math.min(a[1], b[1]) - r, Math.max(a[1], b[1]) + r);
    const [z0, z1] = this.cellRange(Math.min(a[2], b[2]) - r, Math.max(a[2], b[2]) + r);
    for (let z = z0; z <= z1; z++)
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++) {
          const k = (z * this.gy + y) * this.gx + x;
          (this.cells[k] ??= []).push(id);
        }
    return id;
  }

  private cellRange(lo: number, hi: number): [number, number] {
    const max = this.gx - 1;
    return [Math.max(0, Math.min(max, Math.floor(lo / this.cellSize))), Math.max(0, Math.min(max, Math.floor(hi / this.cellSize)))];
  }

  /** Every capsule whose cells touch the box [lo, hi] (a superset: callers measure distances). */
  query(lo: Vec3, hi: Vec3, out: number[] = []): number[] {
    out.length = 0;
    if (this.stamp.length < this.r.length) {
      const next = new Int32Array(Math.max(this.r.length * 2, 1024));
      next.set(this.stamp);
      this.stamp = next;
    }
    this.stampValue++;
    const [x0, x1] = this.cellRange(lo[0], hi[0]);
    const [y0, y1] = this.cellRange(lo[1], hi[1]);
    const [z0, z1] = this.cellRange(lo[2], hi[2]);
    for (let z = z0; z <= z1; z++)
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++) {
          const list = this.cells[(z * this.gy + y) * this.gx + x];
          if (!list) continue;
          for (const id of list) {
            if (this.stamp[id] === this.stampValue) continue;
            this.stamp[id] = this.stampValue;
            out.push(id);
          }
        }
    return out;
  }

  /** Surface-to-point distance of capsule `id` (negative inside). */
  surfaceDistance(id: number, p: Vec3): number {
    return pointSegmentDistance(p[0], p[1], p[2], this.ax[id]!, this.ay[id]!, this.az[id]!, this.bx[id]!, this.by[id]!, this.bz[id]!) - this.r[id]!;
  }

  /** Gap between the surface of capsule `id` and the capsule (a, b, r) (negative when they overlap). */
  gapTo(id: number, a: Vec3, b: Vec3, r: number): number {
    return segmentSegmentDistance(a, b, [this.ax[id]!, this.ay[id]!, this.az[id]!], [this.bx[id]!, this.by[id]!, this.bz[id]!]) - r - this.r[id]!;
  }

  a(id: number): Vec3 {
    return [this.ax[id]!, this.ay[id]!, this.az[id]!];
  }

  b(id: number): Vec3 {
    return [this.bx[id]!, this.by[id]!, this.bz[id]!];
  }
}
