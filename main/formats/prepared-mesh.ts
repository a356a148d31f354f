/**
 * A prepared mesh preview, "DDPM": the decimated stand-in of a cached mesh file with its vertex
 * normals, in typed-array layout, made once (at sync, or on the first request) and kept in the cache
 * next to the blobs (cache/prepared-store.ts), so opening a big body reads about a megabyte and copies
 * it instead of decoding, decimating and shading millions of triangles.
 *
 * It is independent of the node and its voxel frame: positions stay in the source's units (FlyEM:
 * nanometres) and the source's bounds are kept, so the body view brings it to voxels (and decides
 * whether the file was in voxels already) when it serves it, the same way it does for the full mesh.
 *
 * Little-endian, every section 4-byte aligned:
 * ```
 * 0   "DDPM"                     4   u32 layout version = 1
 * 8   u32 algorithm              version of the preparation (decimation, normals) that made it
 * 12  u32 maxTriangles           the triangle budget it was made for
 * 16  u32 source format          1 ngmesh, 2 draco, 3 obj, 4 ply
 * 20  u32 source vertex count    24  u32 source triangle count
 * 28  u32 vertex count V         32  u32 triangle count T (≤ the source's)
 * 36  f32×3 source bounds min    48  f32×3 source bounds max   (of the whole source mesh, its units)
 * 60  u8×32 sha256 of the source file's bytes
 * 92  u32 flags                  bit 0: outward (the source is a closed surface wound consistently,
 *                                and these triangles are wound outward: back faces may be culled);
 *                                bit 1: the source was wound inward (these triangles were turned);
 *                                other bits 0
 * 96  u32 CRC-32 (IEEE, as node:zlib) of every other byte of the file: 0–95 and 100–end
 * 100 f32 × 3V  positions x, y, z (source units)
 * ..  i8 × 4V   unit normals x, y, z (·127) and a 0 pad byte
 * ..  u32 × 3T  triangle vertex indices
 * ```
 * Decoding checks the length against the counts before it makes a view, then the CRC, the indices
 * and the bounds, and throws FormatError for anything else; a caller that knows which source and
 * budget it wants passes them and gets a FormatError for a file made for another.
 */
import { crc32 } from 'node:zlib';
import { FormatError } from './format-error';

const F = 'prepared-mesh';
const MAGIC = 'DDPM';
export const PREPARED_MESH_VERSION = 1;
export const PREPARED_MESH_HEADER = 100;
const CRC_AT = 96;
const FLAG_OUTWARD = 1;
const FLAG_TURNED = 2;
/** Hard bound on a file: 1 GiB (a 30 k-triangle preview is about 0.6 MB). */
export const PREPARED_MESH_MAX_BYTES = 1 << 30;
/** Hard bound on either count, checked before any length arithmetic. */
const MAX_ITEMS = 1 << 28;

export const PREPARED_SOURCE_FORMATS = ['ngmesh', 'draco', 'obj', 'ply'] as const;
export type PreparedSourceFormat = (typeof PREPARED_SOURCE_FORMATS)[number];

export interface PreparedMesh {
  algorithm: number;
  maxTriangles: number;
  /** closed and consistently wound, and these triangles wound outward: back faces may be culled */
  outward: boolean;
  /** the source was wound inward; these triangles are turned */
  turned: boolean;
  source: {
    format: PreparedSourceFormat;
    vertices: number;
    triangles: number;
    min: [number, number, number];
    max: [number, number, number];
    /** sha256 of the source file (32 bytes) */
    hash: Uint8Array;
  };
  /** x, y, z per vertex, source units */
  positions: Float32Array;
  /** x, y, z, 0 per vertex, unit length · 127 */
  normals: Int8Array;
  indices: Uint32Array;
}

export function preparedMeshByteLength(vertices: number, triangles: number): number {
  return PREPARED_MESH_HEADER + 16 * vertices + 12 * triangles;
}

