/** Worker side of labelsAtPointsTask: the labels read straight from the block's encoding. */
import { labelBlockLabelsAt } from '../../formats/label-block';
import { defineHandler } from '../registry';
import { labelsAtPointsTask, type LabelsAtPointsArgs } from './labels-at-points';

export function labelsAtPoints({ data, points }: LabelsAtPointsArgs): { labels: BigUint64Array } {
  return { labels: labelBlockLabelsAt(data, points) };
}

export const labelsAtPointsHandler = defineHandler(labelsAtPointsTask, labelsAtPoints, (r) => [r.labels.buffer as ArrayBuffer]);
