/**
 * An independent computation of everything main/derive keeps, straight from the raw stored rows, with
 * the plainest code possible (no RoiBlockSet: ROI spans are expanded to a Set of block keys; no
 * incremental logic; string-keyed maps). Tests compare the derived tables against it.
 */
import type { Database } from 'better-sqlite3';
import { unpackElements } from '../../main/formats/element-pack';
import { unpackSvs } from '../../main/cache/element-store';
import { unpackSpans } from '../../main/cache/region-stores';
import { u64FromDb } from '../../main/cache/u64';

export interface Snapshot {
  /** synapse elements, and the number of body rows (bodies with a synapse or an annotation) */
  totals: { pre: number; post: number; bodies: number };
  /** decimal body id → counts and names */
  bodies: Record<string, { pre: number; post: number; type: string | null; instance: string | null; status: string | null }>;
  /** "body|roi" → counts */
  bodyRoi: Record<string, { pre: number; post: number }>;
  rois: Record<string, { pre: number; post: number; bodiesPre: number; bodiesPost: number; bodies: number }>;
  /** "tbarRoi|psdRoi" */
  roiConn: Record<string, { connections: number; bodies: number }>;
  /** "preBody|postBody" */
  edges: Record<string, number>;
}

export interface OracleIds {
  node: number;
  syn: number;
  seg: number;
  ann: number;
  rois: Record<string, number>;
}

const key3 = (x: number, y: number, z: number) => `${x},${y},${z}`;

