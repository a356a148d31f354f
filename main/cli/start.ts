/** `dvid-desk start`: the Electron window, or browser mode when no Electron binary can be had in time. */
import { spawn } from 'node:child_process';
import { findElectron } from '../electron-binary';
import { ELECTRON_ENTRY } from '../locations';
import { resolveToken, type LaunchOptions } from './options';
import { runWeb } from './web';

const DEFAULT_TIMEOUT_MS = 60_000;

export async function runStart(opts: LaunchOptions): Promise<number> {
  const timeoutMs = Number(process.env.DVID_DESK_ELECTRON_TIMEOUT_MS) || DEFAULT_TIMEOUT_MS;
  const electron = await findElectron(timeoutMs);
  if (!electron.ok) {
    console.log(`Electron is not available (${electron.reason}); starting browser mode instead.`);
    return runWeb(opts);
  }
  const token = resolveToken(opts.token);
  const args = [ELECTRON_ENTRY];
  if (opts.cache) args.push('--cache', opts.cache);
  if (opts.server) args.push('--server', opts.server);
  // The token goes to Electron through its environment, never its argv (visible to other users in ps).
  const env = token ? { ...process.env, DVID_TOKEN: token } : process.env;
  const child = spawn(electron.binary, args, { stdio: 'inherit', env });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}
