/**
 * `dvid-desk status --check` against the demo: what changed on the server since the last sync, from
 * the mutation logs, or from per-body /lastmod where the server keeps no log (no jsonstore), where
 * it is the only signal. Nothing is asked per body while the repo MutationID stands still.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../main/cli/program';
import type { CheckedHoldings, CheckedStatus } from '../../../main/cli/status';
import type { DemoServer } from '../../../main/demo/index';
import { DvidClient } from '../../../main/dvid/client';
import type { Uuid } from '../../../main/dvid/paths';
import { parseInstanceArg } from '../../../main/sync/scope';
import { openCache, runSync, startDemo, tempRoot } from '../../support/sync-harness';

const cleanups: Array<() => void> = [];
let demo: DemoServer | null = null;
afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await demo?.close();
  for (const c of cleanups) c();
});

async function status(root: string, json: boolean): Promise<{ code: number; out: string }> {
  let out = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const code = await runCli(['status', '--cache', root, '--check', ...(json ? ['--json'] : [])]);
  vi.restoreAllMocks();
  return { code, out };
}

async function checks(root: string): Promise<Map<string, NonNullable<CheckedHoldings['server']>>> {
  const { code, out } = await status(root, true);
  expect(code).toBe(0);
  const s = (JSON.parse(out) as { caches: CheckedStatus[] }).caches[0]!;
  expect(s.serverCheck!.error).toBeNull();
  const m = new Map<string, NonNullable<CheckedHoldings['server']>>();
  for (const i of s.instances) for (const n of i.nodes as CheckedHoldings[]) if (n.server) m.set(i.name, n.server);
  return m;
}

const lastmodRequests = (d: DemoServer, since: number) => d.log.entries.slice(since).filter((e) => e.path.includes('/lastmod/'));

describe('dvid-desk status --check', () => {
  it('uses per-body /lastmod where the server keeps no mutation log, and the log where it does', async () => {
    demo = await startDemo([], { jsonstore: false });
    const child = demo.uuids.child as Uuid;
    const root = tempRoot(cleanups);
    const scopes = ['segmentation', 'segmentation_meshes', 'segmentation_annotations', 'synapses'].map((s) => parseInstanceArg(s));
    expect((await runSync(demo, root, child, scopes)).outcome!.state).toBe('done');
    const cache = openCache(demo, root);
    const nodeId = cache.repo.node(child)!.id;
    const bodies = new Set(cache.svMap.bodies(cache.repo.instance('segmentation')!.id, nodeId));
    for (const e of cache.kv.bodyEntries(cache.repo.instance('segmentation_meshes')!.id, nodeId)) bodies.add(e.body);
    for (const e of cache.kv.bodyEntries(cache.repo.instance('segmentation_annotations')!.id, nodeId)) bodies.add(e.body);
    cache.close();

    // Nothing changed: the repo MutationID says so; no body is asked.
    let mark = demo.log.entries.length;
    let c = await checks(root);
    expect(c.get('segmentation')).toMatchObject({ signal: 'repo-mutation-id', behind: false });
    expect(c.get('segmentation_meshes')).toMatchObject({ signal: 'repo-mutation-id', behind: false });
    expect(c.get('segmentation_annotations')).toMatchObject({ signal: 'repo-mutation-id', behind: null });
    expect(c.get('synapses')).toMatchObject({ signal: 'none', behind: null });
    expect(lastmodRequests(demo, mark)).toEqual([]);

    // A merge: /lastmod finds the two bodies it changed, each cached body asked once.
    const client = new DvidClient({ baseUrl: demo.url });
    const [a, b] = demo.truth.neuronBodies(1).slice(5, 7) as [bigint, bigint];
    await client.labelmap(child, 'segmentation').merge(a, [b]);
    mark = demo.log.entries.length;
    c = await checks(root);
    expect(c.get('segmentation')).toMatchObject({ signal: 'lastmod', behind: true, bodies: { changed: 2 } });
    expect(c.get('segmentation_meshes')).toMatchObject({ signal: 'lastmod', behind: true, bodies: { changed: 2 } });
    expect(c.get('segmentation_annotations')).toMatchObject({ signal: 'lastmod', behind: true, bodies: { changed: 2 } });
    const asked = lastmodRequests(demo, mark).map((e) => BigInt(e.path.split('/').at(-1)!));
    expect(asked.length).toBe(bodies.size);
    expect(new Set(asked)).toEqual(bodies);
    const text = (await status(root, false)).out;
    expect(text).toMatch(/segmentation\s+labelmap\s+.*STALE .*server: no mutation log; \/lastmod: 2 of \d+ cached bod\(ies\) changed since the last sync/);
    expect(text).toMatch(/checked with the server just now/);

    // The server gets a jsonstore: a sync records its log position, and the log answers from then on.
    demo.setJsonstore(true);
    expect((await runSync(demo, root, child, scopes)).outcome!.state).toBe('done');
    c = await checks(root);
    expect(c.get('segmentation')).toMatchObject({ signal: 'log', behind: false });
    await client.labelmap(child, 'segmentation').merge(a, [demo.truth.neuronBodies(1)[9]!]);
    await client.close();
    mark = demo.log.entries.length;
    c = await checks(root);
    expect(c.get('segmentation')).toMatchObject({ signal: 'log', behind: true, detail: '1 mutation(s) since the last sync' });
    expect(lastmodRequests(demo, mark)).toEqual([]);
  }, 180_000);
});
