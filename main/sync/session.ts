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
import { makeDeltaPlan } from './delta';
import { copyNodeData } from './fork';
import { positionOf, readLog, readMark, writeMark, type LogPosition, type SyncMark } from './marks';
import { effectiveScopes, makePlan, planKeyOf } from './planner';
import { spotCheck, type SpotCheckResult } from './spot-check';
import { scopeKey } from './scope';
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
   * (locked node); also turns off reusing a parent node's data.
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

/** Log-keeping instance types and the log they keep. */
function logKind(type: string): 'labelmap' | 'keyvalue' | null {
  return type === 'labelmap' ? 'labelmap' : type === 'keyvalue' || type === 'neuronjson' ? 'keyvalue' : null;
}

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
    const scopes = effectiveScopes(resolved, o.scopes);
    const typeOf = (name: string) => {
      const i = resolved.repo.instances.get(name)!;
      return i.type === 'other' ? i.base.typeName : i.type;
    };
    const marks = new Map<string, SyncMark>();
    for (const s of scopes) {
      const m = readMark(cache, resolved.uuid, s.name);
      if (m && m.scope === scopeKey(s.scope)) marks.set(s.name, m);
    }
    const allMarked = scopes.length > 0 && marks.size === scopes.length;
    const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    let plan: Plan;
    if (!o.full && allMarked && resolved.node.locked) {
      const result = await spotCheck(cache, this.client, resolved, marks);
      if (result.findings.length === 0) {
        const now = Date.now();
        cache.write(() => {
          for (const [name, m] of marks) writeMark(cache, resolved.uuid, name, { ...m, checkedAt: now });
        }, 'recording the spot check');
      }
      return { kind: 'checked', result };
    }
    const parent = resolved.node.parents[0];
    const parentMarks = new Map<string, SyncMark>();
    if (!o.full && marks.size === 0 && !dryRun && parent) {
      for (const s of scopes) {
        const m = readMark(cache, parent, s.name);
        if (m && m.scope === scopeKey(s.scope)) parentMarks.set(s.name, m);
      }
    }
    if (!o.full && marks.size > 0) {
      // Instances without a mark (new in the scopes, or synced with another scope) are planned in full inside it.
      plan = await makeDeltaPlan({ client: this.client, resolved, serverUrl: o.serverUrl, cache, scopes, marks, blockCompression: o.blockCompression });
    } else if (parentMarks.size > 0 && parent) {
      // A child node: start from the parent's data, then apply what the child's own logs say.
      const from = cache.repo.node(parent)!.id;
      const ids = [...parentMarks.keys()].map((n) => cache.repo.instance(n)!.id);
      copyNodeData(cache, ids, from, nodeId, parent, null);
      const base = new Map<string, SyncMark>();
      for (const [name, m] of parentMarks) {
        // The child's logs hold only its own records: start from their beginning.
        const log: LogPosition | null | undefined = m.log === undefined ? undefined : m.log === null ? null : { count: 0, last: null };
        base.set(name, { ...m, log });
      }
      plan = await makeDeltaPlan({ client: this.client, resolved, serverUrl: o.serverUrl, cache, scopes, marks: base, blockCompression: o.blockCompression });
      plan.mode = 'child';
      plan.base = parent;
    } else {
      // Log positions first: what changes while the data are read is seen again by the next sync.
      const logs: Record<string, LogPosition | null> = {};
      for (const s of scopes) {
        const kind = logKind(typeOf(s.name));
        if (kind) logs[s.name] = positionOf(kind, await readLog(this.client, resolved.uuid, s.name, kind));
      }
      plan = await makePlan({ client: this.client, resolved, serverUrl: o.serverUrl, scopes: o.scopes, maxBytes, blockCompression: o.blockCompression });
      plan.mode = o.full ? 'reread' : 'full';
      plan.logs = logs;
      plan.scopes = Object.fromEntries(scopes.map((s) => [s.name, scopeKey(s.scope)]));
    }
    const message = refusal(plan, maxBytes);
    if (message) return { kind: 'refused', plan, message };
    if (dryRun) return { kind: 'new', plan, job: null };
    if (plan.mode === 'incremental' && plan.instances.every((i) => i.items.length === 0) && marks.size === scopes.length) {
      const now = Date.now();
      cache.write(() => {
        for (const [name, m] of marks) {
          const log = plan.logs && name in plan.logs ? plan.logs[name] : m.log;
          writeMark(cache, resolved.uuid, name, { ...m, syncedAt: now, checkedAt: now, repoMutationId: plan.mutationId, ...(log === undefined ? {} : { log }) });
        }
      }, 'recording the check');
      return { kind: 'up-to-date', plan };
    }
    await saveInstanceInfos(cache, this.client, resolved, plan.instances.map((i) => i.name));
    this.#job = createJob(cache, plan, nodeId);
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
