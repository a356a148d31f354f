/**
 * Sync benchmarks (issue 6), against the demo server running in a process of its own, warmed up first.
 *
 * 1. Raw transfer vs sync, same run: the exact requests a sync of `segmentation` (scale 0) and
 *    `synapses` makes, replayed with undici at the same concurrency and only drained; then that sync
 *    into a fresh cache. Target: sync ≤ 1.5 × raw transfer.
 * 2. Synapse ingest: the same annotation JSON, (a) baseline = JSON.parse + bare inserts into an
 *    unindexed table, (b) ours = the sync's path: JSON member framing on the main thread, the
 *    annotation codec and packing in the worker pool, and its store (checksummed rows, keyed table,
 *    per-block replacement). Target: ours ≥ 0.7 × baseline (wall; CPU of all threads also printed).
 * 3. Block decode throughput in the worker pool with 1 and 2 workers (and in-process, for reference).
 * 4. Peak RSS of a syncing process (VmHWM) during a sync of every segmentation block (10k+ at the
 *    default size) with raw-LZ4 payloads. Target < 500 MB.
 *
 * Size: SYNC_BENCH_SIZE (default 1408 voxels per edge = 22³ = 10,648 block positions). The first run
 * generates that dataset (minutes; cached). The machine may be shared: figures are noisy.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { Cache } from '../../main/cache/index';
import { JsonMemberByteSplitter } from '../../main/dvid/json-members';
import { parseBlockStream } from '../../main/formats/block-stream';
import { cacheDirFor } from '../../main/paths';
import type { ItemSpec } from '../../main/sync/plan';
import { parseInstanceArg } from '../../main/sync/scope';
import { SyncSession } from '../../main/sync/session';
import { PoolPacker, storeElementBlocks, type ArrivedPacked, type PackedGroup } from '../../main/sync/syncers/elements';
import { syncPoolSize, WorkerPool } from '../../main/workers/pool';
import { decodeLabelBlockTask } from '../../main/workers/tasks/decode-label-block';
import { decodeLabelBlockPayload } from '../../main/workers/tasks/decode-label-block.handler';
import { unpackLabelCounts } from '../../main/workers/tasks/label-counts';
import { packAnnotationBlocksTask } from '../../main/workers/tasks/pack-annotation-blocks';

const require = createRequire(import.meta.url);
const TSX = require.resolve('tsx');
const SUPPORT = join(import.meta.dirname, '..', 'support');
const CONCURRENCY = 4;
const REPEAT = 3;

interface Demo {
  url: string;
  root: string;
  repoRoot: string;
  proc: ChildProcess;
}

function startDemoProcess(size: number): Promise<Demo> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', TSX, join(SUPPORT, 'demo-process.ts'), '--size', String(size)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const info = JSON.parse(buf.slice(0, nl)) as { url: string; root: string; repoRoot: string };
        resolve({ ...info, proc });
      }
    });
    proc.once('exit', (code) => reject(new Error(`demo process exited (${code}) before it served`)));
  });
}

interface Req {
  path: string;
  body?: string;
}

/** Runs requests `concurrency` at a time, draining each body; returns seconds and bytes. */
async function replay(base: string, reqs: readonly Req[], concurrency: number, keep?: (i: number, body: Buffer) => void): Promise<{ seconds: number; bytes: number }> {
  const agent = new Agent({ connections: concurrency });
  let next = 0;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < reqs.length) {
        const i = next++;
        const r = reqs[i]!;
        const res = await request(base + r.path, {
          method: 'GET',
          dispatcher: agent,
          body: r.body,
          headers: r.body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(r.body)) } : {},
        });
        const chunks: Buffer[] = [];
        for await (const c of res.body as AsyncIterable<Buffer>) {
          bytes += c.length;
          if (keep) chunks.push(c);
        }
        if (res.statusCode !== 200) throw new Error(`${r.path} answered ${res.statusCode}`);
        keep?.(i, Buffer.concat(chunks));
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await agent.close();
  return { seconds, bytes };
}

