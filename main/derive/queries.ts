/**
 * The ROI table, the ROI×ROI matrix, the status list, one body and its partners, read from one
 * ctx's derived tables (every read is an index range or primary-key lookup; see the query-plan
 * tests). Counts follow neuPrint: pre = T-bars (outputs), post = PSDs (inputs); a body's total
 * counts every synapse element it has, its ROI breakdown the primary ROIs only.
 */
import type { Database } from 'better-sqlite3';
import type { BodyDetail, Partner, RoiConnectivity, RoiRow, StatusCount } from '../../preload/api';
import { parseJsonLossless } from '../formats/json-u64';
import { u64FromDb, u64ToDb } from '../cache/u64';
import type { CtxConfig } from './context';
import { RowDetails, roisOf, type CtxRef } from './search';
import { SearchSyntaxError } from './regex';
import { STATUS_ORDER, statusRank } from './status-order';

export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly apiCode = 'not-found';
}

export function roiTable(db: Database, ctx: CtxRef, all = false): RoiRow[] {
  const rows = db
    .prepare(
      `SELECT name, parent, is_primary, pre, post, bodies_pre, bodies_post, bodies FROM derived.rois
       WHERE ctx_id = ? ${all ? '' : 'AND is_primary = 1'} ORDER BY ord`,
    )
    .safeIntegers(false)
    .all(ctx.id) as Array<{ name: string; parent: string | null; is_primary: number; pre: number; post: number; bodies_pre: number; bodies_post: number; bodies: number }>;
  return rows.map((r) => ({
    name: r.name,
    parent: r.parent,
    primary: r.is_primary === 1,
    pre: r.pre,
    post: r.post,
    bodiesPre: r.bodies_pre,
    bodiesPost: r.bodies_post,
    bodies: r.bodies,
  }));
}

export function roiConnectivity(db: Database, ctx: CtxRef, names?: string[]): RoiConnectivity {
  const rois = roisOf(db, ctx.id);
  const chosen = names && names.length > 0 ? names : [...rois.values()].filter((r) => r.primary).map((r) => r.name);
  const index = new Map<number, number>();
  chosen.forEach((n, i) => {
    const r = rois.get(n);
    if (!r) throw new SearchSyntaxError(`unknown ROI "${n.slice(0, 100)}" (not synced at this node)`);
    index.set(r.rid, i);
  });
  const connections = chosen.map(() => Array.from<number>({ length: chosen.length }).fill(0));
  const bodies = chosen.map(() => Array.from<number>({ length: chosen.length }).fill(0));
  const cells = db.prepare('SELECT a_rid, b_rid, connections, bodies FROM derived.roi_conn WHERE ctx_id = ?').raw(true).safeIntegers(false);
  for (const [a, b, c, n] of cells.iterate(ctx.id) as Iterable<[number, number, number, number]>) {
    const i = index.get(a), j = index.get(b);
    if (i === undefined || j === undefined) continue;
    connections[i]![j] = c;
    bodies[i]![j] = n;
  }
  return { rois: chosen, connections, bodies };
}

/** Every status present at the node with its body count: neuclease's order first, unknown statuses last (by name). */
export function statuses(db: Database, ctx: CtxRef): StatusCount[] {
  const rows = db.prepare('SELECT status_key, count(*) AS n FROM derived.bodies WHERE ctx_id = ? GROUP BY status_key').raw(true).safeIntegers(false).all(ctx.id) as Array<
    [string, number]
  >;
  return rows
    .map(([status, bodies]) => ({ status, rank: statusRank(status), bodies }))
    .toSorted((a, b) => (a.rank ?? STATUS_ORDER.length) - (b.rank ?? STATUS_ORDER.length) || (a.status < b.status ? -1 : a.status > b.status ? 1 : 0));
}

interface BodyRow {
  bid: number;
  type: string | null;
  instance: string | null;
  status: string | null;
  status_rank: number | null;
  pre: number;
  post: number;
}

function bodyRow(db: Database, ctx: CtxRef, bodyId: bigint): BodyRow | null {
  return (
    (db
      .prepare('SELECT bid, type, instance, status, status_rank, pre, post FROM derived.bodies WHERE ctx_id = ? AND body = ?')
      .safeIntegers(false)
      .get(ctx.id, u64ToDb(bodyId)) as BodyRow | undefined) ?? null
  );
}

const MESH_FORMATS = new Set(['ngmesh', 'draco', 'obj', 'ply']);

