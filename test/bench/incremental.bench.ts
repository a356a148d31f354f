/**
 * Incremental and versioned sync (issue 7): what a re-sync costs after proofreading, against a full
 * re-read of the same scopes in the same run, and what a child node costs after its parent; then the
 * same on a demo without `[mutations] jsonstore`, where per-body /lastmod replaces the logs.
 *
 * Demo server in this process (preset INCR_BENCH_PRESET, default "small"; its dataset from
 * $DVID_DESK_DEMO_DATA or the project's .cache/demo-dataset, generated on first use). Scopes:
 * segmentation (scale 0, all), synapses, synapses_labelsz, segmentation_annotations,
 * segmentation_skeletons, segmentation_meshes. Requests and response bytes come from the demo's
 * request log; times are wall clock on a possibly shared machine (noisy; ratios are the point).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer, type DemoServer } from '../../main/demo/index';
import { DvidClient } from '../../main/dvid/client';
import type { Uuid } from '../../main/dvid/paths';
import { parseInstanceArg } from '../../main/sync/scope';
import { SyncSession } from '../../main/sync/session';

const SCOPES = () => ['segmentation', 'synapses', 'synapses_labelsz', 'segmentation_annotations', 'segmentation_skeletons', 'segmentation_meshes'].map((s) => parseInstanceArg(s));

interface Cost {
  seconds: number;
  requests: number;
  bytes: number;
  mode: string;
}

async function sync(demo: DemoServer, root: string, node: string, full = false): Promise<Cost> {
  const before = demo.log.entries.length;
  const t0 = performance.now();
  const session = new SyncSession({ serverUrl: demo.url, cacheRoot: root, node, scopes: SCOPES(), full });
  let mode = '?';
  try {
    const p = await session.prepare();
    if (p.kind === 'new') mode = p.plan.mode ?? 'full';
    if (p.kind === 'checked') mode = 'spot check';
    else if (p.kind === 'up-to-date') mode = 'up to date';
    else {
      const o = await session.run();
      if (o.state !== 'done') throw new Error(`sync ended ${o.state}: ${o.error}`);
    }
  } finally {
    await session.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const log = demo.log.entries.slice(before);
  return { seconds, requests: log.length, bytes: log.reduce((s, e) => s + e.bytes, 0), mode };
}

const fmt = (c: Cost) => `${c.mode.padEnd(11)} ${c.seconds.toFixed(2).padStart(7)} s ${String(c.requests).padStart(6)} requests ${(c.bytes / 1048576).toFixed(2).padStart(8)} MiB`;
const ratio = (a: Cost, b: Cost) => `time ×${(a.seconds / b.seconds).toFixed(3)}, requests ×${(a.requests / b.requests).toFixed(3)}, bytes ×${(a.bytes / b.bytes).toFixed(4)}`;

export async function run(): Promise<void> {
  process.env.DVID_DESK_DEMO_DATA ??= join(import.meta.dirname, '..', '..', '.cache', 'demo-dataset');
  const preset = (process.env.INCR_BENCH_PRESET ?? 'small') as 'small' | 'default';
  const demo = await startDemoServer({ preset, dataRoot: process.env.DVID_DESK_DEMO_DATA });
  const tmp = mkdtempSync(join(tmpdir(), 'dvid-desk-incr-bench-'));
  try {
    const child = demo.uuids.child as Uuid;
    const a = join(tmp, 'a');
    console.log(`preset ${preset}; scopes: ${SCOPES().map((s) => s.name).join(', ')}`);
    console.log(`full sync of the open node:          ${fmt(await sync(demo, a, child))}`);
    console.log(`re-sync, nothing changed:            ${fmt(await sync(demo, a, child))}`);

    // Proofreading: 3 merges, a cleave, 2 annotation writes, a skeleton deleted, a synapse deleted.
    const client = new DvidClient({ baseUrl: demo.url });
    const seg = client.labelmap(child, 'segmentation');
    const n = demo.truth.neuronBodies(1);
    for (let i = 0; i < 3; i++) await seg.merge(n[2 * i]!, [n[2 * i + 1]!]);
    const svs = await seg.supervoxels(n[10]!);
    await seg.cleave(n[10]!, svs.slice(0, Math.ceil(svs.length / 2)));
    const kv = client.keyvalue(child, 'segmentation_annotations');
    await kv.put(`${n[0]}`, JSON.stringify({ bodyid: Number(n[0]), status: 'Traced' }));
    await kv.put(`${n[12]}`, JSON.stringify({ bodyid: Number(n[12]), status: 'Roughly traced' }));
    await client.keyvalue(child, 'segmentation_skeletons').delete(`${n[1]}_swc`).catch(() => undefined);
    const post = (await client.annotation(child, 'synapses').label(n[14]!, { relationships: true })).find((e) => e.kind === 'PostSyn');
    if (post) await client.http.send({ method: 'DELETE', path: `/api/node/${child}/synapses/element/${post.pos.join('_')}` }, {});
    await client.close();

    const incr = await sync(demo, a, child);
    const full = await sync(demo, a, child, true);
    console.log(`re-sync after proofreading:          ${fmt(incr)}`);
    console.log(`same, --full (baseline, same run):   ${fmt(full)}`);
    console.log(`  incremental / full: ${ratio(incr, full)}`);

    const b = join(tmp, 'b');
    const root = await sync(demo, b, demo.uuids.root);
    const childAfter = await sync(demo, b, child);
    const c = join(tmp, 'c');
    const childAlone = await sync(demo, c, child);
    console.log(`full sync of the locked root:        ${fmt(root)}`);
    console.log(`re-sync of the locked root:          ${fmt(await sync(demo, b, demo.uuids.root))}`);
    console.log(`child after its parent (reuse):      ${fmt(childAfter)}`);
    console.log(`child alone (baseline, same run):    ${fmt(childAlone)}`);
    console.log(`  child reuse / child alone: ${ratio(childAfter, childAlone)}`);

    // No mutation logs: /lastmod of every cached body once the repo MutationID moved.
    const plain = await startDemoServer({ preset, dataRoot: process.env.DVID_DESK_DEMO_DATA, jsonstore: false });
    try {
      const d = join(tmp, 'd');
      await sync(plain, d, child);
      const pc = new DvidClient({ baseUrl: plain.url });
      const pseg = pc.labelmap(child, 'segmentation');
      for (let i = 0; i < 3; i++) await pseg.merge(n[2 * i]!, [n[2 * i + 1]!]);
      await pc.close();
      const lastmod = await sync(plain, d, child);
      const lastmodFull = await sync(plain, d, child, true);
      console.log(`no jsonstore: re-sync after 3 merges: ${fmt(lastmod)}`);
      console.log(`same, --full (baseline, same run):   ${fmt(lastmodFull)}`);
      console.log(`  lastmod incremental / full: ${ratio(lastmod, lastmodFull)}`);
      const e = join(tmp, 'e');
      await sync(plain, e, demo.uuids.root);
      const plainChild = await sync(plain, e, child);
      const plainAlone = await sync(plain, join(tmp, 'f'), child);
      console.log(`no jsonstore: child after its parent: ${fmt(plainChild)}`);
      console.log(`child alone (baseline, same run):    ${fmt(plainAlone)}`);
      console.log(`  child reuse / child alone: ${ratio(plainChild, plainAlone)}`);
    } finally {
      await plain.close();
    }
  } finally {
    await demo.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
