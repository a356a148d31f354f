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
