/**
 * Opening a cache folder: `cache.sqlite` (+ its WAL files), `blobs/`, `prepared/` (mesh previews,
 * prepared-store.ts), and `cache.open`, the marker of a writer session.
 *
 * Settings applied on every open, and why:
 * - journal_mode=WAL: readers (the UI) never block the writer (sync) and vice versa; a killed writer
 *   leaves a WAL whose committed frames are replayed and whose uncommitted tail is ignored.
 * - synchronous=NORMAL: in WAL mode the database stays consistent whatever happens; a power cut (not a
 *   process crash) may lose the last commits, which sync simply re-fetches because its cursor rolls
 *   back with its data (both are in the same transaction). FULL would fsync every commit for no
 *   gain in correctness here.
 * - foreign_keys=ON, busy_timeout so a reader and the writer wait for each other briefly instead of
 *   failing.
 *
 * On a clean close the writer checkpoints and switches the file back to a rollback journal, so a
 * closed cache is one self-contained file that opens even from a read-only folder or medium.
 *
 * One writer per cache: the writer creates `cache.open` with its pid and removes it on clean close.
 * A marker whose process is alive means "in use"; one whose process is gone means the last session
 * ended uncleanly, so the open runs `PRAGMA quick_check` and, if it fails, refuses with the recovery
 * path (rebuildCache: the damaged cache is moved aside and kept, never deleted).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobStore } from './blob-store';
import { processAlive } from './temp-files';
import { BackgroundCheckpointer } from './checkpointer';
import { CacheError, cacheErrorFrom } from './errors';
import { PREPARED_DIR, PreparedStore } from './prepared-store';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index';

export const DB_FILE = 'cache.sqlite';
export const MARKER_FILE = 'cache.open';
export const BLOB_DIR = 'blobs';

export interface OpenReport {
  dir: string;
  /** The database file did not exist and was created. */
  created: boolean;
  schemaVersion: number;
  /** user_version before migrations ran (0 for a new cache). */
  migratedFrom: number;
  /** A writer session before this one did not close cleanly (its marker was found, its process gone). */
  uncleanShutdown: boolean;
  /** Result of quick_check when it ran: ['ok'] or the problems it listed. */
  quickCheck: string[] | null;
}

export interface OpenOptions {
  /** Open for reading only: no marker, no migrations, works on a read-only folder. */
  readonly?: boolean;
  /** Create the folder and database when missing (writer only; default true). */
  create?: boolean;
  /** Run quick_check even after a clean shutdown. */
  check?: boolean;
}

interface Marker {
  pid: number;
  startedAt: string;
}

const openWriters = new Set<string>();

function readMarker(path: string): Marker | null {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<Marker>;
    return typeof m.pid === 'number' ? { pid: m.pid, startedAt: String(m.startedAt ?? '') } : { pid: -1, startedAt: '' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // Unreadable or half-written marker: still a sign of an unclean end.
    return { pid: -1, startedAt: '' };
  }
}

/** quick_check's rows: ['ok'] when the database is sound. */
export function quickCheck(db: Database.Database, full = false): string[] {
  const rows = db.prepare(full ? 'PRAGMA integrity_check' : 'PRAGMA quick_check').all() as Array<Record<string, string>>;
  return rows.map((r) => String(Object.values(r)[0]));
}

export class CacheDb {
  readonly blobs: BlobStore;
  readonly prepared: PreparedStore;
  #closed = false;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(
    readonly dir: string,
    readonly db: Database.Database,
    readonly readonly: boolean,
    readonly report: OpenReport,
  ) {
    this.blobs = new BlobStore(join(dir, BLOB_DIR));
    this.prepared = new PreparedStore(join(dir, PREPARED_DIR));
  }

  /**
   * The prepared statement of `sql`, prepared once per connection: preparing costs more than running
   * a point query, and hot paths (one query per block of a sync) must not pay it each time. Callers set
   * the modes they rely on (pluck, safeIntegers, raw) on every use: the statement is shared.
   */
  stmt(sql: string): Database.Statement {
    let s = this.#statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#statements.set(sql, s);
    }
    return s;
  }

  /** Starts WAL checkpoints on a thread of their own (checkpointer.ts) until the returned object is stopped; null for a read-only cache. */
  backgroundCheckpoints(): BackgroundCheckpointer | null {
    if (this.readonly || this.#closed) return null;
    return new BackgroundCheckpointer(this.db, join(this.dir, DB_FILE));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `fn` in one write transaction (BEGIN IMMEDIATE). Any throw rolls everything back; SQLite
   * and file-system failures come out as CacheError ('full', 'read-only', 'damaged', 'io').
   */
  write<T>(fn: () => T, doing = 'writing'): T {
    if (this.readonly) throw new CacheError('read-only', `the cache at ${this.dir} was opened read-only`);
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (isLowLevel(err)) throw cacheErrorFrom(err, this.dir, doing);
      throw err;
    }
  }

  /** Checkpoints the WAL into the database file, closes, and removes the session marker. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.readonly) {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        // Leave a self-contained file: a WAL database cannot be opened at all in a read-only folder
        // (it needs its -shm file), a rollback-journal one can. The next writer switches back to WAL.
        // Fails harmlessly (SQLITE_BUSY) while a reader is still connected.
        this.db.pragma('journal_mode = DELETE');
      } catch {
        // A full disk can refuse the checkpoint; the WAL stays and is replayed on the next open.
      }
    }
    this.db.close();
    if (!this.readonly) {
      openWriters.delete(this.dir);
      try {
        unlinkSync(join(this.dir, MARKER_FILE));
      } catch {
        // already gone
      }
    }
  }
}

function isLowLevel(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_') || /^E[A-Z]+$/.test(code));
}

/** Opens (and by default creates and migrates) the cache in `dir`. Throws CacheError. */
export function openCache(dir: string, opts: OpenOptions = {}): CacheDb {
  return opts.readonly ? openReader(dir, opts) : openWriter(dir, opts);
}

function openReader(dir: string, opts: OpenOptions): CacheDb {
  const file = join(dir, DB_FILE);
  if (!existsSync(file)) throw new CacheError('io', `no cache database at ${file}`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw cacheErrorFrom(err, dir, 'opening the cache for reading');
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_SCHEMA_VERSION) throw newerSchema(dir, version);
    const marker = readMarker(join(dir, MARKER_FILE));
    const unclean = marker !== null && !(marker.pid > 0 && processAlive(marker.pid));
    const report: OpenReport = {
      dir,
      created: false,
      schemaVersion: version,
      migratedFrom: version,
      uncleanShutdown: unclean,
      quickCheck: opts.check ? quickCheck(db) : null,
    };
    return new CacheDb(dir, db, true, report);
  } catch (err) {
    db.close();
    throw cacheErrorFrom(err, dir, 'reading the cache');
  }
}

