/**
 * Neuron search and ROI tables on the demo's `--size 2048` dataset, synced from a demo server in a
 * separate process (demo-bench-data.ts: 107 k annotated bodies, 1.16 M synapse elements): issue 7's
 * targets are search p95 ≤ 10 ms and ROI table ≤ 100 ms.
 *
 * The first run generates the dataset and syncs it (see demo-bench-data.ts for the costs); later runs
 * reuse the cache under .cache/bench and its derived tables (BENCH_REBUILD=1 times a full build again).
 *
 * Figures (best effort on a shared machine; the lead re-measures on a quiet one):
 * - full build of the derived tables from the cache (when it runs);
 * - searchNeurons latency p50 / p95 / max per kind of query and over the whole mix (ids, id
 *   prefixes, types, instance words and substrings, regexes, status / count / ROI filters, sorts,
 *   deep windows), with a baseline in the same run: the same text searches as LIKE scans;
 * - ROI table (rois, rois all, roiConnectivity), with the baseline of a GROUP BY over the
 *   per-synapse rows;
 * - an incremental merge of two large bodies (flush time).
 */
import type { NeuronQuery } from '../../preload/api';
import { Cache } from '../../main/cache/index';
import { u64FromDb, u64ToDb } from '../../main/cache/u64';
import { Derived } from '../../main/derive/derived';
import { roiConnectivity, roiTable } from '../../main/derive/queries';
import { searchNeurons } from '../../main/derive/search';
import { demoBenchCache } from './demo-bench-data';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function stats(times: number[]): string {
  const s = times.toSorted((a, b) => a - b);
  return `p50 ${pct(s, 50).toFixed(2)} ms  p95 ${pct(s, 95).toFixed(2)} ms  max ${s.at(-1)!.toFixed(2)} ms  (n=${s.length})`;
}

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const v = fn();
  return [v, performance.now() - t];
}

