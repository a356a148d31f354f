import { decodeDraco, readDracoHeader } from '../../formats/draco';
import { sniffMeshFormat } from '../../formats/mesh';
import type { Inspector } from './inspector';
import { meshFacts } from './mesh-facts';

export const dracoInspector: Inspector = {
  name: 'draco',
  extensions: ['.drc'],
  sniff: (bytes) => sniffMeshFormat(bytes) === 'draco',
  inspect: async (bytes) => {
    const { major, minor } = readDracoHeader(bytes);
    const mesh = await decodeDraco(bytes);
    return { bitstreamVersion: `${major}.${minor}`, ...meshFacts(mesh) };
  },
};
