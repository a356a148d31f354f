import { FormatError } from '../../formats/format-error';
import { parseSwc, SWC_MAX_CHARS, swcStats } from '../../formats/swc';
import type { Inspector } from './inspector';

const utf8 = new TextDecoder('utf-8');
/** first data line: id type x y z radius parent */
const NODE_LINE = /^[ \t]*\d+[ \t]+[+-]?\d+([ \t]+[-+.\deE]+){4}[ \t]+-?\d+[ \t]*\r?$/m;

export const swcInspector: Inspector = {
  name: 'swc',
  extensions: ['.swc'],
  sniff: (bytes) => {
    const head = utf8.decode(bytes.subarray(0, 64 * 1024));
    if (/[\x00-\x08\x0e-\x1f]/.test(head)) return false; // oxlint-disable-line no-control-regex
    const firstData = head.split('\n').find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    return firstData !== undefined && NODE_LINE.test(firstData);
  },
  inspect: (bytes) => {
    // UTF-8 never decodes to more UTF-16 units than bytes, so this bound keeps the decode itself safe.
    if (bytes.length > SWC_MAX_CHARS) throw new FormatError('swc', 0, `${bytes.length} bytes exceeds the ${SWC_MAX_CHARS}-character limit`);
    const skel = parseSwc(new TextDecoder('utf-8').decode(bytes));
    const s = swcStats(skel);
    return Promise.resolve({
      nodes: s.nodes,
      roots: s.roots,
      components: s.components,
      cableLength: s.cableLength,
      bounds: s.bounds,
      somaNodes: s.somaNodes,
      types: s.types,
      mutationId: s.mutationId === null ? null : s.mutationId.toString(),
      comments: skel.comments.length,
    });
  },
};
