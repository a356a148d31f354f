/**
 * Where the body view's data sit in the cache of the active node: a body's mesh and skeleton
 * (keyvalue entries whose key names the body, by sniffed format), ROI meshes, and the geometry of
 * the segmentation (voxel size, extent, block size, cached scales). Reads only; every query is a
 * primary-key or index lookup.
 */
import type { Database } from 'better-sqlite3';
import type { Cache } from '../cache/index';
import { u64FromDb, u64ToDb } from '../cache/u64';
import type { CtxConfig } from '../derive/context';
import { NotFoundError } from '../derive/queries';

export const MESH_FORMATS = ['ngmesh', 'draco', 'ply', 'obj'] as const;
/** Instances FlyEM keeps body meshes and skeletons in (hemibrain-instances.md), preferred in this order. */
const MESH_INSTANCES = ['segmentation_meshes'];
const SKELETON_INSTANCES = ['segmentation_skeletons'];

export interface KvRef {
  instanceId: number;
  instance: string;
  key: string;
  format: string;
  size: number;
  hash: Buffer;
}

function preferenceOf(list: readonly string[], name: string): number {
  const i = list.indexOf(name);
  return i < 0 ? list.length : i;
}

/** Every keyvalue entry naming `body` at the node with one of `formats`. */
function entriesOf(db: Database, nodeId: number, body: bigint, formats: readonly string[]): KvRef[] {
  // INDEXED BY: see derive/queries.ts bodyDetail (without statistics SQLite would scan the instance's keys).
  const rows = db
    .prepare(
      `SELECT i.id AS instanceId, i.name AS instance, k.key AS key, k.format AS format, k.size AS size, k.hash AS hash
       FROM main.instances i CROSS JOIN main.kv_entries k INDEXED BY kv_entries_body
       ON k.instance_id = i.id AND k.node_id = ? AND k.body = ?
       WHERE i.type IN ('keyvalue', 'neuronjson') AND k.body IS NOT NULL AND k.format IS NOT NULL`,
    )
    .safeIntegers(false)
    .all(nodeId, u64ToDb(body)) as KvRef[];
  return rows.filter((r) => formats.includes(r.format));
}

function pick(rows: KvRef[], instances: readonly string[], formats: readonly string[]): KvRef | null {
  return (
    rows.toSorted(
      (a, b) =>
        preferenceOf(instances, a.instance) - preferenceOf(instances, b.instance) ||
        formats.indexOf(a.format) - formats.indexOf(b.format) ||
        (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0),
    )[0] ?? null
  );
}

export function meshEntry(db: Database, cfg: CtxConfig, body: bigint): KvRef | null {
  return pick(entriesOf(db, cfg.nodeId, body, MESH_FORMATS), MESH_INSTANCES, MESH_FORMATS);
}

export function skeletonEntry(db: Database, cfg: CtxConfig, body: bigint): KvRef | null {
  return pick(entriesOf(db, cfg.nodeId, body, ['swc']), SKELETON_INSTANCES, ['swc']);
}

/** The value bytes of an entry (inline or its blob file). */
export function valueOf(cache: Cache, nodeId: number, ref: Pick<KvRef, 'instanceId' | 'key'>): Buffer {
  const v = cache.kv.value(ref.instanceId, nodeId, ref.key);
  if (!v) throw new NotFoundError(`the value of key "${ref.key.slice(0, 100)}" is not in the cache (its blob file is missing: run dvid-desk verify)`);
  return v;
}

function instanceId(db: Database, name: string, type?: string): number | null {
  const r = db.prepare(`SELECT id FROM main.instances WHERE name = ?${type ? ' AND type = ?' : ''}`).pluck().safeIntegers(false);
  return ((type ? r.get(name, type) : r.get(name)) as number | undefined) ?? null;
}

