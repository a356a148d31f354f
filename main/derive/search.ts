/**
 * searchNeurons / neuronsCsv over one ctx's derived tables.
 *
 * A query is one SQL statement for the window and one COUNT for the total, both over `bodies b`
 * (plus, with text, the ranked hits):
 * - text → `hits(bid, tier)`: candidates from the FTS5 indexes (body-rows.ts), each given its tier by
 *   `derive_name_tier()` (names.ts); an all-digit text adds the exact body id (tier 0) and id
 *   prefixes (tier 13). `/…/` → distinct types and instances matched by an RE2 pattern (regex.ts).
 * - filters → WHERE terms on indexed columns: status_key IN (…), pre ≥ n, post ≥ n, and per ROI
 *   `bid IN (SELECT bid FROM body_roi WHERE rid = ? AND post ≥ min)` (index body_roi_post/pre).
 * - sort → an ORDER BY that is the exact key order of one index (bodies_post, bodies_pre,
 *   bodies_type, bodies_instance, bodies_rank, bodies_id, body_roi_post/pre), so a window is read
 *   straight off the index with no sort. Keys that can be empty (type, instance, unknown status, a
 *   ROI the body has no synapse in) are served as two segments, the non-empty rows and then the
 *   empty ones, so they sort last in both directions without a sort over the whole table.
 * Per-row ROI columns and the primary-ROI breakdown are primary-key reads of body_roi for the
 * window's rows only.
 */
import type { Database } from 'better-sqlite3';
import type { NeuronPage, NeuronQuery, NeuronRow, RoiCount } from '../../preload/api';
import { u64FromDb, u64ToDb } from '../cache/u64';
import { fold, ftsString, SUBSTRING_MIN, TIER_ID, TIER_ID_PREFIX, words } from './names';
import { compileNameRegex, regexOf, SearchSyntaxError } from './regex';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export interface CtxRef {
  id: number;
}

interface RoiInfo {
  rid: number;
  name: string;
  primary: boolean;
}

export function roisOf(db: Database, ctxId: number): Map<string, RoiInfo> {
  const rows = db.prepare('SELECT rid, name, is_primary FROM derived.rois WHERE ctx_id = ? ORDER BY ord').safeIntegers(false).all(ctxId) as Array<{
    rid: number;
    name: string;
    is_primary: number;
  }>;
  return new Map(rows.map((r) => [r.name, { rid: r.rid, name: r.name, primary: r.is_primary === 1 }]));
}

function ridOf(rois: Map<string, RoiInfo>, name: string): number {
  const r = rois.get(name);
  if (!r) throw new SearchSyntaxError(`unknown ROI "${name.slice(0, 100)}" (not synced at this node)`);
  return r.rid;
}

interface Segment {
  from: string;
  where: string[];
  params: unknown[];
  order: string;
}

export interface PlannedQuery {
  cte: string | null;
  cteParams: unknown[];
  where: string[];
  params: unknown[];
  segments: Segment[];
  hasTier: boolean;
}

