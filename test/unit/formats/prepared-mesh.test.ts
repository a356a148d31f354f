/** The prepared mesh preview file ("DDPM"): round trip, and every damaged or foreign file refused with a FormatError. */
import { crc32 } from 'node:zlib';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../main/formats/format-error';
import { decodePreparedMesh, encodePreparedMesh, PREPARED_MESH_HEADER, PREPARED_SOURCE_FORMATS, type PreparedMesh } from '../../../main/formats/prepared-mesh';
import { damaged, fcParams, formatErrorOf } from './helpers';

const HASH = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 255);

const meshArb: fc.Arbitrary<PreparedMesh> = fc.integer({ min: 1, max: 30 }).chain((v) =>
  fc.record({
    algorithm: fc.nat({ max: 1000 }),
    maxTriangles: fc.nat({ max: 10_000_000 }),
    positions: fc.float32Array({ minLength: 3 * v, maxLength: 3 * v, noNaN: true }),
    normals: fc.int8Array({ minLength: 4 * v, maxLength: 4 * v }),
    indices: fc.array(fc.nat({ max: v - 1 }), { maxLength: 45 }).map((a) => Uint32Array.from(a.slice(0, a.length - (a.length % 3)))),
    format: fc.constantFrom(...PREPARED_SOURCE_FORMATS),
    extra: fc.nat({ max: 1000 }),
    lo: fc.tuple(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })),
    hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    outward: fc.boolean(),
    turned: fc.boolean(),
  }).map((r) => ({
    algorithm: r.algorithm,
    maxTriangles: r.maxTriangles,
    outward: r.outward,
    turned: r.turned,
    source: {
      format: r.format,
      vertices: v + r.extra,
      triangles: r.indices.length / 3 + r.extra,
      min: r.lo,
      max: [r.lo[0] + 5, r.lo[1] + 6, r.lo[2] + 7] as [number, number, number],
      hash: r.hash,
    },
    positions: r.positions,
    normals: r.normals,
    indices: r.indices,
  })),
);

/** A small valid file: a tetrahedron with its normals. */
function tetra(): PreparedMesh {
  return {
    algorithm: 1,
    maxTriangles: 60_000,
    outward: true,
    turned: false,
    source: { format: 'ngmesh', vertices: 400, triangles: 796, min: [0, 0, 0], max: [80, 80, 80], hash: HASH },
    positions: Float32Array.from([0, 0, 0, 80, 0, 0, 0, 80, 0, 0, 0, 80]),
    normals: Int8Array.from([-73, -73, -73, 0, 127, 0, 0, 0, 0, 127, 0, 0, 0, 0, 127, 0]),
    indices: Uint32Array.from([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]),
  };
}

/** What decoding does with `bytes`: 'ok', 'format-error', or anything else thrown (a failure). */
function outcome(bytes: Uint8Array): string {
  try {
    decodePreparedMesh(bytes);
    return 'ok';
  } catch (err) {
    return err instanceof FormatError ? 'format-error' : String(err);
  }
}

/** The file with its CRC recomputed after an edit (to reach the checks behind the CRC). */
function resealed(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(96, crc32(bytes.subarray(PREPARED_MESH_HEADER), crc32(bytes.subarray(0, 96))), true);
  return bytes;
}

