/**
 * A pool of worker_threads running typed tasks (task.ts) off the main thread.
 *
 * - Sized to the machine: availableParallelism() − 1 (the main thread keeps a core), at least 1.
 *   Workers start on demand and idle workers do not keep the process alive.
 * - FIFO queue; a queued task whose AbortSignal fires leaves the queue at once (rejects with its
 *   reason). A running task that is aborted is rejected at once too; its worker finishes and the
 *   late result is dropped.
 * - Arguments are structured-cloned (so the pool still holds them if a retry is needed), except the
 *   buffers a task's `transferCopy` copies for each attempt and transfers (cheaper than a clone);
 *   results are transferred (the handler lists the buffers), so a decoded volume crosses without a copy.
 * - A worker that crashes (uncaught error, process.exit, out of memory) is replaced and the task it
 *   was running is retried once on a fresh worker; a second crash rejects it with WorkerCrashError.
 *   A task that throws normally is not retried: that is a verdict about its input (a FormatError
 *   keeps its format/offset/reason fields across the thread boundary).
 *
 * Where the worker code comes from: the electron-vite build emits out/main/worker.js next to the
 * chunk that holds this module (all main chunks are flat in out/main), so it is found beside
 * import.meta.dirname. Running from source (vitest, tsx) there is only main/workers/worker.ts: the
 * pool then starts a two-line bootstrap that registers tsx's ESM loader in the worker and imports
 * the .ts entry. tsx is a devDependency, so that path exists only in development.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FormatError } from '../formats/format-error';
import type { FromWorker, SerializedError, TaskSpec, ToWorker } from './task';

export class WorkerCrashError extends Error {
  override name = 'WorkerCrashError';
}

export class PoolClosedError extends Error {
  override name = 'PoolClosedError';
}

export interface PoolOptions {
  /** Number of worker threads (default: availableParallelism() − 1, at least 1). */
  size?: number;
  /** Extra handler modules (absolute paths or file URLs) each worker loads: for tests. */
  modules?: readonly string[];
  /** Resource limits per worker (heap sizes in MB), e.g. to bound a runaway task. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number };
}

export interface RunOptions {
  signal?: AbortSignal;
}

interface Job {
  id: number;
  task: string;
  args: unknown;
  transferCopy: ((args: unknown) => { args: unknown; transfer: ArrayBuffer[] }) | undefined;
  attempts: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | null;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  dead: boolean;
}

export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * For a sync: every core. While blocks stream in, the main thread mostly waits on sockets and short
 * SQLite commits, and block decoding is what bounds the sync's speed.
 */
export function syncPoolSize(): number {
  return Math.max(1, availableParallelism());
}

interface Entry {
  file: string | URL;
  eval: boolean;
}

let cachedEntry: Entry | null = null;

function workerEntry(): Entry {
  if (cachedEntry) return cachedEntry;
  const here = import.meta.dirname;
  const built = join(here, 'worker.js');
  if (existsSync(built)) return (cachedEntry = { file: built, eval: false });
  const source = join(here, 'worker.ts');
  if (!existsSync(source)) throw new Error(`worker entry not found next to ${here} (looked for worker.js and worker.ts)`);
  const tsxApi = createRequire(import.meta.url).resolve('tsx/esm/api');
  const code =
    `require(${JSON.stringify(tsxApi)}).register();` +
    `import(${JSON.stringify(pathToFileURL(source).href)}).catch((e) => { console.error(e); process.exit(70); });`;
  return (cachedEntry = { file: code, eval: true });
}

