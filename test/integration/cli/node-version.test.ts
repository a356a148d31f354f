import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../../support/built-app';

// better-sqlite3 13 segfaults on Node 20: the command must refuse older Nodes in one line, before loading anything.
const EXPECTED = /^dvid-desk needs Node 22 or newer \(this is v20\.\d+\.\d+; better-sqlite3 would crash\): run it as "npx dvid-desk"/;

describe('dvid-desk on an old Node', () => {
  it('refuses in one line with exit status 1 (Node 24 posing as 20.20.2 through a preload stand-in)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-oldnode-'));
    const pose = join(dir, 'pose-as-node20.mjs');
    writeFileSync(pose, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } });\n");
    const r = spawnSync(process.execPath, ['--import', pose, BIN, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(EXPECTED);
  });

  // The real thing where the machine has it (Debian's system Node is 20 on the CI machines).
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p) && spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.startsWith('20.'));
  it.runIf(systemNode)(`refuses on the system's real Node 20 (${systemNode ?? 'none here'})`, () => {
    const r = spawnSync(systemNode!, [BIN, 'web'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(EXPECTED);
  });
});
