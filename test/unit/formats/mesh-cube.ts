/** The cube the mesh fixtures hold (see test/fixtures/files/README.md), worked out independently. */
import type { Mesh } from '../../../main/formats/mesh';

export const CUBE_VERTICES: Array<[number, number, number]> = Array.from({ length: 8 }, (_, i) => [10 + 2 * (i & 1), -3 + 2 * ((i >> 1) & 1), 100 + 2 * ((i >> 2) & 1)]);

/** What a test checks about a decoded cube: corners in file order, triangles per box face, degenerates. */
export function cubeSummary(mesh: Mesh): { corners: number[][]; trianglesPerFace: Record<string, number>; degenerate: number } {
  const corners = Array.from({ length: mesh.vertices.length / 3 }, (_, i) => Array.from(mesh.vertices.subarray(3 * i, 3 * i + 3)));
  const trianglesPerFace: Record<string, number> = {};
  let degenerate = 0;
  for (let t = 0; t < mesh.faces.length / 3; t++) {
    const idx = Array.from(mesh.faces.subarray(3 * t, 3 * t + 3));
    if (new Set(idx).size < 3) degenerate++;
    const c = idx.map((i) => corners[i] ?? [NaN, NaN, NaN]);
    // A triangle on a face of the box has one coordinate constant across its corners.
    const axis = [0, 1, 2].find((a) => c.every((p) => p[a] === (c[0] as number[])[a]));
    const key = axis === undefined ? 'off-face' : `${'xyz'[axis]}=${(c[0] as number[])[axis]}`;
    trianglesPerFace[key] = (trianglesPerFace[key] ?? 0) + 1;
  }
  return { corners, trianglesPerFace, degenerate };
}

export const CUBE_SUMMARY = {
  corners: CUBE_VERTICES,
  trianglesPerFace: { 'x=10': 2, 'x=12': 2, 'y=-3': 2, 'y=-1': 2, 'z=100': 2, 'z=102': 2 },
  degenerate: 0,
};
