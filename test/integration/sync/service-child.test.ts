/**
 * A child node synced through the app's SyncService (the API the Connect & Sync view uses) after its
 * parent: the plan reads the parent's cached data and names only what the child's logs say changed
 * (its estimate is that small), the job copies the parent's rows when it starts (content-addressed
 * block bytes and blobs shared, not duplicated), and the demo's request log shows that unchanged
 * blocks, keys and annotation blocks were not fetched again. The child then reads exactly as a clean
 * full sync of it (the ground truth), and the parent's rows are untouched: the cache holds both.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncPlan, SyncProgress } from '../../../preload/api';
import { createApp, type DvidDeskApp } from '../../../main/app';
import { verifyCache } from '../../../main/cache/verify';
import type { DemoServer } from '../../../main/demo/index';
import { DvidClient } from '../../../main/dvid/client';
import type { Uuid } from '../../../main/dvid/paths';
import { encodeKeys } from '../../../main/formats/kv-protobuf';
import { parseInstanceArg } from '../../../main/sync/scope';
import { annotationBlocksAsked, nodeContent, openCache, runSync, startDemo, tempRoot } from '../../support/sync-harness';

const cleanups: Array<() => void> = [];
let demo: DemoServer;
let app: DvidDeskApp;
let root: string;
const events: SyncProgress[] = [];

const NAMES = ['segmentation', 'synapses', 'synapses_labelsz', 'segmentation_annotations', 'segmentation_skeletons', 'segmentation_meshes'];
const INSTANCES = NAMES.map((name) => ({ name }));
const KV = ['segmentation_annotations', 'segmentation_skeletons', 'segmentation_meshes'];

beforeAll(async () => {
  demo = await startDemo();
  root = tempRoot(cleanups);
  app = createApp({ mode: 'browser', cacheRoot: root, server: { url: demo.url, label: 'demo', demo: false }, pollMs: 0 });
  app.events.on('syncProgress', (p) => events.push(p));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await demo?.close();
  for (const c of cleanups) c();
});

function done(jobId: number, timeoutMs = 120_000): Promise<SyncProgress> {
  const settled = (p: SyncProgress) => p.jobId === jobId && (p.state === 'done' || p.state === 'failed' || p.state === 'cancelled');
  return new Promise((resolve, reject) => {
    const hit = events.find(settled);
    if (hit) return resolve(hit);
    const t = setTimeout(() => reject(new Error(`job ${jobId} did not settle; last: ${JSON.stringify(events.at(-1))}`)), timeoutMs);
    const off = app.events.on('syncProgress', (p) => {
      if (settled(p)) {
        clearTimeout(t);
        off();
        resolve(p);
      }
    });
  });
}

async function runPlan(plan: SyncPlan): Promise<SyncProgress> {
  const { jobId } = await app.handlers.syncStart({ planId: plan.planId });
  const end = await done(jobId);
  expect(end.state).toBe('done');
  const [status] = await app.handlers.syncStatus({ jobId });
  expect(status!.failures).toEqual([]);
  return end;
}

/** The keys the node's keyvalue log leaves written (its last record of the key is not a delete). */
async function loggedKeys(client: DvidClient, node: Uuid, instance: string): Promise<string[]> {
  const last = new Map<string, string>();
  for await (const r of client.keyvalue(node, instance).mutations()) last.set(String(r.fields.Key), r.action);
  return [...last].filter(([, action]) => action !== 'delete').map(([k]) => k);
}

