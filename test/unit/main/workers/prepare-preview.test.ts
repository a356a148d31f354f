/**
 * The mesh preview task and the step that serves its file: a big mesh becomes a prepared file
 * (formats/prepared-mesh.ts) within the budget, deterministic, in the source's units with outward
 * normals; served, it is scaled to voxels like the full mesh (same bounds, so the same framing), with
 * normals turned correctly under an anisotropic voxel size.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readMesh } from '../../../../preload/binary';
import { FormatError } from '../../../../main/formats/format-error';
import { encodeNgmesh } from '../../../../main/formats/ngmesh';
import { decodePreparedMesh } from '../../../../main/formats/prepared-mesh';
import { vertexNormals } from '../../../../main/workers/tasks/mesh-normals';
import { previewToMeshBuffer } from '../../../../main/workers/tasks/mesh-units';
import { prepareMesh } from '../../../../main/workers/tasks/prepare-mesh.handler';
import { PREVIEW_ALGORITHM } from '../../../../main/workers/tasks/prepare-preview';
import { preparePreview } from '../../../../main/workers/tasks/prepare-preview.handler';
import { uvSphere } from '../../../support/uv-sphere';

const C: [number, number, number] = [20_000, 24_000, 28_000];
const R = 3000;

/** A UV sphere (nm) of n×n quads, wound counter-clockwise seen from outside, encoded as ngmesh. */
function sphere(n: number): Uint8Array {
  return encodeNgmesh(uvSphere(n, C, R));
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();
const BIG = sphere(260); // 135,200 triangles
const FRAME = { voxelSize: [8, 8, 8] as [number, number, number], extent: { min: [0, 0, 0] as [number, number, number], max: [8191, 8191, 8191] as [number, number, number] }, units: 'auto' as const };

/** FRAME with a cubic extent from `min` to `max` on every axis. */
function at(min: number, max: number) {
  return { ...FRAME, extent: { min: [min, min, min] as [number, number, number], max: [max, max, max] as [number, number, number] } };
}

async function previewOf(bytes: Uint8Array, maxTriangles = 20_000) {
  const { buffer } = await preparePreview({ bytes, hash: sha(bytes), maxTriangles, what: 'test/1.ngmesh' });
  return buffer;
}

describe('preparePreview', () => {
  it('makes a file within the budget that records its source and keeps the shape, with outward normals', async () => {
    const buffer = await previewOf(BIG);
    expect(buffer).not.toBeNull();
    const p = decodePreparedMesh(new Uint8Array(buffer!), { hash: sha(BIG), maxTriangles: 20_000, algorithm: PREVIEW_ALGORITHM });
    const t = p.indices.length / 3;
    expect(t).toBeLessThanOrEqual(20_000);
    expect(t).toBeGreaterThan(2_000);
    expect(p.source).toMatchObject({ format: 'ngmesh', vertices: 261 * 260, triangles: 2 * 260 * 260 });
    expect([p.outward, p.turned]).toEqual([true, false]); // a closed sphere wound outward: culled when drawn
    expect(p.source.min.map(Math.round)).toEqual([C[0] - R, C[1] - R, C[2] - R]);
    expect(p.source.max.map(Math.round)).toEqual([C[0] + R, C[1] + R, C[2] + R]);
    let outward = 0;
    const nv = p.positions.length / 3;
    for (let i = 0; i < nv; i++) {
      const d = [0, 1, 2].map((a) => p.positions[3 * i + a]! - C[a]!);
      const len = Math.hypot(d[0]!, d[1]!, d[2]!);
      expect(Math.abs(len - R)).toBeLessThan(150); // about one clustering cell
      const n = [0, 1, 2].map((a) => p.normals[4 * i + a]! / 127);
      if ((n[0]! * d[0]! + n[1]! * d[1]! + n[2]! * d[2]!) / len > 0.9) outward++;
    }
    expect(outward / nv).toBeGreaterThan(0.95);
  });

  it('is deterministic: the sync and a first request write the same bytes', async () => {
    const a = new Uint8Array((await previewOf(BIG))!);
    const b = new Uint8Array((await previewOf(BIG))!);
    expect(sha(a).equals(sha(b))).toBe(true);
  });

  it('makes nothing for a mesh within the budget, and throws FormatError for bytes that are no mesh', async () => {
    expect(await previewOf(sphere(40), 20_000)).toBeNull();
    await expect(previewOf(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toBeInstanceOf(FormatError);
  });
});

describe('previewToMeshBuffer (serving a prepared preview)', () => {
  it('scales to voxels like the full mesh and frames the same box', async () => {
    const p = decodePreparedMesh(new Uint8Array((await previewOf(BIG))!));
    const served = readMesh(previewToMeshBuffer(p, FRAME));
    const full = readMesh((await prepareMesh({ bytes: BIG, ...FRAME, what: 'test/1.ngmesh' })).buffer);
    expect(served.decimated).toBe(true);
    expect(full.decimated).toBe(false);
    expect(served.sourceInVoxels).toBe(false);
    expect(served.sourceFormat).toBe('ngmesh');
    expect(served.min).toEqual(full.min);
    expect(served.max).toEqual(full.max);
    for (let i = 0; i < served.positions.length; i++) expect(served.positions[i]).toBeCloseTo(p.positions[i]! / 8, 3);
    expect([...served.normals!]).toEqual([...p.normals]);
    expect([...served.indices]).toEqual([...p.indices]);
  });

  it('turns normals by the inverse transpose under an anisotropic voxel size', async () => {
    const p = decodePreparedMesh(new Uint8Array((await previewOf(BIG))!));
    const frame = { ...FRAME, voxelSize: [4, 4, 40] as [number, number, number] };
    const served = readMesh(previewToMeshBuffer(p, frame));
    // Independent: normals computed afresh from the voxel-space positions.
    const direct = new Int8Array(served.normals!.length);
    vertexNormals(served.positions, served.indices, direct);
    let agree = 0;
    const nv = served.positions.length / 3;
    for (let i = 0; i < nv; i++) {
      let dot = 0;
      for (let a = 0; a < 3; a++) dot += (served.normals![4 * i + a]! / 127) * (direct[4 * i + a]! / 127);
      if (dot > 0.97) agree++;
    }
    expect(agree / nv).toBeGreaterThan(0.95);
    // Copying the nm normals unchanged would be wrong here: most would disagree on this squashed sphere.
    let copied = 0;
    for (let i = 0; i < nv; i++) {
      let dot = 0;
      for (let a = 0; a < 3; a++) dot += (p.normals[4 * i + a]! / 127) * (direct[4 * i + a]! / 127);
      if (dot > 0.97) copied++;
    }
    expect(copied / nv).toBeLessThan(0.6);
  });

  it('takes a mesh whose nm reading misses the volume but whose plain reading fits as voxels (decided on the whole source)', async () => {
    const p = decodePreparedMesh(new Uint8Array((await previewOf(BIG))!));
    // nm reading (2,125–3,875 voxels) inside a 40,000-voxel volume: nm.
    expect(readMesh(previewToMeshBuffer(p, at(0, 40_000))).sourceInVoxels).toBe(false);
    // Neither reading near the volume: nm, the default.
    expect(readMesh(previewToMeshBuffer(p, at(0, 4))).sourceInVoxels).toBe(false);
    // Only the plain reading (17,000–31,000) fits: voxels, positions and bounds unchanged.
    const v = readMesh(previewToMeshBuffer(p, at(15_000, 35_000)));
    expect(v.sourceInVoxels).toBe(true);
    expect(v.positions.slice(0, 30)).toEqual(p.positions.slice(0, 30));
    v.min.forEach((x, a) => expect(x).toBeCloseTo(C[a]! - R, 1));
  });
});
