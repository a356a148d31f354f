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
import type { Database, Statement } from 'better-sqlite3';
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
  bodiesPre: number;
  bodiesPost: number;
  /** bodies with any synapse element in the ROI = its body_roi rows */
  bodies: number;
}

export function roisOf(db: Database, ctxId: number): Map<string, RoiInfo> {
  const rows = db
    .prepare('SELECT rid, name, is_primary, bodies_pre, bodies_post, bodies FROM derived.rois WHERE ctx_id = ? ORDER BY ord')
    .safeIntegers(false)
    .all(ctxId) as Array<{ rid: number; name: string; is_primary: number; bodies_pre: number; bodies_post: number; bodies: number }>;
  return new Map(
    rows.map((r) => [r.name, { rid: r.rid, name: r.name, primary: r.is_primary === 1, bodiesPre: r.bodies_pre, bodiesPost: r.bodies_post, bodies: r.bodies }]),
  );
}

function roiOf(rois: Map<string, RoiInfo>, name: string): RoiInfo {
  const r = rois.get(name);
  if (!r) throw new SearchSyntaxError(`unknown ROI "${name.slice(0, 100)}" (not synced at this node)`);
  return r;
}

function ridOf(rois: Map<string, RoiInfo>, name: string): number {
  return roiOf(rois, name).rid;
}

/** "At least `min` pre (or post) in one of `rids`"; `size` estimates how many bodies pass (for choosing a driver). */
interface RoiTerm {
  rids: number[];
  col: 'pre' | 'post';
  min: number;
  size: number;
}

/** A ROI term as a primary-key probe of body_roi for the body `bid` (an SQL expression). */
function roiTermSql(t: RoiTerm, bid: string): { sql: string; params: unknown[] } {
  const one = t.rids.length === 1;
  return {
    sql: `EXISTS (SELECT 1 FROM derived.body_roi r WHERE r.bid = ${bid} AND ${one ? 'r.rid = ?' : 'r.rid IN (SELECT value FROM json_each(?))'} AND r.${t.col} >= ?)`,
    params: [one ? t.rids[0] : JSON.stringify(t.rids), t.min],
  };
}

/** The bodies passing a ROI term, read off body_roi_post / body_roi_pre. */
function driverSql(t: RoiTerm): { sql: string; params: unknown[] } {
  const one = t.rids.length === 1;
  return {
    sql: `(SELECT ${one ? 'bid' : 'DISTINCT bid'} FROM derived.body_roi WHERE ${one ? 'rid = ?' : 'rid IN (SELECT value FROM json_each(?))'} AND ${t.col} >= ?) d`,
    params: [one ? t.rids[0] : JSON.stringify(t.rids), t.min],
  };
}

/** A count: known already, or a statement to run. */
export type Count = { value: number } | { sql: string; params: unknown[] };

interface Segment {
  from: string;
  fromParams: unknown[];
  where: string[];
  params: unknown[];
  order: string;
}

export interface PlannedQuery {
  /** With text: the statement that fills temp.search_hits (bid, tier) once per query. */
  hits: { sql: string; params: unknown[] } | null;
  /** Filters every row statement shares (ctx, status, min counts, ROI terms as primary-key probes). */
  where: string[];
  params: unknown[];
  total: Count;
  /** Ordered parts of the result; with two, `counted` is the one counted (the other is total − it). */
  segments: Segment[];
  counted: number;
  /** The counted segment's size when known without a statement. */
  countedValue: number | null;
}

const NO_HITS = { sql: 'SELECT NULL AS bid, NULL AS tier WHERE 0', params: [] as unknown[] };

/** A run of digits this long is searched as a body id only. */
const ID_ONLY_DIGITS = 7;
const U64_MAX = (1n << 64n) - 1n;

/**
 * Ids whose decimal form starts with `digits` (no leading zero), as inclusive ranges [P·10^k, (P+1)·10^k − 1]
 * for every k that keeps the id within 20 digits (the exact id itself, k = 0, is left to tier 0).
 */
export function idPrefixRanges(digits: string): Array<[bigint, bigint]> {
  const p = BigInt(digits);
  const out: Array<[bigint, bigint]> = [];
  for (let k = 1n, scale = 10n; digits.length + Number(k) <= 20; k++, scale *= 10n) {
    const lo = p * scale;
    if (lo > U64_MAX) break;
    const hi = (p + 1n) * scale - 1n;
    out.push([lo, hi > U64_MAX ? U64_MAX : hi]);
  }
  return out;
}

