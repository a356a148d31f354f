/**
 * A ctx as the update code needs it in memory: its row, its configuration, its ROIs (slot → rid)
 * and the RoiIndex over their spans. Loading it reads every ROI's spans (a hemibrain ROI set is a
 * few MB); it is cached per Derived until the ROIs change.
 */
import type { Database } from 'better-sqlite3';
import { unpackSpans } from '../cache/region-stores';
import type { RoiSpan } from '../formats/roi-spans';
import type { CtxConfig } from './context';
import { roiMeta, type RoiMeta } from './roi-meta';
import { RoiIndex } from './roi-index';

export interface CtxState {
  id: number;
  config: CtxConfig;
  /** rois.rid by slot */
  rids: number[];
  roiIndex: RoiIndex;
  /** Edge of the synapse instance's stored blocks (element_blocks.block_size). */
  blockSize: number;
}

export function synapseBlockSize(db: Database, config: CtxConfig): number {
  if (config.synapses === null) return 64;
  return (db.prepare('SELECT block_size FROM main.element_blocks WHERE instance_id = ? AND node_id = ? LIMIT 1').pluck().safeIntegers(false).get(config.synapses, config.nodeId) as number | undefined) ?? 64;
}

/** The ROIs of a config with their metadata (roi_data) in slot order. */
export function loadRoiMeta(db: Database, config: CtxConfig): RoiMeta[] {
  if (config.rois.length === 0) return [];
  const name = db.prepare('SELECT name FROM main.instances WHERE id = ?').pluck();
  const rois = config.rois.map((instanceId) => ({ instanceId, name: name.get(instanceId) as string }));
  let hierarchy: string | null = null;
  let primary: string | null = null;
  if (config.roiData !== null) {
    const value = db.prepare('SELECT value FROM main.kv_entries WHERE instance_id = ? AND node_id = ? AND key = ?').pluck();
    const text = (key: string): string | null => {
      // roi_data's small JSON values are inline (≤ 64 KiB); a blob-held one would be a mesh, not metadata.
      const v = value.get(config.roiData, config.nodeId, key) as Buffer | null | undefined;
      return v ? v.toString('utf8') : null;
    };
    hierarchy = text('roiHierarchy');
    primary = text('primaryRois');
  }
  return roiMeta(rois, hierarchy, primary);
}

export function loadRoiIndex(db: Database, config: CtxConfig, rids: readonly number[], instanceBySlot: readonly number[]): RoiIndex {
  const get = db.prepare('SELECT block_size, spans FROM main.roi_spans WHERE instance_id = ? AND node_id = ?').safeIntegers(false);
  const shapes = rids.map((_, slot) => {
    const r = get.get(instanceBySlot[slot], config.nodeId) as { block_size: number; spans: Buffer } | undefined;
    return { slot, blockSize: r?.block_size ?? 32, spans: r ? (unpackSpans(r.spans) as RoiSpan[]) : [] };
  });
  return new RoiIndex(shapes);
}

/** The stored state of a built ctx, or null when the node has none. */
export function loadCtx(db: Database, nodeId: number): CtxState | null {
  const row = db.prepare('SELECT id, config FROM derived.ctx WHERE node_id = ?').safeIntegers(false).get(nodeId) as { id: number; config: string } | undefined;
  if (!row) return null;
  const config = JSON.parse(row.config) as CtxConfig;
  const rois = db.prepare('SELECT rid, instance_id FROM derived.rois WHERE ctx_id = ? ORDER BY slot').raw(true).safeIntegers(false).all(row.id) as Array<[number, number]>;
  const rids = rois.map((r) => r[0]);
  return { id: row.id, config, rids, roiIndex: loadRoiIndex(db, config, rids, rois.map((r) => r[1])), blockSize: synapseBlockSize(db, config) };
}
