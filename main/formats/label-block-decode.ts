/**
 * Decoders of the DVID compressed label Block (layout in label-block-layout.ts) into
 * (a) the palette form (deduplicated labels + a Uint16/Uint32 index per voxel) and
 * (b) full uint64 voxels, moved as BigUint64Array elements (64-bit integer moves once optimized).
 *
 * Both validate the whole structure first (parseLabelBlockLayout), then walk the sub-blocks once:
 * Ns = 0 → label 0, Ns = 1 → one label for 512 voxels, Ns ≥ 2 → map the packed values through a
 * per-sub-block lookup table (local index → output value). Two to four labels (b = 1, 2: most
 * multi-label sub-blocks of real segmentation) are unpacked straight into the output, one row word at
 * a time; wider values go through a 512-entry scratch (label-block-unpack.ts).
 */
import { FormatError } from './format-error';
import { BITS_FOR, parseLabelBlockLayout, readTableLanes, type LabelBlockLayout } from './label-block-layout';
import type { LabelBlockDecodeOptions, LabelBlockPalette, LabelVolume } from './label-block-types';
import { unpackSubblock } from './label-block-unpack';
import { LaneIdMap, lanesOf, u64FromBytes } from './u64-lanes';

const FORMAT = 'label-block';

// Scratch reused by every call (decoding is synchronous and never re-enters).
const scratch = new Uint16Array(512);
const lut64 = new BigUint64Array(512);
const paletteLut = new Uint32Array(512);
const seen = new Int32Array(512);
let seenStamp = 0;

