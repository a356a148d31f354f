/**
 * Query plans of the hot statements: every statement the search, ROI, body and partner services
 * and the incremental updater actually prepare (recorded while they run, with their real
 * parameters) is EXPLAINed. None may scan a derived table (or a large cache table) in full, the
 * windowed sorts must read their rows in index order (no temp b-tree for ORDER BY), and the key
 * statements must use the index designed for them.
 */
import type { Database, Statement } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NeuronQuery } from '../../../../preload/api';
import type { Cache } from '../../../../main/cache/index';
import { Derived } from '../../../../main/derive/derived';
import { bodyDetail, partners, roiConnectivity, roiTable, statuses } from '../../../../main/derive/queries';
import { searchNeurons } from '../../../../main/derive/search';
import { openTemp } from '../../../support/cache-fixture';
import { buildFixture, editElements, type Fixture } from '../../../support/derive-fixture';

interface Recorded {
  sql: string;
  params: unknown[];
}

/** Runs `fn` with every statement prepared on `db` recording its SQL and the parameters it ran with. */
function recording(db: Database, fn: () => void): Recorded[] {
  const seen: Recorded[] = [];
  const original = db.prepare;
  db.prepare = function (this: Database, sql: string) {
    const st = original.call(this, sql) as Statement;
    for (const m of ['run', 'get', 'all', 'iterate'] as const) {
      const f = st[m] as (...a: unknown[]) => unknown;
      Object.defineProperty(st, m, {
        value: (...args: unknown[]) => {
          seen.push({ sql, params: args });
          return f.apply(st, args);
        },
      });
    }
    return st;
  } as Database['prepare'];
  try {
    fn();
  } finally {
    db.prepare = original;
  }
  return seen;
}

function plan(db: Database, r: Recorded): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.params) as Array<{ detail: string }>).map((x) => x.detail);
}

/** Plan lines that read a whole table or index ("SCAN x", with or without an index). */
function fullScans(lines: string[]): string[] {
  // Allowed: virtual tables (json_each lists, the FTS5 indexes), the per-query hits (temp) and ROI-driver (d)
  // lists, subquery results: all bounded by what matched, never by the size of a table. And the
  // cache's small catalogue tables (a row per instance, per ROI instance and node).
  return lines.filter(
    (l) => l.startsWith('SCAN ') && !/VIRTUAL TABLE|^SCAN (j|h|d|json_each|search_hits)$|^SCAN \(subquery|^SCAN CONSTANT ROW|^SCAN (main\.)?(instances|roi_spans)\b|^SCAN i$/.test(l),
  );
}

let t: { cache: Cache; cleanup: () => void };
let d: Derived;
let fx: Fixture;
let ctx: { id: number; config: import('../../../../main/derive/context').CtxConfig };

beforeAll(() => {
  const o = openTemp();
  t = { cache: o.cache, cleanup: o.cleanup };
  fx = buildFixture(o.cache, { seed: 5, bodies: 3000, svsPerBody: 2, tbars: 3000, maxPsds: 4, size: 1024, annotatedFraction: 0.6 });
  d = Derived.attach(o.cache);
  ctx = d.ensureNode(fx.ids.node);
});
afterAll(() => t.cleanup());

function statementsOf(fn: () => void): Array<Recorded & { plan: string[] }> {
  return recording(d.db, fn)
    .filter((r) => /^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)/i.test(r.sql))
    .map((r) => ({ ...r, plan: plan(d.db, r) }));
}

function windowOf(stmts: Array<Recorded & { plan: string[] }>): Array<Recorded & { plan: string[] }> {
  return stmts.filter((s) => /ORDER BY/.test(s.sql) && /LIMIT \? OFFSET \?/.test(s.sql));
}

