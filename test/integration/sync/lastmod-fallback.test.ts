/**
 * Incremental and child syncs against a DVID without `[mutations] jsonstore` (the demo's
 * `jsonstore: false`: /mutations answers 400, /mutations-range never answers). The per-body /lastmod
 * recipe of DVID-API §3.4 and §12 step 3.2 takes the mutation logs' place: each cached body is asked
 * once (at the node, and for a child also at the ancestor whose data it starts from), and only the
 * blocks, mappings and keyvalues (meshes, skeletons, body annotations) of bodies that changed are
 * fetched again, as the demo's request log shows. The result equals a clean full sync, and when the
 * repo MutationID has not moved, no body is asked at all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { SyncProgress } from '../../../preload/api';
import { createApp } from '../../../main/app';
import type { DemoServer, LogEntry } from '../../../main/demo/index';
import { DvidClient } from '../../../main/dvid/client';
import type { Uuid } from '../../../main/dvid/paths';
import { encodeKeys } from '../../../main/formats/kv-protobuf';
import { readMark } from '../../../main/sync/marks';
import { bodyOfKey, kvRole } from '../../../main/sync/planner';
import { parseInstanceArg } from '../../../main/sync/scope';
import { nodeContent, openCache, runSync, startDemo, tempRoot } from '../../support/sync-harness';

const cleanups: Array<() => void> = [];
const demos: DemoServer[] = [];

afterAll(async () => {
  for (const d of demos) await d.close();
  for (const c of cleanups) c();
});

async function demoWithoutJsonstore(): Promise<DemoServer> {
  const d = await startDemo([], { jsonstore: false });
  demos.push(d);
  return d;
}

const NAMES = ['segmentation', 'synapses', 'synapses_labelsz', 'segmentation_annotations', 'segmentation_skeletons', 'segmentation_meshes'];
const KV = ['segmentation_annotations', 'segmentation_skeletons', 'segmentation_meshes'];
const SCOPES = () => NAMES.map((n) => parseInstanceArg(n));

/** What the cache holds of a node: its mapped bodies, and per keyvalue instance its keys. */
function cachedAt(demo: DemoServer, root: string, node: string): { bodies: Set<bigint>; keys: Map<string, Set<string>> } {
  const cache = openCache(demo, root);
  try {
    const nodeId = cache.repo.node(node)!.id;
    const bodies = new Set(cache.svMap.bodies(cache.repo.instance('segmentation')!.id, nodeId));
    const keys = new Map<string, Set<string>>();
    for (const kv of KV) {
      const id = cache.repo.instance(kv)!.id;
      keys.set(kv, new Set(cache.kv.keys(id, nodeId)));
      for (const e of cache.kv.bodyEntries(id, nodeId)) bodies.add(e.body);
    }
    return { bodies, keys };
  } finally {
    cache.close();
  }
}

/** The keys a keyvalue sync must fetch: listed keys that are new, or whose body changed. */
async function keysToFetch(client: DvidClient, node: Uuid, kv: string, cached: ReadonlySet<string>, changed: ReadonlySet<bigint>): Promise<string[]> {
  const role = kvRole(kv, 'keyvalue');
  return (await client.keyvalue(node, kv).keys())
    .filter((k) => {
      const b = bodyOfKey(role, k);
      return !cached.has(k) || (b !== null && changed.has(b));
    })
    .toSorted();
}

/** Bodies asked with /lastmod, per node, each request's body. */
function lastmodAsked(entries: readonly LogEntry[]): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  for (const e of entries) {
    const m = /^\/api\/node\/([0-9a-f]+)\/segmentation\/lastmod\/(\d+)$/.exec(e.path);
    if (!m) continue;
    if (!out.has(m[1]!)) out.set(m[1]!, []);
    out.get(m[1]!)!.push(BigInt(m[2]!));
  }
  return out;
}

function expectKeyvalueReads(asked: readonly LogEntry[], want: Map<string, string[]>): void {
  for (const kv of KV) {
    const reads = asked.filter((e) => e.path.endsWith(`/${kv}/keyvalues`));
    const keys = want.get(kv)!;
    expect(keys.length, kv).toBeGreaterThan(0);
    expect({ kv, requests: reads.length, bytes: reads.reduce((s, e) => s + e.requestBytes, 0) }).toEqual({ kv, requests: 1, bytes: encodeKeys(keys).length });
  }
}

