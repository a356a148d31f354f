/**
 * Sync marks: per instance and node, what the last completed sync of it saw, so that the next sync
 * asks the server only for what changed since (main/sync/delta.ts) and `status` can tell how fresh
 * the data are. Kept in `cache_info`, one JSON row per instance × node under the key
 * `sync-mark/<node uuid>/<instance>`, checksummed like every row (no schema change).
 */
import type { Cache } from './index';

/** Where a node's mutation log stood: its record count and its last record's identity. */
export interface LogPosition {
  count: number;
  /** labelmap: the last record's MutationID; keyvalue: "Action Key Timestamp" of the last record. */
  last: string | null;
}

export interface SyncMark {
  /** Canonical scope (main/sync/scope.ts scopeKey) the data were synced with. */
  scope: string;
  /** When a sync last brought the data up to date (ms since the epoch). */
  syncedAt: number;
  /** When the data were last compared with the server: that sync, or a later spot check. */
  checkedAt: number;
  /** The repo MutationID when that sync was planned (decimal). */
  repoMutationId: string;
  jobId: number;
  /**
   * The node's labelmap (or keyvalue) mutation log when that sync was planned; null = the server
   * keeps none (no `[mutations] jsonstore`). Absent for types that have no log.
   */
  log?: LogPosition | null;
}

const PREFIX = 'sync-mark/';

function keyOf(node: string, instance: string): string {
  return `${PREFIX}${node}/${instance}`;
}

export function readMark(cache: Cache, node: string, instance: string): SyncMark | null {
  const text = cache.info(keyOf(node, instance));
  if (text === null) return null;
  try {
    return JSON.parse(text) as SyncMark;
  } catch {
    return null;
  }
}

/** Every mark of the cache: node uuid → instance name → mark. */
export function allMarks(cache: Cache): Map<string, Map<string, SyncMark>> {
  const rows = cache.db.db.prepare('SELECT key, value FROM cache_info WHERE key >= ? AND key < ? ORDER BY key').all(PREFIX, `${PREFIX}\uffff`) as Array<{
    key: string;
    value: string;
  }>;
  const out = new Map<string, Map<string, SyncMark>>();
  for (const r of rows) {
    const rest = r.key.slice(PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash < 0) continue;
    let m: SyncMark;
    try {
      m = JSON.parse(r.value) as SyncMark;
    } catch {
      continue;
    }
    const node = rest.slice(0, slash);
    let per = out.get(node);
    if (!per) out.set(node, (per = new Map()));
    per.set(rest.slice(slash + 1), m);
  }
  return out;
}

/** Call inside a write transaction. */
export function writeMark(cache: Cache, node: string, instance: string, mark: SyncMark): void {
  cache.setInfo(keyOf(node, instance), JSON.stringify(mark));
}
