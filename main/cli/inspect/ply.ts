import { decodePly, readPlyHeader } from '../../formats/ply';
import { sniffMeshFormat } from '../../formats/mesh';
import type { Inspector } from './inspector';
import { meshFacts } from './mesh-facts';

export const plyInspector: Inspector = {
  name: 'ply',
  extensions: ['.ply'],
  sniff: (bytes) => sniffMeshFormat(bytes) === 'ply',
  inspect: (bytes) => {
    const mesh = decodePly(bytes);
    const header = readPlyHeader(bytes);
    return Promise.resolve({
      encoding: header.encoding,
      elements: Object.fromEntries(header.elements.map((e) => [e.name, e.count])),
      ...meshFacts(mesh),
    });
  },
};
