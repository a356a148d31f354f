import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePly, readPlyHeader } from '../../../main/formats/ply';
import { fcParams, fixture, formatErrorOf, fuzzOutcomes } from './helpers';
import { CUBE_SUMMARY, cubeSummary } from './mesh-cube';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function errorOf(bytes: Uint8Array) {
  return formatErrorOf(() => decodePly(bytes));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A test-local binary PLY writer (float32 xyz, uchar count + uint32 indices). */
function binaryPly(vertices: Float32Array, polys: number[][], little: boolean): Uint8Array {
  const header = enc(
    `ply\nformat binary_${little ? 'little' : 'big'}_endian 1.0\nelement vertex ${vertices.length / 3}\nproperty float x\nproperty float y\nproperty float z\n` +
      `element face ${polys.length}\nproperty list uchar uint vertex_indices\nend_header\n`,
  );
  const body = new Uint8Array(vertices.length * 4 + polys.reduce((a, p) => a + 1 + 4 * p.length, 0));
  const dv = new DataView(body.buffer);
  let o = 0;
  for (const v of vertices) {
    dv.setFloat32(o, v, little);
    o += 4;
  }
  for (const p of polys) {
    dv.setUint8(o++, p.length);
    for (const i of p) {
      dv.setUint32(o, i, little);
      o += 4;
    }
  }
  return concat(header, body);
}

function fan(polys: number[][]): number[] {
  return polys.flatMap((p) => p.slice(1, -1).flatMap((_, k) => [p[0] as number, p[k + 1] as number, p[k + 2] as number]));
}

function head(body: string): string {
  return `ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n${body}`;
}

describe('PLY', () => {
  it.each(['cube_ascii.ply', 'cube_binary_le.ply', 'cube_binary_be.ply'])('reads %s (written by Python)', (name) => {
    expect(cubeSummary(decodePly(fixture(name)))).toEqual(CUBE_SUMMARY);
  });

  it('the three encodings decode to the same mesh', () => {
    const [a, b, c] = ['cube_ascii.ply', 'cube_binary_le.ply', 'cube_binary_be.ply'].map((n) => decodePly(fixture(n)));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('reads the header: encoding, elements and properties', () => {
    const h = readPlyHeader(fixture('cube_binary_be.ply'));
    expect(h.encoding).toBe('binary_big_endian');
    expect(h.elements.map((e) => [e.name, e.count, e.props.length])).toEqual([
      ['vertex', 8, 9],
      ['face', 6, 2],
      ['edge', 2, 2],
    ]);
  });

  it('round-trips random polygon meshes in both byte orders', () => {
    const arb = fc.integer({ min: 3, max: 30 }).chain((v) =>
      fc.record({
        vertices: fc.float32Array({ minLength: 3 * v, maxLength: 3 * v, noNaN: true }),
        polys: fc.array(fc.array(fc.integer({ min: 0, max: v - 1 }), { minLength: 3, maxLength: 7 }), { maxLength: 20 }),
        little: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(arb, ({ vertices, polys, little }) => {
        const m = decodePly(binaryPly(vertices, polys, little));
        expect(m.vertices).toEqual(vertices);
        expect(Array.from(m.faces)).toEqual(fan(polys));
      }),
      fcParams,
    );
  });

  it('handles faces listed before vertices, CRLF headers, int coordinates and short faces', () => {
    const text =
      'ply\r\nformat ascii 1.0\r\nelement face 3\r\nproperty list uchar int vertex_index\r\nelement vertex 3\r\nproperty short z\r\nproperty int y\r\nproperty uchar x\r\nend_header\r\n' +
      '3 0 1 2\n2 0 1\n0\n1 2 3\n4 5 6\n7 8 9\n';
    const m = decodePly(enc(text));
    expect(Array.from(m.faces)).toEqual([0, 1, 2]);
    expect(Array.from(m.vertices)).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7]);
  });

  it('a PLY without faces is a mesh with no triangles', () => {
    const m = decodePly(enc('ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n'));
    expect(Array.from(m.vertices)).toEqual([1, 2, 3]);
    expect(m.faces.length).toBe(0);
  });

  it.each([
    ['not PLY', 'plx\nformat ascii 1.0\nend_header\n', /does not start/],
    ['an unknown format', 'ply\nformat binary_middle_endian 1.0\nend_header\n', /unknown format/],
    ['no end_header', 'ply\nformat ascii 1.0\nelement vertex 1\n', /before end_header/],
    ['an unknown type', 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n', /bad property/],
    ['a float list count', 'ply\nformat ascii 1.0\nelement face 1\nproperty list float int vertex_indices\nend_header\n', /integer type/],
    ['a property before any element', 'ply\nformat ascii 1.0\nproperty float x\nend_header\n', /before any element/],
    ['no z', 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n0 0\n', /no scalar property z/],
    ['no vertex element', 'ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n', /no vertex element/],
    ['a negative count', 'ply\nformat ascii 1.0\nelement vertex -1\nend_header\n', /bad element/],
    ['an index ≥ V', head('0 0 0\n1 1 1\n2 2 2\n3 0 1 3\n'), /outside 0..2/],
    ['a negative index', head('0 0 0\n1 1 1\n2 2 2\n3 0 -1 2\n'), /outside 0..2/],
    ['a non-numeric value', head('0 0 0\n1 zz 1\n2 2 2\n3 0 1 2\n'), /not a number/],
    ['a truncated ASCII body', head('0 0 0\n1 1 1\n2 2 2\n3 0 1'), /does not fit/],
    ['a body cut inside a vertex', head('0 0 0\n1 1 1\n2 2'), /counts need|ends before/],
    ['values after the last element', head('0 0 0\n1 1 1\n2 2 2\n3 0 1 2\n9\n'), /after the last element/],
    ['a list longer than the rest of the file', head('0 0 0\n1 1 1\n2 2 2\n200 0 1 2\n'), /does not fit/],
  ])('rejects %s', (_name, text, reason) => {
    expect(errorOf(enc(text)).reason).toMatch(reason);
  });

  it('checks a lying vertex count against the body before allocating', () => {
    const bytes = enc('ply\nformat binary_little_endian 1.0\nelement vertex 60000000\nproperty double x\nproperty double y\nproperty double z\nend_header\n\0\0\0\0');
    const e = errorOf(bytes);
    expect(e.reason).toMatch(/need at least 1440000000 body bytes/);
    expect(e.offset).toBe(bytes.length - 4);
    expect(errorOf(enc('ply\nformat binary_little_endian 1.0\nelement vertex 4294967295\nproperty uchar x\nproperty uchar y\nproperty uchar z\nend_header\n')).reason).toMatch(/exceeds the limit/);
  });

  it('checks a binary list count against the bytes left', () => {
    const bytes = concat(
      enc('ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty uchar x\nproperty uchar y\nproperty uchar z\nelement face 1\nproperty list uint uint vertex_indices\nend_header\n'),
      new Uint8Array([0, 0, 0, 1, 1, 1, 2, 2, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
    );
    expect(errorOf(bytes).reason).toMatch(/runs past the end/);
  });

  it.each(['cube_ascii.ply', 'cube_binary_le.ply', 'cube_binary_be.ply'])('damaged %s decodes or throws FormatError', async (name) => {
    const valid = fixture(name);
    expect(await fuzzOutcomes(valid, decodePly)).toContain('format-error');
  });
});
