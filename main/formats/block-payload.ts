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
import { DEFAULT_MAX_BLOCK_VOXELS, type LabelVolume } from './label-block-types';
import { lz4DecodeBlock, lz4DecodeBlockUpTo } from './lz4';
import { u64FromBytes } from './u64-lanes';

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

function checkDims(vol: LabelVolume, blockSize: readonly [number, number, number]): LabelVolume {
  if (vol.nx !== blockSize[0] || vol.ny !== blockSize[1] || vol.nz !== blockSize[2]) {
    throw new FormatError(FORMAT, 0, `payload is a ${vol.nx}×${vol.ny}×${vol.nz} block, expected ${blockSize.join('×')}`);
  }
  return vol;
}

export function decodeBlockPayloadAs(
  payload: Uint8Array,
  compression: BlockCompression,
  blockSize: [number, number, number],
  opts: { maxVoxels?: number } = {},
): LabelVolume {
  const maxVoxels = opts.maxVoxels ?? DEFAULT_MAX_BLOCK_VOXELS;
  const voxels = checkedShape(blockSize, maxVoxels);
  const [nx, ny, nz] = blockSize;
  const rawBytes = voxels * 8;
  switch (compression) {
    case 'blocks': {
      const block = isGzip(payload) ? gunzipBounded(payload, labelBlockByteBound(voxels), FORMAT) : payload;
      return checkDims(decodeLabelBlock(block, { maxVoxels }), blockSize);
    }
    case 'lz4': {
      try {
        return { nx, ny, nz, voxels: u64FromBytes(lz4DecodeBlock(payload, rawBytes)) };
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        let block: Uint8Array;
        try {
          block = lz4DecodeBlockUpTo(payload, labelBlockByteBound(voxels));
          return checkDims(decodeLabelBlock(block, { maxVoxels }), blockSize);
        } catch {
          throw err; // the voxel reading's error is the one that describes the expected payload
        }
      }
    }
    case 'gzip': {
      const bytes = gunzipBounded(payload, rawBytes, FORMAT);
      if (bytes.length !== rawBytes) throw new FormatError(FORMAT, 0, `gunzipped ${bytes.length} bytes, a ${nx}×${ny}×${nz} uint64 block is ${rawBytes}`);
      return { nx, ny, nz, voxels: u64FromBytes(bytes) };
    }
    case 'uncompressed': {
      if (payload.length !== rawBytes) throw new FormatError(FORMAT, 0, `payload is ${payload.length} bytes, a ${nx}×${ny}×${nz} uint64 block is ${rawBytes}`);
      return { nx, ny, nz, voxels: u64FromBytes(payload) };
    }
    default:
      throw new RangeError(`unknown block compression ${String(compression)}`);
  }
}
