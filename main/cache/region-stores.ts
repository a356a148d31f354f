/**
 * The smaller per-instance tables: ROI spans, labelsz rankings, the supervoxel→body mapping, and the
 * per-node instance info (/info, with that node's extents).
 */
import type { CacheDb } from './open';
import { RowWriter } from './row-writer';
import { TABLES } from './tables';
import { u64FromDb, u64ToDb } from './u64';

/** ROI span [z, y, x0, x1], block coordinates, x1 inclusive (DVID-API §8). */
export type Span = readonly [number, number, number, number];

/** `roi_spans.spans` layout: n × 4 int32 LE (z, y, x0, x1), in the server's order (sorted z, y, x0). */
export function packSpans(spans: readonly Span[]): Buffer {
  const b = Buffer.allocUnsafe(spans.length * 16);
  spans.forEach((s, i) => {
    b.writeInt32LE(s[0], i * 16);
    b.writeInt32LE(s[1], i * 16 + 4);
    b.writeInt32LE(s[2], i * 16 + 8);
    b.writeInt32LE(s[3], i * 16 + 12);
  });
  return b;
}

export function unpackSpans(b: Uint8Array): Array<[number, number, number, number]> {
  if (b.length % 16 !== 0) throw new Error(`ROI span blob of ${b.length} bytes is not a multiple of 16`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Array<[number, number, number, number]> = [];
  for (let o = 0; o < b.length; o += 16) out.push([v.getInt32(o, true), v.getInt32(o + 4, true), v.getInt32(o + 8, true), v.getInt32(o + 12, true)]);
  return out;
}

export class RoiStore {
  readonly #writer: RowWriter | null;
  constructor(readonly cache: CacheDb) {
    this.#writer = cache.readonly ? null : new RowWriter(cache.db, TABLES.roi_spans, 'replace');
  }

  put(instanceId: number, nodeId: number, blockSize: number, spans: readonly Span[], fetchId: number): void {
    let blocks = 0;
    for (const s of spans) blocks += s[3] - s[2] + 1;
    this.#writer!.write([instanceId, nodeId, blockSize, spans.length, blocks, fetchId, packSpans(spans)]);
  }

  get(instanceId: number, nodeId: number): { blockSize: number; spans: Array<[number, number, number, number]>; blockCount: number } | null {
    const r = this.cache.db
      .prepare('SELECT block_size, spans, block_count FROM roi_spans WHERE instance_id = ? AND node_id = ?')
      .safeIntegers(false)
      .get(instanceId, nodeId) as { block_size: number; spans: Buffer; block_count: number } | undefined;
    return r ? { blockSize: r.block_size, spans: unpackSpans(r.spans), blockCount: r.block_count } : null;
  }
}

export interface LabelCountInput {
  label: bigint;
  count: number;
}

export class LabelszStore {
  readonly #writer: RowWriter | null;
  constructor(readonly cache: CacheDb) {
    this.#writer = cache.readonly ? null : new RowWriter(cache.db, TABLES.labelsz_counts, 'replace');
  }

  /** Replaces the ranking of one index (rows in rank order, largest first); call in a transaction. */
  replaceIndex(instanceId: number, nodeId: number, idx: string, rows: readonly LabelCountInput[], fetchId: number): void {
    this.cache.db.prepare('DELETE FROM labelsz_counts WHERE instance_id = ? AND node_id = ? AND idx = ?').run(instanceId, nodeId, idx);
    this.appendIndex(instanceId, nodeId, idx, rows, 0, fetchId);
  }

  /** Adds a page of the ranking starting at `firstRank` (threshold pages); call in a transaction. */
  appendIndex(instanceId: number, nodeId: number, idx: string, rows: readonly LabelCountInput[], firstRank: number, fetchId: number): void {
    rows.forEach((r, i) => this.#writer!.write([instanceId, nodeId, idx, r.label, r.count, firstRank + i, fetchId]));
  }

  deleteIndex(instanceId: number, nodeId: number, idx: string): void {
    this.cache.db.prepare('DELETE FROM labelsz_counts WHERE instance_id = ? AND node_id = ? AND idx = ?').run(instanceId, nodeId, idx);
  }

  top(instanceId: number, nodeId: number, idx: string, n: number): Array<{ label: bigint; count: number; rank: number }> {
    const rows = this.cache.db
      .prepare('SELECT label, count, rank FROM labelsz_counts WHERE instance_id = ? AND node_id = ? AND idx = ? ORDER BY rank LIMIT ?')
      .safeIntegers(true)
      .all(instanceId, nodeId, idx, n) as Array<{ label: bigint; count: bigint; rank: bigint }>;
    return rows.map((r) => ({ label: u64FromDb(r.label), count: Number(r.count), rank: Number(r.rank) }));
  }

  indexes(instanceId: number, nodeId: number): string[] {
    return this.cache.db.prepare('SELECT DISTINCT idx FROM labelsz_counts WHERE instance_id = ? AND node_id = ? ORDER BY idx').pluck().all(instanceId, nodeId) as string[];
  }
}

export class SvMapStore {
  readonly #writer: RowWriter | null;
  constructor(readonly cache: CacheDb) {
    this.#writer = cache.readonly ? null : new RowWriter(cache.db, TABLES.sv_map, 'replace');
  }

  /** body 0 = the supervoxel does not exist at this node (split away or never existed). */
  put(instanceId: number, nodeId: number, sv: bigint, body: bigint, fetchId: number): void {
    this.#writer!.write([instanceId, nodeId, sv, body, fetchId]);
  }

  bodyOf(instanceId: number, nodeId: number, sv: bigint): bigint | null {
    const v = this.cache.db
      .prepare('SELECT body FROM sv_map WHERE instance_id = ? AND node_id = ? AND sv = ?')
      .pluck()
      .safeIntegers(true)
      .get(instanceId, nodeId, u64ToDb(sv)) as bigint | undefined;
    return v === undefined ? null : u64FromDb(v);
  }

  supervoxelsOf(instanceId: number, nodeId: number, body: bigint): bigint[] {
    return (
      this.cache.db
        .prepare('SELECT sv FROM sv_map WHERE instance_id = ? AND node_id = ? AND body = ? ORDER BY sv')
        .pluck()
        .safeIntegers(true)
        .all(instanceId, nodeId, u64ToDb(body)) as bigint[]
    ).map(u64FromDb);
  }

  /** The distinct bodies the mapping rows name (0, "no longer exists", left out), ascending. */
  bodies(instanceId: number, nodeId: number): bigint[] {
    return (
      this.cache.db
        .prepare('SELECT DISTINCT body FROM sv_map WHERE instance_id = ? AND node_id = ? ORDER BY body')
        .pluck()
        .safeIntegers(true)
        .all(instanceId, nodeId) as bigint[]
    )
      .map(u64FromDb)
      .filter((b) => b !== 0n);
  }

  /** Which of `svs` already have a mapping row (written by job `jobId` when given). */
  present(instanceId: number, nodeId: number, svs: Iterable<bigint>, jobId: number | null = null): Set<bigint> {
    const stmt = this.cache.stmt(
      jobId === null
        ? 'SELECT 1 FROM sv_map WHERE instance_id = ? AND node_id = ? AND sv = ?'
        : 'SELECT 1 FROM sv_map m JOIN fetches f ON f.id = m.fetch_id WHERE m.instance_id = ? AND m.node_id = ? AND m.sv = ? AND f.job_id = ?',
    );
    const out = new Set<bigint>();
    // A first sync holds none yet: one query answers for every supervoxel (with a job: no request of
    // that job for this instance yet, so no row of it either).
    const any = jobId === null
      ? this.cache.stmt('SELECT 1 FROM sv_map WHERE instance_id = ? AND node_id = ? LIMIT 1').get(instanceId, nodeId)
      : this.cache.stmt('SELECT 1 FROM fetches WHERE job_id = ? AND instance_id = ? AND node_id = ? LIMIT 1').get(jobId, instanceId, nodeId);
    if (!any) return out;
    for (const sv of svs) if (jobId === null ? stmt.get(instanceId, nodeId, u64ToDb(sv)) : stmt.get(instanceId, nodeId, u64ToDb(sv), jobId)) out.add(sv);
    return out;
  }

  count(instanceId: number, nodeId: number): number {
    return this.cache.db.prepare('SELECT count(*) FROM sv_map WHERE instance_id = ? AND node_id = ?').pluck().safeIntegers(false).get(instanceId, nodeId) as number;
  }
}

export class InstanceInfoStore {
  readonly #writer: RowWriter | null;
  constructor(readonly cache: CacheDb) {
    this.#writer = cache.readonly ? null : new RowWriter(cache.db, TABLES.instance_infos, 'replace');
  }

  /** `info` is the /info response text, verbatim. */
  put(instanceId: number, nodeId: number, info: string, fetchId: number): void {
    this.#writer!.write([instanceId, nodeId, info, fetchId]);
  }

  get(instanceId: number, nodeId: number): string | null {
    return (this.cache.db.prepare('SELECT info FROM instance_infos WHERE instance_id = ? AND node_id = ?').pluck().get(instanceId, nodeId) as string | undefined) ?? null;
  }
}