function expectSameAsClean(demo: DemoServer, root: string, clean: string, node: string): void {
  const got = nodeContent(demo, root, node);
  const want = nodeContent(demo, clean, node);
  for (const table of ['blocks', 'block_bytes', 'sv_map', 'element_blocks', 'kv_entries', 'body_annotations', 'labelsz_counts']) expect(want[table]!.length, table).toBeGreaterThan(10);
  for (const table of Object.keys(want)) expect({ table, rows: got[table] }).toEqual({ table, rows: want[table] });
}

describe('re-syncing an open node of a server without mutation logs', () => {
  it('asks /lastmod of each cached body once and fetches again only what changed bodies hold', async () => {
    const demo = await demoWithoutJsonstore();
    const child = demo.uuids.child as Uuid;
    const root = tempRoot(cleanups);
    const first = await runSync(demo, root, child, SCOPES());
    expect(first.outcome!.state).toBe('done');
    let cache = openCache(demo, root);
    expect(readMark(cache, child, 'segmentation')!.log).toBeNull();
    expect(readMark(cache, child, 'segmentation_meshes')!.log).toBeNull();
    cache.close();
    const held = cachedAt(demo, root, child);

    const client = new DvidClient({ baseUrl: demo.url });
    const seg = client.labelmap(child, 'segmentation');
    const neurons = demo.truth.neuronBodies(1);
    const [a, b, c] = [neurons[4]!, neurons[7]!, neurons[11]!];
    const svsBefore = (await seg.supervoxels(a)).length + (await seg.supervoxels(b)).length;
    await seg.merge(a, [b], { user: 'tester' });
    const cSvs = await seg.supervoxels(c);
    const { cleavedLabel } = await seg.cleave(c, cSvs.slice(0, Math.ceil(cSvs.length / 2)), { user: 'tester' });
    await client.keyvalue(child, 'segmentation_annotations').put(`${cleavedLabel}`, JSON.stringify({ bodyid: 1, status: 'Orphan' }));
    await client.keyvalue(child, 'segmentation_annotations').put(`${a}`, JSON.stringify({ bodyid: Number(a), status: 'Traced', type: 'Merged' }));
    const changed = new Set([a, b, c]);
    const want = new Map<string, string[]>();
    for (const kv of KV) want.set(kv, await keysToFetch(client, child, kv, held.keys.get(kv)!, changed));
    await client.close();

    const before = demo.log.entries.length;
    const again = await runSync(demo, root, child, SCOPES());
    expect(again.outcome!.state).toBe('done');
    expect(again.outcome!.failures).toEqual([]);
    expect(again.plan!.mode).toBe('incremental');
    const segNotes = again.plan!.instances.find((i) => i.name === 'segmentation')!.notes.join(' ');
    expect(segNotes).toMatch(/no \[mutations\] jsonstore/);
    expect(segNotes).toMatch(new RegExp(`/lastmod of ${held.bodies.size} cached bod\\(ies\\) since mutation \\d+: 3 changed`));
    const asked = demo.log.entries.slice(before);
    // Each cached body asked once, at this node; nothing else is asked per body.
    const lastmods = lastmodAsked(asked);
    expect([...lastmods.keys()]).toEqual([child]);
    expect(lastmods.get(child)!.length).toBe(held.bodies.size);
    expect(new Set(lastmods.get(child)!)).toEqual(held.bodies);
    // Merges and cleaves change no supervoxel block; the mapping only of the changed bodies' supervoxels
    // (once to see whether any was split, once to store them).
    expect(asked.filter((e) => /\/segmentation\/(blocks|specificblocks)/.test(e.path))).toEqual([]);
    const mapping = asked.filter((e) => e.path.endsWith('/segmentation/mapping'));
    expect(mapping).toHaveLength(2);
    for (const m of mapping) expect(m.requestBytes).toBeLessThan((svsBefore + cSvs.length + 4) * 22);
    // Keyvalues: the listing (no log to say what changed), then exactly the new keys and those of changed bodies.
    expectKeyvalueReads(asked, want);

    const clean = tempRoot(cleanups);
    expect((await runSync(demo, clean, child, SCOPES())).outcome!.state).toBe('done');
    expectSameAsClean(demo, root, clean, child);

    // Nothing changed since: the repo MutationID says so, and no body is asked.
    const quiet = demo.log.entries.length;
    const third = await runSync(demo, root, child, SCOPES());
    expect(third.plan!.instances.find((i) => i.name === 'segmentation')!.notes.join(' ')).toMatch(/repo MutationID has not moved/);
    const thirdAsked = demo.log.entries.slice(quiet);
    expect(thirdAsked.filter((e) => /\/(lastmod|mapping|keyvalues|specificblocks)\b/.test(e.path))).toEqual([]);
    cache = openCache(demo, root);
    expect(readMark(cache, child, 'segmentation')!.repoMutationId).toBe(third.plan!.mutationId);
    cache.close();
  }, 240_000);
});