/**
 * A ROI's mesh: `roisSmoothedDecimated/<ROI>` (hemibrain), else NeuTu's convention
 * `rois/<ROI>` = {"->":{"key":K}} pointing at `roi_data/K`. null when neither is cached.
 */
export function roiMeshEntry(db: Database, cache: Cache, nodeId: number, roi: string): { instanceId: number; key: string; what: string } | null {
  const smoothed = instanceId(db, 'roisSmoothedDecimated', 'keyvalue');
  if (smoothed !== null && cache.kv.entry(smoothed, nodeId, roi)) return { instanceId: smoothed, key: roi, what: `roisSmoothedDecimated/${roi}` };
  const rois = instanceId(db, 'rois', 'keyvalue');
  const roiData = instanceId(db, 'roi_data', 'keyvalue');
  if (rois === null || roiData === null) return null;
  const pointer = cache.kv.value(rois, nodeId, roi);
  if (!pointer) return null;
  let key: unknown;
  try {
    key = (JSON.parse(pointer.toString('utf8')) as { '->'?: { key?: unknown } })['->']?.key;
  } catch {
    return null;
  }
  if (typeof key !== 'string' || !cache.kv.entry(roiData, nodeId, key)) return null;
  return { instanceId: roiData, key, what: `roi_data/${key} (for ROI ${roi})` };
}

export interface Geometry {
  instanceId: number;
  instance: string;
  blockSize: [number, number, number];
  voxelSize: [number, number, number];
  voxelUnits: string;
  extent: { min: [number, number, number]; max: [number, number, number] } | null;
  /** scales with at least one cached block row, ascending */
  scales: number[];
  /** whether the cached blocks hold supervoxel labels (then mapped through sv_map) */
  supervoxels: boolean;
  maxScale: number;
}

function triple(v: unknown, fallback: number): [number, number, number] {
  if (Array.isArray(v) && v.length >= 3 && v.slice(0, 3).every((x) => typeof x === 'number' && Number.isFinite(x))) return [v[0], v[1], v[2]] as [number, number, number];
  return [fallback, fallback, fallback];
}

/** The labelmaps of the node with cached blocks; the ctx's labelmap (what synapses were mapped with) first. */
export function labelmapsWithBlocks(db: Database, cfg: CtxConfig): Array<{ id: number; name: string }> {
  const rows = db
    .prepare(
      `SELECT i.id, i.name FROM main.instances i WHERE i.type = 'labelmap'
       AND EXISTS (SELECT 1 FROM main.blocks b WHERE b.instance_id = i.id AND b.node_id = ?) ORDER BY i.name`,
    )
    .safeIntegers(false)
    .all(cfg.nodeId) as Array<{ id: number; name: string }>;
  const first = (r: { id: number; name: string }) => (r.id === cfg.labelmap ? 0 : r.name === 'segmentation' ? 1 : 2);
  return rows.toSorted((a, b) => first(a) - first(b));
}

