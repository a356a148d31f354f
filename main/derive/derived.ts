/**
 * The derived tables of one cache, attached to one of its connections.
 *
 * On the WRITER connection (there is one per cache) it:
 * - creates or opens `derived.sqlite` (WAL, synchronous=NORMAL like the cache), and empties it when
 *   its layout version differs or when it may have missed writes (below);
 * - installs change capture (capture.ts) and flushes the recorded changes on the next turn of the
 *   event loop after each write transaction, so the tables follow a sync commit by commit
 *   (`flush()` may also be called directly, e.g. at the end of a sync step);
 * - builds a node's ctx on first use (`ensureNode`) and rebuilds it when its instances change.
 * On a READ-ONLY connection it only attaches the file read-only and answers queries.
 *
 * Missed writes. The derived file is a second database, so its commits are not atomic with the
 * cache's, and a writer without this module attached (another tool, an older build) would change the
 * cache unseen. The meta table therefore keeps `dirty` = 1 while a writer session has it attached,
 * and on a clean detach a `stamp` of the cache (max fetch id and the row counts of the tables the
 * numbers come from). A writer that finds dirty = 1 (the last session crashed) or a stamp that no
 * longer matches empties the derived file; every ctx is then rebuilt when next asked for.
 */
import type { Database } from 'better-sqlite3';
import { join } from 'node:path';
import type { Cache } from '../cache/index';
import { startBackgroundBuild, type BackgroundBuild } from './background-build';
import { captureAllNodes, clearQueue, installCapture, queueEmpty, readQueue, removeCapture } from './capture';
import { chooseConfig, sameConfig, type CtxConfig } from './context';
import { loadCtx, loadRoiMeta, type CtxState } from './ctx-state';
import { nameTier } from './names';
import { buildCtx } from './rebuild';
import { DERIVED_DDL, DERIVED_FILE, DERIVED_SCHEMA, DERIVED_VERSION } from './schema';
import { CtxUpdater, storedIds, type StoredChanges, type UpdateReport } from './update';

export class DerivedNotReady extends Error {
  override name = 'DerivedNotReady';
  readonly apiCode = 'not-found';
}

/**
 * A node's tables are being built on a worker thread (background-build.ts): queries get this until
 * the build has committed. The API code tells the UI to show "building" and ask again.
 */
export class DerivedBuilding extends Error {
  override name = 'DerivedBuilding';
  readonly apiCode = 'building';
  constructor(readonly nodeId: number, readonly startedAt: number) {
    super(`the search and ROI tables of this node are being built (started ${Math.max(0, Math.round((Date.now() - startedAt) / 1000))} s ago); ask again shortly`);
  }
}

/** Above this many touched elements (and half the ctx's elements) a flush rebuilds the ctx instead. */
const REBUILD_MIN = 50_000;

export interface FlushReport {
  nodes: number;
  elements: number;
  bodies: number;
  rebuilt: number;
}

const attached = new WeakMap<Cache, Derived>();

/**
 * A stamp of the cache rows the derived numbers depend on: the newest fetch id, and per table the
 * row count and the sum of the rows' CRC-32 checksums (every cache row has one), so a row added,
 * deleted or rewritten in place changes it. Cost: one scan of each table (≈ 0.1–0.3 s per million
 * synapse elements), paid when a writer attaches and when it detaches.
 */
export function cacheStamp(db: Database): string {
  const one = (sql: string) => (db.prepare(sql).raw(true).safeIntegers(true).get() as bigint[]).join('/');
  const table = (t: string, where = '') => one(`SELECT count(*), ifnull(sum(checksum), 0) FROM main.${t} ${where}`);
  return [
    one('SELECT ifnull(max(id), 0) FROM main.fetches'),
    table('element_blocks'),
    table('element_block_svs'),
    table('sv_map'),
    table('body_annotations'),
    table('roi_spans'),
    table('kv_entries', "WHERE key IN ('roiHierarchy', 'primaryRois')"),
  ].join(':');
}

