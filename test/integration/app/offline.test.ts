/**
 * Offline mode through the API (issue 7): sync the open node of the demo, stop the demo server
 * mid-session, and every query the views make still answers from the cache while the connection
 * says offline (with the open node marked as possibly stale); restart the server on the same port
 * and the app notices on its own. Also the datasets methods the Connect & Sync view uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionStatus, SyncProgress } from '../../../preload/api';
import { createApp, type DvidDeskApp } from '../../../main/app';
import { dispatch } from '../../../main/bridge/dispatch';
import type { DemoServer } from '../../../main/demo/index';
import { startSmallDemo } from '../../support/demo';
import { tempRoot } from '../../support/sync-harness';

const cleanups: Array<() => void> = [];
let demo: DemoServer | null = null;
let port = 0;
let app: DvidDeskApp;
const statuses: ConnectionStatus[] = [];
const progress: SyncProgress[] = [];

beforeAll(async () => {
  demo = await startSmallDemo();
  port = demo.port;
  app = createApp({ mode: 'browser', cacheRoot: tempRoot(cleanups), server: { url: demo.url, label: 'demo', demo: false }, pollMs: 250 });
  app.events.on('connection', (c) => statuses.push(c));
  app.events.on('syncProgress', (p) => progress.push(p));
}, 120_000);

afterAll(async () => {
  await app?.close();
  await demo?.close();
  for (const c of cleanups) c();
});

const call = <T>(method: string, arg?: unknown) => dispatch(app, method, arg) as Promise<T>;

function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const v = probe();
      if (v) return resolve(v);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** Every query a view makes, with the answers that identify them. */
async function everyQuery(bodyId: string, type: string) {
  const byType = await call<{ total: number; rows: Array<{ bodyId: string; type: string | null }> }>('searchNeurons', { text: type, limit: 1000 });
  const byId = await call<{ rows: Array<{ bodyId: string }> }>('searchNeurons', { text: bodyId, limit: 5 });
  const rois = await call<Array<{ name: string; pre: number; post: number; bodies: number }>>('rois', { all: true });
  const matrix = await call<{ rois: string[]; connections: number[][] }>('roiConnectivity');
  const body = await call<{ bodyId: string; pre: number; post: number; type: string | null }>('body', { bodyId });
  const up = await call<Array<{ bodyId: string; connections: number }>>('partners', { bodyId, direction: 'upstream' });
  const down = await call<Array<{ bodyId: string; connections: number }>>('partners', { bodyId, direction: 'downstream' });
  const csv = await call<string>('neuronsCsv', { text: type });
  const st = await call<Array<{ status: string; bodies: number }>>('statuses');
  return { byType: byType.rows.filter((r) => r.type === type).map((r) => r.bodyId).toSorted(), byId: byId.rows[0]?.bodyId, rois, matrix, body, up, down, csvLines: csv.trimEnd().split('\r\n').length, st };
}

