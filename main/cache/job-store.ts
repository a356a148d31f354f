/**
 * Sync jobs, their items (the cursor) and per-item failures. A job is the plan for one node; its
 * items are the units of work (a batch of blocks, a box of elements, a range of keys, …). An item's
 * row is rewritten in the same transaction as the data it covers, so after any crash the items say
 * exactly what is stored: 'done' items are never fetched again, 'partial' ones resume from their data.
 */
import type { CacheDb } from './open';
import { RowWriter, nextId } from './row-writer';
import { TABLES } from './tables';
import { u64FromDbOrNull } from './u64';

export type JobState = 'running' | 'paused' | 'done' | 'failed' | 'cancelled';
export type ItemState = 'pending' | 'partial' | 'done' | 'failed';

export interface JobRow {
  id: number;
  nodeId: number;
  /** Identity of the plan (node + scopes): a re-run of the same sync finds and resumes its job. */
  planKey: string;
  plan: string;
  state: JobState;
  mutationId: bigint | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  error: string | null;
}

export interface ItemRow {
  jobId: number;
  seq: number;
  instanceId: number;
  kind: string;
  /** JSON: what the item fetches (syncer-specific); never changes. */
  spec: string;
  state: ItemState;
  /** Items of a phase start only when every item of the earlier phases has settled. */
  phase: number;
  /** JSON: how far a partial item got (syncer-specific), written with the data it describes. */
  cursor: string | null;
  estItems: number;
  estBytes: number;
  doneItems: number;
  bytes: number;
  attempts: number;
  error: string | null;
  updatedAt: number;
}

export interface FailureRow {
  id: number;
  jobId: number;
  seq: number;
  attempt: number;
  /** What failed inside the item: "item", "block 3,4,5", "key 123_swc", … */
  subject: string;
  error: string;
  at: number;
}

export type ItemInput = Omit<ItemRow, 'jobId' | 'state' | 'cursor' | 'doneItems' | 'bytes' | 'attempts' | 'error' | 'updatedAt'>;

export class JobStore {
  readonly #job: RowWriter | null;
  readonly #item: RowWriter | null;
  readonly #failure: RowWriter | null;

  constructor(readonly cache: CacheDb) {
    const ro = cache.readonly;
    this.#job = ro ? null : new RowWriter(cache.db, TABLES.sync_jobs, 'replace');
    this.#item = ro ? null : new RowWriter(cache.db, TABLES.sync_items, 'replace');
    this.#failure = ro ? null : new RowWriter(cache.db, TABLES.sync_failures);
  }

  /** Creates a job and all its items; call inside a write transaction. */
  create(job: Omit<JobRow, 'id' | 'createdAt' | 'updatedAt' | 'finishedAt' | 'error' | 'state'>, items: readonly ItemInput[], now = Date.now()): JobRow {
    const row: JobRow = { ...job, id: nextId(this.cache.db, 'sync_jobs'), state: 'running', createdAt: now, updatedAt: now, finishedAt: null, error: null };
    this.writeJob(row);
    for (const it of items) {
      this.writeItem({ ...it, jobId: row.id, state: 'pending', cursor: null, doneItems: 0, bytes: 0, attempts: 0, error: null, updatedAt: now });
    }
    return row;
  }

  writeJob(j: JobRow): void {
    this.#job!.write([j.id, j.nodeId, j.planKey, j.plan, j.state, j.mutationId, j.createdAt, j.updatedAt, j.finishedAt, j.error]);
  }

  writeItem(i: ItemRow): void {
    this.#item!.write([i.jobId, i.seq, i.instanceId, i.kind, i.spec, i.state, i.phase, i.cursor, i.estItems, i.estBytes, i.doneItems, i.bytes, i.attempts, i.error, i.updatedAt]);
  }

  addFailure(f: Omit<FailureRow, 'id'>): void {
    this.#failure!.write([nextId(this.cache.db, 'sync_failures'), f.jobId, f.seq, f.attempt, f.subject.slice(0, 500), f.error.slice(0, 2000), f.at]);
  }

  job(id: number): JobRow | null {
    const r = this.cache.db.prepare('SELECT * FROM sync_jobs WHERE id = ?').safeIntegers(true).get(id) as RawJob | undefined;
    return r ? toJob(r) : null;
  }

  /** The newest unfinished job (running = killed mid-way, paused, failed) of a plan, if any. */
  resumable(planKey: string): JobRow | null {
    const r = this.cache.db
      .prepare("SELECT * FROM sync_jobs WHERE plan_key = ? AND state IN ('running', 'paused', 'failed') ORDER BY id DESC LIMIT 1")
      .safeIntegers(true)
      .get(planKey) as RawJob | undefined;
    return r ? toJob(r) : null;
  }

  jobs(): JobRow[] {
    return (this.cache.db.prepare('SELECT * FROM sync_jobs ORDER BY id').safeIntegers(true).all() as RawJob[]).map(toJob);
  }

  items(jobId: number): ItemRow[] {
    const rows = this.cache.db.prepare('SELECT * FROM sync_items WHERE job_id = ? ORDER BY seq').safeIntegers(false).all(jobId) as RawItem[];
    return rows.map(toItem);
  }

  failures(jobId: number): FailureRow[] {
    const rows = this.cache.db
      .prepare('SELECT id, job_id, seq, attempt, subject, error, at FROM sync_failures WHERE job_id = ? ORDER BY id')
      .safeIntegers(false)
      .all(jobId) as Array<{ id: number; job_id: number; seq: number; attempt: number; subject: string; error: string; at: number }>;
    return rows.map((r) => ({ id: r.id, jobId: r.job_id, seq: r.seq, attempt: r.attempt, subject: r.subject, error: r.error, at: r.at }));
  }
}

interface RawJob {
  id: bigint;
  node_id: bigint;
  plan_key: string;
  plan: string;
  state: JobState;
  mutation_id: bigint | null;
  created_at: bigint;
  updated_at: bigint;
  finished_at: bigint | null;
  error: string | null;
}

function toJob(r: RawJob): JobRow {
  return {
    id: Number(r.id),
    nodeId: Number(r.node_id),
    planKey: r.plan_key,
    plan: r.plan,
    state: r.state,
    mutationId: u64FromDbOrNull(r.mutation_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    error: r.error,
  };
}

interface RawItem {
  job_id: number;
  seq: number;
  instance_id: number;
  kind: string;
  spec: string;
  state: ItemState;
  phase: number;
  cursor: string | null;
  est_items: number;
  est_bytes: number;
  done_items: number;
  bytes: number;
  attempts: number;
  error: string | null;
  updated_at: number;
}

function toItem(r: RawItem): ItemRow {
  return {
    jobId: r.job_id,
    seq: r.seq,
    instanceId: r.instance_id,
    kind: r.kind,
    spec: r.spec,
    state: r.state,
    phase: r.phase,
    cursor: r.cursor,
    estItems: r.est_items,
    estBytes: r.est_bytes,
    doneItems: r.done_items,
    bytes: r.bytes,
    attempts: r.attempts,
    error: r.error,
    updatedAt: r.updated_at,
  };
}
