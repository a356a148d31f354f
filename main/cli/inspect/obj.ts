import { sniffMeshFormat } from '../../formats/mesh';
import { decodeObj } from '../../formats/obj';
import type { Inspector } from './inspector';
import { meshFacts } from './mesh-facts';

export const objInspector: Inspector = {
  name: 'obj',
  extensions: ['.obj'],
  sniff: (bytes) => sniffMeshFormat(bytes) === 'obj',
  inspect: (bytes) => Promise.resolve(meshFacts(decodeObj(bytes))),
};
