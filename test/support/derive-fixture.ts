/**
 * A seeded synthetic connectome written through the cache's own write functions (repo, sv_map,
 * annotation elements with relationships, element supervoxels, body annotations, ROI spans,
 * roi_data, labelsz): the input of the derive tests, and of the search benchmark until the demo
 * server's `--size` preset can be synced instead (named as a stand-in in the bench output).
 *
 * What it deliberately contains: body ids above 2^53 and near 2^64; T-bars with 1..k PSDs on other
 * bodies (and a few autapses); relationships written on both sides, on one side only, and pointing
 * at positions with no element; elements without a supervoxel, supervoxels without a mapping, a
 * supervoxel mapped to body 0; Note elements in the synapse instance; overlapping ROIs (a super-ROI
 * over two primaries, a sub-ROI of one, a tiny one) described by roi_data; statuses known and unknown.
 */
import { parseBodyAnnotation } from '../../main/cache/body-annotation-store';
import { unpackElements } from '../../main/formats/element-pack';
import { unpackSvs } from '../../main/cache/element-store';
import type { Cache } from '../../main/cache/index';
import type { RoiSpan } from '../../main/formats/roi-spans';

export const F_ROOT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const F_CHILD = 'b1b2c3d4e5f60718293a4b5c6d7e8f91';

export interface FixtureParams {
  seed: number;
  bodies: number;
  svsPerBody: number;
  tbars: number;
  maxPsds: number;
  /** Edge of the cubic volume in voxels. */
  size: number;
  annotatedFraction: number;
  /** Of the annotated bodies (the largest ones first), the fraction that are named neurons (default 0.3). */
  namedFraction?: number;
  /** Commit every this many rows (the bench writes millions). */
  batch?: number;
}

export interface FixtureIds {
  node: number;
  child: number;
  seg: number;
  syn: number;
  ann: number;
  roiData: number;
  lsz: number;
  fetch: number;
  rois: Record<string, number>;
}

export interface Fixture {
  ids: FixtureIds;
  bodies: bigint[];
  svsOf: Map<bigint, bigint[]>;
  /** synapse positions in placement order (T-bars and PSDs) */
  positions: Array<[number, number, number]>;
}

/** xorshift128+ over two uint32 halves: deterministic, fast, no dependency. */
export class Rng {
  #a: number;
  #b: number;
  constructor(seed: number) {
    this.#a = seed >>> 0 || 1;
    this.#b = (seed * 2654435761) >>> 0 || 7;
  }
  next(): number {
    let s1 = this.#a;
    const s0 = this.#b;
    this.#a = s0;
    s1 ^= s1 << 11;
    s1 ^= s1 >>> 8;
    this.#b = s1 ^ s0 ^ (s0 >>> 19);
    return (this.#b >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  u64(): bigint {
    return (BigInt(Math.floor(this.next() * 2 ** 32)) << 32n) | BigInt(Math.floor(this.next() * 2 ** 32));
  }
}

export const TYPES = ['EPG', 'PEN_a(PEN1)', 'PEG', 'Delta7', 'MBON01', 'KCg-m', 'FB4Y', 'ER4d', 'LC4', 'SMP001', 'APL', 'DA1_lPN'];
export const STATUSES = ['Traced', 'Roughly traced', 'Prelim Roughly traced', 'Anchor', 'Orphan', 'Leaves', 'Cropped', '', 'Mystery status'];

/** Primary ROI boxes in 32³ blocks: [x0, y0, z0, x1, y1, z1) half-open, as fractions of the grid (disjoint). */
const PRIMARY_BOXES: Record<string, [number, number, number, number, number, number]> = {
  EB: [0, 0, 0, 0.3, 0.5, 0.5],
  FB: [0.3, 0, 0, 0.6, 0.5, 0.5],
  PB: [0.6, 0, 0, 0.9, 0.5, 0.5],
  'AL(R)': [0, 0.5, 0, 0.45, 0.9, 0.6],
  "a'L(L)": [0.45, 0.5, 0, 0.9, 0.9, 0.6],
};

function boxSpans(grid: number, f: [number, number, number, number, number, number]): RoiSpan[] {
  const [x0, y0, z0, x1, y1, z1] = f.map((v) => Math.floor(v * grid)) as [number, number, number, number, number, number];
  const spans: RoiSpan[] = [];
  for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) spans.push([z, y, x0, x1 - 1]);
  return spans;
}