function checksum(bytes: Uint8Array): number {
  return crc32(bytes.subarray(PREPARED_MESH_HEADER), crc32(bytes.subarray(0, CRC_AT)));
}

/** Throws RangeError on a caller bug (lengths that disagree, an index ≥ V, a hash that is not 32 bytes). */
export function encodePreparedMesh(m: PreparedMesh): Uint8Array {
  const v = m.positions.length / 3;
  const t = m.indices.length / 3;
  if (!Number.isInteger(v) || !Number.isInteger(t)) throw new RangeError('prepared mesh: positions and indices must come in threes');
  if (m.normals.length !== 4 * v) throw new RangeError(`prepared mesh: ${m.normals.length} normal bytes for ${v} vertices`);
  if (m.source.hash.length !== 32) throw new RangeError('prepared mesh: the source hash must be a 32-byte sha256');
  for (let i = 0; i < m.indices.length; i++) if (m.indices[i]! >= v) throw new RangeError(`prepared mesh: index ${m.indices[i]} ≥ vertex count ${v}`);
  const out = new Uint8Array(preparedMeshByteLength(v, t));
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  dv.setUint32(4, PREPARED_MESH_VERSION, true);
  dv.setUint32(8, m.algorithm, true);
  dv.setUint32(12, m.maxTriangles, true);
  dv.setUint32(16, PREPARED_SOURCE_FORMATS.indexOf(m.source.format) + 1, true);
  dv.setUint32(20, m.source.vertices, true);
  dv.setUint32(24, m.source.triangles, true);
  dv.setUint32(28, v, true);
  dv.setUint32(32, t, true);
  for (let i = 0; i < 3; i++) {
    dv.setFloat32(36 + 4 * i, m.source.min[i]!, true);
    dv.setFloat32(48 + 4 * i, m.source.max[i]!, true);
  }
  out.set(m.source.hash, 60);
  dv.setUint32(92, (m.outward ? FLAG_OUTWARD : 0) | (m.turned ? FLAG_TURNED : 0), true);
  let o = PREPARED_MESH_HEADER;
  // Typed arrays are host-endian; every supported host (x64, arm64) is little-endian, as the layout.
  out.set(new Uint8Array(m.positions.buffer, m.positions.byteOffset, m.positions.byteLength), o);
  o += 12 * v;
  out.set(new Uint8Array(m.normals.buffer, m.normals.byteOffset, m.normals.byteLength), o);
  o += 4 * v;
  out.set(new Uint8Array(m.indices.buffer, m.indices.byteOffset, m.indices.byteLength), o);
  dv.setUint32(CRC_AT, checksum(out), true);
  return out;
}

