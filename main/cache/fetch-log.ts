/**
 * The `fetches` table: one row per request (or per item attempt) whose results were stored. Data rows
 * point at it through `fetch_id`, which is how each row knows when it was read, by which sync job,
 * from which node and at which repo mutation id, without repeating those in millions of rows.
 */
import type { CacheDb } from './open';
import { RowWriter, nextId } from './row-writer';
import { TABLES } from './tables';

export interface FetchInput {
  jobId: number | null;
  instanceId: number | null;
  nodeId: number;
  /** What was asked, e.g. "GET /api/node/…/segmentation/specificblocks?…" (shortened). */
  request: string;
  /** The repo MutationID seen when the job started (DVID-API §3.1), when known. */
  mutationId: bigint | null;
}

export class FetchLog {
  readonly #writer: RowWriter;

  constructor(readonly cache: CacheDb) {
    this.#writer = new RowWriter(cache.db, TABLES.fetches);
  }

  /** Records a fetch; call inside the write transaction that stores its rows. Returns its id. */
  record(f: FetchInput, now = Date.now()): number {
    const id = nextId(this.cache.db, 'fetches');
    this.#writer.write([id, f.jobId, f.instanceId, f.nodeId, f.request.slice(0, 2000), f.mutationId, now]);
    return id;
  }
}
