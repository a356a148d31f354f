/** The built command, spawned as a user runs it: `node bin/dvid-desk.mjs inspect …` (npm test builds first). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, PROJECT_DIR } from '../../support/built-app';

const fixtures = join(PROJECT_DIR, 'test', 'fixtures', 'files');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: PROJECT_DIR, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dvid-desk inspect (built CLI)', () => {
  beforeAll(() => assertBuilt());

  it('prints one JSON line per file, Draco included (wasm loads from the build)', () => {
    const r = run(['inspect', join(fixtures, 'neutu.swc'), join(fixtures, 'bunny.drc'), join(fixtures, 'cube_binary_le.ply')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ format: 'swc', nodes: 4, roots: 1, cableLength: 17, mutationId: '1000009350' });
    expect(lines[1]).toMatchObject({ format: 'draco', vertices: 34834, triangles: 69451 });
    expect(lines[2]).toMatchObject({ format: 'ply', vertices: 8, triangles: 12 });
  });

  it('exits 1 with the FormatError on stderr, still printing the good file; a bad --as is a usage error (2)', () => {
    const r = run(['inspect', '--as', 'ngmesh', join(fixtures, 'cube.obj'), join(fixtures, 'cube.ngmesh')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cube\.obj: ngmesh: vertex count \d+ needs \d+ bytes but the mesh has 346 \(at byte 0\)/);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ format: 'ngmesh', triangles: 12 });
    const usage = run(['inspect', '--as', 'xyz', join(fixtures, 'cube.obj')]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--as xyz: unknown format/);
  });
});
