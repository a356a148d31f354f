/** Worker side of prepareMeshTask (see prepare-mesh.ts). */
import { allocMesh } from '../../../preload/binary';
import { decodeDraco } from '../../formats/draco';
import { FormatError } from '../../formats/format-error';
import { meshBounds, sniffMeshFormat, type Mesh } from '../../formats/mesh';
import { decodeNgmesh } from '../../formats/ngmesh';
import { decodeObj } from '../../formats/obj';
import { decodePly } from '../../formats/ply';
import { defineHandler } from '../registry';
import { decimateByClustering } from './mesh-decimate';
import { prepareMeshTask, type PrepareMeshArgs } from './prepare-mesh';

type Box = { min: readonly number[]; max: readonly number[] };

function overlaps(a: Box, b: Box): boolean {
  for (let i = 0; i < 3; i++) if (a.max[i]! < b.min[i]! || a.min[i]! > b.max[i]!) return false;
  return true;
}

/** The extent grown by half its size on each side: a mesh may poke a little past the volume. */
function grown(e: Box): Box {
  const pad = [0, 1, 2].map((i) => (e.max[i]! - e.min[i]! + 1) / 2);
  return { min: e.min.map((v, i) => v - pad[i]!), max: e.max.map((v, i) => v + pad[i]!) };
}

/** True when the mesh's coordinates are voxels already (see prepare-mesh.ts). */
export function meshInVoxels(bounds: Box, args: Pick<PrepareMeshArgs, 'voxelSize' | 'extent' | 'units'>): boolean {
  if (args.units !== 'auto') return args.units === 'voxels';
  if (args.voxelSize.every((s) => s === 1) || !args.extent) return false;
  const inNm: Box = { min: bounds.min.map((v, i) => v / args.voxelSize[i]!), max: bounds.max.map((v, i) => v / args.voxelSize[i]!) };
  const room = grown(args.extent);
  return !overlaps(inNm, room) && overlaps(bounds, room);
}

async function decode(bytes: Uint8Array, what: string): Promise<{ mesh: Mesh; format: 'ngmesh' | 'draco' | 'obj' | 'ply' }> {
  const format = sniffMeshFormat(bytes);
  switch (format) {
    case 'ngmesh':
      return { mesh: decodeNgmesh(bytes), format };
    case 'draco':
      return { mesh: await decodeDraco(bytes), format };
    case 'obj':
      return { mesh: decodeObj(bytes), format };
    case 'ply':
      return { mesh: decodePly(bytes), format };
    default:
      throw new FormatError('mesh', 0, `${what} is not a mesh this app reads (ngmesh, Draco, OBJ or PLY)`);
  }
}

export async function prepareMesh(args: PrepareMeshArgs): Promise<{ buffer: ArrayBuffer }> {
  const { mesh, format } = await decode(args.bytes, args.what);
  const full = mesh.faces.length / 3;
  const { vertices: v, faces: f } = args.maxTriangles !== undefined ? decimateByClustering(mesh.vertices, mesh.faces, args.maxTriangles) : mesh;
  const nv = v.length / 3;
  const nt = f.length / 3;
  const raw = meshBounds({ vertices: v, faces: f });
  const inVoxels = nv === 0 || meshInVoxels(raw, args);
  const k = inVoxels ? [1, 1, 1] : args.voxelSize.map((s) => 1 / s);
  const min = raw.min.map((x, i) => (nv ? x * k[i]! : 0));
  const max = raw.max.map((x, i) => (nv ? x * k[i]! : 0));
  const out = allocMesh(nv, nt, { normals: true, min, max, sourceInVoxels: inVoxels, sourceFormat: format, decimated: f.length / 3 < full });
  const pos = out.positions;
  const kx = k[0]!, ky = k[1]!, kz = k[2]!;
  for (let i = 0; i < v.length; i += 3) {
    pos[i] = v[i]! * kx;
    pos[i + 1] = v[i + 1]! * ky;
    pos[i + 2] = v[i + 2]! * kz;
  }
  out.indices.set(f);
  // Area-weighted normals: the unnormalized face normal (cross product) added to its three corners.
  const acc = new Float32Array(3 * nv);
  for (let t = 0; t < f.length; t += 3) {
    const a = 3 * f[t]!, b = 3 * f[t + 1]!, c = 3 * f[t + 2]!;
    const e1x = pos[b]! - pos[a]!, e1y = pos[b + 1]! - pos[a + 1]!, e1z = pos[b + 2]! - pos[a + 2]!;
    const e2x = pos[c]! - pos[a]!, e2y = pos[c + 1]! - pos[a + 1]!, e2z = pos[c + 2]! - pos[a + 2]!;
    const nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
    acc[a] = acc[a]! + nx;
    acc[a + 1] = acc[a + 1]! + ny;
    acc[a + 2] = acc[a + 2]! + nz;
    acc[b] = acc[b]! + nx;
    acc[b + 1] = acc[b + 1]! + ny;
    acc[b + 2] = acc[b + 2]! + nz;
    acc[c] = acc[c]! + nx;
    acc[c + 1] = acc[c + 1]! + ny;
    acc[c + 2] = acc[c + 2]! + nz;
  }
  const nrm = out.normals!;
  for (let i = 0, j = 0; i < acc.length; i += 3, j += 4) {
    const x = acc[i]!, y = acc[i + 1]!, z = acc[i + 2]!;
    const len = Math.hypot(x, y, z);
    const s = len > 0 ? 127 / len : 0;
    nrm[j] = Math.round(x * s);
    nrm[j + 1] = Math.round(y * s);
    nrm[j + 2] = Math.round(z * s);
  }
  return { buffer: out.buffer };
}

export const prepareMeshHandler = defineHandler(prepareMeshTask, prepareMesh, (r) => [r.buffer]);
