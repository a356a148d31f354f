/**
 * One sync from start to end, as the CLI (and tests) run it: resolve the node, open its cache, store
 * the discovery facts, find the unfinished job of the same plan or choose and plan a new one
 * (strategy.ts; refused over maxBytes), then run it. The app's SyncService does the same steps with
 * plans kept between calls, through the same strategy.ts and child.ts startJob.
 */
import { Cache } from '../cache/index';
import type { JobRow } from '../cache/job-store';
import { DvidClient } from '../dvid/client';
import type { ResolvedNode } from '../dvid/repo';
import { cacheDirFor } from '../paths';
import { syncPoolSize, WorkerPool } from '../workers/pool';
import type { SyncProgress } from '../../preload/api';
import { startJob } from './child';
import { SyncEnv } from './env';
import { saveDiscovery, saveInstanceInfos } from './job';
import type { Plan } from './plan';
import { writeMark, type SyncMark } from './marks';
import { effectiveScopes, planKeyOf } from './planner';
import type { SpotCheckResult } from './spot-check';
import { chooseStrategy, isUpToDate, redateMarks } from './strategy';
import { DEFAULT_MAX_BYTES, refusal } from './refusal';
import { SyncRunner, type RunnerOptions, type SyncOutcome } from './runner';
import type { InstanceScope } from './scope';
import { syncersFor } from './syncers/index';

export interface SessionOptions {
  serverUrl: string;
  token?: string | null;
  cacheRoot: string;
  /** UUID, prefix or UUID:branch. */
  node: string;
  scopes: InstanceScope[] | null;
  maxBytes?: number;
  concurrency?: number;
  /** Payload form of labelmap blocks (default 'blocks'; 'lz4' for benchmarks and servers whose 'blocks' is broken). */
  blockCompression?: 'blocks' | 'lz4';
  poolSize?: number;
  /** Runner settings (retry delay, attempts): tests shorten them. */
  runner?: Pick<RunnerOptions, 'retryDelayMs' | 'maxAttempts'>;
  /**
   * Re-read everything in scope instead of only what changed (open node), or instead of a spot check
   * (locked node); also turns off reusing an ancestor node's data.
   */
  full?: boolean;
  /** Test hook: the DVID client's options (timeouts, retries). */
  clientOptions?: Partial<ConstructorParameters<typeof DvidClient>[0]>;
}

export type Prepared =
  | { kind: 'resume'; job: JobRow; itemsDone: number; items: number }
  | { kind: 'new'; plan: Plan; job: JobRow | null }
  | { kind: 'refused'; plan: Plan; message: string }
  /** A locked node synced before with the same scopes: nothing to download; the spot check's result. */
  | { kind: 'checked'; result: SpotCheckResult }
  /** An open node whose logs and signals show no change since its last sync: no job; marks re-dated. */
  | { kind: 'up-to-date'; plan: Plan };

export class SyncSession {
  readonly client: DvidClient;
  #cache: Cache | null = null;
  #pool: WorkerPool | null = null;
  #resolved: ResolvedNode | null = null;
  #runner: SyncRunner | null = null;
  #job: JobRow | null = null;

  constructor(readonly opts: SessionOptions) {
    this.client = new DvidClient({ baseUrl: opts.serverUrl, token: opts.token ?? null, ...opts.clientOptions });
  }