describe('prepared mesh (DDPM)', () => {
  it('round-trips byte-exactly, including from an unaligned view', () => {
    fc.assert(
      fc.property(meshArb, (m) => {
        const bytes = encodePreparedMesh(m);
        expect(bytes.length).toBe(PREPARED_MESH_HEADER + 16 * (m.positions.length / 3) + 12 * (m.indices.length / 3));
        const shifted = new Uint8Array(bytes.length + 1);
        shifted.set(bytes, 1);
        const back = decodePreparedMesh(shifted.subarray(1), { hash: m.source.hash, maxTriangles: m.maxTriangles, algorithm: m.algorithm });
        expect(back.positions).toEqual(m.positions);
        expect(back.normals).toEqual(m.normals);
        expect(back.indices).toEqual(m.indices);
        expect(back.source.format).toBe(m.source.format);
        expect([back.source.vertices, back.source.triangles, back.algorithm, back.maxTriangles, back.outward, back.turned]).toEqual([m.source.vertices, m.source.triangles, m.algorithm, m.maxTriangles, m.outward, m.turned]);
        expect(back.source.min).toEqual(m.source.min.map((x) => Math.fround(x)));
        expect(back.source.max).toEqual(m.source.max.map((x) => Math.fround(x)));
        expect([...back.source.hash]).toEqual([...m.source.hash]);
        expect(encodePreparedMesh(back)).toEqual(bytes);
      }),
      fcParams,
    );
  });

  it('never decodes a damaged file: cut short, bytes changed or inserted all give FormatError', () => {
    const valid = encodePreparedMesh(tetra());
    let refused = 0;
    fc.assert(
      fc.property(damaged(valid), (bytes) => {
        const same = bytes.length === valid.length && bytes.every((b, i) => b === valid[i]);
        const got = outcome(bytes);
        expect(got).toBe(same ? 'ok' : 'format-error');
        if (got === 'format-error') refused++;
      }),
      fcParams,
    );
    expect(refused).toBeGreaterThan(fcParams.numRuns / 2);
  });

  it('names the CRC when a payload byte flipped, and the offset of the first problem otherwise', () => {
    const valid = encodePreparedMesh(tetra());
    const flipped = valid.slice();
    flipped[PREPARED_MESH_HEADER + 5]! ^= 0x10;
    const e = formatErrorOf(() => decodePreparedMesh(flipped));
    expect(e.offset).toBe(96);
    expect(e.reason).toMatch(/CRC-32/);
    expect(formatErrorOf(() => decodePreparedMesh(valid.subarray(0, 99))).offset).toBe(99);
    expect(formatErrorOf(() => decodePreparedMesh(valid.subarray(0, valid.length - 4))).reason).toMatch(/counts/);
    const magic = valid.slice();
    magic[0] = 0x58;
    expect(formatErrorOf(() => decodePreparedMesh(magic)).offset).toBe(0);
  });

  it('checks counts before it allocates: a lying vertex count is a FormatError, not a RangeError', () => {
    const bytes = encodePreparedMesh(tetra());
    const dv = new DataView(bytes.buffer);
    dv.setUint32(28, 0xffff_ffff, true);
    expect(formatErrorOf(() => decodePreparedMesh(bytes)).offset).toBe(28);
    dv.setUint32(28, 1 << 27, true); // under the bound, but far more than the bytes hold
    expect(formatErrorOf(() => decodePreparedMesh(bytes)).reason).toMatch(/counts/);
  });

  it('refuses, behind a valid CRC, an index ≥ V, more triangles than the source, bad bounds, an unknown source format and unknown flags', () => {
    const base = encodePreparedMesh(tetra());
    const idx = resealed(base.slice());
    new DataView(idx.buffer).setUint32(idx.length - 4, 4, true);
    resealed(idx);
    const e = formatErrorOf(() => decodePreparedMesh(idx));
    expect(e.offset).toBe(idx.length - 4);
    expect(e.reason).toMatch(/vertex 4/);

    const more = base.slice();
    new DataView(more.buffer).setUint32(24, 3, true);
    expect(formatErrorOf(() => decodePreparedMesh(resealed(more))).offset).toBe(32);

    const nan = base.slice();
    new DataView(nan.buffer).setFloat32(40, Number.NaN, true);
    expect(formatErrorOf(() => decodePreparedMesh(resealed(nan))).offset).toBe(40);

    const inverted = base.slice();
    new DataView(inverted.buffer).setFloat32(36, 1000, true);
    expect(formatErrorOf(() => decodePreparedMesh(resealed(inverted))).offset).toBe(36);

    const fmt = base.slice();
    new DataView(fmt.buffer).setUint32(16, 9, true);
    expect(formatErrorOf(() => decodePreparedMesh(resealed(fmt))).offset).toBe(16);

    const flags = base.slice();
    new DataView(flags.buffer).setUint32(92, 4, true);
    expect(formatErrorOf(() => decodePreparedMesh(resealed(flags))).offset).toBe(92);
  });

  it('refuses a file made for another source, budget or algorithm when the caller says what it wants', () => {
    const bytes = encodePreparedMesh(tetra());
    const other = HASH.slice();
    other[31]! ^= 1;
    expect(formatErrorOf(() => decodePreparedMesh(bytes, { hash: other })).offset).toBe(60);
    expect(formatErrorOf(() => decodePreparedMesh(bytes, { maxTriangles: 1000 })).offset).toBe(12);
    expect(formatErrorOf(() => decodePreparedMesh(bytes, { algorithm: 2 })).offset).toBe(8);
    expect(decodePreparedMesh(bytes, { hash: HASH, maxTriangles: 60_000, algorithm: 1 }).indices.length).toBe(12);
  });

  it('rejects caller bugs on encode with RangeError (not a file that would later fail)', () => {
    const m = tetra();
    expect(() => encodePreparedMesh({ ...m, indices: Uint32Array.from([0, 1, 4]) })).toThrow(RangeError);
    expect(() => encodePreparedMesh({ ...m, normals: new Int8Array(3) })).toThrow(RangeError);
    expect(() => encodePreparedMesh({ ...m, source: { ...m.source, hash: new Uint8Array(31) } })).toThrow(RangeError);
  });

  it('throws only FormatError for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(['ok', 'format-error']).toContain(outcome(bytes));
      }),
      fcParams,
    );
  });
});