describe('syncing a child node of a server without mutation logs through the app', () => {
  it('starts from the parent, compares /lastmod here and at the parent, and fetches only changed bodies', async () => {
    const demo = await demoWithoutJsonstore();
    const parent = demo.uuids.root as Uuid;
    const child = demo.uuids.child as Uuid;
    const root = tempRoot(cleanups);
    const app = createApp({ mode: 'browser', cacheRoot: root, server: { url: demo.url, label: 'demo', demo: false }, pollMs: 0 });
    const settled = (jobId: number) =>
      new Promise<SyncProgress>((resolve) => {
        const off = app.events.on('syncProgress', (p) => {
          if (p.jobId === jobId && (p.state === 'done' || p.state === 'failed')) {
            off();
            resolve(p);
          }
        });
      });
    const instances = NAMES.map((name) => ({ name }));
    try {
      const p1 = await app.handlers.syncPlan({ node: parent, instances });
      expect((await settled((await app.handlers.syncStart({ planId: p1.planId })).jobId)).state).toBe('done');
      const parentBefore = nodeContent(demo, root, parent);
      const held = cachedAt(demo, root, parent);
      // What the child's history changed (the generator's story): A took B in, C lost a part.
      const story = demo.truth.story;
      const changed = new Set([story.mergeTarget, story.mergedPiece, story.cleaveOrig]);
      const client = new DvidClient({ baseUrl: demo.url });
      const want = new Map<string, string[]>();
      for (const kv of KV) want.set(kv, await keysToFetch(client, child, kv, held.keys.get(kv)!, changed));
      await client.close();

      const before = demo.log.entries.length;
      const plan = await app.handlers.syncPlan({ node: child, instances });
      const segNotes = plan.instances.find((i) => i.name === 'segmentation')!.notes.join(' ');
      expect(segNotes).toMatch(/starts from the cached data of its parent/);
      expect(segNotes).toMatch(new RegExp(`/lastmod of ${held.bodies.size} cached bod\\(ies\\) here and at the ancestor: 3 changed`));
      const { jobId } = await app.handlers.syncStart({ planId: plan.planId });
      expect((await settled(jobId)).state).toBe('done');
      const asked = demo.log.entries.slice(before);
      // Each cached body asked once at each node (the repo MutationID cannot vouch for the child's edits).
      const lastmods = lastmodAsked(asked);
      expect(new Set(lastmods.get(child))).toEqual(held.bodies);
      expect(new Set(lastmods.get(parent))).toEqual(held.bodies);
      expect(lastmods.get(child)!.length + lastmods.get(parent)!.length).toBe(2 * held.bodies.size);
      expect(asked.filter((e) => /\/segmentation\/(blocks|specificblocks)/.test(e.path))).toEqual([]);
      expectKeyvalueReads(asked, want);

      const clean = tempRoot(cleanups);
      expect((await runSync(demo, clean, child, SCOPES())).outcome!.state).toBe('done');
      expectSameAsClean(demo, root, clean, child);
      expect(nodeContent(demo, root, parent)).toEqual(parentBefore);
    } finally {
      await app.close();
    }
  }, 240_000);
});
