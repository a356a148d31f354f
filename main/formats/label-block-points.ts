/**
 * The label at given voxels of a DVID compressed label Block, read straight from its encoding (layout
 * in label-block-layout.ts).
 *
 * Sync asks this for every synapse lying in a block it fetches (the supervoxel under each element):
 * typically a handful of points in a 64³ block. Decoding the block to a palette first cost one index
 * write per voxel (262,144) for those few reads; here one O(Nsb) pass finds where each sub-block's
 * index list and packed values start, and then each point costs O(1): its sub-block, its packed value
 * (b bits, MSB-first, x fastest inside the 8³ sub-block), and that value's table entry.
 *
 * Validation: the block structure as parseLabelBlockLayout checks it, each point inside the block, and
 * each packed value read < Ns of its sub-block (what the decoders check for every voxel). Values no
 * point reads are not checked here; callers that need the whole block validated run the histogram or
 * a decoder too (the sync's decode task does both).
 */
import { FormatError } from './format-error';
import { BITS_FOR, parseLabelBlockLayout } from './label-block-layout';
import type { LabelBlockDecodeOptions } from './label-block-types';

const FORMAT = 'label-block';

/** Labels at block-local x, y, z triples (`points.length` a multiple of 3). */
export function labelBlockLabelsAt(bytes: Uint8Array, points: Int32Array, opts: LabelBlockDecodeOptions = {}): BigUint64Array {
  if (points.length % 3 !== 0) throw new FormatError('labels-at-points', points.length, `${points.length} coordinates are not x, y, z triples`);
  const layout = parseLabelBlockLayout(bytes, opts);
  const { gx, gy, nx, ny, nz, nsb } = layout;
  const count = points.length / 3;
  const out = new BigUint64Array(count);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entry = (e: number) => dv.getBigUint64(layout.tableOffset + 8 * e, true);

  // Where sub-block s's index list and packed values start (only needed when N > 1).
  let idxStart: Uint32Array | null = null;
  let valStart: Uint32Array | null = null;
  if (layout.n > 1) {
    idxStart = new Uint32Array(nsb);
    valStart = new Uint32Array(nsb);
    let ip = layout.indexOffset;
    let vp = layout.valuesOffset;
    for (let s = 0, p = layout.nsOffset; s < nsb; s++, p += 2) {
      const ns = bytes[p]! | (bytes[p + 1]! << 8);
      idxStart[s] = ip;
      valStart[s] = vp;
      ip += 4 * ns;
      vp += 64 * BITS_FOR[ns]!;
    }
  }

  for (let i = 0; i < count; i++) {
    const x = points[3 * i]!;
    const y = points[3 * i + 1]!;
    const z = points[3 * i + 2]!;
    if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) throw new FormatError('labels-at-points', i, `point ${x},${y},${z} is outside the ${nx}×${ny}×${nz} block`);
    if (!idxStart || !valStart) {
      out[i] = entry(0);
      continue;
    }
    const s = ((z >> 3) * gy + (y >> 3)) * gx + (x >> 3);
    const nsPos = layout.nsOffset + 2 * s;
    const ns = bytes[nsPos]! | (bytes[nsPos + 1]! << 8);
    if (ns === 0) {
      out[i] = 0n;
      continue;
    }
    let v = 0;
    if (ns > 1) {
      const b = BITS_FOR[ns]!;
      const bit = (((z & 7) * 8 + (y & 7)) * 8 + (x & 7)) * b;
      const q = valStart[s]! + (bit >> 3);
      // b ≤ 9 and the value starts at bit (bit & 7) of byte q: it lies within the 3 bytes from q.
      const w = (bytes[q]! << 16) | ((bytes[q + 1] ?? 0) << 8) | (bytes[q + 2] ?? 0);
      v = (w >>> (24 - (bit & 7) - b)) & ((1 << b) - 1);
      if (v >= ns) throw new FormatError(FORMAT, q, `sub-block ${s} of ${nsb} has a packed value ≥ its label count ${ns}`);
    }
    out[i] = entry(dv.getUint32(idxStart[s]! + 4 * v, true));
  }
  return out;
}