function reviveError(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'FormatError' && e.format !== undefined && e.offset !== undefined && e.reason !== undefined) {
    err = new FormatError(e.format, e.offset, e.reason);
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack) err.stack = `${err.name}: ${err.message}\n    (in worker) ${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export class WorkerPool {
  readonly size: number;
  readonly #modules: string[];
  readonly #limits: PoolOptions['resourceLimits'];
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  /** Crashes seen (for tests and diagnostics). */
  crashes = 0;

  constructor(opts: PoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.size ?? defaultPoolSize()));
    this.#modules = (opts.modules ?? []).map((m) => (m.startsWith('file:') ? m : pathToFileURL(m).href));
    this.#limits = opts.resourceLimits;
  }

  /** Runs one task; resolves with its result or rejects with its error (FormatError revived). */
  run<A, R>(spec: TaskSpec<A, R>, args: A, opts: RunOptions = {}): Promise<R> {
    if (this.#closed) return Promise.reject(new PoolClosedError('the worker pool is closed'));
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<R>((resolve, reject) => {
      const job: Job = {
        id: this.#nextId++,
        task: spec.name,
        args,
        transferCopy: spec.transferCopy as Job['transferCopy'],
        attempts: 0,
        resolve: resolve as (v: unknown) => void,
        reject,
        signal,
        onAbort: null,
        settled: false,
      };
      if (signal) {
        job.onAbort = () => {
          const i = this.#queue.indexOf(job);
          if (i >= 0) this.#queue.splice(i, 1);
          this.#settle(job, false, abortReason(signal));
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#slots.filter((s) => s.job !== null).length;
  }

  /** Terminates every worker; queued and running tasks reject with PoolClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = new PoolClosedError('the worker pool was closed');
    for (const job of this.#queue.splice(0)) this.#settle(job, false, err);
    const slots = this.#slots.splice(0);
    for (const s of slots) {
      s.dead = true;
      if (s.job) this.#settle(s.job, false, err);
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #settle(job: Job, ok: boolean, value: unknown): void {
    if (job.settled) return;
    job.settled = true;
    if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
    if (ok) job.resolve(value);
    else job.reject(value);
  }

  #spawn(): Slot {
    const entry = workerEntry();
    const worker = new Worker(entry.file, {
      eval: entry.eval,
      workerData: { modules: this.#modules },
      ...(this.#limits ? { resourceLimits: this.#limits } : {}),
    });
    const slot: Slot = { worker, ready: false, job: null, dead: false };
    worker.unref();
    worker.on('message', (msg: FromWorker) => this.#onMessage(slot, msg));
    worker.on('error', (err) => this.#onCrash(slot, err));
    worker.on('exit', (code) => this.#onCrash(slot, new Error(`worker exited with code ${code}`)));
    this.#slots.push(slot);
    return slot;
  }

  #pump(): void {
    if (this.#closed) return;
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((s) => s.ready && s.job === null && !s.dead);
      if (!slot) {
        // Start more workers, up to size, one per waiting task not already covered by a starting one.
        const starting = this.#slots.filter((s) => !s.ready && !s.dead).length;
        const live = this.#slots.filter((s) => !s.dead).length;
        if (live < this.size && starting < this.#queue.length) this.#spawn();
        return;
      }
      const job = this.#queue.shift()!;
      if (job.settled) continue;
      slot.job = job;
      job.attempts++;
      slot.worker.ref();
      const sent = job.transferCopy ? job.transferCopy(job.args) : { args: job.args, transfer: [] };
      slot.worker.postMessage({ type: 'run', id: job.id, task: job.task, args: sent.args } satisfies ToWorker, sent.transfer);
    }
  }

  #onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type === 'ready') {
      slot.ready = true;
      this.#pump();
      return;
    }
    const job = slot.job;
    slot.job = null;
    slot.worker.unref();
    if (job && job.id === msg.id) {
      if (msg.type === 'done') this.#settle(job, true, msg.result);
      else this.#settle(job, false, reviveError(msg.error));
    }
    this.#pump();
  }

  #onCrash(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    if (this.#closed) return;
    this.crashes++;
    void slot.worker.terminate();
    const job = slot.job;
    slot.job = null;
    if (job && !job.settled) {
      if (job.attempts < 2) {
        // Retried once, ahead of the queue, on a fresh worker.
        this.#queue.unshift(job);
      } else {
        this.#settle(job, false, new WorkerCrashError(`worker task "${job.task}" crashed its worker twice (last: ${err.message})`, { cause: err }));
      }
    } else if (!slot.ready && this.#queue.length > 0 && this.crashes > this.size * 3) {
      // Workers die while starting: the entry itself is broken. Fail what waits instead of looping.
      for (const j of this.#queue.splice(0)) this.#settle(j, false, new WorkerCrashError(`workers fail to start: ${err.message}`, { cause: err }));
      return;
    }
    this.#pump();
  }
}