function u32(bytes: Uint8Array, p: number): number {
  return (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
}

/** Row r = z·8 + y of a sub-block starts at voxel base + rowOffsets[r]. */
function rowOffsets(nx: number, ny: number): Int32Array {
  const rows = new Int32Array(64);
  for (let z = 0; z < 8; z++) for (let y = 0; y < 8; y++) rows[z * 8 + y] = (z * ny + y) * nx;
  return rows;
}

function badValue(layout: LabelBlockLayout, s: number, ns: number, valuePos: number): never {
  throw new FormatError(FORMAT, valuePos, `sub-block ${s} of ${layout.nsb} has a packed value ≥ its label count ${ns}`);
}

/**
 * Full uint64 voxels (ZYX, x fastest). Labels move as BigUint64Array elements: table → per-sub-block
 * lookup table → output. In optimized code V8 keeps such element copies as 64-bit integer moves (no
 * BigInt is ever created per voxel), one store per voxel instead of two Uint32 lane stores.
 *
 * Cost (test/bench/label-block.bench.ts, one core of the 2-core CI VM): a realistic 64³ block takes
 * ≈ 0.15 ms into a reused `opts.into` array, but ≈ 0.7 ms into a new one, because allocating and first
 * touching a fresh 2 MiB ArrayBuffer alone costs ≈ 0.65 ms there (calloc + page faults).
 */
export function decodeLabelBlock(bytes: Uint8Array, opts: LabelBlockDecodeOptions = {}): LabelVolume {
  const layout = parseLabelBlockLayout(bytes, opts);
  const { nx, ny, nz, gx, gy, gz } = layout;
  const count = nx * ny * nz;
  const into = opts.into;
  if (into && into.length !== count) {
    throw new FormatError(FORMAT, 0, `block is ${nx}×${ny}×${nz} = ${count} voxels, the output array holds ${into.length}`);
  }
  // A new array is zero-filled, so zero labels need no writes; a reused one must be overwritten.
  const fresh = !into;
  const out = into ?? new BigUint64Array(count);
  const table = u64FromBytes(bytes.subarray(layout.tableOffset, layout.tableOffset + 8 * layout.n));
  if (layout.n === 1) {
    const label = table[0]!;
    if (label !== 0n || !fresh) out.fill(label);
    return { nx, ny, nz, voxels: out };
  }
  const sc = scratch;
  const lut = lut64;
  const rows = rowOffsets(nx, ny);
  let nsPos = layout.nsOffset;
  let idxPos = layout.indexOffset;
  let valPos = layout.valuesOffset;
  let s = 0;
  for (let sz = 0; sz < gz; sz++) {
    for (let sy = 0; sy < gy; sy++) {
      for (let sx = 0; sx < gx; sx++, s++, nsPos += 2) {
        const ns = bytes[nsPos]! | (bytes[nsPos + 1]! << 8);
        const base = (sz * 8 * ny + sy * 8) * nx + sx * 8;
        if (ns <= 1) {
          if (ns === 1) {
            lut[0] = table[u32(bytes, idxPos)]!;
            idxPos += 4;
          } else {
            if (fresh) continue; // Ns = 0 decodes to label 0
            lut[0] = 0n;
          }
          for (let r = 0; r < 64; r++) {
            const o = base + rows[r]!;
            out[o] = lut[0]!;
            out[o + 1] = lut[0]!;
            out[o + 2] = lut[0]!;
            out[o + 3] = lut[0]!;
            out[o + 4] = lut[0]!;
            out[o + 5] = lut[0]!;
            out[o + 6] = lut[0]!;
            out[o + 7] = lut[0]!;
          }
          continue;
        }
        const b = BITS_FOR[ns]!;
        for (let k = 0; k < ns; k++, idxPos += 4) lut[k] = table[u32(bytes, idxPos)]!;
        if (b === 1) {
          for (let r = 0, q = valPos; r < 64; r++, q++) {
            const c = bytes[q]!;
            const o = base + rows[r]!;
            out[o] = lut[c >>> 7]!;
            out[o + 1] = lut[(c >>> 6) & 1]!;
            out[o + 2] = lut[(c >>> 5) & 1]!;
            out[o + 3] = lut[(c >>> 4) & 1]!;
            out[o + 4] = lut[(c >>> 3) & 1]!;
            out[o + 5] = lut[(c >>> 2) & 1]!;
            out[o + 6] = lut[(c >>> 1) & 1]!;
            out[o + 7] = lut[c & 1]!;
          }
          valPos += 64;
          continue;
        }
        if (b === 2) {
          let has3 = 0;
          for (let r = 0, q = valPos; r < 64; r++, q += 2) {
            const w = (bytes[q]! << 8) | bytes[q + 1]!;
            has3 |= w & (w >>> 1) & 0x5555;
            const o = base + rows[r]!;
            out[o] = lut[w >>> 14]!;
            out[o + 1] = lut[(w >>> 12) & 3]!;
            out[o + 2] = lut[(w >>> 10) & 3]!;
            out[o + 3] = lut[(w >>> 8) & 3]!;
            out[o + 4] = lut[(w >>> 6) & 3]!;
            out[o + 5] = lut[(w >>> 4) & 3]!;
            out[o + 6] = lut[(w >>> 2) & 3]!;
            out[o + 7] = lut[w & 3]!;
          }
          if (ns === 3 && has3 !== 0) badValue(layout, s, ns, valPos);
          valPos += 128;
          continue;
        }
        unpackSubblock(bytes, valPos, b, sc);
        if (ns !== 1 << b) {
          let bad = 0;
          const last = ns - 1;
          for (let k = 0; k < 512; k++) bad |= last - sc[k]!;
          if (bad < 0) badValue(layout, s, ns, valPos);
        }
        valPos += 64 * b;
        for (let r = 0, k = 0; r < 64; r++, k += 8) {
          const o = base + rows[r]!;
          out[o] = lut[sc[k]!]!;
          out[o + 1] = lut[sc[k + 1]!]!;
          out[o + 2] = lut[sc[k + 2]!]!;
          out[o + 3] = lut[sc[k + 3]!]!;
          out[o + 4] = lut[sc[k + 4]!]!;
          out[o + 5] = lut[sc[k + 5]!]!;
          out[o + 6] = lut[sc[k + 6]!]!;
          out[o + 7] = lut[sc[k + 7]!]!;
        }
      }
    }
  }
  return { nx, ny, nz, voxels: out };
}

/**
 * Palette form: `palette` holds each label that some voxel actually has, once (table duplicates merged,
 * unused entries dropped, 0 included when an Ns = 0 sub-block or a 0 entry is used), in order of first
 * use in sub-block order. `indices` is a Uint16Array unless more than 65536 distinct labels are possible.
 *
 * Cost: ≈ 0.25 ms for a realistic 64³ block (a 512 KiB index array instead of 2 MiB of uint64). Blocks
 * with more than 65536 table entries (one label per voxel) take a slower path: ≈ 25 ms, mostly hashing
 * every distinct label.
 */
export function decodeLabelBlockToPalette(bytes: Uint8Array, opts: LabelBlockDecodeOptions = {}): LabelBlockPalette {
  const layout = parseLabelBlockLayout(bytes, opts);
  const { nx, ny, nz, gx, gy, gz, n } = layout;
  const count = nx * ny * nz;
  if (n === 1) {
    const palette = new BigUint64Array(1);
    palette[0] = new DataView(bytes.buffer, bytes.byteOffset + 16, 8).getBigUint64(0, true);
    return { nx, ny, nz, palette, indices: new Uint16Array(count) };
  }
  if (Math.min(n + (layout.hasEmptySubblocks ? 1 : 0), count) > 65536) return paletteOfVolume(decodeLabelBlock(bytes, { maxVoxels: opts.maxVoxels }), Math.min(n + 1, count));
  const indices = new Uint16Array(count);
  const table = readTableLanes(bytes, layout);
  const tLo = table.lo;
  const tHi = table.hi;
  // entry → palette id, assigned the first time a voxel uses the entry; labels deduplicated by value
  const denseOf = new Int32Array(n).fill(-1);
  const labels = new LaneIdMap(Math.min(n, 1024));
  const rows = rowOffsets(nx, ny);
  const sc = scratch;
  const lt = paletteLut;
  const seenAt = seen;
  let nsPos = layout.nsOffset;
  let idxPos = layout.indexOffset;
  let valPos = layout.valuesOffset;
  let s = 0;
  for (let sz = 0; sz < gz; sz++) {
    for (let sy = 0; sy < gy; sy++) {
      for (let sx = 0; sx < gx; sx++, s++, nsPos += 2) {
        const ns = bytes[nsPos]! | (bytes[nsPos + 1]! << 8);
        const base = (sz * 8 * ny + sy * 8) * nx + sx * 8;
        if (ns <= 1) {
          let d: number;
          if (ns === 0) {
            d = labels.idOf(0, 0);
          } else {
            const e = u32(bytes, idxPos);
            idxPos += 4;
            d = denseOf[e]!;
            if (d < 0) d = denseOf[e] = labels.idOf(tLo[e]!, tHi[e]!);
          }
          if (d === 0) continue; // indices are zero-filled
          for (let r = 0; r < 64; r++) {
            const o = base + rows[r]!;
            indices[o] = d;
            indices[o + 1] = d;
            indices[o + 2] = d;
            indices[o + 3] = d;
            indices[o + 4] = d;
            indices[o + 5] = d;
            indices[o + 6] = d;
            indices[o + 7] = d;
          }
          continue;
        }
        const b = BITS_FOR[ns]!;
        // Which local indices occur: only those enter the palette. Ns = 3 with b = 2, and every
        // non-power-of-two Ns, can also hold invalid values ≥ Ns, caught here.
        let seenMask = 0;
        if (b === 1) {
          let all = 0xff;
          let any = 0;
          for (let q = valPos, end = valPos + 64; q < end; q++) {
            all &= bytes[q]!;
            any |= bytes[q]!;
          }
          seenMask = (all !== 0xff ? 1 : 0) | (any !== 0 ? 2 : 0);
        } else if (b === 2) {
          let has0 = 0;
          let has1 = 0;
          let has2 = 0;
          let has3 = 0;
          for (let q = valPos, end = valPos + 128; q < end; q += 2) {
            const w = (bytes[q]! << 8) | bytes[q + 1]!;
            const h = (w >>> 1) & 0x5555;
            const l = w & 0x5555;
            has0 |= ~(h | l) & 0x5555;
            has1 |= ~h & l;
            has2 |= h & ~l;
            has3 |= h & l;
          }
          seenMask = (has0 !== 0 ? 1 : 0) | (has1 !== 0 ? 2 : 0) | (has2 !== 0 ? 4 : 0) | (has3 !== 0 ? 8 : 0);
          if (ns === 3 && has3 !== 0) badValue(layout, s, ns, valPos);
        } else {
          unpackSubblock(bytes, valPos, b, sc);
          if (seenStamp === 0x7fffffff) {
            seenAt.fill(0);
            seenStamp = 0;
          }
          const stamp = ++seenStamp;
          let bad = 0;
          const last = ns - 1;
          for (let k = 0; k < 512; k++) {
            const v = sc[k]!;
            bad |= last - v;
            seenAt[v] = stamp;
          }
          if (bad < 0) badValue(layout, s, ns, valPos);
        }
        for (let k = 0; k < ns; k++, idxPos += 4) {
          const used = b <= 2 ? (seenMask >>> k) & 1 : seenAt[k] === seenStamp ? 1 : 0;
          if (used === 0) continue;
          const e = u32(bytes, idxPos);
          let d = denseOf[e]!;
          if (d < 0) d = denseOf[e] = labels.idOf(tLo[e]!, tHi[e]!);
          lt[k] = d;
        }
        if (b === 1) {
          for (let r = 0, q = valPos; r < 64; r++, q++) {
            const c = bytes[q]!;
            const o = base + rows[r]!;
            indices[o] = lt[c >>> 7]!;
            indices[o + 1] = lt[(c >>> 6) & 1]!;
            indices[o + 2] = lt[(c >>> 5) & 1]!;
            indices[o + 3] = lt[(c >>> 4) & 1]!;
            indices[o + 4] = lt[(c >>> 3) & 1]!;
            indices[o + 5] = lt[(c >>> 2) & 1]!;
            indices[o + 6] = lt[(c >>> 1) & 1]!;
            indices[o + 7] = lt[c & 1]!;
          }
        } else if (b === 2) {
          for (let r = 0, q = valPos; r < 64; r++, q += 2) {
            const w = (bytes[q]! << 8) | bytes[q + 1]!;
            const o = base + rows[r]!;
            indices[o] = lt[w >>> 14]!;
            indices[o + 1] = lt[(w >>> 12) & 3]!;
            indices[o + 2] = lt[(w >>> 10) & 3]!;
            indices[o + 3] = lt[(w >>> 8) & 3]!;
            indices[o + 4] = lt[(w >>> 6) & 3]!;
            indices[o + 5] = lt[(w >>> 4) & 3]!;
            indices[o + 6] = lt[(w >>> 2) & 3]!;
            indices[o + 7] = lt[w & 3]!;
          }
        } else {
          for (let r = 0, k = 0; r < 64; r++, k += 8) {
            const o = base + rows[r]!;
            indices[o] = lt[sc[k]!]!;
            indices[o + 1] = lt[sc[k + 1]!]!;
            indices[o + 2] = lt[sc[k + 2]!]!;
            indices[o + 3] = lt[sc[k + 3]!]!;
            indices[o + 4] = lt[sc[k + 4]!]!;
            indices[o + 5] = lt[sc[k + 5]!]!;
            indices[o + 6] = lt[sc[k + 6]!]!;
            indices[o + 7] = lt[sc[k + 7]!]!;
          }
        }
        valPos += 64 * b;
      }
    }
  }
  return { nx, ny, nz, palette: labels.toU64(), indices };
}

/** Palette form of a decoded volume, for blocks with more than 65536 possible labels: one hash per
 *  label change along x, Uint32 indices. */
function paletteOfVolume(vol: LabelVolume, maxLabels: number): LabelBlockPalette {
  const lanes = lanesOf(vol.voxels);
  const count = vol.voxels.length;
  const indices = new Uint32Array(count);
  const labels = new LaneIdMap(maxLabels); // sized once: no rehashing while it fills
  let prevLo = lanes[0]!;
  let prevHi = lanes[1]!;
  let prev = labels.idOf(prevLo, prevHi);
  for (let i = 0; i < count; i++) {
    const lo = lanes[2 * i]!;
    const hi = lanes[2 * i + 1]!;
    if (lo !== prevLo || hi !== prevHi) {
      prevLo = lo;
      prevHi = hi;
      prev = labels.idOf(lo, hi);
    }
    indices[i] = prev;
  }
  return { nx: vol.nx, ny: vol.ny, nz: vol.nz, palette: labels.toU64(), indices };
}
