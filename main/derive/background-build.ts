/**
 * Runs a full ctx build on a worker thread (build-worker.ts), so that the main process's event
 * loop keeps turning during the tens of seconds a hemibrain-sized build takes.
 *
 * Where the worker code comes from: the electron-vite build emits out/main/derive-build-worker.js
 * next to the chunk holding this module; from sources (vitest, tsx) the .ts entry is loaded through
 * tsx (a devDependency, so that path exists only in development).
 */
import { Worker } from 'node:worker_threads';
import type { BuildWorkerData, BuildWorkerReply } from './build-worker';

export interface BackgroundBuild {
  nodeId: number;
  startedAt: number;
  /** Resolves with the built ctx id and the build's duration; rejects when the worker fails. */
  done: Promise<{ ctxId: number; ms: number }>;
  /** Stops the worker (its transaction rolls back). */
  stop(): void;
}

function workerScript(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  const fromSources = here.endsWith('.ts');
  // (A computed name, so the bundler leaves this URL alone.)
  const file = fromSources ? 'build-worker.ts' : ['derive', 'build', 'worker.js'].join('-');
  return { url: new URL(file, here), execArgv: fromSources ? ['--import', 'tsx'] : [] };
}

export function startBackgroundBuild(dir: string, nodeId: number): BackgroundBuild {
  const { url, execArgv } = workerScript();
  const data: BuildWorkerData = { dir, nodeId };
  const worker = new Worker(url, { workerData: data, execArgv });
  let settled = false;
  const done = new Promise<{ ctxId: number; ms: number }>((resolve, reject) => {
    worker.once('message', (m: BuildWorkerReply) => {
      settled = true;
      if (m.ok) resolve({ ctxId: m.ctxId, ms: m.ms });
      else reject(Object.assign(new Error(`derived tables: the background build failed: ${m.message}`), { cause: m.name }));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`derived tables: the background build's worker exited (code ${code}) before it finished`));
    });
  });
  return {
    nodeId,
    startedAt: Date.now(),
    done,
    stop: () => void worker.terminate(),
  };
}
