/**
 * The byte layouts of the binary API results (bodyMesh, roiMesh, bodySkeleton, bodySynapses, slice):
 * part of the contract, like api.ts, and like it free of imports, so main (which writes them, in the
 * worker pool) and the renderer (which reads them straight into WebGL / canvas buffers) share one
 * definition. Every reader checks the magic, the version and every length against the buffer before
 * it makes a view, and throws LayoutError otherwise.
 *
 * Common to all: little-endian; bytes 0–3 an ASCII magic, bytes 4–7 a uint32 layout version (1);
 * every section starts 4-byte aligned (8-byte for uint64), so the renderer takes typed-array views
 * of the one ArrayBuffer without copying. Coordinates are scale-0 voxels of the segmentation (the
 * space synapses are stored in), whatever units the cached file used.
 *
 * Mesh "DDMS" (bodyMesh, roiMesh):
 * ```
 * 0   u32×1  magic "DDMS"            4   u32 version = 1
 * 8   u32    vertex count V          12  u32 triangle count T
 * 16  f32×3  bounds min (x, y, z)    28  f32×3 bounds max    (of a preview: of the full mesh it stands for)
 * 40  u32    flags: bit 0 = normals present, bit 1 = the source was in voxels (not nm),
 *                   bit 2 = decimated (a preview with fewer triangles than the cached mesh),
 *                   bit 3 = outward: the mesh is a closed surface whose triangles are all wound
 *                           counter-clockwise seen from outside, so back faces may be culled
 * 44  u32    source format: 1 ngmesh, 2 draco, 3 obj, 4 ply
 * 48  f32 × 3V  positions x, y, z
 * ..  i8 × 4V   unit normals x, y, z (·127) and a 0 pad byte       (when flags bit 0)
 * ..  u32 × 3T  triangle vertex indices
 * ```
 * Skeleton "DDSK" (bodySkeleton):
 * ```
 * 0   "DDSK"   4 u32 version = 1    8 u32 node count N    12 u32 edge count E
 * 16  u32      index of the first root node (0xFFFFFFFF when none)
 * 20  u32      reserved (0)
 * 24  f32 × 3N  positions x, y, z
 * ..  f32 × N   radii (voxels)
 * ..  u8 × N    SWC node types (1 = soma), then zero padding to a multiple of 4
 * ..  u32 × 2E  edges (child node index, parent node index)
 * ```
 * Synapses "DDSY" (bodySynapses):
 * ```
 * 0   "DDSY"   4 u32 version = 1    8 u32 count S    12 u32 of which T-bars (pre)
 * 16  i32 × 4S  x, y, z, kind (0 = T-bar / PreSyn, the body's outputs; 1 = PSD / PostSyn, its inputs)
 * ```
 * Slice "DDSL" (slice): one window of one plane of the segmentation at one scale, as body ids.
 * ```
 * 0   "DDSL"   4 u32 version = 1    8 u32 width W    12 u32 height H
 * 16  u32      palette size P (≥ 1; entry 0 is reserved)
 * 20  u32      bytes per index: 2 or 4
 * 24  u32      axis: 0 xy, 1 xz, 2 yz        28 u32 scale
 * 32  i32      position (the fixed coordinate, voxels of that scale)
 * 36  i32      x0 (first column)              40 i32 y0 (first row)
 * 44  u32      pixels in missing blocks (not in the cache)
 * 48  u64 × P  palette: body ids; entry 0 is unused (0)
 * ..  u16|u32 × W·H  palette index per pixel, rows top to bottom, u fastest; then padding to 4
 * ```
 * Index 0 is MISSING (the block is not in the cache): never a body, never label 0. Label 0
 * (background, or a block the server has none of) is an ordinary palette entry with id 0.
 * Plane axes follow DVID's `0_1` / `0_2` / `1_2`: xy → (u, v) = (x, y); xz → (x, z); yz → (y, z).
 */

