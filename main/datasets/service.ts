/**
 * What the Connect & Sync view asks about the active server: its repos with their version DAGs, the
 * instances of a node, which node is active, and what the caches hold and how fresh it is.
 *
 * Online, the DAG and the instances come from the server (repos/info, repo/{uuid}/info) and are
 * joined with what the cache holds; offline (or when the server does not answer quickly), they come
 * from the caches of this server alone (the `nodes` / `instances` rows a sync stored), marked
 * `source: 'cache'`. Nothing here writes to a cache.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ActiveNode, CacheInfo, CacheSummary, InstanceSummary, NodeSummary, RepoSummary, ServerRef } from '../../preload/api';
import { findCaches } from '../cache/index';
import type { DvidClient } from '../dvid/client';
import type { RepoInfo } from '../dvid/repo';
import { cacheDirFor } from '../paths';
import { readHoldings, withReadonlyCache, type NodeHolding } from './holdings';

/** Discovery calls must not keep the UI waiting on a slow or unreachable server. */
const QUICK = { timeouts: { connectMs: 4_000, headersMs: 8_000, bodyIdleMs: 8_000 } };

export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    message: string,
    readonly apiCode: 'bad-argument' | 'not-found' | 'offline' | 'failed' = 'failed',
  ) {
    super(message);
  }
}

export interface DatasetContext {
  cacheRoot: string;
  server: ServerRef | null;
  dvid: DvidClient | null;
  /** False when the last connection check failed: answer from the caches without trying the server. */
  online: () => boolean;
}

/** The active node as the derive service holds it. */
export interface ActiveRef {
  dir: string;
  uuid: string;
}

export class DatasetService {
  readonly #ctx: DatasetContext;
  /** Repo infos read from the server in this session, by root (for selectNode / instances / staleness). */
  readonly #live = new Map<string, RepoInfo>();

  constructor(ctx: DatasetContext) {
    this.#ctx = ctx;
  }

