/**
 * Where generated datasets live and how a process gets one: load it when it is cached, otherwise
 * generate it once — across processes too (tests run in parallel workers; a CLI and a test may start
 * together): the first process takes a lock directory, generates into a temporary directory and
 * renames it into place; the others wait for it.
 *
 * Location: $DVID_DESK_DEMO_DATA, else the per-user cache folder (~/.cache/dvid-desk/demo-dataset on
 * Linux, ~/Library/Caches/dvid-desk/demo-dataset on macOS, %LOCALAPPDATA%\dvid-desk\demo-dataset on
 * Windows); inside it one directory per datasetKey() (generator version, seed, size). It is a cache:
 * deleting it only costs a regeneration.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, type Progress } from './generate';
import { datasetKey, type DatasetParams } from './presets';
import { loadDataset, type Dataset } from './store';

export function defaultDemoDataRoot(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.DVID_DESK_DEMO_DATA) return env.DVID_DESK_DEMO_DATA;
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'dvid-desk', 'demo-dataset');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'dvid-desk', 'demo-dataset');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'dvid-desk', 'demo-dataset');
}

const loaded = new Map<string, Dataset>();
const COMPLETE = 'complete.json';
const STALE_LOCK_MS = 60 * 60_000;

function lockIsStale(lock: string): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')) as { pid: number; host: string };
    if (owner.host === process.env.HOSTNAME || !process.env.HOSTNAME) {
      try {
        process.kill(owner.pid, 0);
      } catch {
        return true; // its owner is gone
      }
    }
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  } catch {
    // No owner file yet: a lock younger than a minute is being set up.
    try {
      return Date.now() - statSync(lock).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
}

export interface EnsureOptions {
  root?: string;
  onProgress?: Progress;
}

/** The dataset for these parameters: from this process's memory, the disk cache, or generated now. */
export async function ensureDataset(params: DatasetParams, opts: EnsureOptions = {}): Promise<Dataset> {
  const root = opts.root ?? defaultDemoDataRoot();
  const dir = join(root, datasetKey(params));
  const memo = loaded.get(dir);
  if (memo) return memo;
  mkdirSync(root, { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(join(dir, COMPLETE))) break;
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {
      if (lockIsStale(lock)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (mine) {
      try {
        writeFileSync(join(lock, 'owner.json'), JSON.stringify({ pid: process.pid, host: process.env.HOSTNAME ?? '' }));
        if (!existsSync(join(dir, COMPLETE))) {
          const tmp = `${dir}.tmp-${process.pid}`;
          rmSync(tmp, { recursive: true, force: true });
          const { stats } = await generateDataset(params, tmp, { onProgress: opts.onProgress });
          writeFileSync(join(tmp, COMPLETE), JSON.stringify({ stats }));
          rmSync(dir, { recursive: true, force: true });
          renameSync(tmp, dir);
        }
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
  }
  const ds = loadDataset(dir);
  loaded.set(dir, ds);
  return ds;
}

/** Generation statistics recorded next to a cached dataset (timings in ms, per stage). */
export function generationStats(ds: Dataset): Record<string, number> {
  try {
    return (JSON.parse(readFileSync(join(ds.dir, COMPLETE), 'utf8')) as { stats: Record<string, number> }).stats;
  } catch {
    return {};
  }
}
