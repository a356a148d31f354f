/** Worker side of prepareMeshTask (see prepare-mesh.ts). */
import { allocMesh } from '../../../preload/binary';
import { meshBounds } from '../../formats/mesh';
import { defineHandler } from '../registry';
import { decodeMeshFile } from './mesh-decode';
import { vertexNormals } from './mesh-normals';
import { voxelScale } from './mesh-units';
import { flipWinding, windingOf } from './mesh-winding';
import { prepareMeshTask, type PrepareMeshArgs } from './prepare-mesh';

export async function prepareMesh(args: PrepareMeshArgs): Promise<{ buffer: ArrayBuffer }> {
  const { mesh, format } = await decodeMeshFile(args.bytes, args.what);
  const { vertices: v, faces: f } = mesh;
  const nv = v.length / 3;
  const nt = f.length / 3;
  const raw = meshBounds(mesh);
  const { inVoxels, k } = nv ? voxelScale(raw, args) : { inVoxels: true, k: [1, 1, 1] };
  const min = raw.min.map((x, i) => (nv ? x * k[i]! : 0));
  const max = raw.max.map((x, i) => (nv ? x * k[i]! : 0));
  const winding = windingOf(v, f);
  const out = allocMesh(nv, nt, { normals: true, min, max, sourceInVoxels: inVoxels, sourceFormat: format, decimated: false, outward: winding !== 'open' });
  const pos = out.positions;
  const kx = k[0]!, ky = k[1]!, kz = k[2]!;
  for (let i = 0; i < v.length; i += 3) {
    pos[i] = v[i]! * kx;
    pos[i + 1] = v[i + 1]! * ky;
    pos[i + 2] = v[i + 2]! * kz;
  }
  out.indices.set(f);
  if (winding === 'inward') flipWinding(out.indices);
  vertexNormals(pos, out.indices, out.normals!);
  return { buffer: out.buffer };
}

export const prepareMeshHandler = defineHandler(prepareMeshTask, prepareMesh, (r) => [r.buffer]);
