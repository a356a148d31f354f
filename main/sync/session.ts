/**
 * One sync from start to end, as the CLI (and tests) run it: resolve the node, open its cache, store
 * the discovery facts, find the unfinished job of the same plan or plan a new one (refused over
 * maxBytes), then run it. The app's SyncService does the same steps with plans kept between calls.
 */
import { Cache } from '../cache/index';
import type { JobRow } from '../cache/job-store';
import { DvidClient } from '../dvid/client';
import type { ResolvedNode } from '../dvid/repo';
import { cacheDirFor } from '../paths';
import { syncPoolSize, WorkerPool } from '../workers/pool';
import type { SyncProgress } from '../../preload/api';
import { SyncEnv } from './env';
import { createJob, saveDiscovery, saveInstanceInfos } from './job';
import type { Plan } from './plan';
import { makePlan, planKeyOf } from './planner';
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
  /** Test hook: the DVID client's options (timeouts, retries). */
  clientOptions?: Partial<ConstructorParameters<typeof DvidClient>[0]>;
}

export type Prepared =
  | { kind: 'resume'; job: JobRow; itemsDone: number; items: number }
  | { kind: 'new'; plan: Plan; job: JobRow | null }
  | { kind: 'refused'; plan: Plan; message: string };

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
    const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    const plan = await makePlan({ client: this.client, resolved, serverUrl: o.serverUrl, scopes: o.scopes, maxBytes, blockCompression: o.blockCompression });
    const message = refusal(plan, maxBytes);
    if (message) return { kind: 'refused', plan, message };
    if (dryRun) return { kind: 'new', plan, job: null };
    await saveInstanceInfos(this.#cache, this.client, resolved, plan.instances.map((i) => i.name));
    this.#job = createJob(this.#cache, plan, nodeId);
    return { kind: 'new', plan, job: this.#job };
  }

  /** Runs the prepared job until it settles or is paused/cancelled. */
  async run(onProgress?: (p: SyncProgress) => void): Promise<SyncOutcome> {
    if (!this.#job) throw new Error('nothing to run: prepare() did not produce a job');
    this.#pool ??= new WorkerPool({ size: this.opts.poolSize ?? syncPoolSize() });
    const r = this.resolved;
    const env = new SyncEnv(this.cache, this.client, r.uuid, r.node.locked, r.repo, this.#pool);
    this.#runner = new SyncRunner(this.cache, this.#job, syncersFor(env), {
      ...this.opts.runner,
      concurrency: this.opts.concurrency,
      onProgress,
      mutationId: r.repo.mutationId,
      reuseDoneItems: r.node.locked,
    });
    try {
      return await this.#runner.run();
    } finally {
      this.#job = this.#runner.job;
    }
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
