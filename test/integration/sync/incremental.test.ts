/**
 * Incremental and versioned syncs against the demo server (small preset):
 * - an open node re-synced after proofreading (merge, cleave, keyvalue writes and a delete, synapse
 *   edits) fetches only what changed, as the demo's request log shows, and ends equal to a clean full
 *   sync of the same node state (blocks byte for byte, every row exact);
 * - a locked node re-synced makes no data requests, and its spot check reports data changed behind
 *   the lock by a server in full-write mode;
 * - a child node synced after its parent reuses the parent's data, downloads only what its logs say
 *   differs, and both nodes read as a clean sync of each.
 * Each part runs against its own demo server, so one part's writes do not leak into another's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { u64ToDb } from '../../../main/cache/u64';
import { verifyCache } from '../../../main/cache/verify';
import type { DemoServer, LogEntry } from '../../../main/demo/index';
import { DvidClient } from '../../../main/dvid/client';
import type { Uuid } from '../../../main/dvid/paths';
import { readMark } from '../../../main/sync/marks';
import { parseInstanceArg, type InstanceScope } from '../../../main/sync/scope';
import { annotationBlocksAsked, nodeContent, openCache, runSync, startDemo, tempRoot } from '../../support/sync-harness';

const cleanups: Array<() => void> = [];
const demos: DemoServer[] = [];

afterAll(async () => {
  for (const d of demos) await d.close();
  for (const c of cleanups) c();
});

async function newDemo(): Promise<DemoServer> {
  const d = await startDemo();
  demos.push(d);
  return d;
}

const SCOPES = (): InstanceScope[] =>
  ['segmentation', 'synapses', 'synapses_labelsz', 'segmentation_annotations', 'segmentation_skeletons', 'segmentation_todo'].map((s) => parseInstanceArg(s));

const open = openCache;

const since = (demo: DemoServer, n: number): LogEntry[] => demo.log.entries.slice(n);

describe('re-syncing an open node after proofreading', () => {
  it('fetches only what changed and ends equal to a clean full sync', async () => {
    const demo = await newDemo();
    const child = demo.uuids.child as Uuid;
    const root = tempRoot(cleanups);
    const first = await runSync(demo, root, child, SCOPES());
    expect(first.outcome!.state).toBe('done');
    expect(first.plan!.mode).toBe('full');
    let cache = open(demo, root);
    const mark = readMark(cache, child, 'segmentation')!;
    cache.close();
    expect(mark.scope).toBe('all');
    expect(mark.log!.count).toBe(2); // the generated history: a merge and a cleave

    // Proofreading on the open node, through the DVID API.
    const client = new DvidClient({ baseUrl: demo.url });
    const seg = client.labelmap(child, 'segmentation');
    const neurons = demo.truth.neuronBodies(1);
    const [a, b, c] = [neurons[3]!, neurons[5]!, neurons[8]!];
    await seg.merge(a, [b], { user: 'tester', app: 'vitest' });
    const cSvs = await seg.supervoxels(c);
    expect(cSvs.length).toBeGreaterThan(1);
    const cut = cSvs.slice(0, Math.ceil(cSvs.length / 2));
    const { cleavedLabel } = await seg.cleave(c, cut, { user: 'tester' });
    const kv = client.keyvalue(child, 'segmentation_annotations');
    await kv.put(`${a}`, JSON.stringify({ bodyid: Number(a), status: 'Traced', type: 'TestType', user: 'tester' }));
    await kv.put(`${cleavedLabel}`, JSON.stringify({ bodyid: 1, status: 'Orphan' }));
    const skeletonKeys = (await client.keyvalue(child, 'segmentation_skeletons').keys()).filter((k) => k.endsWith('_swc'));
    await client.keyvalue(child, 'segmentation_skeletons').delete(skeletonKeys[0]!);
    // Synapse edits: one PostSyn deleted (its T-bar's relationship goes too), one new T-bar.
    const syn = client.annotation(child, 'synapses');
    const elems = await syn.label(neurons[10]!, { relationships: true });
    const post = elems.find((e) => e.kind === 'PostSyn')!;
    await client.http.send({ method: 'DELETE', path: `/api/node/${child}/synapses/element/${post.pos.join('_')}` }, {});
    const pre = elems.find((e) => e.kind === 'PreSyn')!;
    const moved: [number, number, number] = [pre.pos[0], pre.pos[1], pre.pos[2] + 1];
    await syn.postElements([{ pos: moved, kind: 'PreSyn', tags: [], prop: { conf: '0.5', user: 'tester' }, rels: [] }]);
    await client.close();

    const before = demo.log.entries.length;
    const again = await runSync(demo, root, child, SCOPES());
    expect(again.outcome!.state).toBe('done');
    expect(again.outcome!.failures).toEqual([]);
    expect(again.plan!.mode).toBe('incremental');
    const asked = since(demo, before);
    const paths = asked.map((e) => e.path);
    // Merges and cleaves never change supervoxel blocks: none is fetched.
    expect(paths.filter((p) => /\/segmentation\/(blocks|specificblocks)/.test(p))).toEqual([]);
    // The mapping of the moved supervoxels only: one /mapping request, for B's and C's supervoxels.
    const mapping = asked.filter((e) => e.path.endsWith('/segmentation/mapping'));
    expect(mapping).toHaveLength(1);
    const bSvs = demo.truth.dataset.mappings[1].filter((x) => x === b).length;
    expect(mapping[0]!.requestBytes).toBeLessThan((bSvs + cSvs.length + 4) * 22);
    // Keyvalues: the log, then exactly the written keys; no listing.
    expect(paths.filter((p) => /\/(keys|keyrange)\b/.test(p))).toEqual([]);
    const kvReads = asked.filter((e) => /segmentation_(annotations|skeletons)\/keyvalues$/.test(e.path));
    expect(kvReads).toHaveLength(1); // the two annotation keys; the skeleton was only deleted
    // Synapses: only blocks of bodies whose counts changed (and their partners), not the whole volume.
    const synBlocks = annotationBlocksAsked(asked, 'synapses');
    expect(synBlocks.size).toBeGreaterThan(0);
    expect(synBlocks.size).toBeLessThan(512 / 2);
    const edited = `${Math.floor(post.pos[0] / 64)},${Math.floor(post.pos[1] / 64)},${Math.floor(post.pos[2] / 64)}`;
    expect(synBlocks.has(edited)).toBe(true);
    // To-dos have no change signal in DVID (no labelsz): read whole, documented.
    expect(again.plan!.instances.find((i) => i.name === 'segmentation_todo')!.notes.join(' ')).toMatch(/planned in full/);

    cache = open(demo, root);
    expect(verifyCache(cache.dir).problems).toEqual([]);
    expect(readMark(cache, child, 'segmentation')!.log!.count).toBe(4);
    cache.close();

    const clean = tempRoot(cleanups);
    const full = await runSync(demo, clean, child, SCOPES());
    expect(full.outcome!.state).toBe('done');
    const got = nodeContent(demo, root, child);
    const want = nodeContent(demo, clean, child);
    for (const table of ['blocks', 'block_bytes', 'sv_map', 'element_blocks', 'element_block_svs', 'kv_entries', 'body_annotations', 'labelsz_counts']) {
      expect(want[table]!.length, table).toBeGreaterThan(10);
    }
    // The clean sync sees the edits (so equality below is about them): B is gone, C's half has a body.
    // (dumpContent prints uint64 columns in their stored XOR-2^63 form)
    expect(want.sv_map!.some((r) => r.endsWith(` ${u64ToDb(b)}`))).toBe(false);
    expect(want.sv_map!.some((r) => r.endsWith(` ${u64ToDb(cleavedLabel)}`))).toBe(true);
    expect(want.sv_map!.some((r) => r.endsWith(` ${u64ToDb(a)}`))).toBe(true);
    expect(want.kv_entries!.some((r) => r.split(' ')[2] === skeletonKeys[0])).toBe(false);
    for (const table of Object.keys(want)) expect({ table, rows: got[table] }).toEqual({ table, rows: want[table] });
  }, 240_000);

  it('fetches again only the body-labelled blocks where a body lost voxels (;labels=bodies)', async () => {
    const demo = await newDemo();
    const child = demo.uuids.child as Uuid;
    const root = tempRoot(cleanups);
    const scopes = [parseInstanceArg('segmentation=all;labels=bodies')];
    expect((await runSync(demo, root, child, scopes)).outcome!.state).toBe('done');
    const client = new DvidClient({ baseUrl: demo.url });
    const seg = client.labelmap(child, 'segmentation');
    const neurons = demo.truth.neuronBodies(1);
    const [a, b] = [neurons[12]!, neurons[14]!];
    const bBlocks = new Set<string>();
    for (const r of await seg.sparsevolCoarse(b)) for (let i = 0; i < r.length; i++) bBlocks.add(`${r.x + i},${r.y},${r.z}`);
    await seg.merge(a, [b]);
    await client.close();
    const before = demo.log.entries.length;
    const again = await runSync(demo, root, child, scopes);
    expect(again.outcome!.state).toBe('done');
    const asked = new Set<string>();
    for (const e of since(demo, before).filter((x) => x.path.endsWith('/segmentation/specificblocks'))) {
      const list = (new URLSearchParams(e.query).get('blocks') ?? '').split(',').map(Number);
      for (let i = 0; i < list.length; i += 3) asked.add(`${list[i]},${list[i + 1]},${list[i + 2]}`);
    }
    // Exactly the blocks that held B (now A's voxels there).
    expect(asked).toEqual(bBlocks);
    expect(since(demo, before).filter((x) => /segmentation\/(blocks\/|mapping)/.test(x.path))).toEqual([]);
    const clean = tempRoot(cleanups);
    expect((await runSync(demo, clean, child, scopes)).outcome!.state).toBe('done');
    const got = nodeContent(demo, root, child);
    const want = nodeContent(demo, clean, child);
    for (const table of Object.keys(want)) expect({ table, rows: got[table] }).toEqual({ table, rows: want[table] });
  }, 180_000);

  it('makes no data request when nothing changed', async () => {
    const demo = await newDemo();
    const child = demo.uuids.child as Uuid;
    const root = tempRoot(cleanups);
    const scopes = ['segmentation=bbox:0,0,0-256,256,256', 'synapses', 'synapses_labelsz', 'segmentation_annotations'].map((s) => parseInstanceArg(s));
    expect((await runSync(demo, root, child, scopes)).outcome!.state).toBe('done');
    let cache = open(demo, root);
    const firstCheck = readMark(cache, child, 'segmentation')!.checkedAt;
    cache.close();
    const before = demo.log.entries.length;
    const again = await runSync(demo, root, child, scopes);
    expect(again.outcome).toBeNull(); // up to date: no job
    expect(again.plan!.instances.every((i) => i.items.length === 0)).toBe(true);
    cache = open(demo, root);
    expect(readMark(cache, child, 'segmentation')!.checkedAt).toBeGreaterThan(firstCheck);
    cache.close();
    const asked = since(demo, before).map((e) => e.path.replace(/^\/api\/node\/[0-9a-f]+\//, ''));
    // The change signals only (mutation logs, the labelsz ranking the synapses are checked against);
    // no block, mapping, element or value.
    const signals = /^((segmentation|segmentation_annotations)\/mutations|synapses_labelsz\/threshold\/1\/\w+)$/;
    expect(asked.filter((p) => !signals.test(p) && !p.startsWith('/api/repo'))).toEqual([]);
    expect(asked.filter((p) => p.includes('threshold'))).toHaveLength(3);
  }, 120_000);
});

describe('re-syncing a locked node', () => {
  it('downloads nothing, and the spot check reports data changed behind the lock', async () => {
    const demo = await newDemo();
    const locked = demo.uuids.root as Uuid;
    const root = tempRoot(cleanups);
    const scopes = [parseInstanceArg('segmentation=bbox:0,0,0-256,256,256'), parseInstanceArg('segmentation_annotations')];
    expect((await runSync(demo, root, locked, scopes)).outcome!.state).toBe('done');
    const before = demo.log.entries.length;
    const again = await runSync(demo, root, locked, scopes);
    expect(again.checked!.findings).toEqual([]);
    const asked = since(demo, before);
    expect(asked.length).toBeLessThanOrEqual(8);
    expect(asked.filter((e) => /\/(blocks|mapping|keys|keyrange)/.test(e.path))).toEqual([]);
    const contentBefore = nodeContent(demo, root, locked);

    // A server in full-write mode: a value changes at the locked node.
    demo.setFullWrite(true);
    const client = new DvidClient({ baseUrl: demo.url });
    const body = demo.truth.neuronBodies(0)[0]!;
    await client.keyvalue(locked, 'segmentation_annotations').put(`${body}`, '{"status":"changed behind the lock"}');
    await client.close();
    demo.setFullWrite(false);
    const third = await runSync(demo, root, locked, scopes);
    expect(third.checked!.findings.length).toBeGreaterThan(0);
    expect(third.checked!.findings.map((f) => f.instance)).toContain('segmentation_annotations');
    expect(third.checked!.findings.map((f) => f.what).join('\n')).toMatch(/mutation log/);
    // Reported, not applied: the cache is as it was.
    expect(nodeContent(demo, root, locked)).toEqual(contentBefore);
    // --full reads the node again (nothing stored counts as final), and the next check is clean.
    const reread = await runSync(demo, root, locked, scopes, { full: true });
    expect(reread.outcome!.state).toBe('done');
    expect(reread.plan!.mode).toBe('reread');
    const cache = open(demo, root);
    try {
      const kvId = cache.repo.instance('segmentation_annotations')!.id;
      expect(cache.kv.value(kvId, cache.repo.node(locked)!.id, `${body}`)!.toString()).toBe('{"status":"changed behind the lock"}');
    } finally {
      cache.close();
    }
    expect((await runSync(demo, root, locked, scopes)).checked!.findings).toEqual([]);
  }, 120_000);
});

describe('syncing a child node after its parent', () => {
  it('reuses the parent data, downloads only what differs, and both nodes read as the server answers', async () => {
    const demo = await newDemo();
    const parent = demo.uuids.root as Uuid;
    const child = demo.uuids.child as Uuid;
    const root = tempRoot(cleanups);
    expect((await runSync(demo, root, parent, SCOPES())).outcome!.state).toBe('done');
    const parentBefore = nodeContent(demo, root, parent);
    const before = demo.log.entries.length;
    const run = await runSync(demo, root, child, SCOPES());
    expect(run.outcome!.state).toBe('done');
    expect(run.plan!.mode).toBe('child');
    const asked = since(demo, before);
    // The child's supervoxel blocks equal the parent's (merges and cleaves only remap): none fetched.
    expect(asked.filter((e) => /\/segmentation\/(blocks|specificblocks)/.test(e.path))).toEqual([]);
    // Keyvalues: only the keys the child's log names.
    expect(asked.filter((e) => /\/(keys|keyrange)\b/.test(e.path) && !e.path.includes('segmentation_todo'))).toEqual([]);
    const synBlocks = annotationBlocksAsked(asked, 'synapses');
    expect(synBlocks.size).toBeLessThan(512 / 2);

    const clean = tempRoot(cleanups);
    expect((await runSync(demo, clean, child, SCOPES())).outcome!.state).toBe('done');
    const got = nodeContent(demo, root, child);
    const want = nodeContent(demo, clean, child);
    for (const table of Object.keys(want)) expect({ table, rows: got[table] }).toEqual({ table, rows: want[table] });
    expect(nodeContent(demo, root, parent)).toEqual(parentBefore);
    // The block store holds each content once: the child added no block bytes of its own.
    const cache = open(demo, root);
    try {
      const distinct = cache.db.db.prepare('SELECT count(*) FROM block_content').pluck().get() as number;
      const perNode = cache.db.db.prepare('SELECT count(DISTINCT hash) FROM blocks WHERE node_id = ?').pluck().get(cache.repo.node(parent)!.id) as number;
      expect(distinct).toBe(perNode);
      expect(verifyCache(cache.dir).problems).toEqual([]);
    } finally {
      cache.close();
    }
  }, 240_000);
});
