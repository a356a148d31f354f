import { describe, expect, it } from 'vitest';
import { DvidBadRequestError, DvidNotFoundError } from '../../../../main/dvid/errors';
import { ShapeError } from '../../../../main/dvid/json-read';
import { DvidArgumentError } from '../../../../main/dvid/paths';
import { parseNodeRef, readInstanceInfo, readRepoInfo, resolveInRepo } from '../../../../main/dvid/repo';

const ROOT = 'a0000000000000000000000000000001';
const MID = 'b0000000000000000000000000000002';
const LEAF = 'c0000000000000000000000000000003';
const SIDE = 'c0000000000000000000000000000004';

function node(uuid: string, versionId: number, parents: number[], children: number[], branch = '', locked = true) {
  return { Branch: branch, Note: `node ${versionId}`, Log: null, UUID: uuid, VersionID: versionId, Locked: locked, Parents: parents, Children: children, Created: '2019-06-01T12:00:00.123456789-04:00', Updated: '2019-06-02T12:00:00-04:00' };
}

/** A repo as DVID serialises it: server-local VersionIDs 5, 9, 12, 20 (not 1..n, on purpose). */
const repoJson = {
  Root: ROOT,
  Alias: 'hemibrain',
  Description: 'test',
  Log: ['created'],
  Properties: null,
  DataInstances: {
    segmentation: {
      Base: { TypeName: 'labelmap', TypeURL: 'github.com/janelia-flyem/dvid/datatype/labelmap', TypeVersion: '0.1', DataUUID: 'd1', Name: 'segmentation', RepoUUID: ROOT, Compression: 'gzip compression, level -1', Checksum: 'No checksum', Syncs: ['synapses'], Versioned: true, KVStore: 'x', LogStore: 'y', Tags: {} },
      Extended: {
        Values: [{ DataType: 'uint64', Label: 'labelmap' }], Interpolable: false, BlockSize: [64, 64, 64], VoxelSize: [8, 8, 8], VoxelUnits: ['nanometers', 'nanometers', 'nanometers'],
        MinPoint: [0, 0, 0], MaxPoint: [34431, 39743, 41407], MinIndex: [0, 0, 0], MaxIndex: [537, 620, 646], Background: 0, GridStore: '', ScaleLevel: 0,
        MaxLabel: { '5': 1234, '12': 18446744073709551615n }, MaxRepoLabel: 18446744073709551615n, NextLabel: 0, IndexedLabels: true, MaxDownresLevel: 7,
      },
    },
    "a'L(R)": { Base: { TypeName: 'roi', DataUUID: 'd2', Name: "a'L(R)", Versioned: true }, Extended: { BlockSize: [32, 32, 32], MinZ: 3, MaxZ: 40 } },
    synapses_labelsz: { Base: { TypeName: 'labelsz', DataUUID: 'd3', Name: 'synapses_labelsz', Syncs: null }, Extended: { StaticROI: '' } },
    synapses: { Base: { TypeName: 'annotation', DataUUID: 'd4', Name: 'synapses' }, Extended: {} },
    tiles: { Base: { TypeName: 'imagetile', DataUUID: 'd5', Name: 'tiles' }, Extended: { Levels: {} } },
  },
  DAG: {
    Root: ROOT,
    Nodes: {
      [ROOT]: node(ROOT, 5, [], [9]),
      [MID]: node(MID, 9, [5], [12, 20]),
      [LEAF]: node(LEAF, 12, [9], [], '', false),
      [SIDE]: node(SIDE, 20, [9], [], 'review', false),
    },
  },
  MutationID: 1000012345,
  SavedMutationID: 1000100000,
  Created: '2019-06-01T12:00:00-04:00',
  Updated: '2019-06-02T12:00:00-04:00',
};

