/**
 * Mesh previews end to end, on the small demo DVID: a big body mesh synced into a fresh cache gets its
 * prepared preview during the sync (and a small one does not); the app's bodyMesh with the standard
 * preview budget answers from that file, exactly as if it had prepared the mesh on request; a missing
 * or damaged file is made again on the first request and stored; `dvid-desk verify` names a damaged
 * one; the full mesh frames the same box as its preview.
 */
import { createHash } from 'node:crypto';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PREVIEW_TRIANGLES, readMesh } from '../../../preload/binary';
import type { ServerRef } from '../../../preload/api';
import { createApp, type DvidDeskApp } from '../../../main/app';
import { dispatch } from '../../../main/bridge/dispatch';
import { Cache, findCaches } from '../../../main/cache/index';
import type { PreparedKey } from '../../../main/cache/prepared-store';
import { runCli } from '../../../main/cli/program';
import type { DemoServer } from '../../../main/demo/index';
import { encodeNgmesh } from '../../../main/formats/ngmesh';
import { decodePreparedMesh } from '../../../main/formats/prepared-mesh';
import { parseInstanceArg } from '../../../main/sync/scope';
import { PREVIEW_ALGORITHM } from '../../../main/workers/tasks/prepare-preview';
import { http } from '../../support/demo';
import { whenBuilt } from '../../support/derive-ready';
import { runSync, startDemo, tempRoot } from '../../support/sync-harness';
import { uvSphere } from '../../support/uv-sphere';

/** A UV sphere in nm, encoded as ngmesh. */
function sphere(n: number, c: [number, number, number], r: number): Uint8Array {
  return encodeNgmesh(uvSphere(n, c, r));
}

const preview = (app: DvidDeskApp, id: bigint) => whenBuilt(() => dispatch(app, 'bodyMesh', { bodyId: id.toString(), maxTriangles: PREVIEW_TRIANGLES }) as Promise<ArrayBuffer>);
const full = (app: DvidDeskApp, id: bigint) => whenBuilt(() => dispatch(app, 'bodyMesh', { bodyId: id.toString() }) as Promise<ArrayBuffer>);

describe('mesh previews: made at sync, served from the cache, remade when missing or damaged', { timeout: 120_000 }, () => {
  const cleanups: Array<() => void> = [];
  let demo: DemoServer;
  let root: string;
  let dir: string;
  let body: bigint;
  let small: bigint;
  let key: PreparedKey;
  let server: ServerRef;
  const BIG = sphere(270, [16_000, 16_000, 16_000], 4000); // 145,800 triangles > PREVIEW_ABOVE

  beforeAll(async () => {
    demo = await startDemo();
    const node = demo.uuids.child;
    [body, small] = demo.truth.neuronBodies(1) as [bigint, bigint];
    const r = await http(demo.url, `/api/node/${node}/segmentation_meshes/key/${body}.ngmesh`, { method: 'POST', body: BIG });
    if (r.status !== 200) throw new Error(`POST mesh: ${r.status} ${r.text}`);
    root = tempRoot(cleanups);
    const run = await runSync(demo, root, node, ['segmentation_meshes', 'segmentation_annotations'].map((n) => parseInstanceArg(n)));
    if (run.outcome?.state !== 'done') throw new Error(`the sync ended ${run.outcome?.state}`);
    dir = findCaches(root)[0]!;
    key = { source: createHash('sha256').update(BIG).digest(), maxTriangles: PREVIEW_TRIANGLES, algorithm: PREVIEW_ALGORITHM };
    server = { url: demo.url, label: 'demo', demo: false };
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
    for (const c of cleanups) c();
  });

  async function withApp<T>(fn: (app: DvidDeskApp) => Promise<T>): Promise<T> {
    const app = createApp({ mode: 'browser', cacheRoot: root, server, pollMs: 0 });
    try {
      return await fn(app);
    } finally {
      await app.close();
    }
  }

  /** The file at `path` once it holds a valid preview other than `before` (written after the answer). */
  async function storedAgain(path: string, before: Buffer | null): Promise<Buffer> {
    let bytes: Buffer | null = null;
    await vi.waitFor(
      () => {
        bytes = readFileSync(path);
        if (before?.equals(bytes)) throw new Error('not replaced yet');
        decodePreparedMesh(bytes, { hash: key.source });
      },
      { timeout: 10_000, interval: 25 },
    );
    return bytes!;
  }

  it('the sync prepared the big mesh (and only it), and the app serves that file scaled to voxels', async () => {
    const cache = Cache.open(dir, { readonly: true });
    const files = [...cache.db.prepared.list()];
    const stored = cache.db.prepared.read(key);
    const path = cache.db.prepared.pathOf(key);
    cache.close();
    expect(files.map((f) => f.path)).toEqual([path]);
    expect(stored).not.toBeNull();
    expect(stored!.source.triangles).toBe(2 * 270 * 270);
    expect(stored!.indices.length / 3).toBeLessThanOrEqual(PREVIEW_TRIANGLES);

    await withApp(async (app) => {
      const m = readMesh(await preview(app, body));
      expect(m.decimated).toBe(true);
      expect(m.indices).toEqual(stored!.indices);
      // No labelmap synced: the view's frame is 8 nm voxels.
      for (let i = 0; i < 300; i++) expect(m.positions[i]).toBeCloseTo(stored!.positions[i]! / 8, 3);
      m.min.forEach((x) => expect(x).toBeCloseTo(1500, 1));
      m.max.forEach((x) => expect(x).toBeCloseTo(2500, 1));
      // The full mesh: every triangle, the same bounds (the view frames the same box before and after).
      const f = readMesh(await full(app, body));
      expect(f.decimated).toBe(false);
      expect(f.indices.length / 3).toBe(2 * 270 * 270);
      expect(f.min).toEqual(m.min);
      expect(f.max).toEqual(m.max);
      // A small mesh is its own preview.
      const s = readMesh(await preview(app, small));
      expect(s.decimated).toBe(false);
    });
  });

  it('a missing preview is made on the first request, identical to the sync\'s, and stored again', async () => {
    const cache = Cache.open(dir, { readonly: true });
    const path = cache.db.prepared.pathOf(key);
    cache.close();
    const fromSync = readFileSync(path);
    const served = await withApp((app) => preview(app, body));
    unlinkSync(path);
    const remade = await withApp((app) => preview(app, body));
    expect(Buffer.from(remade).equals(Buffer.from(served))).toBe(true);
    const again = await storedAgain(path, null);
    expect(again.equals(fromSync)).toBe(true);
  });

  it('a damaged preview is named by dvid-desk verify, never served, and replaced on the next request', async () => {
    const cache = Cache.open(dir, { readonly: true });
    const path = cache.db.prepared.pathOf(key);
    cache.close();
    const good = readFileSync(path);
    const served = await withApp((app) => preview(app, body));
    const bad = Buffer.from(good);
    bad[200]! ^= 0x08;
    writeFileSync(path, bad);

    let out = '';
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
    const code = await runCli(['verify', '--cache', root]);
    vi.restoreAllMocks();
    expect(code).toBe(1);
    expect(out).toContain(`damaged: prepared: ${path}`);
    expect(out).toMatch(/CRC-32/);

    const remade = await withApp((app) => preview(app, body));
    expect(Buffer.from(remade).equals(Buffer.from(served))).toBe(true);
    expect((await storedAgain(path, bad)).equals(good)).toBe(true);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runCli(['verify', '--cache', root]).finally(() => vi.restoreAllMocks())).toBe(0);
  });
});