export function fixtureRois(size: number): Record<string, RoiSpan[]> {
  const grid = Math.ceil(size / 32);
  const out: Record<string, RoiSpan[]> = {};
  for (const [name, box] of Object.entries(PRIMARY_BOXES)) out[name] = boxSpans(grid, box);
  // Super-ROI = EB ∪ FB; sub-ROI = the lower half (in y) of FB.
  out.CX = [...out.EB!, ...out.FB!].toSorted((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  out.FBl1 = out.FB!.filter((s) => s[1] <= Math.floor(0.25 * grid));
  // A tiny ROI (4 × 4 × 4 blocks, not primary): few bodies, so a filter on it is driven by its rows.
  out.NO = [0, 1, 2, 3].flatMap((z) => [0, 1, 2, 3].map((y) => [z, y, 0, 3] as RoiSpan));
  return out;
}

export const ROI_HIERARCHY = {
  name: 'fixture',
  children: [{ name: 'CX', children: [{ name: 'EB' }, { name: 'FB', children: [{ name: 'FBl1' }] }, { name: 'NO' }] }, { name: 'PB' }, { name: 'AL(R)' }, { name: "a'L(L)" }],
};
export const PRIMARY_ROIS = ['EB', 'FB', 'PB', 'AL(R)', "a'L(L)"];

export function seedFixtureRepo(cache: Cache): FixtureIds {
  return cache.write(() => {
    cache.repo.save({
      rootUuid: F_ROOT,
      alias: 'fixture',
      description: 'derive fixture',
      mutationId: 1n,
      properties: {},
      log: [],
      nodes: [
        { uuid: F_ROOT, versionId: 1, branch: '', locked: true, note: null, log: [], parents: [], children: [F_CHILD], created: null, updated: null },
        { uuid: F_CHILD, versionId: 2, branch: '', locked: false, note: null, log: [], parents: [F_ROOT], children: [], created: null, updated: null },
      ],
      instances: [
        { name: 'segmentation', type: 'labelmap', dataUuid: null },
        { name: 'synapses', type: 'annotation', dataUuid: null },
        { name: 'bookmark_annotations', type: 'annotation', dataUuid: null },
        { name: 'segmentation_annotations', type: 'keyvalue', dataUuid: null },
        { name: 'segmentation_meshes', type: 'keyvalue', dataUuid: null },
        { name: 'roi_data', type: 'keyvalue', dataUuid: null },
        { name: 'synapses_labelsz', type: 'labelsz', dataUuid: null },
        ...Object.keys(fixtureRois(64)).map((name) => ({ name, type: 'roi', dataUuid: null })),
      ],
    });
    const id = (n: string) => cache.repo.instance(n)!.id;
    const node = cache.repo.node(F_ROOT)!.id;
    const fetch = cache.fetches!.record({ jobId: null, instanceId: null, nodeId: node, request: 'fixture', mutationId: 1n });
    return {
      node,
      child: cache.repo.node(F_CHILD)!.id,
      seg: id('segmentation'),
      syn: id('synapses'),
      ann: id('segmentation_annotations'),
      roiData: id('roi_data'),
      lsz: id('synapses_labelsz'),
      fetch,
      rois: Object.fromEntries(Object.keys(fixtureRois(64)).map((n) => [n, id(n)])),
    };
  });
}

/** Procedural type names (hemibrain-like: neuropil prefix + number), so most types have few bodies. */
const PREFIXES = ['SMP', 'SLP', 'CL', 'LC', 'MBON', 'PAM', 'PFN', 'FB', 'ER', 'LAL', 'AVLP', 'PVLP', 'WED', 'VES', 'IB', 'CRE', 'SIP', 'DN', 'AOTU', 'PLP'];
export const TYPE_POOL = PREFIXES.flatMap((p) => Array.from({ length: 150 }, (_, i) => `${p}${String(i + 1).padStart(3, '0')}`));

/**
 * A body annotation. `named`: a neuron with type, instance, class and primary neurite (1 in 10 of a
 * few famous types, else one of TYPE_POOL's 3000); otherwise an orphan fragment with a status only,
 * as most annotated bodies of real data are.
 */
export function annotationJson(rng: Rng, body: bigint, named = true): string {
  let fields: Record<string, unknown>;
  if (named) {
    const type = rng.chance(0.1) ? rng.pick(TYPES) : rng.pick(TYPE_POOL);
    const side = rng.pick(['L', 'R']);
    fields = {
      type,
      instance: rng.chance(0.3) ? `${type}(PB0${rng.int(1, 9)})_${side}${rng.int(1, 8)}` : `${type}_${side}`,
      status: rng.pick(STATUSES),
      class: rng.chance(0.5) ? 'CX' : 'MB',
      'primary neurite': `PDM${rng.int(10, 30)}`,
      user: 'fixture',
    };
    if (rng.chance(0.1)) delete fields.type;
    if (rng.chance(0.05)) fields.status = undefined;
  } else {
    fields = { status: rng.pick(['Orphan', 'Orphan', 'Unimportant', 'Not examined', 'Orphan hotknife', '']), user: 'fixture' };
  }
  return `{"bodyid":${body},${JSON.stringify(fields).slice(1)}`;
}

/** Writes a body annotation (raw value + parsed row) inside a write transaction. */
export function putAnnotation(cache: Cache, ids: FixtureIds, nodeId: number, body: bigint, json: string): void {
  const v = cache.kv.prepare(Buffer.from(json));
  cache.kv.put(ids.ann, nodeId, body.toString(), v, { body, format: 'json', mutationId: null }, ids.fetch);
  const parsed = parseBodyAnnotation(json);
  if (parsed) cache.bodyAnnotations.put(ids.ann, nodeId, body, parsed, ids.fetch);
  else cache.bodyAnnotations.delete(ids.ann, nodeId, body);
}

export const ANNOTATION_BLOCK = 64;

/** An element as the fixture places it, with the supervoxel under it (null: none read, stored as 0). */
export interface PlacedElement {
  pos: [number, number, number];
  kind: 'PreSyn' | 'PostSyn' | 'Note';
  rels: Array<{ rel: 'PreSynTo' | 'PostSynTo' | 'GroupedWith'; to: [number, number, number] }>;
  sv: bigint | null;
}

const blockOf = (p: readonly number[]): [number, number, number] => [Math.floor(p[0]! / ANNOTATION_BLOCK), Math.floor(p[1]! / ANNOTATION_BLOCK), Math.floor(p[2]! / ANNOTATION_BLOCK)];

/**
 * Writes elements block by block through ElementStore.putBlock (each block whole, sorted as the cache
 * packs it) and their supervoxels through putSupervoxels, `batch` elements per transaction.
 * `withSvs(coord)` false leaves a block without its supervoxel row.
 */
export function writeBlocks(cache: Cache, ids: FixtureIds, nodeId: number, elements: readonly PlacedElement[], batch = 20_000, withSvs: (coord: [number, number, number]) => boolean = () => true): void {
  const byBlock = new Map<string, { coord: [number, number, number]; els: PlacedElement[] }>();
  for (const e of elements) {
    const c = blockOf(e.pos);
    const k = c.join();
    const g = byBlock.get(k);
    if (g) g.els.push(e);
    else byBlock.set(k, { coord: c, els: [e] });
  }
  let pending: Array<{ coord: [number, number, number]; els: PlacedElement[] }> = [];
  let size = 0;
  const flush = () => {
    const list = pending;
    pending = [];
    size = 0;
    cache.write(() => {
      for (const { coord, els } of list) putBlockWithSvs(cache, ids, nodeId, coord, els, withSvs(coord));
    });
  };
  for (const g of byBlock.values()) {
    pending.push(g);
    size += g.els.length;
    if (size >= batch) flush();
  }
  if (pending.length) flush();
}

/** One block, whole: its elements and (when `svs`) its supervoxel row, in the cache's packed order. Call in a transaction. */
export function putBlockWithSvs(cache: Cache, ids: FixtureIds, nodeId: number, coord: [number, number, number], els: readonly PlacedElement[], svs = true): void {
  const sorted = els.toSorted((a, b) => a.pos[2] - b.pos[2] || a.pos[1] - b.pos[1] || a.pos[0] - b.pos[0]);
  cache.elements.putBlock(
    ids.syn,
    nodeId,
    coord,
    ANNOTATION_BLOCK,
    sorted.map((e) => ({ pos: e.pos, kind: e.kind, tags: [], prop: { conf: '0.9' }, rels: e.rels })),
    true,
    ids.fetch,
  );
  if (svs && sorted.length) cache.elements.putSupervoxels(ids.syn, nodeId, coord, ids.seg, BigUint64Array.from(sorted, (e) => e.sv ?? 0n), ids.fetch);
}

/** The stored elements of the synapse instance at a node, with their supervoxels (null: none stored or 0). */
export function storedElements(cache: Cache, ids: FixtureIds, nodeId: number): Map<string, PlacedElement> {
  const out = new Map<string, PlacedElement>();
  const rows = cache.db.db
    .prepare(
      `SELECT e.bx, e.by, e.bz, e.data, e.props, e.tags, s.svs FROM element_blocks e LEFT JOIN element_block_svs s ON s.instance_id = e.instance_id
       AND s.node_id = e.node_id AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx WHERE e.instance_id = ? AND e.node_id = ?`,
    )
    .safeIntegers(false)
    .all(ids.syn, nodeId) as Array<{ data: Buffer; props: string | null; tags: string | null; svs: Buffer | null }>;
  for (const r of rows) {
    const els = unpackElements(r.data, r.props, r.tags);
    const svs = r.svs ? unpackSvs(r.svs) : null;
    els.forEach((e, i) => {
      const sv = svs ? svs[i]! : 0n;
      out.set(e.pos.join(), { pos: e.pos, kind: e.kind as PlacedElement['kind'], rels: e.rels as PlacedElement['rels'], sv: sv === 0n ? null : sv });
    });
  }
  return out;
}

/**
 * Edits elements the way a sync does (whole blocks rewritten, with their supervoxel rows): `put`
 * adds or replaces elements, `del` removes those at the given positions. Call in a transaction.
 */
export function editElements(cache: Cache, ids: FixtureIds, nodeId: number, edit: { put?: PlacedElement[]; del?: Array<readonly [number, number, number]> }): void {
  const current = storedElements(cache, ids, nodeId);
  const touched = new Map<string, [number, number, number]>();
  for (const e of edit.put ?? []) {
    current.set(e.pos.join(), e);
    touched.set(blockOf(e.pos).join(), blockOf(e.pos));
  }
  for (const p of edit.del ?? []) {
    current.delete(p.join());
    touched.set(blockOf(p).join(), blockOf(p));
  }
  for (const [k, coord] of touched) {
    const els = [...current.values()].filter((e) => blockOf(e.pos).join() === k);
    putBlockWithSvs(cache, ids, nodeId, coord, els);
  }
}

export function buildFixture(cache: Cache, p: FixtureParams): Fixture {
  const rng = new Rng(p.seed);
  const ids = seedFixtureRepo(cache);
  const batch = p.batch ?? 20_000;
  const N = ids.node;
  const f = ids.fetch;

  // Bodies and supervoxels (a few extreme ids).
  const bodies: bigint[] = [];
  const seen = new Set<bigint>();
  const fresh = (special?: bigint): bigint => {
    let v = special ?? rng.u64();
    while (v === 0n || seen.has(v)) v = rng.u64();
    seen.add(v);
    return v;
  };
  const specials = [2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 2n ** 63n - 1n, 5n];
  for (let i = 0; i < p.bodies; i++) bodies.push(fresh(specials[i]));
  const svsOf = new Map<bigint, bigint[]>();
  const allSvs: Array<[bigint, bigint]> = [];
  for (const b of bodies) {
    const svs: bigint[] = [];
    for (let k = 0; k < p.svsPerBody; k++) svs.push(fresh());
    svsOf.set(b, svs);
    for (const sv of svs) allSvs.push([sv, b]);
  }
  const unmappedSv = fresh();
  const zeroSv = fresh();
  for (let i = 0; i < allSvs.length; i += batch) {
    cache.write(() => {
      for (const [sv, b] of allSvs.slice(i, i + batch)) cache.svMap.put(ids.seg, N, sv, b, f);
    });
  }
  cache.write(() => cache.svMap.put(ids.seg, N, zeroSv, 0n, f));

  // Synapses: a T-bar and 1..maxPsds PSDs nearby on other (sometimes the same) bodies.
  const used = new Set<string>();
  const positions: Array<[number, number, number]> = [];
  const freePos = (near?: [number, number, number]): [number, number, number] => {
    for (;;) {
      const p3: [number, number, number] = near
        ? [near[0] + rng.int(-30, 30), near[1] + rng.int(-30, 30), near[2] + rng.int(-30, 30)]
        : [rng.int(0, p.size - 1), rng.int(0, p.size - 1), rng.int(0, p.size - 1)];
      const k = p3.join();
      if (!used.has(k)) {
        used.add(k);
        return p3;
      }
    }
  };
  const all: PlacedElement[] = [];
  const svFor = (b: bigint): bigint | null => {
    const r = rng.next();
    if (r < 0.01) return null; // no supervoxel read yet
    if (r < 0.015) return unmappedSv; // a supervoxel with no mapping row
    if (r < 0.018) return zeroSv; // mapped to 0 (split away)
    return rng.pick(svsOf.get(b)!);
  };
  // A skewed choice of bodies, like real data: a few big neurons, many small fragments.
  const pickBody = () => bodies[Math.floor(bodies.length * rng.next() ** 2.5)]!;
  for (let t = 0; t < p.tbars; t++) {
    const tb = pickBody();
    const tpos = freePos();
    const n = rng.int(1, p.maxPsds);
    const tbar: PlacedElement = { pos: tpos, kind: 'PreSyn', rels: [], sv: svFor(tb) };
    positions.push(tpos);
    const psds: PlacedElement[] = [];
    for (let k = 0; k < n; k++) {
      const pb = rng.chance(0.02) ? tb : pickBody();
      const ppos = freePos(tpos);
      positions.push(ppos);
      const psd: PlacedElement = { pos: ppos, kind: 'PostSyn', rels: [], sv: svFor(pb) };
      const side = rng.next();
      if (side < 0.9 || side >= 0.95) tbar.rels.push({ rel: 'PreSynTo', to: ppos });
      if (side < 0.95) psd.rels.push({ rel: 'PostSynTo', to: tpos });
      psds.push(psd);
    }
    if (rng.chance(0.02)) tbar.rels.push({ rel: 'PreSynTo', to: freePos(tpos) }); // names a position with no element
    if (rng.chance(0.01)) tbar.rels.push({ rel: 'GroupedWith', to: psds[0]!.pos });
    all.push(tbar, ...psds);
    if (rng.chance(0.01)) all.push({ pos: freePos(), kind: 'Note', rels: [], sv: rng.pick(svsOf.get(tb)!) });
  }
  // Stored per 64³ annotation block as the cache keeps them; 1 block in 100 has no supervoxel row yet.
  writeBlocks(cache, ids, N, all, batch, (coord) => (coord[0] * 7 + coord[1] * 13 + coord[2] * 29) % 100 !== 0);

  // Body annotations for a fraction of the bodies (big ones first, like real data), plus some bodies with no synapses.
  const annotated = bodies.filter((_, i) => i < p.bodies * p.annotatedFraction);
  const named = annotated.length * (p.namedFraction ?? 0.3);
  for (let i = 0; i < annotated.length; i += batch) {
    cache.write(() => {
      annotated.slice(i, i + batch).forEach((b, j) => putAnnotation(cache, ids, N, b, annotationJson(rng, b, i + j < named)));
    });
  }

  // ROIs and roi_data, labelsz.
  cache.write(() => {
    for (const [name, spans] of Object.entries(fixtureRois(p.size))) cache.rois.put(ids.rois[name]!, N, 32, spans, f);
    const put = (key: string, value: unknown) => cache.kv.put(ids.roiData, N, key, cache.kv.prepare(Buffer.from(JSON.stringify(value))), { body: null, format: 'json', mutationId: null }, f);
    put('roiHierarchy', ROI_HIERARCHY);
    put('primaryRois', PRIMARY_ROIS);
    cache.labelsz.replaceIndex(
      ids.lsz,
      N,
      'AllSyn',
      bodies.slice(0, 50).map((label, i) => ({ label, count: 1000 - i })),
      f,
    );
  });
  return { ids, bodies, svsOf, positions };
}
