import draco3d from 'draco3d';
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDraco } from '../../../main/formats/draco';
import { FormatError } from '../../../main/formats/format-error';
import type { Mesh } from '../../../main/formats/mesh';
import { fcParams, fuzzOutcomes, fixture } from './helpers';
import { CUBE_VERTICES } from './mesh-cube';

// Google's encoder, from the same package, as the independent producer of test inputs.
let encoderModule: draco3d.EncoderModule;
beforeAll(async () => {
  encoderModule = await draco3d.createEncoderModule({});
});

// The parts of the encoder module the typings leave out.
interface PointCloudApi {
  PointCloud: new () => draco3d.PointCloud;
  PointCloudBuilder: new () => draco3d.PointCloudBuilder;
}
interface PointCloudEncoder {
  EncodePointCloudToDracoBuffer(pc: draco3d.PointCloud, deduplicate: boolean, out: draco3d.DracoInt8Array): number;
}

function encode(mesh: Mesh, method: 'sequential' | 'edgebreaker', quantBits: number, pointCloud = false): Uint8Array {
  const m = encoderModule;
  const api = m as unknown as PointCloudApi;
  const encoder = new m.Encoder();
  const builder = pointCloud ? new api.PointCloudBuilder() : new m.MeshBuilder();
  const dm = pointCloud ? new api.PointCloud() : new m.Mesh();
  try {
    const n = mesh.vertices.length / 3;
    if (!pointCloud) (builder as draco3d.MeshBuilder).AddFacesToMesh(dm as draco3d.Mesh, mesh.faces.length / 3, mesh.faces);
    builder.AddFloatAttribute(dm, m.POSITION as unknown as number, n, 3, mesh.vertices);
    encoder.SetEncodingMethod(method === 'sequential' ? m.MESH_SEQUENTIAL_ENCODING : m.MESH_EDGEBREAKER_ENCODING);
    if (quantBits > 0) encoder.SetAttributeQuantization(m.POSITION, quantBits);
    const out = new m.DracoInt8Array();
    const len = pointCloud
      ? (encoder as unknown as PointCloudEncoder).EncodePointCloudToDracoBuffer(dm, false, out)
      : encoder.EncodeMeshToDracoBuffer(dm as draco3d.Mesh, out);
    expect(len).toBeGreaterThan(0);
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) bytes[i] = out.GetValue(i) & 0xff;
    m.destroy(out);
    return bytes;
  } finally {
    m.destroy(dm);
    m.destroy(builder);
    m.destroy(encoder);
  }
}

/** Triangles as sorted coordinate triples: independent of vertex numbering and corner rotation. */
function triangleSet(mesh: Mesh, round = (v: number): number => v): string[] {
  const out: string[] = [];
  for (let t = 0; t < mesh.faces.length / 3; t++) {
    const corners = [0, 1, 2].map((k) => {
      const i = mesh.faces[3 * t + k] as number;
      return Array.from(mesh.vertices.subarray(3 * i, 3 * i + 3), round).join(',');
    });
    out.push(corners.toSorted().join(' | '));
  }
  return out.toSorted();
}

const cube: Mesh = {
  vertices: Float32Array.from(CUBE_VERTICES.flat()),
  faces: Uint32Array.from([0, 2, 3, 0, 3, 1, 4, 5, 7, 4, 7, 6, 0, 1, 5, 0, 5, 4, 2, 6, 7, 2, 7, 3, 0, 4, 6, 0, 6, 2, 1, 3, 7, 1, 7, 5]),
};