  get cache(): Cache {
    if (!this.#cache) throw new Error('prepare() first');
    return this.#cache;
  }

  get resolved(): ResolvedNode {
    if (!this.#resolved) throw new Error('prepare() first');
    return this.#resolved;
  }

  get dir(): string {
    return this.cache.dir;
  }

  /** Resolves, opens the cache, and finds or creates the job (`dryRun`: plan only). */
  async prepare(dryRun = false): Promise<Prepared> {
    const o = this.opts;
    const resolved = await this.client.repos.resolve(o.node);
    this.#resolved = resolved;
    const dir = cacheDirFor(o.cacheRoot, { url: o.serverUrl }, resolved.repo.root);
    this.#cache = Cache.open(dir);
    const nodeId = saveDiscovery(this.#cache, resolved, o.serverUrl);
    const existing = this.#cache.jobs.resumable(planKeyOf(resolved, o.scopes));
    if (existing) {
      this.#job = existing;
      const items = this.#cache.jobs.items(existing.id);
      return { kind: 'resume', job: existing, itemsDone: items.filter((i) => i.state === 'done').length, items: items.length };
    }
    const cache = this.#cache;
    const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    const choice = await chooseStrategy({ client: this.client, resolved, serverUrl: o.serverUrl, cache, scopes: o.scopes, maxBytes, full: o.full, blockCompression: o.blockCompression });
    if (choice.kind === 'checked') {
      if (choice.result.findings.length === 0) {
        const now = Date.now();
        cache.write(() => {
          for (const [name, m] of choice.marks) writeMark(cache, resolved.uuid, name, { ...m, checkedAt: now });
        }, 'recording the spot check');
      }
      return { kind: 'checked', result: choice.result };
    }
    const { plan, marks } = choice;
    const message = refusal(plan, maxBytes);
    if (message) return { kind: 'refused', plan, message };
    if (dryRun) return { kind: 'new', plan, job: null };
    if (isUpToDate(plan, marks, effectiveScopes(resolved, o.scopes).length)) {
      redateMarks(cache, resolved.uuid, plan, marks);
      return { kind: 'up-to-date', plan };
    }
    await saveInstanceInfos(cache, this.client, resolved, plan.instances.map((i) => i.name));
    // A child plan's job gets its ancestor's data copied in the same transaction (child.ts).
    this.#job = startJob(cache, plan, nodeId);
    return { kind: 'new', plan, job: this.#job };
  }

  /** Runs the prepared job until it settles or is paused/cancelled. */
  async run(onProgress?: (p: SyncProgress) => void): Promise<SyncOutcome> {
    if (!this.#job) throw new Error('nothing to run: prepare() did not produce a job');
    this.#pool ??= new WorkerPool({ size: this.opts.poolSize ?? syncPoolSize() });
    const r = this.resolved;
    const summary = JSON.parse(this.#job.plan) as Pick<Plan, 'mode' | 'logs' | 'scopes' | 'mutationId'>;
    // Only a full sync of a locked node may take anything cached as final: an incremental or child
    // sync names exactly what it must read again.
    const final = r.node.locked && (summary.mode ?? 'full') === 'full';
    const env = new SyncEnv(this.cache, this.client, r.uuid, final, r.repo, this.#pool);
    this.#runner = new SyncRunner(this.cache, this.#job, syncersFor(env), {
      ...this.opts.runner,
      concurrency: this.opts.concurrency,
      onProgress,
      mutationId: r.repo.mutationId,
      reuseDoneItems: final,
    });
    let outcome: SyncOutcome;
    try {
      outcome = await this.#runner.run();
    } finally {
      this.#job = this.#runner.job;
    }
    if (outcome.state === 'done' && summary.scopes) recordMarks(this.cache, r.uuid, this.#job, summary);
    return outcome;
  }

  pause(): void {
    this.#runner?.pause();
  }

  cancel(): void {
    this.#runner?.cancel();
  }

  async close(): Promise<void> {
    await this.#pool?.close();
    this.#cache?.close();
    await this.client.close();
  }
}

/** After a job ended 'done': its instances are up to date as of its plan's log positions. */
export function recordMarks(cache: Cache, node: string, job: JobRow, summary: Pick<Plan, 'logs' | 'scopes' | 'mutationId'>): void {
  const now = Date.now();
  cache.write(() => {
    for (const [name, scope] of Object.entries(summary.scopes ?? {})) {
      const log = summary.logs && name in summary.logs ? summary.logs[name] : undefined;
      const mark: SyncMark = { scope, syncedAt: now, checkedAt: now, repoMutationId: summary.mutationId, jobId: job.id, ...(log === undefined ? {} : { log }) };
      writeMark(cache, node as Parameters<typeof writeMark>[1], name, mark);
    }
  }, 'recording the sync marks');
}
