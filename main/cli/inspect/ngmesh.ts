import { decodeNgmesh, looksLikeNgmesh } from '../../formats/ngmesh';
import type { Inspector } from './inspector';
import { meshFacts } from './mesh-facts';

export const ngmeshInspector: Inspector = {
  name: 'ngmesh',
  extensions: ['.ngmesh'],
  sniff: looksLikeNgmesh,
  inspect: (bytes) => Promise.resolve(meshFacts(decodeNgmesh(bytes))),
};
