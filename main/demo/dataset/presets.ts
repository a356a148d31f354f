/**
 * The dataset's size presets and every density constant of the generator.
 *
 * Densities are per voxel of volume, so a bigger `--size` scales the amount of everything with the
 * volume: neurite cable (hence blocks that look like dense FIB-SEM segmentation everywhere), orphan
 * fragments (hence annotated bodies), synapses. Only the neuron count of the two named presets is
 * fixed by hand (small ≈ 40, default ≈ 150); for `--size N` it is 150·(N/1024)³.
 *
 * What `--size 2048` gives (measured; see main/demo/README.md): 32,768 blocks, 1.16 M synapse
 * elements and 107 k annotated bodies, the loads the benchmarks need.
 */

export const GENERATOR_VERSION = 2;
export const BLOCK_SIZE = 64;
export const ROI_BLOCK_SIZE = 32;
/** Scales 0..MAX_SCALE are stored for every labelmap instance (MaxDownresLevel). */
export const MAX_SCALE = 3;
export const DEFAULT_SEED = 20200120; // the day the hemibrain was released

export type PresetName = 'small' | 'default' | 'bench';

export interface DatasetParams {
  preset: PresetName;
  /** Voxels per edge of the cubic volume (a multiple of 64). */
  size: number;
  seed: number;
  neurons: number;
  /** Dust fragments per 64³ block of neuropil (see SHAPE). */
  dustPerBlock: number;
  /** PreSyn (T-bar) elements per voxel of volume. */
  tbarPerVoxel: number;
}

/**
 * small (tests) and default (first start) keep the block statistics of real segmentation; `--size N`
 * (benchmarks) packs more dust fragments and synapses into the same volume so that the loads the
 * benchmarks need (≥ 100 k annotated bodies, ≥ 1 M synapse elements) come at a size that can be
 * generated in minutes. Its blocks hold a few more labels than typical real ones.
 */
export function presetParams(opts: { preset?: 'small' | 'default'; size?: number; seed?: number }): DatasetParams {
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in 0..4294967295, not ${seed}`);
  if (opts.size !== undefined) {
    const size = opts.size;
    if (!Number.isInteger(size) || size < 256 || size > 8192 || size % 64 !== 0) {
      throw new RangeError(`size must be a multiple of 64 between 256 and 8192 voxels, not ${size}`);
    }
    return { preset: 'bench', size, seed, neurons: Math.max(8, Math.round(150 * (size / 1024) ** 3)), dustPerBlock: 10, tbarPerVoxel: 5e-5 };
  }
  if (opts.preset === 'small') return { preset: 'small', size: 512, seed, neurons: 40, dustPerBlock: SHAPE.dustPerBlock, tbarPerVoxel: SHAPE.tbarPerVoxel };
  return { preset: 'default', size: 1024, seed, neurons: 150, dustPerBlock: SHAPE.dustPerBlock, tbarPerVoxel: SHAPE.tbarPerVoxel };
}

/** Cache directory name of a dataset: generator version, seed, preset and size decide its content. */
export function datasetKey(p: DatasetParams): string {
  return `g${GENERATOR_VERSION}-s${p.seed}-${p.preset}${p.size}`;
}

/** Geometry and density constants (voxel units, 8 nm voxels). */
export const SHAPE = {
  /** Neurite cable (voxels of centreline length) per voxel of volume: ≈ 10 neurites through a 64³ block. */
  cablePerVoxel: 75 / 262144,
  segmentLength: [10, 16] as const,
  /** Clearance kept between the surfaces of tubes of different bodies while growing. */
  margin: 1.5,
  somaRadius: [18, 28] as const,
  primaryRadius: [7, 10] as const,
  minRadius: 2.4,
  /** Voxels further than this from every neurite surface are extracellular space (label 0). */
  labelCap: 28,
  /** One orphan probe per this many voxels of volume; a probe in a void seeds a fragment. */
  orphanProbeVoxels: 48 ** 3,
  /** A void is a probe farther than this from every existing surface. */
  orphanVoid: 26,
  /** Small compact fragments ("dust") per 64³ block of neuropil, tucked between neurites (small, default). */
  dustPerBlock: 0.6,
  /** PreSyn (T-bar) elements per voxel of volume (small, default). */
  tbarPerVoxel: 2.3e-5,
  /** Maximum T-bar to PSD distance in voxels (≈ 240 nm). */
  synapseReach: 30,
  tracheae: 3,
} as const;