export interface PreparedMeshExpectation {
  /** sha256 of the source the caller looked it up for */
  hash?: Uint8Array;
  maxTriangles?: number;
  algorithm?: number;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

export function decodePreparedMesh(bytes: Uint8Array, expect: PreparedMeshExpectation = {}): PreparedMesh {
  if (bytes.length > PREPARED_MESH_MAX_BYTES) throw new FormatError(F, 0, `${bytes.length} bytes exceeds the ${PREPARED_MESH_MAX_BYTES}-byte limit`);
  if (bytes.length < PREPARED_MESH_HEADER) throw new FormatError(F, bytes.length, `${bytes.length} bytes is shorter than the ${PREPARED_MESH_HEADER}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let magic = '';
  for (let i = 0; i < 4; i++) magic += String.fromCharCode(bytes[i]!);
  if (magic !== MAGIC) throw new FormatError(F, 0, `magic is "${magic.replace(/[^ -~]/g, '?')}", expected "${MAGIC}"`);
  const version = dv.getUint32(4, true);
  if (version !== PREPARED_MESH_VERSION) throw new FormatError(F, 4, `layout version ${version}, this reader knows ${PREPARED_MESH_VERSION}`);
  const v = dv.getUint32(28, true);
  const t = dv.getUint32(32, true);
  if (v > MAX_ITEMS) throw new FormatError(F, 28, `vertex count ${v} exceeds the bound of ${MAX_ITEMS}`);
  if (t > MAX_ITEMS) throw new FormatError(F, 32, `triangle count ${t} exceeds the bound of ${MAX_ITEMS}`);
  const expected = preparedMeshByteLength(v, t);
  if (bytes.length !== expected) throw new FormatError(F, Math.min(bytes.length, expected), `file is ${bytes.length} bytes, its counts (${v} vertices, ${t} triangles) make ${expected}`);
  const stored = dv.getUint32(CRC_AT, true);
  const actual = checksum(bytes);
  if (stored !== actual) throw new FormatError(F, CRC_AT, `CRC-32 is ${actual.toString(16).padStart(8, '0')}, the header says ${stored.toString(16).padStart(8, '0')} (the file was damaged)`);
  const fmt = dv.getUint32(16, true);
  const format = PREPARED_SOURCE_FORMATS[fmt - 1];
  if (!format) throw new FormatError(F, 16, `source format code ${fmt} is not 1–${PREPARED_SOURCE_FORMATS.length}`);
  const sourceVertices = dv.getUint32(20, true);
  const sourceTriangles = dv.getUint32(24, true);
  if (t > sourceTriangles) throw new FormatError(F, 32, `${t} triangles is more than the source's ${sourceTriangles}`);
  const min: [number, number, number] = [dv.getFloat32(36, true), dv.getFloat32(40, true), dv.getFloat32(44, true)];
  const max: [number, number, number] = [dv.getFloat32(48, true), dv.getFloat32(52, true), dv.getFloat32(56, true)];
  for (let i = 0; i < 3; i++) {
    if (!Number.isFinite(min[i]) || !Number.isFinite(max[i]) || min[i]! > max[i]!) throw new FormatError(F, 36 + 4 * i, `source bounds [${min[i]}, ${max[i]}] on axis ${'xyz'[i]} are not a finite range`);
  }
  const flags = dv.getUint32(92, true);
  if (flags & ~(FLAG_OUTWARD | FLAG_TURNED)) throw new FormatError(F, 92, `unknown flags ${flags.toString(16)}`);
  const hash = bytes.slice(60, 92);
  const algorithm = dv.getUint32(8, true);
  const maxTriangles = dv.getUint32(12, true);
  if (expect.hash && hex(expect.hash) !== hex(hash)) throw new FormatError(F, 60, `made from source ${hex(hash).slice(0, 16)}…, not ${hex(expect.hash).slice(0, 16)}…`);
  if (expect.maxTriangles !== undefined && expect.maxTriangles !== maxTriangles) throw new FormatError(F, 12, `made for ${maxTriangles} triangles, not ${expect.maxTriangles}`);
  if (expect.algorithm !== undefined && expect.algorithm !== algorithm) throw new FormatError(F, 8, `made by preparation version ${algorithm}, not ${expect.algorithm}`);
  // Typed views need 4-byte alignment of the whole buffer offset; a misaligned input is copied once.
  const buf = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  let o = buf.byteOffset + PREPARED_MESH_HEADER;
  const positions = new Float32Array(buf.buffer, o, 3 * v);
  o += 12 * v;
  const normals = new Int8Array(buf.buffer, o, 4 * v);
  o += 4 * v;
  const indices = new Uint32Array(buf.buffer, o, 3 * t);
  for (let i = 0; i < indices.length; i++) {
    if (indices[i]! >= v) throw new FormatError(F, o - buf.byteOffset + 4 * i, `triangle ${Math.floor(i / 3)} uses vertex ${indices[i]}, but there are only ${v} vertices`);
  }
  return { algorithm, maxTriangles, outward: (flags & FLAG_OUTWARD) !== 0, turned: (flags & FLAG_TURNED) !== 0, source: { format, vertices: sourceVertices, triangles: sourceTriangles, min, max, hash }, positions, normals, indices };
}
