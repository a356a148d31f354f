/**
 * The derived tables after a REAL sync of the demo server, checked against a recount from the
 * generator's own data (`demo.truth.dataset`: its synapse table, supervoxel→body mappings, ROI spans
 * and body annotations), never from the cache: per body pre/post and per primary ROI, per ROI
 * pre/post/bodies, ROI×ROI connections and bodies, partners with counts, statuses with neuclease's
 * rank, labelsz rank (AllSyn, recounted). Everything is read through DeriveService, as the app does.
 *
 * - The root is synced with its supervoxel blocks (element supervoxels decoded from them, mapping of
 *   the blocks' supervoxels). While that sync runs in this process, the derived tables (attached to
 *   the sync's writer by the observeCaches hook) are compared, at several points, with a from-scratch
 *   computation over what the cache holds at that moment.
 * - The child (open node: B merged into A, C cleaved) is synced WITHOUT label blocks: element
 *   supervoxels come from /labels and their bodies from /mapping (element-svs), as the benchmark
 *   syncs. Its tables are checked against the child's mapping, so the merge and the cleave show.
 * Re-syncing a node after a merge on the server is the incremental sync's job (the demo server
 * refuses writes); a merge written to the cache directly is tested in app-queries.test.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BodyDetail, Partner, RoiConnectivity, RoiRow, StatusCount } from '../../../preload/api';
import { Cache, observeCaches } from '../../../main/cache/index';
import type { DemoServer } from '../../../main/demo/index';
import { Derived } from '../../../main/derive/derived';
import { attachDerivedToWriters, DeriveService } from '../../../main/derive/service';
import { cacheDirFor } from '../../../main/paths';
import type { SyncOutcome } from '../../../main/sync/runner';
import type { InstanceScope } from '../../../main/sync/scope';
import { whenBuilt } from '../../support/derive-ready';
import { derivedSnapshot, oracle, type OracleIds } from '../../support/derive-oracle';
import { runSync, startDemo, tempRoot } from '../../support/sync-harness';

/** neuclease's DEFAULT_BODY_STATUS_CATEGORIES as DVID-API.md §11 lists them (least to most complete). */
const NEUCLEASE = [
  'Unimportant', 'Glia', 'Hard to trace', 'Orphan-artifact', 'Orphan', 'Orphan hotknife', 'Putative Leaves', 'Out of scope', 'Not examined', '', '0.5assign',
  'Anchor', 'Cleaved Anchor', 'Will be merged', 'Partially traced', 'Sensory Anchor', 'Cervical Anchor', 'Soma Anchor', 'Examined Soma Anchor', 'Primary Anchor',
  'Leaves', 'PRT Orphan', 'Reviewed', 'Prelim Roughly traced', 'RT Hard to trace', 'RT Orphan', 'Roughly traced', 'Traced in ROI', 'Traced', 'Finalized',
];

const cleanups: Array<() => void> = [];
let demo: DemoServer;
let cacheRoot: string;
const outcomes: Array<SyncOutcome | null> = [];
let dir: string;
let service: DeriveService;
/** One comparison made while the root's sync ran: the state it saw, and whether the tables matched. */
const midSync: Array<{ state: string; elements: number; edges: number; ok: boolean; diff?: string }> = [];

const all = (name: string): InstanceScope => ({ name, scope: { region: { kind: 'all' }, scales: null } });

/** What the derived tables need: synapses, body annotations, ROIs with roi_data, labelsz; label blocks optional. */
function scopes(withBlocks: boolean): InstanceScope[] {
  const rois = demo.truth.dataset.rois.map((r) => all(r.name));
  return [all('synapses'), all('segmentation_annotations'), all('roi_data'), all('synapses_labelsz'), ...rois, ...(withBlocks ? [all('segmentation')] : [])];
}

function oracleIds(cache: Cache, uuid: string): OracleIds | null {
  const node = cache.repo.node(uuid)?.id;
  const id = (n: string) => cache.repo.instance(n)?.id;
  const [syn, seg, ann] = [id('synapses'), id('segmentation'), id('segmentation_annotations')];
  if (node === undefined || syn === undefined || seg === undefined || ann === undefined) return null;
  const rois: Record<string, number> = {};
  for (const r of demo.truth.dataset.rois) rois[r.name] = id(r.name)!;
  return { node, syn, seg, ann, rois };
}