export class Derived {
  readonly db: Database;
  readonly writable: boolean;
  readonly #cache: Cache;
  readonly #states = new Map<number, CtxState>();
  #scheduled = false;
  #closed = false;
  #lastError: unknown = null;
  #flushing = false;
  #fresh: { main: number; derived: number; fresh: boolean } | null = null;
  #bg: BackgroundBuild | null = null;
  #bgWaiters: Array<{ resolve: (v: { id: number; config: CtxConfig }) => void; reject: (e: unknown) => void; nodeId: number }> = [];
  readonly #pendingBuilds = new Set<number>();
  /**
   * When true (the app's DeriveService sets it), full builds that a flush needs (the ROIs or the
   * instances of a node changed, or most of its elements did) run on a worker thread instead of
   * inside the flush; the node answers DerivedBuilding meanwhile. Off, they run in the flush
   * (the CLI, tests).
   */
  backgroundBuilds = false;

  private constructor(cache: Cache) {
    this.#cache = cache;
    this.db = cache.db.db;
    this.writable = !cache.db.readonly;
    this.#attachFile();
    try {
      if (this.writable) this.#openWriter();
      this.#registerFunctions();
      if (this.writable) installCapture(this.db, () => this.#schedule());
    } catch (err) {
      this.db.exec(`DETACH DATABASE ${DERIVED_SCHEMA}`);
      throw err;
    }
  }

  /** The Derived attached to `cache` (attaching it on first call). A read-only cache needs derived.sqlite to exist. */
  static attach(cache: Cache): Derived {
    let d = attached.get(cache);
    if (!d || d.#closed) {
      d = new Derived(cache);
      attached.set(cache, d);
    }
    return d;
  }

  static of(cache: Cache): Derived | null {
    const d = attached.get(cache);
    return d && !d.#closed ? d : null;
  }

  get cache(): Cache {
    return this.#cache;
  }

  /** The error of the last background flush, if it failed (the queue is kept and retried). */
  get lastError(): unknown {
    return this.#lastError;
  }

  #meta(key: string): string | null {
    return (this.db.prepare('SELECT value FROM derived.meta WHERE key = ?').pluck().get(key) as string | undefined) ?? null;
  }