function newerSchema(dir: string, version: number): CacheError {
  return new CacheError(
    'newer-schema',
    `the cache at ${dir} was written by a newer DVID Desk (schema version ${version}; this version understands up to ${LATEST_SCHEMA_VERSION}). Update DVID Desk, or use another cache folder with --cache DIR. The cache was not changed.`,
  );
}

function openWriter(dir: string, opts: OpenOptions): CacheDb {
  if (openWriters.has(dir)) throw new CacheError('in-use', `the cache at ${dir} is already open for writing in this process`);
  const file = join(dir, DB_FILE);
  const markerPath = join(dir, MARKER_FILE);
  const existed = existsSync(file);
  if (!existed && opts.create === false) throw new CacheError('io', `no cache database at ${file}`);
  try {
    mkdirSync(join(dir, BLOB_DIR), { recursive: true });
  } catch (err) {
    throw cacheErrorFrom(err, dir, 'creating the cache folder');
  }

  const marker = readMarker(markerPath);
  if (marker && marker.pid > 0 && marker.pid !== process.pid && processAlive(marker.pid)) {
    throw new CacheError('in-use', `the cache at ${dir} is in use by another DVID Desk process (pid ${marker.pid}, since ${marker.startedAt}); close it first`);
  }
  const unclean = marker !== null;

  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (err) {
    throw cacheErrorFrom(err, dir, 'opening the cache');
  }
  let markerWritten = false;
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_SCHEMA_VERSION) throw newerSchema(dir, version);

    // Checked before anything is written, so a damaged cache is left exactly as it was found.
    let check: string[] | null = null;
    if (unclean || opts.check) {
      check = quickCheck(db);
      if (check.length !== 1 || check[0] !== 'ok') {
        throw new CacheError(
          'damaged',
          `the cache at ${dir} is damaged (${unclean ? 'after an unclean shutdown, ' : ''}quick_check: ${check.slice(0, 5).join('; ')}${check.length > 5 ? ` … ${check.length} problems` : ''}). ` +
            `Nothing was deleted. "dvid-desk rebuild-cache" moves it aside to ${dir}.damaged-<time> (kept for inspection) so the next sync starts a fresh cache.`,
        );
      }
    }

    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new CacheError('read-only', `the cache at ${dir} could not switch to WAL mode (got "${String(mode)}"); is it on a read-only or network file system?`);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // Fails with SQLITE_READONLY now rather than in the middle of a sync.
    db.prepare('BEGIN IMMEDIATE').run();
    db.prepare('ROLLBACK').run();

    writeFileSync(markerPath, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() } satisfies Marker));
    markerWritten = true;

    for (const m of MIGRATIONS) {
      if (m.version <= version) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    }
    const report: OpenReport = {
      dir,
      created: !existed,
      schemaVersion: LATEST_SCHEMA_VERSION,
      migratedFrom: version,
      uncleanShutdown: unclean,
      quickCheck: check,
    };
    const cache = new CacheDb(dir, db, false, report);
    cache.blobs.sweepTemps();
    cache.prepared.sweepTemps();
    openWriters.add(dir);
    return cache;
  } catch (err) {
    db.close();
    // Leave the marker of an unclean session in place (the next open must check again); remove ours.
    if (markerWritten && !unclean) {
      try {
        unlinkSync(markerPath);
      } catch {
        // gone
      }
    }
    throw cacheErrorFrom(err, dir, 'opening the cache');
  }
}

/**
 * The recovery path for a damaged cache: moves the whole folder aside to `<dir>.damaged-<time>` (kept,
 * nothing deleted) so the next open starts a fresh, empty cache. Refuses while a writer holds it.
 * Returns where the old cache went.
 */
export function rebuildCache(dir: string, now = new Date()): string {
  const marker = readMarker(join(dir, MARKER_FILE));
  if (openWriters.has(dir) || (marker && marker.pid > 0 && marker.pid !== process.pid && processAlive(marker.pid))) {
    throw new CacheError('in-use', `the cache at ${dir} is in use${marker ? ` by pid ${marker.pid}` : ''}; close DVID Desk first`);
  }
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  let dest = `${dir}.damaged-${stamp}`;
  for (let i = 2; existsSync(dest); i++) dest = `${dir}.damaged-${stamp}-${i}`;
  try {
    renameSync(dir, dest);
  } catch (err) {
    throw cacheErrorFrom(err, dir, 'moving the damaged cache aside');
  }
  return dest;
}
