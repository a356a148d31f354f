/** Any cached mesh file (ngmesh, Draco, OBJ or PLY, told from its bytes, not its key) to the one in-memory Mesh. */
import { decodeDraco } from '../../formats/draco';
import { FormatError } from '../../formats/format-error';
import { sniffMeshFormat, type Mesh, type MeshFormat } from '../../formats/mesh';
import { decodeNgmesh } from '../../formats/ngmesh';
import { decodeObj } from '../../formats/obj';
import { decodePly } from '../../formats/ply';

export async function decodeMeshFile(bytes: Uint8Array, what: string): Promise<{ mesh: Mesh; format: MeshFormat }> {
  const format = sniffMeshFormat(bytes);
  switch (format) {
    case 'ngmesh':
      return { mesh: decodeNgmesh(bytes), format };
    case 'draco':
      return { mesh: await decodeDraco(bytes), format };
    case 'obj':
      return { mesh: decodeObj(bytes), format };
    case 'ply':
      return { mesh: decodePly(bytes), format };
    default:
      throw new FormatError('mesh', 0, `${what} is not a mesh this app reads (ngmesh, Draco, OBJ or PLY)`);
  }
}
