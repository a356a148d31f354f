/**
 * Sync for the app (Electron and browser mode): plans, starts, pauses, resumes and cancels syncs of the
 * configured server, and reports progress as `syncProgress` events. Jobs are named by handles local
 * to this app session (job ids of different caches could collide). One writer connection per cache,
 * shared by the jobs of that cache; one worker pool for all.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerRef, SyncJobStatus, SyncPlan, SyncPlanArgs, SyncProgress } from '../../preload/api';
import { Cache } from '../cache/index';
import { DB_FILE } from '../cache/open';
import { DvidClient } from '../dvid/client';
import type { ResolvedNode } from '../dvid/repo';
import { cacheDirFor } from '../paths';
import { syncPoolSize, WorkerPool } from '../workers/pool';
import { ForkChangedError, startJob } from './child';
import { SyncEnv } from './env';
import { saveDiscovery, saveInstanceInfos } from './job';
import type { Plan } from './plan';
import { effectiveScopes, planKeyOf, planOf } from './planner';
import { recordMarks } from './session';
import { chooseStrategy } from './strategy';
import { DEFAULT_MAX_BYTES, refusal } from './refusal';
import { SyncRunner, type SyncOutcome } from './runner';
import { parseScope, scopeKey, ScopeError, type InstanceScope } from './scope';
import { syncersFor } from './syncers/index';

export class SyncServiceError extends Error {
  override name = 'SyncServiceError';
  constructor(
    message: string,
    readonly apiCode: 'bad-argument' | 'not-found' | 'failed' = 'failed',
  ) {
    super(message);
  }
}

export interface SyncServiceOptions {
  cacheRoot: string;
  server: ServerRef | null;
  token?: string | null;
  onProgress: (p: SyncProgress) => void;
  /** Worker threads for block decoding (default: machine-sized). */
  poolSize?: number;
}

interface PlanEntry {
  plan: Plan;
  resolved: ResolvedNode;
  scopes: InstanceScope[] | null;
  maxBytes: number;
  refused: string | null;
}

interface Active {
  handle: number;
  dir: string;
  cache: Cache;
  runner: SyncRunner;
  node: string;
  running: Promise<SyncOutcome> | null;
  outcome: SyncOutcome | null;
}

export class SyncService {
  readonly #opts: SyncServiceOptions;
  readonly #plans = new Map<string, PlanEntry>();
  readonly #jobs = new Map<number, Active>();
  readonly #caches = new Map<string, { cache: Cache; users: number }>();
  #client: DvidClient | null = null;
  #pool: WorkerPool | null = null;
  #nextPlan = 1;
  #nextHandle = 1;

  constructor(opts: SyncServiceOptions) {
    this.#opts = opts;
  }

  #server(): ServerRef {
    if (!this.#opts.server) throw new SyncServiceError('no DVID server is configured (start with --server URL)');
    return this.#opts.server;
  }