function textHits(db: Database, ctxId: number, text: string): { sql: string; params: unknown[] } | null {
  const t = text.trim();
  if (t === '') return null;
  const pattern = regexOf(t);
  if (pattern !== null) {
    const re = compileNameRegex(pattern);
    const distinct = (col: 'type' | 'instance') =>
      (db.prepare(`SELECT DISTINCT ${col} FROM derived.bodies WHERE ctx_id = ? AND ${col} IS NOT NULL`).pluck().all(ctxId) as string[]).filter((v) => re.test(v));
    return {
      sql: `SELECT bid, min(tier) AS tier FROM (
              SELECT bid, 1 AS tier FROM derived.bodies WHERE ctx_id = ? AND type IN (SELECT value FROM json_each(?))
              UNION ALL SELECT bid, 2 FROM derived.bodies WHERE ctx_id = ? AND instance IN (SELECT value FROM json_each(?))
            ) GROUP BY bid`,
      params: [ctxId, JSON.stringify(distinct('type')), ctxId, JSON.stringify(distinct('instance'))],
    };
  }
  const q = fold(t);
  const parts: string[] = [];
  const params: unknown[] = [];
  if (/^[0-9]+$/.test(t)) {
    const id = BigInt(t);
    if (id < 1n << 64n) {
      parts.push(`SELECT bid, ${TIER_ID} AS tier FROM derived.bodies WHERE ctx_id = ? AND body = ?`);
      params.push(ctxId, u64ToDb(id));
    }
    if (t.length >= SUBSTRING_MIN) {
      parts.push(`SELECT b.bid, ${TIER_ID_PREFIX} AS tier FROM derived.fts_sub f JOIN derived.bodies b ON b.bid = f.rowid WHERE f.fts_sub MATCH ? AND b.ctx_id = ?`);
      params.push(`id : ^${ftsString(t)}`, ctxId);
    }
  }
  if (q.length >= SUBSTRING_MIN) {
    parts.push(
      `SELECT b.bid, derive_name_tier(?, b.type, b.instance, b.other_names, 1) AS tier FROM derived.fts_sub f JOIN derived.bodies b ON b.bid = f.rowid
       WHERE f.fts_sub MATCH ? AND b.ctx_id = ?`,
    );
    params.push(q, `{type instance other} : ${ftsString(q)}`, ctxId);
  } else {
    const ws = words(q);
    if (ws.length > 0) {
      parts.push(
        `SELECT b.bid, derive_name_tier(?, b.type, b.instance, b.other_names, 0) AS tier FROM derived.fts_word f JOIN derived.bodies b ON b.bid = f.rowid
         WHERE f.fts_word MATCH ? AND b.ctx_id = ?`,
      );
      params.push(q, `{type instance other} : ${ftsString(ws.join(' '))} *`, ctxId);
    }
  }
  if (parts.length === 0) return { sql: 'SELECT NULL AS bid, NULL AS tier WHERE 0', params: [] };
  return { sql: `SELECT bid, min(tier) AS tier FROM (${parts.join(' UNION ALL ')}) WHERE tier >= 0 GROUP BY bid`, params };
}

