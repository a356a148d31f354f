/**
 * The app's entry to the derived tables: answers searchNeurons, neuronsCsv, statuses, rois,
 * roiConnectivity, body and partners for the ACTIVE node from its cache only.
 *
 * Connections. Every writer Cache opened in this process (the sync's) gets the derived tables and
 * their change capture attached through `observeCaches`, so they follow the sync commit by commit.
 * Queries use that writer connection while it is open (between commits; better-sqlite3 is
 * synchronous), else a read-only connection of their own.
 *
 * Full builds run on a worker thread (background-build.ts): a node whose tables are missing or out
 * of date (or whose ROIs / instances changed during a sync) is built there, on the writer's cache
 * (the sync's, or one this service opens for the build when no one else holds it), and every query
 * of the node answers DerivedBuilding (API code 'building') until the build has committed. The
 * event loop keeps turning meanwhile (a hemibrain-sized build takes tens of seconds).
 *
 * The active node. Until the repo/node picker (issue 6: selectNode) calls `select()`, it is the node
 * of the most recently finished sync among the caches of the configured server (or of the demo).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BodyDetail, NeuronPage, NeuronQuery, Partner, RoiConnectivity, RoiRow, ServerRef, StatusCount } from '../../preload/api';
import { Cache, CacheError, findCaches, observeCaches } from '../cache/index';
import { parseU64 } from '../cache/u64';
import { cacheDirFor } from '../paths';
import { Derived, DerivedBuilding, DerivedNotReady } from './derived';
import { DERIVED_FILE } from './schema';
import type { CtxConfig } from './context';
import { bodyDetail, NotFoundError, partners, roiConnectivity, roiTable, statuses } from './queries';
import { neuronsCsv, searchNeurons } from './search';

export interface DeriveServiceOptions {
  cacheRoot: string;
  server: ServerRef | null;
}

export interface ActiveNodeRef {
  dir: string;
  uuid: string;
}

export interface Ctx {
  id: number;
  config: CtxConfig;
}

/** Attaches the derived tables to every writer cache opened in this process; returns the undo. */
export function attachDerivedToWriters(onError: (err: unknown, cache: Cache) => void = () => undefined): () => void {
  return observeCaches({
    opened(cache) {
      if (cache.db.readonly) return;
      try {
        Derived.attach(cache);
      } catch (err) {
        onError(err, cache);
      }
    },
    closing(cache) {
      Derived.of(cache)?.detach();
    },
  });
}

/** How long an API call waits for a background build before answering 'building'. */
const BUILD_WAIT_MS = 15_000;

export class DeriveService {
  readonly #opts: DeriveServiceOptions;
  readonly #writers = new Map<string, Cache>();
  readonly #unobserve: () => void;
  #active: ActiveNodeRef | null = null;
  #reader: { dir: string; cache: Cache; derived: Derived } | null = null;
  #attachErrors = new Map<string, unknown>();
  /** The last background build that failed, per cache folder: reported once by the next query. */
  #buildErrors = new Map<string, unknown>();

