/**
 * The embedded demo DVID: a seeded miniature hemibrain served by a DVID-compatible HTTP server.
 * Only the CLI, app.ts (demo mode) and tests import this module (see ARCHITECTURE.md).
 *
 *   const demo = await startDemoServer({ preset: 'small' });
 *   demo.url, demo.uuids.root, demo.uuids.child, demo.log.entries, demo.setFaults([...]), demo.truth
 *   await demo.close();
 */
import { defaultDemoDataRoot, ensureDataset, generationStats } from './dataset/cache';
import type { Progress } from './dataset/generate';
import { presetParams, type DatasetParams } from './dataset/presets';
import type { Dataset } from './dataset/store';
import type { StoryIds } from './dataset/versions';
import type { FaultRule } from './server/faults';
import type { RequestLog } from './server/request-log';
import { serveDataset } from './server/demo-server';

export { parseFaultRules, FAULT_KINDS, type FaultKind, type FaultRule } from './server/faults';
export type { LogEntry, RequestLog } from './server/request-log';
export { defaultDemoDataRoot } from './dataset/cache';
export { presetParams, datasetKey, type DatasetParams } from './dataset/presets';
export type { Dataset } from './dataset/store';

export interface DemoServerOptions {
  /** 'small' (≈512³, ≈40 neurons: tests) or 'default' (≈1024³, ≈150 neurons: first start). */
  preset?: 'small' | 'default';
  /** Edge of the volume in voxels, for benchmarks (overrides preset). */
  size?: number;
  seed?: number;
  /** 0 / undefined = any free port; the server binds 127.0.0.1 only. */
  port?: number;
  faults?: readonly FaultRule[];
  /**
   * false: answer as a DVID without `[mutations] jsonstore` in its TOML: labelmap and keyvalue
   * `/mutations` answer 400, `/mutations-range` never answers (default true).
   */
  jsonstore?: boolean;
  /** Where generated datasets are cached (default: defaultDemoDataRoot()). */
  dataRoot?: string;
  onProgress?: Progress;
}

/** What the generator knows, for tests to choose what to ask (never to stand in for the server's answers). */
export interface DemoTruth {
  dataset: Dataset;
  params: DatasetParams;
  facts: Record<string, number>;
  /** Generation timings of the cached dataset (ms per stage). */
  generation: Record<string, number>;
  uuids: { root: string; child: string };
  story: StoryIds;
  /** Body ids at version 0 (root) or 1 (child), ascending. */
  bodies(v: 0 | 1): bigint[];
  /** Bodies holding a neuron tree (those with meshes, skeletons and a type), ascending. */
  neuronBodies(v: 0 | 1): bigint[];
}

export interface DemoServer {
  url: string;
  port: number;
  /** The repo's root UUID. */
  repoRoot: string;
  uuids: { root: string; child: string };
  log: RequestLog;
  setFaults(rules: readonly FaultRule[]): void;
  faultCounts(): number[];
  /** DVID's "full write" mode: writes accepted on locked nodes too (to change locked data behind a client's back). */
  setFullWrite(on: boolean): void;
  /** With or without a `[mutations] jsonstore` from now on (see DemoServerOptions.jsonstore). */
  setJsonstore(on: boolean): void;
  truth: DemoTruth;
  close(): Promise<void>;
}

const sortIds = (s: Set<bigint>): bigint[] => [...s].toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));

function truthOf(ds: Dataset): DemoTruth {
  const cache: Array<[bigint[], bigint[]] | undefined> = [];
  const lists = (v: 0 | 1): [bigint[], bigint[]] => {
    let c = cache[v];
    if (!c) {
      const all = new Set<bigint>(), neurons = new Set<bigint>();
      const m = ds.mappings[v];
      for (let i = 1; i < m.length; i++) {
        all.add(m[i]!);
        if (ds.svKind[i] === 1) neurons.add(m[i]!);
      }
      c = [sortIds(all), sortIds(neurons)];
      cache[v] = c;
    }
    return c;
  };
  return {
    dataset: ds,
    params: ds.params,
    facts: ds.facts,
    generation: generationStats(ds),
    uuids: { root: ds.nodes[0].uuid, child: ds.nodes[1].uuid },
    story: ds.story,
    bodies: (v) => lists(v)[0],
    neuronBodies: (v) => lists(v)[1],
  };
}

/** Loads (or generates, once, into the cache) the dataset and serves it. */
export async function startDemoServer(opts: DemoServerOptions = {}): Promise<DemoServer> {
  const params = presetParams({ preset: opts.preset, size: opts.size, seed: opts.seed });
  const ds = await ensureDataset(params, { root: opts.dataRoot ?? defaultDemoDataRoot(), onProgress: opts.onProgress });
  const running = await serveDataset(ds, { port: opts.port, faults: opts.faults, jsonstore: opts.jsonstore });
  const truth = truthOf(ds);
  return {
    url: running.url,
    port: running.port,
    repoRoot: ds.repo.root,
    uuids: truth.uuids,
    log: running.log,
    setFaults: running.setFaults,
    faultCounts: running.faultCounts,
    setFullWrite: running.setFullWrite,
    setJsonstore: running.setJsonstore,
    truth,
    close: running.close,
  };
}
