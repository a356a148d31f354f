/**
 * Sync marks: per instance and node, what the last completed sync of it saw, so that the next one
 * asks the server only for what changed since (DVID-API §3). Kept in `cache_info` (one JSON row per
 * instance × node, key `sync-mark/<node uuid>/<instance>`), checksummed like every row.
 *
 * The log positions are read when a sync is PLANNED, before any data: a change made while the sync
 * runs is then seen again by the next one (applied twice at worst, never missed). A mark is written
 * only when its job ends 'done'.
 */
import type { Cache } from '../cache/index';
import type { DvidClient } from '../dvid/client';
import { DvidBadRequestError } from '../dvid/errors';
import type { MutationRecord } from '../dvid/labelmap';
import type { Uuid } from '../dvid/paths';

/** Where a node's mutation log stood: its record count and its last record's identity. */
export interface LogPosition {
  count: number;
  /** labelmap: the last record's MutationID; keyvalue: "Action Key Timestamp" of the last record. */
  last: string | null;
}

export interface SyncMark {
  /** Canonical scope (scope.ts scopeKey) the data were synced with. */
  scope: string;
  /** When a sync last brought the data up to date (ms since the epoch). */
  syncedAt: number;
  /** When the data were last compared with the server: that sync, or a later spot check. */
  checkedAt: number;
  /** The repo MutationID when that sync was planned. */
  repoMutationId: string;
  jobId: number;
  /**
   * The node's labelmap (or keyvalue) mutation log when that sync was planned; null = the server
   * keeps none (no `[mutations] jsonstore`): a re-sync of the instance is a full one (keyvalue: a
   * listing diff). Absent for types that have no log.
   */
  log?: LogPosition | null;
}

const PREFIX = 'sync-mark/';

function keyOf(node: Uuid, instance: string): string {
  return `${PREFIX}${node}/${instance}`;
}

export function readMark(cache: Cache, node: Uuid, instance: string): SyncMark | null {
  const text = cache.info(keyOf(node, instance));
  if (text === null) return null;
  try {
    return JSON.parse(text) as SyncMark;
  } catch {
    return null;
  }
}

/** Every mark of the cache: node uuid → instance → mark. */
export function allMarks(cache: Cache): Map<string, Map<string, SyncMark>> {
  const rows = cache.db.db.prepare("SELECT key, value FROM cache_info WHERE key >= ? AND key < ? ORDER BY key").all(PREFIX, `${PREFIX}\uffff`) as Array<{ key: string; value: string }>;
  const out = new Map<string, Map<string, SyncMark>>();
  for (const r of rows) {
    const rest = r.key.slice(PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash < 0) continue;
    const node = rest.slice(0, slash);
    let m: SyncMark;
    try {
      m = JSON.parse(r.value) as SyncMark;
    } catch {
      continue;
    }
    let per = out.get(node);
    if (!per) out.set(node, (per = new Map()));
    per.set(rest.slice(slash + 1), m);
  }
  return out;
}

/** Call inside a write transaction. */
export function writeMark(cache: Cache, node: Uuid, instance: string, mark: SyncMark): void {
  cache.setInfo(keyOf(node, instance), JSON.stringify(mark));
}

/** The identity of a record as a log position stores it. */
export function recordId(kind: 'labelmap' | 'keyvalue', r: MutationRecord): string {
  if (kind === 'labelmap') return r.mutationId?.toString() ?? `${r.action} ${r.timestamp}`;
  const key = r.fields.Key;
  return `${r.action} ${typeof key === 'string' ? key : ''} ${r.timestamp}`;
}

/** A node's log of one instance; null when the server keeps none (400 without a jsonstore). */
export async function readLog(client: DvidClient, node: Uuid, instance: string, kind: 'labelmap' | 'keyvalue', signal?: AbortSignal): Promise<MutationRecord[] | null> {
  const out: MutationRecord[] = [];
  try {
    const stream = kind === 'labelmap' ? client.labelmap(node, instance).mutations({ signal }) : client.keyvalue(node, instance).mutations({ signal });
    for await (const r of stream) out.push(r);
  } catch (err) {
    if (err instanceof DvidBadRequestError) return null;
    throw err;
  }
  return out;
}

export function positionOf(kind: 'labelmap' | 'keyvalue', records: readonly MutationRecord[] | null): LogPosition | null {
  if (records === null) return null;
  return { count: records.length, last: records.length ? recordId(kind, records.at(-1)!) : null };
}

/**
 * The records after `pos`, or null when the log is not the one `pos` was taken from (shorter, or
 * its record at that place differs): the caller then re-syncs in full.
 */
export function recordsAfter(kind: 'labelmap' | 'keyvalue', records: readonly MutationRecord[], pos: LogPosition): MutationRecord[] | null {
  if (records.length < pos.count) return null;
  if (pos.count > 0 && recordId(kind, records[pos.count - 1]!) !== pos.last) return null;
  return records.slice(pos.count);
}
