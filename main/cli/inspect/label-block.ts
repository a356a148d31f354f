/** `inspect` for a DVID compressed label Block (.dvidblk), plain or gzipped (DVID-API.md §5). */
import { constants, gunzipSync } from 'node:zlib';
import { labelBlockByteBound } from '../../formats/block-payload';
import { gunzipBounded, isGzip } from '../../formats/gzip';
import { BITS_FOR, DEFAULT_MAX_BLOCK_VOXELS, decodeLabelBlockToPalette, parseLabelBlockLayout, readLabelBlockHeader } from '../../formats/label-block';
import type { Inspector } from './inspector';

/** Header plausibility: grid 1..128 per axis, a non-empty table that fits the bytes. */
function plausibleHeader(b: Uint8Array, wholeLength: number | null): boolean {
  if (b.length < 16) return false;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [gx, gy, gz, n] = [0, 4, 8, 12].map((o) => dv.getUint32(o, true)) as [number, number, number, number];
  if (![gx, gy, gz].every((g) => g >= 1 && g <= 128) || n === 0) return false;
  if (wholeLength === null) return true;
  const need = n === 1 ? 24 : 16 + 8 * n + 2 * gx * gy * gz;
  return need <= wholeLength;
}

/** The first bytes of a gzip stream, without inflating all of it. */
function gunzipPrefix(bytes: Uint8Array): Uint8Array | null {
  try {
    return new Uint8Array(gunzipSync(bytes.subarray(0, 4096), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: 1 << 22 }));
  } catch {
    return null;
  }
}

export const labelBlockInspector: Inspector = {
  name: 'block',
  extensions: ['.dvidblk', '.dvidblk.gz'],

  sniff(bytes) {
    if (isGzip(bytes)) {
      const head = gunzipPrefix(bytes);
      return head !== null && plausibleHeader(head, null);
    }
    return plausibleHeader(bytes, bytes.length);
  },

  async inspect(bytes) {
    const gzipped = isGzip(bytes);
    const block = gzipped ? gunzipBounded(bytes, labelBlockByteBound(DEFAULT_MAX_BLOCK_VOXELS), 'label-block') : bytes;
    const layout = parseLabelBlockLayout(block);
    const { palette, indices } = decodeLabelBlockToPalette(block);
    const counts = new Float64Array(palette.length);
    for (let i = 0; i < indices.length; i++) counts[indices[i]!]!++;
    const order = Array.from(palette.keys()).toSorted((a, b) => counts[b]! - counts[a]! || (palette[a]! < palette[b]! ? -1 : 1));
    const table = readLabelBlockHeader(block).table;
    const distinctTable = new Set(table).size;
    const used = new Set(palette);
    let emptySubblocks = 0;
    const bitsHistogram: Record<string, number> = {};
    if (layout.n > 1) {
      const dv = new DataView(block.buffer, block.byteOffset, block.byteLength);
      for (let s = 0; s < layout.nsb; s++) {
        const ns = dv.getUint16(layout.nsOffset + 2 * s, true);
        if (ns === 0) emptySubblocks++;
        const key = String(BITS_FOR[ns]);
        bitsHistogram[key] = (bitsHistogram[key] ?? 0) + 1;
      }
    }
    return {
      gzipped,
      bytes: bytes.length,
      blockBytes: block.length,
      grid: [layout.gx, layout.gy, layout.gz],
      shape: [layout.nx, layout.ny, layout.nz],
      voxels: indices.length,
      tableSize: layout.n,
      duplicateTableEntries: layout.n - distinctTable,
      unusedTableEntries: Array.from(table).filter((l) => !used.has(l)).length,
      distinctLabels: palette.length,
      solid: layout.n === 1,
      uniform: palette.length === 1,
      emptySubblocks,
      ...(layout.n > 1 ? { subblocksByIndexBits: bitsHistogram } : {}),
      topLabels: order.slice(0, 10).map((i) => ({ label: palette[i]!.toString(), voxels: counts[i]! })),
    };
  },
};
