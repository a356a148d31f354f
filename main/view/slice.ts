/**
 * What a slice window needs from the cache, gathered on the calling thread (SQLite lookups only):
 * the stored blocks it crosses and the supervoxel → body rows of the labels they hold. The worker
 * task render-slice does the decoding (main/workers/tasks/render-slice.ts).
 *
 * Blocks rows: a row with content = a stored block; a row whose hash is NULL = the server has no
 * block there (label 0); no row = not in the cache (MISSING in the result). The labels a block holds
 * come from `block_content.labels` (its label histogram), so the mapping is read without decoding.
 */
import type { Database } from 'better-sqlite3';
import type { SliceAxis } from '../../preload/api';
import type { CtxConfig } from '../derive/context';
import { unpackLabelCounts } from '../workers/tasks/label-counts';
import type { RenderSliceArgs, SliceBlock } from '../workers/tasks/render-slice';
import { bodiesOf, type Geometry } from './sources';

export interface SliceWindow {
  axis: SliceAxis;
  scale: number;
  position: number;
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** Plane (u, v, fixed) axes as indices into x, y, z. */
export const PLANE_AXES: Record<SliceAxis, [number, number, number]> = { xy: [0, 1, 2], xz: [0, 2, 1], yz: [1, 2, 0] };

export function sliceArgs(db: Database, cfg: CtxConfig, geo: Geometry, w: SliceWindow): RenderSliceArgs {
  const [ua, va, fa] = PLANE_AXES[w.axis];
  const bs = geo.blockSize;
  const bf = Math.floor(w.position / bs[fa]!);
  const bu0 = Math.floor(w.x0 / bs[ua]!), bu1 = Math.floor((w.x0 + w.width - 1) / bs[ua]!);
  const bv0 = Math.floor(w.y0 / bs[va]!), bv1 = Math.floor((w.y0 + w.height - 1) / bs[va]!);
  // Block coordinate ranges per axis x, y, z; the primary key is (…, bz, by, bx).
  const lo = [0, 0, 0], hi = [0, 0, 0];
  lo[ua] = bu0;
  hi[ua] = bu1;
  lo[va] = bv0;
  hi[va] = bv1;
  lo[fa] = hi[fa] = bf;
  const rows = db
    .prepare(
      `SELECT b.bx AS bx, b.by AS by, b.bz AS bz, c.data AS data, c.labels AS labels, b.hash IS NULL AS empty
       FROM main.blocks b LEFT JOIN main.block_content c ON c.hash = b.hash
       WHERE b.instance_id = ? AND b.node_id = ? AND b.scale = ? AND b.supervoxels = ?
         AND b.bz BETWEEN ? AND ? AND b.by BETWEEN ? AND ? AND b.bx BETWEEN ? AND ?`,
    )
    .safeIntegers(false)
    .all(geo.instanceId, cfg.nodeId, w.scale, geo.supervoxels ? 1 : 0, lo[2], hi[2], lo[1], hi[1], lo[0], hi[0]) as Array<{
    bx: number;
    by: number;
    bz: number;
    data: Buffer | null;
    labels: Buffer | null;
    empty: number;
  }>;
  const blocks: SliceBlock[] = [];
  const labels = new Set<bigint>();
  for (const r of rows) {
    const c = [r.bx, r.by, r.bz];
    if (r.empty === 0 && !r.data) continue; // content row missing (damaged cache): shown as missing
    blocks.push({ bu: c[ua]!, bv: c[va]!, data: r.empty ? null : new Uint8Array(r.data!.buffer, r.data!.byteOffset, r.data!.byteLength) });
    if (geo.supervoxels && r.labels) for (const l of unpackLabelCounts(r.labels).labels) labels.add(l);
  }
  return {
    axis: w.axis,
    scale: w.scale,
    position: w.position,
    x0: w.x0,
    y0: w.y0,
    width: w.width,
    height: w.height,
    blockSize: bs,
    blocks,
    map: geo.supervoxels ? bodiesOf(db, geo.instanceId, cfg.nodeId, labels) : null,
  };
}
