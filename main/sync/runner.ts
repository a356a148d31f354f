/**
 * Runs a sync job: its items phase by phase (an item of phase p starts only when every item of the
 * earlier phases has settled), up to `concurrency` items at once, each by the syncer of its kind.
 *
 * - Resumable at any instant: items commit their data with their cursor (item.ts); 'done' items are
 *   never run again, 'partial' ones continue from their cursor.
 * - An item that throws (a reset, a truncated stream, a 5xx that outlived the client's retries) or
 *   that ends 'partial' (some of its blocks or keys failed) is retried up to `maxAttempts` times,
 *   after the other items of its phase; then it is marked 'failed' and reported. Every failure is a
 *   sync_failures row. One bad item never stops the others.
 * - A CacheError (disk full, read-only cache, damage) stops the whole job: nothing more can be stored.
 * - pause() and cancel() abort the items in flight (their committed data stays) and make run()
 *   resolve; a paused job continues with another run().
 * - Progress (units, bytes, rate, ETA, current instances) is reported at most every `progressMs`.
 */
import { CacheError } from '../cache/errors';
import type { Cache } from '../cache/index';
import type { ItemRow, JobRow, JobState } from '../cache/job-store';
import type { SyncProgress } from '../../preload/api';
import type { ItemContext, ItemOutcome, Progress, Syncer } from './item';

/** The progress shape of the API contract (preload/api.ts), also used by the CLI. */
export type { SyncProgress };

export interface SyncOutcome {
  state: JobState;
  progress: SyncProgress;
  /** Items that failed for good, with what failed inside them. */
  failures: Array<{ seq: number; instance: string; kind: string; subjects: Array<{ subject: string; error: string }> }>;
  /** The error that stopped the job (disk full, …), if any. */
  error: string | null;
}

export interface RunnerOptions {
  concurrency?: number;
  maxAttempts?: number;
  /** Delay before a retried item runs again (× attempt number). */
  retryDelayMs?: number;
  progressMs?: number;
  onProgress?: (p: SyncProgress) => void;
  /** The repo mutation id recorded with every fetch. */
  mutationId?: bigint | null;
  /**
   * The node is locked (its data never change): an item identical to one already done by an earlier
   * job of the same node is complete without running.
   */
  reuseDoneItems?: boolean;
}