/**
 * Regex matches are computed over the DISTINCT types and instances (tens of thousands of values on a
 * hemibrain-sized node: reading them off the index and testing each took most of a regex query's
 * time). Both the value lists and the matches of recent patterns are kept per connection until the
 * data change: `data_version` moves when another connection commits to either file,
 * `total_changes()` when this one writes.
 */
interface RegexMemo {
  version: string;
  values: Map<string, { types: string[]; instances: string[] }>;
  matches: Map<string, { types: string; instances: string }>;
}
const regexMemos = new WeakMap<Database, RegexMemo>();
const REGEX_MEMO_PATTERNS = 32;

function dataVersion(db: Database): string {
  const main = db.pragma('main.data_version', { simple: true }) as number;
  const derived = db.pragma('derived.data_version', { simple: true }) as number;
  const own = db.prepare('SELECT total_changes()').pluck().safeIntegers(false).get() as number;
  return `${main}:${derived}:${own}`;
}

function regexMatches(db: Database, ctxId: number, pattern: string): { types: string; instances: string } {
  const version = dataVersion(db);
  let memo = regexMemos.get(db);
  if (!memo || memo.version !== version) {
    memo = { version, values: new Map(), matches: new Map() };
    regexMemos.set(db, memo);
  }
  const key = `${ctxId}\u0000${pattern}`;
  const hit = memo.matches.get(key);
  if (hit) return hit;
  const re = compileNameRegex(pattern);
  let values = memo.values.get(String(ctxId));
  if (!values) {
    const distinct = (col: 'type' | 'instance') => db.prepare(`SELECT DISTINCT ${col} FROM derived.bodies WHERE ctx_id = ? AND ${col} IS NOT NULL`).pluck().all(ctxId) as string[];
    values = { types: distinct('type'), instances: distinct('instance') };
    memo.values.set(String(ctxId), values);
  }
  const out = { types: JSON.stringify(values.types.filter((v) => re.test(v))), instances: JSON.stringify(values.instances.filter((v) => re.test(v))) };
  if (memo.matches.size >= REGEX_MEMO_PATTERNS) memo.matches.delete(memo.matches.keys().next().value!);
  memo.matches.set(key, out);
  return out;
}

function textHits(db: Database, ctxId: number, text: string): { sql: string; params: unknown[] } | null {
  const t = text.trim();
  if (t === '') return null;
  const pattern = regexOf(t);
  if (pattern !== null) {
    const { types, instances } = regexMatches(db, ctxId, pattern);
    return {
      sql: `SELECT bid, min(tier) AS tier FROM (
              SELECT bid, 1 AS tier FROM derived.bodies WHERE ctx_id = ? AND type IN (SELECT value FROM json_each(?))
              UNION ALL SELECT bid, 2 FROM derived.bodies WHERE ctx_id = ? AND instance IN (SELECT value FROM json_each(?))
            ) GROUP BY bid`,
      params: [ctxId, types, ctxId, instances],
    };
  }
  const q = fold(t);
  const parts: string[] = [];
  const params: unknown[] = [];
  let names = true;
  if (/^[0-9]+$/.test(t)) {
    const id = BigInt(t);
    if (id <= U64_MAX) {
      parts.push(`SELECT bid, ${TIER_ID} AS tier FROM derived.bodies WHERE ctx_id = ? AND body = ?`);
      params.push(ctxId, u64ToDb(id));
    }
    if (t.length >= SUBSTRING_MIN && !t.startsWith('0')) {
      for (const [lo, hi] of idPrefixRanges(t)) {
        parts.push(`SELECT bid, ${TIER_ID_PREFIX} AS tier FROM derived.bodies WHERE ctx_id = ? AND body BETWEEN ? AND ?`);
        params.push(ctxId, u64ToDb(lo), u64ToDb(hi));
      }
    }
    // A long number is a body id, not part of a name (names carry at most a few digits).
    names = t.length < ID_ONLY_DIGITS;
  }
  if (!names) return parts.length ? { sql: `SELECT bid, min(tier) AS tier FROM (${parts.join(' UNION ALL ')}) GROUP BY bid`, params } : NO_HITS;
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
  if (parts.length === 0) return NO_HITS;
  return { sql: `SELECT bid, min(tier) AS tier FROM (${parts.join(' UNION ALL ')}) WHERE tier >= 0 GROUP BY bid`, params };
}

