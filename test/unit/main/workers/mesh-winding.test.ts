/**
 * The culling decision (mesh-winding.ts): only a closed, consistently wound surface is 'outward' or
 * 'inward'; inconsistent winding, a real opening (a bowl, a tube open at both ends) or a sheet is
 * 'open' (drawn from both sides). Shapes are built here, their expected answer known from geometry.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { surfaceNets } from '../../../../main/demo/dataset/surface-nets';
import { readMesh } from '../../../../preload/binary';
import { encodeNgmesh } from '../../../../main/formats/ngmesh';
import { flipWinding, windingOf } from '../../../../main/workers/tasks/mesh-winding';
import { prepareMesh } from '../../../../main/workers/tasks/prepare-mesh.handler';

/**
 * A UV sphere of n×n quads wound counter-clockwise seen from outside, rows i0..i1 of n (a full
 * sphere: 0..n; its pole rows are rings of coincident vertices, zero-area slits). `bumps` moves the
 * vertices radially (then the pole rings are not points but segments along the axis: still no area).
 */
function sphere(n: number, opts: { rows?: [number, number]; bumps?: boolean; c?: number } = {}): { v: Float32Array; f: Uint32Array } {
  const [i0, i1] = opts.rows ?? [0, n];
  const c = opts.c ?? 100;
  const v: number[] = [];
  for (let i = i0; i <= i1; i++) {
    for (let j = 0; j < n; j++) {
      const th = (Math.PI * i) / n, ph = (2 * Math.PI * j) / n;
      const r = 50 * (opts.bumps ? 1 + 0.12 * Math.sin(3 * th + 1) * Math.cos(4 * ph + 1.7) + 0.05 * Math.sin(11 * ph + 7 * th) : 1);
      v.push(c + r * Math.sin(th) * Math.cos(ph), c + r * Math.sin(th) * Math.sin(ph), c + r * Math.cos(th));
    }
  }
  const f: number[] = [];
  for (let i = 0; i < i1 - i0; i++) {
    for (let j = 0; j < n; j++) {
      const a = i * n + j, b = i * n + ((j + 1) % n), d = (i + 1) * n + j, e = (i + 1) * n + ((j + 1) % n);
      f.push(a, d, b, b, d, e);
    }
  }
  return { v: Float32Array.from(v), f: Uint32Array.from(f) };
}

/** A cylinder (tube) of radius 30 along z, open at both ends, wound outward. */
function tube(n: number): { v: Float32Array; f: Uint32Array } {
  const v: number[] = [];
  for (const z of [0, 200]) for (let j = 0; j < n; j++) v.push(30 * Math.cos((2 * Math.PI * j) / n), 30 * Math.sin((2 * Math.PI * j) / n), z);
  const f: number[] = [];
  for (let j = 0; j < n; j++) {
    const a = j, b = (j + 1) % n, d = n + j, e = n + ((j + 1) % n);
    f.push(a, b, d, b, e, d);
  }
  return { v: Float32Array.from(v), f: Uint32Array.from(f) };
}

/** The four faces of tetrahedron a-b-c-d, each wound away from its centroid. */
function tet(a: number, b: number, c: number, d: number, pos: Float32Array): number[] {
  const faces = [
    [a, c, b],
    [a, b, d],
    [a, d, c],
    [b, c, d],
  ];
  // Orient each face away from the tetrahedron's centroid.
  const cen = [0, 1, 2].map((k) => (pos[3 * a + k]! + pos[3 * b + k]! + pos[3 * c + k]! + pos[3 * d + k]!) / 4);
  return faces.flatMap(([p, q, r]) => {
    const P = [0, 1, 2].map((k) => pos[3 * p! + k]!), Q = [0, 1, 2].map((k) => pos[3 * q! + k]!), R = [0, 1, 2].map((k) => pos[3 * r! + k]!);
    const u = [Q[0]! - P[0]!, Q[1]! - P[1]!, Q[2]! - P[2]!], w = [R[0]! - P[0]!, R[1]! - P[1]!, R[2]! - P[2]!];
    const n = [u[1]! * w[2]! - u[2]! * w[1]!, u[2]! * w[0]! - u[0]! * w[2]!, u[0]! * w[1]! - u[1]! * w[0]!];
    const out = n[0]! * (P[0]! - cen[0]!) + n[1]! * (P[1]! - cen[1]!) + n[2]! * (P[2]! - cen[2]!);
    return out > 0 ? [p!, q!, r!] : [p!, r!, q!];
  });
}

