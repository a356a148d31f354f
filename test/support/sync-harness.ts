/**
 * Sync tests against the demo server: start it (small preset), run a sync into a temporary cache root
 * with test-friendly timeouts and retries, and dump a cache's content in a canonical form to compare
 * two caches (a resumed sync against a clean one).
 */
import { Cache } from '../../main/cache/index';
import type { DemoServer, FaultRule, LogEntry } from '../../main/demo/index';
import { cacheDirFor } from '../../main/paths';
import type { SyncProgress } from '../../preload/api';
import type { SyncOutcome } from '../../main/sync/runner';
import type { InstanceScope } from '../../main/sync/scope';
import type { Plan } from '../../main/sync/plan';
import type { SpotCheckResult } from '../../main/sync/spot-check';
import { SyncSession, type SessionOptions } from '../../main/sync/session';
import { tempDir } from './cache-fixture';
import { startSmallDemo } from './demo';

export async function startDemo(faults: readonly FaultRule[] = [], opts: { jsonstore?: boolean } = {}): Promise<DemoServer> {
  return startSmallDemo({ faults, ...opts });
}

/** Client settings for tests: short timeouts, quick retries (the runner retries items on top). */
export const FAST_CLIENT: SessionOptions['clientOptions'] = {
  timeouts: { connectMs: 2_000, headersMs: 10_000, bodyIdleMs: 1_500 },
  retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 2_000 },
};

export interface SyncRun {
  session: SyncSession;
  outcome: SyncOutcome | null;
  progress: SyncProgress[];
  /** The plan that ran (null when a job was resumed or a locked node was only spot-checked). */
  plan: Plan | null;
  /** A locked node synced before: the spot check's result instead of a job. */
  checked: SpotCheckResult | null;
}

export async function runSync(
  demo: DemoServer,
  cacheRoot: string,
  node: string,
  scopes: InstanceScope[] | null,
  extra: Partial<SessionOptions> = {},
): Promise<SyncRun> {
  const session = new SyncSession({ serverUrl: demo.url, cacheRoot, node, scopes, clientOptions: FAST_CLIENT, poolSize: 1, runner: { retryDelayMs: 20 }, ...extra });
  const progress: SyncProgress[] = [];
  try {
    const prepared = await session.prepare();
    if (prepared.kind === 'refused') throw new Error(prepared.message);
    if (prepared.kind === 'checked') return { session, outcome: null, progress, plan: null, checked: prepared.result };
    if (prepared.kind === 'up-to-date') return { session, outcome: null, progress, plan: prepared.plan, checked: null };
    const outcome = await session.run((p) => progress.push(p));
    return { session, outcome, progress, plan: prepared.kind === 'new' ? prepared.plan : null, checked: null };
  } finally {
    await session.close();
  }
}

