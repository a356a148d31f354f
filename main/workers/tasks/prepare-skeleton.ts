/**
 * Task: a cached SWC skeleton made ready to draw: the `bodySkeleton` API result (layout "DDSK",
 * preload/binary.ts): node positions and radii in scale-0 voxels, SWC types, and one edge per
 * node with a parent (child, parent), checked by the SWC parser (unique ids, parents exist, no cycle).
 *
 * Units. FlyEM body skeletons (`segmentation_skeletons`, neuPrint) are in voxels; with `units:
 * 'auto'` and the volume's extent known, a skeleton that lies outside the volume as voxels but
 * inside it once divided by the voxel size is taken as nanometres.
 */
import { defineTask } from '../task';

export interface PrepareSkeletonArgs {
  bytes: Uint8Array;
  voxelSize: [number, number, number];
  extent: { min: [number, number, number]; max: [number, number, number] } | null;
  units: 'auto' | 'nm' | 'voxels';
  what: string;
}

export const prepareSkeletonTask = defineTask<PrepareSkeletonArgs, { buffer: ArrayBuffer }>('prepareSkeleton');
