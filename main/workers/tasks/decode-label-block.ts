/**
 * Task: validate and decode one block payload as it arrives from `/blocks` or `/specificblocks`, and
 * prepare what the cache stores for it: the DVID Block serialization (gunzipped), its sha256 (the
 * content address), its geometry, and the voxel count of every label in it. Runs in a worker so the
 * socket, the JSON parsing and SQLite keep the main thread.
 *
 * Payload forms accepted (DVID-API §4.2, §5.3):
 * - `blocks`: gzip of a Block (sniffed by 1f 8b), a plain Block, or — when the instance stores LZ4 and
 *   no mapping applies — raw LZ4 of a Block;
 * - `lz4`: raw LZ4 of the uncompressed uint64 volume, re-encoded here to the canonical Block.
 * Anything malformed is a FormatError naming the block's problem; nothing partial is returned.
 */
import { copiesToTransfer, defineTask } from '../task';

export interface DecodeLabelBlockArgs {
  payload: Uint8Array;
  compression: 'blocks' | 'lz4';
  /** Expected block size (voxels per edge, x y z), from the instance info. */
  blockSize: [number, number, number];
  /** Block-local x, y, z triples whose labels to return as well (the elements inside the block). */
  points?: Int32Array | null;
}

export interface DecodeLabelBlockResult {
  /** The DVID Block serialization stored in the cache. */
  data: Uint8Array;
  /** sha256 of `data`. */
  hash: Uint8Array;
  gx: number;
  gy: number;
  gz: number;
  /** Packed label histogram (label-counts.ts). */
  labels: Uint8Array;
  labelCount: number;
  /** The label at each of `points`, when points were given. */
  labelsAt?: BigUint64Array;
}

export const decodeLabelBlockTask = defineTask<DecodeLabelBlockArgs, DecodeLabelBlockResult>('decodeLabelBlock');

/** Several payloads in one message (amortises the thread hop); a bad one fails alone, as `error`. */
export interface DecodeLabelBlocksArgs {
  payloads: Uint8Array[];
  /** Per payload, the points of DecodeLabelBlockArgs (null: none). */
  points?: Array<Int32Array | null>;
  compression: 'blocks' | 'lz4';
  blockSize: [number, number, number];
}

export type DecodeLabelBlocksResult = Array<DecodeLabelBlockResult | { error: { format: string; offset: number; reason: string } }>;

export const decodeLabelBlocksTask = defineTask<DecodeLabelBlocksArgs, DecodeLabelBlocksResult>('decodeLabelBlocks', {
  transferCopy: (args) => {
    const { copies, transfer } = copiesToTransfer(args.payloads);
    return { args: { ...args, payloads: copies }, transfer };
  },
});
