/**
 * searchNeurons ranking and filters, neuronsCsv, statuses, rois, roiConnectivity, body and partners,
 * on a small hand-made cache whose answers are known by construction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NeuronQuery } from '../../../../preload/api';
import type { Cache } from '../../../../main/cache/index';
import { Derived } from '../../../../main/derive/derived';
import { bodyDetail, partners, roiConnectivity, roiTable, statuses } from '../../../../main/derive/queries';
import { SearchSyntaxError } from '../../../../main/derive/regex';
import { neuronsCsv, searchNeurons } from '../../../../main/derive/search';
import { openTemp } from '../../../support/cache-fixture';
import { fixtureRois, putAnnotation, seedFixtureRepo, writeBlocks, type FixtureIds, type PlacedElement } from '../../../support/derive-fixture';
import { derivedSnapshot, oracle } from '../../../support/derive-oracle';

// ROI boxes of fixtureRois(512) (32³ blocks): EB x < 128, FB 128 ≤ x < 288, PB 288 ≤ x < 448, all with y, z < 256.
const EB: P = [50, 50, 50];
const FB: P = [200, 50, 50];
const PB: P = [350, 50, 50];
const NOWHERE: P = [500, 500, 500];
type P = [number, number, number];

interface BodySpec {
  id: bigint;
  ann?: Record<string, unknown>;
}
const BIG = 18446744073709551615n;
const BODIES: BodySpec[] = [
  { id: 1001n, ann: { type: 'EPG', instance: 'EPG(PB08)_L3', status: 'Traced' } },
  { id: 1002n, ann: { type: 'EPGt', instance: 'EPGt(PB09)_R1', status: 'Roughly traced' } },
  { id: 1003n, ann: { type: 'PEN_a(PEN1)', instance: 'PEN_a(PEN1)_L2', status: 'Traced' } },
  { id: 1004n, ann: { type: 'Delta7', instance: 'Delta7(PB08)_L4', status: 'Anchor' } },
  { id: 1005n, ann: { type: 'hDeltaB', instance: 'hDeltaB_R', status: 'Mystery status' } },
  { id: 1006n, ann: { instance: 'EPG_like', status: '' } },
  { id: 1007n, ann: { type: 'KC', class: 'EPG', status: 'Orphan' } },
  { id: 2002n, ann: { type: 'X1001', instance: '=HYPERLINK("x")', status: 'Traced', comment: 'a, "quoted" note' } },
  { id: BIG, ann: { type: 'LC4', instance: 'LC4_R', status: 'Cropped' } },
  { id: 58130572741n },
];

let cache: Cache;
let done: () => void;
let ids: FixtureIds;
let d: Derived;
let ctx: { id: number; config: import('../../../../main/derive/context').CtxConfig };

/** One supervoxel per body. */
const svOf = (body: bigint) => 500_000n + BigInt(BODIES.findIndex((b) => b.id === body));

