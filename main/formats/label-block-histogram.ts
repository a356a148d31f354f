/**
 * Voxel count of every label of a DVID compressed label Block, straight from its encoding (layout in
 * label-block-layout.ts), without producing a voxel or index array.
 *
 * Sync stores this histogram for every block it fetches (which supervoxels a region holds, voxel counts
 * for derived tables), so it runs once per block on the sync's critical path. Going through the palette
 * form wrote and re-read one index per voxel; here a solid sub-block (Ns = 1, most of real segmentation)
 * is one addition, Ns = 0 adds 512 to label 0, a two-label sub-block is a popcount of its 64 bytes, and
 * only wider sub-blocks look at each packed value. Same validation as the decoders: a packed value ≥ Ns
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
    } else {
      unpackSubblock(bytes, valPos, b, scratch);
      local.fill(0, 0, 1 << b);
      for (let k = 0; k < 512; k++) local[scratch[k]!]!++;
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
