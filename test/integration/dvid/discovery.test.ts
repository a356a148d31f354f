import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DvidBadRequestError, DvidNotFoundError } from '../../../main/dvid/errors';
import { DvidArgumentError } from '../../../main/dvid/paths';
import type { InstanceInfo } from '../../../main/dvid/repo';
import { startDemoFixture, type DemoFixture } from '../../support/dvid-demo';

function labelmapInfo(info: InstanceInfo) {
  if (info.type !== 'labelmap') throw new Error(`expected a labelmap, got ${info.type}`);
  return info;
}

let fx: DemoFixture;
beforeAll(async () => {
  fx = await startDemoFixture();
});
afterAll(async () => {
  await fx?.close();
});

describe('discovery against the demo DVID', () => {
  it('reads server info as strings', async () => {
    const info = await fx.client().repos.serverInfo();
    expect(info['DVID Version']).toEqual(expect.any(String));
    expect(Object.values(info).every((v) => typeof v === 'string')).toBe(true);
  });

  it('reads the repo DAG with VersionIDs mapped to UUIDs', async () => {
    const repo = await fx.client().repos.repoInfo(fx.child.slice(0, 6));
    expect(repo.root).toBe(fx.root);
    const root = repo.nodes.get(fx.root)!;
    const child = repo.nodes.get(fx.child)!;
    expect(root).toMatchObject({ locked: true, parents: [], children: [fx.child], branch: '' });
    expect(child).toMatchObject({ locked: false, parents: [fx.root], children: [] });
    // VersionIDs are kept only as facts; every link is a UUID.
    expect([...repo.nodes.values()].flatMap((n) => [...n.parents, ...n.children]).every((u) => repo.nodes.has(u))).toBe(true);
  });

  it('reads instance info per datatype, through names that need percent-encoding', async () => {
    const c = fx.client();
    const repo = await c.repos.repoInfo(fx.root);
    const seg = labelmapInfo(await c.repos.instanceInfo(fx.child, 'segmentation', { dag: repo }));
    expect(seg.extended.blockSize).toEqual([64, 64, 64]);
    expect(seg.extended.voxelSize.every((v) => v > 0)).toBe(true);
    expect(seg.extended.maxDownresLevel).toBe(3);
    expect(seg.extended.indexedLabels).toBe(true);
    for (const u of seg.extended.maxLabel.keys()) expect(repo.nodes.has(u)).toBe(true);

    const rois = [...repo.instances.entries()].filter(([, i]) => i.type === 'roi').map(([n]) => n);
    expect(rois).toEqual(expect.arrayContaining(['AB(L)', "a'L(R)", 'EB']));
    for (const name of ['AB(L)', "a'L(R)"]) {
      const info = await c.roi(fx.child, name).info();
      expect(info).toMatchObject({ type: 'roi', base: { name }, extended: { blockSize: [32, 32, 32] } });
    }
    expect(await c.labelsz(fx.child, 'synapses_labelsz').info()).toMatchObject({ type: 'labelsz' });
    expect(await c.annotation(fx.child, 'synapses').info()).toMatchObject({ type: 'annotation' });
    expect(await c.keyvalue(fx.child, 'segmentation_meshes').info()).toMatchObject({ type: 'keyvalue' });
  });

  it('resolves prefixes and branches to full UUIDs once', async () => {
    const repos = fx.client().repos;
    expect((await repos.resolve(fx.root.slice(0, 8))).uuid).toBe(fx.root);
    expect((await repos.resolve(`${fx.root.slice(0, 8)}:master`)).uuid).toBe(fx.child);
    expect((await repos.resolve(':master')).uuid).toBe(fx.child);
    expect((await repos.resolve(fx.child.toUpperCase())).uuid).toBe(fx.child);
    expect((await repos.branchVersions(fx.child, 'master'))).toEqual([fx.child, fx.root]);
    expect(await repos.nodeLocked(fx.root)).toBe(true);
    expect(await repos.nodeLocked(fx.child)).toBe(false);
  });

  it('reports unknown and ambiguous references with typed errors', async () => {
    const repos = fx.client().repos;
    const unused = [...'0123456789abcdef'].find((h) => !fx.root.startsWith(h) && !fx.child.startsWith(h))!;
    await expect(repos.resolve(`${unused}${unused}${unused}`)).rejects.toThrow(DvidNotFoundError);
    await expect(repos.resolve(`${fx.root.slice(0, 6)}:nobranch`)).rejects.toThrow(DvidNotFoundError);
    let shared = 0;
    while (fx.root[shared] === fx.child[shared]) shared++;
    // A prefix both nodes share is ambiguous (400 "more than one UUID matches"); with no shared prefix, use a non-hex one.
    await expect(repos.resolve(fx.root.slice(0, shared) || 'x')).rejects.toThrow(shared ? DvidBadRequestError : DvidArgumentError);
    await expect(fx.client().labelmap(fx.child, 'no such instance').info()).rejects.toThrow(DvidNotFoundError);
  });
});