/** Plans the statements of a query (exported for the query-plan tests). */
export function planQuery(db: Database, ctxId: number, q: NeuronQuery, rois: Map<string, RoiInfo>): PlannedQuery {
  const hits = q.text === undefined ? null : textHits(db, ctxId, q.text);
  const base: string[] = ['b.ctx_id = ?'];
  const baseParams: unknown[] = [ctxId];
  if (q.statuses && q.statuses.length > 0) {
    base.push('b.status_key IN (SELECT value FROM json_each(?))');
    baseParams.push(JSON.stringify(q.statuses));
  }
  if (q.minPre !== undefined && q.minPre > 0) {
    base.push('b.pre >= ?');
    baseParams.push(q.minPre);
  }
  if (q.minPost !== undefined && q.minPost > 0) {
    base.push('b.post >= ?');
    baseParams.push(q.minPost);
  }
  const terms: RoiTerm[] = [];
  for (const [filter, col] of [
    [q.inputRois, 'post'],
    [q.outputRois, 'pre'],
  ] as const) {
    if (!filter || filter.rois.length === 0) continue;
    const min = Math.max(1, filter.min ?? 1);
    const infos = [...new Map(filter.rois.map((n) => [n, roiOf(rois, n)])).values()];
    const size = (r: RoiInfo) => (col === 'pre' ? r.bodiesPre : r.bodiesPost);
    if (filter.mode === 'any') terms.push({ rids: infos.map((r) => r.rid), col, min, size: infos.reduce((s2, r) => s2 + size(r), 0) });
    else for (const r of infos) terms.push({ rids: [r.rid], col, min, size: size(r) });
  }
  const onlyCtx = base.length === 1;
  const bodiesInCtx = db.prepare('SELECT bodies FROM derived.ctx WHERE id = ?').pluck().safeIntegers(false).get(ctxId) as number;
  const driver = terms.length ? terms.toSorted((a, b) => a.size - b.size)[0]! : null;
  // Rows. With text the hits drive. Without, the sort index drives and each ROI term is a primary-key
  // probe per index entry, unless the most selective term passes under 1/20 of the bodies: then its
  // body_roi range drives and the (few) rows are sorted.
  const drive = !hits && driver !== null && driver.size * 20 < bodiesInCtx;
  const where = [...base];
  const params = [...baseParams];
  for (const t of terms) {
    if (drive && t === driver) continue;
    const x = roiTermSql(t, 'b.bid');
    where.push(x.sql);
    params.push(...x.params);
  }
  const drv = drive ? driverSql(driver!) : null;
  const from = hits ? 'temp.search_hits h CROSS JOIN derived.bodies b ON b.bid = h.bid' : drv ? `${drv.sql} CROSS JOIN derived.bodies b ON b.bid = d.bid` : 'derived.bodies b';
  const fromParams = drv ? drv.params : [];

  // The total, by the cheapest exact route.
  let total: Count;
  if (hits) {
    total = onlyCtx && terms.length === 0 ? { sql: 'SELECT count(*) FROM temp.search_hits', params: [] } : { sql: `SELECT count(*) FROM ${from} WHERE ${where.join(' AND ')}`, params };
  } else if (!driver) {
    total = onlyCtx ? { value: bodiesInCtx } : { sql: `SELECT count(*) FROM derived.bodies b WHERE ${base.join(' AND ')}`, params: baseParams };
  } else if (onlyCtx && terms.length === 1 && driver.rids.length === 1 && driver.min === 1) {
    const r = [...rois.values()].find((x) => x.rid === driver.rids[0])!;
    total = { value: driver.col === 'pre' ? r.bodiesPre : r.bodiesPost };
  } else {
    const d = driverSql(driver);
    const others = terms.filter((t) => t !== driver).map((t) => roiTermSql(t, 'd.bid'));
    const conds = [...(onlyCtx ? [] : base), ...others.map((o) => o.sql)];
    total = {
      sql: `SELECT count(*) FROM ${d.sql}${onlyCtx ? '' : ' CROSS JOIN derived.bodies b ON b.bid = d.bid'}${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''}`,
      params: [...d.params, ...(onlyCtx ? [] : baseParams), ...others.flatMap((o) => o.params)],
    };
  }

  const dir = q.sort?.dir === 'asc' ? 'ASC' : 'DESC';
  const up = q.sort?.dir === 'desc' ? 'DESC' : 'ASC';
  const key = q.sort?.key ?? (hits ? 'rank' : 'post');
  const seg = (order: string, extra: string[] = []): Segment => ({ from, fromParams, where: extra, params: [], order });
  let segments: Segment[];
  let counted = 0;
  let countedValue: number | null = null;
  // Each ORDER BY is the key order of one index, ties included, so a window is read off the index.
  switch (key) {
    case 'rank':
      segments = [hits ? seg(`h.tier ${up}, b.pre + b.post DESC, b.body ASC`) : seg('b.post DESC, b.pre DESC, b.status_key DESC, b.bid DESC')];
      break;
    case 'bodyId':
      segments = [seg(`b.body ${up}`)];
      break;
    case 'pre':
      segments = [seg(`b.pre ${dir}, b.post ${dir}, b.status_key ${dir}, b.bid ${dir}`)];
      break;
    case 'post':
      segments = [seg(`b.post ${dir}, b.pre ${dir}, b.status_key ${dir}, b.bid ${dir}`)];
      break;
    case 'type':
    case 'instance':
      // Named bodies are the minority: count them.
      segments = [seg(`b.${key} ${up}, b.body ${up}`, [`b.${key} IS NOT NULL`]), seg(`b.body ${up}`, [`b.${key} IS NULL`])];
      break;
    case 'status':
      // Unknown statuses are the minority: count them.
      segments = [seg(`b.status_rank ${up}, b.status_key ${up}, b.body ${up}`, ['b.status_rank IS NOT NULL']), seg(`b.status_key ${up}, b.body ${up}`, ['b.status_rank IS NULL'])];
      counted = 1;
      break;
    default: {
      const m = /^roi:(.+):(pre|post)$/.exec(key);
      if (!m) throw new SearchSyntaxError(`unknown sort key "${key.slice(0, 100)}"`);
      const roi = roiOf(rois, m[1]!);
      const col = m[2]!;
      const withRoi: Segment = {
        from: hits ? `${from} CROSS JOIN derived.body_roi so ON so.bid = b.bid` : 'derived.body_roi so CROSS JOIN derived.bodies b ON b.bid = so.bid',
        fromParams: hits ? fromParams : [],
        where: ['so.rid = ?'],
        params: [roi.rid],
        order: hits ? `so.${col} ${dir}, b.bid ${dir}` : `so.${col} ${dir}, so.bid ${dir}`,
      };
      // With a driving ROI term the "with" segment keeps it as a probe (its FROM is body_roi).
      if (drive) {
        const x = roiTermSql(driver!, 'b.bid');
        withRoi.where.push(x.sql);
        withRoi.params.push(...x.params);
      }
      const without = seg(`b.bid ${dir}`, ['NOT EXISTS (SELECT 1 FROM derived.body_roi z WHERE z.bid = b.bid AND z.rid = ?)']);
      without.params = [roi.rid];
      // Bodies with no synapse in the ROI count as 0: last when descending, first when ascending.
      segments = dir === 'DESC' ? [withRoi, without] : [without, withRoi];
      counted = dir === 'DESC' ? 0 : 1;
      if (!hits && onlyCtx && terms.length === 0) countedValue = roi.bodies;
    }
  }
  return {
    hits: hits ? { sql: `INSERT INTO temp.search_hits (bid, tier) ${hits.sql}`, params: hits.params } : null,
    where,
    params,
    total,
    segments,
    counted,
    countedValue,
  };
}

