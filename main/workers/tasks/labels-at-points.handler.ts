/** Worker side of labelsAtPointsTask. */
import { FormatError } from '../../formats/format-error';
import { decodeLabelBlockToPalette, type LabelBlockPalette } from '../../formats/label-block';
import { defineHandler } from '../registry';
import { labelsAtPointsTask, type LabelsAtPointsArgs } from './labels-at-points';

export function labelsAtPoints({ data, points }: LabelsAtPointsArgs): { labels: BigUint64Array } {
  return { labels: labelsOfPalette(decodeLabelBlockToPalette(data), points) };
}

/** The label at each block-local x, y, z triple of a decoded block; FormatError for a point outside it. */
export function labelsOfPalette(p: LabelBlockPalette, points: Int32Array): BigUint64Array {
  const n = points.length / 3;
  const out = new BigUint64Array(n);
  for (let i = 0; i < n; i++) {
    const x = points[3 * i]!;
    const y = points[3 * i + 1]!;
    const z = points[3 * i + 2]!;
    if (x < 0 || y < 0 || z < 0 || x >= p.nx || y >= p.ny || z >= p.nz) throw new FormatError('labels-at-points', i, `point ${x},${y},${z} is outside the ${p.nx}×${p.ny}×${p.nz} block`);
    out[i] = p.palette[p.indices[(z * p.ny + y) * p.nx + x]!]!;
  }
  return out;
}

export const labelsAtPointsHandler = defineHandler(labelsAtPointsTask, labelsAtPoints, (r) => [r.labels.buffer as ArrayBuffer]);