/** Compares the live derived tables with a from-scratch computation over what the cache holds now. */
function checkLive(writer: Cache): void {
  const ids = oracleIds(writer, demo.uuids.root);
  if (!ids) return;
  const derived = Derived.of(writer);
  if (!derived) throw new Error('the sync writer has no derived tables attached');
  derived.flush();
  const ctx = derived.ensureNode(ids.node);
  const want = oracle(writer.db.db, ids);
  const got = derivedSnapshot(writer.db.db, ctx.id);
  const ok = isDeepStrictEqual(got, want);
  const firstDiff = (): string => {
    for (const part of Object.keys(want) as Array<keyof typeof want>) {
      const g = got[part] as Record<string, unknown>, w = want[part] as Record<string, unknown>;
      for (const k of new Set([...Object.keys(g), ...Object.keys(w)])) {
        if (!isDeepStrictEqual(g[k], w[k])) return `${part}[${k}]: derived ${JSON.stringify(g[k])}, recount ${JSON.stringify(w[k])}`;
      }
    }
    return '?';
  };
  const elements = want.totals.pre + want.totals.post;
  const edges = Object.keys(want.edges).length;
  const state = `${elements} elements, ${Object.keys(want.rois).length} ROIs, ${want.totals.bodies} bodies, ${Object.keys(want.bodyRoi).length} body×ROI, ${edges} edges`;
  midSync.push({ state, elements, edges, ok, ...(ok ? {} : { diff: firstDiff() }) });
}

beforeAll(async () => {
  // Slowed block streams: the sync commits in many steps, and the checks fall between them.
  demo = await startDemo([
    { path: '/api/node/*/synapses/blocks', kind: 'latency', latencyMs: 50 },
    { path: '/api/node/*/segmentation/blocks', kind: 'latency', latencyMs: 50 },
    { path: '/api/node/*/segmentation/specificblocks', kind: 'latency', latencyMs: 50 },
  ]);
  cacheRoot = tempRoot(cleanups);
  dir = cacheDirFor(cacheRoot, { url: demo.url }, demo.repoRoot);
  let writer: Cache | null = null;
  const unobserve = observeCaches({
    opened: (c) => {
      if (!c.db.readonly) writer = c;
    },
    // The last state too: a fast sync can finish its mapping between two timer ticks. Observers are called in
    // the order they were registered, so this one (registered before the derived tables') still sees them.
    closing: (c) => {
      if (c === writer) checkLive(c);
      writer = null;
    },
  });
  // The observeCaches hook attaches the derived tables to the sync's writer (here with in-thread
  // rebuilds, so that every check finds tables to compare; the service below builds on a worker).
  const undoAttach = attachDerivedToWriters();
  // Timers run between the sync's (synchronous) transactions, as the UI's queries do.
  // Checked after a commit (the newest fetch id moved), at most every 0.1 s.
  let seen = -1;
  let last = 0;
  const timer = setInterval(() => {
    if (!writer || Date.now() - last < 100) return;
    const fetch = writer.db.db.prepare('SELECT ifnull(max(id), 0) FROM main.fetches').pluck().safeIntegers(false).get() as number;
    if (fetch === seen) return;
    seen = fetch;
    checkLive(writer);
    last = Date.now();
  }, 50);
  try {
    const run = await runSync(demo, cacheRoot, demo.uuids.root, scopes(true));
    outcomes.push(run.outcome);
  } finally {
    clearInterval(timer);
    unobserve();
    undoAttach();
  }
  // Constructed before the child's sync opens its writer: it attaches the derived tables to it.
  service = new DeriveService({ cacheRoot, server: { url: demo.url, label: 'demo', demo: true } });
  demo.setFaults([]);
  const child = await runSync(demo, cacheRoot, demo.uuids.child, scopes(false));
  outcomes.push(child.outcome);
}, 300_000);

afterAll(async () => {
  service?.close();
  await demo?.close();
  for (const c of cleanups) c();
});

