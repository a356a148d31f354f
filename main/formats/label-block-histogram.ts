/**
 * Voxel count of every label of a DVID compressed label Block, straight from its encoding (layout in
 * label-block-layout.ts), without producing a voxel or index array.
 *
 * Sync stores this histogram for every block it fetches (which supervoxels a region holds, voxel counts
 * for derived tables), so it runs once per block on the sync's critical path. Going through the palette
 * form wrote and re-read one index per voxel; here a solid sub-block (Ns = 1, most of real segmentation)
 * is one addition, Ns = 0 adds 512 to label 0, a two-label sub-block is a popcount of its 64 bytes, a
 * three- or four-label one a table lookup per byte (four values at once), one of 9–16 labels counts
 * nibbles, and only the other widths unpack each value. Same validation as the decoders: a packed value ≥ Ns
 * is a FormatError, as is any structural fault parseLabelBlockLayout finds.
 */
import { FormatError } from './format-error';
import { BITS_FOR, parseLabelBlockLayout } from './label-block-layout';
import type { LabelBlockDecodeOptions } from './label-block-types';
import { unpackSubblock } from './label-block-unpack';
import { u64FromBytes } from './u64-lanes';

const FORMAT = 'label-block';

/** Distinct labels (table duplicates merged, unused entries dropped; any order) and their voxel counts. */
export interface LabelHistogram {
  labels: BigUint64Array;
  counts: Uint32Array;
}

// Bits set in each byte value.
const POP8 = (() => {
  const t = new Uint8Array(256);
  for (let v = 1; v < 256; v++) t[v] = (v & 1) + t[v >>> 1]!;
  return t;
})();

// Per byte of a 2-bit sub-block (four values): counts of values 0, 1 in 16-bit lanes of PAIR01, of
// values 2, 3 in PAIR23. 128 bytes add up to at most 512 per lane, so the sums never carry.
const PAIR01 = new Uint32Array(256);
const PAIR23 = new Uint32Array(256);
for (let c = 0; c < 256; c++) {
  for (let sh = 6; sh >= 0; sh -= 2) {
    const v = (c >>> sh) & 3;
    if (v < 2) PAIR01[c] += v === 0 ? 1 : 1 << 16;
    else PAIR23[c] += v === 2 ? 1 : 1 << 16;
  }
}

const scratch = new Uint16Array(512);
const local = new Uint32Array(512);

export function labelBlockHistogram(bytes: Uint8Array, opts: LabelBlockDecodeOptions = {}): LabelHistogram {
  const layout = parseLabelBlockLayout(bytes, opts);
  const { n, nsb } = layout;
  const table = u64FromBytes(bytes.subarray(layout.tableOffset, layout.tableOffset + 8 * n));
  if (n === 1) return { labels: table, counts: Uint32Array.of(nsb * 512) };

  // Voxels per table entry, then per label value (a table may repeat a label or hold unused entries).
  const perEntry = new Uint32Array(n);
  let zeroSubblocks = 0;
  let nsPos = layout.nsOffset;
  let idxPos = layout.indexOffset;
  let valPos = layout.valuesOffset;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let s = 0; s < nsb; s++, nsPos += 2) {
    const ns = bytes[nsPos]! | (bytes[nsPos + 1]! << 8);
    if (ns === 0) {
      zeroSubblocks++;
      continue;
    }
    if (ns === 1) {
      perEntry[dv.getUint32(idxPos, true)]! += 512;
      idxPos += 4;
      continue;
    }
    const b = BITS_FOR[ns]!;
    if (b === 1) {
      let ones = 0;
      for (let q = valPos, end = valPos + 64; q < end; q++) ones += POP8[bytes[q]!]!;
      perEntry[dv.getUint32(idxPos, true)]! += 512 - ones;
      perEntry[dv.getUint32(idxPos + 4, true)]! += ones;
    } else if (b === 2) {
      let a01 = 0;
      let a23 = 0;
      for (let q = valPos, end = valPos + 128; q < end; q++) {
        const c = bytes[q]!;
        a01 += PAIR01[c]!;
        a23 += PAIR23[c]!;
      }
      if (ns === 3 && a23 >>> 16 !== 0) throw new FormatError(FORMAT, valPos, `sub-block ${s} of ${nsb} has a packed value ≥ its label count ${ns}`);
      perEntry[dv.getUint32(idxPos, true)]! += a01 & 0xffff;
      perEntry[dv.getUint32(idxPos + 4, true)]! += a01 >>> 16;
      perEntry[dv.getUint32(idxPos + 8, true)]! += a23 & 0xffff;
      if (ns === 4) perEntry[dv.getUint32(idxPos + 12, true)]! += a23 >>> 16;
    } else {
      local.fill(0, 0, 1 << b);
      if (b === 4) {
        for (let q = valPos, end = valPos + 256; q < end; q++) {
          const c = bytes[q]!;
          local[c >>> 4]!++;
          local[c & 15]!++;
        }
      } else {
        unpackSubblock(bytes, valPos, b, scratch);
        for (let k = 0; k < 512; k++) local[scratch[k]!]!++;
      }
      for (let v = ns; v < 1 << b; v++) {
        if (local[v] !== 0) throw new FormatError(FORMAT, valPos, `sub-block ${s} of ${nsb} has a packed value ≥ its label count ${ns}`);
      }
      for (let k = 0; k < ns; k++) perEntry[dv.getUint32(idxPos + 4 * k, true)]! += local[k]!;
    }
    idxPos += 4 * ns;
    valPos += 64 * b;
  }

  const byLabel = new Map<bigint, number>();
  if (zeroSubblocks > 0) byLabel.set(0n, zeroSubblocks * 512);
  for (let e = 0; e < n; e++) {
    const c = perEntry[e]!;
    if (c === 0) continue;
    const label = table[e]!;
    byLabel.set(label, (byLabel.get(label) ?? 0) + c);
  }
  const labels = new BigUint64Array(byLabel.size);
  const counts = new Uint32Array(byLabel.size);
  let i = 0;
  for (const [label, c] of byLabel) {
    labels[i] = label;
    counts[i++] = c;
  }
  return { labels, counts };
}
