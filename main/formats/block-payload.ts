/**
 * One `/blocks` record payload → voxels, for each `compression=` DVID serves (DVID-API.md §4.2):
 * - `blocks`: a DVID label Block, gzipped when DVID re-encoded it (always when a body mapping applies)
 *   or passed through as stored (gzip by default; plain when the instance stores it uncompressed), so
 *   the gzip magic 1f 8b decides;
 * - `lz4`: raw LZ4 block of the nx·ny·nz·8 voxel bytes; except that an instance *stored* as LZ4 passes
 *   its bytes through unchanged when no mapping applies, and those are LZ4 of a Block serialization:
 *   when the voxel reading fails, that reading is tried before giving up;
 * - `gzip`: gzip of the voxel bytes; `uncompressed`: the voxel bytes.
 * Every size is checked against the block size before anything larger than the payload is allocated.
 */
import { FormatError } from './format-error';
import { gunzipBounded, isGzip } from './gzip';
import { decodeLabelBlock } from './label-block-decode';
import { readLabelBlockHeader } from './label-block-layout';
import { DEFAULT_MAX_BLOCK_VOXELS, type LabelVolume } from './label-block-types';
import { lz4DecodeBlock, lz4DecodeBlockInto, lz4DecodeBlockUpTo } from './lz4';
import { bytesOfU64, u64FromBytes } from './u64-lanes';

export type BlockCompression = 'blocks' | 'lz4' | 'gzip' | 'uncompressed';

const FORMAT = 'block-payload';

/** Largest Block serialization of a block with `voxels` voxels that DVID could produce: a table of at
 *  most one entry per voxel, T ≤ voxels, 9 bits per voxel, plus slack for trailing bytes. */
export function labelBlockByteBound(voxels: number): number {
  return 16 + 8 * voxels + 2 * Math.ceil(voxels / 512) + 4 * voxels + Math.ceil((9 * voxels) / 8) + 4096;
}

function checkedShape(blockSize: readonly [number, number, number], maxVoxels: number): number {
  const [nx, ny, nz] = blockSize;
  if (![nx, ny, nz].every((d) => Number.isInteger(d) && d > 0)) throw new RangeError(`block size ${blockSize.join('×')} is not three positive integers`);
  const voxels = nx * ny * nz;
  if (voxels > maxVoxels) throw new RangeError(`block size ${blockSize.join('×')} exceeds the bound of ${maxVoxels} voxels`);
  return voxels;
}

/** The block's grid must give the expected block size (checked before decoding anything). */
function checkDims(h: { gx: number; gy: number; gz: number }, blockSize: readonly [number, number, number]): void {
  if (h.gx * 8 !== blockSize[0] || h.gy * 8 !== blockSize[1] || h.gz * 8 !== blockSize[2]) {
    throw new FormatError(FORMAT, 0, `payload is a ${h.gx * 8}×${h.gy * 8}×${h.gz * 8} block, expected ${blockSize.join('×')}`);
  }
}

export interface BlockPayloadOptions {
  /** bound on the block size's voxel count (default DEFAULT_MAX_BLOCK_VOXELS) */
  maxVoxels?: number;
  /** write the voxels here (length = the block's voxel count) instead of a new array: see
   *  LabelBlockDecodeOptions.into for why a caller decoding many blocks wants this */
  into?: BigUint64Array;
}

export function decodeBlockPayloadAs(
  payload: Uint8Array,
  compression: BlockCompression,
  blockSize: [number, number, number],
  opts: BlockPayloadOptions = {},
): LabelVolume {
  const maxVoxels = opts.maxVoxels ?? DEFAULT_MAX_BLOCK_VOXELS;
  const voxels = checkedShape(blockSize, maxVoxels);
  const [nx, ny, nz] = blockSize;
  const rawBytes = voxels * 8;
  const into = opts.into;
  if (into && into.length !== voxels) throw new RangeError(`output array holds ${into.length} voxels, a ${blockSize.join('×')} block has ${voxels}`);
  const asVolume = (bytes: Uint8Array): LabelVolume => {
    if (!into) return { nx, ny, nz, voxels: u64FromBytes(bytes) };
    bytesOfU64(into).set(bytes);
    return { nx, ny, nz, voxels: into };
  };
  switch (compression) {
    case 'blocks': {
      const block = isGzip(payload) ? gunzipBounded(payload, labelBlockByteBound(voxels), FORMAT) : payload;
      checkDims(readLabelBlockHeader(block, { maxVoxels }), blockSize);
      return decodeLabelBlock(block, { maxVoxels, into });
    }
    case 'lz4': {
      try {
        if (into) {
          lz4DecodeBlockInto(payload, bytesOfU64(into));
          return { nx, ny, nz, voxels: into };
        }
        return { nx, ny, nz, voxels: u64FromBytes(lz4DecodeBlock(payload, rawBytes)) };
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        let block: Uint8Array;
        try {
          block = lz4DecodeBlockUpTo(payload, labelBlockByteBound(voxels));
          checkDims(readLabelBlockHeader(block, { maxVoxels }), blockSize);
          return decodeLabelBlock(block, { maxVoxels, into });
        } catch {
          throw err; // the voxel reading's error is the one that describes the expected payload
        }
      }
    }
    case 'gzip': {
      const bytes = gunzipBounded(payload, rawBytes, FORMAT);
      if (bytes.length !== rawBytes) throw new FormatError(FORMAT, 0, `gunzipped ${bytes.length} bytes, a ${nx}×${ny}×${nz} uint64 block is ${rawBytes}`);
      return asVolume(bytes);
    }
    case 'uncompressed': {
      if (payload.length !== rawBytes) throw new FormatError(FORMAT, 0, `payload is ${payload.length} bytes, a ${nx}×${ny}×${nz} uint64 block is ${rawBytes}`);
      return asVolume(payload);
    }
    default:
      throw new RangeError(`unknown block compression ${String(compression)}`);
  }
}