const COLS = 'b.bid, b.body, b.type, b.instance, b.status, b.status_rank, b.pre, b.post';

/** SQL of one segment's window (rows) or size (count). */
export function segmentSql(p: PlannedQuery, s: Segment, what: 'rows' | 'count'): { sql: string; params: unknown[] } {
  const where = [...p.where, ...s.where].join(' AND ');
  const sql =
    what === 'count'
      ? `SELECT count(*) FROM ${s.from} WHERE ${where}`
      : `SELECT ${COLS} FROM ${s.from} WHERE ${where} ORDER BY ${s.order} LIMIT ? OFFSET ?`;
  return { sql, params: [...s.fromParams, ...p.params, ...s.params] };
}

const hitTables = new WeakSet<Database>();

/** Fills temp.search_hits for a planned text query (a TEMP table: works on read-only connections too). */
export function fillHits(db: Database, p: PlannedQuery): void {
  if (!p.hits) return;
  if (!hitTables.has(db)) {
    db.exec('CREATE TEMP TABLE IF NOT EXISTS search_hits (bid INTEGER PRIMARY KEY, tier INTEGER NOT NULL)');
    hitTables.add(db);
  }
  db.prepare('DELETE FROM temp.search_hits').run();
  db.prepare(p.hits.sql).run(...p.hits.params);
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

function count(db: Database, x: Count): number {
  return 'value' in x ? x.value : (db.prepare(x.sql).pluck().safeIntegers(false).get(...x.params) as number);
}

/** Rows of a planned query in [offset, offset + limit) (limit Infinity = all), and the total. */
function run(db: Database, p: PlannedQuery, offset: number, limit: number): { total: number; rows: RawRow[] } {
  fillHits(db, p);
  const total = count(db, p.total);
  const counts = [total];
  if (p.segments.length === 2) {
    const c = p.countedValue ?? count(db, segmentSql(p, p.segments[p.counted]!, 'count'));
    counts[p.counted] = c;
    counts[1 - p.counted] = total - c;
  }
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

/** ROI counts of bodies, read in one statement for a whole window. */
export class RowDetails {
  readonly #byBody: Statement;
  readonly #roiName: Map<number, { name: string; primary: boolean }>;
  constructor(db: Database, ctxId: number) {
    this.#byBody = db.prepare('SELECT bid, rid, pre, post FROM derived.body_roi WHERE bid IN (SELECT value FROM json_each(?))').raw(true).safeIntegers(false);
    const rows = db.prepare('SELECT rid, name, is_primary FROM derived.rois WHERE ctx_id = ?').raw(true).safeIntegers(false).all(ctxId) as Array<[number, string, number]>;
    this.#roiName = new Map(rows.map(([rid, name, p]) => [rid, { name, primary: p === 1 }]));
  }

  /** bid → rid → counts, for the given bodies. */
  load(bids: readonly number[]): Map<number, Map<number, { pre: number; post: number }>> {
    const out = new Map<number, Map<number, { pre: number; post: number }>>();
    for (let i = 0; i < bids.length; i += 5000) {
      for (const [bid, rid, pre, post] of this.#byBody.iterate(JSON.stringify(bids.slice(i, i + 5000))) as Iterable<[number, number, number, number]>) {
        let m = out.get(bid);
        if (!m) out.set(bid, (m = new Map()));
        m.set(rid, { pre, post });
      }
    }
    return out;
  }

  /** Primary ROIs of a body, largest (pre + post) first, then by name. */
  breakdown(counts: Map<number, { pre: number; post: number }> | undefined): RoiCount[] {
    const out: RoiCount[] = [];
    for (const [rid, c] of counts ?? []) {
      const r = this.#roiName.get(rid);
      if (r?.primary) out.push({ roi: r.name, pre: c.pre, post: c.post });
    }
    return out.toSorted((a, b) => b.pre + b.post - (a.pre + a.post) || (a.roi < b.roi ? -1 : a.roi > b.roi ? 1 : 0));
  }
}

function toRows(db: Database, ctxId: number, raw: RawRow[], columns: Array<[string, number]>): NeuronRow[] {
  const details = new RowDetails(db, ctxId);
  const counts = details.load(raw.map((r) => Number(r.bid)));
  return raw.map((r) => {
    const c = counts.get(Number(r.bid));
    const rois: NeuronRow['rois'] = {};
    for (const [name, rid] of columns) rois[name] = c?.get(rid) ?? { pre: 0, post: 0 };
    return {
      bodyId: u64FromDb(r.body).toString(),
      type: r.type,
      instance: r.instance,
      status: r.status,
      statusRank: r.status_rank === null ? null : Number(r.status_rank),
      pre: Number(r.pre),
      post: Number(r.post),
      rois,
      roiBreakdown: details.breakdown(c),
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
  return { total, offset, rows: toRows(db, ctx.id, rows, columns), tookMs: performance.now() - t0 };
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
  for (const r of toRows(db, ctx.id, rows, columns)) {
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