export function tempRoot(cleanups: Array<() => void>): string {
  const t = tempDir('dvid-desk-sync-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString('hex') : String(b));

/**
 * The content of a cache as comparable text: every data table, keyed by names and UUIDs instead of
 * local ids, without fetch ids, checksums, job rows and times (which differ between two syncs of the
 * same data).
 */
export function dumpContent(cache: Cache): Record<string, string[]> {
  const db = cache.db.db;
  const inst = new Map(cache.repo.instances().map((i) => [i.id, i.name]));
  const node = new Map(cache.repo.nodes().map((n) => [n.id, n.uuid]));
  const rows = (sql: string, map: (r: Record<string, unknown>) => string) =>
    (db.prepare(sql).safeIntegers(true).all() as Array<Record<string, unknown>>).map(map).toSorted();
  const id = (r: Record<string, unknown>, k = 'instance_id') => inst.get(Number(r[k])) ?? `#${String(r[k])}`;
  const nd = (r: Record<string, unknown>) => node.get(Number(r.node_id)) ?? `#${String(r.node_id)}`;
  return {
    blocks: rows('SELECT * FROM blocks', (r) => `${id(r)} ${nd(r)} s${r.scale} sv${r.supervoxels} ${r.bx},${r.by},${r.bz} ${hex(r.hash)}`),
    block_content: rows('SELECT hash, gx, gy, gz, labels, label_count FROM block_content', (r) => `${hex(r.hash)} ${r.gx}${r.gy}${r.gz} ${hex(r.labels)} ${r.label_count}`),
    sv_map: rows('SELECT * FROM sv_map', (r) => `${id(r)} ${nd(r)} ${r.sv} ${r.body}`),
    element_blocks: rows(
      'SELECT * FROM element_blocks',
      (r) => `${id(r)} ${nd(r)} ${r.bx},${r.by},${r.bz} ${r.block_size} ${r.complete} ${r.count} ${hex(r.data)} ${r.props} ${r.tags}`,
    ),
    element_block_svs: rows('SELECT * FROM element_block_svs', (r) => `${id(r)} ${nd(r)} ${r.bx},${r.by},${r.bz} ${id(r, 'labelmap_id')} ${hex(r.svs)}`),
    kv_entries: rows('SELECT * FROM kv_entries', (r) => `${id(r)} ${nd(r)} ${r.key} ${r.body} ${r.size} ${hex(r.hash)} ${r.format} ${r.mutation_id}`),
    body_annotations: rows('SELECT * FROM body_annotations', (r) =>
      Object.entries(r)
        .filter(([k]) => k !== 'fetch_id' && k !== 'checksum')
        .map(([k, v]) => (k === 'instance_id' ? id(r) : k === 'node_id' ? nd(r) : String(v)))
        .join(' '),
    ),
    roi_spans: rows('SELECT * FROM roi_spans', (r) => `${id(r)} ${nd(r)} ${r.block_size} ${hex(r.spans)}`),
    labelsz_counts: rows('SELECT * FROM labelsz_counts', (r) => `${id(r)} ${nd(r)} ${r.idx} ${r.label} ${r.count} ${r.rank}`),
  };
}

/** The demo repo's cache under `root`, read-only. */
export function openCache(demo: DemoServer, root: string): Cache {
  return Cache.open(cacheDirFor(root, { url: demo.url }, demo.repoRoot), { readonly: true });
}

/** A cache's rows of one node, as comparable text (no local ids, fetch ids, checksums or times), and its block bytes. */
export function nodeContent(demo: DemoServer, root: string, uuid: string): Record<string, string[]> {
  const cache = openCache(demo, root);
  try {
    const all = dumpContent(cache);
    const out: Record<string, string[]> = {};
    for (const [table, rows] of Object.entries(all)) {
      if (table === 'block_content') continue;
      out[table] = rows.filter((r) => r.split(' ')[1] === uuid);
    }
    // Block bytes of the node's blocks, byte for byte.
    const db = cache.db.db;
    const nodeId = cache.repo.node(uuid)!.id;
    out.block_bytes = (
      db.prepare('SELECT b.bx, b.by, b.bz, b.scale, b.supervoxels, c.data FROM blocks b JOIN block_content c ON c.hash = b.hash WHERE b.node_id = ?').all(nodeId) as Array<{
        bx: number;
        by: number;
        bz: number;
        scale: number;
        supervoxels: number;
        data: Buffer;
      }>
    )
      .map((r) => `${r.scale}/${r.supervoxels} ${r.bx},${r.by},${r.bz} ${r.data.toString('base64')}`)
      .toSorted();
    return out;
  } finally {
    cache.close();
  }
}

/** Annotation blocks (64³) asked for by /blocks requests of an instance. */
export function annotationBlocksAsked(entries: readonly LogEntry[], instance: string): Set<string> {
  const asked = new Set<string>();
  for (const e of entries) {
    const m = new RegExp(`/${instance}/blocks/(\\d+)_(\\d+)_(\\d+)/(-?\\d+)_(-?\\d+)_(-?\\d+)$`).exec(e.path);
    if (!m) continue;
    const [sx, sy, sz, ox, oy, oz] = m.slice(1).map(Number) as [number, number, number, number, number, number];
    for (let z = oz / 64; z < (oz + sz) / 64; z++) for (let y = oy / 64; y < (oy + sy) / 64; y++) for (let x = ox / 64; x < (ox + sx) / 64; x++) asked.add(`${x},${y},${z}`);
  }
  return asked;
}