describe('Draco', () => {
  it('decodes the real bunny.drc (edgebreaker, quantized) to the counts Draco itself reports', async () => {
    const m = await decodeDraco(fixture('bunny.drc'));
    expect(m.vertices.length / 3).toBe(34834);
    expect(m.faces.length / 3).toBe(69451);
    expect(m.faces.reduce((a, b) => Math.max(a, b), 0)).toBe(34833);
    expect(m.vertices.every(Number.isFinite)).toBe(true);
  });

  it('decodes the same positions as the slow per-value decoder API', async () => {
    const bytes = fixture('bunny.drc');
    const mine = await decodeDraco(bytes);
    const d = await draco3d.createDecoderModule({});
    const decoder = new d.Decoder();
    const buffer = new d.DecoderBuffer();
    buffer.Init(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length), bytes.length);
    const mesh = new d.Mesh();
    expect(decoder.DecodeBufferToMesh(buffer, mesh).ok()).toBe(true);
    const attr = decoder.GetAttribute(mesh, decoder.GetAttributeId(mesh, d.POSITION));
    const arr = new d.DracoFloat32Array();
    decoder.GetAttributeFloatForAllPoints(mesh, attr, arr);
    for (const i of [0, 1, 2, 1000, 50000, 104501]) expect(mine.vertices[i]).toBe(arr.GetValue(i));
    const face = new d.DracoInt32Array();
    for (const f of [0, 12345, 69450]) {
      decoder.GetFaceFromMesh(mesh, f, face);
      expect([0, 1, 2].map((k) => face.GetValue(k))).toEqual(Array.from(mine.faces.subarray(3 * f, 3 * f + 3)));
    }
    for (const o of [face, arr, mesh, buffer, decoder]) d.destroy(o);
  });

  it('cross-check: a cube encoded losslessly by draco3d comes back with the same triangles', async () => {
    const back = await decodeDraco(encode(cube, 'sequential', 0));
    expect(back.vertices.length / 3).toBe(8);
    expect(triangleSet(back)).toEqual(triangleSet(cube));
  });

  it('cross-check: random meshes through sequential coding with 16-bit quantization stay within the quantization step', async () => {
    const arb = fc.integer({ min: 4, max: 40 }).chain((v) =>
      fc.record({
        vertices: fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 3 * v, maxLength: 3 * v }).map((a) => Float32Array.from(a)),
        faces: fc
          .array(fc.tuple(fc.integer({ min: 0, max: v - 1 }), fc.integer({ min: 0, max: v - 1 }), fc.integer({ min: 0, max: v - 1 })), { minLength: 1, maxLength: 40 })
          .map((ts) => Uint32Array.from(ts.filter(([a, b, c]) => a !== b && b !== c && a !== c).flat())),
      }),
    );
    await fc.assert(
      fc.asyncProperty(arb, async (mesh) => {
        if (mesh.faces.length === 0) return;
        const back = await decodeDraco(encode(mesh, 'sequential', 16));
        // 2000-unit range over 16 bits: error ≤ 0.02; rounding to integers recovers the input exactly.
        for (const v of back.vertices) expect(Math.abs(v - Math.round(v))).toBeLessThan(0.05);
        expect(new Set(triangleSet(back, Math.round))).toEqual(new Set(triangleSet(mesh, Math.round)));
      }),
      { ...fcParams, numRuns: 50 },
    );
  });

  it('rejects point clouds, bad magic, short and corrupt input with FormatError', async () => {
    const pc = encode(cube, 'sequential', 0, true);
    await expect(decodeDraco(pc)).rejects.toThrow(/point cloud/);
    await expect(decodeDraco(new TextEncoder().encode('DRACX\x02\x02\x01\x00\x00\x00'))).rejects.toBeInstanceOf(FormatError);
    await expect(decodeDraco(new TextEncoder().encode('DRACO'))).rejects.toThrow(/shorter/);
    const bunny = fixture('bunny.drc');
    await expect(decodeDraco(bunny.slice(0, 5000))).rejects.toBeInstanceOf(FormatError);
    await expect(decodeDraco(bunny, { maxBytes: 1000 })).rejects.toThrow(/limit/);
  });

  it('damaged inputs decode or throw FormatError (and the decoder keeps working)', async () => {
    const valid = encode(cube, 'edgebreaker', 14);
    expect(await fuzzOutcomes(valid, (b) => decodeDraco(b))).toContain('format-error');
    const bunny = fixture('bunny.drc');
    expect(await fuzzOutcomes(bunny, (b) => decodeDraco(b), 60)).toContain('format-error');
    expect((await decodeDraco(bunny)).faces.length).toBe(3 * 69451);
  });
});
