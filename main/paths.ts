/**
 * Where things live on disk. Electron, browser mode and the CLI all resolve the cache root with
 * resolveCacheRoot(), so the three never disagree.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface CacheRootInput {
  /** --cache DIR */
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/**
 * The per-user application data folder, as Electron's app.getPath('appData') defines it, plus
 * "dvid-desk". Precedence: --cache, then DVID_DESK_HOME, then the OS default.
 */
export function resolveCacheRoot(input: CacheRootInput = {}): string {
  const env = input.env ?? process.env;
  if (input.flag) return resolve(input.flag);
  if (env.DVID_DESK_HOME) return resolve(env.DVID_DESK_HOME);
  const platform = input.platform ?? process.platform;
  const home = input.home ?? homedir();
  switch (platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'dvid-desk');
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'dvid-desk');
    default:
      return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'dvid-desk');
  }
}

export interface CacheServerRef {
  /** Base URL of the DVID server. */
  url: string;
  /** True for the embedded demo server, whose caches live under <root>/demo/. */
  demo?: boolean;
}

/**
 * The folder of one cache: `<root>/<host_port>/<repo root uuid>/` (host_port = the URL's host with
 * ':' → '_', so it is a legal folder name on every OS), or `<root>/demo/<repo root uuid>/` for the
 * demo. One cache per DVID server + repo; every node of the repo lives in it. The CLI, Electron and
 * browser mode all go through this function.
 */
export function cacheDirFor(root: string, server: CacheServerRef, repoRootUuid: string): string {
  if (!/^[0-9a-f]{32}$/i.test(repoRootUuid)) throw new Error(`not a full repo root UUID: "${repoRootUuid.slice(0, 64)}"`);
  const uuid = repoRootUuid.toLowerCase();
  if (server.demo) return join(root, 'demo', uuid);
  let host: string;
  try {
    host = new URL(server.url).host;
  } catch {
    throw new Error(`not a server URL: "${server.url.slice(0, 200)}"`);
  }
  if (!host) throw new Error(`server URL has no host: "${server.url.slice(0, 200)}"`);
  return join(root, host.replace(/:/g, '_').toLowerCase(), uuid);
}
