/** roi (datatype/roi/roi.go): GET /roi (spans), POST /ptquery (a read; allowed on locked nodes), GET /mask. */
import { RoiBlockSet } from '../../formats/roi-spans';
import { ROI_BLOCK_SIZE } from '../dataset/presets';
import type { InstanceRequest, ServerContext } from './context';
import { badApi, badRequest } from './errors';
import { subvolume } from './geometry-args';
import { instanceInfoJson } from './info';
import { binaryReply, jsonReply, textReply, type Reply } from './reply';

export function roiRoutes(ctx: ServerContext, req: InstanceRequest): Reply {
  const def = ctx.ds.rois.find((r) => r.name === req.instance.name)!;
  const m = req.method;
  switch (req.keyword) {
    case 'help':
      return textReply('API for ROI data type (github.com/janelia-flyem/dvid/datatype/roi), as served by the DVID Desk demo server.\n');
    case 'info':
      return jsonReply(instanceInfoJson(ctx, req.instance));
    case 'roi':
      if (m === 'GET') return jsonReply(`[${def.spans.map((s) => `[${s.join(',')}]`).join(',')}]`);
      if (m === 'POST' || m === 'DELETE') throw badRequest(req.path, 'the demo server does not change ROIs');
      return { status: 200, headers: {}, body: null };
    case 'ptquery': {
      if (m === 'GET') throw badRequest(req.path, 'ptquery requires POST with list of points');
      let pts: unknown;
      try {
        pts = JSON.parse(req.body.toString('utf8'));
      } catch (e) {
        throw badRequest(req.path, (e as Error).message);
      }
      if (!Array.isArray(pts) || pts.some((p) => !Array.isArray(p) || p.length !== 3 || p.some((c) => !Number.isInteger(c)))) {
        throw badRequest(req.path, 'expected a JSON list of [x, y, z] voxel points');
      }
      const set = new RoiBlockSet(def.spans, ROI_BLOCK_SIZE);
      return jsonReply(`[${(pts as number[][]).map((p) => set.containsVoxel(p[0]!, p[1]!, p[2]!)).join(',')}]`);
    }
    case 'mask': {
      if (m !== 'GET') throw badRequest(req.path, 'ROI mask only supports GET');
      if (req.parts.length < 7) throw badRequest(req.path, '"mask" must be followed by shape/size/offset');
      if (req.parts[4] !== '0_1_2') throw badRequest(req.path, "Currently only 3d masks ('0_1_2' shape) is supported");
      const { offset, size } = subvolume(req.path, req.parts[5]!, req.parts[6]!);
      const n = size[0] * size[1] * size[2];
      if (!(n > 0) || n > 256 * 1024 * 1024) throw badRequest(req.path, `bad mask size ${size.join('_')}`);
      const set = new RoiBlockSet(def.spans, ROI_BLOCK_SIZE);
      const out = new Uint8Array(n);
      for (let z = 0; z < size[2]; z++)
        for (let y = 0; y < size[1]; y++)
          for (let x = 0; x < size[0]; x++) if (set.containsVoxel(offset[0] + x, offset[1] + y, offset[2] + z)) out[(z * size[1] + y) * size[0] + x] = 1;
      return binaryReply(out);
    }
    case 'partition':
      throw badRequest(req.path, 'the demo server does not implement /partition');
    default:
      throw badApi(req.path, ctx.host, req.instance.name, 'roi');
  }
}
