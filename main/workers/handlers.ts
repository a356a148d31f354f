/** Every production task handler; imported only by the worker entry (worker.ts). */
import type { TaskHandler } from './registry';
import { decodeLabelBlockHandler, decodeLabelBlocksHandler } from './tasks/decode-label-block.handler';
import { labelsAtPointsHandler } from './tasks/labels-at-points.handler';

export const HANDLERS: ReadonlyArray<TaskHandler<never, never>> = [
  decodeLabelBlockHandler as unknown as TaskHandler<never, never>,
  decodeLabelBlocksHandler as unknown as TaskHandler<never, never>,
  labelsAtPointsHandler as unknown as TaskHandler<never, never>,
];
