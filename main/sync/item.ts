/**
 * The contract between the runner and the per-datatype syncers: a syncer turns one work item (a row of
 * sync_items) into stored data, committing as it goes through ItemContext.commit, which writes the
 * data and the item's new cursor in one transaction. That is what makes a sync resumable at any
 * instant: after a crash the cursor says exactly what is stored.
 */
import type { Cache } from '../cache/index';
import type { ItemRow, JobRow } from '../cache/job-store';

export interface Progress {
  /** New resume state of the item (JSON-serialisable); omitted = unchanged. */
  cursor?: unknown;
  /** Units (blocks, elements, keys, …) stored so far by this item, in total. */
  doneItems?: number;
  /** Bytes received and stored by this item so far, in total. */
  bytes?: number;
  /** The item is complete with this commit. */
  done?: boolean;
}

export interface ItemContext {
  readonly cache: Cache;
  readonly job: JobRow;
  /** The item as it stands (cursor included); updated after every commit. */
  readonly item: ItemRow;
  /** Parsed `item.spec`. */
  readonly spec: unknown;
  /** Parsed `item.cursor` (null when the item has not started). */
  readonly cursor: unknown;
  /** Fires on pause and cancel: stop promptly; what was committed stays. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /**
   * Runs `write` (given this attempt's fetch id) and records `progress` in ONE transaction. Throws
   * CacheError on a full disk or read-only cache (the runner stops the job).
   */
  commit(write: (fetchId: number) => void, progress: Progress): void;
  /** One part of the item failed (a bad block, a key that does not parse): recorded, the rest goes on. */
  fail(subject: string, err: unknown): void;
  /** Network bytes as they arrive (rate and ETA), before they are committed. */
  received(bytes: number): void;
}

/** 'partial': some parts failed (reported through fail()); the item is retried for the rest. */
export type ItemOutcome = 'done' | 'partial';

export interface Syncer {
  readonly kind: string;
  run(ctx: ItemContext): Promise<ItemOutcome>;
}
