/** Worker side of packAnnotationBlocksTask. */
import { parseElements } from '../../formats/annotation';
import { packElements } from '../../formats/element-pack';
import { defineHandler } from '../registry';
import { packAnnotationBlocksTask, type PackAnnotationBlocksArgs, type PackAnnotationBlocksResult } from './pack-annotation-blocks';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function packAnnotationBlocks({ blocks }: PackAnnotationBlocksArgs): PackAnnotationBlocksResult {
  return blocks.map((json) => {
    try {
      let text: string;
      try {
        text = utf8.decode(json);
      } catch {
        return { error: 'annotation: the block\'s JSON is not valid UTF-8' };
      }
      return packElements(parseElements(text));
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  });
}

export const packAnnotationBlocksHandler = defineHandler(packAnnotationBlocksTask, packAnnotationBlocks, (results) =>
  results.flatMap((r) => ('error' in r ? [] : [r.data.buffer as ArrayBuffer])),
);
