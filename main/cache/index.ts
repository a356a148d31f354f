/**
 * The cache of one DVID server + repo (folder from main/paths.ts cacheDirFor): one writer connection,
 * the blob store, and one store object per kind of data. Sync writes through it; the app reads
 * through it (a read-only Cache is a second connection that never blocks the writer).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BlockStore } from './block-store';
import { BodyAnnotationStore } from './body-annotation-store';
import { ElementStore } from './element-store';
import { FetchLog } from './fetch-log';
import { JobStore } from './job-store';
import { KvStore } from './kv-store';
import { DB_FILE, openCache, type CacheDb, type OpenOptions, type OpenReport } from './open';
import { InstanceInfoStore, LabelszStore, RoiStore, SvMapStore } from './region-stores';
import { RepoStore } from './repo-store';
import { RowWriter } from './row-writer';
import { TABLES } from './tables';

/**
 * Observers of every Cache opened in this process: `opened` runs at the end of the constructor,
 * `closing` just before the connection closes. main/derive uses it to attach its tables and change
 * capture to each writer connection, whoever opened it. An observer that throws is ignored (it must
 * not stop the cache from opening or closing).
 */
export interface CacheObserver {
  opened?(cache: Cache): void;
  closing?(cache: Cache): void;
}
const observers = new Set<CacheObserver>();

export function observeCaches(observer: CacheObserver): () => void {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
}

export class Cache {
  readonly repo: RepoStore;
  readonly fetches: FetchLog | null;
  readonly blocks: BlockStore;
  readonly elements: ElementStore;
  readonly kv: KvStore;
  readonly bodyAnnotations: BodyAnnotationStore;
  readonly rois: RoiStore;
  readonly labelsz: LabelszStore;
  readonly svMap: SvMapStore;
  readonly infos: InstanceInfoStore;
  readonly jobs: JobStore;
  readonly #info: RowWriter | null;

  constructor(readonly db: CacheDb) {
    this.repo = new RepoStore(db);
    this.fetches = db.readonly ? null : new FetchLog(db);
    this.blocks = new BlockStore(db);
    this.elements = new ElementStore(db);
    this.kv = new KvStore(db);
    this.bodyAnnotations = new BodyAnnotationStore(db);
    this.rois = new RoiStore(db);
    this.labelsz = new LabelszStore(db);
    this.svMap = new SvMapStore(db);
    this.infos = new InstanceInfoStore(db);
    this.jobs = new JobStore(db);
    this.#info = db.readonly ? null : new RowWriter(db.db, TABLES.cache_info, 'replace');
    for (const o of observers) {
      try {
        o.opened?.(this);
      } catch {
        // see CacheObserver
      }
    }
  }

  static open(dir: string, opts: OpenOptions = {}): Cache {
    return new Cache(openCache(dir, opts));
  }

  get dir(): string {
    return this.db.dir;
  }

  get report(): OpenReport {
    return this.db.report;
  }

  /** One write transaction; see CacheDb.write. */
  write<T>(fn: () => T, doing?: string): T {
    return this.db.write(fn, doing);
  }

  /** cache_info: small facts about the cache itself (server URL, repo root, creator). */
  setInfo(key: string, value: string): void {
    this.#info!.write([key, value]);
  }

  info(key: string): string | null {
    return (this.db.db.prepare('SELECT value FROM cache_info WHERE key = ?').pluck().get(key) as string | undefined) ?? null;
  }

  close(): void {
    if (!this.db.closed) {
      for (const o of observers) {
        try {
          o.closing?.(this);
        } catch {
          // see CacheObserver
        }
      }
    }
    this.db.close();
  }
}

/**
 * The cache folders under a cache root (`<root>/<host_port>/<uuid>/` and `<root>/demo/<uuid>/`), or
 * `root` itself when it is a cache folder.
 */
export function findCaches(root: string): string[] {
  if (existsSync(join(root, DB_FILE))) return [root];
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const host of readdirSync(root).toSorted()) {
    const hostDir = join(root, host);
    if (!safeIsDir(hostDir)) continue;
    for (const repo of readdirSync(hostDir).toSorted()) {
      const dir = join(hostDir, repo);
      if (/^[0-9a-f]{32}$/.test(repo) && existsSync(join(dir, DB_FILE))) out.push(dir);
    }
  }
  return out;
}

function safeIsDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export { CacheError } from './errors';
export type { CacheDb } from './open';
