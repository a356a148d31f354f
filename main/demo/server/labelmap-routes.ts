/** labelmap: keyword dispatch (labelmap.go ServeHTTP), in the order DVID checks things. */
import type { InstanceRequest, ServerContext } from './context';
import { badApi, badRequest } from './errors';
import { instanceInfoJson } from './info';
import { getBlocks, getRaw, getSpecificBlocks } from './labelmap-blocks';
import {
  getLabel,
  getLabels,
  effectiveMaxLabel,
  getLastmod,
  getMapping,
  getMappings,
  getMaxlabel,
  getMutations,
  getMutationsRange,
  getNextlabel,
  getSize,
  getSizes,
  getSparsevolSize,
  getSupervoxels,
  getSupervoxelSizes,
} from './labelmap-labels';
import { postCleave, postMerge } from './labelmap-mutate';
import { getSparsevol, getSparsevolCoarse } from './labelmap-sparsevol';
import { jsonReply, textReply, type Reply } from './reply';

const WRITES = new Set(['split', 'split-supervoxel', 'renumber', 'ingest-supervoxels', 'set-nextlabel', 'index', 'indices', 'extents', 'resolution', 'sync', 'proximity']);

export function labelmapRoutes(ctx: ServerContext, req: InstanceRequest): Reply {
  const view = ctx.labelmaps[req.instance.name]!;
  switch (req.keyword) {
    case 'help':
      return textReply('API for label map data type (github.com/janelia-flyem/dvid/datatype/labelmap), as served by the DVID Desk demo server.\n');
    case 'info':
      if (req.method === 'POST') throw badRequest(req.path, 'the demo server does not change instance configuration');
      return jsonReply(instanceInfoJson(ctx, req.instance));
    case 'tags':
      return jsonReply('{"Tags":{}}');
    case 'specificblocks':
      return getSpecificBlocks(ctx, req, view);
    case 'blocks':
      return getBlocks(ctx, req, view);
    case 'raw':
    case 'isotropic':
      return getRaw(ctx, req, view);
    case 'label':
      return getLabel(ctx, req, view);
    case 'labels':
      return getLabels(ctx, req, view);
    case 'mapping':
      return getMapping(ctx, req, view);
    case 'mappings':
      return getMappings(ctx, req, view);
    case 'lastmod':
      return getLastmod(ctx, req, view);
    case 'supervoxels':
      return getSupervoxels(ctx, req, view);
    case 'supervoxel-sizes':
      return getSupervoxelSizes(ctx, req, view);
    case 'size':
      return getSize(ctx, req, view);
    case 'sizes':
      return getSizes(ctx, req, view);
    case 'sparsevol-size':
      return getSparsevolSize(ctx, req, view);
    case 'sparsevol':
      return getSparsevol(ctx, req, view);
    case 'sparsevol-coarse':
      return getSparsevolCoarse(ctx, req, view);
    case 'maxlabel':
      return getMaxlabel(ctx, req, view);
    case 'nextlabel':
      return getNextlabel(ctx, req, view);
    case 'merge':
      return postMerge(ctx, req, view);
    case 'cleave':
      return postCleave(ctx, req, view, () => {
        let max = 0n;
        for (const [, lm] of Object.entries(ctx.labelmaps)) if (lm.mapped) max = effectiveMaxLabel(ctx, lm, ctx.ds.nodes.length - 1);
        return max;
      });
    case 'mutations':
      return getMutations(ctx, req, view);
    case 'mutations-range':
      return getMutationsRange(ctx, req, view);
    default:
      if (WRITES.has(req.keyword)) throw badRequest(req.path, `the demo server does not implement /${req.keyword}: its segmentation changes only through its generated history`);
      throw badApi(req.path, ctx.host, req.instance.name, 'labelmap');
  }
}
