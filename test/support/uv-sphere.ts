/**
 * The test meshes of the body-view tests and bench: a UV sphere of n×n quads ((n + 1)·n vertices,
 * ring i = 0…n from pole to pole, 2n² triangles), wound counter-clockwise seen from outside.
 * `radius` is a number, or a function of the polar and azimuthal angles for a bumpy surface.
 */
export function uvSphere(n: number, c: readonly [number, number, number], radius: number | ((th: number, ph: number) => number)): { vertices: Float32Array; faces: Uint32Array } {
  const vertices = new Float32Array((n + 1) * n * 3);
  let k = 0;
  for (let i = 0; i <= n; i++) {
    const th = (Math.PI * i) / n;
    for (let j = 0; j < n; j++) {
      const ph = (2 * Math.PI * j) / n;
      const r = typeof radius === 'number' ? radius : radius(th, ph);
      vertices[k++] = c[0] + r * Math.sin(th) * Math.cos(ph);
      vertices[k++] = c[1] + r * Math.sin(th) * Math.sin(ph);
      vertices[k++] = c[2] + r * Math.cos(th);
    }
  }
  const faces = new Uint32Array(n * n * 6);
  k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = i * n + j, b = i * n + ((j + 1) % n), d = (i + 1) * n + j, e = (i + 1) * n + ((j + 1) % n);
      faces.set([a, d, b, b, d, e], k);
      k += 6;
    }
  }
  return { vertices, faces };
}
