/**
 * Which instances a node's derived numbers come from (a "ctx"): the synapse annotation instance,
 * the labelmap its supervoxels were read from, the body annotations, the ROI instances and
 * `roi_data`, and the labelsz ranking. Chosen from what the cache holds for the node, with the
 * hemibrain names (hemibrain-instances.md) preferred. A ctx whose choice changes (say, the ROIs
 * were synced after the synapses) is rebuilt.
 */
import type { Database } from 'better-sqlite3';
import { viewBlock } from './element-blocks';

export interface CtxConfig {
  nodeId: number;
  /** annotation instance with the PreSyn/PostSyn elements */
  synapses: number | null;
  /** labelmap whose supervoxel→body mapping gives each synapse its body */
  labelmap: number | null;
  /** keyvalue / neuronjson instance of the body annotations */
  annotations: number | null;
  /** keyvalue `roi_data` (hierarchy and primary ROIs), when synced */
  roiData: number | null;
  /** labelsz instance whose ranking gives labelszRank */
  labelsz: number | null;
  /** roi instances with spans at this node, by instance id */
  rois: number[];
}

interface InstanceRow {
  id: number;
  name: string;
  type: string;
}

function byPreference(rows: InstanceRow[], preferred: readonly string[]): InstanceRow[] {
  const rank = (r: InstanceRow) => {
    const i = preferred.indexOf(r.name);
    return i < 0 ? preferred.length : i;
  };
  return rows.toSorted((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The instances of `nodeId` that its derived tables are computed from. Reads only small tables and first rows. */
export function chooseConfig(db: Database, nodeId: number): CtxConfig {
  const instances = db.prepare('SELECT id, name, type FROM main.instances ORDER BY name').safeIntegers(false).all() as InstanceRow[];
  const ofType = (...types: string[]) => instances.filter((i) => types.includes(i.type));

  // An annotation instance holds synapses when one of its first stored blocks has a PreSyn or PostSyn.
  const firstBlocks = db.prepare('SELECT data FROM main.element_blocks WHERE instance_id = ? AND node_id = ? AND count > 0 LIMIT 8').pluck();
  const hasSynapses = (id: number) =>
    (firstBlocks.all(id, nodeId) as Buffer[]).some((data) => {
      const k = viewBlock(data, null).kind;
      return k.includes(0) || k.includes(1);
    });
  const synapses = byPreference(ofType('annotation'), ['synapses']).find((i) => hasSynapses(i.id))?.id ?? null;

  let labelmap: number | null = null;
  if (synapses !== null) {
    labelmap = (db.prepare('SELECT labelmap_id FROM main.element_block_svs WHERE instance_id = ? AND node_id = ? LIMIT 1').pluck().safeIntegers(false).get(synapses, nodeId) as number | undefined) ?? null;
  }
  if (labelmap === null) {
    const hasMap = db.prepare('SELECT 1 FROM main.sv_map WHERE instance_id = ? AND node_id = ? LIMIT 1').pluck();
    labelmap = byPreference(ofType('labelmap'), ['segmentation']).find((i) => hasMap.get(i.id, nodeId) !== undefined)?.id ?? null;
  }

  const hasAnnotations = db.prepare('SELECT 1 FROM main.body_annotations WHERE instance_id = ? AND node_id = ? LIMIT 1').pluck();
  const annotations =
    byPreference(ofType('keyvalue', 'neuronjson'), ['segmentation_annotations']).find((i) => hasAnnotations.get(i.id, nodeId) !== undefined)?.id ?? null;

  const roiData = instances.find((i) => i.name === 'roi_data' && i.type === 'keyvalue')?.id ?? null;

  const hasRanking = db.prepare('SELECT 1 FROM main.labelsz_counts WHERE instance_id = ? AND node_id = ? LIMIT 1').pluck();
  const labelsz = byPreference(ofType('labelsz'), ['synapses_labelsz']).find((i) => hasRanking.get(i.id, nodeId) !== undefined)?.id ?? null;

  const roiIds = new Set(ofType('roi').map((i) => i.id));
  const rois = (db.prepare('SELECT instance_id FROM main.roi_spans WHERE node_id = ? ORDER BY instance_id').pluck().safeIntegers(false).all(nodeId) as number[]).filter((id) =>
    roiIds.has(id),
  );

  return { nodeId, synapses, labelmap, annotations, roiData, labelsz, rois };
}

export function sameConfig(a: CtxConfig, b: CtxConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
