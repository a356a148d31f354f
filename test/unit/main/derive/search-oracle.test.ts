/**
 * searchNeurons filters and totals against a brute-force filter of the independent counts
 * (test/support/derive-oracle.ts) on the synthetic fixture: every query plan strategy (O(1) totals,
 * a ROI driving the rows, primary-key probes, two-segment sorts) must give exactly the bodies the
 * plain filter gives, in the order the sort key says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NeuronQuery, NeuronRow } from '../../../../preload/api';
import { Derived } from '../../../../main/derive/derived';
import { searchNeurons } from '../../../../main/derive/search';
import { openTemp } from '../../../support/cache-fixture';
import { buildFixture } from '../../../support/derive-fixture';
import { oracle, type Snapshot } from '../../../support/derive-oracle';

let cleanup: () => void;
let d: Derived;
let ctx: { id: number; config: import('../../../../main/derive/context').CtxConfig };
let want: Snapshot;

beforeAll(() => {
  const t = openTemp();
  cleanup = t.cleanup;
  const fx = buildFixture(t.cache, { seed: 9, bodies: 2500, svsPerBody: 2, tbars: 4000, maxPsds: 4, size: 1024, annotatedFraction: 0.6 });
  d = Derived.attach(t.cache);
  ctx = d.ensureNode(fx.ids.node);
  want = oracle(d.db, fx.ids);
});
afterAll(() => cleanup());

function all(q: NeuronQuery): { total: number; rows: NeuronRow[] } {
  const rows: NeuronRow[] = [];
  let total = -1;
  for (let offset = 0; ; offset += 1000) {
    const page = searchNeurons(d.db, ctx, { ...q, offset, limit: 1000 });
    total = page.total;
    rows.push(...page.rows);
    if (page.rows.length < 1000) break;
  }
  return { total, rows };
}

function expected(q: NeuronQuery): string[] {
  const roi = (id: string, r: string) => want.bodyRoi[`${id}|${r}`] ?? { pre: 0, post: 0 };
  return Object.entries(want.bodies)
    .filter(([id, b]) => {
      if (q.statuses && !q.statuses.includes(b.status ?? '')) return false;
      if (q.minPre && b.pre < q.minPre) return false;
      if (q.minPost && b.post < q.minPost) return false;
      for (const [f, col] of [
        [q.inputRois, 'post'],
        [q.outputRois, 'pre'],
      ] as const) {
        if (!f) continue;
        const ok = f.rois.map((r) => roi(id, r)[col] >= (f.min ?? 1));
        if (f.mode === 'any' ? !ok.some(Boolean) : !ok.every(Boolean)) return false;
      }
      return true;
    })
    .map(([id]) => id)
    .toSorted();
}

const QUERIES: NeuronQuery[] = [
  {},
  { statuses: ['Traced', ''] },
  { minPre: 2 },
  { minPost: 3, statuses: ['Orphan'] },
  { inputRois: { rois: ['EB'], mode: 'any' } },
  { inputRois: { rois: ['NO'], mode: 'any' } },
  { outputRois: { rois: ['NO', 'PB'], mode: 'any', min: 2 } },
  { inputRois: { rois: ['EB', 'CX'], mode: 'all', min: 2 }, statuses: ['Traced', 'Orphan', ''] },
  { inputRois: { rois: ['FB'], mode: 'any' }, outputRois: { rois: ['FB'], mode: 'any' }, minPre: 1 },
  { inputRois: { rois: ['NO'], mode: 'any' }, sort: { key: 'roi:NO:post', dir: 'desc' } },
  { sort: { key: 'type', dir: 'desc' }, minPost: 1 },
  { sort: { key: 'status', dir: 'asc' } },
  { sort: { key: 'roi:EB:pre', dir: 'asc' } },
  { sort: { key: 'roi:EB:pre', dir: 'desc' }, inputRois: { rois: ['FB'], mode: 'any' } },
];

describe('searchNeurons against a brute-force filter of independent counts', () => {
  for (const q of QUERIES) {
    it(`query ${JSON.stringify(q)}`, () => {
      const got = all(q);
      const ids = expected(q);
      expect(got.total).toBe(ids.length);
      expect(got.rows.map((r) => r.bodyId).toSorted()).toEqual(ids);
      const key = q.sort?.key ?? 'post';
      const sign = q.sort?.dir === 'asc' ? 1 : -1;
      const value = (r: NeuronRow): number | string | null => {
        if (key === 'post') return r.post;
        if (key === 'type') return r.type;
        if (key === 'status') return r.statusRank;
        const m = /^roi:(.+):(pre|post)$/.exec(key)!;
        return (want.bodyRoi[`${r.bodyId}|${m[1]}`] ?? { pre: 0, post: 0 })[m[2] as 'pre' | 'post'];
      };
      const vals = got.rows.map(value);
      // Non-empty values in order, empty ones (null type / unknown status) after them.
      const firstNull = vals.indexOf(null) < 0 ? vals.length : vals.indexOf(null);
      expect(vals.slice(firstNull).every((v) => v === null)).toBe(true);
      const present = vals.slice(0, firstNull) as Array<number | string>;
      for (let i = 1; i < present.length; i++) expect(sign * (present[i]! < present[i - 1]! ? -1 : present[i]! > present[i - 1]! ? 1 : 0)).toBeGreaterThanOrEqual(0);
    });
  }

  it('covers the strategies: an O(1) total, a driving ROI, a two-segment sort', () => {
    expect(Object.keys(want.bodies).length).toBeGreaterThan(1000);
    expect(want.rois.NO!.bodiesPost * 20).toBeLessThan(Object.keys(want.bodies).length);
    expect(want.rois.EB!.bodiesPost * 20).toBeGreaterThan(Object.keys(want.bodies).length);
  });
});
