/** Every production task handler; imported only by the worker entry (worker.ts). */
import type { TaskHandler } from './registry';
import { decodeLabelBlockHandler, decodeLabelBlocksHandler } from './tasks/decode-label-block.handler';
import { labelsAtPointsHandler } from './tasks/labels-at-points.handler';
import { packAnnotationBlocksHandler } from './tasks/pack-annotation-blocks.handler';
import { prepareMeshHandler } from './tasks/prepare-mesh.handler';
import { preparePreviewHandler } from './tasks/prepare-preview.handler';
import { prepareSkeletonHandler } from './tasks/prepare-skeleton.handler';
import { renderSliceHandler } from './tasks/render-slice.handler';

export const HANDLERS: ReadonlyArray<TaskHandler<never, never>> = [
  decodeLabelBlockHandler as unknown as TaskHandler<never, never>,
  decodeLabelBlocksHandler as unknown as TaskHandler<never, never>,
  labelsAtPointsHandler as unknown as TaskHandler<never, never>,
  packAnnotationBlocksHandler as unknown as TaskHandler<never, never>,
  // Body view and slices (issue 9)
  prepareMeshHandler as unknown as TaskHandler<never, never>,
  preparePreviewHandler as unknown as TaskHandler<never, never>,
  prepareSkeletonHandler as unknown as TaskHandler<never, never>,
  renderSliceHandler as unknown as TaskHandler<never, never>,
];
