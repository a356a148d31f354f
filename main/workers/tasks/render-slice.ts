/**
 * Task: one window of one plane of a labelmap at one scale, from cached blocks, as body ids: the
 * `slice` API result (layout "DDSL", preload/binary.ts). The caller (main/view/slice.ts) reads the
 * blocks the window crosses from the cache and the supervoxel → body rows of their labels; the worker
 * decodes only the plane of each block (formats/label-block-plane.ts), maps every table entry once,
 * and writes the palette indices straight into the transferred result.
 *
 * A block the caller does not list is not in the cache: its pixels get palette index 0 (MISSING),
 * never label 0. A listed block with `data: null` is one the server has none of (label 0).
 */
import type { PlaneAxis } from '../../formats/label-block-plane';
import { defineTask } from '../task';

export interface SliceBlock {
  /** block coordinates along the plane's u and v axes */
  bu: number;
  bv: number;
  /** the DVID Block bytes as stored, or null: the server has no block here (all label 0) */
  data: Uint8Array | null;
}

export interface RenderSliceArgs {
  axis: PlaneAxis;
  scale: number;
  /** the fixed coordinate, voxels of this scale */
  position: number;
  /** window: first column / row and size, voxels of this scale */
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** block size along x, y, z */
  blockSize: [number, number, number];
  blocks: SliceBlock[];
  /**
   * Supervoxel → body (parallel arrays). A label without a row is its own body (DVID's rule for
   * unmapped supervoxels). null: the stored labels are bodies already.
   */
  map: { svs: BigUint64Array; bodies: BigUint64Array } | null;
}

export const renderSliceTask = defineTask<RenderSliceArgs, { buffer: ArrayBuffer }>('renderSlice');
