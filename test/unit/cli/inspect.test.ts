import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseInspector, inspectorByName, runInspect } from '../../../main/cli/inspect';
import { inspectors } from '../../../main/cli/inspect/registry';
import { UsageError } from '../../../main/cli/options';
import { FIXTURES, fixture } from '../formats/helpers';

async function inspect(files: string[], as?: string): Promise<{ status: number; out: Array<Record<string, unknown>>; err: string[] }> {
  const out: Array<Record<string, unknown>> = [];
  const err: string[] = [];
  const status = await runInspect(files, as === undefined ? {} : { as }, { out: (l) => out.push(JSON.parse(l) as Record<string, unknown>), err: (l) => err.push(l) });
  return { status, out, err };
}

const f = (name: string): string => join(FIXTURES, name);
const CUBE_BOUNDS = { min: [10, -3, 100], max: [12, -1, 102] };

describe('dvid-desk inspect', () => {
  it('SWC: node count, roots, components, cable length, bounds, soma nodes, mutation id as a string', async () => {
    const { status, out, err } = await inspect([f('neutu.swc'), f('wild.swc')]);
    expect(err).toEqual([]);
    expect(status).toBe(0);
    expect(out[0]).toMatchObject({ file: f('neutu.swc'), format: 'swc', nodes: 4, roots: 1, components: 1, cableLength: 17, somaNodes: 1, mutationId: '1000009350', bounds: { min: [100, 200, 300], max: [103, 204, 312] } });
    expect(out[1]).toMatchObject({ format: 'swc', nodes: 6, roots: 3, components: 3, cableLength: 20, somaNodes: 1, mutationId: null });
  });

  it.each([
    ['cube.ngmesh', 'ngmesh'],
    ['cube.obj', 'obj'],
    ['cube_ascii.ply', 'ply'],
    ['cube_binary_be.ply', 'ply'],
  ])('%s: vertex and triangle counts and bounds', async (name, format) => {
    const { status, out } = await inspect([f(name)]);
    expect(status).toBe(0);
    expect(out[0]).toMatchObject({ format, vertices: 8, triangles: 12, degenerateTriangles: 0, bounds: CUBE_BOUNDS });
  });

  it('Draco, sparsevol and tar', async () => {
    const { status, out } = await inspect([f('bunny.drc'), f('body.rles'), f('keys_gnu.tar')]);
    expect(status).toBe(0);
    expect(out[0]).toMatchObject({ format: 'draco', vertices: 34834, triangles: 69451 });
    expect(out[1]).toMatchObject({ format: 'sparsevol', runs: 4, voxels: 16, bounds: { min: [-7, -1, -2], max: [2147483646, 20, 30] } });
    expect(out[2]).toMatchObject({ format: 'tar', entries: 7, bytes: 15 + 512 + 513 + 16 + 34 + 13 });
  });

  it('without a telling extension the content decides', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-inspect-'));
    const names = ['cube.ngmesh', 'cube.obj', 'cube_binary_le.ply', 'bunny.drc', 'neutu.swc', 'wild.swc', 'body.rles', 'keys_pax.tar'];
    const plain = names.map((n, i) => {
      const p = join(dir, `blob${i}`);
      copyFileSync(f(n), p);
      return p;
    });
    const { status, out } = await inspect(plain);
    expect(status).toBe(0);
    expect(out.map((o) => o['format'])).toEqual(['ngmesh', 'obj', 'ply', 'draco', 'swc', 'swc', 'sparsevol', 'tar']);
  });

  it('the extension wins over the content; --as wins over both (and takes an extension: drc)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-inspect-'));
    const liar = join(dir, 'mesh.swc');
    copyFileSync(f('cube.obj'), liar);
    const wrong = await inspect([liar]);
    expect(wrong.status).toBe(1);
    expect(wrong.err[0]).toMatch(/^dvid-desk inspect: .*mesh\.swc: swc: line 2: 2 fields, expected 7/);
    const forced = await inspect([liar], 'obj');
    expect(forced.out[0]).toMatchObject({ format: 'obj', triangles: 12 });
    expect(inspectorByName('drc').name).toBe('draco');
    expect(inspectorByName('.SWC').name).toBe('swc');
    expect(() => inspectorByName('nope')).toThrow(UsageError);
    expect(chooseInspector('x.PLY', new Uint8Array(0))?.name).toBe('ply');
  });

  it('unreadable input: the FormatError on stderr, exit status 1, and the other files are still inspected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dd-inspect-'));
    const broken = join(dir, 'broken.ngmesh');
    const bytes = fixture('cube.ngmesh');
    writeFileSync(broken, bytes.subarray(0, bytes.length - 5));
    const unknown = join(dir, 'mystery.bin');
    writeFileSync(unknown, new Uint8Array([1, 2, 3]));
    const { status, out, err } = await inspect([broken, f('cube.ngmesh'), join(dir, 'missing.swc'), unknown]);
    expect(status).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ format: 'ngmesh', triangles: 12 });
    expect(err).toHaveLength(3);
    expect(err[0]).toBe(`dvid-desk inspect: ${broken}: ngmesh: 139 bytes after the vertices is not a whole number of triangles (12 bytes each) (at byte 100)`);
    expect(err[1]).toMatch(/missing\.swc: ENOENT/);
    expect(err[2]).toMatch(/mystery\.bin: unknown format/);
  });

  it('every registered inspector has a unique name and lowercase dotted extensions', () => {
    expect(new Set(inspectors.map((i) => i.name)).size).toBe(inspectors.length);
    for (const i of inspectors) for (const e of i.extensions) expect(e).toMatch(/^\.[a-z0-9.]+$/);
  });
});