class StopSignal extends Error {
  constructor(readonly why: 'pause' | 'cancel' | 'fatal') {
    super(`sync ${why}`);
    this.name = 'StopSignal';
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class SyncRunner {
  readonly #cache: Cache;
  #job: JobRow;
  readonly #syncers: ReadonlyMap<string, Syncer>;
  readonly #opts: Required<Omit<RunnerOptions, 'onProgress' | 'mutationId'>> & Pick<RunnerOptions, 'onProgress' | 'mutationId'>;
  readonly #twin;
  readonly #instanceNames: Map<number, string>;
  #items: ItemRow[] = [];
  readonly #inflight = new Map<number, AbortController>();
  #stopping: 'pause' | 'cancel' | 'fatal' | null = null;
  #fatal: unknown = null;
  #running = false;
  // Progress bookkeeping.
  readonly #samples: Array<[number, number]> = [];
  #receivedTotal = 0;
  #lastEmit = 0;
  #stopWaiters: Array<() => void> = [];

  constructor(cache: Cache, job: JobRow, syncers: readonly Syncer[], opts: RunnerOptions = {}) {
    this.#cache = cache;
    this.#job = job;
    this.#syncers = new Map(syncers.map((s) => [s.kind, s]));
    this.#opts = {
      concurrency: opts.concurrency ?? 4,
      maxAttempts: opts.maxAttempts ?? 3,
      retryDelayMs: opts.retryDelayMs ?? 1000,
      progressMs: opts.progressMs ?? 250,
      onProgress: opts.onProgress,
      mutationId: opts.mutationId ?? job.mutationId,
      reuseDoneItems: opts.reuseDoneItems ?? false,
    };
    this.#twin = cache.db.db
      .prepare(
        `SELECT i.done_items AS doneItems, i.bytes AS bytes FROM sync_items i JOIN sync_jobs j ON j.id = i.job_id
         WHERE j.node_id = ? AND j.id <> ? AND i.instance_id = ? AND i.kind = ? AND i.spec = ? AND i.state = 'done' LIMIT 1`,
      )
      .safeIntegers(false);
    this.#instanceNames = new Map(cache.repo.instances().map((i) => [i.id, i.name]));
  }

  get job(): JobRow {
    return this.#job;
  }

  /** Stops starting items, aborts those in flight (committed data stays); run() resolves 'paused'. */
  pause(): void {
    this.#stop('pause');
  }

  /** Like pause, but the job ends 'cancelled' (its stored data stays valid cache content). */
  cancel(): void {
    this.#stop('cancel');
  }

  #stop(why: 'pause' | 'cancel' | 'fatal'): void {
    if (!this.#running) {
      // Not running (paused, or never started): a cancel is recorded at once.
      if (why === 'cancel' && this.#job.state !== 'done' && this.#job.state !== 'cancelled') this.#writeJob('cancelled');
      return;
    }
    if (this.#stopping === 'fatal' || this.#stopping === 'cancel') return;
    this.#stopping = why;
    for (const ac of this.#inflight.values()) ac.abort(new StopSignal(why));
    for (const w of this.#stopWaiters.splice(0)) w();
  }

  progress(): SyncProgress {
    const items = this.#items;
    let done = 0;
    let failed = 0;
    let unitsDone = 0;
    let unitsTotal = 0;
    let bytesDone = 0;
    let bytesEst = 0;
    for (const i of items) {
      if (i.state === 'done') done++;
      if (i.state === 'failed') failed++;
      unitsDone += i.doneItems;
      unitsTotal += i.state === 'done' ? i.doneItems : Math.max(i.estItems, i.doneItems);
      bytesDone += i.bytes;
      bytesEst += i.state === 'done' || i.state === 'failed' ? i.bytes : Math.max(i.estBytes, i.bytes);
    }
    const rate = this.#rate();
    const left = Math.max(0, bytesEst - bytesDone);
    const state: SyncProgress['state'] =
      this.#running && this.#stopping === 'pause' ? 'pausing' : this.#running && this.#stopping === 'cancel' ? 'cancelling' : this.#job.state;
    return {
      jobId: this.#job.id,
      state,
      items: { done, failed, total: items.length },
      units: { done: unitsDone, total: unitsTotal },
      bytes: { done: bytesDone, estimated: bytesEst },
      rate,
      etaSeconds: rate > 0 ? Math.round(left / rate) : null,
      current: [...new Set([...this.#inflight.keys()].map((seq) => this.#instanceOf(items.find((i) => i.seq === seq))))],
    };
  }

  #instanceOf(item: ItemRow | undefined): string {
    return item ? (this.#instanceNames.get(item.instanceId) ?? `#${item.instanceId}`) : '?';
  }

  #rate(): number {
    const now = Date.now();
    while (this.#samples.length > 1 && now - this.#samples[0]![0] > 5000) this.#samples.shift();
    if (this.#samples.length < 2) return 0;
    const [t0, b0] = this.#samples[0]!;
    const [t1, b1] = this.#samples.at(-1)!;
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }

  #emit(force = false): void {
    if (!this.#opts.onProgress) return;
    const now = Date.now();
    if (!force && now - this.#lastEmit < this.#opts.progressMs) return;
    this.#lastEmit = now;
    this.#opts.onProgress(this.progress());
  }

  #writeJob(state: JobState, error: string | null = null): void {
    const now = Date.now();
    const finished = state === 'done' || state === 'failed' || state === 'cancelled' ? now : null;
    const next: JobRow = { ...this.#job, state, updatedAt: now, finishedAt: finished, error };
    this.#cache.write(() => this.#cache.jobs.writeJob(next), 'recording the sync state');
    this.#job = next;
  }

  #replaceItem(row: ItemRow): void {
    const i = this.#items.findIndex((x) => x.seq === row.seq);
    if (i >= 0) this.#items[i] = row;
  }

  /**
   * Runs until every item has settled, or until pause/cancel/a fatal cache error. Resolves with the
   * job's state and what failed.
   */
  async run(): Promise<SyncOutcome> {
    if (this.#running) throw new Error('this sync is already running');
    this.#running = true;
    this.#stopping = null;
    this.#fatal = null;
    // Copying the WAL back into the database moves to a thread of its own while the sync writes.
    const checkpoints = this.#cache.db.backgroundCheckpoints();
    try {
      this.#items = this.#cache.jobs.items(this.#job.id);
      // A re-run gives failed items a fresh set of attempts.
      const now = Date.now();
      const revived = this.#items.filter((i) => i.state === 'failed').map((i) => ({ ...i, state: 'partial' as const, attempts: 0, updatedAt: now }));
      this.#writeJob('running');
      if (revived.length) {
        this.#cache.write(() => revived.forEach((r) => this.#cache.jobs.writeItem(r)), 'reviving failed items');
        revived.forEach((r) => this.#replaceItem(r));
      }
      this.#emit(true);
      const phases = [...new Set(this.#items.map((i) => i.phase))].toSorted((a, b) => a - b);
      for (const phase of phases) {
        if (this.#stopping) break;
        await this.#runPhase(phase);
      }
      return this.#finish();
    } finally {
      await checkpoints?.stop();
      this.#running = false;
      this.#inflight.clear();
    }
  }

  #finish(): SyncOutcome {
    // Settled: progress() now reports the job's state, not 'pausing' / 'cancelling'.
    this.#running = false;
    let state: JobState;
    let error: string | null = null;
    if (this.#stopping === 'fatal') {
      state = 'failed';
      error = errText(this.#fatal);
    } else if (this.#stopping === 'cancel') {
      state = 'cancelled';
    } else if (this.#stopping === 'pause') {
      state = 'paused';
    } else {
      const failed = this.#items.filter((i) => i.state === 'failed').length;
      state = failed ? 'failed' : 'done';
      if (failed) error = `${failed} of ${this.#items.length} items failed`;
    }
    try {
      this.#writeJob(state, error);
    } catch (err) {
      // The cache refused even the state change (e.g. still full): report it, the job row stays as it was.
      error = error ?? errText(err);
    }
    this.#emit(true);
    const failuresBySeq = new Map<number, Array<{ subject: string; error: string }>>();
    for (const f of this.#cache.jobs.failures(this.#job.id)) {
      const list = failuresBySeq.get(f.seq) ?? [];
      list.push({ subject: f.subject, error: f.error });
      failuresBySeq.set(f.seq, list);
    }
    return {
      state,
      progress: this.progress(),
      error,
      failures: this.#items
        .filter((i) => i.state === 'failed')
        .map((i) => ({ seq: i.seq, instance: this.#instanceOf(i), kind: i.kind, subjects: (failuresBySeq.get(i.seq) ?? []).slice(-20) })),
    };
  }

  async #runPhase(phase: number): Promise<void> {
    const ready = this.#items.filter((i) => i.phase === phase && i.state !== 'done' && i.state !== 'failed').map((i) => i.seq);
    const delayed: Array<{ seq: number; at: number }> = [];
    const active = new Set<Promise<void>>();
    const retry = (seq: number, delayMs: number) => delayed.push({ seq, at: Date.now() + delayMs });
    while (!this.#stopping && (ready.length > 0 || active.size > 0 || delayed.length > 0)) {
      const now = Date.now();
      for (let i = delayed.length - 1; i >= 0; i--) {
        if (delayed[i]!.at <= now) ready.push(delayed.splice(i, 1)[0]!.seq);
      }
      while (ready.length > 0 && active.size < this.#opts.concurrency && !this.#stopping) {
        const seq = ready.shift()!;
        const p: Promise<void> = this.#runItem(seq, retry).finally(() => active.delete(p));
        active.add(p);
      }
      const waits: Array<Promise<unknown>> = [...active];
      let timer: NodeJS.Timeout | undefined;
      if (delayed.length > 0 && ready.length === 0) {
        const next = Math.min(...delayed.map((d) => d.at));
        waits.push(new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, next - Date.now())))));
      }
      if (waits.length === 0) break;
      waits.push(this.#stopped());
      await Promise.race(waits);
      clearTimeout(timer);
    }
    await Promise.allSettled(active);
  }

  /** Resolves when pause/cancel/fatal is requested (so the phase loop stops waiting out a retry delay). */
  #stopped(): Promise<void> {
    if (this.#stopping) return Promise.resolve();
    return new Promise((r) => this.#stopWaiters.push(r));
  }

  async #runItem(seq: number, retry: (seq: number, delayMs: number) => void): Promise<void> {
    let item = this.#items.find((i) => i.seq === seq)!;
    const syncer = this.#syncers.get(item.kind);
    const ac = new AbortController();
    this.#inflight.set(seq, ac);
    const attempt = item.attempts + 1;
    let fetchId: number | null = null;
    let failedParts = 0;
    const cache = this.#cache;
    const instanceId = item.instanceId;
    const spec = JSON.parse(item.spec) as unknown;
    try {
      if (!syncer) throw new Error(`no syncer for items of kind "${item.kind}"`);
      if (this.#opts.reuseDoneItems) {
        const twin = this.#twin.get(this.#job.nodeId, this.#job.id, item.instanceId, item.kind, item.spec) as { doneItems: number; bytes: number } | undefined;
        if (twin) {
          const done: ItemRow = { ...item, state: 'done', doneItems: twin.doneItems, bytes: 0, estBytes: 0, updatedAt: Date.now() };
          cache.write(() => cache.jobs.writeItem(done), 'recording a reused item');
          this.#replaceItem(done);
          return;
        }
      }
      // The attempt counts from its first step, so a crash mid-attempt is counted too.
      item = { ...item, attempts: attempt, state: item.state === 'pending' ? 'pending' : item.state, updatedAt: Date.now() };
      const started = item;
      cache.write(() => cache.jobs.writeItem(started), 'starting a sync item');
      this.#replaceItem(item);
      const ctx: ItemContext = {
        cache,
        job: this.#job,
        get item() {
          return item;
        },
        spec,
        get cursor() {
          return item.cursor === null ? null : (JSON.parse(item.cursor) as unknown);
        },
        signal: ac.signal,
        attempt,
        commit: (write: (fetchId: number) => void, progress: Progress) => {
          if (ac.signal.aborted) throw ac.signal.reason;
          const next: ItemRow = {
            ...item,
            state: progress.done ? 'done' : 'partial',
            cursor: progress.cursor === undefined ? item.cursor : JSON.stringify(progress.cursor),
            doneItems: progress.doneItems ?? item.doneItems,
            bytes: progress.bytes ?? item.bytes,
            error: progress.done ? null : item.error,
            updatedAt: Date.now(),
          };
          cache.write(() => {
            fetchId ??= cache.fetches!.record({
              jobId: this.#job.id,
              instanceId,
              nodeId: this.#job.nodeId,
              request: `${item.kind} ${item.spec}`,
              mutationId: this.#opts.mutationId ?? null,
            });
            write(fetchId);
            cache.jobs.writeItem(next);
          }, `storing ${this.#instanceOf(item)}`);
          item = next;
          this.#replaceItem(item);
          this.#emit();
        },
        fail: (subject: string, err: unknown) => {
          failedParts++;
          const at = Date.now();
          cache.write(() => cache.jobs.addFailure({ jobId: this.#job.id, seq, attempt, subject, error: errText(err), at }), 'recording a failure');
        },
        received: (bytes: number) => {
          this.#receivedTotal += bytes;
          this.#samples.push([Date.now(), this.#receivedTotal]);
          if (this.#samples.length > 2000) this.#samples.splice(0, 1000);
          this.#emit();
        },
      };
      const outcome: ItemOutcome = await syncer.run(ctx);
      if (outcome === 'done' && failedParts === 0) {
        if (item.state !== 'done') ctx.commit(() => undefined, { done: true });
        return;
      }
      this.#retryOrFail(item, retry, new Error(`${failedParts} part(s) failed this attempt`));
    } catch (err) {
      if (err instanceof StopSignal || (ac.signal.aborted && ac.signal.reason instanceof StopSignal)) return;
      if (err instanceof CacheError) {
        this.#fatal = err;
        this.#stop('fatal');
        return;
      }
      try {
        this.#cache.write(
          () => this.#cache.jobs.addFailure({ jobId: this.#job.id, seq, attempt, subject: 'item', error: errText(err), at: Date.now() }),
          'recording a failure',
        );
      } catch (cacheErr) {
        this.#fatal = cacheErr;
        this.#stop('fatal');
        return;
      }
      this.#retryOrFail(this.#items.find((i) => i.seq === seq)!, retry, err);
    } finally {
      this.#inflight.delete(seq);
      this.#emit();
    }
  }

  #retryOrFail(item: ItemRow, retry: (seq: number, delayMs: number) => void, err: unknown): void {
    const again = item.attempts < this.#opts.maxAttempts;
    const row: ItemRow = { ...item, state: again ? 'partial' : 'failed', error: errText(err), updatedAt: Date.now() };
    try {
      this.#cache.write(() => this.#cache.jobs.writeItem(row), 'recording a retry');
    } catch (cacheErr) {
      this.#fatal = cacheErr;
      this.#stop('fatal');
      return;
    }
    this.#replaceItem(row);
    if (again) retry(item.seq, this.#opts.retryDelayMs * item.attempts);
  }
}
