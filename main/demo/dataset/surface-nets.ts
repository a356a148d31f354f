/**
 * Naive surface nets over a binary voxel set: one vertex per dual cell (2³ voxel centres) whose
 * corners are mixed, placed at the mean of the crossing edges' midpoints, and one quad (two
 * triangles, outward-facing) per boundary face. Only cells touching the set's voxels are visited,
 * so the cost follows the object, not the grid.
 *
 * Every vertex lies in a dual cell with at least one inside corner: a mesh made here lies within one
 * voxel of the voxels it was made from (the property the demo's tests check on served data).
 */

export interface VoxelSet {
  /** grid edge (voxels per axis); voxels outside the grid are outside the set */
  edge: number;
  /** voxel indices ((z·edge + y)·edge + x) of the set, any order */
  voxels: ArrayLike<number>;
  inside(x: number, y: number, z: number): boolean;
}

export interface RawMesh {
  /** vertex positions in voxel-index units (voxel centre = integer) */
  vertices: number[];
  faces: number[];
}

export function surfaceNets(set: VoxelSet): RawMesh {
  const E = set.edge;
  const inside = (x: number, y: number, z: number): boolean => x >= 0 && y >= 0 && z >= 0 && x < E && y < E && z < E && set.inside(x, y, z);
  const vertexOf = new Map<number, number>();
  const vertices: number[] = [];
  const faces: number[] = [];
  const E1 = E + 1;
  const cellKey = (x: number, y: number, z: number): number => ((z + 1) * E1 + (y + 1)) * E1 + (x + 1);
  const corner = [false, false, false, false, false, false, false, false];
  const vertex = (x: number, y: number, z: number): number => {
    const k = cellKey(x, y, z);
    const known = vertexOf.get(k);
    if (known !== undefined) return known;
    for (let c = 0; c < 8; c++) corner[c] = inside(x + (c & 1), y + ((c >> 1) & 1), z + (c >> 2));
    let sx = 0, sy = 0, sz = 0, n = 0;
    for (let c = 0; c < 8; c++)
      for (const axisBit of [1, 2, 4]) {
        if (c & axisBit) continue;
        const d = c | axisBit;
        if (corner[c] === corner[d]) continue;
        sx += (c & 1) + (axisBit === 1 ? 0.5 : 0);
        sy += ((c >> 1) & 1) + (axisBit === 2 ? 0.5 : 0);
        sz += (c >> 2) + (axisBit === 4 ? 0.5 : 0);
        n++;
      }
    const id = vertices.length / 3;
    vertices.push(x + sx / n, y + sy / n, z + sz / n);
    vertexOf.set(k, id);
    return id;
  };
  const quad = (a: number, b: number, c: number, d: number): void => {
    faces.push(a, b, c, a, c, d);
  };
  const unit = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ] as const;
  for (let i = 0; i < set.voxels.length; i++) {
    const v = set.voxels[i]!;
    const x = v % E, y = Math.floor(v / E) % E, z = Math.floor(v / (E * E));
    for (let a = 0; a < 3; a++) {
      const ea = unit[a]!, eb = unit[(a + 1) % 3]!, ec = unit[(a + 2) % 3]!;
      // +a face: the edge (v, v+ea); its four dual cells have lower corners v, v−eb, v−eb−ec, v−ec.
      if (!inside(x + ea[0], y + ea[1], z + ea[2])) {
        quad(
          vertex(x, y, z),
          vertex(x - eb[0], y - eb[1], z - eb[2]),
          vertex(x - eb[0] - ec[0], y - eb[1] - ec[1], z - eb[2] - ec[2]),
          vertex(x - ec[0], y - ec[1], z - ec[2]),
        );
      }
      // −a face: the edge (v−ea, v), same cells shifted by −ea, opposite winding.
      if (!inside(x - ea[0], y - ea[1], z - ea[2])) {
        const bx = x - ea[0], by = y - ea[1], bz = z - ea[2];
        quad(
          vertex(bx, by, bz),
          vertex(bx - ec[0], by - ec[1], bz - ec[2]),
          vertex(bx - eb[0] - ec[0], by - eb[1] - ec[1], bz - eb[2] - ec[2]),
          vertex(bx - eb[0], by - eb[1], bz - eb[2]),
        );
      }
    }
  }
  return { vertices, faces };
}
