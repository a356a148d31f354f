/**
 * The per-block label histogram stored in `block_content.labels`:
 *
 *   n × { uint64 label (LE), uint32 voxel count (LE) }   12 bytes per label, labels ascending, no duplicates
 *
 * Written by the decode worker from the block's palette, read by sync (which supervoxels a region
 * holds) and by derived tables (voxel counts per label without decoding a block).
 */

const RECORD = 12;

/** Packs distinct labels and their counts (parallel arrays, any order) into the stored layout. */
export function packLabelCounts(labels: BigUint64Array, counts: Uint32Array | number[]): Uint8Array {
  const n = labels.length;
  if (counts.length !== n) throw new RangeError(`${n} labels but ${counts.length} counts`);
  const order = Array.from({ length: n }, (_, i) => i).toSorted((a, b) => (labels[a]! < labels[b]! ? -1 : labels[a]! > labels[b]! ? 1 : 0));
  const out = new Uint8Array(n * RECORD);
  const view = new DataView(out.buffer);
  let prev = -1n;
  order.forEach((idx, k) => {
    const label = labels[idx]!;
    if (label === prev) throw new RangeError(`label ${label} appears twice`);
    prev = label;
    view.setBigUint64(k * RECORD, label, true);
    view.setUint32(k * RECORD + 8, counts[idx]!, true);
  });
  return out;
}

export interface LabelCountRows {
  labels: BigUint64Array;
  counts: Uint32Array;
}

export function unpackLabelCounts(bytes: Uint8Array): LabelCountRows {
  if (bytes.length % RECORD !== 0) throw new RangeError(`label count table of ${bytes.length} bytes is not a multiple of ${RECORD}`);
  const n = bytes.length / RECORD;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const labels = new BigUint64Array(n);
  const counts = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = view.getBigUint64(i * RECORD, true);
    counts[i] = view.getUint32(i * RECORD + 8, true);
  }
  return { labels, counts };
}