export async function run(): Promise<void> {
  const bench = await demoBenchCache();
  const t0 = performance.now();
  const cache = Cache.open(bench.dir);
  try {
    const db = cache.db.db;
    const derived = Derived.attach(cache);
    console.log(`opened the cache and attached the derived tables in ${((performance.now() - t0) / 1000).toFixed(1)} s (stamp check of the source tables)`);
    const nodeId = db.prepare('SELECT id FROM nodes WHERE uuid = ?').pluck().safeIntegers(false).get(bench.uuid) as number;
    if (process.env.BENCH_REBUILD === '1' || !derived.currentCtx(nodeId)) {
      console.log('full build of the derived tables (in this thread) …');
      const [, buildMs] = time(() => derived.rebuild(nodeId));
      console.log(`full build of the derived tables: ${(buildMs / 1000).toFixed(1)} s`);
    } else console.log('derived tables: reused from the last run (BENCH_REBUILD=1 to time a full build)');
    const ctx = derived.ensureNode(nodeId);
    const one = (sql: string) => db.prepare(sql).pluck().safeIntegers(false).get() as number;
    const annotated = one('SELECT count(*) FROM body_annotations');
    const elements = one(`SELECT pre + post FROM derived.ctx WHERE id = ${ctx.id}`);
    const bodies = one(`SELECT count(*) FROM derived.bodies WHERE ctx_id = ${ctx.id}`);
    const withBody = one(`SELECT count(*) FROM derived.syn WHERE ctx_id = ${ctx.id} AND kind IS NOT NULL AND bid IS NOT NULL`);
    console.log(
      `data: demo --size 2048 (node ${bench.uuid}): ${annotated.toLocaleString('en')} annotated bodies, ${bodies.toLocaleString('en')} body rows, ` +
        `${elements.toLocaleString('en')} synapse elements (${withBody.toLocaleString('en')} with a body)`,
    );

    // Realistic ids: a big annotated neuron, a small fragment.
    const idOf = (sql: string) => u64FromDb(db.prepare(sql).pluck().safeIntegers(true).get(ctx.id) as bigint).toString();
    const big = idOf('SELECT body FROM derived.bodies WHERE ctx_id = ? ORDER BY post DESC LIMIT 1');
    const small = idOf('SELECT body FROM derived.bodies WHERE ctx_id = ? AND post = 1 LIMIT 1');
    const queries: Array<[string, NeuronQuery]> = [
      ['default table (post desc)', {}],
      ['body id (big)', { text: big }],
      ['body id (fragment)', { text: small }],
      ['id prefix (6 digits)', { text: big.slice(0, 6) }],
      ['id prefix (3 digits)', { text: small.slice(0, 3) }],
      ['instance exact', { text: 'EPG(PB08)_L3' }],
      ['instance substring', { text: '_L3' }],
      ['type with quote', { text: "KCa'b'" }],
      ['type exact', { text: 'EPG' }],
      ['type exact, lower case', { text: 'mbon01' }],
      ['word after "("', { text: 'PB08' }],
      ['prefix', { text: 'Delt' }],
      ['substring', { text: 'elta7' }],
      ['1 character', { text: 'E' }],
      ['no match', { text: 'zzqx' }],
      ['2 characters', { text: 'KC' }],
      ['regex', { text: '/^(EPG|PEG)\\(PB0[1-4]\\)/' }],
      ['regex, broad', { text: '/_R$/' }],
      ['status filter', { statuses: ['Traced', 'Roughly traced'] }],
      ['rare status', { statuses: ['Anchor'] }],
      ['min post', { minPost: 20 }],
      ['status + min pre, by pre', { statuses: ['Traced'], minPre: 5, sort: { key: 'pre', dir: 'desc' } }],
      ['input ROI', { inputRois: { rois: ['EB'], mode: 'any', min: 1 } }],
      ['input any 2 ROIs, min 3', { inputRois: { rois: ['EB', 'FB'], mode: 'any', min: 3 } }],
      ['in all + out ROI', { inputRois: { rois: ['FB', 'PB'], mode: 'all' }, outputRois: { rois: ['EB'], mode: 'any' } }],
      ['text + status + ROI', { text: 'EPG', statuses: ['Traced'], inputRois: { rois: ['EB'], mode: 'any' } }],
      ['sort by type', { sort: { key: 'type', dir: 'asc' } }],
      ['sort by status', { sort: { key: 'status', dir: 'desc' } }],
      ['sort by ROI column', { sort: { key: 'roi:FB:post', dir: 'desc' }, roiColumns: ['FB', 'EB'] }],
      ['deep window', { offset: 50_000, limit: 100 }],
      ['ROI columns, 1000 rows', { roiColumns: ['EB', 'FB', 'PB'], limit: 1000 }],
    ];
    // Warm up (statement compilation, page cache), then measure.
    for (const [, q] of queries) searchNeurons(db, ctx, q);
    const all: number[] = [];
    const per: string[] = [];
    const REPS = 30;
    for (const [name, q] of queries) {
      const ts: number[] = [];
      let total = 0;
      for (let i = 0; i < REPS; i++) {
        const [page, ms] = time(() => searchNeurons(db, ctx, q));
        total = page.total;
        ts.push(ms);
      }
      all.push(...ts);
      const s = ts.toSorted((a, b) => a - b);
      per.push(`  ${name.padEnd(28)} p50 ${pct(s, 50).toFixed(2).padStart(7)} ms  p95 ${pct(s, 95).toFixed(2).padStart(7)} ms  total ${total}`);
    }
    console.log(`searchNeurons over ${queries.length} kinds of query × ${REPS}:`);
    console.log(per.join('\n'));
    const searchStats = all.toSorted((a, b) => a - b);
    console.log(`  ALL: ${stats(all)}   target p95 ≤ 10 ms: ${pct(searchStats, 95) <= 10 ? 'met' : 'NOT met'}`);

    // Baseline: the text searches as plain LIKE scans over the body table (no FTS, no ranking).
    const like = db.prepare(
      'SELECT count(*) FROM derived.bodies WHERE ctx_id = @ctx AND (type LIKE @p OR instance LIKE @p OR other_names LIKE @p)',
    );
    const texts = ['EPG', 'mbon01', 'PB08', 'Delt', 'elta7', 'KC'];
    const ftsTimes: number[] = [];
    const likeTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      for (const t of texts) {
        ftsTimes.push(time(() => searchNeurons(db, ctx, { text: t }))[1]);
        likeTimes.push(time(() => like.get({ ctx: ctx.id, p: `%${t}%` }))[1]);
      }
    }
    const med = (xs: number[]) => pct(xs.toSorted((a, b) => a - b), 50);
    console.log(
      `text search vs baseline LIKE scan (count only, no ranking): ${med(ftsTimes).toFixed(2)} ms vs ${med(likeTimes).toFixed(2)} ms median → ${(med(likeTimes) / med(ftsTimes)).toFixed(1)}×`,
    );

    // ROI table.
    const roiTimes: number[] = [];
    for (let i = 0; i < 30; i++) {
      roiTimes.push(
        time(() => {
          roiTable(db, ctx);
          roiTable(db, ctx, true);
          roiConnectivity(db, ctx);
        })[1],
      );
    }
    const roiSorted = roiTimes.toSorted((a, b) => a - b);
    console.log(`ROI table (rois + rois all + roiConnectivity): ${stats(roiTimes)}   target ≤ 100 ms: ${pct(roiSorted, 95) <= 100 ? 'met' : 'NOT met'}`);
    const [, naiveMs] = time(
      () =>
        db
          .prepare(
            `SELECT r.name, sum(s.kind = 0), sum(s.kind = 1) FROM derived.syn s JOIN derived.rois r ON r.ctx_id = s.ctx_id
             WHERE s.ctx_id = ? AND s.kind IS NOT NULL AND s.x >= 0 GROUP BY r.rid`,
          )
          .all(ctx.id).length,
    );
    console.log(`  baseline: one GROUP BY over the per-synapse rows (not even ROI membership): ${naiveMs.toFixed(0)} ms → ${(naiveMs / med(roiTimes)).toFixed(0)}×`);

    // Incremental: merge the two biggest bodies, then flush.
    const top = db.prepare(`SELECT body FROM derived.bodies WHERE ctx_id = ? ORDER BY pre + post DESC LIMIT 2`).pluck().safeIntegers(true).all(ctx.id) as bigint[];
    const [a, b] = top.map(u64FromDb);
    const seg = db.prepare("SELECT id FROM instances WHERE name = 'segmentation'").pluck().safeIntegers(false).get() as number;
    const svs = cache.svMap.supervoxelsOf(seg, nodeId, a!);
    const moved = db.prepare('SELECT pre + post FROM derived.bodies WHERE ctx_id = ? AND body = ?').pluck().safeIntegers(false).get(ctx.id, u64ToDb(a!)) as number;
    cache.write(() => {
      const f = cache.fetches!.record({ jobId: null, instanceId: seg, nodeId, request: 'bench merge', mutationId: null });
      for (const sv of svs) cache.svMap.put(seg, nodeId, sv, b!, f);
    });
    const [r, flushMs] = time(() => derived.flush());
    console.log(`incremental merge of the two largest bodies (${moved} synapse elements moved, ${r.elements} re-read): flush ${flushMs.toFixed(1)} ms`);
    // Undo, so the next run starts from the same data.
    cache.write(() => {
      const f = cache.fetches!.record({ jobId: null, instanceId: seg, nodeId, request: 'bench unmerge', mutationId: null });
      for (const sv of svs) cache.svMap.put(seg, nodeId, sv, a!, f);
    });
    derived.flush();
    derived.detach();
  } finally {
    cache.close();
  }
}
