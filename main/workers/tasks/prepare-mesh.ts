/**
 * Task: a cached mesh file (ngmesh, Draco, OBJ or PLY, told from its bytes) made ready to draw at
 * full resolution: the `bodyMesh` / `roiMesh` API result (layout "DDMS", preload/binary.ts). The
 * worker decodes, brings the positions into scale-0 voxels (the space of synapses, skeletons and
 * slices; units decided as in mesh-units.ts), computes area-weighted vertex normals (so the
 * renderer uploads and draws, nothing else) and the bounds. A decimated preview is another task
 * (prepare-preview.ts). Cost for a 7.5 MB ngmesh (414 k triangles): about 60 ms on one core.
 */
import { defineTask } from '../task';
import type { UnitsFrame } from './mesh-units';

export interface PrepareMeshArgs extends UnitsFrame {
  bytes: Uint8Array;
  voxelSize: [number, number, number];
  extent: { min: [number, number, number]; max: [number, number, number] } | null;
  /** where the bytes came from, for error messages */
  what: string;
}

export const prepareMeshTask = defineTask<PrepareMeshArgs, { buffer: ArrayBuffer }>('prepareMesh');
