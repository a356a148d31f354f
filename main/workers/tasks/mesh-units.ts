/**
 * Cached mesh files to the body view's space (scale-0 voxels of the segmentation): the units
 * decision, and a prepared preview (formats/prepared-mesh.ts, kept in source units) made into the
 * `bodyMesh` result (layout "DDMS", preload/binary.ts).
 *
 * Units. FlyEM keeps meshes in nanometres (`segmentation_meshes`, `roisSmoothedDecimated`); a mesh
 * is divided by the voxel size unless `units` says otherwise. With `units: 'auto'` and the volume's
 * extent known, a mesh whose nanometre reading lies outside the volume but whose plain reading lies
 * inside is taken as voxels already (some tools write voxel-space meshes). The decision is made on
 * the bounds of the whole source mesh, so a preview and its full mesh always agree.
 */
import { allocMesh } from '../../../preload/binary';
import type { PreparedMesh } from '../../formats/prepared-mesh';

type Box = { min: readonly number[]; max: readonly number[] };

export interface UnitsFrame {
  /** nm per voxel along x, y, z (the labelmap's VoxelSize) */
  voxelSize: readonly [number, number, number] | readonly number[];
  /** scale-0 voxel box of the volume (MinPoint, MaxPoint inclusive), when known */
  extent: Box | null;
  units: 'auto' | 'nm' | 'voxels';
}

function overlaps(a: Box, b: Box): boolean {
  for (let i = 0; i < 3; i++) if (a.max[i]! < b.min[i]! || a.min[i]! > b.max[i]!) return false;
  return true;
}

/** The extent grown by half its size on each side: a mesh may poke a little past the volume. */
function grown(e: Box): Box {
  const pad = [0, 1, 2].map((i) => (e.max[i]! - e.min[i]! + 1) / 2);
  return { min: e.min.map((v, i) => v - pad[i]!), max: e.max.map((v, i) => v + pad[i]!) };
}

/** True when the mesh's coordinates are voxels already (see the module comment). */
export function meshInVoxels(bounds: Box, args: UnitsFrame): boolean {
  if (args.units !== 'auto') return args.units === 'voxels';
  if (args.voxelSize.every((s) => s === 1) || !args.extent) return false;
  const inNm: Box = { min: bounds.min.map((v, i) => v / args.voxelSize[i]!), max: bounds.max.map((v, i) => v / args.voxelSize[i]!) };
  const room = grown(args.extent);
  return !overlaps(inNm, room) && overlaps(bounds, room);
}

/** Per-axis factor from source units to voxels. */
export function voxelScale(bounds: Box, frame: UnitsFrame): { inVoxels: boolean; k: [number, number, number] } {
  const inVoxels = meshInVoxels(bounds, frame);
  return { inVoxels, k: inVoxels ? [1, 1, 1] : [1 / frame.voxelSize[0]!, 1 / frame.voxelSize[1]!, 1 / frame.voxelSize[2]!] };
}

/**
 * A prepared preview as the `bodyMesh` result: positions scaled to voxels, normals carried over (or,
 * under an anisotropic voxel size, turned by the inverse transpose of the scaling and renormalized),
 * indices copied. Bounds are the whole source mesh's, so the view frames the same box before and
 * after the full mesh replaces the preview. One linear pass: ≈ 1 ms for a 30 k-triangle preview, so
 * the body view runs it on its calling thread.
 */
export function previewToMeshBuffer(p: PreparedMesh, frame: UnitsFrame): ArrayBuffer {
  const nv = p.positions.length / 3;
  const nt = p.indices.length / 3;
  const { inVoxels, k } = voxelScale(p.source, frame);
  const out = allocMesh(nv, nt, {
    normals: true,
    min: p.source.min.map((x, i) => x * k[i]!),
    max: p.source.max.map((x, i) => x * k[i]!),
    sourceInVoxels: inVoxels,
    sourceFormat: p.source.format,
    decimated: nt < p.source.triangles,
    outward: p.outward,
  });
  const [kx, ky, kz] = k;
  const src = p.positions, pos = out.positions;
  for (let i = 0; i < src.length; i += 3) {
    pos[i] = src[i]! * kx;
    pos[i + 1] = src[i + 1]! * ky;
    pos[i + 2] = src[i + 2]! * kz;
  }
  const nrm = out.normals!;
  if (kx === ky && ky === kz) nrm.set(p.normals);
  else {
    // n' ∝ n / k (the inverse transpose of diag(k)), renormalized.
    const sx = 1 / kx, sy = 1 / ky, sz = 1 / kz;
    for (let j = 0; j < nrm.length; j += 4) {
      const x = p.normals[j]! * sx, y = p.normals[j + 1]! * sy, z = p.normals[j + 2]! * sz;
      const len = Math.hypot(x, y, z);
      const s = len > 0 ? 127 / len : 0;
      nrm[j] = Math.round(x * s);
      nrm[j + 1] = Math.round(y * s);
      nrm[j + 2] = Math.round(z * s);
      nrm[j + 3] = 0;
    }
  }
  out.indices.set(p.indices);
  return out.buffer;
}
