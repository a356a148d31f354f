/**
 * `dvid-desk rebuild-cache --cache DIR`: the recovery path for a damaged cache. Moves the cache
 * folder DIR aside to DIR.damaged-<time> (kept for inspection; nothing is deleted); the next sync
 * into it starts a fresh cache. DIR must be one cache folder (…/<host_port>/<repo uuid>), not a root.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, rebuildCache } from '../cache/open';
import { UsageError } from './options';

export interface RebuildOptions {
  cache?: string;
}

export async function runRebuildCache(opts: RebuildOptions): Promise<number> {
  if (!opts.cache) throw new UsageError('rebuild-cache needs --cache DIR, the cache folder to move aside (see "dvid-desk status")');
  if (!existsSync(join(opts.cache, DB_FILE))) throw new UsageError(`${opts.cache} is not a cache folder (no ${DB_FILE} in it)`);
  const moved = rebuildCache(opts.cache);
  console.log(`Moved the cache to ${moved} (kept). The next "dvid-desk sync" starts a fresh cache in ${opts.cache}.`);
  return 0;
}
