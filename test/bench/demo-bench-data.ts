/**
 * The benchmark cache of issue 7: the demo's `--size 2048` dataset (126 k bodies, 107 k annotated,
 * 1.16 M synapse elements), synced from a demo server in a SEPARATE process, keeping only what the
 * derived tables need: synapses (elements, and the supervoxel of each from /labels plus its body
 * from /mapping: no label blocks), body annotations, every ROI, roi_data, labelsz.
 *
 * Costs, paid once and kept under the git-ignored .cache/ (override with $DVID_DESK_BENCH_DIR):
 * - generating the dataset: ~15 min on a quiet 2-core machine (much longer on a busy one), ~0.6 GB,
 *   in .cache/demo-dataset (shared with the tests' small preset);
 * - the sync: minutes (1.16 M elements, ~230 /labels requests of 5,000 points);
 * later runs reuse the synced cache and start no server at all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { cacheDirFor } from '../../main/paths';
import type { InstanceScope } from '../../main/sync/scope';
import { SyncSession } from '../../main/sync/session';

const REPO = resolve(import.meta.dirname, '../..');
const PORT = Number(process.env.DVID_DESK_BENCH_PORT ?? '47231');
const SIZE = 2048;

export interface BenchCache {
  dir: string;
  uuid: string;
}

function benchRoot(): string {
  return process.env.DVID_DESK_BENCH_DIR ?? join(REPO, '.cache', 'bench');
}

/** Starts `dvid-desk demo-server --size 2048` in its own process; resolves with its URL and root node. */
async function startDemoProcess(): Promise<{ child: ChildProcess; url: string; uuid: string }> {
  const bin = join(REPO, 'bin', 'dvid-desk.mjs');
  const args = [bin, 'demo-server', '--size', String(SIZE), '--port', String(PORT), '--data', join(REPO, '.cache', 'demo-dataset')];
  console.log(`starting the demo server in its own process: node ${args.join(' ')}`);
  console.log('  (the first run generates the --size 2048 dataset: ~15 min on a quiet 2-core machine; progress follows)');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stderr! }).on('line', (l) => console.log(`  demo: ${l}`));
  const lines = createInterface({ input: child.stdout! });
  let url: string | null = null;
  return new Promise((resolveStart, reject) => {
    child.once('exit', (code) => reject(new Error(`the demo server exited (code ${code}) before it was ready`)));
    lines.on('line', (l) => {
      if (url === null) {
        url = l.trim();
        return;
      }
      const m = /repo root ([0-9a-f]{32})/.exec(l);
      if (m) resolveStart({ child, url, uuid: m[1]! });
    });
  });
}

async function roiInstances(url: string, uuid: string): Promise<string[]> {
  const res = await request(`${url}/api/repo/${uuid}/info`);
  const info = (await res.body.json()) as { DataInstances: Record<string, { Base: { TypeName: string } }> };
  return Object.entries(info.DataInstances)
    .filter(([, d]) => d.Base.TypeName === 'roi')
    .map(([name]) => name)
    .toSorted();
}

const all = (name: string): InstanceScope => ({ name, scope: { region: { kind: 'all' }, scales: null } });

/** The synced benchmark cache, syncing it first when it is missing or unfinished. */
export async function demoBenchCache(): Promise<BenchCache> {
  const root = benchRoot();
  mkdirSync(root, { recursive: true });
  const marker = join(root, `demo${SIZE}.json`);
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as BenchCache;
    if (existsSync(join(m.dir, 'cache.sqlite'))) {
      console.log(`data: the demo --size ${SIZE} dataset, synced earlier into ${m.dir} (delete ${marker} to sync again)`);
      return m;
    }
  }
  const { child, url, uuid } = await startDemoProcess();
  try {
    const rois = await roiInstances(url, uuid);
    const scopes = [all('synapses'), all('segmentation_annotations'), all('roi_data'), all('synapses_labelsz'), ...rois.map(all)];
    console.log(`syncing node ${uuid} from ${url} into ${root}: synapses, segmentation_annotations, roi_data, synapses_labelsz and ${rois.length} ROIs (no label blocks)`);
    const t0 = performance.now();
    const session = new SyncSession({ serverUrl: url, cacheRoot: root, node: uuid, scopes });
    let lastLog = 0;
    try {
      const prepared = await session.prepare();
      if (prepared.kind === 'refused') throw new Error(prepared.message);
      const outcome = await session.run((p) => {
        const now = performance.now();
        if (now - lastLog < 10_000) return;
        lastLog = now;
        console.log(`  sync: ${p.items.done}/${p.items.total} items, ${(p.bytes.done / 1e6).toFixed(0)} MB, ${((now - t0) / 1000).toFixed(0)} s`);
      });
      if (outcome.state !== 'done') throw new Error(`the benchmark sync ended ${outcome.state}: ${JSON.stringify(outcome.failures).slice(0, 500)}`);
    } finally {
      await session.close();
    }
    console.log(`  sync done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const m: BenchCache = { dir: cacheDirFor(root, { url }, uuid), uuid };
    writeFileSync(marker, JSON.stringify(m));
    return m;
  } finally {
    child.kill('SIGTERM');
  }
}