export function oracle(db: Database, ids: OracleIds): Snapshot {
  // Elements and their supervoxels, from the stored blocks (decoded with the cache's own functions).
  const els: Array<{ x: number; y: number; z: number; kind: number; rels: Array<{ rel: string; to: [number, number, number] }> }> = [];
  const svAt = new Map<string, bigint>();
  const blocks = db
    .prepare(
      `SELECT e.data, e.props, e.tags, s.svs, s.labelmap_id FROM main.element_blocks e LEFT JOIN main.element_block_svs s ON s.instance_id = e.instance_id
       AND s.node_id = e.node_id AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx WHERE e.instance_id = ? AND e.node_id = ?`,
    )
    .safeIntegers(false)
    .all(ids.syn, ids.node) as Array<{ data: Buffer; props: string | null; tags: string | null; svs: Buffer | null; labelmap_id: number | null }>;
  const KINDS = ['PreSyn', 'PostSyn', 'Gap', 'Note', 'Unknown'];
  for (const b of blocks) {
    const list = unpackElements(b.data, b.props, b.tags);
    const svs = b.svs && b.labelmap_id === ids.seg ? unpackSvs(b.svs) : null;
    list.forEach((e, i) => {
      const [x, y, z] = e.pos;
      els.push({ x, y, z, kind: KINDS.indexOf(e.kind), rels: e.rels });
      if (svs && svs[i]! !== 0n) svAt.set(key3(x, y, z), svs[i]!);
    });
  }
  const bodyOfSv = new Map<bigint, bigint>();
  for (const r of db.prepare('SELECT sv, body FROM main.sv_map WHERE instance_id = ? AND node_id = ?').safeIntegers(true).all(ids.seg, ids.node) as Array<{
    sv: bigint;
    body: bigint;
  }>) {
    bodyOfSv.set(u64FromDb(r.sv), u64FromDb(r.body));
  }
  const roiBlocks = new Map<string, Set<string>>();
  for (const [name, inst] of Object.entries(ids.rois)) {
    const r = db.prepare('SELECT block_size, spans FROM main.roi_spans WHERE instance_id = ? AND node_id = ?').safeIntegers(false).get(inst, ids.node) as
      | { block_size: number; spans: Buffer }
      | undefined;
    if (!r) continue;
    const set = new Set<string>();
    for (const [z, y, x0, x1] of unpackSpans(r.spans)) for (let x = x0; x <= x1; x++) set.add(`${x},${y},${z},${r.block_size}`);
    roiBlocks.set(name, set);
  }
  const roisAt = (x: number, y: number, z: number): string[] => {
    const out: string[] = [];
    for (const [name, set] of roiBlocks) {
      const bs = Number([...set][0]?.split(',')[3] ?? 32);
      if (set.has(`${Math.floor(x / bs)},${Math.floor(y / bs)},${Math.floor(z / bs)},${bs}`)) out.push(name);
    }
    return out;
  };

  const kindAt = new Map<string, number>();
  for (const e of els) kindAt.set(key3(e.x, e.y, e.z), e.kind);
  const bodyAt = (x: number, y: number, z: number): string | null => {
    const sv = svAt.get(key3(x, y, z));
    if (sv === undefined) return null;
    const b = bodyOfSv.get(sv);
    return b === undefined || b === 0n ? null : b.toString();
  };

  const snap: Snapshot = { totals: { pre: 0, post: 0, bodies: 0 }, bodies: {}, bodyRoi: {}, rois: {}, roiConn: {}, edges: {} };
  for (const name of roiBlocks.keys()) snap.rois[name] = { pre: 0, post: 0, bodiesPre: 0, bodiesPost: 0, bodies: 0 };
  const ann = db
    .prepare('SELECT body, type, instance, status FROM main.body_annotations WHERE instance_id = ? AND node_id = ?')
    .safeIntegers(true)
    .all(ids.ann, ids.node) as Array<{ body: bigint; type: string | null; instance: string | null; status: string | null }>;
  const body = (id: string) => (snap.bodies[id] ??= { pre: 0, post: 0, type: null, instance: null, status: null });
  for (const a of ann) Object.assign(body(u64FromDb(a.body).toString()), { type: a.type, instance: a.instance, status: a.status });

  const pairs = new Set<string>();
  for (const e of els) {
    if (e.kind !== 0 && e.kind !== 1) continue;
    const isPre = e.kind === 0;
    if (isPre) snap.totals.pre++;
    else snap.totals.post++;
    const b = bodyAt(e.x, e.y, e.z);
    const rois = roisAt(e.x, e.y, e.z);
    for (const r of rois) snap.rois[r]![isPre ? 'pre' : 'post']++;
    if (b !== null) {
      body(b)[isPre ? 'pre' : 'post']++;
      for (const r of rois) {
        const c = (snap.bodyRoi[`${b}|${r}`] ??= { pre: 0, post: 0 });
        c[isPre ? 'pre' : 'post']++;
      }
    }
    for (const rel of e.rels) {
      const other = kindAt.get(key3(...rel.to));
      if (isPre && rel.rel === 'PreSynTo' && other === 1) pairs.add(`${key3(e.x, e.y, e.z)}>${key3(...rel.to)}`);
      if (!isPre && rel.rel === 'PostSynTo' && other === 0) pairs.add(`${key3(...rel.to)}>${key3(e.x, e.y, e.z)}`);
    }
  }
  for (const p of pairs) {
    const [t, q] = p.split('>').map((s) => s.split(',').map(Number) as [number, number, number]) as [[number, number, number], [number, number, number]];
    for (const a of roisAt(...t)) {
      for (const b of roisAt(...q)) {
        const c = (snap.roiConn[`${a}|${b}`] ??= { connections: 0, bodies: 0 });
        c.connections++;
      }
    }
    const bt = bodyAt(...t), bq = bodyAt(...q);
    if (bt !== null && bq !== null) snap.edges[`${bt}|${bq}`] = (snap.edges[`${bt}|${bq}`] ?? 0) + 1;
  }
  snap.totals.bodies = Object.keys(snap.bodies).length;
  // Body-level ROI numbers.
  const postIn = new Map<string, Set<string>>();
  const preIn = new Map<string, Set<string>>();
  for (const [k, c] of Object.entries(snap.bodyRoi)) {
    const [b, r] = k.split('|') as [string, string];
    if (c.pre > 0) {
      snap.rois[r]!.bodiesPre++;
      (preIn.get(b) ?? preIn.set(b, new Set()).get(b)!).add(r);
    }
    if (c.post > 0) {
      snap.rois[r]!.bodiesPost++;
      (postIn.get(b) ?? postIn.set(b, new Set()).get(b)!).add(r);
    }
    if (c.pre > 0 || c.post > 0) snap.rois[r]!.bodies++;
  }
  for (const [b, posts] of postIn) {
    for (const a of posts) {
      for (const r of preIn.get(b) ?? []) {
        const c = (snap.roiConn[`${a}|${r}`] ??= { connections: 0, bodies: 0 });
        c.bodies++;
      }
    }
  }
  return snap;
}

