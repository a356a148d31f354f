import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meshBounds } from '../../../main/formats/mesh';
import { decodeNgmesh, encodeNgmesh } from '../../../main/formats/ngmesh';
import { fcParams, fixture, formatErrorOf, fuzzOutcomes } from './helpers';
import { CUBE_SUMMARY, cubeSummary } from './mesh-cube';

function le(...words: Array<['u' | 'f', number]>): Uint8Array {
  const out = new Uint8Array(4 * words.length);
  const dv = new DataView(out.buffer);
  words.forEach(([t, v], i) => (t === 'u' ? dv.setUint32(4 * i, v, true) : dv.setFloat32(4 * i, v, true)));
  return out;
}

const meshArb = fc.integer({ min: 1, max: 40 }).chain((v) =>
  fc.record({
    vertices: fc.float32Array({ minLength: 3 * v, maxLength: 3 * v, noNaN: true }),
    faces: fc.array(fc.integer({ min: 0, max: v - 1 }), { maxLength: 60 }).map((a) => Uint32Array.from(a.slice(0, a.length - (a.length % 3)))),
  }),
);

describe('ngmesh', () => {
  it('reads the fixture written by Python struct', () => {
    const mesh = decodeNgmesh(fixture('cube.ngmesh'));
    expect(cubeSummary(mesh)).toEqual(CUBE_SUMMARY);
    expect(meshBounds(mesh)).toEqual({ min: [10, -3, 100], max: [12, -1, 102] });
  });

  it('round-trips byte-exactly, including from an unaligned view', () => {
    fc.assert(
      fc.property(meshArb, (mesh) => {
        const bytes = encodeNgmesh(mesh);
        expect(bytes.length).toBe(4 + 4 * mesh.vertices.length + 4 * mesh.faces.length);
        const shifted = new Uint8Array(bytes.length + 1);
        shifted.set(bytes, 1);
        const back = decodeNgmesh(shifted.subarray(1));
        expect(back.vertices).toEqual(mesh.vertices);
        expect(back.faces).toEqual(mesh.faces);
        expect(encodeNgmesh(back)).toEqual(bytes);
      }),
      fcParams,
    );
  });

  it('accepts an empty mesh and a mesh with no faces', () => {
    expect(decodeNgmesh(le(['u', 0]))).toEqual({ vertices: new Float32Array(0), faces: new Uint32Array(0) });
    expect(decodeNgmesh(le(['u', 1], ['f', 1], ['f', 2], ['f', 3])).faces.length).toBe(0);
  });

  it.each([
    ['shorter than the count', new Uint8Array(3), 0],
    ['a vertex count that lies (needs more bytes than there are)', le(['u', 0xffffffff], ['f', 1]), 0],
    ['a face tail that is not a multiple of 12', le(['u', 1], ['f', 0], ['f', 0], ['f', 0], ['u', 0]), 16],
    ['an index ≥ V', le(['u', 1], ['f', 0], ['f', 0], ['f', 0], ['u', 0], ['u', 0], ['u', 1]), 24],
  ])('rejects %s', (_name, bytes, offset) => {
    expect(formatErrorOf(() => decodeNgmesh(bytes)).offset).toBe(offset);
  });

  it('enforces the size bound before reading', () => {
    expect(() => decodeNgmesh(fixture('cube.ngmesh'), { maxBytes: 100 })).toThrow(/limit/);
  });

  it('encoder refuses malformed meshes', () => {
    expect(() => encodeNgmesh({ vertices: new Float32Array(4), faces: new Uint32Array(0) })).toThrow(RangeError);
    expect(() => encodeNgmesh({ vertices: new Float32Array(3), faces: new Uint32Array([0, 0, 1]) })).toThrow(RangeError);
  });

  it('damaged inputs decode or throw FormatError', async () => {
    const valid = fixture('cube.ngmesh');
    expect(await fuzzOutcomes(valid, decodeNgmesh)).toEqual(new Set(['ok', 'format-error']));
  });
});
