/** Builds small caches for tests: a repo with two nodes, one instance of each type, and rows in every table. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cache } from '../../main/cache/index';

export const ROOT_UUID = '28841c8277e044a7b187dda03e18da13';
export const CHILD_UUID = '7f0c9d2a5b6e4c1d8e9f0a1b2c3d4e5f';

export function tempDir(prefix = 'dvid-desk-cache-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Ids {
  root: number;
  child: number;
  seg: number;
  syn: number;
  kv: number;
  ann: number;
  roi: number;
  lsz: number;
  fetch: number;
}

/** Saves the repo DAG and instances; returns the local ids. Call on a writable cache. */
export function seedRepo(cache: Cache): Ids {
  return cache.write(() => {
    cache.setInfo('server_url', 'http://dvid.example.org:8000');
    cache.repo.save({
      rootUuid: ROOT_UUID,
      alias: 'mini',
      description: 'test repo',
      mutationId: 1_000_012_345n,
      properties: {},
      log: [],
      nodes: [
        { uuid: ROOT_UUID, versionId: 1, branch: '', locked: true, note: 'root', log: [], parents: [], children: [CHILD_UUID], created: null, updated: null },
        { uuid: CHILD_UUID, versionId: 2, branch: '', locked: false, note: null, log: [], parents: [ROOT_UUID], children: [], created: null, updated: null },
      ],
      instances: [
        { name: 'segmentation', type: 'labelmap', dataUuid: 'a'.repeat(32) },
        { name: 'synapses', type: 'annotation', dataUuid: 'b'.repeat(32) },
        { name: 'segmentation_meshes', type: 'keyvalue', dataUuid: 'c'.repeat(32) },
        { name: 'segmentation_annotations', type: 'keyvalue', dataUuid: 'd'.repeat(32) },
        { name: 'EB', type: 'roi', dataUuid: 'e'.repeat(32) },
        { name: 'synapses_labelsz', type: 'labelsz', dataUuid: 'f'.repeat(32) },
      ],
    });
    const id = (n: string) => cache.repo.instance(n)!.id;
    const root = cache.repo.node(ROOT_UUID)!.id;
    const child = cache.repo.node(CHILD_UUID)!.id;
    const fetch = cache.fetches!.record({ jobId: null, instanceId: null, nodeId: root, request: 'GET /api/repo/info', mutationId: 1_000_012_345n });
    return { root, child, seg: id('segmentation'), syn: id('synapses'), kv: id('segmentation_meshes'), ann: id('segmentation_annotations'), roi: id('EB'), lsz: id('synapses_labelsz'), fetch };
  });
}

/** Puts at least one row in every data table, and one large kv value as a blob file. */
export function seedData(cache: Cache, ids: Ids): void {
  const big = Buffer.alloc(100_000, 7);
  big.write('BLOBMARKER', 5000);
  const meshValue = cache.kv.prepare(big);
  const annText = '{"bodyid": 18446744073709551615, "type": "EPG", "instance": "EPG(PB08)_L4", "status": "Traced", "comment": "ROWMARKER-1234"}';
  const annValue = cache.kv.prepare(Buffer.from(annText));
  cache.write(() => {
    const f = ids.fetch;
    cache.infos.put(ids.seg, ids.root, '{"Base":{"TypeName":"labelmap"}}', f);
    const data = Buffer.alloc(24);
    data.writeUInt32LE(8, 0);
    data.writeUInt32LE(8, 4);
    data.writeUInt32LE(8, 8);
    data.writeUInt32LE(1, 12);
    data.writeBigUInt64LE(2n ** 63n + 5n, 16);
    const hash = Buffer.from(createHashHex(data), 'hex');
    const labels = Buffer.alloc(12);
    labels.writeBigUInt64LE(2n ** 63n + 5n, 0);
    labels.writeUInt32LE(64 ** 3, 8);
    cache.blocks.putContent({ hash, data, gx: 8, gy: 8, gz: 8, labels, labelCount: 1 });
    const k = { instanceId: ids.seg, nodeId: ids.root, scale: 0, supervoxels: true };
    cache.blocks.putBlock(k, [1, 2, 3], hash, f);
    cache.blocks.putBlock(k, [-1, 2, 3], null, f);
    cache.svMap.put(ids.seg, ids.root, 2n ** 63n + 5n, 2n ** 64n - 1n, f);
    cache.elements.putBlock(
      ids.syn,
      ids.root,
      [0, 0, 0],
      64,
      [
        { pos: [11, 21, 31], kind: 'PostSyn', tags: ['t'], prop: {}, rels: [{ rel: 'PostSynTo', to: [10, 20, 30] }] },
        { pos: [10, 20, 30], kind: 'PreSyn', tags: [], prop: { conf: '0.9' }, rels: [{ rel: 'PreSynTo', to: [11, 21, 31] }] },
      ],
      true,
      f,
    );
    cache.elements.putSupervoxels(ids.syn, ids.root, [0, 0, 0], ids.seg, BigUint64Array.of(2n ** 63n + 5n, 7n), f);
    cache.kv.put(ids.kv, ids.root, '18446744073709551615.ngmesh', meshValue, { body: 2n ** 64n - 1n, format: 'ngmesh', mutationId: null }, f);
    cache.kv.put(ids.ann, ids.root, '18446744073709551615', annValue, { body: 2n ** 64n - 1n, format: 'json', mutationId: null }, f);
    cache.bodyAnnotations.put(ids.ann, ids.root, 2n ** 64n - 1n, {
      status: 'Traced', type: 'EPG', instance: 'EPG(PB08)_L4', class: null, user: null, comment: 'ROWMARKER-1234', description: null, notes: null,
      primary_neurite: null, status_user: null, instance_user: null, last_modified_by: null, soma_side: null, superclass: null, neurotransmitter: null, hemilineage: null, grp: null,
    }, f);
    cache.rois.put(ids.roi, ids.root, 32, [[1, 2, 3, 5], [1, 3, 0, 0]], f);
    cache.labelsz.replaceIndex(ids.lsz, ids.root, 'PreSyn', [{ label: 2n ** 64n - 1n, count: 81 }, { label: 188n, count: 12 }], f);
    const job = cache.jobs.create({ nodeId: ids.root, planKey: 'k', plan: '{}', mutationId: null }, [
      { seq: 0, instanceId: ids.seg, kind: 'blocks', spec: '{}', phase: 1, estItems: 1, estBytes: 100 },
    ]);
    cache.jobs.addFailure({ jobId: job.id, seq: 0, attempt: 1, subject: 'block 1,2,3', error: 'boom', at: 1 });
  });
}

function createHashHex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function openTemp(): { cache: Cache; dir: string; cleanup: () => void } {
  const t = tempDir();
  const cache = Cache.open(t.dir);
  return {
    cache,
    dir: t.dir,
    cleanup: () => {
      if (!cache.db.closed) cache.close();
      t.cleanup();
    },
  };
}
