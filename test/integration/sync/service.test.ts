/**
 * Sync through the API contract (the same handlers both bridges dispatch to): plan with estimates,
 * refusal over maxBytes, start, syncProgress events, pause, resume, status, cancel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncProgress } from '../../../preload/api';
import { createApp, type DvidDeskApp } from '../../../main/app';
import { dispatch } from '../../../main/bridge/dispatch';
import { Cache } from '../../../main/cache/index';
import type { DemoServer } from '../../../main/demo/index';
import { DvidClient } from '../../../main/dvid/client';
import type { Uuid } from '../../../main/dvid/paths';
import { cacheDirFor } from '../../../main/paths';
import { startDemo, tempRoot } from '../../support/sync-harness';

const cleanups: Array<() => void> = [];
let demo: DemoServer;
let app: DvidDeskApp;
let root: string;
const events: SyncProgress[] = [];

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

function waitFor(pred: (p: SyncProgress) => boolean, timeoutMs = 60_000): Promise<SyncProgress> {
  return new Promise((resolve, reject) => {
    const hit = events.find(pred);
    if (hit) return resolve(hit);
    const t = setTimeout(() => reject(new Error(`no such syncProgress event; last: ${JSON.stringify(events.at(-1))}`)), timeoutMs);
    const off = app.events.on('syncProgress', (p) => {
      if (pred(p)) {
        clearTimeout(t);
        off();
        resolve(p);
      }
    });
  });
}

describe('sync through the API', () => {
  it('plans with counts and estimates, and refuses a plan over maxBytes with how to narrow it', async () => {
    const plan = await app.handlers.syncPlan({ node: demo.uuids.root, instances: [{ name: 'segmentation', scope: 'all;scales=0-1' }, { name: 'synapses' }] });
    expect(plan.refused).toBeNull();
    expect(plan.node).toBe(demo.uuids.root);
    expect(plan.nodeLocked).toBe(true);
    const seg = plan.instances.find((i) => i.name === 'segmentation')!;
    expect(seg).toMatchObject({ type: 'labelmap', scope: 'all;scales=0,1', items: 512 + 64 });
    expect(seg.bytes).toBeGreaterThan(0);
    expect(plan.totalBytes).toBe(plan.instances.reduce((s, i) => s + i.bytes, 0));

    const small = await app.handlers.syncPlan({ node: demo.uuids.root, instances: [{ name: 'segmentation' }], maxBytes: 1000 });
    expect(small.refused).toMatch(/over the limit/);
    expect(small.refused).toMatch(/segmentation=roi:/);
    await expect(app.handlers.syncStart({ planId: small.planId })).rejects.toThrow(/over the limit/);
  });

  it('refuses bad scopes and files named by the page, through the validating dispatcher', async () => {
    await expect(dispatch(app, 'syncPlan', { node: demo.uuids.root, instances: [{ name: 'segmentation', scope: 'bodies:@/etc/passwd' }] })).rejects.toThrow(/command line/);
    await expect(dispatch(app, 'syncPlan', { node: demo.uuids.root, instances: [{ name: 'segmentation', scope: 'top:5' }] })).rejects.toThrow(/cannot be synced with scope "top:5"/);
    await expect(dispatch(app, 'syncPlan', { node: demo.uuids.root, instances: [{ name: 'nope' }] })).rejects.toThrow(/no instance "nope"/);
    await expect(dispatch(app, 'syncStart', { planId: 'plan-999' })).rejects.toThrow(/unknown plan/);
  });

  it('starts, reports progress, pauses, resumes and finishes; status tells the story', async () => {
    demo.setFaults([{ path: '/api/node/*/segmentation/blocks/**', kind: 'latency', latencyMs: 300 }]);
    const plan = await app.handlers.syncPlan({ node: demo.uuids.child, instances: [{ name: 'segmentation', scope: 'all;scales=0-2' }, { name: 'synapses' }] });
    const started = await app.handlers.syncStart({ planId: plan.planId });
    const jobId = started.jobId;
    await waitFor((p) => p.jobId === jobId && p.items.done > 0);
    const paused = await app.handlers.syncPause({ jobId });
    expect(paused.state).toBe('paused');
    expect(paused.items.done).toBeLessThan(paused.items.total);
    expect(events.some((e) => e.jobId === jobId && e.state === 'paused')).toBe(true);
    demo.setFaults([]);
    // The same plan, planned again, names the paused job as resumable.
    const again = await app.handlers.syncPlan({ node: demo.uuids.child, instances: [{ name: 'segmentation', scope: 'all;scales=0-2' }, { name: 'synapses' }] });
    expect(again.resumableJobId).not.toBeNull();
    const resumed = await app.handlers.syncResume({ jobId });
    expect(resumed.state).toBe('running');
    const done = await waitFor((p) => p.jobId === jobId && p.state === 'done');
    expect(done.items.done).toBe(done.items.total);
    expect(done.bytes.done).toBeGreaterThan(0);
    const [status] = await app.handlers.syncStatus({ jobId });
    expect(status).toMatchObject({ jobId, state: 'done', node: demo.uuids.child, error: null, failures: [] });
    // Progress events came at most every few hundred ms, and carried rate and ETA once running.
    const mine = events.filter((e) => e.jobId === jobId);
    expect(mine.length).toBeGreaterThan(2);
    expect(mine.some((e) => e.rate > 0)).toBe(true);
    const cache = Cache.open(cacheDirFor(root, { url: demo.url }, demo.repoRoot), { readonly: true });
    const node = cache.repo.node(demo.uuids.child)!.id;
    expect(cache.blocks.count({ instanceId: cache.repo.instance('segmentation')!.id, nodeId: node, scale: 2, supervoxels: true }).stored).toBeGreaterThan(0);
    cache.close();
  });

  it('cancels a running sync; its stored data stay', async () => {
    demo.setFaults([{ path: '/api/node/*/synapses/blocks/**', kind: 'latency', latencyMs: 500 }]);
    const plan = await app.handlers.syncPlan({ node: demo.uuids.root, instances: [{ name: 'synapses' }, { name: 'segmentation_todo' }] });
    const { jobId } = await app.handlers.syncStart({ planId: plan.planId });
    await waitFor((p) => p.jobId === jobId && p.items.done > 0);
    const cancelled = await app.handlers.syncCancel({ jobId });
    demo.setFaults([]);
    expect(cancelled.state).toBe('cancelled');
    await expect(app.handlers.syncResume({ jobId })).rejects.toThrow(/only a paused or failed job resumes/);
  });

  it('plans a sync of the same scopes again as an incremental one after proofreading', async () => {
    demo.setFaults([]);
    const instances = [{ name: 'segmentation', scope: 'bbox:0,0,0-512,512,128' }, { name: 'segmentation_annotations' }];
    const first = await app.handlers.syncPlan({ node: demo.uuids.child, instances });
    const { jobId } = await app.handlers.syncStart({ planId: first.planId });
    await waitFor((p) => p.jobId === jobId && p.state === 'done');
    const client = new DvidClient({ baseUrl: demo.url });
    const [a, b] = demo.truth.neuronBodies(1).slice(20, 22) as [bigint, bigint];
    await client.labelmap(demo.uuids.child as Uuid, 'segmentation').merge(a, [b]);
    await client.close();
    const before = demo.log.entries.length;
    const again = await app.handlers.syncPlan({ node: demo.uuids.child, instances });
    const seg = again.instances.find((i) => i.name === 'segmentation')!;
    expect(seg.notes.join(' ')).toMatch(/1 mutation\(s\) since the last sync/);
    expect(seg.requests).toBe(1); // the mapping of B's supervoxels, no block
    expect(again.instances.find((i) => i.name === 'segmentation_annotations')!.requests).toBe(0);
    const second = await app.handlers.syncStart({ planId: again.planId });
    await waitFor((p) => p.jobId === second.jobId && p.state === 'done');
    const asked = demo.log.entries.slice(before).map((e) => e.path);
    expect(asked.filter((p) => /\/(blocks|specificblocks|keys|keyvalues)\b/.test(p))).toEqual([]);
    expect(asked.filter((p) => p.endsWith('/segmentation/mapping'))).toHaveLength(1);
  });
});