/** Geometry of `name` (default: the node's main segmentation) at the node; null when no labelmap has blocks. */
export function geometryOf(db: Database, cfg: CtxConfig, name?: string): Geometry | null {
  const lms = labelmapsWithBlocks(db, cfg);
  const lm = name === undefined ? lms[0] : lms.find((l) => l.name === name);
  if (!lm) {
    if (name !== undefined && lms.length > 0) throw new NotFoundError(`labelmap "${name.slice(0, 100)}" has no cached blocks at this node (cached: ${lms.map((l) => l.name).join(', ')})`);
    return null;
  }
  const infoText = db.prepare('SELECT info FROM main.instance_infos WHERE instance_id = ? AND node_id = ?').pluck().get(lm.id, cfg.nodeId) as string | undefined;
  let ext: Record<string, unknown> = {};
  let extents: Record<string, unknown> | null = null;
  if (infoText) {
    try {
      const info = JSON.parse(infoText) as { Extended?: Record<string, unknown>; Extents?: Record<string, unknown> };
      ext = info.Extended ?? {};
      extents = info.Extents ?? null;
    } catch {
      // Unreadable info: the defaults below stand.
    }
  }
  const minP = extents?.MinPoint ?? ext.MinPoint;
  const maxP = extents?.MaxPoint ?? ext.MaxPoint;
  const scaleRows = db
    .prepare('SELECT scale, max(supervoxels) AS sv FROM main.blocks WHERE instance_id = ? AND node_id = ? GROUP BY scale ORDER BY scale')
    .safeIntegers(false)
    .all(lm.id, cfg.nodeId) as Array<{ scale: number; sv: number }>;
  const units = Array.isArray(ext.VoxelUnits) && typeof ext.VoxelUnits[0] === 'string' ? ext.VoxelUnits[0] : 'nanometers';
  return {
    instanceId: lm.id,
    instance: lm.name,
    blockSize: triple(ext.BlockSize, 64),
    voxelSize: triple(ext.VoxelSize, 8),
    voxelUnits: units,
    extent: Array.isArray(minP) && Array.isArray(maxP) ? { min: triple(minP, 0), max: triple(maxP, 0) } : null,
    scales: scaleRows.map((r) => r.scale),
    supervoxels: scaleRows.some((r) => r.sv === 1),
    maxScale: typeof ext.MaxDownresLevel === 'number' ? ext.MaxDownresLevel : Math.max(0, ...scaleRows.map((r) => r.scale)),
  };
}

/** Body of each supervoxel with a mapping row (rows missing: the label is its own body, as in DVID). */
export function bodiesOf(db: Database, lmId: number, nodeId: number, svs: Iterable<bigint>): { svs: BigUint64Array; bodies: BigUint64Array } {
  const stmt = db.prepare('SELECT body FROM main.sv_map WHERE instance_id = ? AND node_id = ? AND sv = ?').pluck().safeIntegers(true);
  const outSv: bigint[] = [];
  const outBody: bigint[] = [];
  for (const sv of svs) {
    const b = stmt.get(lmId, nodeId, u64ToDb(sv)) as bigint | undefined;
    if (b === undefined) continue;
    outSv.push(sv);
    outBody.push(u64FromDb(b));
  }
  return { svs: BigUint64Array.from(outSv), bodies: BigUint64Array.from(outBody) };
}

export interface VoxelFrame {
  voxelSize: [number, number, number];
  extent: Geometry['extent'];
}

/** Voxel size and extent of the node's main labelmap from its cached /info (8 nm and unknown when none is cached). */
export function voxelFrame(db: Database, cfg: CtxConfig): VoxelFrame {
  const rows = db
    .prepare(
      `SELECT i.id AS id, i.name AS name, f.info AS info FROM main.instances i JOIN main.instance_infos f ON f.instance_id = i.id AND f.node_id = ?
       WHERE i.type = 'labelmap'`,
    )
    .safeIntegers(false)
    .all(cfg.nodeId) as Array<{ id: number; name: string; info: string }>;
  const rank = (r: { id: number; name: string }) => (r.id === cfg.labelmap ? 0 : r.name === 'segmentation' ? 1 : 2);
  const best = rows.toSorted((a, b) => rank(a) - rank(b))[0];
  if (best) {
    try {
      const info = JSON.parse(best.info) as { Extended?: Record<string, unknown>; Extents?: Record<string, unknown> };
      const ext = info.Extended ?? {};
      const minP = info.Extents?.MinPoint ?? ext.MinPoint;
      const maxP = info.Extents?.MaxPoint ?? ext.MaxPoint;
      return {
        voxelSize: triple(ext.VoxelSize, 8),
        extent: Array.isArray(minP) && Array.isArray(maxP) ? { min: triple(minP, 0), max: triple(maxP, 0) } : null,
      };
    } catch {
      // fall through to the defaults
    }
  }
  return { voxelSize: [8, 8, 8], extent: null };
}
