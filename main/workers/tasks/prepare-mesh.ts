/**
 * Task: a cached mesh file (ngmesh, Draco, OBJ or PLY, told from its bytes) made ready to draw: the
 * `bodyMesh` / `roiMesh` API result (layout "DDMS", preload/binary.ts). The worker decodes, brings
 * the positions into scale-0 voxels (the space of synapses, skeletons and slices), computes
 * area-weighted vertex normals (so the renderer uploads and draws, nothing else) and the bounds.
 *
 * Units. FlyEM keeps meshes in nanometres (`segmentation_meshes`, `roisSmoothedDecimated`); a mesh
 * is divided by the voxel size unless `units` says otherwise. With `units: 'auto'` and the volume's
 * extent known, a mesh whose nanometre reading lies outside the volume but whose plain reading lies
 * inside is taken as voxels already (some tools write voxel-space meshes).
 */
import { defineTask } from '../task';

export interface PrepareMeshArgs {
  bytes: Uint8Array;
  /** nm per voxel along x, y, z (the labelmap's VoxelSize) */
  voxelSize: [number, number, number];
  /** scale-0 voxel box of the volume (MinPoint, MaxPoint inclusive), when known */
  extent: { min: [number, number, number]; max: [number, number, number] } | null;
  units: 'auto' | 'nm' | 'voxels';
  /** where the bytes came from, for error messages */
  what: string;
  /** decimate (vertex clustering, mesh-decimate.ts) to at most about this many triangles: a quick preview */
  maxTriangles?: number;
}

export const prepareMeshTask = defineTask<PrepareMeshArgs, { buffer: ArrayBuffer }>('prepareMesh');
