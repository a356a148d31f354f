/**
 * How fresh the cached data are, per instance and node: the staleness the UI shows (status bar,
 * offline mode) and `dvid-desk status` prints. Computed from the sync marks (sync-marks.ts) and the
 * node's lock:
 *
 * - locked node: never stale. DVID refuses writes there; what was read stays what the server holds
 *   (a re-sync only spot-checks it).
 * - open node with a mark: fresh while its last check (a completed sync) is younger than
 *   `staleAfterMs`, stale after; either way with the age and what that sync saw (repo MutationID,
 *   mutation-log position).
 * - open node with data but no mark (a sync never completed, or a cache older than marks): stale,
 *   age from the newest fetch.
 *
 * Cost: one read of cache_info's marks and one grouped scan of `fetches`; no server request.
 */
import type { Cache } from './index';
import { allMarks } from './sync-marks';

/** Default age after which an open node's data count as stale. */
export const DEFAULT_STALE_AFTER_MS = 60 * 60 * 1000;

export interface Freshness {
  instance: string;
  node: string;
  locked: boolean;
  /** locked: never stale; fresh / stale: open node, checked less / more than staleAfterMs ago; unsynced: data but no completed sync. */
  state: 'locked' | 'fresh' | 'stale' | 'unsynced';
  stale: boolean;
  /** When the data were last compared with the server (a completed sync or a spot check), ms since the epoch. */
  checkedAt: number | null;
  /** When a sync last completed. */
  syncedAt: number | null;
  /** now − checkedAt (or − the newest fetch when never checked). */
  ageMs: number | null;
  scope: string | null;
  /** What the last sync saw: the repo MutationID, and the node's mutation log (records, last id). */
  seen: { repoMutationId: string | null; logRecords: number | null; lastMutation: string | null; hasLog: boolean | null };
  /** One line for people: "checked 3 min ago", "not re-checked for 2 h", … */
  reason: string;
}

export interface FreshnessOptions {
  now?: number;
  staleAfterMs?: number;
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} d`;
}

/**
 * Freshness of every instance × node the cache holds fetched data or a mark for, and of the
 * `also` pairs (instance name, node uuid) given.
 */
export function cacheFreshness(cache: Cache, opts: FreshnessOptions = {}, also: ReadonlyArray<{ instance: string; node: string }> = []): Freshness[] {
  const now = opts.now ?? Date.now();
  const limit = opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const nodes = new Map(cache.repo.nodes().map((n) => [n.uuid, n]));
  const nodeById = new Map(cache.repo.nodes().map((n) => [n.id, n]));
  const instById = new Map(cache.repo.instances().map((i) => [i.id, i.name]));
  const marks = allMarks(cache);
  const lastFetch = new Map<string, number>();
  const rows = cache.db.db
    .prepare("SELECT instance_id, node_id, max(fetched_at) AS at FROM fetches WHERE instance_id IS NOT NULL AND request <> 'GET info' GROUP BY instance_id, node_id")
    .safeIntegers(false)
    .all() as Array<{ instance_id: number; node_id: number; at: number }>;
  for (const r of rows) {
    const n = nodeById.get(r.node_id);
    const i = instById.get(r.instance_id);
    if (n && i) lastFetch.set(`${n.uuid}/${i}`, r.at);
  }
  const keys = new Set([
    ...lastFetch.keys(),
    ...[...marks].flatMap(([node, per]) => [...per.keys()].map((i) => `${node}/${i}`)),
    ...also.map((a) => `${a.node}/${a.instance}`),
  ]);
  const out: Freshness[] = [];
  for (const k of [...keys].toSorted()) {
    const slash = k.indexOf('/');
    const node = k.slice(0, slash);
    const instance = k.slice(slash + 1);
    const locked = nodes.get(node)?.locked ?? false;
    const m = marks.get(node)?.get(instance) ?? null;
    const checkedAt = m?.checkedAt ?? null;
    const since = checkedAt ?? lastFetch.get(k) ?? null;
    const ageMs = since === null ? null : now - since;
    let state: Freshness['state'];
    let reason: string;
    if (locked) {
      state = 'locked';
      reason = m ? `locked: never stale (synced ${age(now - m.syncedAt)} ago, last checked ${age(now - m.checkedAt)} ago)` : 'locked: never stale (no sync of it completed yet)';
    } else if (!m) {
      state = 'unsynced';
      reason = `open, no completed sync: stale${ageMs !== null ? ` (data fetched ${age(ageMs)} ago)` : ''}`;
    } else if (ageMs! > limit) {
      state = 'stale';
      reason = `open: not re-checked for ${age(ageMs!)}`;
    } else {
      state = 'fresh';
      reason = `open: checked ${age(ageMs!)} ago`;
    }
    out.push({
      instance,
      node,
      locked,
      state,
      stale: state === 'stale' || state === 'unsynced',
      checkedAt,
      syncedAt: m?.syncedAt ?? null,
      ageMs,
      scope: m?.scope ?? null,
      seen: {
        repoMutationId: m?.repoMutationId ?? null,
        logRecords: m?.log ? m.log.count : null,
        lastMutation: m?.log ? m.log.last : null,
        hasLog: m ? (m.log === undefined ? null : m.log !== null) : null,
      },
      reason,
    });
  }
  return out;
}