  #dvid(): DvidClient {
    this.#client ??= new DvidClient({ baseUrl: this.#server().url, token: this.#opts.token ?? null });
    return this.#client;
  }

  async plan(args: SyncPlanArgs): Promise<SyncPlan> {
    this.#server(); // throws when no server is configured
    let scopes: InstanceScope[] | null = null;
    try {
      scopes = args.instances?.length
        ? args.instances.map((i) => {
            const text = i.scope ?? 'all';
            // A file named by the renderer would let a page make the app read local files.
            if (/bodies\s*:\s*@/.test(text)) throw new ScopeError('bodies:@file is for the command line; pass the ids themselves');
            return { name: i.name, scope: parseScope(text) };
          })
        : null;
    } catch (err) {
      if (err instanceof ScopeError) throw new SyncServiceError(err.message, 'bad-argument');
      throw err;
    }
    const resolved = await this.#dvid().repos.resolve(args.node);
    const maxBytes = args.maxBytes ?? DEFAULT_MAX_BYTES;
    let plan: Plan;
    try {
      plan = await this.#makePlan(resolved, scopes, maxBytes);
    } catch (err) {
      if ((err as Error).name === 'PlanError') throw new SyncServiceError((err as Error).message, 'bad-argument');
      throw err;
    }
    const planId = `plan-${this.#nextPlan++}`;
    const refused = refusal(plan, maxBytes);
    this.#plans.set(planId, { plan, resolved, scopes, maxBytes, refused });
    return {
      planId,
      server: plan.server,
      repo: plan.repoRoot,
      node: plan.node,
      nodeLocked: plan.nodeLocked,
      instances: plan.instances.map((i) => ({ name: i.name, type: i.type, scope: i.scope, requests: i.items.length, items: i.units, bytes: i.bytes, notes: i.notes })),
      totalBytes: plan.totalBytes,
      maxBytes,
      refused,
      resumableJobId: this.#resumable(resolved, scopes),
    };
  }

  /**
   * The plan the CLI's session would make (strategy.ts): after a completed sync of the same scopes, an
   * open node gets an incremental plan and a locked node a spot check with nothing to download; a node
   * whose ancestor is cached gets a child plan from the ancestor's data (copied when the job starts,
   * child.ts); otherwise a full plan, with the mutation-log positions its sync marks will record.
   * Planning only reads the cache.
   */
  async #makePlan(resolved: ResolvedNode, scopes: InstanceScope[] | null, maxBytes: number): Promise<Plan> {
    const server = this.#server();
    const client = this.#dvid();
    const dir = this.#dirOf(resolved);
    const shared = this.#caches.get(dir)?.cache;
    const cache = shared ?? (existsSync(join(dir, DB_FILE)) ? Cache.open(dir, { readonly: true }) : null);
    try {
      const choice = await chooseStrategy({ client, resolved, serverUrl: server.url, cache, scopes, maxBytes });
      if (choice.kind === 'plan') return choice.plan;
      // A locked node synced before: a plan with nothing to download, the spot check's findings in its notes.
      const all = effectiveScopes(resolved, scopes);
      const { marks, result } = choice;
      const instances = all.map((s) => ({
        name: s.name,
        type: resolved.repo.instances.get(s.name)!.type,
        scope: scopeKey(s.scope),
        items: [],
        units: 0,
        bytes: 0,
        notes: [
          'locked node synced before: nothing to download',
          ...result.findings.filter((f) => f.instance === s.name).map((f) => `spot check: ${f.what} (sync again with the full option to re-read)`),
        ],
      }));
      return {
        ...planOf(resolved, server.url, instances),
        mode: 'incremental',
        key: planKeyOf(resolved, scopes),
        scopes: Object.fromEntries(all.map((s) => [s.name, scopeKey(s.scope)])),
        logs: Object.fromEntries([...marks].filter(([, m]) => m.log !== undefined).map(([n, m]) => [n, m.log!])),
      };
    } finally {
      if (cache && !shared) cache.close();
    }
  }

  #dirOf(resolved: ResolvedNode): string {
    return cacheDirFor(this.#opts.cacheRoot, this.#server(), resolved.repo.root);
  }

  /** The cache job id of an unfinished job of this plan, if the cache has one. */
  #resumable(resolved: ResolvedNode, scopes: InstanceScope[] | null): number | null {
    const dir = this.#dirOf(resolved);
    const shared = this.#caches.get(dir)?.cache;
    if (!shared && !existsSync(join(dir, DB_FILE))) return null;
    const cache = shared ?? Cache.open(dir, { readonly: true });
    try {
      return cache.jobs.resumable(planKeyOf(resolved, scopes))?.id ?? null;
    } finally {
      if (!shared) cache.close();
    }
  }

  #acquire(dir: string): Cache {
    const c = this.#caches.get(dir);
    if (c) {
      c.users++;
      return c.cache;
    }
    const cache = Cache.open(dir);
    this.#caches.set(dir, { cache, users: 1 });
    return cache;
  }

  #release(dir: string): void {
    const c = this.#caches.get(dir);
    if (!c) return;
    if (--c.users === 0) {
      this.#caches.delete(dir);
      c.cache.close();
    }
  }

  async start({ planId }: { planId: string }): Promise<SyncProgress> {
    const entry = this.#plans.get(planId);
    if (!entry) throw new SyncServiceError(`unknown plan "${planId}" (plans last while the app runs; plan again)`, 'not-found');
    if (entry.refused) throw new SyncServiceError(entry.refused, 'bad-argument');
    const { plan, resolved, scopes } = entry;
    const dir = this.#dirOf(resolved);
    for (const a of this.#jobs.values()) {
      if (a.dir === dir && a.running && a.runner.job.planKey === plan.key) throw new SyncServiceError(`this plan is already running as job ${a.handle}`, 'bad-argument');
    }
    const cache = this.#acquire(dir);
    try {
      const nodeId = saveDiscovery(cache, resolved, plan.server);
      let job = cache.jobs.resumable(planKeyOf(resolved, scopes));
      if (!job) {
        await saveInstanceInfos(cache, this.#dvid(), resolved, plan.instances.map((i) => i.name));
        try {
          // A child plan's job gets its ancestor's data copied in the same transaction (child.ts).
          job = startJob(cache, plan, nodeId);
        } catch (err) {
          if (err instanceof ForkChangedError) throw new SyncServiceError(err.message, 'bad-argument');
          throw err;
        }
      }
      this.#pool ??= new WorkerPool({ size: this.#opts.poolSize ?? syncPoolSize() });
      const summary = JSON.parse(job.plan) as Pick<Plan, 'mode' | 'logs' | 'scopes' | 'mutationId'>;
      const final = resolved.node.locked && (summary.mode ?? 'full') === 'full';
      const env = new SyncEnv(cache, this.#dvid(), resolved.uuid, final, resolved.repo, this.#pool);
      const handle = this.#nextHandle++;
      const runner = new SyncRunner(cache, job, syncersFor(env), {
        mutationId: resolved.repo.mutationId,
        reuseDoneItems: final,
        // A settled state is announced by #run once the sync marks are recorded: a plan made on
        // hearing 'done' must see them.
        onProgress: (p) => {
          if (p.state !== 'done' && p.state !== 'failed' && p.state !== 'cancelled' && p.state !== 'paused') this.#opts.onProgress({ ...p, jobId: handle });
        },
      });
      const active: Active = { handle, dir, cache, runner, node: resolved.uuid, running: null, outcome: null };
      this.#jobs.set(handle, active);
      this.#run(active);
      return { ...runner.progress(), jobId: handle };
    } catch (err) {
      this.#release(dir);
      throw err;
    }
  }

  #run(a: Active): void {
    a.outcome = null;
    a.running = a.runner.run().then(
      (outcome) => {
        a.outcome = outcome;
        a.running = null;
        if (outcome.state === 'done') {
          const job = a.runner.job;
          const summary = JSON.parse(job.plan) as Pick<Plan, 'logs' | 'scopes' | 'mutationId'>;
          if (summary.scopes) {
            try {
              recordMarks(a.cache, a.node, job, summary);
            } catch {
              // The data are stored; without marks the next sync is a full one.
            }
          }
        }
        if (outcome.state !== 'paused') this.#release(a.dir);
        this.#opts.onProgress({ ...outcome.progress, jobId: a.handle });
        return outcome;
      },
      (err: unknown) => {
        a.running = null;
        this.#release(a.dir);
        const progress = { ...a.runner.progress(), jobId: a.handle, state: 'failed' as const };
        a.outcome = { state: 'failed', progress, failures: [], error: (err as Error).message };
        this.#opts.onProgress(progress);
        return a.outcome;
      },
    );
  }

  #active(jobId: number): Active {
    const a = this.#jobs.get(jobId);
    if (!a) throw new SyncServiceError(`no sync job ${jobId} in this session`, 'not-found');
    return a;
  }

  async pause({ jobId }: { jobId: number }): Promise<SyncProgress> {
    const a = this.#active(jobId);
    a.runner.pause();
    await a.running;
    return { ...a.runner.progress(), jobId };
  }

  async resume({ jobId }: { jobId: number }): Promise<SyncProgress> {
    const a = this.#active(jobId);
    if (a.running) return { ...a.runner.progress(), jobId };
    if (a.outcome?.state !== 'paused' && a.outcome?.state !== 'failed') throw new SyncServiceError(`job ${jobId} is ${a.outcome?.state ?? 'running'}; only a paused or failed job resumes`, 'bad-argument');
    if (a.outcome.state === 'failed') this.#acquire(a.dir);
    this.#run(a);
    return { ...a.runner.progress(), jobId };
  }

  async cancel({ jobId }: { jobId: number }): Promise<SyncProgress> {
    const a = this.#active(jobId);
    if (a.running) {
      a.runner.cancel();
      await a.running;
    } else if (a.outcome?.state === 'paused') {
      // A paused job is cancelled by recording it so (its data stay).
      a.runner.cancel();
      a.outcome = { ...a.outcome, state: 'cancelled' };
      this.#release(a.dir);
    }
    const p = { ...a.runner.progress(), jobId };
    this.#opts.onProgress(p);
    return p;
  }

  async status(args?: { jobId?: number }): Promise<SyncJobStatus[]> {
    const list = args?.jobId !== undefined ? [this.#active(args.jobId)] : [...this.#jobs.values()];
    return list.map((a) => ({
      ...a.runner.progress(),
      jobId: a.handle,
      node: a.node,
      error: a.outcome?.error ?? null,
      failures: (a.outcome?.failures ?? []).map((f) => ({ instance: f.instance, kind: f.kind, subjects: f.subjects.map((s) => `${s.subject}: ${s.error}`) })),
    }));
  }

  async close(): Promise<void> {
    for (const a of this.#jobs.values()) a.runner.pause();
    await Promise.all([...this.#jobs.values()].map((a) => a.running));
    for (const { cache } of this.#caches.values()) cache.close();
    this.#caches.clear();
    await this.#pool?.close();
    await this.#client?.close();
  }
}
