/**
 * Reading DVID's mutation logs for sync marks (the marks themselves are stored by
 * main/cache/sync-marks.ts): log positions are read when a sync is PLANNED, before any data, so a
 * change made while the sync runs is seen again by the next one (applied twice at worst, never
 * missed). A mark is written only when its job ends 'done'.
 */
import type { DvidClient } from '../dvid/client';
import { DvidBadRequestError } from '../dvid/errors';
import type { MutationRecord } from '../dvid/labelmap';
import type { Uuid } from '../dvid/paths';
import type { LogPosition } from '../cache/sync-marks';

export { allMarks, readMark, writeMark, type LogPosition, type SyncMark } from '../cache/sync-marks';

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
