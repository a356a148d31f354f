/**
 * Annotation elements (synapses, bookmarks, to-dos: one table for every annotation instance) and the
 * supervoxel under each of them.
 *
 * Row layout of `elements` (key: instance, node, z, y, x — z first, so a z-slab is one range scan):
 * - kind: 0 PreSyn, 1 PostSyn, 2 Gap, 3 Note, 4 Unknown.
 * - tags: JSON array of strings, NULL when empty. prop: JSON object of strings, NULL when empty.
 * - rels: NULL when none, else n × 13 bytes: uint8 relationship (0 PreSynTo, 1 PostSynTo,
 *   2 ConvergentTo, 3 GroupedWith, 4 UnknownRelationship), then int32 LE x, y, z of the partner.
 *   Kept in the element's row (not a side table) so ingest is one insert per element; the derived
 *   tables of issue 7 expand T-bar→PSD pairs from it.
 * `element_svs` holds the supervoxel at each element's position in the annotation's synced labelmap,
 * filled after the elements (from /labels in batches or from cached blocks).
 */
import type { CacheDb } from './open';
import { RowHasher } from './checksum';
import { RowWriter } from './row-writer';
import { TABLES } from './tables';
import { u64FromDb, u64ToDb } from './u64';

export type ElementKindName = 'PreSyn' | 'PostSyn' | 'Gap' | 'Note' | 'Unknown';
export type RelKindName = 'PreSynTo' | 'PostSynTo' | 'ConvergentTo' | 'GroupedWith' | 'UnknownRelationship';

export const ELEMENT_KINDS: readonly ElementKindName[] = ['PreSyn', 'PostSyn', 'Gap', 'Note', 'Unknown'];
export const REL_KINDS: readonly RelKindName[] = ['PreSynTo', 'PostSynTo', 'ConvergentTo', 'GroupedWith', 'UnknownRelationship'];
const KIND_CODE = new Map<string, number>(ELEMENT_KINDS.map((k, i) => [k, i]));
const REL_CODE = new Map<string, number>(REL_KINDS.map((k, i) => [k, i]));

/** Structurally the AnnotationElement of main/formats/annotation.ts. */
export interface ElementInput {
  pos: readonly [number, number, number];
  kind: string;
  tags: readonly string[];
  prop: Readonly<Record<string, string>>;
  rels: ReadonlyArray<{ rel: string; to: readonly [number, number, number] }>;
}

export interface ElementRow {
  pos: [number, number, number];
  kind: ElementKindName;
  tags: string[];
  prop: Record<string, string>;
  rels: Array<{ rel: RelKindName; to: [number, number, number] }>;
}

/** [x0, y0, z0, x1, y1, z1): scale-0 voxels, half-open. */
export type VoxelBox = readonly [number, number, number, number, number, number];

const REL_BYTES = 13;

export function packRels(rels: ElementInput['rels']): Buffer | null {
  if (rels.length === 0) return null;
  const out = Buffer.allocUnsafe(rels.length * REL_BYTES);
  let o = 0;
  for (const r of rels) {
    const code = REL_CODE.get(r.rel);
    if (code === undefined) throw new TypeError(`unknown relationship "${r.rel}"`);
    out[o] = code;
    out.writeInt32LE(r.to[0], o + 1);
    out.writeInt32LE(r.to[1], o + 5);
    out.writeInt32LE(r.to[2], o + 9);
    o += REL_BYTES;
  }
  return out;
}

