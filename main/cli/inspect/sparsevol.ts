import { decodeSparsevol, sparsevolVoxelCount } from '../../formats/sparsevol';
import type { Inspector } from './inspector';

/** `/sparsevol` (rles) and `/sparsevol-coarse` bodies: no customary extension, so --as or sniffing. */
export const sparsevolInspector: Inspector = {
  name: 'sparsevol',
  extensions: ['.rles', '.sparsevol'],
  sniff: (bytes) =>
    bytes.length >= 12 && bytes[0] === 0 && bytes[1] === 3 && bytes[2] === 0 &&
    12 + 16 * new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true) === bytes.length,
  inspect: (bytes) => {
    const runs = decodeSparsevol(bytes);
    const min = [Infinity, Infinity, Infinity];
    const max = [-Infinity, -Infinity, -Infinity];
    for (const r of runs) {
      const lo = [r.x, r.y, r.z];
      const hi = [r.x + r.length - 1, r.y, r.z];
      for (let a = 0; a < 3; a++) {
        min[a] = Math.min(min[a] as number, lo[a] as number);
        max[a] = Math.max(max[a] as number, hi[a] as number);
      }
    }
    return Promise.resolve({
      runs: runs.length,
      voxels: sparsevolVoxelCount(runs),
      bounds: runs.length > 0 ? { min, max } : null,
      note: 'units are voxels for /sparsevol, blocks for /sparsevol-coarse',
    });
  },
};
