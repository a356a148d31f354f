/**
 * Starts the app exactly as a user does, from the build `npm test` just made: `node bin/dvid-desk.mjs
 * <command> ...` in a child process, and reads the URL from its first line of output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const PROJECT_DIR = join(import.meta.dirname, '..', '..');
export const BIN = join(PROJECT_DIR, 'bin', 'dvid-desk.mjs');

export interface RunningApp {
  url: string;
  origin: string;
  token: string;
  cacheDir: string;
  /** Every stdout line so far (the first lines include the URL). */
  lines: string[];
  proc: ChildProcess;
  stop(): Promise<void>;
}

export function assertBuilt(): void {
  if (!existsSync(join(PROJECT_DIR, 'out', 'main', 'cli.js')) || !existsSync(join(PROJECT_DIR, 'out', 'renderer', 'index.html'))) {
    throw new Error('the app is not built: run "npm run build" (npm test does it before the suites)');
  }
}

export async function startBuiltApp(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<RunningApp> {
  assertBuilt();
  const cacheDir = mkdtempSync(join(tmpdir(), 'dd-cache-'));
  const fullArgs = args.includes('--cache') ? args : [...args, '--cache', cacheDir];
  const proc = spawn(process.execPath, [BIN, ...fullArgs], { cwd: PROJECT_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within ${timeoutMs} ms; stdout: ${lines.join('\n')}; stderr: ${stderr}`)), timeoutMs);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dvid-desk exited with ${code} before printing its URL; stdout: ${lines.join('\n')}; stderr: ${stderr}`));
    });
  });
  return {
    url,
    origin: url.slice(0, url.indexOf('/#')),
    token: url.slice(url.indexOf('token=') + 6),
    cacheDir,
    lines,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