/** The requests a fresh sync of these items makes (blocks boxes, annotation tiles, mapping batches). */
function requestsOf(uuid: string, items: Array<{ instance: string; spec: ItemSpec }>, svs: bigint[]): Req[] {
  const out: Req[] = [];
  for (const { instance, spec } of items) {
    if (spec.kind === 'blocks' && spec.box) {
      const b = spec.box;
      const size = `${(b[3] - b[0]) * 64}_${(b[4] - b[1]) * 64}_${(b[5] - b[2]) * 64}`;
      const off = `${b[0] * 64}_${b[1] * 64}_${b[2] * 64}`;
      out.push({ path: `/api/node/${uuid}/${instance}/blocks/${size}/${off}?supervoxels=true&scale=${spec.scale}&compression=blocks` });
    } else if (spec.kind === 'elements') {
      const b = spec.box;
      const bs = spec.blockSize;
      out.push({ path: `/api/node/${uuid}/${instance}/blocks/${(b[3] - b[0]) * bs[0]}_${(b[4] - b[1]) * bs[1]}_${(b[5] - b[2]) * bs[2]}/${b[0] * bs[0]}_${b[1] * bs[1]}_${b[2] * bs[2]}` });
    }
  }
  for (let i = 0; i < svs.length; i += 10_000) out.push({ path: `/api/node/${uuid}/segmentation/mapping`, body: `[${svs.slice(i, i + 10_000).join(',')}]` });
  return out;
}

