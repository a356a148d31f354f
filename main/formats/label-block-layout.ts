/**
 * The DVID compressed label Block: its byte layout and the validation every reader runs first.
 * (DVID `datatype/common/labels/compressed.go`, DVID-API.md §5.) All integers little-endian.
 *
 * ```
 * offset  size          field
 * 0       uint32        gx   sub-blocks along x (block is nx = 8·gx voxels wide); likewise gy, gz
 * 4       uint32        gy
 * 8       uint32        gz
 * 12      uint32        N    entries in the block label table, ≥ 1
 * 16      N × uint64    L    label table: any order, duplicates, zeros and unused entries allowed
 * -- only when N > 1 --
 * 16+8N   Nsb × uint16  Ns[s]  labels in sub-block s (Nsb = gx·gy·gz, s = (sz·gy + sy)·gx + sx)
 * ..      T × uint32    I      per sub-block, Ns[s] indices into L, concatenated (T = ΣNs)
 * ..      rest          values per sub-block with Ns ≥ 2: 512 values of b = ceil(log2 Ns) bits,
 *                              MSB-first, in voxel order (x fastest) inside the 8³ sub-block: 64·b bytes
 * ```
 *
 * N == 1 is the 24-byte solid block. Ns[s] == 0 stores nothing and decodes to label 0. A packed value v
 * means label L[I_s[v]]; v ≥ Ns[s] is invalid (DVID would read the next sub-block's index or panic).
 * Trailing bytes after the values are tolerated, as DVID does. Stricter than DVID on one point: every
 * index must be < N, even one no voxel refers to (DVID only fails on those it dereferences).
 */
import { FormatError } from './format-error';
import { DEFAULT_MAX_BLOCK_VOXELS, type LabelBlockDecodeOptions, type LabelBlockHeader } from './label-block-types';
import { u64FromBytes } from './u64-lanes';

const FORMAT = 'label-block';

/** DVID's decoder limit on sub-blocks per dimension (`labels/compressed.go` UnmarshalBinary). */
export const MAX_SUBBLOCKS_PER_DIM = 128;

/** b(n): bits per packed value for a sub-block with n labels (0 for n ≤ 1), n ≤ 512. */
export const BITS_FOR: Uint8Array = (() => {
  const t = new Uint8Array(513);
  for (let n = 2; n <= 512; n++) t[n] = Math.ceil(Math.log2(n));
  return t;
})();

/** Where everything sits in one validated block. Offsets are into the `bytes` passed to parse. */
export interface LabelBlockLayout {
  gx: number;
  gy: number;
  gz: number;
  nx: number;
  ny: number;
  nz: number;
  n: number;
  /** gx·gy·gz */
  nsb: number;
  tableOffset: number;
  /** offsets of Ns, the index lists and the values section (only meaningful when n > 1) */
  nsOffset: number;
  indexOffset: number;
  valuesOffset: number;
  /** T = ΣNs */
  totalIndices: number;
  /** true when some sub-block has Ns = 0 (so label 0 appears even if not in the table) */
  hasEmptySubblocks: boolean;
}

function fail(offset: number, reason: string): never {
  throw new FormatError(FORMAT, offset, reason);
}