describe('offline mode through the API', () => {
  it('syncs the open node, then answers every query with the server stopped, says offline and notices its return', async () => {
    // The datasets methods the Connect & Sync view uses.
    await until('online', () => statuses.find((s) => s.state === 'online'));
    expect((await call<Array<{ url: string }>>('recentServers')).map((s) => s.url)).toContain(demo!.url);
    const repos = await call<Array<{ root: string; source: string; nodes: Array<{ uuid: string; locked: boolean; branch: string; parents: string[] }> }>>('repos');
    expect(repos).toHaveLength(1);
    expect(repos[0]!.source).toBe('server');
    const child = repos[0]!.nodes.find((n) => n.uuid === demo!.uuids.child)!;
    expect(child.locked).toBe(false);
    expect(child.parents).toEqual([demo!.uuids.root]);
    expect(repos[0]!.nodes.find((n) => n.uuid === demo!.uuids.root)!.locked).toBe(true);
    const instances = await call<Array<{ name: string; type: string; cached: unknown }>>('instances', { uuid: demo!.uuids.child });
    expect(instances.find((i) => i.name === 'synapses')).toMatchObject({ type: 'annotation', cached: null });
    const roiNames = instances.filter((i) => i.type === 'roi').map((i) => i.name);
    expect(roiNames.length).toBeGreaterThan(60);

    // Sync what the search and ROI views need, on the open node.
    const plan = await call<{ planId: string; refused: string | null; nodeLocked: boolean }>('syncPlan', {
      node: demo!.uuids.child,
      instances: [
        { name: 'segmentation', scope: 'all;scales=0' },
        { name: 'synapses' },
        { name: 'segmentation_annotations' },
        { name: 'roi_data' },
        ...roiNames.map((name) => ({ name })),
      ],
    });
    expect(plan).toMatchObject({ refused: null, nodeLocked: false });
    const started = await call<SyncProgress>('syncStart', { planId: plan.planId });
    const done = await until('the sync to finish', () => progress.find((p) => p.jobId === started.jobId && (p.state === 'done' || p.state === 'failed')), 100_000);
    expect(done.state).toBe('done');
    const active = await call<{ uuid: string; locked: boolean; synced: boolean }>('selectNode', { uuid: demo!.uuids.child });
    expect(active).toMatchObject({ uuid: demo!.uuids.child, locked: false, synced: true });
    const cacheInfo = await call<{ sizeBytes: number; node: string; instances: Array<{ name: string; items: number }> }>('cacheInfo');
    expect(cacheInfo.node).toBe(demo!.uuids.child);
    expect(cacheInfo.sizeBytes).toBeGreaterThan(0);
    expect(cacheInfo.instances.find((i) => i.name === 'synapses')!.items).toBeGreaterThan(0);

    // A typed neuron with partners both ways.
    const typed = await call<{ rows: Array<{ bodyId: string; type: string | null }> }>('searchNeurons', { minPre: 1, minPost: 1, limit: 1000 });
    const pick = typed.rows.find((r) => r.type)!;
    const online = await everyQuery(pick.bodyId, pick.type!);
    expect(online.byType).toContain(pick.bodyId);
    expect(online.byId).toBe(pick.bodyId);
    expect(online.up.length + online.down.length).toBeGreaterThan(0);
    expect(online.rois.some((r) => r.pre > 0)).toBe(true);

    // The server goes away mid-session.
    const before = statuses.length;
    await demo!.close();
    demo = null;
    const offline = await until('offline', () => statuses.slice(before).find((s) => s.state === 'offline'), 10_000);
    expect(offline.error).toBeTruthy();
    expect(offline.lastOnlineAt).not.toBeNull();
    // The active node is open: what it shows may be stale, and the status says since when.
    expect(offline.maybeStale).toMatch(new RegExp(`node ${active.uuid.slice(0, 8)} is open.*since \\d{4}-\\d\\d-\\d\\dT`));
    expect((await call<ConnectionStatus>('connectionStatus')).state).toBe('offline');

    // Every view's queries still answer, with the same numbers.
    expect(await everyQuery(pick.bodyId, pick.type!)).toEqual(online);
    // The Connect & Sync view falls back to the cache.
    const offlineRepos = await call<Array<{ source: string; nodes: Array<{ uuid: string; cached: boolean }> }>>('repos');
    expect(offlineRepos[0]!.source).toBe('cache');
    expect(offlineRepos[0]!.nodes.find((n) => n.uuid === active.uuid)!.cached).toBe(true);
    expect((await call<Array<{ name: string }>>('instances', { uuid: active.uuid })).map((i) => i.name)).toContain('synapses');
    expect((await call<{ node: string }>('cacheInfo')).node).toBe(active.uuid);

    // It comes back on the same port: the app notices without being asked.
    const again = statuses.length;
    demo = await startSmallDemo({ port });
    const back = await until('online again', () => statuses.slice(again).find((s) => s.state === 'online'), 15_000);
    expect(back.maybeStale).toBeNull();
    expect(back.error).toBeNull();
    expect((await call<Array<{ source: string }>>('repos'))[0]!.source).toBe('server');
  }, 180_000);
});