/** Plans the statements of a query (exported for the query-plan tests). */
export function planQuery(db: Database, ctxId: number, q: NeuronQuery, rois: Map<string, RoiInfo>): PlannedQuery {
  const hits = q.text === undefined ? null : textHits(db, ctxId, q.text);
  const where: string[] = ['b.ctx_id = ?'];
  const params: unknown[] = [ctxId];
  if (q.statuses && q.statuses.length > 0) {
    where.push('b.status_key IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(q.statuses));
  }
  if (q.minPre !== undefined && q.minPre > 0) {
    where.push('b.pre >= ?');
    params.push(q.minPre);
  }
  if (q.minPost !== undefined && q.minPost > 0) {
    where.push('b.post >= ?');
    params.push(q.minPost);
  }
  for (const [filter, col] of [
    [q.inputRois, 'post'],
    [q.outputRois, 'pre'],
  ] as const) {
    if (!filter || filter.rois.length === 0) continue;
    const min = Math.max(1, filter.min ?? 1);
    const rids = [...new Set(filter.rois.map((n) => ridOf(rois, n)))];
    if (filter.mode === 'any' && rids.length > 1) {
      where.push(`b.bid IN (SELECT bid FROM derived.body_roi WHERE rid IN (SELECT value FROM json_each(?)) AND ${col} >= ?)`);
      params.push(JSON.stringify(rids), min);
    } else {
      for (const rid of rids) {
        where.push(`b.bid IN (SELECT bid FROM derived.body_roi WHERE rid = ? AND ${col} >= ?)`);
        params.push(rid, min);
      }
    }
  }

  const dir = q.sort?.dir === 'asc' ? 'ASC' : 'DESC';
  const key = q.sort?.key ?? (hits ? 'rank' : 'post');
  const from = hits ? 'derived.bodies b JOIN hits h ON h.bid = b.bid' : 'derived.bodies b';
  const one = (order: string): Segment[] => [{ from, where: [], params: [], order }];
  let segments: Segment[];
  // Ascending keys keep their natural direction; DESC reverses the whole index order (ties included).
  const d = q.sort?.dir === 'asc' ? 'ASC' : 'DESC';
  switch (key) {
    case 'rank':
      segments = hits
        ? [{ from, where: [], params: [], order: `h.tier ${q.sort?.dir === 'desc' ? 'DESC' : 'ASC'}, b.pre + b.post DESC, b.body ASC` }]
        : one(`b.post DESC, b.pre DESC, b.status_key DESC, b.bid DESC`);
      break;
    case 'bodyId':
      segments = one(`b.body ${q.sort?.dir === 'desc' ? 'DESC' : 'ASC'}`);
      break;
    case 'pre':
      segments = one(`b.pre ${dir}, b.post ${dir}, b.status_key ${dir}, b.bid ${dir}`);
      break;
    case 'post':
      segments = one(`b.post ${dir}, b.pre ${dir}, b.status_key ${dir}, b.bid ${dir}`);
      break;
    case 'type':
    case 'instance': {
      const asc = q.sort?.dir !== 'desc' ? 'ASC' : 'DESC';
      segments = [
        { from, where: [`b.${key} IS NOT NULL`], params: [], order: `b.${key} ${asc}, b.body ${asc}` },
        { from, where: [`b.${key} IS NULL`], params: [], order: `b.${key} ${asc}, b.body ${asc}` },
      ];
      break;
    }
    case 'status': {
      const asc = q.sort?.dir !== 'desc' ? 'ASC' : 'DESC';
      segments = [
        { from, where: ['b.status_rank IS NOT NULL'], params: [], order: `b.status_rank ${asc}, b.status_key ${asc}, b.body ${asc}` },
        { from, where: ['b.status_rank IS NULL'], params: [], order: `b.status_rank ${asc}, b.status_key ${asc}, b.body ${asc}` },
      ];
      break;
    }
    default: {
      const m = /^roi:(.+):(pre|post)$/.exec(key);
      if (!m) throw new SearchSyntaxError(`unknown sort key "${key.slice(0, 100)}"`);
      const rid = ridOf(rois, m[1]!);
      const col = m[2]!;
      const withRoi: Segment = {
        from: `derived.body_roi so JOIN derived.bodies b ON b.bid = so.bid${hits ? ' JOIN hits h ON h.bid = b.bid' : ''}`,
        where: ['so.rid = ?'],
        params: [rid],
        order: `so.${col} ${d}, so.bid ${d}`,
      };
      const without: Segment = {
        from,
        where: ['NOT EXISTS (SELECT 1 FROM derived.body_roi z WHERE z.bid = b.bid AND z.rid = ?)'],
        params: [rid],
        order: `b.bid ${d}`,
      };
      segments = d === 'DESC' ? [withRoi, without] : [without, withRoi];
    }
  }
  return {
    cte: hits ? `WITH hits(bid, tier) AS (${hits.sql})` : null,
    cteParams: hits?.params ?? [],
    where,
    params,
    segments,
    hasTier: hits !== null,
  };
}

const COLS = 'b.bid, b.body, b.type, b.instance, b.status, b.status_rank, b.pre, b.post';

export function segmentSql(p: PlannedQuery, s: Segment, what: 'rows' | 'count'): { sql: string; params: unknown[] } {
  const where = [...p.where, ...s.where].join(' AND ');
  const sql =
    what === 'count'
      ? `${p.cte ?? ''} SELECT count(*) FROM ${s.from} WHERE ${where}`
      : `${p.cte ?? ''} SELECT ${COLS} FROM ${s.from} WHERE ${where} ORDER BY ${s.order} LIMIT ? OFFSET ?`;
  return { sql, params: [...p.cteParams, ...p.params, ...s.params] };
}

interface RawRow {
  bid: bigint;
  body: bigint;
  type: string | null;
  instance: string | null;
  status: string | null;
  status_rank: bigint | null;
  pre: bigint;
  post: bigint;
}

/** Rows of a planned query in [offset, offset + limit) (limit Infinity = all), and the total. */
function run(db: Database, p: PlannedQuery, offset: number, limit: number): { total: number; rows: RawRow[] } {
  const counts = p.segments.map((s) => {
    const { sql, params } = segmentSql(p, s, 'count');
    return db.prepare(sql).pluck().safeIntegers(false).get(...params) as number;
  });
  const total = counts.reduce((a, b) => a + b, 0);
  const rows: RawRow[] = [];
  let skip = offset;
  let want = limit;
  for (let i = 0; i < p.segments.length && want > 0; i++) {
    if (skip >= counts[i]!) {
      skip -= counts[i]!;
      continue;
    }
    const { sql, params } = segmentSql(p, p.segments[i]!, 'rows');
    const got = db
      .prepare(sql)
      .safeIntegers(true)
      .all(...params, Number.isFinite(want) ? want : -1, skip) as RawRow[];
    rows.push(...got);
    want -= got.length;
    skip = 0;
  }
  return { total, rows };
}

export class RowDetails {
  readonly #cell;
  readonly #breakdown;
  constructor(db: Database) {
    this.#cell = db.prepare('SELECT pre, post FROM derived.body_roi WHERE bid = ? AND rid = ?').raw(true).safeIntegers(false);
    this.#breakdown = db
      .prepare('SELECT r.name, br.pre, br.post FROM derived.body_roi br JOIN derived.rois r ON r.rid = br.rid WHERE br.bid = ? AND r.is_primary = 1')
      .raw(true)
      .safeIntegers(false);
  }

  cell(bid: number, rid: number): { pre: number; post: number } {
    const r = this.#cell.get(bid, rid) as [number, number] | undefined;
    return r ? { pre: r[0], post: r[1] } : { pre: 0, post: 0 };
  }

  /** Primary ROIs of a body, largest (pre + post) first, then by name. */
  breakdown(bid: number): RoiCount[] {
    return (this.#breakdown.all(bid) as Array<[string, number, number]>)
      .map(([roi, pre, post]) => ({ roi, pre, post }))
      .toSorted((a, b) => b.pre + b.post - (a.pre + a.post) || (a.roi < b.roi ? -1 : a.roi > b.roi ? 1 : 0));
  }
}

function toRows(db: Database, raw: RawRow[], columns: Array<[string, number]>): NeuronRow[] {
  const details = new RowDetails(db);
  return raw.map((r) => {
    const bid = Number(r.bid);
    const rois: NeuronRow['rois'] = {};
    for (const [name, rid] of columns) rois[name] = details.cell(bid, rid);
    return {
      bodyId: u64FromDb(r.body).toString(),
      type: r.type,
      instance: r.instance,
      status: r.status,
      statusRank: r.status_rank === null ? null : Number(r.status_rank),
      pre: Number(r.pre),
      post: Number(r.post),
      rois,
      roiBreakdown: details.breakdown(bid),
    };
  });
}

export function searchNeurons(db: Database, ctx: CtxRef, q: NeuronQuery): NeuronPage {
  const t0 = performance.now();
  const rois = roisOf(db, ctx.id);
  const offset = Math.max(0, q.offset ?? 0);
  const limit = Math.min(MAX_LIMIT, Math.max(1, q.limit ?? DEFAULT_LIMIT));
  const columns = (q.roiColumns ?? []).map((n) => [n, ridOf(rois, n)] as [string, number]);
  const plan = planQuery(db, ctx.id, q, rois);
  const { total, rows } = run(db, plan, offset, limit);
  return { total, offset, rows: toRows(db, rows, columns), tookMs: performance.now() - t0 };
}

/** RFC 4180 field; text that a spreadsheet would run as a formula gets a leading apostrophe. */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Every row of the query (no window) with the table's columns, as CSV (CRLF line ends). */
export function neuronsCsv(db: Database, ctx: CtxRef, q: NeuronQuery): string {
  const rois = roisOf(db, ctx.id);
  const columns = (q.roiColumns ?? []).map((n) => [n, ridOf(rois, n)] as [string, number]);
  const plan = planQuery(db, ctx.id, q, rois);
  const { rows } = run(db, plan, 0, Infinity);
  const header = ['Body ID', 'Type', 'Instance', 'Status', 'Pre', 'Post', ...columns.flatMap(([n]) => [`${n} pre`, `${n} post`]), 'Primary ROIs (pre/post)'];
  const lines = [header.map(csvField).join(',')];
  for (const r of toRows(db, rows, columns)) {
    lines.push(
      [
        r.bodyId,
        csvField(r.type),
        csvField(r.instance),
        csvField(r.status),
        r.pre,
        r.post,
        ...columns.flatMap(([n]) => [r.rois[n]!.pre, r.rois[n]!.post]),
        csvField(r.roiBreakdown.map((b) => `${b.roi} ${b.pre}/${b.post}`).join('; ')),
      ].join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
