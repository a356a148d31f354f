/**
 * Annotation elements (synapses, bookmarks, to-dos: one table for every annotation instance), stored
 * per annotation block as DVID itself stores them: one `element_blocks` row per (instance, node,
 * block) holding every element of the block packed (main/formats/element-pack.ts), and one `element_block_svs`
 * row with the supervoxel under each of those elements, in the same order, in the labelmap the
 * annotation syncs to. A block row is rewritten whole, so ingest costs one insert per block, not per
 * element, and a scan decodes typed arrays; the derived tables of issue 7 (per-body counts, partners,
 * ROI tables) are built from such scans. Rewriting a block drops its supervoxel row (it no longer
 * matches the elements' order).
 *
 * `complete` = 1 when the row holds every element the server had in the block (a whole-block read);
 * 0 when it was assembled from per-body reads or a filtered region (bbox/ROI scopes).
 */
import type { CacheDb } from './open';
import { comparePos, packElements, packedPositions, unpackElements, type ElementInput, type ElementRow, type PackedBlock } from '../formats/element-pack';
import { RowWriter } from './row-writer';
import { TABLES } from './tables';

export type { ElementInput, ElementRow } from '../formats/element-pack';

/** [x0, y0, z0, x1, y1, z1): scale-0 voxels, half-open. */
export type VoxelBox = readonly [number, number, number, number, number, number];
export type Coord = readonly [number, number, number];

export interface StoredBlock {
  coord: [number, number, number];
  blockSize: number;
  complete: boolean;
  elements: ElementRow[];
}

interface RawBlock {
  bx: number;
  by: number;
  bz: number;
  block_size: number;
  complete: number;
  count: number;
  data: Buffer;
  props: string | null;
  tags: string | null;
}

const floorDiv = (a: number, b: number) => Math.floor(a / b);

export class ElementStore {
  readonly #block: RowWriter | null;
  readonly #svs: RowWriter | null;

  constructor(readonly cache: CacheDb) {
    this.#block = cache.readonly ? null : new RowWriter(cache.db, TABLES.element_blocks, 'replace');
    this.#svs = cache.readonly ? null : new RowWriter(cache.db, TABLES.element_block_svs, 'replace');
  }

  /** Replaces one block's elements (and drops its supervoxel row); call inside a write transaction. */
  putBlock(instanceId: number, nodeId: number, coord: Coord, blockSize: number, elements: readonly ElementInput[], complete: boolean, fetchId: number): void {
    this.putPacked(instanceId, nodeId, coord, blockSize, packElements(elements), complete, fetchId);
  }

  /** putBlock for elements already packed (by packElements, e.g. in a worker). */
  putPacked(instanceId: number, nodeId: number, coord: Coord, blockSize: number, p: PackedBlock, complete: boolean, fetchId: number): void {
    this.#block!.write([instanceId, nodeId, coord[2], coord[1], coord[0], blockSize, complete ? 1 : 0, p.count, p.props, p.tags, fetchId, p.data]);
    this.cache
      .stmt('DELETE FROM element_block_svs WHERE instance_id = ? AND node_id = ? AND bz = ? AND by = ? AND bx = ?')
      .run(instanceId, nodeId, coord[2], coord[1], coord[0]);
  }

  block(instanceId: number, nodeId: number, coord: Coord): StoredBlock | null {
    const r = this.cache.db
      .prepare('SELECT bx, by, bz, block_size, complete, count, data, props, tags FROM element_blocks WHERE instance_id = ? AND node_id = ? AND bz = ? AND by = ? AND bx = ?')
      .safeIntegers(false)
      .get(instanceId, nodeId, coord[2], coord[1], coord[0]) as RawBlock | undefined;
    return r ? toBlock(r) : null;
  }

  /**
   * Adds or replaces elements (matched by position) in their blocks, keeping the blocks' other
   * elements (per-body reads); a row keeps its `complete` flag. Returns the blocks touched.
   */
  mergeElements(instanceId: number, nodeId: number, blockSize: number, elements: readonly ElementInput[], fetchId: number): number {
    const byBlock = new Map<string, { coord: [number, number, number]; els: ElementInput[] }>();
    for (const e of elements) {
      const c: [number, number, number] = [floorDiv(e.pos[0], blockSize), floorDiv(e.pos[1], blockSize), floorDiv(e.pos[2], blockSize)];
      const k = c.join();
      const g = byBlock.get(k);
      if (g) g.els.push(e);
      else byBlock.set(k, { coord: c, els: [e] });
    }
    for (const { coord, els } of byBlock.values()) {
      const old = this.block(instanceId, nodeId, coord);
      const fresh = new Set(els.map((e) => e.pos.join()));
      const kept = (old?.elements ?? []).filter((e) => !fresh.has(e.pos.join()));
      this.putBlock(instanceId, nodeId, coord, blockSize, [...kept, ...els], old?.complete ?? false, fetchId);
    }
    return byBlock.size;
  }