function tmp(): { dir: string; rm: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dvid-desk-bench-'));
  return { dir, rm: () => rmSync(dir, { recursive: true, force: true }) };
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

export async function run(): Promise<void> {
  const size = Number(process.env.SYNC_BENCH_SIZE ?? 1408);
  console.log(`demo dataset --size ${size} (${(size / 64) ** 3} block positions); starting the demo server process (generates the dataset on first use)…`);
  const demo = await startDemoProcess(size);
  const temps: Array<() => void> = [];
  try {
    const scopes = ['segmentation', 'synapses'];
    // Warm-up: one untimed sync (server caches, JIT, disk) that also tells the exact requests.
    const warm = tmp();
    temps.push(warm.rm);
    const w = new SyncSession({ serverUrl: demo.url, cacheRoot: warm.dir, node: demo.root, scopes: scopes.map((s) => parseInstanceArg(s)), concurrency: CONCURRENCY, maxBytes: 1024 ** 4 });
    const prepared = await w.prepare();
    if (prepared.kind !== 'new' || !prepared.plan) throw new Error('expected a fresh plan');
    const plan = prepared.plan;
    const t0 = performance.now();
    const warmOutcome = await w.run();
    console.log(`warm-up sync: ${warmOutcome.state} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const cache = w.cache;
    const nodeId = cache.repo.node(demo.root)!.id;
    const segId = cache.repo.instance('segmentation')!.id;
    const svSet = new Set<bigint>();
    for (const { labels } of cache.blocks.labelTables({ instanceId: segId, nodeId, scale: 0, supervoxels: true })) for (const l of unpackLabelCounts(labels).labels) if (l) svSet.add(l);
    const svs = [...svSet].toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    await w.close();
    const items = plan.instances.flatMap((i) => i.items.map((it) => ({ instance: i.name, spec: it.spec })));
    const reqs = requestsOf(demo.root, items, svs);

    // 1. Raw transfer, then the sync, same run; each the best of REPEAT (a shared machine is noisy).
    await replay(demo.url, reqs, CONCURRENCY); // server warm for exactly these
    let raw = { seconds: Infinity, bytes: 0 };
    for (let i = 0; i < REPEAT; i++) {
      const r = await replay(demo.url, reqs, CONCURRENCY);
      if (r.seconds < raw.seconds) raw = r;
    }
    let syncSeconds = Infinity;
    let state = '';
    for (let i = 0; i < REPEAT; i++) {
      const timed = tmp();
      temps.push(timed.rm);
      const s = new SyncSession({ serverUrl: demo.url, cacheRoot: timed.dir, node: demo.root, scopes: scopes.map((x) => parseInstanceArg(x)), concurrency: CONCURRENCY, maxBytes: 1024 ** 4 });
      await s.prepare();
      const t1 = performance.now();
      const outcome = await s.run();
      syncSeconds = Math.min(syncSeconds, (performance.now() - t1) / 1000);
      state = outcome.state;
      await s.close();
    }
    console.log(`\n1. raw transfer vs sync (segmentation scale 0 + synapses, ${reqs.length} requests, concurrency ${CONCURRENCY}, best of ${REPEAT})`);
    console.log(`   raw transfer: ${raw.seconds.toFixed(2)} s for ${mb(raw.bytes)} (${mb(raw.bytes / raw.seconds)}/s)`);
    console.log(`   sync:         ${syncSeconds.toFixed(2)} s (${state}; decode in a pool of ${syncPoolSize()} worker(s))`);
    console.log(`   ratio sync / raw = ${(syncSeconds / raw.seconds).toFixed(2)}  (target ≤ 1.5)`);
    // What any cache of gunzipped blocks must do at least, on one thread: gunzip each payload and insert
    // its bytes into a bare table (no checksum, no histogram, no index). Printed to show how much of the
    // sync time is the store itself on this machine.
    {
      const payloads: Uint8Array[] = [];
      await replay(demo.url, reqs.filter((r) => r.path.includes('/segmentation/blocks/')), CONCURRENCY, (_i, body) => {
        for (const r of parseBlockStream(body)) payloads.push(new Uint8Array(r.payload));
      });
      const bare = tmp();
      temps.push(bare.rm);
      const bdb = new Database(join(bare.dir, 'bare.sqlite'));
      bdb.pragma('journal_mode = WAL');
      bdb.pragma('synchronous = NORMAL');
      bdb.exec('CREATE TABLE b (i INTEGER, data BLOB)');
      const ins = bdb.prepare('INSERT INTO b VALUES (?, ?)');
      const tb = performance.now();
      let unzipped = 0;
      for (let i = 0; i < payloads.length; i += 64) {
        bdb.transaction(() => {
          for (let k = i; k < Math.min(i + 64, payloads.length); k++) {
            const d = gunzipSync(payloads[k]!);
            unzipped += d.length;
            ins.run(k, d);
          }
        })();
      }
      const bareSeconds = (performance.now() - tb) / 1000;
      bdb.close();
      console.log(`   floor, one thread: gunzip + bare inserts of the ${payloads.length.toLocaleString('en-US')} blocks (${mb(unzipped)}): ${bareSeconds.toFixed(2)} s = ${(bareSeconds / raw.seconds).toFixed(2)} × raw`);
    }

    // 2. Synapse ingest.
    const synReqs = reqs.filter((r) => r.path.includes('/synapses/'));
    const texts: string[] = Array.from({ length: synReqs.length });
    await replay(demo.url, synReqs, CONCURRENCY, (i, body) => (texts[i] = body.toString('utf8')));
    const elementCount = texts.reduce((n, t) => n + (t.match(/"Kind"/g)?.length ?? 0), 0);
    /** Baseline: JSON.parse and bare inserts into an unindexed table. Returns [wall, cpu] seconds. */
    const baselineOnce = (): [number, number] => {
      const base = tmp();
      temps.push(base.rm);
      const bdb = new Database(join(base.dir, 'baseline.sqlite'));
      bdb.pragma('journal_mode = WAL');
      bdb.pragma('synchronous = NORMAL');
      bdb.exec('CREATE TABLE raw (x INTEGER, y INTEGER, z INTEGER, kind TEXT, rest TEXT)');
      const ins = bdb.prepare('INSERT INTO raw VALUES (?, ?, ?, ?, ?)');
      const tw = performance.now();
      const tc = cpu();
      for (const text of texts) {
        const blocks = JSON.parse(text) as Record<string, Array<{ Pos: [number, number, number]; Kind: string; Tags: unknown; Prop: unknown; Rels: unknown }>>;
        bdb.transaction(() => {
          for (const list of Object.values(blocks)) for (const e of list) ins.run(e.Pos[0], e.Pos[1], e.Pos[2], e.Kind, JSON.stringify([e.Tags, e.Prop, e.Rels]));
        })();
      }
      const out: [number, number] = [(performance.now() - tw) / 1000, cpu() - tc];
      bdb.close();
      return out;
    };
    /**
     * Ours: the sync's path: framing on this thread, parsing and packing in the worker pool
     * (PoolPacker, as ElementsSyncer runs it), checksummed block rows. Returns [wall, cpu (this
     * thread and the pool's), stored].
     */
    const oursOnce = async (): Promise<[number, number, number]> => {
      const ours = tmp();
      temps.push(ours.rm);
      const oc = Cache.open(cacheDirFor(ours.dir, { url: demo.url }, demo.repoRoot));
      oc.write(() => {
        oc.repo.save({
          rootUuid: demo.repoRoot,
          alias: null,
          description: null,
          mutationId: null,
          properties: {},
          log: [],
          nodes: [{ uuid: demo.root, versionId: 1, branch: '', locked: true, note: null, log: [], parents: [], children: [], created: null, updated: null }],
          instances: [{ name: 'synapses', type: 'annotation', dataUuid: null }],
        });
      });
      const synId = oc.repo.instance('synapses')!.id;
      const node = oc.repo.node(demo.root)!.id;
      const fetchId = oc.write(() => oc.fetches!.record({ jobId: null, instanceId: synId, nodeId: node, request: 'bench', mutationId: null }));
      const pool = new WorkerPool({ size: syncPoolSize() });
      await Promise.all(Array.from({ length: pool.size }, () => pool.run(packAnnotationBlocksTask, { blocks: [Buffer.from('null')] }))); // workers up before the clock
      const bodies = texts.map((t) => Buffer.from(t)); // the sync receives bytes
      const tw = performance.now();
      const tc = cpu();
      let pending: ArrivedPacked[] = [];
      let n = 0;
      const take = (g: PackedGroup) => {
        if (g.error) throw g.error;
        pending.push(...g.blocks);
        for (const b of g.blocks) n += b.packed.count;
        if (n >= 5000) flush();
      };
      const flush = () => {
        const batch = pending;
        pending = [];
        n = 0;
        oc.write(() => storeElementBlocks(oc.elements, synId, node, batch, [64, 64, 64], null, fetchId));
      };
      // CONCURRENCY responses at a time, as the sync runs CONCURRENCY items, sharing the pool.
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < bodies.length) {
            const body = bodies[next++]!;
            const splitter = new JsonMemberByteSplitter({ maxMemberBytes: 64 << 20, format: 'annotation-blocks' });
            const members = [...splitter.push(body), ...splitter.push(new Uint8Array(0))];
            splitter.finish();
            const packer = new PoolPacker(pool, undefined);
            for (const m of members) {
              packer.add(m.key!.split(',').map(Number) as [number, number, number], m.bytes);
              while (packer.inflight >= packer.maxInflight) take(await packer.next());
            }
            packer.dispatch();
            while (packer.inflight > 0) take(await packer.next());
          }
        }),
      );
      flush();
      const wall = (performance.now() - tw) / 1000;
      const out: [number, number, number] = [wall, cpu() - tc, oc.elements.count(synId, node)];
      await pool.close();
      oc.close();
      return out;
    };
    let [baselineSeconds, baselineCpu] = [Infinity, Infinity];
    let [oursSeconds, oursCpu, stored] = [Infinity, Infinity, 0];
    for (let i = 0; i < REPEAT; i++) {
      const b = baselineOnce();
      baselineSeconds = Math.min(baselineSeconds, b[0]);
      baselineCpu = Math.min(baselineCpu, b[1]);
      const o = await oursOnce();
      oursSeconds = Math.min(oursSeconds, o[0]);
      oursCpu = Math.min(oursCpu, o[1]);
      stored = o[2];
    }
    console.log(`\n2. synapse ingest (${elementCount.toLocaleString('en-US')} elements in ${texts.length} responses; ${stored.toLocaleString('en-US')} stored; best of ${REPEAT})`);
    console.log(`   baseline (JSON.parse + bare inserts, unindexed): ${(elementCount / baselineSeconds).toFixed(0)} elements/s wall, ${(elementCount / baselineCpu).toFixed(0)} per CPU-second`);
    console.log(`   ours (framing here, parse + pack in a pool of ${syncPoolSize()}, checksummed block rows): ${(elementCount / oursSeconds).toFixed(0)} elements/s wall, ${(elementCount / oursCpu).toFixed(0)} per CPU-second (all threads)`);
    console.log(`   ratio ours / baseline = ${(baselineSeconds / oursSeconds).toFixed(2)} wall, ${(baselineCpu / oursCpu).toFixed(2)} CPU  (target ≥ 0.7)`);

    // 3. Decode throughput.
    const segReq = reqs.filter((r) => r.path.includes('/segmentation/blocks/')).slice(0, 4);
    const payloads: Uint8Array[] = [];
    await replay(demo.url, segReq, 2, (_i, body) => {
      for (const r of parseBlockStream(body)) payloads.push(new Uint8Array(r.payload));
    });
    const voxels = payloads.length * 64 ** 3;
    const tIn = performance.now();
    for (const p of payloads) decodeLabelBlockPayload({ payload: p, compression: 'blocks', blockSize: [64, 64, 64] });
    const inProcess = (performance.now() - tIn) / 1000;
    console.log(`\n3. block decode (validate, gunzip, decode, histogram, sha256), ${payloads.length} blocks of 64³`);
    console.log(`   in-process, one thread: ${(payloads.length / inProcess).toFixed(0)} blocks/s, ${(voxels / inProcess / 1e6).toFixed(0)} Mvox/s`);
    for (const workers of [1, 2]) {
      const pool = new WorkerPool({ size: workers });
      await Promise.all(Array.from({ length: workers * 2 }, () => pool.run(decodeLabelBlockTask, { payload: payloads[0]!, compression: 'blocks', blockSize: [64, 64, 64] })));
      const tp = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: workers * 2 }, async () => {
          while (next < payloads.length) {
            const p = payloads[next++]!;
            await pool.run(decodeLabelBlockTask, { payload: p, compression: 'blocks', blockSize: [64, 64, 64] });
          }
        }),
      );
      const sec = (performance.now() - tp) / 1000;
      await pool.close();
      console.log(`   pool of ${workers} worker${workers > 1 ? 's' : ' '}:        ${(payloads.length / sec).toFixed(0)} blocks/s, ${(voxels / sec / 1e6).toFixed(0)} Mvox/s`);
    }

    // 4. Peak RSS of a syncing process, LZ4 payloads.
    const rssRoot = tmp();
    temps.push(rssRoot.rm);
    const child = spawn(
      process.execPath,
      [
        '--import',
        TSX,
        join(SUPPORT, 'sync-process.ts'),
        JSON.stringify({ serverUrl: demo.url, cacheRoot: rssRoot.dir, node: demo.root, instances: ['segmentation'], blockCompression: 'lz4', concurrency: CONCURRENCY }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once('exit', r));
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { state: string; seconds: number; blocks: number; bytes: number; peakRssBytes: number | null; sampledPeakRssBytes: number };
    console.log(`\n4. peak memory of a syncing process: segmentation scale 0 with raw-LZ4 payloads`);
    console.log(`   ${r.state}: ${r.blocks.toLocaleString('en-US')} blocks stored, ${mb(r.bytes)} received in ${r.seconds.toFixed(1)} s`);
    console.log(`   peak RSS (VmHWM) ${r.peakRssBytes === null ? 'n/a' : mb(r.peakRssBytes)}, sampled ${mb(r.sampledPeakRssBytes)}  (target < 500 MB)`);
  } finally {
    demo.proc.stdin!.end();
    await new Promise((r) => setTimeout(r, 200));
    demo.proc.kill();
    for (const t of temps) t();
  }
}