describe('syncing a child node through the app after its parent', () => {
  it('plans and fetches only what differs, copies the rest, and holds both nodes as the server has them', async () => {
    const parent = demo.uuids.root as Uuid;
    const child = demo.uuids.child as Uuid;
    const parentPlan = await app.handlers.syncPlan({ node: parent, instances: INSTANCES });
    await runPlan(parentPlan);
    const parentBefore = nodeContent(demo, root, parent);

    // Proofreading on the child (on top of the merge, cleave and keyvalue edits of its history).
    const client = new DvidClient({ baseUrl: demo.url });
    const seg = client.labelmap(child, 'segmentation');
    const neurons = demo.truth.neuronBodies(1);
    const [a, b, c] = [neurons[3]!, neurons[6]!, neurons[9]!];
    await seg.merge(a, [b], { user: 'tester', app: 'vitest' });
    const cSvs = await seg.supervoxels(c);
    const { cleavedLabel } = await seg.cleave(c, cSvs.slice(0, Math.ceil(cSvs.length / 2)), { user: 'tester' });
    await client.keyvalue(child, 'segmentation_annotations').put(`${cleavedLabel}`, JSON.stringify({ bodyid: 1, status: 'Orphan' }));
    const skeletons = (await client.keyvalue(child, 'segmentation_skeletons').keys()).filter((k) => k.endsWith('_swc'));
    await client.keyvalue(child, 'segmentation_skeletons').delete(skeletons[1]!);
    const syn = client.annotation(child, 'synapses');
    const post = (await syn.label(neurons[12]!, { relationships: true })).find((e) => e.kind === 'PostSyn')!;
    await client.http.send({ method: 'DELETE', path: `/api/node/${child}/synapses/element/${post.pos.join('_')}` }, {});
    const expectedKeys = new Map<string, string[]>();
    for (const kv of KV) expectedKeys.set(kv, (await loggedKeys(client, child, kv)).toSorted());
    await client.close();

    const before = demo.log.entries.length;
    const plan = await app.handlers.syncPlan({ node: child, instances: INSTANCES });
    expect(plan.refused).toBeNull();
    for (const inst of plan.instances) expect(inst.notes[0], inst.name).toMatch(/starts from the cached data of its parent/);
    const segPlan = plan.instances.find((i) => i.name === 'segmentation')!;
    // Merges and cleaves only remap: one mapping request, no block.
    expect(segPlan.requests).toBe(1);
    expect(segPlan.notes.join(' ')).toMatch(/4 mutation\(s\) since the last sync/);
    // The estimate is the download, not a full sync's.
    expect(plan.totalBytes).toBeLessThan(parentPlan.totalBytes / 10);
    // Planning only read: nothing of the child is stored yet.
    let cache = openCache(demo, root);
    try {
      expect(cache.repo.node(child) ? cache.db.db.prepare('SELECT count(*) FROM blocks WHERE node_id = ?').pluck().get(cache.repo.node(child)!.id) : 0).toBe(0);
    } finally {
      cache.close();
    }
    await runPlan(plan);

    const asked = demo.log.entries.slice(before);
    const paths = asked.map((e) => e.path);
    expect(paths.filter((p) => /\/segmentation\/(blocks|specificblocks)/.test(p))).toEqual([]);
    const mapping = asked.filter((e) => e.path.endsWith('/segmentation/mapping'));
    expect(mapping).toHaveLength(1);
    // Keyvalues: no listing, and exactly the keys the child's logs leave written, in one request each.
    expect(paths.filter((p) => KV.some((kv) => p.includes(`/${kv}/`)) && /\/(keys|keyrange)\b/.test(p))).toEqual([]);
    for (const kv of KV) {
      const reads = asked.filter((e) => e.path.endsWith(`/${kv}/keyvalues`));
      const want = expectedKeys.get(kv)!;
      expect(want.length, kv).toBeGreaterThan(0);
      expect({ kv, requests: reads.length, bytes: reads.reduce((s, e) => s + e.requestBytes, 0) }).toEqual({ kv, requests: 1, bytes: encodeKeys(want).length });
    }
    const synBlocks = annotationBlocksAsked(asked, 'synapses');
    expect(synBlocks.size).toBeGreaterThan(0);
    expect(synBlocks.size).toBeLessThan(512 / 4);
    expect(synBlocks.has(post.pos.map((x) => Math.floor(x / 64)).join(','))).toBe(true);

    // The ground truth: a clean full sync of the child.
    const clean = tempRoot(cleanups);
    expect((await runSync(demo, clean, child, NAMES.map((n) => parseInstanceArg(n)))).outcome!.state).toBe('done');
    const got = nodeContent(demo, root, child);
    const want = nodeContent(demo, clean, child);
    for (const table of ['blocks', 'block_bytes', 'sv_map', 'element_blocks', 'element_block_svs', 'kv_entries', 'body_annotations', 'labelsz_counts']) {
      expect(want[table]!.length, table).toBeGreaterThan(10);
    }
    for (const table of Object.keys(want)) expect({ table, rows: got[table] }).toEqual({ table, rows: want[table] });
    // The parent's data are intact: the cache holds both nodes.
    expect(nodeContent(demo, root, parent)).toEqual(parentBefore);

    cache = openCache(demo, root);
    try {
      const db = cache.db.db;
      const parentId = cache.repo.node(parent)!.id;
      // Block bytes are stored once: the child added none of its own.
      expect(db.prepare('SELECT count(*) FROM block_content').pluck().get()).toBe(db.prepare('SELECT count(DISTINCT hash) FROM blocks WHERE node_id = ?').pluck().get(parentId));
      // Large values are one blob file per content, whichever nodes use it.
      const blobHashes = db.prepare('SELECT count(DISTINCT hash) FROM kv_entries WHERE value IS NULL').pluck().get() as number;
      const shared = db.prepare('SELECT count(*) FROM kv_entries p JOIN kv_entries c ON c.instance_id = p.instance_id AND c.key = p.key AND c.hash = p.hash WHERE p.node_id = ? AND c.node_id <> p.node_id AND p.value IS NULL').pluck().get(parentId) as number;
      expect(shared).toBeGreaterThan(10);
      const files = readdirSync(join(cache.dir, 'blobs'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;
      expect(files).toBe(blobHashes);
      expect(verifyCache(cache.dir).problems).toEqual([]);
    } finally {
      cache.close();
    }
  }, 240_000);

  it('refuses to start a child plan whose ancestor data changed since planning, and plans again', async () => {
    // The parent and child are both synced now; a fresh cache root gives a second child sync to plan.
    const other = tempRoot(cleanups);
    const app2 = createApp({ mode: 'browser', cacheRoot: other, server: { url: demo.url, label: 'demo', demo: false }, pollMs: 0 });
    try {
      const settle = (jobId: number) =>
        new Promise<SyncProgress>((resolve) => {
          const off = app2.events.on('syncProgress', (p) => {
            if (p.jobId === jobId && (p.state === 'done' || p.state === 'failed')) {
              off();
              resolve(p);
            }
          });
        });
      const small = [{ name: 'segmentation_annotations' }];
      const p1 = await app2.handlers.syncPlan({ node: demo.uuids.root, instances: small });
      const j1 = await app2.handlers.syncStart({ planId: p1.planId });
      expect((await settle(j1.jobId)).state).toBe('done');
      const childPlan = await app2.handlers.syncPlan({ node: demo.uuids.child, instances: small });
      expect(childPlan.instances[0]!.notes[0]).toMatch(/starts from the cached data of its parent/);
      // The parent is synced again (a spot check of the locked node, recorded as a new job) in between.
      const again = await app2.handlers.syncPlan({ node: demo.uuids.root, instances: small });
      const j2 = await app2.handlers.syncStart({ planId: again.planId });
      expect((await settle(j2.jobId)).state).toBe('done');
      await expect(app2.handlers.syncStart({ planId: childPlan.planId })).rejects.toThrow(/changed since this sync was planned: plan it again/);
      const fresh = await app2.handlers.syncPlan({ node: demo.uuids.child, instances: small });
      const j3 = await app2.handlers.syncStart({ planId: fresh.planId });
      expect((await settle(j3.jobId)).state).toBe('done');
    } finally {
      await app2.close();
    }
  }, 120_000);
});
