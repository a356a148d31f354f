/**
 * Body meshes (`segmentation_meshes`, key `<body>.ngmesh`) and ROI meshes (`roisSmoothedDecimated`
 * and the NeuTu-style `rois`/`roi_data` pair): surface nets over the voxels, in nanometres
 * (FlyEM's .ngmesh convention: voxel coordinate × 8; a voxel v spans [v, v+1)).
 *
 * Body meshes are made from the segmentation at MESH_SCALE (the stored scale-3 blocks: 8 voxels =
 * 64 nm per mesh cell), as FlyEM meshes are made from a downsampled, decimated volume: every vertex
 * lies in a dual cell of that scale with at least one corner inside the body.
 */
import { encodeNgmesh } from '../../formats/ngmesh';
import { surfaceNets } from './surface-nets';

/** Meshes are made from the stored scale-3 segmentation (MAX_SCALE). */
export const MESH_SCALE = 3;
const NM_PER_VOXEL = 8;

/** ngmesh bytes from surface-nets output on a grid whose voxels are `cell` scale-0 voxels wide. */
export function toNgmesh(vertices: number[], faces: number[], cell: number, smooth = 0, neighbours?: number[][]): Uint8Array {
  let v = vertices;
  if (smooth > 0 && neighbours) {
    // Laplacian smoothing (ROI meshes only: "smoothed"); body meshes stay exact.
    for (let it = 0; it < smooth; it++) {
      const next = v.slice();
      for (let i = 0; i < neighbours.length; i++) {
        const nb = neighbours[i]!;
        if (nb.length === 0) continue;
        let sx = 0, sy = 0, sz = 0;
        for (const j of nb) {
          sx += v[3 * j]!;
          sy += v[3 * j + 1]!;
          sz += v[3 * j + 2]!;
        }
        next[3 * i] = 0.5 * v[3 * i]! + (0.5 * sx) / nb.length;
        next[3 * i + 1] = 0.5 * v[3 * i + 1]! + (0.5 * sy) / nb.length;
        next[3 * i + 2] = 0.5 * v[3 * i + 2]! + (0.5 * sz) / nb.length;
      }
      v = next;
    }
  }
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i]! + 0.5) * cell * NM_PER_VOXEL;
  return encodeNgmesh({ vertices: out, faces: Uint32Array.from(faces) });
}

function vertexNeighbours(vertexCount: number, faces: number[]): number[][] {
  const nb: Array<Set<number>> = Array.from({ length: vertexCount }, () => new Set());
  for (let f = 0; f < faces.length; f += 3) {
    const a = faces[f]!, b = faces[f + 1]!, c = faces[f + 2]!;
    nb[a]!.add(b).add(c);
    nb[b]!.add(a).add(c);
    nb[c]!.add(a).add(b);
  }
  return nb.map((s) => [...s]);
}

/**
 * Meshes of the given bodies at one version: `coarse` holds supervoxel indices at MESH_SCALE,
 * `mapping` maps them to body ids. Returns ngmesh bytes per body id (decimal string).
 */
export function bodyMeshes(coarse: Uint32Array, edge: number, mapping: BigUint64Array, bodies: readonly bigint[]): Map<string, Uint8Array> {
  const slot = new Map<bigint, number>();
  bodies.forEach((b, i) => slot.set(b, i));
  const svSlot = new Int32Array(mapping.length).fill(-1);
  for (let sv = 1; sv < mapping.length; sv++) {
    const s = slot.get(mapping[sv]!);
    if (s !== undefined) svSlot[sv] = s;
  }
  // Counting sort of the coarse voxels by body.
  const counts = new Uint32Array(bodies.length + 1);
  for (let i = 0; i < coarse.length; i++) {
    const s = svSlot[coarse[i]!]!;
    if (s >= 0) counts[s + 1]!++;
  }
  for (let i = 1; i <= bodies.length; i++) counts[i]! += counts[i - 1]!;
  const fill = counts.slice(0, bodies.length);
  const order = new Uint32Array(counts[bodies.length]!);
  for (let i = 0; i < coarse.length; i++) {
    const s = svSlot[coarse[i]!]!;
    if (s >= 0) order[fill[s]!++] = i;
  }
  const out = new Map<string, Uint8Array>();
  bodies.forEach((body, s) => {
    const voxels = order.subarray(counts[s]!, counts[s + 1]!);
    if (voxels.length === 0) return;
    const mesh = surfaceNets({ edge, voxels, inside: (x, y, z) => svSlot[coarse[(z * edge + y) * edge + x]!] === s });
    out.set(body.toString(), toNgmesh(mesh.vertices, mesh.faces, 1 << MESH_SCALE));
  });
  return out;
}

/** Mesh of an ROI from its 32³ cells: surface nets on the ROI grid, lightly smoothed when asked. */
export function roiMesh(grid: number, cells: ReadonlyArray<readonly [number, number, number]>, cellSize: number, smooth: number): Uint8Array {
  const set = new Set(cells.map(([x, y, z]) => (z * grid + y) * grid + x));
  const mesh = surfaceNets({ edge: grid, voxels: [...set], inside: (x, y, z) => set.has((z * grid + y) * grid + x) });
  return toNgmesh(mesh.vertices, mesh.faces, cellSize, smooth, smooth > 0 ? vertexNeighbours(mesh.vertices.length / 3, mesh.faces) : undefined);
}
