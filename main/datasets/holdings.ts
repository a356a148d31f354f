/**
 * What one cache holds of one node, per instance: stored items (blocks, elements, keys, ROI blocks,
 * labelsz rows), bytes downloaded for it, when it was last fetched and at which repo MutationID.
 * Read-only. Each count is a primary-key range (instance_id, node_id, …) of its table; the fetch
 * facts are one grouped pass over the node's `fetches` rows (one per request: thousands, not millions).
 */
import { Cache } from '../cache/index';
import { u64FromDb } from '../cache/u64';

export interface NodeHolding {
  name: string;
  type: string;
  dataUuid: string | null;
  /** Stored units: blocks, synapse/annotation elements, keys, ROI blocks or labelsz rows. */
  items: number;
  /** Bytes downloaded for it by this node's sync jobs. */
  bytes: number;
  /** ms since the epoch of the newest fetch, null when never fetched. */
  syncedAt: number | null;
  /** The newest repo MutationID seen while fetching it. */
  mutationId: bigint | null;
  /** The node's lock state as the cache last saw it. */
  nodeLockedWhenFetched: boolean;
}

export interface Holdings {
  nodeLocked: boolean;
  instances: Map<string, NodeHolding>;
}

const ITEM_QUERIES = [
  'SELECT count(hash) FROM blocks WHERE instance_id = @i AND node_id = @n',
  'SELECT coalesce(sum(count), 0) FROM element_blocks WHERE instance_id = @i AND node_id = @n',
  'SELECT count(*) FROM kv_entries WHERE instance_id = @i AND node_id = @n',
  'SELECT coalesce(sum(block_count), 0) FROM roi_spans WHERE instance_id = @i AND node_id = @n',
  'SELECT count(*) FROM labelsz_counts WHERE instance_id = @i AND node_id = @n',
];

/** Runs `fn` on the cache of `dir` opened read-only and closes it; null when there is no readable cache. */
export function withReadonlyCache<T>(dir: string, fn: (cache: Cache) => T | null): T | null {
  let cache: Cache;
  try {
    cache = Cache.open(dir, { readonly: true });
  } catch {
    return null;
  }
  try {
    return fn(cache);
  } finally {
    cache.close();
  }
}

/** null when the folder holds no readable cache or the node is not in it. */
export function readHoldings(dir: string, uuid: string): Holdings | null {
  return withReadonlyCache(dir, (cache) => {
    const node = cache.repo.node(uuid);
    if (!node) return null;
    const db = cache.db.db;
    const counters = ITEM_QUERIES.map((sql) => db.prepare(sql).pluck().safeIntegers(false));
    const fetched = new Map<number, { at: number; mutation: bigint | null }>();
    const rows = db
      .prepare('SELECT instance_id AS i, max(fetched_at) AS at, max(mutation_id) AS m FROM fetches WHERE node_id = ? AND instance_id IS NOT NULL GROUP BY instance_id')
      .safeIntegers(true)
      .all(node.id) as Array<{ i: bigint; at: bigint; m: bigint | null }>;
    for (const r of rows) fetched.set(Number(r.i), { at: Number(r.at), mutation: r.m === null ? null : u64FromDb(r.m) });
    const bytesOf = new Map<number, number>(
      (
        db
          .prepare('SELECT s.instance_id AS i, sum(s.bytes) AS b FROM sync_items s JOIN sync_jobs j ON j.id = s.job_id WHERE j.node_id = ? GROUP BY s.instance_id')
          .safeIntegers(false)
          .all(node.id) as Array<{ i: number; b: number }>
      ).map((r) => [r.i, r.b]),
    );
    const instances = new Map<string, NodeHolding>();
    for (const inst of cache.repo.instances()) {
      const args = { i: inst.id, n: node.id };
      const items = counters.reduce((sum, q) => sum + (q.get(args) as number), 0);
      const f = fetched.get(inst.id);
      instances.set(inst.name, {
        name: inst.name,
        type: inst.type,
        dataUuid: inst.dataUuid,
        items,
        bytes: bytesOf.get(inst.id) ?? 0,
        syncedAt: f?.at ?? null,
        mutationId: f?.mutation ?? null,
        nodeLockedWhenFetched: node.locked,
      });
    }
    return { nodeLocked: node.locked, instances };
  });
}