  #setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO derived.meta (key, value) VALUES (?, ?)').run(key, value);
  }

  #attachFile(): void {
    this.db.prepare(`ATTACH DATABASE ? AS ${DERIVED_SCHEMA}`).run(join(this.#cache.dir, DERIVED_FILE));
    // Per connection (the journal mode is kept in the file).
    if (this.writable) this.db.pragma(`${DERIVED_SCHEMA}.synchronous = NORMAL`);
  }

  #openWriter(): void {
    const mode = this.db.pragma(`${DERIVED_SCHEMA}.journal_mode = WAL`, { simple: true });
    if (mode !== 'wal') throw new Error(`derived tables: could not switch ${DERIVED_FILE} to WAL (got ${String(mode)})`);
    this.db.pragma(`${DERIVED_SCHEMA}.synchronous = NORMAL`);
    const version = this.db.pragma(`${DERIVED_SCHEMA}.user_version`, { simple: true }) as number;
    const stamp = cacheStamp(this.db);
    const ok = version === DERIVED_VERSION && this.#meta('dirty') === '0' && this.#meta('stamp') === stamp;
    this.#cache.write(() => {
      if (!ok) this.#reset();
      this.#setMeta('dirty', '1');
    }, 'opening the derived tables');
  }

  /** Empties the derived file and creates the current layout. */
  #reset(): void {
    const tables = () =>
      this.db.prepare(`SELECT name, sql FROM ${DERIVED_SCHEMA}.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as Array<{ name: string; sql: string | null }>;
    const drop = (name: string) => this.db.exec(`DROP TABLE IF EXISTS ${DERIVED_SCHEMA}."${name.replaceAll('"', '""')}"`);
    // Virtual tables first: dropping one drops its shadow tables (and indexes go with their tables).
    for (const t of tables()) if (/^CREATE VIRTUAL/i.test(t.sql ?? '')) drop(t.name);
    for (const t of tables()) drop(t.name);
    this.db.exec(DERIVED_DDL);
    this.db.pragma(`${DERIVED_SCHEMA}.user_version = ${DERIVED_VERSION}`);
    this.#states.clear();
  }

  #registerFunctions(): void {
    this.db.function('derive_name_tier', { deterministic: true }, (q: unknown, type: unknown, instance: unknown, other: unknown, substring: unknown) =>
      nameTier(String(q), (type as string | null) ?? null, (instance as string | null) ?? null, (other as string | null) ?? null, substring === 1 || substring === 1n),
    );
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#closed) return;
      if (this.db.inTransaction) {
        this.#schedule();
        return;
      }
      try {
        this.flush();
        this.#lastError = null;
      } catch (err) {
        // Kept queued (the flush rolled back); retried after the next write.
        this.#lastError = err;
      }
    });
  }

  #requireWriter(what: string): void {
    if (!this.writable) throw new DerivedNotReady(`${what} needs the cache's writer connection`);
    if (this.#closed) throw new Error('the derived tables were detached');
  }

  /** The ctx of a node as stored, or null. */
  ctxOf(nodeId: number): { id: number; config: CtxConfig } | null {
    const r = this.db.prepare('SELECT id, config FROM derived.ctx WHERE node_id = ?').safeIntegers(false).get(nodeId) as { id: number; config: string } | undefined;
    return r ? { id: r.id, config: JSON.parse(r.config) as CtxConfig } : null;
  }

  /**
   * The node's ctx, built (writer) when missing or when the instances it comes from changed. On a
   * read-only connection a missing or outdated ctx throws DerivedNotReady.
   */
  ensureNode(nodeId: number): { id: number; config: CtxConfig } {
    if (this.#bg) throw new DerivedBuilding(this.#bg.nodeId, this.#bg.startedAt);
    const config = chooseConfig(this.db, nodeId);
    const have = this.ctxOf(nodeId);
    if (have && sameConfig(have.config, config)) return have;
    if (!this.writable) {
      throw new DerivedNotReady(have ? 'the derived tables of this node are out of date (its synced instances changed)' : 'the derived tables of this node are not built yet');
    }
    this.#requireWriter('building the derived tables');
    const state = this.#cache.write(() => buildCtx(this.db, config), 'building the derived tables');
    this.#states.set(nodeId, state);
    return { id: state.id, config };
  }

  /** Rebuilds a node's ctx from scratch. */
  rebuild(nodeId: number): void {
    this.#requireWriter('rebuilding the derived tables');
    if (this.#bg) throw new DerivedBuilding(this.#bg.nodeId, this.#bg.startedAt);
    const config = chooseConfig(this.db, nodeId);
    this.#states.set(nodeId, this.#cache.write(() => buildCtx(this.db, config), 'rebuilding the derived tables'));
  }

  #state(nodeId: number): CtxState | null {
    let s = this.#states.get(nodeId);
    if (!s) {
      const loaded = loadCtx(this.db, nodeId);
      if (!loaded) return null;
      s = loaded;
      this.#states.set(nodeId, s);
    }
    return s;
  }

  /** Re-reads ROI hierarchy and primary flags (roi_data); counts do not change. */
  #refreshRoiMeta(state: CtxState): void {
    const set = this.db.prepare('UPDATE derived.rois SET parent = ?, is_primary = ?, ord = ? WHERE ctx_id = ? AND instance_id = ?');
    for (const m of loadRoiMeta(this.db, state.config)) set.run(m.parent, m.primary ? 1 : 0, m.ord, state.id, m.instanceId);
  }

  /** The background build in progress, if any. */
  get building(): { nodeId: number; startedAt: number } | null {
    return this.#bg ? { nodeId: this.#bg.nodeId, startedAt: this.#bg.startedAt } : null;
  }

  /** The node's ctx when it exists and comes from the instances the node holds now; else null (no build). */
  currentCtx(nodeId: number): { id: number; config: CtxConfig } | null {
    const have = this.ctxOf(nodeId);
    return have && sameConfig(have.config, chooseConfig(this.db, nodeId)) ? have : null;
  }

  /**
   * Builds the node's ctx on a worker thread with its own connection (build-worker.ts). Until it has
   * committed, flushes keep the capture queue whole (it is applied right after: the updates are
   * state-based, so changes the build already saw are applied twice harmlessly) and ensureNode /
   * applyChanges throw DerivedBuilding. One build at a time; a request for another node waits its turn.
   */
  buildInBackground(nodeId: number): Promise<{ id: number; config: CtxConfig }> {
    this.#requireWriter('building the derived tables');
    const p = new Promise<{ id: number; config: CtxConfig }>((resolve, reject) => this.#bgWaiters.push({ resolve, reject, nodeId }));
    this.#pendingBuilds.add(nodeId);
    this.#startPending();
    return p;
  }

  #startPending(): void {
    if (this.#bg || this.#closed || this.#pendingBuilds.size === 0 || this.#flushing) return;
    if (this.db.inTransaction) {
      setImmediate(() => this.#startPending());
      return;
    }
    const nodeId = this.#pendingBuilds.values().next().value!;
    this.#pendingBuilds.delete(nodeId);
    // The cache's write transactions are BEGIN IMMEDIATE, which takes the write lock of EVERY
    // attached database: with the derived file attached, each sync commit would wait for the
    // worker's build transaction. So the file is detached from this connection while the worker
    // builds (nothing here reads it meanwhile: queries get DerivedBuilding, flushes wait; the
    // capture queue is TEMP) and attached again when the build ends.
    captureAllNodes(this.db, true);
    this.db.exec(`DETACH DATABASE ${DERIVED_SCHEMA}`);
    const bg = startBackgroundBuild(this.#cache.dir, nodeId);
    this.#bg = bg;
    const settle = (err: unknown) => {
      if (this.#bg !== bg) return; // stopped by detach
      this.#bg = null;
      try {
        this.#attachFile();
        captureAllNodes(this.db, false);
      } catch (attachErr) {
        err ??= attachErr;
      }
      this.#states.delete(nodeId);
      const ctx = err ? null : this.ctxOf(nodeId);
      for (const w of this.#bgWaiters.filter((x) => x.nodeId === nodeId)) {
        if (ctx) w.resolve(ctx);
        else w.reject(err ?? new Error('the background build left no ctx'));
      }
      this.#bgWaiters = this.#bgWaiters.filter((x) => x.nodeId !== nodeId);
      if (err) this.#lastError = err;
      // What the sync wrote meanwhile (kept in the queue), then the next node waiting, if any.
      this.#schedule();
      this.#startPending();
    };
    bg.done.then(
      () => settle(null),
      (err: unknown) => settle(err),
    );
  }

  /**
   * Applies the recorded changes (capture.ts) to every ctx they touch, in one write transaction.
   * Called automatically after writes; safe to call any time (a no-op when nothing is queued).
   */
  flush(): FlushReport {
    const report: FlushReport = { nodes: 0, elements: 0, bodies: 0, rebuilt: 0 };
    // During a background build the queue is kept whole: it is applied after the build commits.
    if (!this.writable || this.#closed || this.#flushing || this.#bg) return report;
    if (queueEmpty(this.db)) return report;
    this.#flushing = true;
    try {
      this.#cache.write(() => {
        const q = readQueue(this.db);
        clearQueue(this.db);
        const nodes = new Set<number>([...q.blk.map((r) => r[1]), ...q.sv.map((r) => r[1]), ...q.ann.map((r) => r[1]), ...q.roi.map((r) => r[1])]);
        for (const nodeId of nodes) {
          const state = this.#state(nodeId);
          if (!state) continue;
          report.nodes++;
          const config = chooseConfig(this.db, nodeId);
          const spansChanged = q.roi.some((r) => r[1] === nodeId && r[2] === 'spans' && config.rois.includes(r[0]));
          if (!sameConfig(config, state.config) || spansChanged) {
            if (this.backgroundBuilds) this.#pendingBuilds.add(nodeId);
            else this.#states.set(nodeId, buildCtx(this.db, config));
            report.rebuilt++;
            continue;
          }
          if (q.roi.some((r) => r[1] === nodeId && r[2] === 'meta' && r[0] === config.roiData)) this.#refreshRoiMeta(state);
          const c = state.config;
          const r = this.#update(state, {
            blocks: q.blk.filter((e) => e[1] === nodeId && e[0] === c.synapses).map((e) => [e[2], e[3], e[4]] as [number, number, number]),
            supervoxels: q.sv.filter((e) => e[1] === nodeId && e[0] === c.labelmap).map((e) => e[2]),
            bodies: q.ann.filter((e) => e[1] === nodeId && e[0] === c.annotations).map((e) => e[2]),
          });
          report.elements += r.elements;
          report.bodies += r.bodies;
          if (r.rebuilt) report.rebuilt++;
        }
      }, 'updating the derived tables');
    } finally {
      this.#flushing = false;
    }
    this.#startPending();
    return report;
  }

  #update(state: CtxState, changes: StoredChanges): UpdateReport & { rebuilt: boolean } {
    const updater = new CtxUpdater(this.db, state);
    const touched = updater.touched(changes);
    const size = this.db.prepare('SELECT pre + post FROM derived.ctx WHERE id = ?').pluck().safeIntegers(false).get(state.id) as number;
    if (touched.size > REBUILD_MIN && touched.size > size / 2) {
      if (this.backgroundBuilds) this.#pendingBuilds.add(state.config.nodeId);
      else this.#states.set(state.config.nodeId, buildCtx(this.db, state.config));
      return { elements: touched.size, bodies: 0, rebuilt: true };
    }
    const r = updater.apply(touched.elements, changes.bodies);
    return { elements: r.elements + updater.moveBodies(touched.supervoxels, touched.elements), bodies: r.bodies, rebuilt: false };
  }

  /**
   * Explicit entry point for code that knows what it changed (ids as uint64, not stored form):
   * annotation blocks [bx, by, bz] of the synapse instance, supervoxels whose body changed, bodies
   * whose annotation changed. The node's ctx must exist (ensureNode). Runs in its own write
   * transaction, or inside the caller's when one is open (better-sqlite3 nests it as a savepoint).
   */
  applyChanges(nodeId: number, changes: { blocks?: Array<readonly [number, number, number]>; supervoxels?: bigint[]; bodies?: bigint[] }): UpdateReport {
    this.#requireWriter('updating the derived tables');
    if (this.#bg) throw new DerivedBuilding(this.#bg.nodeId, this.#bg.startedAt);
    const state = this.#state(nodeId);
    if (!state) throw new DerivedNotReady('the derived tables of this node are not built yet (ensureNode first)');
    return this.#cache.write(
      () => this.#update(state, { blocks: changes.blocks ?? [], supervoxels: storedIds(changes.supervoxels ?? []), bodies: storedIds(changes.bodies ?? []) }),
      'updating the derived tables',
    );
  }

  /**
   * Whether the derived file reflects the cache: true on the writer (it sees every write), on a
   * reader when the last writer detached cleanly and nothing changed since, or while a writer session
   * is active (dirty = 1; it keeps the tables current).
   */
  fresh(): boolean {
    if (this.writable) return true;
    // The stamp scans the source tables: recompute it only when another connection committed to
    // either file since the last answer (PRAGMA data_version moves exactly then).
    const main = this.db.pragma('main.data_version', { simple: true }) as number;
    const derived = this.db.pragma(`${DERIVED_SCHEMA}.data_version`, { simple: true }) as number;
    const c = this.#fresh;
    if (c && c.main === main && c.derived === derived) return c.fresh;
    const version = this.db.pragma(`${DERIVED_SCHEMA}.user_version`, { simple: true }) as number;
    const dirty = version === DERIVED_VERSION ? this.#meta('dirty') : null;
    const fresh = dirty === '1' || (dirty === '0' && this.#meta('stamp') === cacheStamp(this.db));
    this.#fresh = { main, derived, fresh };
    return fresh;
  }

  /** Flushes, records the clean-close stamp (writer), and detaches. Call before closing the cache. */
  detach(): void {
    if (this.#closed) return;
    if (this.#bg) {
      // Its transaction rolls back. The file is not attached to this connection now and stays
      // marked dirty: the next writer empties it and builds again.
      this.#bg.stop();
      this.#bg = null;
      for (const w of this.#bgWaiters.splice(0)) w.reject(new Error('the derived tables were detached during a background build'));
      removeCapture(this.db);
      this.#closed = true;
      attached.delete(this.#cache);
      return;
    }
    try {
      if (this.writable) {
        try {
          this.flush();
          this.#cache.write(() => {
            this.#setMeta('stamp', cacheStamp(this.db));
            this.#setMeta('dirty', '0');
          }, 'closing the derived tables');
          this.db.pragma(`${DERIVED_SCHEMA}.wal_checkpoint(TRUNCATE)`);
          // Like the cache: a closed derived file is self-contained, readable from a read-only folder.
          this.db.pragma(`${DERIVED_SCHEMA}.journal_mode = DELETE`);
        } catch {
          // Left dirty: the next writer rebuilds. Never lose the cache's own close over this.
        }
        removeCapture(this.db);
      }
    } finally {
      this.#closed = true;
      attached.delete(this.#cache);
      try {
        this.db.exec(`DETACH DATABASE ${DERIVED_SCHEMA}`);
      } catch {
        // a statement still open; the connection's close detaches it anyway
      }
    }
  }
}