  /** The cache folders of the active server (one per repo). */
  cacheDirs(): string[] {
    const server = this.#ctx.server;
    if (!server) return [];
    const hostDir = dirname(cacheDirFor(this.#ctx.cacheRoot, server, '0'.repeat(32)));
    return findCaches(this.#ctx.cacheRoot).filter((d) => dirname(d) === hostDir);
  }

  dirFor(repoRoot: string): string {
    if (!this.#ctx.server) throw new DatasetError('no DVID server is configured', 'not-found');
    return cacheDirFor(this.#ctx.cacheRoot, this.#ctx.server, repoRoot);
  }

  async #liveRepos(): Promise<Map<string, RepoInfo> | null> {
    const dvid = this.#ctx.dvid;
    if (!dvid || !this.#ctx.online()) return null;
    try {
      const repos = await dvid.repos.reposInfo(QUICK);
      for (const [root, info] of repos) this.#live.set(root, info);
      return repos;
    } catch {
      return null;
    }
  }

  async #liveRepoOf(uuid: string): Promise<RepoInfo | null> {
    for (const info of this.#live.values()) if (info.nodes.has(uuid as never)) return info;
    const dvid = this.#ctx.dvid;
    if (!dvid || !this.#ctx.online()) return null;
    try {
      const info = await dvid.repos.repoInfo(uuid, QUICK);
      this.#live.set(info.root, info);
      return info;
    } catch {
      return null;
    }
  }

  /** Every repo of the server (or, offline, of its caches) with its DAG. */
  async repos(): Promise<RepoSummary[]> {
    const cached = new Map<string, CachedRepo>();
    for (const dir of this.cacheDirs()) {
      const c = readCachedRepo(dir);
      if (c) cached.set(c.root, c);
    }
    const live = await this.#liveRepos();
    const out: RepoSummary[] = [];
    for (const info of live?.values() ?? []) {
      const c = cached.get(info.root);
      cached.delete(info.root);
      out.push({
        root: info.root,
        alias: info.alias,
        description: info.description,
        source: 'server',
        nodes: [...info.nodes.values()].map((n) => ({
          uuid: n.uuid,
          branch: n.branch,
          locked: n.locked,
          note: n.note,
          parents: n.parents,
          children: n.children,
          created: n.created || null,
          cached: c?.cachedNodes.has(n.uuid) ?? false,
        })),
      });
    }
    for (const c of cached.values()) out.push(c.summary);
    return out.toSorted((a, b) => (a.alias || a.root).localeCompare(b.alias || b.root));
  }

  /** Finds the repo of `uuid` (server first, then the caches) and the cache folder it belongs in. */
  async locate(uuid: string): Promise<{ repoRoot: string; dir: string; node: NodeSummary }> {
    const info = await this.#liveRepoOf(uuid);
    if (info) {
      const n = info.nodes.get(uuid as never)!;
      const dir = this.dirFor(info.root);
      const cachedNodes = existsSync(dir) ? (readCachedRepo(dir)?.cachedNodes ?? new Set<string>()) : new Set<string>();
      return {
        repoRoot: info.root,
        dir,
        node: { uuid, branch: n.branch, locked: n.locked, note: n.note, parents: n.parents, children: n.children, created: n.created || null, cached: cachedNodes.has(uuid) },
      };
    }
    for (const dir of this.cacheDirs()) {
      const c = readCachedRepo(dir);
      const node = c?.summary.nodes.find((n) => n.uuid === uuid);
      if (c && node) return { repoRoot: c.root, dir, node };
    }
    throw new DatasetError(
      this.#ctx.online() ? `node ${uuid} is not a node of this server` : `node ${uuid} is not in any cache of this server (and the server is offline)`,
      'not-found',
    );
  }

  async activeNode(ref: ActiveRef | null): Promise<ActiveNode | null> {
    if (!ref) return null;
    const c = existsSync(ref.dir) ? readCachedRepo(ref.dir) : null;
    const node = c?.summary.nodes.find((n) => n.uuid === ref.uuid);
    if (c && node) return { uuid: ref.uuid, repoRoot: c.root, locked: node.locked, branch: node.branch, cacheDir: ref.dir, synced: node.cached };
    const found = await this.locate(ref.uuid).catch(() => null);
    if (!found) return null;
    return { uuid: ref.uuid, repoRoot: found.repoRoot, locked: found.node.locked, branch: found.node.branch, cacheDir: ref.dir, synced: found.node.cached };
  }

  /** The instances of `uuid`'s repo, each with what the cache holds of it at that node. */
  async instances(uuid: string): Promise<InstanceSummary[]> {
    const { repoRoot, dir } = await this.locate(uuid);
    const live = this.#live.get(repoRoot) ?? null;
    const holdings = existsSync(dir) ? readHoldings(dir, uuid) : null;
    const stale = (h: NodeHolding | undefined): boolean => isStale(h, live, uuid);
    const out: InstanceSummary[] = [];
    if (live) {
      for (const [name, info] of live.instances) {
        const h = holdings?.instances.get(name);
        out.push({ name, type: info.base.typeName, dataUuid: info.base.dataUuid, syncs: info.base.syncs, cached: h ? cachedOf(h, stale(h)) : null });
      }
    } else if (holdings) {
      for (const [name, h] of holdings.instances) {
        out.push({ name, type: h.type, dataUuid: h.dataUuid, syncs: [], cached: h.items > 0 || h.syncedAt !== null ? cachedOf(h, false) : null });
      }
    } else {
      throw new DatasetError(`the server is offline and nothing of node ${uuid} is cached`, 'offline');
    }
    return out.toSorted((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Why the active node's cache is behind the server, or null when it is not known to be: the node was
   * open when synced and the server's repo MutationID has moved on since (a merge, cleave or split),
   * or the node was locked after the sync (edits made before the lock may be missing).
   */
  async staleness(ref: ActiveRef | null): Promise<string | null> {
    if (!ref || !existsSync(ref.dir) || !this.#ctx.online()) return null;
    const live = await this.#liveRepoOf(ref.uuid);
    if (!live) return null;
    this.#live.delete(live.root); // re-read next time: this is the periodic check
    const holdings = readHoldings(ref.dir, ref.uuid);
    if (!holdings) return null;
    const node = live.nodes.get(ref.uuid as never);
    if (holdings.nodeLocked === false && node?.locked) return `node ${ref.uuid.slice(0, 8)} was locked on the server after the last sync; sync again to take its final state`;
    const behind = [...holdings.instances.values()].filter((h) => isStale(h, live, ref.uuid)).map((h) => h.name);
    if (behind.length) return `the server's segmentation changed since the last sync (repo mutation ${live.mutationId}); stale: ${behind.join(', ')}`;
    return null;
  }

  /** The cache root, the active cache folder and the size of every cache of this server. */
  async cacheInfo(ref: ActiveRef | null): Promise<CacheInfo> {
    const dirs = this.cacheDirs();
    if (ref && !dirs.includes(ref.dir) && existsSync(ref.dir)) dirs.push(ref.dir);
    const caches: CacheSummary[] = [];
    for (const dir of dirs) {
      const c = readCachedRepo(dir);
      caches.push({ dir, repoRoot: c?.root ?? '', alias: c?.summary.alias ?? '', sizeBytes: await folderSize(dir), nodes: c ? c.cachedNodes.size : 0 });
    }
    const active = ref ? caches.find((c) => c.dir === ref.dir) : undefined;
    let instances: CacheInfo['instances'] = [];
    if (ref && existsSync(ref.dir)) {
      const live = this.#live.get(active?.repoRoot ?? '') ?? null;
      const holdings = readHoldings(ref.dir, ref.uuid);
      instances = [...(holdings?.instances.values() ?? [])]
        .filter((h) => h.items > 0 || h.syncedAt !== null)
        .map((h) => ({ name: h.name, type: h.type, ...cachedOf(h, isStale(h, live, ref.uuid)) }));
    }
    return { root: this.#ctx.cacheRoot, dir: ref?.dir ?? null, node: ref?.uuid ?? null, sizeBytes: active?.sizeBytes ?? 0, caches, instances };
  }
}

function cachedOf(h: NodeHolding, stale: boolean): { items: number; bytes: number; syncedAt: string | null; stale: boolean } {
  return { items: h.items, bytes: h.bytes, syncedAt: h.syncedAt === null ? null : new Date(h.syncedAt).toISOString(), stale };
}

/** Labelmap-dependent data of an open node are stale once the repo's MutationID passed the one seen at fetch time. */
function isStale(h: NodeHolding | undefined, live: RepoInfo | null, uuid: string): boolean {
  if (!h || !live || h.mutationId === null) return false;
  const node = live.nodes.get(uuid as never);
  if (!node || (node.locked && h.nodeLockedWhenFetched)) return false;
  const dependsOnLabels = h.type === 'labelmap' || h.type === 'annotation' || h.type === 'labelsz';
  return dependsOnLabels && live.mutationId > h.mutationId;
}

interface CachedRepo {
  root: string;
  summary: RepoSummary;
  cachedNodes: Set<string>;
}

/** The repo and DAG a cache folder holds (as of its last sync), or null for an empty / unreadable cache. */
export function readCachedRepo(dir: string): CachedRepo | null {
  return withReadonlyCache(dir, (cache) => {
    const repo = cache.repo.repo();
    if (!repo) return null;
    const cachedNodes = new Set(
      cache.db.db
        .prepare('SELECT DISTINCT n.uuid FROM fetches f JOIN nodes n ON n.id = f.node_id WHERE f.instance_id IS NOT NULL')
        .pluck()
        .all() as string[],
    );
    const nodes: NodeSummary[] = cache.repo.nodes().map((n) => ({
      uuid: n.uuid,
      branch: n.branch,
      locked: n.locked,
      note: n.note ?? '',
      parents: [...n.parents],
      children: [...n.children],
      created: n.created,
      cached: cachedNodes.has(n.uuid),
    }));
    return {
      root: repo.rootUuid,
      cachedNodes,
      summary: { root: repo.rootUuid, alias: repo.alias ?? '', description: repo.description ?? '', source: 'cache', nodes },
    };
  });
}

/** Bytes on disk under `dir` (database, WAL, blobs, derived tables). */
export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += await stat(p).then((s) => s.size, () => 0);
    }
  };
  await walk(dir);
  return total;
}

/**
 * A server as the user typed it ("host:8000", "https://host/dvid/") → its canonical ServerRef: http
 * or https only, no credentials in the URL (use the token field), no query or fragment, no trailing '/'.
 */
export function serverRefFromUrl(raw: string): ServerRef {
  let u: URL;
  const text = raw.trim();
  try {
    u = new URL(text.includes('://') ? text : `http://${text}`);
  } catch {
    throw new DatasetError(`"${text.slice(0, 200)}" is not a server URL (expected e.g. http://host:8000)`, 'bad-argument');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new DatasetError('only http and https servers are supported', 'bad-argument');
  if (u.username || u.password) throw new DatasetError('a server URL must not carry credentials; use the token field', 'bad-argument');
  if (!u.host) throw new DatasetError('the server URL has no host', 'bad-argument');
  return { url: `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`, label: u.host, demo: false };
}