  /**
   * Replaces the elements of a block that lie where `where` says (a bbox or ROI scope), keeping the
   * others; a block not yet cached becomes an incomplete row.
   */
  replaceWithin(instanceId: number, nodeId: number, coord: Coord, blockSize: number, elements: readonly ElementInput[], where: (pos: Coord) => boolean, fetchId: number): void {
    const old = this.block(instanceId, nodeId, coord);
    const kept = (old?.elements ?? []).filter((e) => !where(e.pos));
    this.putBlock(instanceId, nodeId, coord, blockSize, [...kept, ...elements.filter((e) => where(e.pos))], old?.complete ?? false, fetchId);
  }

  count(instanceId: number, nodeId: number): number {
    return this.cache.db
      .prepare('SELECT ifnull(sum(count), 0) FROM element_blocks WHERE instance_id = ? AND node_id = ?')
      .pluck()
      .safeIntegers(false)
      .get(instanceId, nodeId) as number;
  }

  /** Every element of an instance/node, block by block in z, y, x order, each block's in z, y, x order. */
  *all(instanceId: number, nodeId: number): Generator<ElementRow> {
    const stmt = this.cache.db
      .prepare('SELECT bx, by, bz, block_size, complete, count, data, props, tags FROM element_blocks WHERE instance_id = ? AND node_id = ? ORDER BY bz, by, bx')
      .safeIntegers(false);
    for (const r of stmt.iterate(instanceId, nodeId) as Iterable<RawBlock>) yield* unpackElements(r.data, r.props, r.tags);
  }

  /** Elements inside a half-open voxel box, in z, y, x order. */
  inBox(instanceId: number, nodeId: number, box: VoxelBox): ElementRow[] {
    const sizes = this.cache.db
      .prepare('SELECT DISTINCT block_size FROM element_blocks WHERE instance_id = ? AND node_id = ?')
      .pluck()
      .safeIntegers(false)
      .all(instanceId, nodeId) as number[];
    const out: ElementRow[] = [];
    for (const bs of sizes) {
      const rows = this.cache.db
        .prepare(
          `SELECT bx, by, bz, block_size, complete, count, data, props, tags FROM element_blocks WHERE instance_id = ? AND node_id = ? AND block_size = ?
           AND bz >= ? AND bz <= ? AND by >= ? AND by <= ? AND bx >= ? AND bx <= ?`,
        )
        .safeIntegers(false)
        .all(instanceId, nodeId, bs, floorDiv(box[2], bs), floorDiv(box[5] - 1, bs), floorDiv(box[1], bs), floorDiv(box[4] - 1, bs), floorDiv(box[0], bs), floorDiv(box[3] - 1, bs)) as RawBlock[];
      for (const r of rows) {
        for (const e of unpackElements(r.data, r.props, r.tags)) {
          const [x, y, z] = e.pos;
          if (x >= box[0] && x < box[3] && y >= box[1] && y < box[4] && z >= box[2] && z < box[5]) out.push(e);
        }
      }
    }
    return out.toSorted((a, b) => comparePos(a.pos, b.pos));
  }

  /**
   * Blocks whose elements have no supervoxel row (written by job `jobId` when given), in key order
   * after `after`, at most `limit`: what the supervoxel pass still has to do.
   */
  blocksWithoutSupervoxels(instanceId: number, nodeId: number, limit: number, jobId: number | null, after: Coord | null): Array<{ coord: [number, number, number]; blockSize: number; positions: Int32Array }> {
    const byJob = jobId === null ? '' : 'AND s.fetch_id IN (SELECT id FROM fetches WHERE job_id = ?)';
    const from = after ? 'AND (e.bz, e.by, e.bx) > (?, ?, ?)' : '';
    const args: number[] = [instanceId, nodeId];
    if (after) args.push(after[2], after[1], after[0]);
    if (jobId !== null) args.push(jobId);
    args.push(limit);
    const rows = this.cache.db
      .prepare(
        `SELECT e.bx, e.by, e.bz, e.block_size, e.data FROM element_blocks e WHERE e.instance_id = ? AND e.node_id = ? AND e.count > 0 ${from}
         AND NOT EXISTS (SELECT 1 FROM element_block_svs s WHERE s.instance_id = e.instance_id AND s.node_id = e.node_id
           AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx ${byJob})
         ORDER BY e.bz, e.by, e.bx LIMIT ?`,
      )
      .safeIntegers(false)
      .all(...args) as Array<{ bx: number; by: number; bz: number; block_size: number; data: Buffer }>;
    return rows.map((r) => ({ coord: [r.bx, r.by, r.bz], blockSize: r.block_size, positions: packedPositions(r.data) }));
  }