function u32(bytes: Uint8Array, p: number): number {
  return (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
}

function readGrid(bytes: Uint8Array, maxVoxels: number): { gx: number; gy: number; gz: number; n: number } {
  if (bytes.length < 16) fail(bytes.length, `block is ${bytes.length} bytes, shorter than its 16-byte header`);
  const gx = u32(bytes, 0);
  const gy = u32(bytes, 4);
  const gz = u32(bytes, 8);
  const n = u32(bytes, 12);
  for (const [i, g] of [gx, gy, gz].entries()) {
    if (g === 0 || g > MAX_SUBBLOCKS_PER_DIM) fail(i * 4, `sub-block grid dimension ${g} is outside 1..${MAX_SUBBLOCKS_PER_DIM}`);
  }
  const voxels = gx * gy * gz * 512;
  if (voxels > maxVoxels) fail(0, `block of ${gx * 8}×${gy * 8}×${gz * 8} voxels exceeds the bound of ${maxVoxels} voxels`);
  if (n === 0) fail(12, 'label table is empty (N = 0)');
  if (16 + 8 * n > bytes.length) fail(12, `label table of ${n} entries needs ${16 + 8 * n} bytes, block has ${bytes.length}`);
  return { gx, gy, gz, n };
}

/**
 * Validates the whole block structure (header, table, Ns ≤ 512, every index < N, and
 * 16 + 8N + 2Nsb + 4T + Σ 64·b(Ns) ≤ length) without allocating anything proportional to its claims.
 * Costs O(Nsb + T): microseconds for a 64³ block.
 */
export function parseLabelBlockLayout(bytes: Uint8Array, opts: LabelBlockDecodeOptions = {}): LabelBlockLayout {
  const maxVoxels = opts.maxVoxels ?? DEFAULT_MAX_BLOCK_VOXELS;
  const { gx, gy, gz, n } = readGrid(bytes, maxVoxels);
  const nsb = gx * gy * gz;
  const tableOffset = 16;
  const nsOffset = 16 + 8 * n;
  const layout: LabelBlockLayout = {
    gx,
    gy,
    gz,
    nx: gx * 8,
    ny: gy * 8,
    nz: gz * 8,
    n,
    nsb,
    tableOffset,
    nsOffset,
    indexOffset: nsOffset,
    valuesOffset: nsOffset,
    totalIndices: 0,
    hasEmptySubblocks: false,
  };
  if (n === 1) return layout;

  const indexOffset = nsOffset + 2 * nsb;
  if (indexOffset > bytes.length) fail(nsOffset, `${nsb} sub-block label counts need ${indexOffset} bytes, block has ${bytes.length}`);
  let total = 0;
  let valueBytes = 0;
  let empty = false;
  for (let s = 0, p = nsOffset; s < nsb; s++, p += 2) {
    const ns = bytes[p]! | (bytes[p + 1]! << 8);
    if (ns > 512) fail(p, `sub-block ${s} claims ${ns} labels; an 8³ sub-block holds at most 512`);
    if (ns === 0) empty = true;
    total += ns;
    valueBytes += 64 * BITS_FOR[ns]!;
  }
  const valuesOffset = indexOffset + 4 * total;
  if (valuesOffset > bytes.length) fail(indexOffset, `${total} sub-block indices need ${valuesOffset} bytes, block has ${bytes.length}`);
  if (valuesOffset + valueBytes > bytes.length) {
    fail(valuesOffset, `packed values need ${valueBytes} bytes after offset ${valuesOffset}, block has ${bytes.length - valuesOffset}`);
  }
  for (let p = indexOffset; p < valuesOffset; p += 4) {
    const idx = u32(bytes, p);
    if (idx >= n) fail(p, `sub-block index ${idx} is outside the label table of ${n} entries`);
  }
  layout.indexOffset = indexOffset;
  layout.valuesOffset = valuesOffset;
  layout.totalIndices = total;
  layout.hasEmptySubblocks = empty;
  return layout;
}

/** Header and label table (validates only those: use the decoders to validate a whole block). */
export function readLabelBlockHeader(bytes: Uint8Array, opts: LabelBlockDecodeOptions = {}): LabelBlockHeader {
  const { gx, gy, gz, n } = readGrid(bytes, opts.maxVoxels ?? DEFAULT_MAX_BLOCK_VOXELS);
  return { gx, gy, gz, n, table: u64FromBytes(bytes.subarray(16, 16 + 8 * n)) };
}

/** The label table as lanes lo[i], hi[i] (int32 bits of the uint32 halves, see lanesOf). */
export function readTableLanes(bytes: Uint8Array, layout: LabelBlockLayout): { lo: Int32Array; hi: Int32Array } {
  const n = layout.n;
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  for (let i = 0, p = layout.tableOffset; i < n; i++, p += 8) {
    lo[i] = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    hi[i] = bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) | (bytes[p + 7]! << 24);
  }
  return { lo, hi };
}

/**
 * DVID's modifyBlockMapping (`labelmap/read.go`): overwrite label-table entries in place with their
 * mapped values, keeping duplicates, which is how a served body-label block looks. The block is
 * validated first; the result is a new buffer with only the table changed. `map` runs once per entry.
 */
export function mapLabelBlockTable(bytes: Uint8Array, map: (label: bigint) => bigint, opts: LabelBlockDecodeOptions = {}): Uint8Array {
  const layout = parseLabelBlockLayout(bytes, opts);
  const out = bytes.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0, p = layout.tableOffset; i < layout.n; i++, p += 8) {
    const mapped = map(view.getBigUint64(p, true));
    if (mapped < 0n || mapped > 0xffff_ffff_ffff_ffffn) throw new RangeError(`mapLabelBlockTable: mapped label ${mapped} is not a uint64`);
    view.setBigUint64(p, mapped, true);
  }
  return out;
}
