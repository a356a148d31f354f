/**
 * Runs the voxel pass on worker threads (one per core, at most one per job), falling back to this
 * thread when workers cannot start. The result does not depend on the number of threads: jobs are
 * merged in plan order.
 *
 * The worker script is the built out/main/demo-volume-worker.js next to this code's chunk, or, when
 * running from sources (tests, tsx), volume-worker.ts loaded through tsx.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { jobPlan, VolumeCollector, VolumeEngine, type JobResult, type VolumeInputs, type VolumeOutputs } from './volume';

export interface VolumeRunOptions {
  /** Worker threads; 0 = run on this thread. Default: one per core. */
  threads?: number;
  onProgress?: (doneBlocks: number, totalBlocks: number) => void;
}

function workerScript(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  const fromSources = here.endsWith('.ts');
  // (A computed name, so the bundler leaves this URL alone.)
  const file = fromSources ? 'volume-worker.ts' : 'demo-volume-worker.js';
  return { url: new URL(file, here), execArgv: fromSources ? ['--import', 'tsx'] : [] };
}

export async function runVolume(input: VolumeInputs, opts: VolumeRunOptions = {}): Promise<VolumeOutputs> {
  const plan = jobPlan(input.size);
  const jobs = plan.flatMap((p) => p.jobs);
  const total = (input.size / 64) ** 3;
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    opts.onProgress?.(done, total);
  };
  const threads = Math.min(opts.threads ?? availableParallelism(), jobs.length);
  const results = new Map<string, JobResult>();
  const engineOnThisThread = (): VolumeEngine => new VolumeEngine(input);

  if (threads <= 0) {
    const engine = engineOnThisThread();
    for (const c of jobs) results.set(c.join(','), engine.job(c[0], c[1], c[2], () => progress(1)));
  } else {
    try {
      await runOnWorkers(input, jobs, threads, results, progress);
    } catch (e) {
      if (results.size > 0 || !(e instanceof WorkerStartError)) throw e;
      // No worker could start (e.g. a sandbox without worker_threads): do it here.
      const engine = engineOnThisThread();
      for (const c of jobs) results.set(c.join(','), engine.job(c[0], c[1], c[2], () => progress(1)));
    }
  }

  const collector = new VolumeCollector(input);
  const topEngine = engineOnThisThread();
  for (const p of plan) {
    const children = p.jobs.map((c) => results.get(c.join(','))!);
    for (const r of children) collector.add(r.blocks);
    const top = topEngine.top(
      p.top,
      children.map((r) => r.level),
    );
    collector.add(top.blocks);
    collector.addCoarse(p.top, top.level.seg);
    for (const c of p.jobs) results.delete(c.join(','));
  }
  return collector.result();
}

class WorkerStartError extends Error {}

function runOnWorkers(input: VolumeInputs, jobs: Array<[number, number, number]>, threads: number, results: Map<string, JobResult>, progress: (n: number) => void): Promise<void> {
  const { url, execArgv } = workerScript();
  return new Promise((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let failed = false;
    const workers: Worker[] = [];
    const stopAll = (): void => {
      for (const w of workers) void w.terminate();
    };
    const feed = (w: Worker): void => {
      if (next >= jobs.length) {
        void w.terminate();
        return;
      }
      // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker_threads Worker, not a window
      w.postMessage({ coord: jobs[next++] });
    };
    for (let i = 0; i < threads; i++) {
      let started = false;
      const w = new Worker(url, { workerData: input, execArgv });
      workers.push(w);
      w.on('online', () => (started = true));
      w.on('message', (m: { progress?: number; result?: JobResult; error?: string }) => {
        if (m.progress) progress(m.progress);
        if (m.error) {
          failed = true;
          stopAll();
          reject(new Error(`voxel pass worker failed: ${m.error}`));
        }
        if (m.result) {
          results.set(m.result.coord.join(','), m.result);
          finished++;
          if (finished === jobs.length) {
            stopAll();
            resolve();
          } else feed(w);
        }
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(started ? e : new WorkerStartError(e.message));
      });
      feed(w);
    }
  });
}
