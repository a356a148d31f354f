/**
 * What a cache holds, per instance and node, and how fresh it is: the facts behind
 * `dvid-desk status` and the UI's cache panel. Read-only; cost is one grouped scan per table
 * (seconds for a hemibrain-scale synapse table).
 */
import { cacheFreshness, type Freshness, type FreshnessOptions } from './freshness';
import { Cache } from './index';

export type { Freshness, FreshnessOptions } from './freshness';

export interface NodeHoldings {
  uuid: string;
  locked: boolean;
  branch: string;
  /** Counts by kind: blocks, emptyBlocks, mappedSupervoxels, elements, elementSupervoxels, keys,
   *  keyBytes, bodyAnnotations, roiBlocks, labelszRows. Only non-zero ones are present. */
  counts: Record<string, number>;
  /** ms since the epoch of the newest fetch stored for this instance/node. */
  lastFetchedAt: number | null;
  /** Staleness (freshness.ts); null when nothing says (no data, no mark). */
  freshness: Freshness | null;
}

export interface InstanceStatus {
  name: string;
  type: string;
  nodes: NodeHoldings[];
}

export interface JobSummary {
  id: number;
  node: string;
  state: string;
  itemsDone: number;
  itemsFailed: number;
  items: number;
  updatedAt: number;
}

export interface CacheStatus {
  dir: string;
  server: string | null;
  repo: { rootUuid: string; alias: string | null; mutationId: string | null; fetchedAt: number } | null;
  schemaVersion: number;
  uncleanShutdown: boolean;
  instances: InstanceStatus[];
  jobs: JobSummary[];
}

const COUNT_QUERIES: ReadonlyArray<[string, string]> = [
  ['blocks', 'SELECT instance_id, node_id, count(hash) AS n FROM blocks GROUP BY instance_id, node_id'],
  ['emptyBlocks', 'SELECT instance_id, node_id, count(*) - count(hash) AS n FROM blocks GROUP BY instance_id, node_id'],
  ['mappedSupervoxels', 'SELECT instance_id, node_id, count(*) AS n FROM sv_map GROUP BY instance_id, node_id'],
  ['elements', 'SELECT instance_id, node_id, sum(count) AS n FROM element_blocks GROUP BY instance_id, node_id'],
  [
    'elementSupervoxels',
    `SELECT e.instance_id, e.node_id, sum(e.count) AS n FROM element_blocks e JOIN element_block_svs s ON s.instance_id = e.instance_id
     AND s.node_id = e.node_id AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx GROUP BY e.instance_id, e.node_id`,
  ],
  ['keys', 'SELECT instance_id, node_id, count(*) AS n FROM kv_entries GROUP BY instance_id, node_id'],
  ['keyBytes', 'SELECT instance_id, node_id, sum(size) AS n FROM kv_entries GROUP BY instance_id, node_id'],
  ['bodyAnnotations', 'SELECT instance_id, node_id, count(*) AS n FROM body_annotations GROUP BY instance_id, node_id'],
  ['roiBlocks', 'SELECT instance_id, node_id, sum(block_count) AS n FROM roi_spans GROUP BY instance_id, node_id'],
  ['labelszRows', 'SELECT instance_id, node_id, count(*) AS n FROM labelsz_counts GROUP BY instance_id, node_id'],
];

export function cacheStatus(dir: string, opts: FreshnessOptions = {}): CacheStatus {
  const cache = Cache.open(dir, { readonly: true });
  try {
    const db = cache.db.db;
    const nodes = new Map(cache.repo.nodes().map((n) => [n.id, n]));
    const instances = cache.repo.instances();
    const holdings = new Map<string, NodeHoldings>();
    const holding = (instanceId: number, nodeId: number): NodeHoldings => {
      const k = `${instanceId}/${nodeId}`;
      let h = holdings.get(k);
      if (!h) {
        const node = nodes.get(nodeId);
        h = { uuid: node?.uuid ?? `#${nodeId}`, locked: node?.locked ?? false, branch: node?.branch ?? '', counts: {}, lastFetchedAt: null, freshness: null };
        holdings.set(k, h);
      }
      return h;
    };
    for (const [name, sql] of COUNT_QUERIES) {
      for (const r of db.prepare(sql).safeIntegers(false).all() as Array<{ instance_id: number; node_id: number; n: number | null }>) {
        if (r.n) holding(r.instance_id, r.node_id).counts[name] = r.n;
      }
    }
    const last = db
      .prepare('SELECT instance_id, node_id, max(fetched_at) AS at FROM fetches WHERE instance_id IS NOT NULL GROUP BY instance_id, node_id')
      .safeIntegers(false)
      .all() as Array<{ instance_id: number; node_id: number; at: number }>;
    for (const r of last) {
      const k = `${r.instance_id}/${r.node_id}`;
      const h = holdings.get(k);
      if (h) h.lastFetchedAt = r.at;
    }
    const instName = new Map(instances.map((i) => [i.id, i.name]));
    const instId = new Map(instances.map((i) => [i.name, i.id]));
    const nodeId = new Map([...nodes.values()].map((n) => [n.uuid, n.id]));
    const held = [...holdings.entries()].map(([k, h]) => ({ instance: instName.get(Number(k.split('/')[0])) ?? '', node: h.uuid }));
    for (const f of cacheFreshness(cache, opts, held)) {
      const i = instId.get(f.instance);
      const n = nodeId.get(f.node);
      if (i !== undefined && n !== undefined) holding(i, n).freshness = f;
    }
    const repo = cache.repo.repo();
    const jobs = cache.jobs.jobs().slice(-10);
    return {
      dir,
      server: cache.info('server_url'),
      repo: repo ? { rootUuid: repo.rootUuid, alias: repo.alias, mutationId: repo.mutationId?.toString() ?? null, fetchedAt: repo.fetchedAt } : null,
      schemaVersion: cache.report.schemaVersion,
      uncleanShutdown: cache.report.uncleanShutdown,
      instances: instances.map((i) => ({
        name: i.name,
        type: i.type,
        nodes: [...holdings.entries()].filter(([k]) => k.startsWith(`${i.id}/`)).map(([, h]) => h),
      })),
      jobs: jobs.map((j) => {
        const items = cache.jobs.items(j.id);
        return {
          id: j.id,
          node: nodes.get(j.nodeId)?.uuid ?? `#${j.nodeId}`,
          state: j.state,
          items: items.length,
          itemsDone: items.filter((i) => i.state === 'done').length,
          itemsFailed: items.filter((i) => i.state === 'failed').length,
          updatedAt: j.updatedAt,
        };
      }),
    };
  } finally {
    cache.close();
  }
}
