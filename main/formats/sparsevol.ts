/**
 * DVID legacy sparse volume, `GET /sparsevol/{label}?format=rles` (labelmap/labelidx.go
 * writeLegacyRLE; DVID-API.md §4.4), and `/sparsevol-coarse/{label}` (same bytes, block units).
 * All little-endian:
 *
 *   offset 0   uint8  0     payload descriptor (0 = binary sparse volume, no payload)
 *   offset 1   uint8  3     number of dimensions
 *   offset 2   uint8  0     run dimension (0 = X)
 *   offset 3   uint8  0     reserved
 *   offset 4   uint32       "# voxels" placeholder (DVID writes 0; any value is accepted)
 *   offset 8   uint32 S     number of spans
 *   offset 12  S × { int32 x, int32 y, int32 z, int32 length }   `length` voxels along +x from (x, y, z)
 *
 * The length must be exactly 12 + 16·S (checked before allocating). Runs are NOT globally sorted
 * (block by block, then Go-map order); they are returned in file order. A 200 with an empty body
 * (the label exists but nothing survived the scale/bounds filter) decodes to [].
 */
import { FormatError } from './format-error';

const F = 'sparsevol';
/** Hard bound: 1 GiB of runs (64 Mi runs). */
export const SPARSEVOL_MAX_BYTES = 1 << 30;
const HEADER = 12;
const RUN = 16;

export interface SparsevolRun {
  x: number;
  y: number;
  z: number;
  length: number;
}

export function decodeSparsevol(bytes: Uint8Array, opts?: { maxBytes?: number }): SparsevolRun[] {
  const max = opts?.maxBytes ?? SPARSEVOL_MAX_BYTES;
  if (bytes.length === 0) return [];
  if (bytes.length > max) throw new FormatError(F, 0, `${bytes.length} bytes exceeds the ${max}-byte limit`);
  if (bytes.length < HEADER) throw new FormatError(F, 0, `${bytes.length} bytes is shorter than the 12-byte header`);
  if (bytes[0] !== 0) throw new FormatError(F, 0, `payload descriptor ${bytes[0]} (only 0, a binary sparse volume, is defined)`);
  if (bytes[1] !== 3) throw new FormatError(F, 1, `${bytes[1]} dimensions, expected 3`);
  if (bytes[2] !== 0) throw new FormatError(F, 2, `run dimension ${bytes[2]}, expected 0 (x)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const spans = dv.getUint32(8, true);
  const expected = HEADER + RUN * spans;
  if (expected !== bytes.length) {
    throw new FormatError(F, 8, `span count ${spans} means ${expected} bytes, but there are ${bytes.length}`);
  }
  const runs: SparsevolRun[] = [];
  for (let i = 0, off = HEADER; i < spans; i++, off += RUN) {
    const length = dv.getInt32(off + 12, true);
    if (length <= 0) throw new FormatError(F, off + 12, `run #${i} has length ${length}`);
    runs.push({ x: dv.getInt32(off, true), y: dv.getInt32(off + 4, true), z: dv.getInt32(off + 8, true), length });
  }
  return runs;
}

function isI32(v: number): boolean {
  return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;
}

/** Header + runs; RangeError for values outside int32 or a length < 1 (a caller bug). */
export function encodeSparsevol(runs: readonly SparsevolRun[]): Uint8Array {
  const out = new Uint8Array(HEADER + RUN * runs.length);
  const dv = new DataView(out.buffer);
  out[1] = 3;
  dv.setUint32(8, runs.length, true);
  runs.forEach((r, i) => {
    if (!isI32(r.x) || !isI32(r.y) || !isI32(r.z) || !isI32(r.length) || r.length < 1) {
      throw new RangeError(`sparsevol: run #${i} ${JSON.stringify(r)} is not int32 coordinates with length ≥ 1`);
    }
    const off = HEADER + RUN * i;
    dv.setInt32(off, r.x, true);
    dv.setInt32(off + 4, r.y, true);
    dv.setInt32(off + 8, r.z, true);
    dv.setInt32(off + 12, r.length, true);
  });
  return out;
}

/** Total voxels (or blocks, for the coarse form) covered by the runs. */
export function sparsevolVoxelCount(runs: readonly SparsevolRun[]): number {
  let n = 0;
  for (const r of runs) n += r.length;
  return n;
}