describe('readRepoInfo', () => {
  const repo = readRepoInfo(repoJson);

  it('maps DAG VersionIDs to UUIDs', () => {
    expect(repo.root).toBe(ROOT);
    expect(repo.nodes.get(ROOT as never)).toMatchObject({ parents: [], children: [MID], branch: '', locked: true, versionId: 5 });
    expect(repo.nodes.get(MID as never)).toMatchObject({ parents: [ROOT], children: [LEAF, SIDE] });
    expect(repo.nodes.get(SIDE as never)).toMatchObject({ parents: [MID], children: [], branch: 'review', locked: false });
    expect(repo.nodes.get(ROOT as never)!.log).toEqual([]);
    expect(repo.mutationId).toBe(1000012345n);
  });

  it('reads instance info per datatype, MaxLabel keyed by UUID and ids as exact bigints', () => {
    const seg = repo.instances.get('segmentation')!;
    expect(seg.type).toBe('labelmap');
    if (seg.type !== 'labelmap') return;
    expect(seg.extended).toMatchObject({ blockSize: [64, 64, 64], voxelSize: [8, 8, 8], maxDownresLevel: 7, indexedLabels: true, maxRepoLabel: 18446744073709551615n });
    expect(seg.base).toMatchObject({ dataUuid: 'd1', syncs: ['synapses'], compression: 'gzip compression, level -1' });
    expect([...seg.extended.maxLabel]).toEqual([
      [ROOT, 1234n],
      [LEAF, 18446744073709551615n],
    ]);
    expect(repo.instances.get("a'L(R)")).toMatchObject({ type: 'roi', extended: { blockSize: [32, 32, 32], minZ: 3, maxZ: 40 } });
    expect(repo.instances.get('synapses_labelsz')).toMatchObject({ type: 'labelsz', extended: { staticRoi: '' }, base: { syncs: [] } });
    expect(repo.instances.get('synapses')).toMatchObject({ type: 'annotation' });
    expect(repo.instances.get('tiles')).toMatchObject({ type: 'other', base: { typeName: 'imagetile' } });
  });

  it('rejects a DAG that names a VersionID it does not have', () => {
    const broken = structuredClone(repoJson);
    broken.DAG.Nodes[LEAF]!.Parents = [77];
    expect(() => readRepoInfo(broken)).toThrow(ShapeError);
    expect(() => readRepoInfo({ ...repoJson, DAG: { ...repoJson.DAG, Root: LEAF.replace('c', 'f') } })).toThrow(ShapeError);
  });

  it('reads a standalone instance info with its Extents', () => {
    const info = readInstanceInfo({ ...repoJson.DataInstances.segmentation, Extents: { MinPoint: [0, 0, 0], MaxPoint: [63, 63, 63] } });
    expect(info.type === 'labelmap' && info.extended.extents).toEqual({ minPoint: [0, 0, 0], maxPoint: [63, 63, 63] });
    expect(info.type === 'labelmap' && [...info.extended.maxLabelByVersionId]).toEqual([
      [5, 1234n],
      [12, 18446744073709551615n],
    ]);
  });
});

describe('node references', () => {
  const repo = readRepoInfo(repoJson);
  const resolve = (ref: string) => resolveInRepo(repo, parseNodeRef(ref), ref);

  it('parses uuid, prefix, prefix:branch and :branch', () => {
    expect(parseNodeRef('A000')).toEqual({ prefix: 'a000', branch: null });
    expect(parseNodeRef('a0:master')).toEqual({ prefix: 'a0', branch: 'master' });
    expect(parseNodeRef(':review')).toEqual({ prefix: '', branch: 'review' });
    for (const bad of ['', ':', 'xyz', 'a0:']) expect(() => parseNodeRef(bad)).toThrow(DvidArgumentError);
  });

  it('resolves unique prefixes and branch leaves ("" is master)', () => {
    expect(resolve('a0')).toBe(ROOT);
    expect(resolve(MID)).toBe(MID);
    expect(resolve('a0:master')).toBe(LEAF);
    expect(resolve('c:review')).toBe(SIDE);
  });

  it('refuses ambiguous prefixes and unknown branches with typed errors', () => {
    expect(() => resolve('c0')).toThrow(DvidBadRequestError);
    expect(() => resolve('d')).toThrow(DvidNotFoundError);
    expect(() => resolve('a0:nope')).toThrow(DvidNotFoundError);
  });
});
