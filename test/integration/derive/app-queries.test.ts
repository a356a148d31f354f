/**
 * The search / ROI / body methods of the API contract, end to end through the app's dispatch (argument
 * validation included), answered from a cache on disk with no server reachable:
 * - the active node defaults to the newest finished sync of the configured server's caches;
 * - a node without derived tables is built on first use, then served from a read-only connection;
 * - a writer opened in the process (what a sync does) gets the derived tables attached, and queries
 *   follow its commits (a merge moves the counts);
 * - bad arguments and bad regexes come back as 'bad-argument', unknown bodies as 'not-found'.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerRef } from '../../../preload/api';
import { createApp, type DvidDeskApp } from '../../../main/app';
import { dispatch, errorBody } from '../../../main/bridge/dispatch';
import { Cache } from '../../../main/cache/index';
import { cacheDirFor } from '../../../main/paths';
import { tempDir } from '../../support/cache-fixture';
import { buildFixture, F_ROOT, type Fixture } from '../../support/derive-fixture';
import { oracle } from '../../support/derive-oracle';
import { whenBuilt } from '../../support/derive-ready';

const SERVER: ServerRef = { url: 'http://127.0.0.1:9', label: 'nowhere', demo: false };

let app: DvidDeskApp | null = null;
let cleanup: (() => void) | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
  cleanup?.();
  cleanup = null;
});

function seed(): { root: string; dir: string; fx: Fixture } {
  const t = tempDir('dvid-desk-derive-app-');
  cleanup = t.cleanup;
  const dir = cacheDirFor(t.dir, SERVER, F_ROOT);
  const cache = Cache.open(dir);
  const fx = buildFixture(cache, { seed: 21, bodies: 400, svsPerBody: 2, tbars: 800, maxPsds: 4, size: 512, annotatedFraction: 0.5 });
  cache.write(() => {
    const job = cache.jobs.create({ nodeId: fx.ids.node, planKey: 'k', plan: '{}', mutationId: null }, []);
    cache.jobs.writeJob({ ...job, state: 'done', finishedAt: Date.now() });
  });
  cache.close();
  return { root: t.dir, dir, fx };
}

// The first query of a node starts its build on a worker thread and answers 'building': ask again.
const call = (method: string, arg?: unknown) => whenBuilt(() => dispatch(app!, method, arg));
async function callError(method: string, arg?: unknown): Promise<{ code: string; message: string }> {
  try {
    await call(method, arg);
  } catch (err) {
    return errorBody(err).error;
  }
  throw new Error(`${method} did not fail`);
}

describe('search, ROI and body methods of the API', () => {
  it('answer from the cache of the last synced node, with no server', async () => {
    const { root, dir, fx } = seed();
    app = createApp({ mode: 'browser', cacheRoot: root, server: SERVER, pollMs: 0 });
    const page = (await call('searchNeurons', { sort: { key: 'post', dir: 'desc' }, limit: 5 })) as { total: number; rows: Array<{ bodyId: string; post: number }> };
    const cache = Cache.open(dir, { readonly: true });
    const want = oracle(cache.db.db, fx.ids);
    cache.close();
    expect(page.total).toBe(Object.keys(want.bodies).length);
    const top = Object.entries(want.bodies).toSorted((a, b) => b[1].post - a[1].post)[0]!;
    expect(page.rows[0]!.post).toBe(top[1].post);
    const rois = (await call('rois', { all: true })) as Array<{ name: string; pre: number; post: number; bodies: number }>;
    for (const r of rois) expect({ pre: r.pre, post: r.post, bodies: r.bodies }).toEqual({ pre: want.rois[r.name]!.pre, post: want.rois[r.name]!.post, bodies: want.rois[r.name]!.bodies });
    const m = (await call('roiConnectivity', { rois: ['EB', 'FB'] })) as { connections: number[][] };
    expect(m.connections[0]![1]).toBe(want.roiConn['EB|FB']?.connections ?? 0);
    const id = page.rows[0]!.bodyId;
    const body = (await call('body', { bodyId: id })) as { pre: number; post: number };
    expect(body).toMatchObject({ pre: want.bodies[id]!.pre, post: want.bodies[id]!.post });
    const up = (await call('partners', { bodyId: id, direction: 'upstream' })) as Array<{ bodyId: string; connections: number }>;
    expect(up.reduce((s, p) => s + p.connections, 0)).toBe(Object.entries(want.edges).filter(([k]) => k.endsWith(`|${id}`)).reduce((s, [, n]) => s + n, 0));
    const statuses = (await call('statuses')) as Array<{ status: string; bodies: number }>;
    expect(statuses.reduce((s, x) => s + x.bodies, 0)).toBe(page.total);
    const csv = (await call('neuronsCsv', { minPost: 1 })) as string;
    expect(csv.trimEnd().split('\r\n')).toHaveLength(1 + Object.values(want.bodies).filter((b) => b.post >= 1).length);
  });

  it('follow a writer in the same process (a sync): a merge moves the counts', async () => {
    const { root, dir, fx } = seed();
    app = createApp({ mode: 'browser', cacheRoot: root, server: SERVER, pollMs: 0 });
    await call('rois');
    const writer = Cache.open(dir);
    try {
      const [a, b] = [fx.bodies[0]!, fx.bodies[1]!];
      const before = (await call('body', { bodyId: b.toString() })) as { post: number };
      const moved = (await call('body', { bodyId: a.toString() })) as { post: number };
      writer.write(() => {
        for (const sv of fx.svsOf.get(a)!) writer.svMap.put(fx.ids.seg, fx.ids.node, sv, b, fx.ids.fetch);
      });
      const after = (await call('body', { bodyId: b.toString() })) as { post: number };
      expect(after.post).toBe(before.post + moved.post);
      // The merged body keeps its annotation (it stays searchable by id) with no synapses left.
      expect(((await call('searchNeurons', { text: a.toString() })) as { rows: Array<{ pre: number; post: number }> }).rows[0]).toMatchObject({ pre: 0, post: 0 });
    } finally {
      writer.close();
    }
    // After the writer closed cleanly, a reader serves the same (fresh) tables.
    const again = (await call('body', { bodyId: fx.bodies[1]!.toString() })) as { post: number };
    expect(again.post).toBeGreaterThan(0);
  });

  it('refuse bad arguments and unknown bodies with the contract error codes', async () => {
    const { root } = seed();
    app = createApp({ mode: 'browser', cacheRoot: root, server: SERVER, pollMs: 0 });
    expect(await callError('searchNeurons', { text: '/(/' })).toMatchObject({ code: 'bad-argument', message: expect.stringMatching(/bad regular expression/) });
    expect(await callError('searchNeurons', { inputRois: { rois: ['NOPE'], mode: 'any' } })).toMatchObject({ code: 'bad-argument' });
    expect(await callError('searchNeurons', { limit: 5000 })).toMatchObject({ code: 'bad-argument' });
    expect(await callError('searchNeurons', { sort: { key: 'roi:EB:both', dir: 'asc' } })).toMatchObject({ code: 'bad-argument' });
    expect(await callError('body', { bodyId: '18446744073709551616' })).toMatchObject({ code: 'bad-argument' });
    expect(await callError('body', { bodyId: '12' })).toMatchObject({ code: 'not-found' });
    expect(await callError('partners', { bodyId: '1', direction: 'sideways' })).toMatchObject({ code: 'bad-argument' });
  });

  it('says there is nothing to search before any sync', async () => {
    const t = tempDir('dvid-desk-derive-empty-');
    cleanup = t.cleanup;
    app = createApp({ mode: 'browser', cacheRoot: t.dir, server: SERVER, pollMs: 0 });
    expect(await callError('searchNeurons', {})).toMatchObject({ code: 'not-found', message: expect.stringMatching(/sync a node/) });
  });
});