/** The same shape, read from the derived tables of a ctx. */
export function derivedSnapshot(db: Database, ctxId: number): Snapshot {
  const ctx = db.prepare('SELECT pre, post, bodies FROM derived.ctx WHERE id = ?').safeIntegers(false).get(ctxId) as { pre: number; post: number; bodies: number };
  const snap: Snapshot = { totals: { pre: ctx.pre, post: ctx.post, bodies: ctx.bodies }, bodies: {}, bodyRoi: {}, rois: {}, roiConn: {}, edges: {} };
  const idOf = new Map<number, string>();
  for (const r of db.prepare('SELECT bid, body, pre, post, type, instance, status FROM derived.bodies WHERE ctx_id = ?').safeIntegers(true).all(ctxId) as Array<{
    bid: bigint;
    body: bigint;
    pre: bigint;
    post: bigint;
    type: string | null;
    instance: string | null;
    status: string | null;
  }>) {
    const id = u64FromDb(r.body).toString();
    idOf.set(Number(r.bid), id);
    snap.bodies[id] = { pre: Number(r.pre), post: Number(r.post), type: r.type, instance: r.instance, status: r.status };
  }
  const roiName = new Map<number, string>();
  for (const r of db.prepare('SELECT rid, name, pre, post, bodies_pre, bodies_post, bodies FROM derived.rois WHERE ctx_id = ?').safeIntegers(false).all(ctxId) as Array<{
    rid: number;
    name: string;
    pre: number;
    post: number;
    bodies_pre: number;
    bodies_post: number;
    bodies: number;
  }>) {
    roiName.set(r.rid, r.name);
    snap.rois[r.name] = { pre: r.pre, post: r.post, bodiesPre: r.bodies_pre, bodiesPost: r.bodies_post, bodies: r.bodies };
  }
  for (const r of db
    .prepare('SELECT br.bid, br.rid, br.pre, br.post FROM derived.body_roi br JOIN derived.bodies b ON b.bid = br.bid WHERE b.ctx_id = ?')
    .safeIntegers(false)
    .all(ctxId) as Array<{ bid: number; rid: number; pre: number; post: number }>) {
    snap.bodyRoi[`${idOf.get(r.bid)}|${roiName.get(r.rid)}`] = { pre: r.pre, post: r.post };
  }
  for (const r of db.prepare('SELECT a_rid, b_rid, connections, bodies FROM derived.roi_conn WHERE ctx_id = ?').safeIntegers(false).all(ctxId) as Array<{
    a_rid: number;
    b_rid: number;
    connections: number;
    bodies: number;
  }>) {
    snap.roiConn[`${roiName.get(r.a_rid)}|${roiName.get(r.b_rid)}`] = { connections: r.connections, bodies: r.bodies };
  }
  for (const r of db
    .prepare('SELECT e.pre_bid, e.post_bid, e.n FROM derived.edges e JOIN derived.bodies b ON b.bid = e.pre_bid WHERE b.ctx_id = ?')
    .safeIntegers(false)
    .all(ctxId) as Array<{ pre_bid: number; post_bid: number; n: number }>) {
    snap.edges[`${idOf.get(r.pre_bid)}|${idOf.get(r.post_bid)}`] = r.n;
  }
  return snap;
}