const SEARCHES: Array<[string, NeuronQuery, RegExp[]]> = [
  ['default table', {}, [/SEARCH b USING INDEX bodies_post \(ctx_id=\?\)/]],
  ['sort by pre', { sort: { key: 'pre', dir: 'desc' } }, [/SEARCH b USING INDEX bodies_pre \(ctx_id=\?\)/]],
  ['sort by body id', { sort: { key: 'bodyId', dir: 'asc' } }, [/bodies_id \(ctx_id=\?\)/]],
  ['sort by type', { sort: { key: 'type', dir: 'asc' } }, [/bodies_type \(ctx_id=\? AND type>\?\)/]],
  ['sort by instance', { sort: { key: 'instance', dir: 'desc' } }, [/bodies_instance \(ctx_id=\? AND instance>\?\)/]],
  ['sort by status', { sort: { key: 'status', dir: 'asc' } }, [/bodies_rank \(ctx_id=\? AND status_rank>\?\)/]],
  ['min post', { minPost: 3 }, [/bodies_post \(ctx_id=\? AND post>\?\)/]],
  ['statuses', { statuses: ['Traced', 'Orphan'] }, [/COVERING INDEX bodies_status \(ctx_id=\? AND status_key=\?\)/]],
  // A large ROI: the sort index drives, each body is a primary-key probe of body_roi; the total is counted off body_roi_post.
  ['input ROI', { inputRois: { rois: ['EB'], mode: 'any', min: 2 } }, [/body_roi_post \(rid=\? AND post>\?\)/, /SEARCH r USING PRIMARY KEY \(bid=\? AND rid=\?\)/, /bodies_post \(ctx_id=\?\)/]],
  // A tiny ROI: its body_roi range drives (the few rows are then sorted).
  ['input tiny ROI', { inputRois: { rois: ['NO'], mode: 'any' } }, [/body_roi_post \(rid=\? AND post>\?\)/, /SEARCH b USING INTEGER PRIMARY KEY/]],
  ['output ROIs any', { outputRois: { rois: ['EB', 'FB'], mode: 'any' } }, [/body_roi_pre \(rid=\? AND pre>\?\)/]],
  ['ROIs all', { inputRois: { rois: ['EB', 'PB'], mode: 'all' } }, [/body_roi_post \(rid=\? AND post>\?\)/]],
  ['sort by ROI column', { sort: { key: 'roi:FB:post', dir: 'desc' } }, [/SEARCH so USING COVERING INDEX body_roi_post \(rid=\?\)/, /SEARCH b USING INTEGER PRIMARY KEY/]],
  ['text', { text: 'EPG' }, [/SCAN f VIRTUAL TABLE INDEX/, /SEARCH b USING INTEGER PRIMARY KEY/, /^SCAN h$/]],
  ['short text', { text: 'PB' }, [/SCAN f VIRTUAL TABLE INDEX/, /SEARCH b USING INTEGER PRIMARY KEY/]],
  ['regex', { text: '/^EPG/' }, [/COVERING INDEX bodies_type \(ctx_id=\? AND type>\?\)/, /COVERING INDEX bodies_type \(ctx_id=\? AND type=\?\)/, /COVERING INDEX bodies_instance \(ctx_id=\? AND instance=\?\)/]],
  ['body id', { text: '5' }, [/bodies_id \(ctx_id=\? AND body=\?\)/]],
  ['text + filters', { text: 'EPG', statuses: ['Traced'], inputRois: { rois: ['EB'], mode: 'any' }, roiColumns: ['FB'] }, [/SEARCH r EXISTS USING PRIMARY KEY \(bid=\? AND rid=\?\)/]],
  ['ROI columns', { roiColumns: ['EB', 'FB'] }, [/SEARCH derived.body_roi USING PRIMARY KEY \(bid=\?\)/]],
];

