/** Worker side of preparePreviewTask (see prepare-preview.ts). */
import { meshBounds } from '../../formats/mesh';
import { encodePreparedMesh } from '../../formats/prepared-mesh';
import { defineHandler } from '../registry';
import { decimateByClustering } from './mesh-decimate';
import { decodeMeshFile } from './mesh-decode';
import { vertexNormals } from './mesh-normals';
import { flipWinding, windingOf } from './mesh-winding';
import { PREVIEW_ALGORITHM, preparePreviewTask, type PreparePreviewArgs } from './prepare-preview';

export async function preparePreview(args: PreparePreviewArgs): Promise<{ buffer: ArrayBuffer | null }> {
  const { mesh, format } = await decodeMeshFile(args.bytes, args.what);
  const full = mesh.faces.length / 3;
  if (full <= args.maxTriangles) return { buffer: null };
  const bounds = meshBounds(mesh);
  if (!bounds.min.every(Number.isFinite) || !bounds.max.every(Number.isFinite)) return { buffer: null };
  // Culling is decided on the whole source, the preview follows it (clustering keeps orientation).
  const winding = windingOf(mesh.vertices, mesh.faces);
  const d = decimateByClustering(mesh.vertices, mesh.faces, args.maxTriangles);
  if (winding === 'inward') flipWinding(d.faces);
  const nt = d.faces.length / 3;
  if (nt === 0 || nt >= full) return { buffer: null };
  const normals = new Int8Array((4 * d.vertices.length) / 3);
  vertexNormals(d.vertices, d.faces, normals);
  const bytes = encodePreparedMesh({
    algorithm: PREVIEW_ALGORITHM,
    maxTriangles: args.maxTriangles,
    outward: winding !== 'open',
    turned: winding === 'inward',
    source: { format, vertices: mesh.vertices.length / 3, triangles: full, min: bounds.min, max: bounds.max, hash: args.hash },
    positions: d.vertices,
    normals,
    indices: d.faces,
  });
  return { buffer: bytes.buffer as ArrayBuffer };
}

export const preparePreviewHandler = defineHandler(preparePreviewTask, preparePreview, (r) => (r.buffer ? [r.buffer] : []));
