/**
 * Neuroglancer legacy single-resolution mesh, `.ngmesh` (DVID-API.md §10.1). Little-endian, no header
 * beyond the count, no padding:
 *
 *   offset 0        uint32 V                        vertex count
 *   offset 4        V × float32[3] x, y, z          vertex positions (FlyEM: nanometres)
 *   offset 4+12V    F × uint32[3]                   triangle vertex indices, F = (len − 4 − 12V) / 12
 *
 * The face count is implicit, so the length must leave a multiple of 12 after the vertices, and every
 * index must be < V. Both are checked before anything is allocated / returned.
 */
import { FormatError } from './format-error';
import type { Mesh } from './mesh';

const F = 'ngmesh';
/** Hard bound on input size: 1 GiB (the largest FlyEM body meshes are tens of MB). */
export const NGMESH_MAX_BYTES = 1 << 30;

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Structure check used by sniffing: the count fits the length and the first indices are in range. */
export function looksLikeNgmesh(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = dv.getUint32(0, true);
  const faceStart = 4 + 12 * v;
  if (faceStart > bytes.length || (bytes.length - faceStart) % 12 !== 0) return false;
  if (v === 0) return bytes.length === 4;
  const check = Math.min((bytes.length - faceStart) / 4, 300);
  for (let i = 0; i < check; i++) if (dv.getUint32(faceStart + 4 * i, true) >= v) return false;
  return true;
}

export function decodeNgmesh(bytes: Uint8Array, opts?: { maxBytes?: number }): Mesh {
  const max = opts?.maxBytes ?? NGMESH_MAX_BYTES;
  if (bytes.length > max) throw new FormatError(F, 0, `${bytes.length} bytes exceeds the ${max}-byte limit`);
  if (bytes.length < 4) throw new FormatError(F, 0, `${bytes.length} bytes is shorter than the 4-byte vertex count`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = dv.getUint32(0, true);
  const faceStart = 4 + 12 * v;
  if (faceStart > bytes.length) {
    throw new FormatError(F, 0, `vertex count ${v} needs ${faceStart} bytes but the mesh has ${bytes.length}`);
  }
  const faceBytes = bytes.length - faceStart;
  if (faceBytes % 12 !== 0) {
    throw new FormatError(F, faceStart, `${faceBytes} bytes after the vertices is not a whole number of triangles (12 bytes each)`);
  }
  let vertices: Float32Array;
  let faces: Uint32Array;
  if (littleEndianHost) {
    // slice() copies into a fresh, aligned buffer, so the typed views below are always legal.
    vertices = new Float32Array(bytes.slice(4, faceStart).buffer);
    faces = new Uint32Array(bytes.slice(faceStart).buffer);
  } else {
    vertices = new Float32Array(3 * v);
    for (let i = 0; i < vertices.length; i++) vertices[i] = dv.getFloat32(4 + 4 * i, true);
    faces = new Uint32Array(faceBytes / 4);
    for (let i = 0; i < faces.length; i++) faces[i] = dv.getUint32(faceStart + 4 * i, true);
  }
  for (let i = 0; i < faces.length; i++) {
    if ((faces[i] as number) >= v) {
      throw new FormatError(F, faceStart + 4 * i, `triangle ${Math.floor(i / 3)} uses vertex ${faces[i]}, but there are only ${v} vertices`);
    }
  }
  return { vertices, faces };
}

/** Throws RangeError when the mesh is malformed (a caller bug: lengths not multiples of 3, index ≥ V). */
export function encodeNgmesh(mesh: Mesh): Uint8Array {
  const { vertices, faces } = mesh;
  if (vertices.length % 3 !== 0) throw new RangeError(`ngmesh: ${vertices.length} vertex coordinates is not a multiple of 3`);
  if (faces.length % 3 !== 0) throw new RangeError(`ngmesh: ${faces.length} face indices is not a multiple of 3`);
  const v = vertices.length / 3;
  if (v > 0xffffffff) throw new RangeError(`ngmesh: ${v} vertices exceeds uint32`);
  for (let i = 0; i < faces.length; i++) {
    if ((faces[i] as number) >= v) throw new RangeError(`ngmesh: face index ${faces[i]} ≥ vertex count ${v}`);
  }
  const out = new Uint8Array(4 + 4 * vertices.length + 4 * faces.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, v, true);
  if (littleEndianHost) {
    out.set(new Uint8Array(vertices.buffer, vertices.byteOffset, vertices.byteLength), 4);
    out.set(new Uint8Array(faces.buffer, faces.byteOffset, faces.byteLength), 4 + vertices.byteLength);
  } else {
    for (let i = 0; i < vertices.length; i++) dv.setFloat32(4 + 4 * i, vertices[i] as number, true);
    const base = 4 + 4 * vertices.length;
    for (let i = 0; i < faces.length; i++) dv.setUint32(base + 4 * i, faces[i] as number, true);
  }
  return out;
}