export function unpackRels(buf: Uint8Array | null): ElementRow['rels'] {
  if (!buf || buf.length === 0) return [];
  if (buf.length % REL_BYTES !== 0) throw new Error(`relationship blob of ${buf.length} bytes is not a multiple of ${REL_BYTES}`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const out: ElementRow['rels'] = [];
  for (let o = 0; o < b.length; o += REL_BYTES) {
    const rel = REL_KINDS[b[o]!];
    if (!rel) throw new Error(`unknown relationship code ${b[o]}`);
    out.push({ rel, to: [b.readInt32LE(o + 1), b.readInt32LE(o + 5), b.readInt32LE(o + 9)] });
  }
  return out;
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

export class ElementStore {
  readonly #insert;
  readonly #hasher = new RowHasher();
  readonly #row: unknown[] = Array.from<unknown>({ length: 11 });
  readonly #sv: RowWriter | null;

  constructor(readonly cache: CacheDb) {
    // The hot path of synapse ingest: a hand-rolled insert (same column order and checksum as
    // RowWriter, which a test cross-checks) to avoid per-row array and u64 work.
    this.#insert = cache.readonly
      ? null
      : cache.db.prepare(
          'INSERT OR REPLACE INTO elements (instance_id, node_id, z, y, x, kind, tags, prop, rels, fetch_id, checksum) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
        );
    this.#sv = cache.readonly ? null : new RowWriter(cache.db, TABLES.element_svs, 'replace');
  }

  /** Stores one element (replacing the one at the same position); call inside a write transaction. */
  put(instanceId: number, nodeId: number, el: ElementInput, fetchId: number): void {
    const [x, y, z] = el.pos;
    if (!isInt32(x) || !isInt32(y) || !isInt32(z)) throw new RangeError(`element position ${JSON.stringify(el.pos)} is not three int32`);
    const kind = KIND_CODE.get(el.kind);
    if (kind === undefined) throw new TypeError(`unknown element kind "${el.kind}"`);
    const tags = el.tags.length ? JSON.stringify(el.tags) : null;
    let prop: string | null = null;
    for (const _ in el.prop) {
      prop = JSON.stringify(el.prop);
      break;
    }
    const rels = packRels(el.rels);
    const h = this.#hasher.reset();
    h.int(instanceId).int(nodeId).int(z).int(y).int(x).int(kind).text(tags).text(prop).blob(rels).int(fetchId);
    const row = this.#row;
    row[0] = instanceId;
    row[1] = nodeId;
    row[2] = z;
    row[3] = y;
    row[4] = x;
    row[5] = kind;
    row[6] = tags;
    row[7] = prop;
    row[8] = rels;
    row[9] = fetchId;
    row[10] = h.digest();
    this.#insert!.run(row);
  }

  /**
   * Deletes the elements inside `box` that were not written by one of `keepFetchIds`: what a fresh
   * full read of that box no longer contains. Call inside the transaction that completes the box.
   */
  deleteStaleInBox(instanceId: number, nodeId: number, box: VoxelBox, keepFetchIds: readonly number[]): number {
    const keep = keepFetchIds.length ? `AND fetch_id NOT IN (${keepFetchIds.map(() => '?').join(',')})` : '';
    const inBox = 'instance_id = ? AND node_id = ? AND z >= ? AND z < ? AND y >= ? AND y < ? AND x >= ? AND x < ?';
    const args = [instanceId, nodeId, box[2], box[5], box[1], box[4], box[0], box[3]];
    const n = this.cache.db.prepare(`DELETE FROM elements WHERE ${inBox} ${keep}`).run(...args, ...keepFetchIds).changes;
    if (n > 0) {
      // The supervoxels recorded for elements that are gone.
      this.cache.db
        .prepare(
          `DELETE FROM element_svs WHERE ${inBox} AND NOT EXISTS (SELECT 1 FROM elements e WHERE e.instance_id = element_svs.instance_id
             AND e.node_id = element_svs.node_id AND e.z = element_svs.z AND e.y = element_svs.y AND e.x = element_svs.x)`,
        )
        .run(...args);
    }
    return n;
  }

  putSupervoxel(instanceId: number, nodeId: number, pos: readonly [number, number, number], labelmapId: number, sv: bigint, fetchId: number): void {
    this.#sv!.write([instanceId, nodeId, pos[2], pos[1], pos[0], labelmapId, sv, fetchId]);
  }

  /**
   * Positions [x, y, z] of elements with no supervoxel recorded (by job `jobId` when given: an open
   * node's older answers may be stale), in key order starting after `after`, at most `limit`.
   */
  withoutSupervoxel(instanceId: number, nodeId: number, limit: number, jobId: number | null = null, after: readonly [number, number, number] | null = null): Array<[number, number, number]> {
    const byJob = jobId === null ? '' : 'AND s.fetch_id IN (SELECT id FROM fetches WHERE job_id = ?)';
    const from = after ? 'AND (e.z, e.y, e.x) > (?, ?, ?)' : '';
    const args: number[] = [instanceId, nodeId];
    if (after) args.push(after[2], after[1], after[0]);
    if (jobId !== null) args.push(jobId);
    args.push(limit);
    return this.cache.db
      .prepare(
        `SELECT e.x, e.y, e.z FROM elements e WHERE e.instance_id = ? AND e.node_id = ? ${from} AND NOT EXISTS (
           SELECT 1 FROM element_svs s WHERE s.instance_id = e.instance_id AND s.node_id = e.node_id AND s.z = e.z AND s.y = e.y AND s.x = e.x ${byJob})
         ORDER BY e.z, e.y, e.x LIMIT ?`,
      )
      .raw(true)
      .safeIntegers(false)
      .all(...args) as Array<[number, number, number]>;
  }

  /** Positions [x, y, z] of the elements inside a half-open voxel box. */
  positionsIn(instanceId: number, nodeId: number, box: VoxelBox): Array<[number, number, number]> {
    return this.cache.db
      .prepare('SELECT x, y, z FROM elements WHERE instance_id = ? AND node_id = ? AND z >= ? AND z < ? AND y >= ? AND y < ? AND x >= ? AND x < ?')
      .raw(true)
      .safeIntegers(false)
      .all(instanceId, nodeId, box[2], box[5], box[1], box[4], box[0], box[3]) as Array<[number, number, number]>;
  }

  /** Deletes the element at `pos` and the supervoxel recorded for it. */
  deleteAt(instanceId: number, nodeId: number, pos: readonly [number, number, number]): void {
    const db = this.cache.db;
    db.prepare('DELETE FROM elements WHERE instance_id = ? AND node_id = ? AND z = ? AND y = ? AND x = ?').run(instanceId, nodeId, pos[2], pos[1], pos[0]);
    db.prepare('DELETE FROM element_svs WHERE instance_id = ? AND node_id = ? AND z = ? AND y = ? AND x = ?').run(instanceId, nodeId, pos[2], pos[1], pos[0]);
  }

  count(instanceId: number, nodeId: number): number {
    return this.cache.db
      .prepare('SELECT count(*) FROM elements WHERE instance_id = ? AND node_id = ?')
      .pluck()
      .safeIntegers(false)
      .get(instanceId, nodeId) as number;
  }

  countSupervoxels(instanceId: number, nodeId: number): number {
    return this.cache.db
      .prepare('SELECT count(*) FROM element_svs WHERE instance_id = ? AND node_id = ?')
      .pluck()
      .safeIntegers(false)
      .get(instanceId, nodeId) as number;
  }

  /** Elements inside a half-open voxel box, in z, y, x order. */
  inBox(instanceId: number, nodeId: number, box: VoxelBox): ElementRow[] {
    const rows = this.cache.db
      .prepare(
        `SELECT x, y, z, kind, tags, prop, rels FROM elements WHERE instance_id = ? AND node_id = ?
         AND z >= ? AND z < ? AND y >= ? AND y < ? AND x >= ? AND x < ? ORDER BY z, y, x`,
      )
      .safeIntegers(false)
      .all(instanceId, nodeId, box[2], box[5], box[1], box[4], box[0], box[3]) as Array<{
      x: number;
      y: number;
      z: number;
      kind: number;
      tags: string | null;
      prop: string | null;
      rels: Buffer | null;
    }>;
    return rows.map(rowToElement);
  }

  /** Every element of an instance/node, in z, y, x order (streams; does not load them all). */
  *all(instanceId: number, nodeId: number): Generator<ElementRow> {
    const stmt = this.cache.db
      .prepare('SELECT x, y, z, kind, tags, prop, rels FROM elements WHERE instance_id = ? AND node_id = ? ORDER BY z, y, x')
      .safeIntegers(false);
    for (const r of stmt.iterate(instanceId, nodeId)) yield rowToElement(r as Parameters<typeof rowToElement>[0]);
  }

  /** The supervoxel recorded at a position, or null. */
  supervoxelAt(instanceId: number, nodeId: number, pos: readonly [number, number, number]): bigint | null {
    const v = this.cache.db
      .prepare('SELECT sv FROM element_svs WHERE instance_id = ? AND node_id = ? AND z = ? AND y = ? AND x = ?')
      .pluck()
      .safeIntegers(true)
      .get(instanceId, nodeId, pos[2], pos[1], pos[0]) as bigint | undefined;
    return v === undefined ? null : u64FromDb(v);
  }

  /** Elements lying in a given supervoxel. */
  positionsInSupervoxel(instanceId: number, nodeId: number, sv: bigint): Array<[number, number, number]> {
    return this.cache.db
      .prepare('SELECT x, y, z FROM element_svs WHERE instance_id = ? AND node_id = ? AND sv = ? ORDER BY z, y, x')
      .raw(true)
      .safeIntegers(false)
      .all(instanceId, nodeId, u64ToDb(sv)) as Array<[number, number, number]>;
  }
}

function rowToElement(r: { x: number; y: number; z: number; kind: number; tags: string | null; prop: string | null; rels: Buffer | null }): ElementRow {
  return {
    pos: [r.x, r.y, r.z],
    kind: ELEMENT_KINDS[r.kind] ?? 'Unknown',
    tags: r.tags ? (JSON.parse(r.tags) as string[]) : [],
    prop: r.prop ? (JSON.parse(r.prop) as Record<string, string>) : {},
    rels: unpackRels(r.rels),
  };
}
