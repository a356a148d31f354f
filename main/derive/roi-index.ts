/**
 * ROI membership of synapse points, computed locally from the ROI spans (RoiBlockSet per ROI).
 *
 * A point is tested only against the ROIs whose spans touch its cell of a coarse grid (cells of
 * CELL_BLOCKS³ ROI blocks, 256³ voxels for 32³ blocks): a dense Int32 table over the ROIs' joint
 * bounding box lists the candidate ROIs per cell (CSR layout: `cellStart[c] … cellStart[c+1]`
 * index into `cellSlots`). A hemibrain-sized box (~140³ cells) is ~11 MB. When the box would need
 * more than MAX_CELLS cells, cells double in size until it fits. Membership is exact: the grid only
 * narrows which RoiBlockSets are asked.
 */
import { RoiBlockSet, type RoiSpan } from '../formats/roi-spans';

export interface RoiShape {
  /** Position in the ctx's ROI list (derived.rois.slot). */
  slot: number;
  spans: readonly RoiSpan[];
  blockSize: number;
}

const CELL_BLOCKS = 8;
const MAX_CELLS = 1 << 22;

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

export class RoiIndex {
  readonly count: number;
  readonly #sets: RoiBlockSet[];
  readonly #cell: number;
  readonly #ox: number;
  readonly #oy: number;
  readonly #oz: number;
  readonly #nx: number;
  readonly #ny: number;
  readonly #nz: number;
  readonly #cellStart: Int32Array;
  readonly #cellSlots: Int32Array;

  constructor(rois: readonly RoiShape[]) {
    this.count = rois.length;
    this.#sets = [];
    for (const r of rois) this.#sets[r.slot] = new RoiBlockSet(r.spans, r.blockSize);

    // Joint bounding box in voxels (half-open).
    let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
    let cell = CELL_BLOCKS * 32;
    for (const r of rois) {
      const b = r.blockSize;
      cell = Math.max(cell, CELL_BLOCKS * b);
      for (const [z, y, a, e] of r.spans) {
        if (a * b < x0) x0 = a * b;
        if ((e + 1) * b > x1) x1 = (e + 1) * b;
        if (y * b < y0) y0 = y * b;
        if ((y + 1) * b > y1) y1 = (y + 1) * b;
        if (z * b < z0) z0 = z * b;
        if ((z + 1) * b > z1) z1 = (z + 1) * b;
      }
    }
    if (x0 === Infinity) {
      this.#cell = cell;
      this.#ox = this.#oy = this.#oz = 0;
      this.#nx = this.#ny = this.#nz = 0;
      this.#cellStart = new Int32Array(1);
      this.#cellSlots = new Int32Array(0);
      return;
    }
    const dims = (c: number) => [floorDiv(x1 - 1, c) - floorDiv(x0, c) + 1, floorDiv(y1 - 1, c) - floorDiv(y0, c) + 1, floorDiv(z1 - 1, c) - floorDiv(z0, c) + 1] as const;
    let [nx, ny, nz] = dims(cell);
    while (nx * ny * nz > MAX_CELLS) {
      cell *= 2;
      [nx, ny, nz] = dims(cell);
    }
    this.#cell = cell;
    this.#ox = floorDiv(x0, cell);
    this.#oy = floorDiv(y0, cell);
    this.#oz = floorDiv(z0, cell);
    this.#nx = nx;
    this.#ny = ny;
    this.#nz = nz;

    // Two passes over the spans: count candidates per cell, then fill. `last` dedups a ROI per cell.
    const cells = nx * ny * nz;
    const counts = new Int32Array(cells + 1);
    const last = new Int32Array(cells).fill(-1);
    const forEachCell = (r: RoiShape, fn: (c: number) => void) => {
      const b = r.blockSize;
      for (const [z, y, a, e] of r.spans) {
        const ca = floorDiv(a * b, cell) - this.#ox;
        const ce = floorDiv((e + 1) * b - 1, cell) - this.#ox;
        // A block straddles cells only when the block sizes of the ROIs differ and do not divide the cell.
        for (let cz = floorDiv(z * b, cell) - this.#oz, ez = floorDiv((z + 1) * b - 1, cell) - this.#oz; cz <= ez; cz++) {
          for (let cy = floorDiv(y * b, cell) - this.#oy, ey = floorDiv((y + 1) * b - 1, cell) - this.#oy; cy <= ey; cy++) {
            const base = (cz * ny + cy) * nx;
            for (let cx = ca; cx <= ce; cx++) fn(base + cx);
          }
        }
      }
    };
    for (const r of rois) {
      forEachCell(r, (c) => {
        if (last[c] !== r.slot) {
          last[c] = r.slot;
          counts[c + 1]!++;
        }
      });
    }
    for (let c = 0; c < cells; c++) counts[c + 1]! += counts[c]!;
    const fill = counts.slice(0, cells);
    const slots = new Int32Array(counts[cells]!);
    last.fill(-1);
    for (const r of rois) {
      forEachCell(r, (c) => {
        if (last[c] !== r.slot) {
          last[c] = r.slot;
          slots[fill[c]!++] = r.slot;
        }
      });
    }
    this.#cellStart = counts;
    this.#cellSlots = slots;
  }

  /** Writes the slots of the ROIs containing voxel (x, y, z) into `out` (ascending); returns how many. */
  slotsAt(x: number, y: number, z: number, out: number[]): number {
    const cx = Math.floor(x / this.#cell) - this.#ox;
    const cy = Math.floor(y / this.#cell) - this.#oy;
    const cz = Math.floor(z / this.#cell) - this.#oz;
    if (cx < 0 || cy < 0 || cz < 0 || cx >= this.#nx || cy >= this.#ny || cz >= this.#nz) return 0;
    const c = (cz * this.#ny + cy) * this.#nx + cx;
    let n = 0;
    for (let k = this.#cellStart[c]!, end = this.#cellStart[c + 1]!; k < end; k++) {
      const s = this.#cellSlots[k]!;
      if (this.#sets[s]!.containsVoxel(x, y, z)) out[n++] = s;
    }
    if (n > 1) {
      // Ascending slots, so callers can compare lists; n is tiny (overlapping ROIs).
      for (let i = 1; i < n; i++) {
        const v = out[i]!;
        let j = i - 1;
        while (j >= 0 && out[j]! > v) {
          out[j + 1] = out[j]!;
          j--;
        }
        out[j + 1] = v;
      }
    }
    return n;
  }
}
