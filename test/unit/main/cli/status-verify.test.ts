import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../../../main/cache/index';
import { DB_FILE } from '../../../../main/cache/open';
import { runCli } from '../../../../main/cli/program';
import { cacheDirFor } from '../../../../main/paths';
import { ROOT_UUID, seedData, seedRepo, tempDir } from '../../../support/cache-fixture';

const cleanups: Array<() => void> = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) c();
});

/** A cache root holding one seeded cache at its proper place. */
function root(): { root: string; dir: string } {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const dir = cacheDirFor(t.dir, { url: 'http://dvid.example.org:8000' }, ROOT_UUID);
  const cache = Cache.open(dir);
  seedData(cache, seedRepo(cache));
  cache.close();
  return { root: t.dir, dir };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (err += `${a.join(' ')}\n`));
  const code = await runCli(args);
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('dvid-desk status', () => {
  it('lists each cache under the root with what each instance holds per node', async () => {
    const { root: r, dir } = root();
    expect(dir).toBe(join(r, 'dvid.example.org_8000', ROOT_UUID));
    const { code, out } = await cli(['status', '--cache', r]);
    expect(code).toBe(0);
    expect(out).toContain('http://dvid.example.org:8000');
    expect(out).toContain(`repo ${ROOT_UUID} "mini"`);
    expect(out).toMatch(/segmentation\s+labelmap\s+28841c82 locked\s+1 blocks, 1 empty blocks, 1 supervoxels mapped/);
    expect(out).toMatch(/synapses\s+annotation\s+28841c82 locked\s+2 elements, 2 with supervoxel/);
    expect(out).toMatch(/segmentation_annotations\s+keyvalue\s+.*1 keys, \d+ B, 1 body annotations/);
    expect(out).toMatch(/EB\s+roi\s+.*4 ROI blocks/);
  });

  it('answers in JSON with --json and says when there is no cache', async () => {
    const { root: r } = root();
    const { out } = await cli(['status', '--cache', r, '--json']);
    const j = JSON.parse(out) as { caches: Array<{ repo: { mutationId: string }; instances: Array<{ name: string; nodes: Array<{ counts: Record<string, number> }> }> }> };
    expect(j.caches[0]!.repo.mutationId).toBe('1000012345');
    expect(j.caches[0]!.instances.find((i) => i.name === 'synapses_labelsz')!.nodes[0]!.counts).toEqual({ labelszRows: 2 });
    const empty = tempDir();
    cleanups.push(empty.cleanup);
    expect((await cli(['status', '--cache', empty.dir])).out).toMatch(/No caches under/);
  });
});

describe('dvid-desk verify', () => {
  it('exits 0 on a sound cache and 1 on a damaged one, naming the damage and changing nothing', async () => {
    const { root: r, dir } = root();
    let res = await cli(['verify', '--cache', r]);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/OK \(\d+ rows, 1 blobs checked\)/);
    const file = join(dir, DB_FILE);
    const bytes = readFileSync(file);
    const at = bytes.indexOf('ROWMARKER');
    bytes[at]! ^= 0x20;
    writeFileSync(file, bytes);
    res = await cli(['verify', '--cache', dir]);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/DAMAGED/);
    expect(res.out).toMatch(/damaged: (body_annotations|kv_entries): .*18446744073709551615.*checksum mismatch/);
    expect(res.out).toMatch(/Nothing was changed/);
    expect(readFileSync(file)).toEqual(bytes);
  });

  it('rebuild-cache moves a cache aside and keeps it', async () => {
    const { dir } = root();
    const res = await cli(['rebuild-cache', '--cache', dir]);
    expect(res.code).toBe(0);
    const moved = /Moved the cache to (\S+) \(kept\)/.exec(res.out)![1]!;
    // (inside the temp root, removed with it)
    expect(readFileSync(join(moved, DB_FILE)).length).toBeGreaterThan(0);
    expect((await cli(['rebuild-cache', '--cache', dir])).code).toBe(2);
  });
});
