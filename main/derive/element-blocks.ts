/**
 * Typed-array view of one stored annotation block (`element_blocks.data`, layout in
 * main/formats/element-pack.ts) and its supervoxels (`element_block_svs.svs`, one uint64 LE per element
 * in the same order), without building an object per element: the derived tables read every synapse
 * of a node this way.
 *
 *   0         uint32        n elements          8+12n     (n+1) uint32  relStart
 *   4         uint32        r relationships     12+16n    r × 3 int32   partner x, y, z
 *   8         n × 3 int32   x, y, z             12+16n+12r n × uint8    kind (0 PreSyn, 1 PostSyn, …)
 *                                               12+17n+12r r × uint8    relationship (0 PreSynTo, 1 PostSynTo, …)
 */

export interface BlockView {
  n: number;
  /** x, y, z per element (z, y, x sorted) */
  pos: Int32Array;
  kind: Uint8Array;
  /** element i's relationships are [relStart[i], relStart[i+1]) */
  relStart: Uint32Array;
  /** x, y, z per relationship */
  relTo: Int32Array;
  relKind: Uint8Array;
  /** supervoxel per element (0 = background / not read), or null when the block has no supervoxel row */
  svs: BigUint64Array | null;
}

export const REL_PRESYNTO = 0;
export const REL_POSTSYNTO = 1;

function bad(why: string): Error {
  return new Error(`stored element block: ${why}`);
}

/** Decodes a block; throws on a length that does not match its counts (a damaged row). */
export function viewBlock(data: Uint8Array, svs: Uint8Array | null): BlockView {
  if (data.length < 12) throw bad(`${data.length} bytes`);
  // One aligned copy, so the sections can be typed-array views.
  const buf = new ArrayBuffer(data.length + ((4 - (data.length % 4)) % 4));
  const b = new Uint8Array(buf);
  b.set(data);
  const v = new DataView(buf);
  const n = v.getUint32(0, true);
  const r = v.getUint32(4, true);
  if (data.length !== 12 + 17 * n + 13 * r) throw bad(`${data.length} bytes for ${n} elements and ${r} relationships`);
  const relStart = new Uint32Array(buf, 8 + 12 * n, n + 1);
  if (relStart[n] !== r) throw bad('relationship index does not end at the relationship count');
  let sv: BigUint64Array | null = null;
  if (svs) {
    if (svs.length !== 8 * n) throw bad(`supervoxel row of ${svs.length} bytes for ${n} elements`);
    sv = new BigUint64Array(n);
    const sv8 = new DataView(svs.buffer, svs.byteOffset, svs.byteLength);
    for (let i = 0; i < n; i++) sv[i] = sv8.getBigUint64(8 * i, true);
  }
  return {
    n,
    pos: new Int32Array(buf, 8, 3 * n),
    kind: new Uint8Array(buf, 12 + 16 * n + 12 * r, n),
    relStart,
    relTo: new Int32Array(buf, 12 + 16 * n, 3 * r),
    relKind: new Uint8Array(buf, 12 + 17 * n + 12 * r, r),
    svs: sv,
  };
}

/** Index of position (x, y, z) in a block view (binary search over its z, y, x order), or −1. */
export function findInBlock(b: BlockView, x: number, y: number, z: number): number {
  let lo = 0, hi = b.n - 1;
  const p = b.pos;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = p[3 * mid + 2]! - z || p[3 * mid + 1]! - y || p[3 * mid]! - x;
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
