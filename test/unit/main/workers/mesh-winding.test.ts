/**
 * The culling decision (mesh-winding.ts): only a closed, consistently wound surface is 'outward' or
 * 'inward'; inconsistent winding, a real opening (a bowl, a tube open at both ends) or a sheet is
 * 'open' (drawn from both sides). Shapes are built here, their expected answer known from geometry.
 */
import { describe, expect, it } from 'vitest';
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

  it('is open when a triangle is there twice (a directed edge used twice)', () => {
    const s = sphere(20);
    const f = new Uint32Array(s.f.length + 3);
    f.set(s.f);
    f.set(s.f.subarray(0, 3), s.f.length);
    expect(windingOf(s.v, f)).toBe('open');
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
