/**
 * Area-weighted vertex normals, quantized to int8 × 4 (x, y, z ·127, pad) as the mesh layouts keep
 * them: each triangle's unnormalized face normal (a cross product, so larger triangles weigh more) is
 * added to its three corners, then each sum is scaled to unit length. A vertex no triangle uses (or
 * only zero-area ones) gets (0, 0, 0). One pass over the triangles; ≈ 15 ms for 400 k triangles.
 */
export function vertexNormals(pos: Float32Array, f: Uint32Array, out: Int8Array): void {
  const acc = new Float32Array(pos.length);
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
  for (let i = 0, j = 0; i < acc.length; i += 3, j += 4) {
    const x = acc[i]!, y = acc[i + 1]!, z = acc[i + 2]!;
    const len = Math.hypot(x, y, z);
    const s = len > 0 ? 127 / len : 0;
    out[j] = Math.round(x * s);
    out[j + 1] = Math.round(y * s);
    out[j + 2] = Math.round(z * s);
    out[j + 3] = 0;
  }
}
