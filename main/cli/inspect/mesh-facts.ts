/** The facts `inspect` prints for any mesh format: counts and bounding box (null when empty). */
import { meshBounds, type Mesh } from '../../formats/mesh';

export function meshFacts(mesh: Mesh): Record<string, unknown> {
  const vertices = mesh.vertices.length / 3;
  let degenerate = 0;
  const f = mesh.faces;
  for (let i = 0; i + 2 < f.length; i += 3) {
    if (f[i] === f[i + 1] || f[i + 1] === f[i + 2] || f[i] === f[i + 2]) degenerate++;
  }
  const b = meshBounds(mesh);
  return {
    vertices,
    triangles: f.length / 3,
    degenerateTriangles: degenerate,
    bounds: vertices > 0 ? { min: b.min, max: b.max } : null,
  };
}
