/**
 * Vertex-clustering decimation (Rossignac–Borrel): vertices are snapped to a uniform grid, each
 * occupied cell becomes one vertex at the mean of its members, and triangles whose corners fall into
 * fewer than three cells disappear. One linear pass per attempt, no priority queue, so a 400 k
 * triangle body mesh becomes a 30 k preview in tens of milliseconds; the shape is kept to about one
 * cell (the result is a preview drawn first, then replaced by the full mesh, not a final LOD).
 *
 * The cell starts at the size that would leave about `maxTriangles` on a closed surface of the mesh's
 * area (a cell of side c holds ≈ 2 triangles per c² of surface) and grows by 25 % until the result
 * fits; after 12 attempts the last result is returned even if it is over (never more than the input).
 */

export interface DecimatedMesh {
  vertices: Float32Array;
  faces: Uint32Array;
}

function surfaceArea(v: Float32Array, f: Uint32Array): number {
  let area = 0;
  for (let t = 0; t < f.length; t += 3) {
    const a = 3 * f[t]!, b = 3 * f[t + 1]!, c = 3 * f[t + 2]!;
    const e1x = v[b]! - v[a]!, e1y = v[b + 1]! - v[a + 1]!, e1z = v[b + 2]! - v[a + 2]!;
    const e2x = v[c]! - v[a]!, e2y = v[c + 1]! - v[a + 1]!, e2z = v[c + 2]! - v[a + 2]!;
    area += 0.5 * Math.hypot(e1y * e2z - e1z * e2y, e1z * e2x - e1x * e2z, e1x * e2y - e1y * e2x);
  }
  return area;
}

function cluster(v: Float32Array, f: Uint32Array, min: number[], cell: number): DecimatedMesh {
  const nv = v.length / 3;
  const cellOf = new Map<number, number>();
  const vertexCluster = new Uint32Array(nv);
  const sums: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < nv; i++) {
    const ix = Math.floor((v[3 * i]! - min[0]!) / cell);
    const iy = Math.floor((v[3 * i + 1]! - min[1]!) / cell);
    const iz = Math.floor((v[3 * i + 2]! - min[2]!) / cell);
    // 2^17 cells per axis at most (the caller keeps the grid that small): an exact key below 2^53.
    const key = (iz * 131072 + iy) * 131072 + ix;
    let c = cellOf.get(key);
    if (c === undefined) {
      c = counts.length;
      cellOf.set(key, c);
      counts.push(0);
      sums.push(0, 0, 0);
    }
    vertexCluster[i] = c;
    counts[c]!++;
    sums[3 * c] = sums[3 * c]! + v[3 * i]!;
    sums[3 * c + 1] = sums[3 * c + 1]! + v[3 * i + 1]!;
    sums[3 * c + 2] = sums[3 * c + 2]! + v[3 * i + 2]!;
  }
  const vertices = new Float32Array(3 * counts.length);
  for (let c = 0; c < counts.length; c++) {
    const n = counts[c]!;
    vertices[3 * c] = sums[3 * c]! / n;
    vertices[3 * c + 1] = sums[3 * c + 1]! / n;
    vertices[3 * c + 2] = sums[3 * c + 2]! / n;
  }
  const kept = new Uint32Array(f.length);
  let k = 0;
  for (let t = 0; t < f.length; t += 3) {
    const a = vertexCluster[f[t]!]!, b = vertexCluster[f[t + 1]!]!, c = vertexCluster[f[t + 2]!]!;
    if (a === b || b === c || a === c) continue;
    kept[k++] = a;
    kept[k++] = b;
    kept[k++] = c;
  }
  return { vertices, faces: kept.slice(0, k) };
}

/** The mesh with at most about `maxTriangles` triangles (unchanged when it has no more than that). */
export function decimateByClustering(vertices: Float32Array, faces: Uint32Array, maxTriangles: number): DecimatedMesh {
  if (faces.length / 3 <= maxTriangles || vertices.length === 0) return { vertices, faces };
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < vertices.length; i += 3) {
    for (let a = 0; a < 3; a++) {
      const x = vertices[i + a]!;
      if (x < min[a]!) min[a] = x;
      if (x > max[a]!) max[a] = x;
    }
  }
  const span = Math.max(max[0]! - min[0]!, max[1]! - min[1]!, max[2]! - min[2]!, 1e-9);
  let cell = Math.max(Math.sqrt((2 * surfaceArea(vertices, faces)) / Math.max(1, maxTriangles)), span / 100_000);
  let out: DecimatedMesh = { vertices, faces };
  for (let attempt = 0; attempt < 12; attempt++) {
    out = cluster(vertices, faces, min, cell);
    if (out.faces.length / 3 <= maxTriangles) break;
    cell *= 1.25;
  }
  return out.faces.length < faces.length ? out : { vertices, faces };
}