describe('query plans of searchNeurons', () => {
  for (const [name, q, expected] of SEARCHES) {
    it(`${name}: no full scan${q.text ? '' : ', window read in index order'}, the intended index`, () => {
      const stmts = statementsOf(() => searchNeurons(d.db, ctx, q));
      const lines = stmts.flatMap((s) => s.plan);
      for (const s of stmts) expect(fullScans(s.plan), s.sql).toEqual([]);
      // Windows read in index order, except text hits and a tiny driving ROI's rows, which are few and sorted.
      const indexOrdered = windowOf(stmts).filter((s) => !q.text && !/\) d CROSS JOIN/.test(s.sql));
      for (const s of indexOrdered) expect(s.plan.join(' | '), s.sql).not.toMatch(/TEMP B-TREE FOR (RIGHT PART OF )?ORDER BY/);
      for (const re of expected) expect(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`).toBe(true);
    });
  }
});

describe('query plans of the other services', () => {
  it('ROI table, matrix, statuses, body and partners use their indexes', () => {
    const body = fx.bodies[0]!;
    const stmts = statementsOf(() => {
      roiTable(d.db, ctx, true);
      roiConnectivity(d.db, ctx);
      statuses(d.db, ctx);
      bodyDetail(d.db, ctx, body);
      partners(d.db, ctx, body, 'upstream');
      partners(d.db, ctx, body, 'downstream');
    });
    for (const s of stmts) expect(fullScans(s.plan), s.sql).toEqual([]);
    const lines = stmts.flatMap((s) => s.plan);
    for (const re of [
      /SEARCH derived\.rois USING INDEX rois_ord \(ctx_id=\?\)/,
      /SEARCH derived\.roi_conn USING PRIMARY KEY \(ctx_id=\?\)/,
      /SEARCH derived\.bodies USING COVERING INDEX bodies_status \(ctx_id=\?\)/,
      /SEARCH derived\.bodies USING INDEX bodies_id \(ctx_id=\? AND body=\?\)/,
      /SEARCH derived\.body_roi USING PRIMARY KEY \(bid=\?\)/,
      /SEARCH e USING COVERING INDEX edges_post \(post_bid=\?\)/,
      /SEARCH e USING PRIMARY KEY \(pre_bid=\?\)/,
      /SEARCH main\.labelsz_counts USING PRIMARY KEY \(instance_id=\? AND node_id=\? AND idx=\? AND label=\?\)/,
      /SEARCH k USING INDEX kv_entries_body \(instance_id=\? AND node_id=\? AND body=\?\)/,
    ]) {
      expect(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`).toBe(true);
    }
    expect(lines.join('\n')).not.toMatch(/TEMP B-TREE FOR GROUP BY/);
    expect(stmts.some((s) => /fts_sub MATCH/.test(s.sql))).toBe(false);
  });

  it('incremental updates read and write by index only', () => {
    const N = fx.ids.node;
    const a = fx.bodies[0]!, b = fx.bodies[1]!;
    const stmts = statementsOf(() => {
      t.cache.write(() => {
        for (const sv of fx.svsOf.get(a)!) t.cache.svMap.put(fx.ids.seg, N, sv, b, fx.ids.fetch);
        editElements(t.cache, fx.ids, N, { put: [{ pos: fx.positions[0]!, kind: 'PreSyn', rels: [{ rel: 'PreSynTo', to: fx.positions[1]! }], sv: fx.svsOf.get(b)![0]! }] });
      });
      d.flush();
    }).filter((s) => /\b(derived|main)\./.test(s.sql));
    expect(stmts.length).toBeGreaterThan(10);
    for (const s of stmts) expect(fullScans(s.plan), s.sql).toEqual([]);
    const lines = stmts.flatMap((s) => s.plan);
    for (const re of [
      /SEARCH (derived\.syn|s) USING (COVERING )?INDEX syn_pos \(ctx_id=\? AND z=\? AND y=\? AND x=\?\)/,
      /SEARCH derived\.syn USING INDEX syn_sv \(ctx_id=\? AND sv=\?\)/,
      /SEARCH derived\.syn USING INDEX syn_block \(ctx_id=\? AND bz=\? AND by=\? AND bx=\?\)/,
      /SEARCH e USING (PRIMARY KEY|INDEX sqlite_autoindex_element_blocks_1) \(instance_id=\? AND node_id=\? AND bz=\? AND by=\? AND bx=\?\)/,
      /SEARCH c USING PRIMARY KEY \(pre_sid=\?\)/,
      /SEARCH c USING COVERING INDEX conn_post \(post_sid=\?\)/,
      /SEARCH (derived\.)?body_roi USING PRIMARY KEY \(bid=\?/,
    ]) {
      expect(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`).toBe(true);
    }
  });
});
