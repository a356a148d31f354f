/** The block commands as a user runs them: the built `dvid-desk` in a child process. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, BIN, PROJECT_DIR } from '../support/built-app';
import { GOLDEN_DIR, goldenFile, goldenRaw } from '../support/golden';

function dvidDesk(...args: string[]) {
  assertBuilt();
  return spawnSync(process.execPath, [BIN, ...args], { cwd: PROJECT_DIR, encoding: 'utf8', timeout: 60_000 });
}

describe('dvid-desk decode-block / encode-block', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dd-cli-blocks-'));

  it('decode-block of a gzipped /blocks payload writes the raw voxels; encode-block writes the canonical block', () => {
    const raw = join(dir, 'checker.u64');
    const dec = dvidDesk('decode-block', join(GOLDEN_DIR, 'two_labels_checker.dvidblk.gz'), raw);
    expect(dec.stderr).toBe('');
    expect(dec.status).toBe(0);
    expect(Buffer.from(readFileSync(raw)).equals(Buffer.from(goldenRaw('two_labels_checker')))).toBe(true);

    const blk = join(dir, 'checker.dvidblk');
    const enc = dvidDesk('encode-block', raw, blk, '--shape', '64,64,64');
    expect(enc.status).toBe(0);
    expect(Buffer.from(readFileSync(blk)).equals(Buffer.from(goldenFile('two_labels_checker.canonical.dvidblk')))).toBe(true);
  });

  it('unreadable input: the FormatError on stderr and exit status 1; bad usage: status 2', () => {
    const bad = join(dir, 'bad.dvidblk');
    writeFileSync(bad, Uint8Array.of(2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0));
    const r = dvidDesk('decode-block', bad, join(dir, 'out.u64'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/label-block: label table is empty \(N = 0\) \(at byte 12\)/);
    const u = dvidDesk('encode-block', bad, join(dir, 'o'), '--shape', '64,64');
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/--shape/);
  });
});
