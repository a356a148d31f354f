/**
 * The DVID compressed label Block (DVID-API.md §5): the agreed entry point of the codec.
 * Layout and validation: label-block-layout.ts; decoders: label-block-decode.ts (unpacking in
 * label-block-unpack.ts); canonical encoder: label-block-encode.ts.
 */
export type { LabelBlockDecodeOptions, LabelBlockHeader, LabelBlockPalette, LabelVolume } from './label-block-types';
export { DEFAULT_MAX_BLOCK_VOXELS } from './label-block-types';
export { BITS_FOR, mapLabelBlockTable, parseLabelBlockLayout, readLabelBlockHeader, type LabelBlockLayout } from './label-block-layout';
export { decodeLabelBlock, decodeLabelBlockToPalette } from './label-block-decode';
export { encodeLabelBlock } from './label-block-encode';
export { labelBlockHistogram, type LabelHistogram } from './label-block-histogram';
export { labelBlockLabelsAt } from './label-block-points';
