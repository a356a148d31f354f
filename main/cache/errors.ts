/**
 * The cache's failures, each with a code the CLI and the UI can act on and a message a person can
 * follow. Raw SQLite and file-system errors are translated here (cacheErrorFrom) so that "disk full",
 * "read-only" and "damaged" always read the same wherever they happen.
 */

export type CacheErrorCode =
  /** The database's schema version is newer than this build knows. */
  | 'newer-schema'
  /** The disk (or the SQLite page limit) is full: the write in progress was rolled back. */
  | 'full'
  /** The cache folder or database cannot be written. */
  | 'read-only'
  /** Another live process holds this cache for writing. */
  | 'in-use'
  /** The database or a blob failed an integrity check. */
  | 'damaged'
  /** Anything else from SQLite or the file system. */
  | 'io';

export class CacheError extends Error {
  override name = 'CacheError';
  constructor(
    readonly code: CacheErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const READONLY_CODES = new Set(['SQLITE_READONLY', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_RECOVERY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_ROLLBACK', 'SQLITE_READONLY_CANTLOCK', 'EROFS', 'EACCES', 'EPERM']);
const DAMAGED_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Wraps a low-level error in a CacheError that says what happened to `where` (the cache folder or
 * file) and what was kept. CacheErrors pass through unchanged.
 */
export function cacheErrorFrom(err: unknown, where: string, doing: string): CacheError {
  if (err instanceof CacheError) return err;
  const code = codeOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (FULL_CODES.has(code)) {
    return new CacheError(
      'full',
      `the disk holding the cache is full (${code} while ${doing} in ${where}). The write in progress was rolled back; everything stored before it is intact. Free some space and run the sync again: it resumes where it stopped.`,
      { cause: err },
    );
  }
  if (READONLY_CODES.has(code) || code.startsWith('SQLITE_READONLY')) {
    return new CacheError(
      'read-only',
      `the cache at ${where} is read-only (${code} while ${doing}: ${detail}). Nothing was changed. Make it writable, or pass --cache DIR to use another cache folder.`,
      { cause: err },
    );
  }
  if (DAMAGED_CODES.has(code) || code.startsWith('SQLITE_CORRUPT')) {
    return new CacheError(
      'damaged',
      `the cache database at ${where} is damaged (${code} while ${doing}: ${detail}). Run "dvid-desk verify" for details; "dvid-desk rebuild-cache" moves it aside (kept, not deleted) so the next sync starts fresh.`,
      { cause: err },
    );
  }
  return new CacheError('io', `${doing} failed in ${where}: ${code ? `${code}: ` : ''}${detail}`, { cause: err });
}
