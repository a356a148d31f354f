/**
 * `dvid-desk demo-server` as a user runs it, from the build: the URL is the first line of output,
 * it binds 127.0.0.1 only, serves the dataset, applies --faults FILE, and stops on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { assertBuilt, BIN, PROJECT_DIR } from '../../support/built-app';
import { http } from '../../support/demo';

function run(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, 'demo-server', ...args], { cwd: PROJECT_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => resolve({ code, err }));
  });
}

describe('dvid-desk demo-server', () => {
  it('prints its URL first, serves on 127.0.0.1 with the given faults (and without jsonstore), and stops on SIGTERM', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'dd-demo-cli-'));
    const faults = join(dir, 'faults.json');
    writeFileSync(faults, JSON.stringify([{ path: '/api/node/*/segmentation/maxlabel', kind: 'status', status: 503, times: 1 }]));
    const proc = spawn(process.execPath, [BIN, 'demo-server', '--small', '--port', '0', '--faults', faults, '--no-jsonstore'], { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no output; ${lines.join('\n')}`)), 60_000);
      createInterface({ input: proc.stdout! }).on('line', (l) => {
        lines.push(l);
        if (lines.length === 1) {
          clearTimeout(timer);
          resolve(l);
        }
      });
      proc.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    try {
      expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const info = JSON.parse((await http(first, '/api/server/info')).text) as Record<string, string>;
      expect(info['DVID Version']).toContain('demo');
      const repos = JSON.parse((await http(first, '/api/repos/info')).text) as Record<string, { DAG: { Nodes: Record<string, { Locked: boolean }> } }>;
      const open = Object.entries(Object.values(repos)[0]!.DAG.Nodes).find(([, n]) => !n.Locked)![0];
      expect((await http(first, `/api/node/${open}/segmentation/maxlabel`)).status).toBe(503);
      expect((await http(first, `/api/node/${open}/segmentation/maxlabel`)).status).toBe(200);
      const log = await http(first, `/api/node/${open}/segmentation/mutations`);
      expect(log.status).toBe(400);
      expect(log.text).toContain('no jsonstore configured in [mutations] section of TOML config');
      expect(lines.join('\n')).toContain('No [mutations] jsonstore');
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        proc.once('exit', (c) => resolve(c));
        proc.kill('SIGTERM');
      });
      expect(code).toBe(0);
    }
  });

  it('refuses bad options with a usage error', async () => {
    assertBuilt();
    expect(await run(['--size', '100'])).toMatchObject({ code: 2, err: expect.stringContaining('multiple of 64') });
    expect(await run(['--small', '--size', '1024'])).toMatchObject({ code: 2 });
  });
});
