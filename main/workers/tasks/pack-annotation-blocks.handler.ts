/** Worker side of packAnnotationBlocksTask. */
import { parseElements } from '../../formats/annotation';
import { packElements } from '../../formats/element-pack';
import { defineHandler } from '../registry';
import { packAnnotationBlocksTask, type PackAnnotationBlocksArgs, type PackAnnotationBlocksResult } from './pack-annotation-blocks';

export function packAnnotationBlocks({ texts }: PackAnnotationBlocksArgs): PackAnnotationBlocksResult {
  return texts.map((text) => {
    try {
      return packElements(parseElements(text));
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  });
}

export const packAnnotationBlocksHandler = defineHandler(packAnnotationBlocksTask, packAnnotationBlocks, (results) =>
  results.flatMap((r) => ('error' in r ? [] : [r.data.buffer as ArrayBuffer])),
);
