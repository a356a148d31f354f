/**
 * The demo DVID as its own process, started the way a user does (`dvid-desk demo-server --small`),
 * so an e2e test can stop it mid-session (the app then runs offline) and start it again on the same
 * port. Uses the tests' generated small dataset (.cache/demo-dataset).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { assertBuilt, BIN, PROJECT_DIR } from './built-app';
import { DEMO_DATA_ROOT } from './demo-paths';

export interface DemoProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startDemoProcess(port = 0, timeoutMs = 60_000): Promise<DemoProcess> {
  assertBuilt();
  const proc = spawn(process.execPath, [BIN, 'demo-server', '--small', '--data', DEMO_DATA_ROOT, '--port', String(port)], { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo server printed no URL within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo server exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