export class LayoutError extends Error {
  override name = 'LayoutError';
  constructor(
    readonly layout: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${layout} at byte ${offset}: ${reason}`);
  }
}

export const LAYOUT_VERSION = 1;
/** Palette index of a pixel whose block is not in the cache. */
export const SLICE_MISSING = 0;
export type SliceAxisCode = 0 | 1 | 2;
export const SLICE_AXES = ['xy', 'xz', 'yz'] as const;

export const MESH_SOURCE_FORMATS = ['', 'ngmesh', 'draco', 'obj', 'ply'] as const;

/** Caps a reader enforces before it makes views (a corrupt header never asks for gigabytes). */
const MAX_ITEMS = 1 << 28;

const MAGIC = { mesh: 'DDMS', skeleton: 'DDSK', synapses: 'DDSY', slice: 'DDSL' } as const;

function writeMagic(view: DataView, magic: string): void {
  for (let i = 0; i < 4; i++) view.setUint8(i, magic.charCodeAt(i));
  view.setUint32(4, LAYOUT_VERSION, true);
}

function checkHeader(buf: ArrayBuffer, magic: string, headerBytes: number): DataView {
  if (buf.byteLength < headerBytes) throw new LayoutError(magic, buf.byteLength, `buffer of ${buf.byteLength} bytes is shorter than the ${headerBytes}-byte header`);
  const view = new DataView(buf);
  let got = '';
  for (let i = 0; i < 4; i++) got += String.fromCharCode(view.getUint8(i));
  if (got !== magic) throw new LayoutError(magic, 0, `magic is "${got.replace(/[^ -~]/g, '?')}", expected "${magic}"`);
  const version = view.getUint32(4, true);
  if (version !== LAYOUT_VERSION) throw new LayoutError(magic, 4, `layout version ${version}, this reader knows ${LAYOUT_VERSION}`);
  return view;
}

function count(view: DataView, magic: string, offset: number, what: string): number {
  const n = view.getUint32(offset, true);
  if (n > MAX_ITEMS) throw new LayoutError(magic, offset, `${what} ${n} exceeds the bound of ${MAX_ITEMS}`);
  return n;
}

function expectLength(buf: ArrayBuffer, magic: string, expected: number): void {
  if (buf.byteLength !== expected) throw new LayoutError(magic, Math.min(buf.byteLength, expected), `buffer is ${buf.byteLength} bytes, the header implies ${expected}`);
}

const pad4 = (n: number): number => (n + 3) & ~3;

// ---------------------------------------------------------------------------------------- mesh

export interface MeshBuffers {
  positions: Float32Array;
  /** i8 × 4 per vertex (x, y, z, pad), or null */
  normals: Int8Array | null;
  indices: Uint32Array;
  min: [number, number, number];
  max: [number, number, number];
  sourceInVoxels: boolean;
  sourceFormat: (typeof MESH_SOURCE_FORMATS)[number];
  /** a preview with fewer triangles than the cached mesh (bodyMesh's maxTriangles) */
  decimated: boolean;
  /** closed and wound outward throughout: drawing front faces only shows all of it */
  outward: boolean;
}

const MESH_HEADER = 48;

/**
 * Triangles of a body mesh preview (bodyMesh's maxTriangles): a body whose mesh has more than
 * PREVIEW_ABOVE triangles is drawn first from a preview of at most about this many, then replaced by
 * the full mesh. Main prepares previews of this size ahead (at sync) and keeps them in the cache.
 *
 * Why 30 k: the preview is on screen for the second or so its full mesh takes, and its first frame
 * costs about 1.2 ms per thousand triangles where WebGL is rendered in software (SwiftShader, 4×
 * multisampling, back faces culled), on top of ≈ 180 ms that any first frame of a new 3D view costs
 * there. 60 k put a 7.5 MB mesh's first frame at ≈ 310 ms, 30 k at ≈ 270 ms (body-mesh bench).
 */
export const PREVIEW_TRIANGLES = 30_000;
export const PREVIEW_ABOVE = 2 * PREVIEW_TRIANGLES;

export function meshByteLength(vertices: number, triangles: number, normals: boolean): number {
  return MESH_HEADER + 12 * vertices + (normals ? 4 * vertices : 0) + 12 * triangles;
}

/**
 * Allocates a mesh buffer and returns views to fill in place (the worker writes positions, normals
 * and indices straight into the result, no second copy).
 */
export function allocMesh(
  vertices: number,
  triangles: number,
  opts: { normals: boolean; min: readonly number[]; max: readonly number[]; sourceInVoxels: boolean; sourceFormat: MeshBuffers['sourceFormat']; decimated?: boolean; outward?: boolean },
): { buffer: ArrayBuffer } & Omit<MeshBuffers, 'min' | 'max' | 'sourceInVoxels' | 'sourceFormat' | 'decimated' | 'outward'> {
  const buffer = new ArrayBuffer(meshByteLength(vertices, triangles, opts.normals));
  const view = new DataView(buffer);
  writeMagic(view, MAGIC.mesh);
  view.setUint32(8, vertices, true);
  view.setUint32(12, triangles, true);
  for (let i = 0; i < 3; i++) {
    view.setFloat32(16 + 4 * i, opts.min[i]!, true);
    view.setFloat32(28 + 4 * i, opts.max[i]!, true);
  }
  view.setUint32(40, (opts.normals ? 1 : 0) | (opts.sourceInVoxels ? 2 : 0) | (opts.decimated ? 4 : 0) | (opts.outward ? 8 : 0), true);
  view.setUint32(44, Math.max(0, MESH_SOURCE_FORMATS.indexOf(opts.sourceFormat)), true);
  let o = MESH_HEADER;
  const positions = new Float32Array(buffer, o, 3 * vertices);
  o += 12 * vertices;
  const normals = opts.normals ? new Int8Array(buffer, o, 4 * vertices) : null;
  if (opts.normals) o += 4 * vertices;
  const indices = new Uint32Array(buffer, o, 3 * triangles);
  return { buffer, positions, normals, indices };
}

export function readMesh(buf: ArrayBuffer): MeshBuffers {
  const m = MAGIC.mesh;
  const view = checkHeader(buf, m, MESH_HEADER);
  const vertices = count(view, m, 8, 'vertex count');
  const triangles = count(view, m, 12, 'triangle count');
  const flags = view.getUint32(40, true);
  const hasNormals = (flags & 1) !== 0;
  expectLength(buf, m, meshByteLength(vertices, triangles, hasNormals));
  const fmt = view.getUint32(44, true);
  const min: [number, number, number] = [view.getFloat32(16, true), view.getFloat32(20, true), view.getFloat32(24, true)];
  const max: [number, number, number] = [view.getFloat32(28, true), view.getFloat32(32, true), view.getFloat32(36, true)];
  let o = MESH_HEADER;
  const positions = new Float32Array(buf, o, 3 * vertices);
  o += 12 * vertices;
  const normals = hasNormals ? new Int8Array(buf, o, 4 * vertices) : null;
  if (hasNormals) o += 4 * vertices;
  const indices = new Uint32Array(buf, o, 3 * triangles);
  // An index past the vertices would make WebGL draw garbage or fail: checked once here.
  let maxIndex = 0;
  for (let i = 0; i < indices.length; i++) if (indices[i]! > maxIndex) maxIndex = indices[i]!;
  if (triangles > 0 && maxIndex >= vertices) throw new LayoutError(m, o, `triangle index ${maxIndex} ≥ vertex count ${vertices}`);
  return { positions, normals, indices, min, max, sourceInVoxels: (flags & 2) !== 0, sourceFormat: MESH_SOURCE_FORMATS[fmt] ?? '', decimated: (flags & 4) !== 0, outward: (flags & 8) !== 0 };
}

/** Vertex and triangle counts from the header alone (no validation of the rest). */
export function meshCounts(buf: ArrayBuffer): { vertices: number; triangles: number } {
  const view = checkHeader(buf, MAGIC.mesh, MESH_HEADER);
  return { vertices: view.getUint32(8, true), triangles: view.getUint32(12, true) };
}

// ------------------------------------------------------------------------------------ skeleton

export interface SkeletonBuffers {
  positions: Float32Array;
  radii: Float32Array;
  types: Uint8Array;
  edges: Uint32Array;
  /** -1 when the skeleton has no root */
  root: number;
}

const SKELETON_HEADER = 24;
const NO_ROOT = 0xffff_ffff;

export function skeletonByteLength(nodes: number, edges: number): number {
  return SKELETON_HEADER + 16 * nodes + pad4(nodes) + 8 * edges;
}

export function allocSkeleton(nodes: number, edges: number, root: number): { buffer: ArrayBuffer } & Omit<SkeletonBuffers, 'root'> {
  const buffer = new ArrayBuffer(skeletonByteLength(nodes, edges));
  const view = new DataView(buffer);
  writeMagic(view, MAGIC.skeleton);
  view.setUint32(8, nodes, true);
  view.setUint32(12, edges, true);
  view.setUint32(16, root < 0 ? NO_ROOT : root, true);
  return { buffer, ...skeletonViews(buffer, nodes, edges) };
}

function skeletonViews(buffer: ArrayBuffer, nodes: number, edges: number): Omit<SkeletonBuffers, 'root'> {
  let o = SKELETON_HEADER;
  const positions = new Float32Array(buffer, o, 3 * nodes);
  o += 12 * nodes;
  const radii = new Float32Array(buffer, o, nodes);
  o += 4 * nodes;
  const types = new Uint8Array(buffer, o, nodes);
  o += pad4(nodes);
  return { positions, radii, types, edges: new Uint32Array(buffer, o, 2 * edges) };
}

export function readSkeleton(buf: ArrayBuffer): SkeletonBuffers {
  const m = MAGIC.skeleton;
  const view = checkHeader(buf, m, SKELETON_HEADER);
  const nodes = count(view, m, 8, 'node count');
  const edges = count(view, m, 12, 'edge count');
  expectLength(buf, m, skeletonByteLength(nodes, edges));
  const rootRaw = view.getUint32(16, true);
  if (rootRaw !== NO_ROOT && rootRaw >= nodes) throw new LayoutError(m, 16, `root ${rootRaw} ≥ node count ${nodes}`);
  const v = skeletonViews(buf, nodes, edges);
  for (let i = 0; i < v.edges.length; i++) {
    if (v.edges[i]! >= nodes) throw new LayoutError(m, buf.byteLength - 8 * edges + 4 * i, `edge end ${v.edges[i]} ≥ node count ${nodes}`);
  }
  return { ...v, root: rootRaw === NO_ROOT ? -1 : rootRaw };
}

// ------------------------------------------------------------------------------------ synapses

export interface SynapseBuffers {
  /** x, y, z, kind per synapse */
  records: Int32Array;
  count: number;
  pre: number;
}

export const SYNAPSE_PRE = 0;
export const SYNAPSE_POST = 1;
const SYNAPSE_HEADER = 16;

export function allocSynapses(n: number, pre: number): { buffer: ArrayBuffer; records: Int32Array } {
  const buffer = new ArrayBuffer(SYNAPSE_HEADER + 16 * n);
  const view = new DataView(buffer);
  writeMagic(view, MAGIC.synapses);
  view.setUint32(8, n, true);
  view.setUint32(12, pre, true);
  return { buffer, records: new Int32Array(buffer, SYNAPSE_HEADER, 4 * n) };
}

export function readSynapses(buf: ArrayBuffer): SynapseBuffers {
  const m = MAGIC.synapses;
  const view = checkHeader(buf, m, SYNAPSE_HEADER);
  const n = count(view, m, 8, 'synapse count');
  const pre = view.getUint32(12, true);
  if (pre > n) throw new LayoutError(m, 12, `${pre} T-bars of ${n} synapses`);
  expectLength(buf, m, SYNAPSE_HEADER + 16 * n);
  return { records: new Int32Array(buf, SYNAPSE_HEADER, 4 * n), count: n, pre };
}

// --------------------------------------------------------------------------------------- slice

export interface SliceHeader {
  width: number;
  height: number;
  axis: SliceAxisCode;
  scale: number;
  position: number;
  x0: number;
  y0: number;
  /** pixels whose block is not in the cache */
  missing: number;
}

export interface SliceBuffers extends SliceHeader {
  /** body id per palette entry; entry 0 (SLICE_MISSING) is unused */
  palette: BigUint64Array;
  indices: Uint16Array | Uint32Array;
}

const SLICE_HEADER = 48;

export function sliceByteLength(width: number, height: number, paletteSize: number, indexBytes: 2 | 4): number {
  return SLICE_HEADER + 8 * paletteSize + pad4(width * height * indexBytes);
}

export function allocSlice(h: SliceHeader, paletteSize: number): { buffer: ArrayBuffer; palette: BigUint64Array; indices: Uint16Array | Uint32Array } {
  const indexBytes = paletteSize > 0xffff ? 4 : 2;
  const buffer = new ArrayBuffer(sliceByteLength(h.width, h.height, paletteSize, indexBytes));
  const view = new DataView(buffer);
  writeMagic(view, MAGIC.slice);
  view.setUint32(8, h.width, true);
  view.setUint32(12, h.height, true);
  view.setUint32(16, paletteSize, true);
  view.setUint32(20, indexBytes, true);
  view.setUint32(24, h.axis, true);
  view.setUint32(28, h.scale, true);
  view.setInt32(32, h.position, true);
  view.setInt32(36, h.x0, true);
  view.setInt32(40, h.y0, true);
  view.setUint32(44, h.missing, true);
  const palette = new BigUint64Array(buffer, SLICE_HEADER, paletteSize);
  const at = SLICE_HEADER + 8 * paletteSize;
  const indices = indexBytes === 2 ? new Uint16Array(buffer, at, h.width * h.height) : new Uint32Array(buffer, at, h.width * h.height);
  return { buffer, palette, indices };
}

/** Sets the missing-pixel count after the indices were written. */
export function setSliceMissing(buffer: ArrayBuffer, missing: number): void {
  new DataView(buffer).setUint32(44, missing, true);
}

export function readSlice(buf: ArrayBuffer): SliceBuffers {
  const m = MAGIC.slice;
  const view = checkHeader(buf, m, SLICE_HEADER);
  const width = count(view, m, 8, 'width');
  const height = count(view, m, 12, 'height');
  const paletteSize = count(view, m, 16, 'palette size');
  const indexBytes = view.getUint32(20, true);
  if (indexBytes !== 2 && indexBytes !== 4) throw new LayoutError(m, 20, `index width ${indexBytes} bytes (2 or 4)`);
  if (paletteSize < 1) throw new LayoutError(m, 16, 'palette is empty (entry 0 is reserved)');
  if (width * height > MAX_ITEMS) throw new LayoutError(m, 8, `${width}×${height} pixels exceed the bound`);
  const axis = view.getUint32(24, true);
  if (axis > 2) throw new LayoutError(m, 24, `axis code ${axis} (0 xy, 1 xz, 2 yz)`);
  expectLength(buf, m, sliceByteLength(width, height, paletteSize, indexBytes));
  const palette = new BigUint64Array(buf, SLICE_HEADER, paletteSize);
  const at = SLICE_HEADER + 8 * paletteSize;
  const indices = indexBytes === 2 ? new Uint16Array(buf, at, width * height) : new Uint32Array(buf, at, width * height);
  let maxIndex = 0;
  for (let i = 0; i < indices.length; i++) if (indices[i]! > maxIndex) maxIndex = indices[i]!;
  if (maxIndex >= paletteSize) throw new LayoutError(m, at, `pixel index ${maxIndex} ≥ palette size ${paletteSize}`);
  return {
    width,
    height,
    axis: axis as SliceAxisCode,
    scale: view.getUint32(28, true),
    position: view.getInt32(32, true),
    x0: view.getInt32(36, true),
    y0: view.getInt32(40, true),
    missing: view.getUint32(44, true),
    palette,
    indices,
  };
}