interface Truth {
  bodies: Map<string, { pre: number; post: number; rois: Map<string, { pre: number; post: number }>; type: string | null; instance: string | null; status: string }>;
  rois: Map<string, { primary: boolean; pre: number; post: number; bodiesPre: number; bodiesPost: number; bodies: number }>;
  conn: Map<string, number>;
  connBodies: Map<string, number>;
  edges: Map<string, number>;
  allSynRank: Map<string, number>;
}

/** The generator's facts at version v (0 root, 1 child), recounted with the plainest code. */
function truthAt(v: 0 | 1): Truth {
  const d = demo.truth.dataset;
  const t = d.synapses;
  const n = t.kind.length;
  const map = d.mappings[v];
  const bodyOf = (i: number): string | null => {
    const b = map[t.sv[i]!]!;
    return b === 0n ? null : b.toString();
  };
  const roiBlocks = d.rois.map((r) => ({ name: r.name, primary: r.primary, blocks: new Set(r.spans.flatMap(([z, y, x0, x1]) => Array.from({ length: x1 - x0 + 1 }, (_, k) => `${x0 + k},${y},${z}`))) }));
  const roisOf = (i: number): string[] => {
    const k = `${Math.floor(t.pos[3 * i]! / 32)},${Math.floor(t.pos[3 * i + 1]! / 32)},${Math.floor(t.pos[3 * i + 2]! / 32)}`;
    return roiBlocks.filter((r) => r.blocks.has(k)).map((r) => r.name);
  };
  const elRois = Array.from({ length: n }, (_, i) => roisOf(i));
  const out: Truth = { bodies: new Map(), rois: new Map(), conn: new Map(), connBodies: new Map(), edges: new Map(), allSynRank: new Map() };
  for (const r of roiBlocks) out.rois.set(r.name, { primary: r.primary, pre: 0, post: 0, bodiesPre: 0, bodiesPost: 0, bodies: 0 });
  const body = (id: string) => {
    let b = out.bodies.get(id);
    if (!b) out.bodies.set(id, (b = { pre: 0, post: 0, rois: new Map(), type: null, instance: null, status: '' }));
    return b;
  };
  // Annotations as the server holds them at v.
  const kv = d.keyvalues.segmentation_annotations!;
  const keys = new Set(kv.root.keys);
  if (v === 1) {
    for (const k of kv.deleted) keys.delete(k);
    for (const k of kv.child.keys) keys.add(k);
  }
  for (const k of keys) {
    const raw = v === 1 && kv.child.has(k) ? kv.child.get(k)! : kv.root.get(k)!;
    const a = JSON.parse(Buffer.from(raw).toString('utf8').replace(/^\{"(bodyid|body ID)":\d+/, '{"id":0')) as Record<string, string>;
    Object.assign(body(k), { type: a.type ?? null, instance: a.instance ?? a.name ?? null, status: a.status ?? '' });
  }
  for (let i = 0; i < n; i++) {
    const pre = t.kind[i] === 0;
    const b = bodyOf(i);
    for (const r of elRois[i]!) out.rois.get(r)![pre ? 'pre' : 'post']++;
    if (b === null) continue;
    const row = body(b);
    row[pre ? 'pre' : 'post']++;
    for (const r of elRois[i]!) {
      const c = row.rois.get(r) ?? { pre: 0, post: 0 };
      c[pre ? 'pre' : 'post']++;
      row.rois.set(r, c);
    }
  }
  for (const [, b] of out.bodies) {
    for (const [r, c] of b.rois) {
      const roi = out.rois.get(r)!;
      if (c.pre > 0) roi.bodiesPre++;
      if (c.post > 0) roi.bodiesPost++;
      roi.bodies++;
    }
    for (const [a, ca] of b.rois) {
      if (ca.post === 0) continue;
      for (const [r, cr] of b.rois) if (cr.pre > 0) out.connBodies.set(`${a}|${r}`, (out.connBodies.get(`${a}|${r}`) ?? 0) + 1);
    }
  }
  // Connections: T-bar → PSD pairs named from either side.
  const pairs = new Set<number>();
  for (let i = 0; i < n; i++) {
    for (let k = t.relStart[i]!; k < t.relStart[i + 1]!; k++) {
      const j = t.relTo[k]!;
      if (t.kind[i] === 0 && t.kind[j] === 1) pairs.add(i * n + j);
      if (t.kind[i] === 1 && t.kind[j] === 0) pairs.add(j * n + i);
    }
  }
  for (const p of pairs) {
    const i = Math.floor(p / n), j = p % n;
    for (const a of elRois[i]!) for (const b of elRois[j]!) out.conn.set(`${a}|${b}`, (out.conn.get(`${a}|${b}`) ?? 0) + 1);
    const bi = bodyOf(i), bj = bodyOf(j);
    if (bi !== null && bj !== null) out.edges.set(`${bi}|${bj}`, (out.edges.get(`${bi}|${bj}`) ?? 0) + 1);
  }
  // labelsz AllSyn: elements per body, count descending then label ascending, 0-based.
  [...out.bodies]
    .filter(([, b]) => b.pre + b.post > 0)
    .toSorted((a, b) => b[1].pre + b[1].post - (a[1].pre + a[1].post) || (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1))
    .forEach(([id], rank) => out.allSynRank.set(id, rank));
  return out;
}

const order = (l: Array<[string, number]>) => l.toSorted((a, b) => b[1] - a[1] || (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
const byName = (a: { roi: string }, b: { roi: string }) => (a.roi < b.roi ? -1 : 1);

async function expectMatchesTruth(uuid: string, v: 0 | 1): Promise<Truth> {
  service.select({ dir, uuid });
  const want = truthAt(v);
  // Per ROI, every ROI (primary, super- and sub-ROIs).
  const rois = (await whenBuilt(() => service.rois({ all: true }))) as RoiRow[];
  expect(new Map(rois.map((r) => [r.name, { primary: r.primary, pre: r.pre, post: r.post, bodiesPre: r.bodiesPre, bodiesPost: r.bodiesPost, bodies: r.bodies }]))).toEqual(want.rois);
  expect([...want.rois.values()].reduce((s, r) => s + r.pre + r.post, 0)).toBeGreaterThan(1000);
  // ROI × ROI over every ROI.
  const names = rois.map((r) => r.name);
  const m = (await whenBuilt(() => service.roiConnectivity({ rois: names }))) as RoiConnectivity;
  const conn = new Map<string, number>(), connBodies = new Map<string, number>();
  names.forEach((a, i) =>
    names.forEach((b, j) => {
      if (m.connections[i]![j]! > 0) conn.set(`${a}|${b}`, m.connections[i]![j]!);
      if (m.bodies[i]![j]! > 0) connBodies.set(`${a}|${b}`, m.bodies[i]![j]!);
    }),
  );
  expect(conn).toEqual(want.conn);
  expect(connBodies).toEqual(want.connBodies);
  // Every body: totals, primary-ROI breakdown, names, status rank, labelsz rank, partners.
  const primary = new Set(rois.filter((r) => r.primary).map((r) => r.name));
  const upstream = new Map<string, Array<[string, number]>>(), downstream = new Map<string, Array<[string, number]>>();
  for (const [k, c] of want.edges) {
    const [pre, post] = k.split('|') as [string, string];
    (downstream.get(pre) ?? downstream.set(pre, []).get(pre)!).push([post, c]);
    (upstream.get(post) ?? upstream.set(post, []).get(post)!).push([pre, c]);
  }
  let withPartners = 0;
  for (const [id, b] of want.bodies) {
    const got = (await whenBuilt(() => service.body({ bodyId: id }))) as BodyDetail;
    const rank = NEUCLEASE.indexOf(b.status);
    expect({ id, pre: got.pre, post: got.post, type: got.type, instance: got.instance, status: got.status ?? '', statusRank: got.statusRank, labelszRank: got.labelszRank }).toEqual({
      id,
      pre: b.pre,
      post: b.post,
      type: b.type,
      instance: b.instance,
      status: b.status,
      statusRank: rank < 0 ? null : rank,
      labelszRank: want.allSynRank.get(id) ?? null,
    });
    const breakdown = [...b.rois].filter(([r]) => primary.has(r)).map(([roi, c]) => ({ roi, pre: c.pre, post: c.post }));
    expect(got.rois.toSorted(byName), id).toEqual(breakdown.toSorted(byName));
    const up = ((await whenBuilt(() => service.partners({ bodyId: id, direction: 'upstream' }))) as Partner[]).map((p) => [p.bodyId, p.connections]);
    const down = ((await whenBuilt(() => service.partners({ bodyId: id, direction: 'downstream' }))) as Partner[]).map((p) => [p.bodyId, p.connections]);
    expect(up, `upstream of ${id}`).toEqual(order(upstream.get(id) ?? []));
    expect(down, `downstream of ${id}`).toEqual(order(downstream.get(id) ?? []));
    if (up.length + down.length > 0) withPartners++;
  }
  expect(withPartners).toBeGreaterThan(20);
  // Statuses: every body row counted once under its raw status, ranked by neuclease's order.
  const counts = new Map<string, number>();
  for (const b of want.bodies.values()) counts.set(b.status, (counts.get(b.status) ?? 0) + 1);
  const statuses = (await whenBuilt(() => service.statuses())) as StatusCount[];
  expect(new Map(statuses.map((s) => [s.status, s.bodies]))).toEqual(counts);
  for (const s of statuses) expect(s.rank, s.status).toBe(NEUCLEASE.includes(s.status) ? NEUCLEASE.indexOf(s.status) : null);
  const ranks = statuses.map((s) => s.rank ?? Infinity);
  expect(ranks).toEqual(ranks.toSorted((a, b) => a - b));
  // Search: every body row, the default order is post descending.
  const page = await whenBuilt(() => service.searchNeurons({ limit: 5 }));
  expect(page.total).toBe(want.bodies.size);
  expect(page.rows.map((r) => r.post)).toEqual([...want.bodies.values()].map((b) => b.post).toSorted((a, b) => b - a).slice(0, 5));
  return want;
}

describe('derived tables after a real sync of the demo, against the generator', () => {
  it('synced both nodes completely', () => {
    expect(outcomes.map((o) => [o?.state, o?.failures])).toEqual([
      ['done', []],
      ['done', []],
    ]);
  });

  it('were current at every check while the sync ran in this process', () => {
    const total = demo.truth.dataset.synapses.kind.length;
    expect(midSync.filter((c) => !c.ok)).toEqual([]);
    // Checked many times, in different states (partly stored elements, elements before their bodies
    // were known, ROIs arriving). The last commits (the mapping) may land right before the writer
    // closes: the root's final tables, kept by these same flushes, are checked against the
    // generator below.
    expect(new Set(midSync.map((c) => c.state)).size).toBeGreaterThanOrEqual(3);
    expect(midSync.some((c) => c.elements > 0 && c.elements < total)).toBe(true);
  });

  it('equal the recount at the root (synced with its label blocks)', async () => {
    const want = await expectMatchesTruth(demo.uuids.root, 0);
    expect(want.bodies.size).toBeGreaterThan(300);
  }, 180_000);

  it('equal the recount at the child (no label blocks; after the merge and the cleave)', async () => {
    const want = await expectMatchesTruth(demo.uuids.child, 1);
    const s = demo.truth.story;
    const atRoot = truthAt(0);
    const [a, b, c, cNew] = [s.mergeTarget, s.mergedPiece, s.cleaveOrig, s.cleaveNew].map(String) as [string, string, string, string];
    // The merge moved B's synapses into A; the cleave moved some of C's into a new body.
    expect(want.bodies.get(a)!.post).toBe(atRoot.bodies.get(a)!.post + atRoot.bodies.get(b)!.post);
    expect(want.bodies.get(b)?.post ?? 0).toBe(0);
    expect(want.bodies.get(cNew)!.pre + want.bodies.get(cNew)!.post).toBeGreaterThan(0);
    expect(want.bodies.get(c)!.post + want.bodies.get(cNew)!.post).toBe(atRoot.bodies.get(c)!.post);
  }, 180_000);
});
