/**
 * One axis-aligned plane of a DVID compressed label Block (layout in label-block-layout.ts), without
 * decoding the rest: what a 2-D slice needs. Only the sub-blocks the plane crosses are read (1/8 of
 * them for a 64³ block), and of each only the 64 values in the plane: about 1/64 of a full decode.
 *
 * The result is in terms of the block's own label table, so a caller that maps labels (supervoxel →
 * body, body → colour) does it once per table entry, not once per pixel:
 * `label(pixel) = table[entries[pixel]]`, where `table` is the block's table followed by one extra
 * entry 0 (what a sub-block with Ns = 0 holds).
 *
 * Plane axes follow DVID's naming: xy → (u, v) = (x, y) at z = index; xz → (x, z) at y = index;
 * yz → (y, z) at x = index. Rows are v, u fastest.
 *
 * The whole structure is validated first (parseLabelBlockLayout); a packed value ≥ its sub-block's
 * label count in the plane is a FormatError. Nothing partial is returned.
 */
import { FormatError } from './format-error';
import { BITS_FOR, parseLabelBlockLayout } from './label-block-layout';
import type { LabelBlockDecodeOptions } from './label-block-types';
import { u64FromBytes } from './u64-lanes';

const FORMAT = 'label-block';

export type PlaneAxis = 'xy' | 'xz' | 'yz';

export interface LabelBlockPlane {
  /** u extent (nx for xy and xz, ny for yz) */
  width: number;
  /** v extent (ny for xy, nz for xz and yz) */
  height: number;
  /** the block's label table (n entries, duplicates kept) followed by 0n at index n */
  table: BigUint64Array;
  /** per pixel, an index into `table` */
  entries: Uint32Array;
}

function u32(bytes: Uint8Array, p: number): number {
  return (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
}

export function decodeLabelBlockPlane(bytes: Uint8Array, axis: PlaneAxis, index: number, opts: LabelBlockDecodeOptions = {}): LabelBlockPlane {
  const layout = parseLabelBlockLayout(bytes, opts);
  const { nx, ny, nz, gx, gy, gz, n } = layout;
  const depth = axis === 'xy' ? nz : axis === 'xz' ? ny : nx;
  if (!Number.isInteger(index) || index < 0 || index >= depth) {
    throw new RangeError(`plane ${axis} at ${index} is outside a ${nx}×${ny}×${nz} block`);
  }
  const width = axis === 'yz' ? ny : nx;
  const height = axis === 'xy' ? ny : nz;
  const table = new BigUint64Array(n + 1);
  table.set(u64FromBytes(bytes.subarray(layout.tableOffset, layout.tableOffset + 8 * n)));
  const entries = new Uint32Array(width * height);
  if (n === 1) return { width, height, table, entries };

  const fixedSub = index >> 3;
  const local = index & 7;
  let nsPos = layout.nsOffset;
  let idxPos = layout.indexOffset;
  let valPos = layout.valuesOffset;
  const end = bytes.length;
  for (let sz = 0; sz < gz; sz++) {
    for (let sy = 0; sy < gy; sy++) {
      for (let sx = 0; sx < gx; sx++, nsPos += 2) {
        const ns = bytes[nsPos]! | (bytes[nsPos + 1]! << 8);
        const b = BITS_FOR[ns]!;
        const crosses = axis === 'xy' ? sz === fixedSub : axis === 'xz' ? sy === fixedSub : sx === fixedSub;
        if (crosses) {
          // The plane's 8×8 patch of this sub-block: (a, c) = in-plane local coordinates (u, v).
          const uBase = axis === 'yz' ? sy * 8 : sx * 8;
          const vBase = axis === 'xy' ? sy * 8 : sz * 8;
          if (ns <= 1) {
            const entry = ns === 0 ? n : u32(bytes, idxPos);
            for (let c = 0; c < 8; c++) entries.fill(entry, (vBase + c) * width + uBase, (vBase + c) * width + uBase + 8);
          } else {
            const mask = (1 << b) - 1;
            for (let c = 0; c < 8; c++) {
              const row = (vBase + c) * width + uBase;
              for (let a = 0; a < 8; a++) {
                // voxel order inside the sub-block: (z·8 + y)·8 + x
                const lx = axis === 'yz' ? local : a;
                const ly = axis === 'xy' ? c : axis === 'xz' ? local : a;
                const lz = axis === 'xy' ? local : c;
                const bit = ((lz * 8 + ly) * 8 + lx) * b;
                const p = valPos + (bit >> 3);
                const w = (bytes[p]! << 8) | (p + 1 < end ? bytes[p + 1]! : 0);
                const value = (w >>> (16 - (bit & 7) - b)) & mask;
                if (value >= ns) throw new FormatError(FORMAT, p, `sub-block ${(sz * gy + sy) * gx + sx} has a packed value ${value} ≥ its label count ${ns}`);
                entries[row + a] = u32(bytes, idxPos + 4 * value);
              }
            }
          }
        }
        idxPos += 4 * ns;
        valPos += 64 * b;
      }
    }
  }
  return { width, height, table, entries };
}
