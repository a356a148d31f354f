/**
 * Draco `.drc` reader (neu3/Clio supervoxel and body meshes), through Google's own wasm decoder
 * (the `draco3d` package). Draco's bitstream is too intricate to re-implement safely; what this module
 * owns is the boundary: size bound, magic and geometry-type check, copying out of the wasm heap, and
 * turning every failure into a FormatError.
 *
 * Header (all that is read here; the rest is Draco's):
 *   offset 0  "DRACO"        magic
 *   offset 5  uint8 major, uint8 minor   bitstream version
 *   offset 7  uint8 encoder type         0 = point cloud, 1 = triangular mesh
 *   offset 8  uint8 method, uint16 flags
 *
 * The decoder module (≈ 270 KB of wasm) is instantiated once, on first use, and shared. If it ever
 * fails in an unexpected way (a wasm trap or abort leaves an Emscripten module unusable), it is
 * dropped and the next call instantiates a fresh one.
 */
import draco3d from 'draco3d';
import { FormatError } from './format-error';
import type { Mesh } from './mesh';

const F = 'draco';
/** Hard bound on the compressed input: 256 MiB (real body meshes are a few MB). */
export const DRACO_MAX_BYTES = 1 << 28;
/** Decoded size bound: 2^26 points / triangles (768 MiB each as float32/uint32 xyz). */
const MAX_POINTS = 1 << 26;
const HEADER_BYTES = 11;

// The parts of the Emscripten module used here (the published typings lack DecodeArrayToMesh).
interface DracoStatus {
  ok(): boolean;
  error_msg(): string;
}
interface DracoMesh {
  num_points(): number;
  num_faces(): number;
}
interface DracoAttribute {
  num_components(): number;
}
interface DracoDecoder {
  DecodeArrayToMesh(data: Int8Array, length: number, mesh: DracoMesh): DracoStatus;
  GetAttributeId(mesh: DracoMesh, type: number): number;
  GetAttribute(mesh: DracoMesh, id: number): DracoAttribute;
  GetAttributeDataArrayForAllPoints(mesh: DracoMesh, attr: DracoAttribute, type: number, byteLength: number, ptr: number): boolean;
  GetTrianglesUInt32Array(mesh: DracoMesh, byteLength: number, ptr: number): boolean;
}
interface DracoModule {
  Decoder: new () => DracoDecoder;
  Mesh: new () => DracoMesh;
  POSITION: number;
  DT_FLOAT32: number;
  HEAPF32: Float32Array;
  HEAPU32: Uint32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  destroy(obj: unknown): void;
}

let modulePromise: Promise<DracoModule> | null = null;

function decoderModule(): Promise<DracoModule> {
  modulePromise ??= (draco3d.createDecoderModule({}) as unknown as Promise<DracoModule>).catch((err: unknown) => {
    modulePromise = null;
    throw err;
  });
  return modulePromise;
}

/** Checks the header without instantiating the decoder. */
export function readDracoHeader(bytes: Uint8Array): { major: number; minor: number; encoderType: number } {
  if (bytes.length < HEADER_BYTES) throw new FormatError(F, 0, `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte Draco header`);
  const magic = String.fromCharCode(...bytes.subarray(0, 5));
  if (magic !== 'DRACO') throw new FormatError(F, 0, 'does not start with "DRACO"');
  return { major: bytes[5] as number, minor: bytes[6] as number, encoderType: bytes[7] as number };
}

export async function decodeDraco(bytes: Uint8Array, opts?: { maxBytes?: number }): Promise<Mesh> {
  const max = opts?.maxBytes ?? DRACO_MAX_BYTES;
  if (bytes.length > max) throw new FormatError(F, 0, `${bytes.length} bytes exceeds the ${max}-byte limit`);
  const header = readDracoHeader(bytes);
  if (header.encoderType === 0) throw new FormatError(F, 7, 'a point cloud, not a triangle mesh');
  if (header.encoderType !== 1) throw new FormatError(F, 7, `unknown encoder type ${header.encoderType}`);

  let m: DracoModule;
  try {
    m = await decoderModule();
  } catch (err) {
    throw new Error(`draco: the wasm decoder could not be loaded: ${(err as Error).message}`, { cause: err });
  }
  const decoder = new m.Decoder();
  const mesh = new m.Mesh();
  let ptr = 0;
  try {
    const input = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const status = decoder.DecodeArrayToMesh(input, input.length, mesh);
    if (!status.ok()) throw new FormatError(F, 0, `decoder: ${status.error_msg() || 'failed'}`);
    const points = mesh.num_points();
    const faces = mesh.num_faces();
    if (points > MAX_POINTS || faces > MAX_POINTS) throw new FormatError(F, 0, `${points} points / ${faces} faces exceeds the limit of ${MAX_POINTS}`);
    const attrId = decoder.GetAttributeId(mesh, m.POSITION);
    if (attrId < 0) throw new FormatError(F, 0, 'mesh has no POSITION attribute');
    const attr = decoder.GetAttribute(mesh, attrId);
    if (attr.num_components() !== 3) throw new FormatError(F, 0, `POSITION has ${attr.num_components()} components, expected 3`);

    const vBytes = points * 12;
    const fBytes = faces * 12;
    // oxlint-disable-next-line no-underscore-dangle -- Emscripten's exported name
    ptr = m._malloc(Math.max(vBytes, fBytes, 4));
    if (!ptr) throw new FormatError(F, 0, 'decoded mesh does not fit in the decoder memory');
    if (!decoder.GetAttributeDataArrayForAllPoints(mesh, attr, m.DT_FLOAT32, vBytes, ptr)) {
      throw new FormatError(F, 0, 'could not read the POSITION attribute as float32');
    }
    // Read the heap views only now: malloc may have grown (and replaced) the wasm memory.
    const vertices = m.HEAPF32.slice(ptr >> 2, (ptr >> 2) + points * 3);
    if (!decoder.GetTrianglesUInt32Array(mesh, fBytes, ptr)) throw new FormatError(F, 0, 'could not read the triangles');
    const tri = m.HEAPU32.slice(ptr >> 2, (ptr >> 2) + faces * 3);
    for (let i = 0; i < tri.length; i++) {
      if ((tri[i] as number) >= points) throw new FormatError(F, 0, `triangle ${Math.floor(i / 3)} uses point ${tri[i]} of ${points}`);
    }
    return { vertices, faces: tri };
  } catch (err) {
    if (err instanceof FormatError) throw err;
    modulePromise = null; // an abort or trap may have left the module unusable
    throw new FormatError(F, 0, `decoder failed: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    try {
      // oxlint-disable-next-line no-underscore-dangle -- Emscripten's exported name
      if (ptr) m._free(ptr);
      m.destroy(mesh);
      m.destroy(decoder);
    } catch {
      modulePromise = null;
    }
  }
}
