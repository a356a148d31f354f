/**
 * Labelmap blocks: the gunzipped DVID Block bytes (DVID-API §5), stored once per content in
 * `block_content` (key: sha256 of the bytes) and referenced per (instance, node, scale, supervoxels?,
 * block coordinate) from `blocks`. A child node that shares a block with its parent adds only a
 * `blocks` row. A `blocks` row whose hash is NULL records that the server has no block there (the
 * coordinate was asked for and not sent), so "empty" and "not synced" are different answers.
 *
 * `block_content.labels` holds the voxel count of every label in the block, in the layout written by
 * the decode worker (main/workers/tasks/label-counts.ts: n × {uint64 label, uint32 count} LE,
 * ascending labels), so per-label sizes and the supervoxels of a region are known without decoding.
 */
import type { CacheDb } from './open';
import { RowWriter } from './row-writer';
import { TABLES } from './tables';

export interface BlockKey {
  instanceId: number;
  nodeId: number;
  scale: number;
  supervoxels: boolean;
}

export interface BlockContentInput {
  hash: Uint8Array;
  data: Uint8Array;
  gx: number;
  gy: number;
  gz: number;
  labels: Uint8Array;
  labelCount: number;
}

export type BlockCoord = readonly [bx: number, by: number, bz: number];

export interface CachedBlock {
  /** null: the server has no block at this coordinate. */
  hash: Buffer | null;
  data: Buffer | null;
}

export class BlockStore {
  readonly #content: RowWriter | null;
  readonly #block: RowWriter | null;

  constructor(readonly cache: CacheDb) {
    this.#content = cache.readonly ? null : new RowWriter(cache.db, TABLES.block_content, 'ignore');
    this.#block = cache.readonly ? null : new RowWriter(cache.db, TABLES.blocks, 'replace');
  }

  /** Call inside a write transaction. Content already present (same hash) is not rewritten. */
  putContent(c: BlockContentInput): void {
    this.#content!.write([c.hash, c.gx, c.gy, c.gz, c.labels, c.labelCount, c.data]);
  }

  /** Call inside a write transaction; `hash` null records "no block on the server here". */
  putBlock(k: BlockKey, coord: BlockCoord, hash: Uint8Array | null, fetchId: number): void {
    this.#block!.write([k.instanceId, k.nodeId, k.scale, k.supervoxels ? 1 : 0, coord[2], coord[1], coord[0], hash, fetchId]);
  }

  /** undefined: not in the cache; {hash: null}: known to be empty on the server. */
  get(k: BlockKey, coord: BlockCoord): CachedBlock | undefined {
    const r = this.cache.db
      .prepare(
        `SELECT b.hash AS hash, c.data AS data FROM blocks b LEFT JOIN block_content c ON c.hash = b.hash
         WHERE b.instance_id = ? AND b.node_id = ? AND b.scale = ? AND b.supervoxels = ? AND b.bz = ? AND b.by = ? AND b.bx = ?`,
      )
      .get(k.instanceId, k.nodeId, k.scale, k.supervoxels ? 1 : 0, coord[2], coord[1], coord[0]) as { hash: Buffer | null; data: Buffer | null } | undefined;
    return r ? { hash: r.hash, data: r.data } : undefined;
  }

  /**
   * Which of `coords` already have a row (stored or known empty) — written by job `jobId` when given
   * (an open node's older rows may be stale), by anyone otherwise (a locked node never changes). A
   * resumed sync asks only for the rest. Keys are "bx,by,bz".
   */
  present(k: BlockKey, coords: readonly BlockCoord[], jobId: number | null = null): Set<string> {
    const stmt = this.cache.stmt(
      jobId === null
        ? 'SELECT 1 FROM blocks WHERE instance_id = ? AND node_id = ? AND scale = ? AND supervoxels = ? AND bz = ? AND by = ? AND bx = ?'
        : `SELECT 1 FROM blocks b JOIN fetches f ON f.id = b.fetch_id WHERE b.instance_id = ? AND b.node_id = ? AND b.scale = ? AND b.supervoxels = ?
           AND b.bz = ? AND b.by = ? AND b.bx = ? AND f.job_id = ?`,
    );
    const out = new Set<string>();
    const sv = k.supervoxels ? 1 : 0;
    for (const c of coords) {
      const hit = jobId === null ? stmt.get(k.instanceId, k.nodeId, k.scale, sv, c[2], c[1], c[0]) : stmt.get(k.instanceId, k.nodeId, k.scale, sv, c[2], c[1], c[0], jobId);
      if (hit) out.add(`${c[0]},${c[1]},${c[2]}`);
    }
    return out;
  }

  /** The stored bytes of a block content. */
  content(hash: Uint8Array): Buffer | null {
    return (this.cache.db.prepare('SELECT data FROM block_content WHERE hash = ?').pluck().get(hash) as Buffer | undefined) ?? null;
  }

  count(k: BlockKey): { stored: number; empty: number } {
    const r = this.cache.db
      .prepare(
        'SELECT count(hash) AS stored, count(*) - count(hash) AS empty FROM blocks WHERE instance_id = ? AND node_id = ? AND scale = ? AND supervoxels = ?',
      )
      .safeIntegers(false)
      .get(k.instanceId, k.nodeId, k.scale, k.supervoxels ? 1 : 0) as { stored: number; empty: number };
    return r;
  }

  /** Every stored block (coordinate and bytes) of one instance/node/scale, in z, y, x order. */
  *iterate(k: BlockKey): Generator<{ coord: BlockCoord; hash: Buffer; data: Buffer }> {
    const stmt = this.cache.db
      .prepare(
        `SELECT b.bx AS bx, b.by AS by, b.bz AS bz, b.hash AS hash, c.data AS data FROM blocks b JOIN block_content c ON c.hash = b.hash
         WHERE b.instance_id = ? AND b.node_id = ? AND b.scale = ? AND b.supervoxels = ? ORDER BY b.bz, b.by, b.bx`,
      )
      .safeIntegers(false);
    for (const r of stmt.iterate(k.instanceId, k.nodeId, k.scale, k.supervoxels ? 1 : 0) as Iterable<{
      bx: number;
      by: number;
      bz: number;
      hash: Buffer;
      data: Buffer;
    }>) {
      yield { coord: [r.bx, r.by, r.bz], hash: r.hash, data: r.data };
    }
  }

  /**
   * The packed per-label voxel counts of every distinct block content of one instance/node/scale, with
   * how many coordinates hold that content (solid blocks repeat), for per-label totals.
   */
  *labelTables(k: BlockKey): Generator<{ labels: Buffer; times: number }> {
    const stmt = this.cache.db
      .prepare(
        `SELECT c.labels AS labels, count(*) AS times FROM blocks b JOIN block_content c ON c.hash = b.hash
         WHERE b.instance_id = ? AND b.node_id = ? AND b.scale = ? AND b.supervoxels = ? GROUP BY b.hash`,
      )
      .safeIntegers(false);
    for (const r of stmt.iterate(k.instanceId, k.nodeId, k.scale, k.supervoxels ? 1 : 0) as Iterable<{ labels: Buffer; times: number }>) yield r;
  }
}