function build(c: Cache): FixtureIds {
  const x = seedFixtureRepo(c);
  const N = x.node, f = x.fetch;
  let pos = 0;
  const placed: PlacedElement[] = [];
  const el = (kind: 'PreSyn' | 'PostSyn', at: P, body: bigint, rels: PlacedElement['rels']): P => {
    const p: P = [at[0] + (pos % 40), at[1] + Math.floor(pos / 40), at[2]];
    pos++;
    placed.push({ pos: p, kind, rels, sv: svOf(body) });
    return p;
  };
  /** n connections from `pre` (T-bars in `preAt`) to `post` (PSDs in `postAt`), declared on both sides. */
  const connect = (pre: bigint, preAt: P, post: bigint, postAt: P, n: number) => {
    for (let i = 0; i < n; i++) {
      const t: P = [preAt[0] + (pos % 40), preAt[1] + Math.floor(pos / 40), preAt[2]];
      pos++;
      const q: P = [postAt[0] + (pos % 40), postAt[1] + Math.floor(pos / 40), postAt[2] + 1];
      pos++;
      placed.push({ pos: t, kind: 'PreSyn', rels: [{ rel: 'PreSynTo', to: q }], sv: svOf(pre) });
      placed.push({ pos: q, kind: 'PostSyn', rels: [{ rel: 'PostSynTo', to: t }], sv: svOf(post) });
    }
  };
  c.write(() => {
    for (const b of BODIES) {
      c.svMap.put(x.seg, N, svOf(b.id), b.id, f);
      if (b.ann) putAnnotation(c, x, N, b.id, `{"bodyid":${b.id},${JSON.stringify(b.ann).slice(1)}`);
    }
    // 1001 (EPG): 6 T-bars in EB onto 1004's PSDs in FB, 2 onto 1003 in PB; 3 PSDs in FB from 1002.
    connect(1001n, EB, 1004n, FB, 6);
    connect(1001n, EB, 1003n, PB, 2);
    connect(1002n, FB, 1001n, FB, 3);
    connect(1005n, NOWHERE, 1001n, PB, 1);
    connect(BIG, PB, 1002n, EB, 4);
    el('PreSyn', EB, 1007n, []);
    el('PostSyn', FB, 1007n, []);
    el('PostSyn', FB, 58130572741n, []);
    writeBlocks(c, x, N, placed);
    for (const [name, spans] of Object.entries(fixtureRois(512))) c.rois.put(x.rois[name]!, N, 32, spans, f);
    const put = (key: string, v: unknown) => c.kv.put(x.roiData, N, key, c.kv.prepare(Buffer.from(JSON.stringify(v))), { body: null, format: 'json', mutationId: null }, f);
    put('roiHierarchy', { name: 'x', children: [{ name: 'CX', children: [{ name: 'EB' }, { name: 'FB', children: [{ name: 'FBl1' }] }] }, { name: 'PB' }] });
    put('primaryRois', ['EB', 'FB', 'PB', 'AL(R)', "a'L(L)"]);
    c.labelsz.replaceIndex(x.lsz, N, 'AllSyn', [{ label: 1001n, count: 20 }, { label: BIG, count: 8 }], f);
    const meshes = c.repo.instance('segmentation_meshes')!.id;
    c.kv.put(meshes, N, `${BIG}.ngmesh`, c.kv.prepare(Buffer.from([1, 0, 0, 0])), { body: BIG, format: 'ngmesh', mutationId: null }, f);
  });
  return x;
}

beforeAll(() => {
  const t = openTemp();
  cache = t.cache;
  done = t.cleanup;
  ids = build(cache);
  d = Derived.attach(cache);
  ctx = d.ensureNode(ids.node);
});
afterAll(() => done());

const search = (q: NeuronQuery) => searchNeurons(d.db, ctx, q);
const idsOf = (q: NeuronQuery) => search(q).rows.map((r) => r.bodyId);

describe('the fixture', () => {
  it('derives what an independent count of its rows gives', () => {
    expect(derivedSnapshot(d.db, ctx.id)).toEqual(oracle(d.db, ids));
  });
});

describe('searchNeurons ranking', () => {
  it('puts the exact body id first, before names containing the digits', () => {
    expect(idsOf({ text: '1001' })).toEqual(['1001', '2002']);
    expect(idsOf({ text: BIG.toString() })).toEqual([BIG.toString()]);
    expect(search({ text: ` ${BIG} ` }).rows[0]!.type).toBe('LC4');
  });

  it('finds a body id by its prefix (3+ digits), also for bodies without a name, up to 2^64 − 1', () => {
    expect(idsOf({ text: '5813057' })).toEqual(['58130572741']);
    expect(idsOf({ text: '581' })).toEqual(['58130572741']);
    expect(idsOf({ text: '1844674407370955161' })).toEqual([BIG.toString()]);
    expect(idsOf({ text: '18446744073709551616' })).toEqual([]);
    expect(idsOf({ text: '0581' })).toEqual([]);
  });

  it('ranks exact value, then prefix, then word prefix, then substring; type before instance before other fields', () => {
    // EPG: type exact (1001), other field exact (1007: class), type prefix (1002), instance prefix (1006).
    expect(idsOf({ text: 'EPG' })).toEqual(['1001', '1007', '1002', '1006']);
    expect(idsOf({ text: 'epg' })).toEqual(['1001', '1007', '1002', '1006']);
    // Delta: type prefix (1004), then substring inside hDeltaB (1005).
    expect(idsOf({ text: 'Delta' })).toEqual(['1004', '1005']);
    expect(idsOf({ text: 'elta' })).toEqual(['1004', '1005']);
  });

  it('finds a word after "(" (prefix after the parenthesis) and not mere look-alikes', () => {
    expect(idsOf({ text: 'PB08' })).toEqual(['1001', '1004']);
    expect(idsOf({ text: 'PEN1' })).toEqual(['1003']);
    // One- and two-character texts: exact, prefix and word prefix (no substring).
    expect(idsOf({ text: 'PB' }).toSorted()).toEqual(['1001', '1002', '1004']);
    // "L": the type LC4 starts with it (tier 4); L3, L4, L2 and like are words after "_" (tier 8, larger bodies first).
    expect(idsOf({ text: 'L' })).toEqual([BIG.toString(), '1001', '1004', '1003', '1006']);
  });

  it('/regex/ matches types (first) and instances, case-insensitively, with RE2 syntax', () => {
    expect(idsOf({ text: '/^epgt?$/' })).toEqual(['1001', '1002']);
    expect(idsOf({ text: '/\\(PB0[89]\\)/' })).toEqual(['1001', '1002', '1004']);
    expect(idsOf({ text: '/_R$/' })).toEqual([BIG.toString(), '1005']);
  });

  it('refuses a bad or unsupported regex with a clear error', () => {
    expect(() => search({ text: '/(/' })).toThrow(SearchSyntaxError);
    expect(() => search({ text: '/(/' })).toThrow(/bad regular expression \/\(\/: missing closing \)/);
    expect(() => search({ text: '/(a)\\1/' })).toThrow(/no backreferences/);
    expect(() => search({ text: '//' })).toThrow(/empty regular expression/);
  });

  it('is not fooled by FTS syntax in the text', () => {
    expect(search({ text: '"EPG" OR *' }).total).toBe(0);
    expect(search({ text: 'NEAR(' }).total).toBe(0);
  });
});

