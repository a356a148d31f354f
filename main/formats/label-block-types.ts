/** Shapes shared by the label-block decoder, encoder and their callers (re-exported by label-block.ts). */

export interface LabelBlockHeader {
  gx: number;
  gy: number;
  gz: number;
  n: number;
  table: BigUint64Array;
}

/** Palette form for hot paths: distinct labels once, a small index per voxel (ZYX, x fastest). */
export interface LabelBlockPalette {
  nx: number;
  ny: number;
  nz: number;
  /** distinct labels actually used (deduplicated), any order */
  palette: BigUint64Array;
  /** length nx*ny*nz; voxel label = palette[indices[i]] */
  indices: Uint16Array | Uint32Array;
}

/** Full uint64 voxels, ZYX x fastest. */
export interface LabelVolume {
  nx: number;
  ny: number;
  nz: number;
  voxels: BigUint64Array;
}

export interface LabelBlockDecodeOptions {
  /**
   * Refuse blocks with more voxels than this before allocating anything. DVID's own decoder allows up to
   * 1024³ voxels (8 GiB of uint64), which no real block comes near; default DEFAULT_MAX_BLOCK_VOXELS.
   */
  maxVoxels?: number;
  /**
   * decodeLabelBlock only: write the voxels into this array (its length must be the block's voxel
   * count) instead of a new one. A fresh 2 MiB array per 64³ block costs V8 as much as the decoding
   * itself (allocation, zeroing, cache-cold writes); callers decoding many blocks should reuse one.
   */
  into?: BigUint64Array;
}

/** 256³ voxels = 128 MiB of uint64: 64× a Hemibrain 64³ block. */
export const DEFAULT_MAX_BLOCK_VOXELS = 256 * 256 * 256;
