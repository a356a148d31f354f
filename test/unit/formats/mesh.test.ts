import { describe, expect, it } from 'vitest';
import { encodeNgmesh } from '../../../main/formats/ngmesh';
import { meshBounds, sniffMeshFormat } from '../../../main/formats/mesh';
import { fixture } from './helpers';

describe('sniffMeshFormat', () => {
  it.each([
    ['bunny.drc', 'draco'],
    ['cube_ascii.ply', 'ply'],
    ['cube_binary_le.ply', 'ply'],
    ['cube_binary_be.ply', 'ply'],
    ['cube.obj', 'obj'],
    ['cube.ngmesh', 'ngmesh'],
    ['neutu.swc', null],
    ['body.rles', null],
    ['keys_pax.tar', null],
  ])('%s → %s', (name, format) => {
    expect(sniffMeshFormat(fixture(name))).toBe(format);
  });

  it('recognises empty and face-less ngmesh, and refuses bytes whose count does not fit', () => {
    expect(sniffMeshFormat(encodeNgmesh({ vertices: new Float32Array(0), faces: new Uint32Array(0) }))).toBe('ngmesh');
    expect(sniffMeshFormat(encodeNgmesh({ vertices: new Float32Array(9), faces: new Uint32Array([0, 1, 2]) }))).toBe('ngmesh');
    expect(sniffMeshFormat(new Uint8Array([5, 0, 0, 0, 1, 2]))).toBeNull();
    expect(sniffMeshFormat(new Uint8Array(0))).toBeNull();
  });

  it('OBJ needs a vertex line; other text is not a mesh', () => {
    expect(sniffMeshFormat(new TextEncoder().encode('# only a comment\no thing\n'))).toBeNull();
    expect(sniffMeshFormat(new TextEncoder().encode('# exported\r\nv 1 2 3\r\n'))).toBe('obj');
  });
});

describe('meshBounds', () => {
  it('spans the vertices and gives the min/max identities for an empty mesh', () => {
    expect(meshBounds({ vertices: Float32Array.from([1, -2, 3, -4, 5, -6]), faces: new Uint32Array(0) })).toEqual({ min: [-4, -2, -6], max: [1, 5, 3] });
    expect(meshBounds({ vertices: new Float32Array(0), faces: new Uint32Array(0) })).toEqual({ min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity] });
  });
});
