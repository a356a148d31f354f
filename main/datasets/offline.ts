/**
 * What may be stale while the server is unreachable. A locked node never changes, so its cache is
 * exactly the server's; an open node may have been edited on the server since the cache last looked
 * (merges, cleaves, new synapses, new annotations), and nobody can know until the server answers
 * again. The "last looked" time is the newest fetch stored for the node (main/cache/status.ts) or the
 * last time the server answered, whichever is later.
 */
import { existsSync } from 'node:fs';
import { cacheStatus } from '../cache/status';

export interface NodeFreshness {
  /** The node as the cache last saw it (false = open, its data can change on the server). */
  locked: boolean;
  /** ms since the epoch of the newest fetch stored for the node, null when nothing is stored. */
  lastFetchedAt: number | null;
}

/** null when the cache folder or the node holds nothing. Reads the cache (grouped scans): call on a state change, not per query. */
export function nodeFreshness(dir: string, uuid: string): NodeFreshness | null {
  if (!existsSync(dir)) return null;
  let status;
  try {
    status = cacheStatus(dir);
  } catch {
    return null;
  }
  let found: NodeFreshness | null = null;
  for (const inst of status.instances) {
    for (const n of inst.nodes) {
      if (n.uuid !== uuid) continue;
      found ??= { locked: n.locked, lastFetchedAt: null };
      if (n.lastFetchedAt !== null && (found.lastFetchedAt === null || n.lastFetchedAt > found.lastFetchedAt)) found.lastFetchedAt = n.lastFetchedAt;
    }
  }
  return found;
}

/** The offline stale note for the active node (human-readable), or null when nothing can be stale. */
export function offlineStaleNote(f: NodeFreshness | null, uuid: string, lastOnlineAt: string | null): string | null {
  if (!f || f.locked) return null;
  const fetched = f.lastFetchedAt;
  const online = lastOnlineAt ? Date.parse(lastOnlineAt) : null;
  const since = Math.max(fetched ?? 0, online ?? 0);
  const when = since > 0 ? new Date(since).toISOString() : null;
  return `node ${uuid.slice(0, 8)} is open: edits made on the server since ${when ?? 'the last sync'} cannot be seen until it answers again`;
}
