import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { surfaceNets } from '../../../main/demo/dataset/surface-nets';

function meshOf(edge: number, inside: Set<number>): ReturnType<typeof surfaceNets> {
  return surfaceNets({ edge, voxels: [...inside], inside: (x, y, z) => inside.has((z * edge + y) * edge + x) });
}

describe('surfaceNets', () => {
  it('makes a closed, consistently oriented surface: every edge used once in each direction', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 ** 3 - 1 }), { minLength: 1, maxLength: 60 }), (cells) => {
        const m = meshOf(6, new Set(cells));
        const directed = new Map<string, number>();
        for (let f = 0; f < m.faces.length; f += 3) {
          const t = [m.faces[f]!, m.faces[f + 1]!, m.faces[f + 2]!];
          for (let k = 0; k < 3; k++) {
            const e = `${t[k]}>${t[(k + 1) % 3]}`;
            directed.set(e, (directed.get(e) ?? 0) + 1);
          }
        }
        for (const [e, n] of directed) {
          const [a, b] = e.split('>');
          // Non-manifold spots (two voxels touching at an edge) can share a vertex pair; counts still balance.
          expect(directed.get(`${b}>${a}`)).toBe(n);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('puts every vertex in a dual cell that has an inside corner', () => {
    const edge = 7;
    const set = new Set<number>();
    for (let z = 1; z < 5; z++) for (let y = 2; y < 6; y++) for (let x = 1; x < 4; x++) set.add((z * edge + y) * edge + x);
    set.add((6 * edge + 6) * edge + 6);
    const m = meshOf(edge, set);
    for (let i = 0; i < m.vertices.length; i += 3) {
      const c = [m.vertices[i]!, m.vertices[i + 1]!, m.vertices[i + 2]!].map(Math.floor);
      let hit = false;
      for (let d = 0; d < 8; d++) {
        const [x, y, z] = [c[0]! + (d & 1), c[1]! + ((d >> 1) & 1), c[2]! + (d >> 2)];
        if (x < edge && y < edge && z < edge && set.has((z * edge + y) * edge + x)) hit = true;
      }
      expect(hit).toBe(true);
    }
    // A single voxel gives the 6 faces of a cube: 12 triangles around 8 vertices.
    const one = meshOf(3, new Set([13]));
    expect([one.faces.length / 3, one.vertices.length / 3]).toEqual([12, 8]);
  });
});
