/**
 * JSON DVID marshals about the repo and its instances (datastore/repo_local.go repoT.MarshalJSON,
 * datastore/datainstance.go Data.MarshalJSON, labelmap MarshalJSONExtents, roi and labelsz
 * Properties), field for field in Go's order.
 */
import { BLOCK_SIZE, MAX_SCALE, ROI_BLOCK_SIZE } from '../dataset/presets';
import type { InstanceDef } from '../dataset/instances';
import type { ServerContext } from './context';
import { goString, goValue } from './go-json';

const TYPE_VERSION: Record<string, string> = { labelmap: '0.1', annotation: '0.1', keyvalue: '0.2', roi: '0.1', labelsz: '0.1' };

function baseJson(ctx: ServerContext, d: InstanceDef): string {
  const ds = ctx.ds;
  const compression = d.type === 'labelmap' ? 'gzip compression, level -1' : 'LZ4 compression, level -1';
  return goValue({
    TypeName: d.type,
    TypeURL: `github.com/janelia-flyem/dvid/datatype/${d.type}`,
    TypeVersion: TYPE_VERSION[d.type],
    DataUUID: ds.repo.dataUuids[d.name],
    Name: d.name,
    RepoUUID: ds.repo.root,
    Compression: compression,
    Checksum: 'No checksum',
    Syncs: d.syncs,
    Versioned: true,
    KVStore: 'basholeveldb @ /data/dbs/hemibrain-demo',
    LogStore: 'no mutation log set',
    Tags: {},
  });
}

function roiZRange(ctx: ServerContext, name: string): [number, number] {
  const spans = ctx.ds.rois.find((r) => r.name === name)?.spans ?? [];
  if (spans.length === 0) return [2147483647, -2147483648];
  return [spans[0]![0], spans[spans.length - 1]![0]];
}

/** GET /api/node/{uuid}/{name}/info */
export function instanceInfoJson(ctx: ServerContext, d: InstanceDef): string {
  const base = baseJson(ctx, d);
  switch (d.type) {
    case 'labelmap': {
      const size = ctx.ds.params.size;
      const view = ctx.labelmaps[d.name]!;
      const labels = view.store.labels;
      const top = labels[labels.length - 1] ?? 0n;
      const maxLabel: Record<string, bigint> = { '1': top };
      let repoMax = top;
      if (d.name === 'segmentation') {
        maxLabel['2'] = ctx.ds.maxLabel[1];
        if (ctx.ds.maxLabel[1] > repoMax) repoMax = ctx.ds.maxLabel[1];
      }
      const maxPoint = [size - 1, size - 1, size - 1];
      const maxIndex = maxPoint.map((v) => Math.floor(v / BLOCK_SIZE));
      const ext =
        `{"Values":[{"DataType":"uint64","Label":"labelmap"}],"Interpolable":false,"BlockSize":[${BLOCK_SIZE},${BLOCK_SIZE},${BLOCK_SIZE}],` +
        `"VoxelSize":[8,8,8],"VoxelUnits":["nanometers","nanometers","nanometers"],"MinPoint":[0,0,0],"MaxPoint":[${maxPoint.join(',')}],` +
        `"MinIndex":[0,0,0],"MaxIndex":[${maxIndex.join(',')}],"Background":0,"GridStore":"","ScaleLevel":0,` +
        `"MaxLabel":{${Object.entries(maxLabel)
          .map(([k, v]) => `${goString(k)}:${v}`)
          .join(',')}},"MaxRepoLabel":${repoMax},"NextLabel":0,"IndexedLabels":true,"MaxDownresLevel":${MAX_SCALE}}`;
      return `{"Base":${base},"Extended":${ext},"Extents":{"MinPoint":[0,0,0],"MaxPoint":[${maxPoint.join(',')}]}}`;
    }
    case 'roi': {
      const [minZ, maxZ] = roiZRange(ctx, d.name);
      return `{"Base":${base},"Extended":{"BlockSize":[${ROI_BLOCK_SIZE},${ROI_BLOCK_SIZE},${ROI_BLOCK_SIZE}],"MinZ":${minZ},"MaxZ":${maxZ}}}`;
    }
    case 'labelsz':
      return `{"Base":${base},"Extended":{"StaticROI":""}}`;
    default:
      return `{"Base":${base},"Extended":{}}`;
  }
}

function nodeJson(ctx: ServerContext, i: number): string {
  const n = ctx.ds.nodes[i]!;
  return goValue({
    Branch: n.branch,
    Note: ctx.nodeNotes[i],
    Log: ctx.nodeLogs[i],
    UUID: n.uuid,
    VersionID: n.versionId,
    Locked: n.locked,
    Parents: n.parents,
    Children: n.children,
    Created: n.created,
    Updated: n.updated,
  });
}

/**
 * GET /api/repo/{uuid}/info (and each value of /api/repos/info). "MutationID" is DVID's mutCurID, the
 * id the NEXT mutation will get (datastore/repo_local.go newMutationID hands it out, then increments):
 * one more than the last id handed out. A client that read MutationID M before reading data has
 * seen every mutation whose id is below M.
 */
export function repoJson(ctx: ServerContext): string {
  const r = ctx.ds.repo;
  const names = [...ctx.instances.keys()].toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const instances = names.map((n) => `${goString(n)}:${instanceInfoJson(ctx, ctx.instances.get(n)!)}`).join(',');
  const order = ctx.ds.nodes.map((n, i) => [n.uuid, i] as const).toSorted((a, b) => (a[0] < b[0] ? -1 : 1));
  const dag = `{"Root":${goString(r.root)},"Nodes":{${order.map(([u, i]) => `${goString(u)}:${nodeJson(ctx, i)}`).join(',')}}}`;
  return (
    `{"Root":${goString(r.root)},"Alias":${goString(r.alias)},"Description":${goString(r.description)},"Log":${goValue(r.log)},` +
    `"Properties":{},"DataInstances":{${instances}},"DAG":${dag},"MutationID":${r.mutationId + 1},"SavedMutationID":${r.savedMutationId},` +
    `"Created":${goString(r.created)},"Updated":${goString(r.updated)}}`
  );
}
