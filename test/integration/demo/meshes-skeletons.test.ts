/**
 * Meshes and skeletons lie inside their bodies, checked against the served voxels: every mesh
 * vertex sits in a cell of scale-3 voxels (what the meshes are made from) with a corner in the
 * body; every skeleton node's voxel belongs to the body; skeletons carry NeuTu's mutation-id header
 * matching /lastmod. Both versions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKeyValues } from '../../../main/formats/kv-protobuf';
import { meshBounds } from '../../../main/formats/mesh';
import { decodeNgmesh } from '../../../main/formats/ngmesh';
import { parseSwc } from '../../../main/formats/swc';
import type { DemoServer } from '../../../main/demo/index';
import { http, json, startSmallDemo } from '../../support/demo';
import { decodeGz, fetchBlocks, key, volumeReader, type DecodedBlock } from '../../support/demo-blocks';

let demo: DemoServer;

beforeAll(async () => {
  demo = await startSmallDemo();
}, 60_000);

afterAll(async () => {
  await demo?.close();
});

async function voxels(uuid: string, scale: number): Promise<(x: number, y: number, z: number) => bigint> {
  const n = demo.truth.params.size >> scale;
  const m = new Map<string, DecodedBlock>();
  for (const b of await fetchBlocks(demo.url, `/api/node/${uuid}/segmentation/blocks/${n}_${n}_${n}/0_0_0?compression=blocks&scale=${scale}`)) m.set(key(b.bx, b.by, b.bz), decodeGz(b));
  return volumeReader(m);
}

describe.each([
  ['root', 0],
  ['child', 1],
] as const)('at the %s node', (_name, v) => {
  it('every neuron body has a mesh and a skeleton, and only those keys exist', async () => {
    const uuid = v === 0 ? demo.uuids.root : demo.uuids.child;
    const meshes = (await json<string[]>(demo.url, `/api/node/${uuid}/segmentation_meshes/keys`)).map((k) => k.replace(/\.ngmesh$/, ''));
    const skels = (await json<string[]>(demo.url, `/api/node/${uuid}/segmentation_skeletons/keys`)).map((k) => k.replace(/_swc$/, ''));
    expect(new Set(meshes)).toEqual(new Set(skels));
    expect(new Set(meshes)).toEqual(new Set(demo.truth.neuronBodies(v).map(String)));
  });

  it('mesh vertices lie within one scale-3 cell of their body', async () => {
    const uuid = v === 0 ? demo.uuids.root : demo.uuids.child;
    const coarse = await voxels(uuid, 3);
    const kvs = decodeKeyValues((await http(demo.url, `/api/node/${uuid}/segmentation_meshes/keyrangevalues/0/9~`)).body);
    expect(kvs.length).toBeGreaterThan(10);
    for (const kv of kvs) {
      const body = BigInt(kv.key.replace('.ngmesh', ''));
      const mesh = decodeNgmesh(kv.value!);
      expect(mesh.faces.length).toBeGreaterThan(0);
      const size = await json<{ minvoxel: number[]; maxvoxel: number[] }>(demo.url, `/api/node/${uuid}/segmentation/sparsevol-size/${body}`);
      const b = meshBounds(mesh);
      for (let k = 0; k < 3; k++) {
        expect(b.min[k]! / 8).toBeGreaterThanOrEqual(size.minvoxel[k]! - 8);
        expect(b.max[k]! / 8).toBeLessThanOrEqual(size.maxvoxel[k]! + 1 + 8);
      }
      for (let i = 0; i < mesh.vertices.length; i += 3 * 5) {
        // nm → voxels → scale-3 cell coordinates (cell corners are scale-3 voxel centres).
        const q = [0, 1, 2].map((k) => mesh.vertices[i + k]! / 8 / 8 - 0.5);
        const c = q.map(Math.floor) as [number, number, number];
        let hit = false;
        for (let d = 0; d < 8 && !hit; d++) hit = coarse(c[0] + (d & 1), c[1] + ((d >> 1) & 1), c[2] + (d >> 2)) === body;
        if (!hit) throw new Error(`vertex ${i / 3} of ${kv.key} at ${q.join(',')} is not next to body ${body}`);
      }
    }
  }, 120_000);

  it('skeleton nodes lie in their body, and the header mutation id is the body\'s lastmod', async () => {
    const uuid = v === 0 ? demo.uuids.root : demo.uuids.child;
    const fine = await voxels(uuid, 0);
    const kvs = decodeKeyValues((await http(demo.url, `/api/node/${uuid}/segmentation_skeletons/keyrangevalues/0/9~`)).body);
    for (const kv of kvs) {
      const body = BigInt(kv.key.replace('_swc', ''));
      const skel = parseSwc(new TextDecoder().decode(kv.value!));
      expect(skel.nodes.length).toBeGreaterThan(3);
      const lm = await json<Record<string, number>>(demo.url, `/api/node/${uuid}/segmentation/lastmod/${body}`);
      expect(skel.mutationId).toBe(BigInt(lm['mutation id']!));
      const ids = new Set(skel.nodes.map((n) => n.id));
      for (const n of skel.nodes) {
        expect(n.parent === -1n || ids.has(n.parent)).toBe(true);
        expect(fine(Math.floor(n.x), Math.floor(n.y), Math.floor(n.z))).toBe(body);
      }
    }
  }, 120_000);
});
