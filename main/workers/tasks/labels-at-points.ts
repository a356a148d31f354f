/**
 * Task: the labels at some voxels of one stored block (the supervoxel under each synapse, read from a
 * cached block instead of asking the server). Points are block-local voxel coordinates.
 */
import { defineTask } from '../task';

export interface LabelsAtPointsArgs {
  /** The DVID Block serialization (as stored in block_content.data). */
  data: Uint8Array;
  /** x, y, z triples, block-local (0 … n−1). */
  points: Int32Array;
}

export const labelsAtPointsTask = defineTask<LabelsAtPointsArgs, { labels: BigUint64Array }>('labelsAtPoints');
