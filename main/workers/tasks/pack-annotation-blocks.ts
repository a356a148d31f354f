/**
 * Task: parse annotation blocks' element arrays (the JSON of one `/blocks` member each) and pack each
 * into the cache's row form (formats/element-pack.ts). Sync runs it in the pool so that the main
 * thread only frames the stream and writes rows: parsing a few hundred thousand synapses' JSON was the
 * largest share of the main thread's time during a sync.
 *
 * A block whose UTF-8, JSON or elements are malformed (or that holds two elements at one position) fails
 * alone, as `error`, naming what was wrong; the other blocks of the batch are packed.
 */
import type { PackedBlock } from '../../formats/element-pack';
import { copiesToTransfer, defineTask } from '../task';

export interface PackAnnotationBlocksArgs {
  /** Per block, its JSON array of elements (or `null`), as UTF-8 bytes (bytes, not strings: a string is slow to send to a worker). */
  blocks: Uint8Array[];
}

export type PackAnnotationBlocksResult = Array<PackedBlock | { error: string }>;

export const packAnnotationBlocksTask = defineTask<PackAnnotationBlocksArgs, PackAnnotationBlocksResult>('packAnnotationBlocks', {
  transferCopy: (args) => {
    const { copies, transfer } = copiesToTransfer(args.blocks);
    return { args: { blocks: copies }, transfer };
  },
});
