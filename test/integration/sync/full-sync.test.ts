/**
 * A full sync of the demo's locked root node, compared with the generator's own data (the demo's
 * `truth.dataset`), not with what the client reads back: blocks byte for byte (the generator's stored
 * Block bytes), the supervoxel→body mapping, every synapse with its relationships, props and the
 * supervoxel under it, notes, every keyvalue value, body annotations, ROI spans, and the labelsz
 * ranking recounted from the synapses. Then verify is clean, and a second sync of the locked node
 * downloads nothing it already holds.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../main/cache/index';
import type { DemoServer } from '../../../main/demo/index';
import { decodeLabelBlockToPalette } from '../../../main/formats/label-block';
import { cacheDirFor } from '../../../main/paths';
import { unpackSpans } from '../../../main/cache/region-stores';
import { unpackLabelCounts } from '../../../main/workers/tasks/label-counts';
import { verifyCache } from '../../../main/cache/verify';
import { parseInstanceArg } from '../../../main/sync/scope';
import { runSync, startDemo, tempRoot, type SyncRun } from '../../support/sync-harness';

const cleanups: Array<() => void> = [];
let demo: DemoServer;
let root: string;
let run: SyncRun;
let cache: Cache;

beforeAll(async () => {
  demo = await startDemo();
  root = tempRoot(cleanups);
  run = await runSync(demo, root, demo.uuids.root, null);
  cache = Cache.open(cacheDirFor(root, { url: demo.url }, demo.repoRoot), { readonly: true });
}, 180_000);

afterAll(async () => {
  cache?.close();
  await demo?.close();
  for (const c of cleanups) c();
});

const ds = () => demo.truth.dataset;
const ids = () => ({ node: cache.repo.node(demo.uuids.root)!.id, inst: (n: string) => cache.repo.instance(n)!.id });

describe('a full sync of the demo root node', () => {
  it('ends done, with progress events up to 100 %', () => {
    expect(run.outcome!.state).toBe('done');
    expect(run.outcome!.failures).toEqual([]);
    const last = run.progress.at(-1)!;
    expect(last.state).toBe('done');
    expect(last.items.done).toBe(last.items.total);
    expect(last.bytes.done).toBeGreaterThan(1000);
  });

  it('holds every stored block of every labelmap byte for byte, and knows which ones the server lacks', () => {
    const { node, inst } = ids();
    for (const [name, store] of Object.entries(ds().labelmaps)) {
      const s0 = store.scales[0]!;
      const key = { instanceId: inst(name), nodeId: node, scale: 0, supervoxels: true };
      const cached = new Map<string, Buffer>();
      for (const b of cache.blocks.iterate(key)) cached.set(b.coord.join(), b.data);
      expect(cached.size, name).toBe(s0.count);
      for (let i = 0; i < s0.count; i++) {
        const c = [s0.coords[3 * i]!, s0.coords[3 * i + 1]!, s0.coords[3 * i + 2]!].join();
        const truth = gunzipSync(s0.payload(i));
        expect(cached.get(c)?.equals(truth), `${name} block ${c}`).toBe(true);
      }
      const { stored, empty } = cache.blocks.count(key);
      expect(stored).toBe(s0.count);
      // The plan covered the whole extent: every other block position is recorded as empty.
      expect(stored + empty, name).toBe(8 * 8 * 8);
    }
  });

  it('has the histogram of every block equal to a count of its voxels', () => {
    const { node, inst } = ids();
    const store = ds().labelmaps.segmentation!.scales[0]!;
    for (let i = 0; i < store.count; i += 17) {
      const c: [number, number, number] = [store.coords[3 * i]!, store.coords[3 * i + 1]!, store.coords[3 * i + 2]!];
      const got = cache.blocks.get({ instanceId: inst('segmentation'), nodeId: node, scale: 0, supervoxels: true }, c)!;
      const content = cache.db.db.prepare('SELECT labels FROM block_content WHERE hash = ?').pluck().get(got.hash) as Buffer;
      const { labels, counts } = unpackLabelCounts(content);
      const p = decodeLabelBlockToPalette(gunzipSync(store.payload(i)));
      const truth = new Map<bigint, number>();
      for (const k of p.indices) truth.set(p.palette[k]!, (truth.get(p.palette[k]!) ?? 0) + 1);
      expect(new Map([...labels].map((l, j) => [l, counts[j]!]))).toEqual(truth);
      expect(createHash('sha256').update(got.data!).digest().equals(got.hash!)).toBe(true);
    }
  });

  it('maps every supervoxel of the synced blocks to its body at the root', () => {
    const { node, inst } = ids();
    const d = ds();
    const truth = new Map<bigint, bigint>();
    for (let i = 1; i < d.svIds.length; i++) truth.set(d.svIds[i]!, d.mappings[0][i]!);
    const rows = cache.db.db.prepare('SELECT sv, body FROM sv_map WHERE instance_id = ? AND node_id = ?').safeIntegers(true).all(inst('segmentation'), node) as Array<{ sv: bigint; body: bigint }>;
    expect(rows.length).toBeGreaterThan(10);
    const got = rows.map((r) => [BigInt.asUintN(64, r.sv) ^ (1n << 63n), BigInt.asUintN(64, r.body) ^ (1n << 63n)] as const);
    // Every mapped supervoxel is one the generator made, mapped to the generator's body at the root.
    expect(got.filter(([sv]) => !truth.has(sv))).toEqual([]);
    expect(got.filter(([sv, body]) => truth.get(sv) !== body)).toEqual([]);
    expect(cache.svMap.bodyOf(inst('segmentation'), node, d.svIds[1]!)).toBe(d.mappings[0][1]);
  });

  it('holds every synapse with its kind, props, relationships and supervoxel', () => {
    const { node, inst } = ids();
    const t = ds().synapses;
    const n = t.kind.length;
    expect(cache.elements.count(inst('synapses'), node)).toBe(n);
    const byPos = new Map<string, number>();
    for (let i = 0; i < n; i++) byPos.set(`${t.pos[3 * i]},${t.pos[3 * i + 1]},${t.pos[3 * i + 2]}`, i);
    let seen = 0;
    const svChecks: Array<[bigint | null, bigint]> = [];
    for (const el of cache.elements.all(inst('synapses'), node)) {
      const i = byPos.get(el.pos.join());
      expect(i, `element at ${el.pos.join()}`).toBeDefined();
      seen++;
      const pre = t.kind[i!] === 0;
      expect(el.kind).toBe(pre ? 'PreSyn' : 'PostSyn');
      expect(Number(el.prop.conf)).toBeCloseTo(Math.min(1, t.conf[i!]! / 1000), 3);
      expect(el.prop.user).toBe(t.users[t.user[i!]!]);
      const partners = [];
      for (let k = t.relStart[i!]!; k < t.relStart[i! + 1]!; k++) {
        const j = t.relTo[k]!;
        partners.push([t.pos[3 * j]!, t.pos[3 * j + 1]!, t.pos[3 * j + 2]!].join());
      }
      expect(el.rels.map((r) => r.to.join()).toSorted()).toEqual(partners.toSorted());
      expect(new Set(el.rels.map((r) => r.rel))).toEqual(new Set(partners.length ? [pre ? 'PreSynTo' : 'PostSynTo'] : []));
      svChecks.push([cache.elements.supervoxelAt(inst('synapses'), node, el.pos), ds().svIds[t.sv[i!]!]!]);
    }
    expect(svChecks.filter(([got, want]) => got !== want)).toEqual([]);
    expect(seen).toBe(n);
    expect(cache.elements.countSupervoxels(inst('synapses'), node)).toBe(n);
    // Every synced element lies in a synced label block: its supervoxel was read there, never asked for.
    expect(demo.log.entries.filter((e) => e.path.endsWith('/segmentation/labels'))).toEqual([]);
    // 8,400 point lookups through the store's own reader: seconds alone, a minute on a loaded machine.
  }, 120_000);

  it('holds the bookmarks and to-dos with their props', () => {
    const { node, inst } = ids();
    for (const name of ['bookmark_annotations', 'segmentation_todo'] as const) {
      const notes = ds().notes[name];
      const got = new Map([...cache.elements.all(inst(name), node)].map((e) => [e.pos.join(), e]));
      expect(got.size, name).toBe(notes.length);
      for (const note of notes) {
        const e = got.get(note.pos.join())!;
        expect(e.kind).toBe('Note');
        expect(e.prop).toEqual(note.prop);
        expect(e.tags).toEqual(note.tags ?? []);
      }
    }
  });

  it('holds every keyvalue value of the root, body annotations parsed', () => {
    const { node, inst } = ids();
    for (const [name, kv] of Object.entries(ds().keyvalues)) {
      const keys = kv.root.keys.toSorted();
      expect(cache.kv.keys(inst(name), node), name).toEqual(keys);
      for (const k of keys) expect(cache.kv.value(inst(name), node, k)!.equals(Buffer.from(kv.root.get(k)!)), `${name}/${k}`).toBe(true);
    }
    const ann = ds().keyvalues.segmentation_annotations!.root;
    for (const k of ann.keys.slice(0, 50)) {
      const v = JSON.parse(Buffer.from(ann.get(k)!).toString('utf8')) as Record<string, unknown>;
      const row = cache.bodyAnnotations.get(inst('segmentation_annotations'), node, BigInt(k))!;
      expect(row.type).toBe(v.type ?? null);
      expect(row.instance).toBe(v.instance ?? v.name ?? null);
      expect(row.status).toBe(v.status ?? null);
    }
    const skel = cache.kv.byBody(inst('segmentation_skeletons'), node, demo.truth.neuronBodies(0)[0]!)[0]!;
    expect(skel.format).toBe('swc');
    expect(skel.mutationId).not.toBeNull();
    expect(cache.kv.byBody(inst('segmentation_meshes'), node, demo.truth.neuronBodies(0)[0]!)[0]!.format).toBe('ngmesh');
  });

  it('holds every ROI with its spans', () => {
    const { node, inst } = ids();
    for (const roi of ds().rois) {
      const got = cache.rois.get(inst(roi.name), node)!;
      expect(got.spans, roi.name).toEqual(roi.spans);
      expect(unpackSpans(cache.db.db.prepare('SELECT spans FROM roi_spans WHERE instance_id = ? AND node_id = ?').pluck().get(inst(roi.name), node) as Buffer)).toEqual(roi.spans);
    }
  });

  it('holds the labelsz ranking equal to PreSyn counts recounted from the synapses', () => {
    const { node, inst } = ids();
    const d = ds();
    const t = d.synapses;
    const counts = new Map<bigint, number>();
    for (let i = 0; i < t.kind.length; i++) {
      if (t.kind[i] !== 0) continue;
      const body = d.mappings[0][t.sv[i]!]!;
      if (body !== 0n) counts.set(body, (counts.get(body) ?? 0) + 1);
    }
    const truth = [...counts].toSorted((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([label, count]) => ({ label, count }));
    const got = cache.labelsz.top(inst('synapses_labelsz'), node, 'PreSyn', 1_000_000).map(({ label, count }) => ({ label, count }));
    expect(got).toEqual(truth);
  });

  it('verifies clean, and a second sync of the locked node downloads none of it again (a spot check only)', async () => {
    expect(verifyCache(cache.dir).problems).toEqual([]);
    const before = demo.log.entries.length;
    const again = await runSync(demo, root, demo.uuids.root, null);
    expect(again.outcome).toBeNull();
    expect(again.checked!.findings).toEqual([]);
    const asked = demo.log.entries.slice(before).map((e) => e.path);
    expect(asked.filter((p) => /\/(blocks|mapping|labels|top|threshold|keys|keyrange|label|roi)\b/.test(p)).map((p) => p.slice(0, 120))).toEqual([]);
    // The spot check: one /specificblocks per labelmap and one /keyvalues per keyvalue instance, at most.
    const labelmaps = Object.keys(ds().labelmaps).length;
    expect(asked.filter((p) => p.endsWith('/specificblocks')).length).toBeLessThanOrEqual(labelmaps);
    expect(asked.filter((p) => p.endsWith('/keyvalues')).length).toBeLessThanOrEqual(Object.keys(ds().keyvalues).length);
  });
});

describe('body-labelled blocks (;labels=bodies)', () => {
  it('stores the blocks the server maps to bodies, with histograms of body ids, and no mapping', async () => {
    const r = tempRoot(cleanups);
    const scopes = [parseInstanceArg('segmentation=bbox:0,0,0-128,128,128;labels=bodies')];
    const out = await runSync(demo, r, demo.uuids.root, scopes);
    expect(out.outcome!.state).toBe('done');
    const c = Cache.open(cacheDirFor(r, { url: demo.url }, demo.repoRoot), { readonly: true });
    try {
      const node = c.repo.node(demo.uuids.root)!.id;
      const seg = c.repo.instance('segmentation')!.id;
      expect(c.svMap.count(seg, node)).toBe(0);
      const d = ds();
      const bodyOfSv = new Map<bigint, bigint>();
      for (let i = 1; i < d.svIds.length; i++) bodyOfSv.set(d.svIds[i]!, d.mappings[0][i]!);
      const store = d.labelmaps.segmentation!.scales[0]!;
      let checked = 0;
      expect([...c.blocks.iterate({ instanceId: seg, nodeId: node, scale: 0, supervoxels: true })]).toEqual([]);
      for (const b of c.blocks.iterate({ instanceId: seg, nodeId: node, scale: 0, supervoxels: false })) {
        const i = store.find(b.coord[0], b.coord[1], b.coord[2]);
        const p = decodeLabelBlockToPalette(gunzipSync(store.payload(i)));
        const truth = new Map<bigint, number>();
        for (const k of p.indices) {
          const body = p.palette[k] === 0n ? 0n : (bodyOfSv.get(p.palette[k]!) ?? p.palette[k]!);
          truth.set(body, (truth.get(body) ?? 0) + 1);
        }
        const content = c.db.db.prepare('SELECT labels FROM block_content WHERE hash = ?').pluck().get(b.hash) as Buffer;
        const { labels, counts } = unpackLabelCounts(content);
        expect(new Map([...labels].map((l, j) => [l, counts[j]!]))).toEqual(truth);
        checked++;
      }
      expect(checked).toBe(8);
    } finally {
      c.close();
    }
  });
});