describe('windingOf', () => {
  it('takes a closed sphere (pole slits included, bumpy or not) as outward, and turned round as inward', () => {
    for (const bumps of [false, true]) {
      const s = sphere(40, { bumps });
      expect(windingOf(s.v, s.f)).toBe('outward');
      flipWinding(s.f);
      expect(windingOf(s.v, s.f)).toBe('inward');
    }
  });

  it('is open when one triangle is wound the other way', () => {
    const s = sphere(40);
    const t = 3 * 500;
    [s.f[t + 1], s.f[t + 2]] = [s.f[t + 2]!, s.f[t + 1]!];
    expect(windingOf(s.v, s.f)).toBe('open');
  });

  it('is open for a bowl, a tube open at both ends (whose openings cancel as vectors) and a sheet', () => {
    const bowl = sphere(40, { rows: [0, 20] });
    expect(windingOf(bowl.v, bowl.f)).toBe('open');
    const t = tube(48);
    // The tube really is wound outward: its faces point away from the axis.
    expect(windingOf(t.v, t.f)).toBe('open');
    const sheet = { v: Float32Array.from([0, 0, 0, 10, 0, 0, 10, 10, 0, 0, 10, 0]), f: Uint32Array.from([0, 1, 2, 0, 2, 3]) };
    expect(windingOf(sheet.v, sheet.f)).toBe('open');
    expect(windingOf(new Float32Array(0), new Uint32Array(0))).toBe('open');
  });

  it('takes a surface where four faces meet at an edge as closed when its uses balance (surface nets, any voxel set)', () => {
    // The demo's meshes come from surface nets: outward-wound, closed, non-manifold where voxels touch
    // only along an edge. Two tetrahedra sharing one edge are the smallest such case.
    const v = Float32Array.from([0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0, 10, 10, 10, 10, 10, 10, -10]);
    // Tetrahedron 0-1-2-3 and tetrahedron 0-1-4-5, sharing edge 0–1.
    const f = Uint32Array.from([...tet(0, 1, 2, 3, v), ...tet(0, 1, 4, 5, v)]);
    expect(windingOf(v, f)).toBe('outward');

    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 6 ** 3 - 1 }), { minLength: 1, maxLength: 60 }), (cells) => {
        const inside = new Set(cells);
        const m = surfaceNets({ edge: 6, voxels: [...inside], inside: (x, y, z) => inside.has((z * 6 + y) * 6 + x) });
        const pos = Float32Array.from(m.vertices), faces = Uint32Array.from(m.faces);
        expect(windingOf(pos, faces)).toBe('outward');
        flipWinding(faces);
        expect(windingOf(pos, faces)).toBe('inward');
      }),
      { numRuns: 60 },
    );
  });

  it('does not depend on where the mesh sits', () => {
    for (const c of [0, 1e6, -3e5]) expect(windingOf(sphere(30, { c }).v, sphere(30, { c }).f)).toBe('outward');
  });
});

describe('prepareMesh and winding', () => {
  const frame = { voxelSize: [8, 8, 8] as [number, number, number], extent: null, units: 'nm' as const, what: 'test' };

  it('marks a closed outward mesh for culling and turns an inward one, normals outward either way', async () => {
    const out = sphere(40);
    const inward = sphere(40);
    flipWinding(inward.f);
    for (const s of [out, inward]) {
      const m = readMesh((await prepareMesh({ bytes: encodeNgmesh({ vertices: s.v, faces: s.f }), ...frame })).buffer);
      expect(m.outward).toBe(true);
      expect(windingOf(m.positions, m.indices)).toBe('outward');
      // A vertex on the equator: its normal points away from the centre (100/8 = 12.5 voxels).
      const i = 20 * 40 + 5;
      const d = [0, 1, 2].map((a) => m.positions[3 * i + a]! - 12.5);
      expect(d[0]! * m.normals![4 * i]! + d[1]! * m.normals![4 * i + 1]! + d[2]! * m.normals![4 * i + 2]!).toBeGreaterThan(0);
    }
  });

  it('leaves an open mesh as it is, for drawing both sides', async () => {
    const bowl = sphere(40, { rows: [0, 20] });
    const m = readMesh((await prepareMesh({ bytes: encodeNgmesh({ vertices: bowl.v, faces: bowl.f }), ...frame })).buffer);
    expect(m.outward).toBe(false);
    expect([...m.indices]).toEqual([...bowl.f]);
  });
});