describe('searchNeurons filters, sorting and windows', () => {
  it('filters by status (raw strings; "" = empty or missing)', () => {
    expect(idsOf({ statuses: ['Traced'], sort: { key: 'bodyId', dir: 'asc' } })).toEqual(['1001', '1003', '2002']);
    expect(idsOf({ statuses: [''], sort: { key: 'bodyId', dir: 'asc' } })).toEqual(['1006', '58130572741']);
    expect(idsOf({ text: 'EPG', statuses: ['Traced', 'Orphan'] })).toEqual(['1001', '1007']);
  });

  it('filters by minimum pre and post', () => {
    // 1001: 8 T-bars, 4 PSDs; 1004: 6 PSDs; BIG: 4 T-bars.
    expect(idsOf({ minPre: 4, sort: { key: 'pre', dir: 'desc' } })).toEqual(['1001', BIG.toString()]);
    expect(idsOf({ minPost: 5 })).toEqual(['1004']);
    expect(idsOf({ minPre: 1, minPost: 1 })).toEqual(['1001', '1002', '1007']);
  });

  it('filters by input and output ROIs, any or all, with a per-ROI minimum', () => {
    // post in FB: 1004 (6), 1001 (3), 1007 (1), 58130572741 (1); post in PB: 1003 (2), 1001 (1).
    expect(idsOf({ inputRois: { rois: ['FB'], mode: 'any' } }).toSorted()).toEqual(['1001', '1004', '1007', '58130572741']);
    expect(idsOf({ inputRois: { rois: ['FB'], mode: 'any', min: 3 } })).toEqual(['1004', '1001']);
    expect(idsOf({ inputRois: { rois: ['FB', 'PB'], mode: 'any', min: 2 } }).toSorted()).toEqual(['1001', '1003', '1004']);
    expect(idsOf({ inputRois: { rois: ['FB', 'PB'], mode: 'all' } })).toEqual(['1001']);
    expect(idsOf({ inputRois: { rois: ['FB', 'PB'], mode: 'all', min: 2 } })).toEqual([]);
    // Super-ROI CX = EB ∪ FB.
    expect(idsOf({ outputRois: { rois: ['CX'], mode: 'any', min: 3 } }).toSorted()).toEqual(['1001', '1002']);
    expect(idsOf({ inputRois: { rois: ['FB'], mode: 'any' }, outputRois: { rois: ['EB'], mode: 'any' } })).toEqual(['1001', '1007']);
    expect(() => search({ inputRois: { rois: ['NOPE'], mode: 'any' } })).toThrow(/unknown ROI "NOPE"/);
  });

  it('returns the total and the requested window, in a stable order', () => {
    const all = search({ sort: { key: 'post', dir: 'desc' }, limit: 1000 });
    expect(all.total).toBe(BODIES.length);
    const window = search({ sort: { key: 'post', dir: 'desc' }, offset: 3, limit: 4 });
    expect(window.total).toBe(BODIES.length);
    expect(window.offset).toBe(3);
    expect(window.rows.map((r) => r.bodyId)).toEqual(all.rows.slice(3, 7).map((r) => r.bodyId));
    expect(all.rows.map((r) => r.post)).toEqual(all.rows.map((r) => r.post).toSorted((a, b) => b - a));
  });

  it('sorts by type and instance with empty values last in both directions', () => {
    const asc = search({ sort: { key: 'type', dir: 'asc' }, limit: 1000 }).rows.map((r) => r.type);
    expect(asc.slice(0, 8)).toEqual(['Delta7', 'EPG', 'EPGt', 'KC', 'LC4', 'PEN_a(PEN1)', 'X1001', 'hDeltaB']);
    expect(asc.slice(8)).toEqual([null, null]);
    const desc = search({ sort: { key: 'type', dir: 'desc' }, limit: 1000 }).rows.map((r) => r.type);
    expect(desc.slice(0, 8)).toEqual(asc.slice(0, 8).toReversed());
    expect(desc.slice(8)).toEqual([null, null]);
    // A window that spans both segments.
    expect(search({ sort: { key: 'type', dir: 'asc' }, offset: 7, limit: 2 }).rows.map((r) => r.type)).toEqual(['hDeltaB', null]);
  });

  it('sorts by status in neuclease order, unknown statuses last', () => {
    const rows = search({ sort: { key: 'status', dir: 'asc' }, limit: 1000 }).rows;
    expect(rows.map((r) => r.status)).toEqual(['Orphan', '', null, 'Anchor', 'Cropped', 'Roughly traced', 'Traced', 'Traced', 'Traced', 'Mystery status']);
    expect(rows.map((r) => r.statusRank)).toEqual([4, 9, 9, 11, 20, 26, 28, 28, 28, null]);
  });

  it('sorts by a ROI column, bodies with none in it last', () => {
    const rows = search({ sort: { key: 'roi:FB:post', dir: 'desc' }, roiColumns: ['FB'], limit: 1000 }).rows;
    expect(rows.slice(0, 4).map((r) => [r.bodyId, r.rois.FB!.post])).toEqual([
      ['1004', 6],
      ['1001', 3],
      ['58130572741', 1],
      ['1007', 1],
    ]);
    expect(rows.slice(4).every((r) => r.rois.FB!.post === 0)).toBe(true);
    const asc = search({ sort: { key: 'roi:FB:post', dir: 'asc' }, roiColumns: ['FB'], limit: 1000 }).rows;
    expect(asc.at(-1)!.bodyId).toBe('1004');
    expect(search({ text: 'EPG', sort: { key: 'roi:EB:pre', dir: 'desc' } }).rows[0]!.bodyId).toBe('1001');
  });

  it('gives ROI columns and the primary-ROI breakdown, largest first', () => {
    const r = search({ text: '1001', roiColumns: ['CX', 'PB'] }).rows[0]!;
    expect(r).toMatchObject({ bodyId: '1001', type: 'EPG', instance: 'EPG(PB08)_L3', status: 'Traced', statusRank: 28, pre: 8, post: 4 });
    expect(r.rois).toEqual({ CX: { pre: 8, post: 3 }, PB: { pre: 0, post: 1 } });
    // CX is not primary: the breakdown lists EB, FB and PB only.
    expect(r.roiBreakdown).toEqual([
      { roi: 'EB', pre: 8, post: 0 },
      { roi: 'FB', pre: 0, post: 3 },
      { roi: 'PB', pre: 0, post: 1 },
    ]);
  });
});