  /**
   * The positions of a block's elements when the block has a row of this block size, holds elements,
   * and has no supervoxel row yet (from job `jobId` when given); else null.
   */
  positionsNeedingSupervoxels(instanceId: number, nodeId: number, coord: Coord, blockSize: number, jobId: number | null): Int32Array | null {
    const byJob = jobId === null ? '' : 'AND s.fetch_id IN (SELECT id FROM fetches WHERE job_id = ?)';
    const args: number[] = [instanceId, nodeId, coord[2], coord[1], coord[0], blockSize];
    if (jobId !== null) args.push(jobId);
    const r = this.cache
      .stmt(
        `SELECT e.data FROM element_blocks e WHERE e.instance_id = ? AND e.node_id = ? AND e.bz = ? AND e.by = ? AND e.bx = ? AND e.block_size = ? AND e.count > 0
         AND NOT EXISTS (SELECT 1 FROM element_block_svs s WHERE s.instance_id = e.instance_id AND s.node_id = e.node_id
           AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx ${byJob})`,
      )
      .pluck()
      .safeIntegers(false)
      .get(...args) as Buffer | undefined;
    return r ? packedPositions(r) : null;
  }

  /**
   * positionsNeedingSupervoxels for every block of a box at once ([bx0, by0, bz0, bx1, by1, bz1),
   * half-open, in blocks of `blockSize`): one query per sync item instead of one per block. Keys "bx,by,bz".
   */
  positionsNeedingSupervoxelsIn(instanceId: number, nodeId: number, box: readonly number[], blockSize: number, jobId: number | null): Map<string, Int32Array> {
    const byJob = jobId === null ? '' : 'AND s.fetch_id IN (SELECT id FROM fetches WHERE job_id = ?)';
    const args: number[] = [instanceId, nodeId, box[2]!, box[5]!, box[1]!, box[4]!, box[0]!, box[3]!, blockSize];
    if (jobId !== null) args.push(jobId);
    const rows = this.cache
      .stmt(
        `SELECT e.bx, e.by, e.bz, e.data FROM element_blocks e WHERE e.instance_id = ? AND e.node_id = ? AND e.bz >= ? AND e.bz < ? AND e.by >= ? AND e.by < ?
           AND e.bx >= ? AND e.bx < ? AND e.block_size = ? AND e.count > 0
         AND NOT EXISTS (SELECT 1 FROM element_block_svs s WHERE s.instance_id = e.instance_id AND s.node_id = e.node_id
           AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx ${byJob})`,
      )
      .safeIntegers(false)
      .all(...args) as Array<{ bx: number; by: number; bz: number; data: Buffer }>;
    return new Map(rows.map((r) => [`${r.bx},${r.by},${r.bz}`, packedPositions(r.data)]));
  }

  /** The supervoxel of each element of a block (same order as its packed elements). */
  putSupervoxels(instanceId: number, nodeId: number, coord: Coord, labelmapId: number, svs: BigUint64Array, fetchId: number): void {
    const bytes = new Uint8Array(svs.buffer, svs.byteOffset, svs.byteLength);
    this.#svs!.write([instanceId, nodeId, coord[2], coord[1], coord[0], labelmapId, fetchId, bytes]);
  }

  /** Elements that have their supervoxel recorded. */
  countSupervoxels(instanceId: number, nodeId: number): number {
    return this.cache.db
      .prepare(
        `SELECT ifnull(sum(e.count), 0) FROM element_blocks e JOIN element_block_svs s ON s.instance_id = e.instance_id AND s.node_id = e.node_id
         AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx WHERE e.instance_id = ? AND e.node_id = ?`,
      )
      .pluck()
      .safeIntegers(false)
      .get(instanceId, nodeId) as number;
  }

  /** The supervoxel recorded at a position, or null. */
  supervoxelAt(instanceId: number, nodeId: number, pos: Coord): bigint | null {
    const sizes = this.cache.db
      .prepare('SELECT DISTINCT block_size FROM element_blocks WHERE instance_id = ? AND node_id = ?')
      .pluck()
      .safeIntegers(false)
      .all(instanceId, nodeId) as number[];
    for (const bs of sizes) {
      const c = [floorDiv(pos[0], bs), floorDiv(pos[1], bs), floorDiv(pos[2], bs)];
      const r = this.cache.db
        .prepare(
          `SELECT e.data AS data, s.svs AS svs FROM element_blocks e JOIN element_block_svs s ON s.instance_id = e.instance_id AND s.node_id = e.node_id
           AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx WHERE e.instance_id = ? AND e.node_id = ? AND e.bz = ? AND e.by = ? AND e.bx = ?`,
        )
        .get(instanceId, nodeId, c[2], c[1], c[0]) as { data: Buffer; svs: Buffer } | undefined;
      if (!r) continue;
      const p = packedPositions(r.data);
      for (let i = 0; i < p.length / 3; i++) {
        if (p[3 * i] === pos[0] && p[3 * i + 1] === pos[1] && p[3 * i + 2] === pos[2]) return r.svs.readBigUInt64LE(8 * i);
      }
    }
    return null;
  }
}

function toBlock(r: RawBlock): StoredBlock {
  return { coord: [r.bx, r.by, r.bz], blockSize: r.block_size, complete: r.complete === 1, elements: unpackElements(r.data, r.props, r.tags) };
}

/** Reads a stored supervoxel list (`element_block_svs.svs`: one uint64 LE per element, the ids themselves). */
export function unpackSvs(b: Uint8Array): BigUint64Array {
  const out = new BigUint64Array(b.length / 8);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = v.getBigUint64(8 * i, true);
  return out;
}

