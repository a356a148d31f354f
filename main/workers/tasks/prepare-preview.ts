/**
 * Task: the decimated preview of a cached mesh file as a prepared-mesh file ("DDPM",
 * formats/prepared-mesh.ts): decode, bounds of the whole mesh, vertex clustering to at most about
 * `maxTriangles` (mesh-decimate.ts), area-weighted normals, all in the source's units so the file
 * serves every node whatever its voxel frame. `buffer` is null when decimation would not leave fewer
 * triangles (the mesh is small enough to draw whole) or would leave none.
 *
 * Made at sync for big body meshes (sync/syncers/mesh-previews.ts) and on a first request that
 * finds none (view/service.ts); both keep it in the cache (cache/prepared-store.ts). Cost for a
 * 7.5 MB ngmesh (414 k triangles → 30 k): about 150 ms on one core.
 */
import { defineTask } from '../task';

/**
 * Version of what this task computes. Part of the prepared file's name and header: change it
 * whenever the decimation or the normals change, so files made by the old code are not served.
 */
export const PREVIEW_ALGORITHM = 1;

export interface PreparePreviewArgs {
  bytes: Uint8Array;
  /** sha256 of `bytes`, recorded in the file */
  hash: Uint8Array;
  maxTriangles: number;
  /** where the bytes came from, for error messages */
  what: string;
}

export const preparePreviewTask = defineTask<PreparePreviewArgs, { buffer: ArrayBuffer | null }>('preparePreview');