function breakdownOf(db: Database, ctxId: number, bid: number) {
  const d = new RowDetails(db, ctxId);
  return d.breakdown(d.load([bid]).get(bid));
}

export function bodyDetail(db: Database, ctx: CtxRef & { config: CtxConfig }, bodyId: bigint): BodyDetail {
  const c = ctx.config;
  const row = bodyRow(db, ctx, bodyId);
  const stored = u64ToDb(bodyId);
  let annotation: Record<string, unknown> | null = null;
  if (c.annotations !== null) {
    const v = db.prepare('SELECT value FROM main.kv_entries WHERE instance_id = ? AND node_id = ? AND key = ?').pluck().get(c.annotations, c.nodeId, bodyId.toString()) as
      | Buffer
      | null
      | undefined;
    if (v) {
      try {
        const parsed = parseJsonLossless(v.toString('utf8'));
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) annotation = jsonSafe(parsed) as Record<string, unknown>;
      } catch {
        // Not JSON: the parsed columns (none) stand; the raw value stays in the cache.
      }
    }
  }
  // Meshes and skeletons: any keyvalue entry naming this body, by its sniffed format. INDEXED BY:
  // without ANALYZE statistics SQLite prefers the primary-key prefix (instance, node) of this WITHOUT
  // ROWID table, i.e. every key of the instance, over the partial body index.
  const formats = db
    .prepare(
      `SELECT DISTINCT k.format FROM main.instances i CROSS JOIN main.kv_entries k INDEXED BY kv_entries_body
       ON k.instance_id = i.id AND k.node_id = ? AND k.body = ?
       WHERE i.type IN ('keyvalue', 'neuronjson') AND k.body IS NOT NULL AND k.format IS NOT NULL`,
    )
    .pluck()
    .all(c.nodeId, stored) as string[];
  if (!row && annotation === null && formats.length === 0) throw new NotFoundError(`body ${bodyId} has no synapses, annotation, mesh or skeleton in the cache at this node`);
  let labelszRank: number | null = null;
  if (c.labelsz !== null) {
    const rank = db.prepare('SELECT rank FROM main.labelsz_counts WHERE instance_id = ? AND node_id = ? AND idx = ? AND label = ? AND rank >= 0').pluck().safeIntegers(false);
    for (const idx of ['AllSyn', 'PostSyn', 'PreSyn']) {
      const r = rank.get(c.labelsz, c.nodeId, idx, stored) as number | undefined;
      if (r !== undefined) {
        labelszRank = r;
        break;
      }
    }
  }
  return {
    bodyId: bodyId.toString(),
    annotation,
    type: row?.type ?? null,
    instance: row?.instance ?? null,
    status: row?.status ?? null,
    statusRank: row ? row.status_rank : null,
    pre: row?.pre ?? 0,
    post: row?.post ?? 0,
    rois: row ? breakdownOf(db, ctx.id, row.bid) : [],
    hasMesh: formats.some((f) => MESH_FORMATS.has(f)),
    hasSkeleton: formats.includes('swc'),
    labelszRank,
  };
}

/** bigint values (ids beyond 2^53 in the stored JSON) become decimal strings: the API carries JSON. */
function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

/**
 * Upstream partners: bodies whose T-bars connect to this body's PSDs (edges_post index);
 * downstream: bodies this body's T-bars connect to (edges primary key). Most connections first.
 */
export function partners(db: Database, ctx: CtxRef, bodyId: bigint, direction: 'upstream' | 'downstream'): Partner[] {
  const row = bodyRow(db, ctx, bodyId);
  if (!row) return [];
  const sql =
    direction === 'upstream'
      ? `SELECT b.body, b.type, b.instance, b.status, e.n FROM derived.edges e JOIN derived.bodies b ON b.bid = e.pre_bid WHERE e.post_bid = ?`
      : `SELECT b.body, b.type, b.instance, b.status, e.n FROM derived.edges e JOIN derived.bodies b ON b.bid = e.post_bid WHERE e.pre_bid = ?`;
  const rows = db.prepare(sql).raw(true).safeIntegers(true).all(row.bid) as Array<[bigint, string | null, string | null, string | null, bigint]>;
  return rows
    .map(([body, type, instance, status, n]) => ({ id: u64FromDb(body), type, instance, status, connections: Number(n) }))
    .toSorted((a, b) => b.connections - a.connections || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((p) => ({ bodyId: p.id.toString(), type: p.type, instance: p.instance, status: p.status, connections: p.connections }));
}