describe('neuronsCsv', () => {
  it('has the table columns and every row, quoted, with formulas neutralised', () => {
    const csv = neuronsCsv(d.db, ctx, { statuses: ['Traced'], roiColumns: ['EB'], sort: { key: 'bodyId', dir: 'asc' } });
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('Body ID,Type,Instance,Status,Pre,Post,EB pre,EB post,Primary ROIs (pre/post)');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe('1001,EPG,EPG(PB08)_L3,Traced,8,4,8,0,EB 8/0; FB 0/3; PB 0/1');
    expect(lines[3]).toBe(`2002,X1001,"'=HYPERLINK(""x"")",Traced,0,0,0,0,`);
    expect(csv.endsWith('\r\n')).toBe(true);
  });
});

describe('statuses, rois, roiConnectivity, body, partners', () => {
  it('lists statuses in neuclease order with counts, unknown last', () => {
    expect(statuses(d.db, ctx)).toEqual([
      { status: 'Orphan', rank: 4, bodies: 1 },
      { status: '', rank: 9, bodies: 2 },
      { status: 'Anchor', rank: 11, bodies: 1 },
      { status: 'Cropped', rank: 20, bodies: 1 },
      { status: 'Roughly traced', rank: 26, bodies: 1 },
      { status: 'Traced', rank: 28, bodies: 3 },
      { status: 'Mystery status', rank: null, bodies: 1 },
    ]);
  });

  it('gives the ROI table: primary ROIs by default, all with parents on request', () => {
    const primary = roiTable(d.db, ctx);
    expect(primary.map((r) => r.name)).toEqual(['EB', 'FB', 'PB', 'AL(R)', "a'L(L)"]);
    expect(primary[0]).toEqual({ name: 'EB', parent: 'CX', primary: true, pre: 9, post: 4, bodiesPre: 2, bodiesPost: 1, bodies: 3 });
    const all = roiTable(d.db, ctx, true);
    expect(all.map((r) => [r.name, r.parent])).toEqual([
      ['CX', null],
      ['EB', 'CX'],
      ['FB', 'CX'],
      ['FBl1', 'FB'],
      ['PB', null],
      ['AL(R)', null],
      ['NO', null],
      ["a'L(L)", null],
    ]);
  });

  it('gives the ROI×ROI matrix: connections T-bar ROI → PSD ROI, bodies with post in A and pre in B', () => {
    const m = roiConnectivity(d.db, ctx, ['EB', 'FB', 'PB']);
    expect(m.rois).toEqual(['EB', 'FB', 'PB']);
    expect(m.connections).toEqual([
      [0, 6, 2],
      [0, 3, 0],
      [4, 0, 0],
    ]);
    // post in FB & pre in EB: 1001 and 1007; post in FB & pre in FB: none (1002 posts in EB).
    expect(m.bodies[1]![0]).toBe(2);
    expect(m.bodies[0]![1]).toBe(1); // 1002: post in EB, pre in FB
    expect(roiConnectivity(d.db, ctx).rois).toEqual(['EB', 'FB', 'PB', 'AL(R)', "a'L(L)"]);
  });

  it('gives a body with its verbatim annotation, counts, ROIs, mesh and labelsz rank', () => {
    const b = bodyDetail(d.db, ctx, BIG);
    expect(b).toMatchObject({ bodyId: BIG.toString(), type: 'LC4', status: 'Cropped', statusRank: 20, pre: 4, post: 0, hasMesh: true, hasSkeleton: false, labelszRank: 1 });
    expect(b.annotation).toEqual({ bodyid: BIG.toString(), type: 'LC4', instance: 'LC4_R', status: 'Cropped' });
    expect(b.rois).toEqual([{ roi: 'PB', pre: 4, post: 0 }]);
    expect(bodyDetail(d.db, ctx, 58130572741n)).toMatchObject({ annotation: null, post: 1, hasMesh: false, labelszRank: null });
    expect(() => bodyDetail(d.db, ctx, 77n)).toThrow(/body 77 has no synapses/);
  });

  it('gives upstream and downstream partners with connection counts', () => {
    expect(partners(d.db, ctx, 1001n, 'downstream')).toEqual([
      { bodyId: '1004', type: 'Delta7', instance: 'Delta7(PB08)_L4', status: 'Anchor', connections: 6 },
      { bodyId: '1003', type: 'PEN_a(PEN1)', instance: 'PEN_a(PEN1)_L2', status: 'Traced', connections: 2 },
    ]);
    expect(partners(d.db, ctx, 1001n, 'upstream')).toEqual([
      { bodyId: '1002', type: 'EPGt', instance: 'EPGt(PB09)_R1', status: 'Roughly traced', connections: 3 },
      { bodyId: '1005', type: 'hDeltaB', instance: 'hDeltaB_R', status: 'Mystery status', connections: 1 },
    ]);
    expect(partners(d.db, ctx, 424242n, 'upstream')).toEqual([]);
  });
});
