/**
 * The one in-memory mesh every mesh decoder returns: flat xyz float32 vertices and triangle indices.
 * Units are whatever the file used (FlyEM .ngmesh: nanometres; see DVID-API.md §10.1).
 */
import { looksLikeNgmesh } from './ngmesh';

export interface Mesh {
  /** x, y, z per vertex */
  vertices: Float32Array;
  /** 3 vertex indices per triangle */
  faces: Uint32Array;
}

export type MeshFormat = 'ngmesh' | 'obj' | 'ply' | 'draco';
export const MESH_FORMAT_NAMES: readonly string[] = ['ngmesh', 'draco', 'obj', 'ply'];

/**
 * Axis-aligned bounds of the vertices. An empty mesh gives min = +Infinity and max = −Infinity on
 * every axis (the identities of min and max); NaN coordinates are ignored.
 */
export function meshBounds(mesh: Mesh): { min: [number, number, number]; max: [number, number, number] } {
  const v = mesh.vertices;
  let x0 = Infinity, y0 = Infinity, z0 = Infinity;
  let x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let i = 0; i + 2 < v.length; i += 3) {
    const x = v[i] as number, y = v[i + 1] as number, z = v[i + 2] as number;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  return { min: [x0, y0, z0], max: [x1, y1, z1] };
}

/** Bytes a triangle takes, for estimating the triangles of a file that is not decoded (Draco ≈ 1 B at FlyEM's quantization; text formats ≈ 40 B). */
const BYTES_PER_TRIANGLE: Record<string, number> = { draco: 1, obj: 40, ply: 40 };

/**
 * Triangles of a mesh file without decoding it: exact for ngmesh (from the vertex count in its first
 * 4 bytes and its length), else an estimate from the size.
 */
export function meshTriangleCount(format: string, size: number, ngmeshVertexCount: number | null): { triangles: number; estimated: boolean } {
  if (format === 'ngmesh' && ngmeshVertexCount !== null) {
    const t = (size - 4 - 12 * ngmeshVertexCount) / 12;
    if (Number.isInteger(t) && t >= 0) return { triangles: t, estimated: false };
  }
  return { triangles: Math.ceil(size / (BYTES_PER_TRIANGLE[format] ?? 12)), estimated: true };
}

const DRACO_MAGIC = [0x44, 0x52, 0x41, 0x43, 0x4f]; // "DRACO"

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((b, i) => bytes[i] === b);
}

/** True when the first KiB is plain text (no NUL or control bytes other than tab, CR, LF). */
function looksLikeText(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 1024);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

/** An OBJ file is text with a vertex line (`v x y z`) near its start. */
function looksLikeObj(bytes: Uint8Array): boolean {
  if (!looksLikeText(bytes)) return false;
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 4096)));
  return /^[ \t]*v[ \t]/m.test(head);
}

/**
 * Which mesh format the bytes are, from their content: Draco and PLY by magic, OBJ by its text
 * keywords, legacy ngmesh by its structure (vertex count consistent with the length, first indices in
 * range). Null when none fits. Sniff rather than trust a key suffix (DVID-API.md §10.1).
 */
export function sniffMeshFormat(bytes: Uint8Array): MeshFormat | null {
  if (startsWith(bytes, DRACO_MAGIC)) return 'draco';
  if (startsWith(bytes, [0x70, 0x6c, 0x79]) && (bytes[3] === 0x0a || bytes[3] === 0x0d)) return 'ply';
  if (looksLikeObj(bytes)) return 'obj';
  if (looksLikeNgmesh(bytes)) return 'ngmesh';
  return null;
}