  constructor(opts: DeriveServiceOptions) {
    this.#opts = opts;
    const undoAttach = attachDerivedToWriters((err, cache) => this.#attachErrors.set(cache.dir, err));
    const undoTrack = observeCaches({
      opened: (cache) => {
        if (cache.db.readonly) return;
        this.#writers.set(cache.dir, cache);
        const d = Derived.of(cache);
        if (d) d.backgroundBuilds = true;
      },
      closing: (cache) => {
        if (this.#writers.get(cache.dir) === cache) this.#writers.delete(cache.dir);
      },
    });
    this.#unobserve = () => {
      undoAttach();
      undoTrack();
    };
  }

  /** Makes `uuid` in the cache folder `dir` the active node. */
  select(ref: ActiveNodeRef): void {
    this.#active = ref;
  }

  get active(): ActiveNodeRef | null {
    return this.#active ?? this.#defaultActive();
  }

  #serverDirs(): string[] {
    const server = this.#opts.server;
    if (!server) return [];
    const hostDir = dirname(cacheDirFor(this.#opts.cacheRoot, server, '0'.repeat(32)));
    return findCaches(this.#opts.cacheRoot).filter((d) => dirname(d) === hostDir);
  }

  /** The node of the newest finished sync in this server's caches; else a node that holds synapses or annotations. */
  #defaultActive(): ActiveNodeRef | null {
    let best: { at: number; ref: ActiveNodeRef } | null = null;
    for (const dir of this.#serverDirs()) {
      let cache: Cache;
      try {
        cache = this.#writers.get(dir) ?? Cache.open(dir, { readonly: true });
      } catch {
        continue;
      }
      try {
        const db = cache.db.db;
        const done = db
          .prepare("SELECT n.uuid, j.finished_at FROM main.sync_jobs j JOIN main.nodes n ON n.id = j.node_id WHERE j.state = 'done' ORDER BY j.finished_at DESC LIMIT 1")
          .safeIntegers(false)
          .get() as { uuid: string; finished_at: number } | undefined;
        const any = done
          ? null
          : ((db
              .prepare(
                'SELECT n.uuid FROM main.nodes n WHERE EXISTS (SELECT 1 FROM main.body_annotations a WHERE a.node_id = n.id) OR EXISTS (SELECT 1 FROM main.element_svs s WHERE s.node_id = n.id) ORDER BY n.id DESC LIMIT 1',
              )
              .pluck()
              .get() as string | undefined) ?? null);
        const at = done?.finished_at ?? 0;
        const uuid = done?.uuid ?? any;
        if (uuid && (!best || at > best.at)) best = { at, ref: { dir, uuid } };
      } finally {
        if (!this.#writers.has(dir)) cache.close();
      }
    }
    return best?.ref ?? null;
  }

  #closeReader(): void {
    if (!this.#reader) return;
    this.#reader.derived.detach();
    this.#reader.cache.close();
    this.#reader = null;
  }

  /**
   * Starts building a node's derived tables on a worker thread, with a writer this service opens
   * for the duration of the build (closed, with the derived file's clean stamp, when it ends).
   * Throws CacheError('in-use') when another process holds the writer.
   */
  #buildWithOwnWriter(dir: string, uuid: string): DerivedBuilding {
    this.#closeReader();
    const cache = Cache.open(dir, { create: false });
    let derived: Derived;
    let nodeId: number;
    try {
      derived = Derived.of(cache) ?? Derived.attach(cache);
      derived.backgroundBuilds = true;
      nodeId = nodeIdOf(cache, uuid);
    } catch (err) {
      cache.close();
      throw err;
    }
    derived
      .buildInBackground(nodeId)
      .catch((err: unknown) => this.#buildErrors.set(dir, err))
      .finally(() => cache.close());
    return new DerivedBuilding(nodeId, derived.building?.startedAt ?? Date.now());
  }

  #readerFor(dir: string): { cache: Cache; derived: Derived } {
    if (this.#reader?.dir === dir) return this.#reader;
    this.#closeReader();
    const cache = Cache.open(dir, { readonly: true });
    try {
      const derived = Derived.attach(cache);
      this.#reader = { dir, cache, derived };
      return this.#reader;
    } catch (err) {
      cache.close();
      throw err;
    }
  }

  /**
   * #withCtx for the API: while a background build runs, the call waits for it (up to BUILD_WAIT_MS)
   * instead of answering 'building' at once. A small cache builds in well under a second, and a view
   * that simply waits shows no error; only a long build reaches the renderer as 'building' (it retries).
   */
  async #query<T>(fn: (cache: Cache, ctx: Ctx) => T | Promise<T>): Promise<T> {
    const deadline = Date.now() + BUILD_WAIT_MS;
    for (;;) {
      try {
        return await this.#withCtx(fn);
      } catch (err) {
        if (!(err instanceof DerivedBuilding) || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Runs `fn` on a connection with the active node's derived tables current. */
  #withCtx<T>(fn: (cache: Cache, ctx: Ctx) => T): T {
    const active = this.active;
    if (!active) throw new NotFoundError('no node is synced yet: sync a node of this server first (nothing to search offline)');
    const failed = this.#buildErrors.get(active.dir);
    if (failed !== undefined) {
      this.#buildErrors.delete(active.dir);
      throw failed;
    }
    const writer = this.#writers.get(active.dir);
    if (writer) {
      const derived = Derived.of(writer);
      if (!derived) throw new Error(`the derived tables could not be attached to the cache at ${active.dir}: ${String(this.#attachErrors.get(active.dir) ?? 'unknown error')}`);
      derived.backgroundBuilds = true;
      derived.flush();
      const building = derived.building;
      if (building) throw new DerivedBuilding(building.nodeId, building.startedAt);
      const nodeId = nodeIdOf(writer, active.uuid);
      const ctx = derived.currentCtx(nodeId);
      if (!ctx) {
        derived.buildInBackground(nodeId).catch((err: unknown) => this.#buildErrors.set(active.dir, err));
        throw new DerivedBuilding(nodeId, Date.now());
      }
      return fn(writer, ctx);
    }
    if (!existsSync(join(active.dir, DERIVED_FILE))) throw this.#buildWithOwnWriter(active.dir, active.uuid);
    const { cache, derived } = this.#readerFor(active.dir);
    let ctx: Ctx | null = null;
    try {
      ctx = derived.fresh() ? derived.ensureNode(nodeIdOf(cache, active.uuid)) : null;
    } catch (err) {
      if (!(err instanceof DerivedNotReady)) throw err;
    }
    if (!ctx) {
      let building: DerivedBuilding;
      try {
        building = this.#buildWithOwnWriter(active.dir, active.uuid);
      } catch (err) {
        if (!(err instanceof CacheError && err.code === 'in-use')) throw err;
        // Another process holds the writer: serve what the derived tables hold, if anything.
        const again = this.#readerFor(active.dir);
        return fn(again.cache, again.derived.ensureNode(nodeIdOf(again.cache, active.uuid)));
      }
      throw building;
    }
    return fn(cache, ctx);
  }

  async searchNeurons(q: NeuronQuery): Promise<NeuronPage> {
    return this.#query((c, ctx) => searchNeurons(c.db.db, ctx, q));
  }

  async neuronsCsv(q: NeuronQuery): Promise<string> {
    return this.#query((c, ctx) => neuronsCsv(c.db.db, ctx, q));
  }

  async statuses(): Promise<StatusCount[]> {
    return this.#query((c, ctx) => statuses(c.db.db, ctx));
  }

  async rois(args?: { all?: boolean }): Promise<RoiRow[]> {
    return this.#query((c, ctx) => roiTable(c.db.db, ctx, args?.all === true));
  }

  async roiConnectivity(args?: { rois?: string[] }): Promise<RoiConnectivity> {
    return this.#query((c, ctx) => roiConnectivity(c.db.db, ctx, args?.rois));
  }

  async body(args: { bodyId: string }): Promise<BodyDetail> {
    const id = parseU64(args.bodyId);
    return this.#query((c, ctx) => bodyDetail(c.db.db, ctx, id));
  }

  async partners(args: { bodyId: string; direction: 'upstream' | 'downstream' }): Promise<Partner[]> {
    const id = parseU64(args.bodyId);
    return this.#query((c, ctx) => partners(c.db.db, ctx, id, args.direction));
  }

  /**
   * For other read-only services of the active node (main/view): runs `fn` on the connection and
   * ctx the queries above use (the sync's writer between its commits, else the read-only reader).
   */
  async read<T>(fn: (cache: Cache, ctx: Ctx) => T | Promise<T>): Promise<T> {
    return this.#query(fn);
  }

  /** Resolves when no background build runs in the caches this service follows (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.#writers.values()].map((c) => Derived.of(c)).find((d) => d?.building);
      if (!busy) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.#closeReader();
    this.#unobserve();
  }
}

function nodeIdOf(cache: Cache, uuid: string): number {
  const id = cache.db.db.prepare('SELECT id FROM main.nodes WHERE uuid = ?').pluck().safeIntegers(false).get(uuid) as number | undefined;
  if (id === undefined) throw new NotFoundError(`node ${uuid} is not in the cache at ${cache.dir}`);
  return id;
}
