/** Vertex-clustering decimation (the body view's mesh preview): within the budget, same place and size, no degenerate triangles. */
import { describe, expect, it } from 'vitest';
import { decimateByClustering } from '../../../../main/workers/tasks/mesh-decimate';
import { uvSphere } from '../../../support/uv-sphere';

/** A UV sphere of radius r around c with n×n quads (2n² triangles). */
function sphere(n: number, r: number, c: [number, number, number]): { vertices: Float32Array; faces: Uint32Array } {
  return uvSphere(n, c, r);
}

describe('decimateByClustering', () => {
  it('brings a 180 k-triangle sphere under the budget and keeps its place and size', () => {
    const m = sphere(300, 500, [1000, 2000, 3000]);
    const out = decimateByClustering(m.vertices, m.faces, 20_000);
    const t = out.faces.length / 3;
    expect(t).toBeLessThanOrEqual(20_000);
    expect(t).toBeGreaterThan(2_000);
    const nv = out.vertices.length / 3;
    for (let i = 0; i < out.faces.length; i += 3) {
      const [a, b, c] = [out.faces[i]!, out.faces[i + 1]!, out.faces[i + 2]!];
      expect(a !== b && b !== c && a !== c && a < nv && b < nv && c < nv).toBe(true);
    }
    // Every vertex stays near the sphere (within a couple of cells of its radius).
    let worst = 0;
    for (let i = 0; i < out.vertices.length; i += 3) {
      const d = Math.hypot(out.vertices[i]! - 1000, out.vertices[i + 1]! - 2000, out.vertices[i + 2]! - 3000);
      worst = Math.max(worst, Math.abs(d - 500));
    }
    expect(worst).toBeLessThan(60);
  });

  it('returns the mesh unchanged when it is within the budget', () => {
    const m = sphere(20, 10, [0, 0, 0]);
    const out = decimateByClustering(m.vertices, m.faces, 10_000);
    expect(out.vertices).toBe(m.vertices);
    expect(out.faces).toBe(m.faces);
  });
});
