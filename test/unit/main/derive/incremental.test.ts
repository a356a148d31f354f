/**
 * The derived tables follow writes to the cache incrementally (change capture + flush), and after
 * every kind of change they equal a computation from scratch over the raw rows: merges and cleaves
 * (sv_map), element posts / deletes / edits, supervoxels read later, annotations, ROI spans and
 * roi_data. Also: a writer that changed the cache without the derived tables attached, and a
 * session that ended without a clean detach, are detected and rebuilt.
 */
import * as fc from 'fast-check';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cache } from '../../../../main/cache/index';
import { Derived } from '../../../../main/derive/derived';
import { searchNeurons } from '../../../../main/derive/search';
import { openTemp } from '../../../support/cache-fixture';
import { buildFixture, editElements, putAnnotation, storedElements, type Fixture, type PlacedElement } from '../../../support/derive-fixture';
import { derivedSnapshot, oracle, type Snapshot } from '../../../support/derive-oracle';
import { runTs } from '../../../support/spawn-ts';

const CHILD = join(import.meta.dirname, '../../../support/derive-child.ts');

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

const SMALL = { seed: 11, bodies: 120, svsPerBody: 3, tbars: 500, maxPsds: 4, size: 512, annotatedFraction: 0.5 };

function setup(params = SMALL): { cache: Cache; d: Derived; fx: Fixture; dir: string } {
  const t = openTemp();
  cleanup = t.cleanup;
  const fx = buildFixture(t.cache, params);
  const d = Derived.attach(t.cache);
  d.ensureNode(fx.ids.node);
  return { cache: t.cache, d, fx, dir: t.dir };
}

function snapshot(d: Derived, fx: Fixture): Snapshot {
  return derivedSnapshot(d.db, d.ctxOf(fx.ids.node)!.id);
}

function expectCurrent(d: Derived, fx: Fixture): Snapshot {
  const got = snapshot(d, fx);
  const want = oracle(d.db, fx.ids);
  expect(got).toEqual(want);
  return got;
}

/** The body with the most synapse elements (it has connections, ROIs and partners to move). */
function bigBody(s: Snapshot, skip: string[] = []): string {
  return Object.entries(s.bodies)
    .filter(([id]) => !skip.includes(id))
    .toSorted((a, b) => b[1].pre + b[1].post - (a[1].pre + a[1].post))[0]![0];
}

describe('incremental updates', () => {
  it('a regex search sees a type written after the same search ran (the distinct-value memo follows writes)', () => {
    const { cache, d, fx } = setup();
    const ctx = d.ensureNode(fx.ids.node);
    expect(searchNeurons(d.db, ctx, { text: '/^ZQX/' }).total).toBe(0);
    putAnnotation(cache, fx.ids, fx.ids.node, fx.bodies[0]!, JSON.stringify({ type: 'ZQX1', status: 'Traced' }));
    d.flush();
    expect(searchNeurons(d.db, ctx, { text: '/^ZQX/' }).rows.map((r) => r.bodyId)).toEqual([fx.bodies[0]!.toString()]);
  });

  it('a merge moves every count of the merged body to the target', () => {
    const { cache, d, fx } = setup();
    const before = expectCurrent(d, fx);
    const a = bigBody(before);
    const b = bigBody(before, [a]);
    const A = BigInt(a), B = BigInt(b);
    cache.write(() => {
      for (const sv of fx.svsOf.get(A)!) cache.svMap.put(fx.ids.seg, fx.ids.node, sv, B, fx.ids.fetch);
    });
    const r = d.flush();
    expect(r.elements).toBeGreaterThan(0);
    expect(r.rebuilt).toBe(0);
    const after = expectCurrent(d, fx);
    // The counts moved (the fixture gives a few synapses of A other supervoxels with no or 0 mapping).
    expect(after.bodies[b]!.pre).toBe(before.bodies[b]!.pre + before.bodies[a]!.pre);
    expect(after.bodies[b]!.post).toBe(before.bodies[b]!.post + before.bodies[a]!.post);
    expect(after.bodies[a] === undefined || (after.bodies[a]!.pre === 0 && after.bodies[a]!.post === 0)).toBe(true);
    expect(Object.keys(after.edges).some((k) => k.startsWith(`${a}|`) || k.endsWith(`|${a}`))).toBe(false);
  });

  it('a cleave moves exactly the synapses of the cleaved supervoxels to the new body', () => {
    const { cache, d, fx } = setup();
    const before = expectCurrent(d, fx);
    const b = bigBody(before);
    const B = BigInt(b);
    const C = 987654321987654321n;
    const moved = fx.svsOf.get(B)!.slice(0, 2);
    cache.write(() => {
      for (const sv of moved) cache.svMap.put(fx.ids.seg, fx.ids.node, sv, C, fx.ids.fetch);
    });
    d.flush();
    const after = expectCurrent(d, fx);
    const c = C.toString();
    expect(after.bodies[c]!.pre + after.bodies[c]!.post).toBeGreaterThan(0);
    expect(after.bodies[c]!.pre + after.bodies[b]!.pre).toBe(before.bodies[b]!.pre);
    expect(after.bodies[c]!.post + after.bodies[b]!.post).toBe(before.bodies[b]!.post);
    // The new body is searchable by id right away.
    expect(searchNeurons(d.db, d.ctxOf(fx.ids.node)!, { text: c }).rows.map((r) => r.bodyId)).toEqual([c]);
  });

  it('element posts, deletes, kind changes and relationship edits', () => {
    const { cache, d, fx } = setup();
    expectCurrent(d, fx);
    const N = fx.ids.node;
    const els = [...storedElements(cache, fx.ids, N).values()].filter((e) => e.kind === 'PreSyn' || e.kind === 'PostSyn');
    const tbar = els.find((e) => e.kind === 'PreSyn' && e.rels.length >= 2)!;
    const psd = els.find((e) => e.kind === 'PostSyn' && e.rels.length === 1)!;
    const body = fx.bodies[3]!;
    const sv = fx.svsOf.get(body)![0]!;
    cache.write(() => {
      // A new T-bar with two new PSDs (one declared on both sides, one only by the T-bar), across two blocks.
      const t = [100, 100, 100] as [number, number, number];
      const p1 = [110, 100, 100] as [number, number, number];
      const p2 = [100, 130, 100] as [number, number, number];
      editElements(cache, fx.ids, N, {
        put: [
          { pos: t, kind: 'PreSyn', rels: [{ rel: 'PreSynTo', to: p1 }, { rel: 'PreSynTo', to: p2 }], sv },
          { pos: p1, kind: 'PostSyn', rels: [{ rel: 'PostSynTo', to: t }], sv },
          { pos: p2, kind: 'PostSyn', rels: [], sv },
          // A PSD turned into a Note (not a synapse any more).
          { ...psd, kind: 'Note' },
        ],
        // Delete a T-bar with partners: its PSDs keep their PostSynTo, now pointing at nothing.
        del: [tbar.pos],
      });
    });
    d.flush();
    expectCurrent(d, fx);
    // The deleted T-bar comes back: its PSDs (which kept naming it) connect again.
    cache.write(() => editElements(cache, fx.ids, N, { put: [tbar] }));
    d.flush();
    const after = expectCurrent(d, fx);
    expect(after.totals.pre).toBeGreaterThan(0);
  });

  it('a supervoxel read after its element gives the element its body', () => {
    const { cache, d, fx } = setup();
    const N = fx.ids.node;
    const pos = [7, 8, 9] as [number, number, number];
    // The element arrives in a block of its own with no supervoxel row yet (as a sync writes it) …
    cache.write(() => cache.elements.putBlock(fx.ids.syn, N, [0, 0, 0], 64, [{ pos, kind: 'PreSyn', tags: [], prop: {}, rels: [] }], true, fx.ids.fetch));
    d.flush();
    const before = expectCurrent(d, fx);
    const body = fx.bodies[10]!;
    // … and its supervoxel later.
    cache.write(() => cache.elements.putSupervoxels(fx.ids.syn, N, [0, 0, 0], fx.ids.seg, BigUint64Array.of(fx.svsOf.get(body)![1]!), fx.ids.fetch));
    d.flush();
    const after = expectCurrent(d, fx);
    expect(after.bodies[body.toString()]!.pre).toBe((before.bodies[body.toString()]?.pre ?? 0) + 1);
  });

  it('annotation writes and deletes update names, statuses and the full-text index', () => {
    const { cache, d, fx } = setup();
    const N = fx.ids.node;
    const target = fx.bodies[fx.bodies.length - 1]!; // not annotated by the fixture
    const lonely = 424242424242n; // no synapses
    cache.write(() => {
      putAnnotation(cache, fx.ids, N, target, `{"bodyid":${target},"type":"ZZTopNeuron","instance":"ZZTopNeuron(PB99)_R1","status":"Finalized"}`);
      putAnnotation(cache, fx.ids, N, lonely, `{"bodyid":${lonely},"type":"Lonely","status":"Orphan"}`);
    });
    d.flush();
    const s1 = expectCurrent(d, fx);
    expect(s1.bodies[lonely.toString()]).toEqual({ pre: 0, post: 0, type: 'Lonely', instance: null, status: 'Orphan' });
    const match = (q: string) => d.db.prepare('SELECT count(*) FROM derived.fts_sub WHERE fts_sub MATCH ?').pluck().get(q);
    expect(match('"zztop"')).toBe(1);
    cache.write(() => {
      cache.bodyAnnotations.delete(fx.ids.ann, N, lonely);
      putAnnotation(cache, fx.ids, N, target, `{"bodyid":${target},"type":"Renamed"}`);
    });
    d.flush();
    const s2 = expectCurrent(d, fx);
    expect(s2.bodies[lonely.toString()]).toBeUndefined();
    expect(match('"zztop"')).toBe(0);
    expect(match('"renamed"')).toBe(1);
    expect(match('"lonely"')).toBe(0);
  });

  it('new ROI spans rebuild the node; roi_data changes only the hierarchy and primary flags', () => {
    const { cache, d, fx } = setup();
    const N = fx.ids.node;
    cache.write(() => cache.rois.put(fx.ids.rois.PB!, N, 32, [[0, 0, 0, 3], [1, 1, 0, 3]], fx.ids.fetch));
    expect(d.flush().rebuilt).toBe(1);
    expectCurrent(d, fx);
    cache.write(() =>
      cache.kv.put(fx.ids.roiData, N, 'primaryRois', cache.kv.prepare(Buffer.from('["EB","FB"]')), { body: null, format: 'json', mutationId: null }, fx.ids.fetch),
    );
    expect(d.flush().rebuilt).toBe(0);
    const primary = d.db.prepare('SELECT name FROM derived.rois WHERE is_primary = 1 ORDER BY name').pluck().all();
    expect(primary).toEqual(['EB', 'FB']);
  });

  it('flushes by itself after a write transaction (change capture)', async () => {
    const { cache, d, fx } = setup();
    const before = snapshot(d, fx);
    const a = bigBody(before), b = bigBody(before, [a]);
    cache.write(() => {
      for (const sv of fx.svsOf.get(BigInt(a))!) cache.svMap.put(fx.ids.seg, fx.ids.node, sv, BigInt(b), fx.ids.fetch);
    });
    // Nothing applied inside the writer's transaction ...
    expect(snapshot(d, fx).bodies[a]).toEqual(before.bodies[a]);
    // ... and applied on the next turn of the event loop.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(d.lastError).toBeNull();
    expectCurrent(d, fx);
  });

  it('a rolled-back write leaves the derived tables unchanged', () => {
    const { cache, d, fx } = setup();
    const before = snapshot(d, fx);
    expect(() =>
      cache.write(() => {
        for (const sv of fx.svsOf.get(fx.bodies[0]!)!) cache.svMap.put(fx.ids.seg, fx.ids.node, sv, fx.bodies[1]!, fx.ids.fetch);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(d.flush().elements).toBe(0);
    expect(snapshot(d, fx)).toEqual(before);
  });

  it('random sequences of merges, cleaves, element and annotation edits keep the tables exact', () => {
    const { cache, d, fx } = setup({ ...SMALL, tbars: 250, bodies: 60 });
    const N = fx.ids.node, f = fx.ids.fetch;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('remap' as const), sv: fc.nat(), to: fc.nat(), fresh: fc.boolean() }),
      fc.record({ kind: fc.constant('post' as const), x: fc.integer({ min: 0, max: 40 }), y: fc.integer({ min: 0, max: 40 }), pre: fc.boolean(), partner: fc.nat(), sv: fc.nat() }),
      fc.record({ kind: fc.constant('delete' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('annotate' as const), body: fc.nat(), type: fc.constantFrom('EPG', 'PEN', null) }),
      fc.record({ kind: fc.constant('svless' as const), which: fc.nat() }),
    );
    const allSvs = [...fx.svsOf.values()].flat();
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 6 }), (ops) => {
        cache.write(() => {
          for (const o of ops) {
            switch (o.kind) {
              case 'remap': {
                const to = o.fresh ? 9_000_000_000_000_000_000n + BigInt(o.to % 5) : fx.bodies[o.to % fx.bodies.length]!;
                cache.svMap.put(fx.ids.seg, N, allSvs[o.sv % allSvs.length]!, to, f);
                break;
              }
              case 'post': {
                const pos = [o.x, o.y, 3] as [number, number, number];
                const all = [...storedElements(cache, fx.ids, N).values()];
                const partner = all[o.partner % all.length]!.pos;
                const el: PlacedElement = { pos, kind: o.pre ? 'PreSyn' : 'PostSyn', rels: [{ rel: o.pre ? 'PreSynTo' : 'PostSynTo', to: partner }], sv: allSvs[o.sv % allSvs.length]! };
                editElements(cache, fx.ids, N, { put: [el] });
                break;
              }
              case 'delete': {
                const all = [...storedElements(cache, fx.ids, N).values()];
                editElements(cache, fx.ids, N, { del: [all[o.which % all.length]!.pos] });
                break;
              }
              case 'svless': {
                // A block loses its supervoxel row (rewritten by a sync, supervoxels not read yet).
                const all = [...storedElements(cache, fx.ids, N).values()];
                const p = all[o.which % all.length]!.pos;
                cache.db.db
                  .prepare('DELETE FROM element_block_svs WHERE instance_id = ? AND node_id = ? AND bz = ? AND by = ? AND bx = ?')
                  .run(fx.ids.syn, N, Math.floor(p[2] / 64), Math.floor(p[1] / 64), Math.floor(p[0] / 64));
                break;
              }
              case 'annotate': {
                const b = fx.bodies[o.body % fx.bodies.length]!;
                if (o.type === null) cache.bodyAnnotations.delete(fx.ids.ann, N, b);
                else putAnnotation(cache, fx.ids, N, b, `{"bodyid":${b},"type":"${o.type}","status":"Traced"}`);
              }
            }
          }
        });
        d.flush();
        expect(snapshot(d, fx)).toEqual(oracle(d.db, fx.ids));
      }),
      { numRuns: 40, seed: 20200120 },
    );
  }, 120_000);
});

describe('missed writes', () => {
  it('a cache changed while the derived tables were not attached is detected and rebuilt', () => {
    const { cache, d, fx, dir } = setup();
    d.detach();
    // Another writer session without the derived tables (another tool, an older build).
    cache.write(() => {
      for (const sv of fx.svsOf.get(fx.bodies[0]!)!) cache.svMap.put(fx.ids.seg, fx.ids.node, sv, fx.bodies[1]!, fx.ids.fetch);
    });
    cache.close();
    const again = Cache.open(dir);
    try {
      const d2 = Derived.attach(again);
      expect(d2.ctxOf(fx.ids.node)).toBeNull(); // emptied: the stamp no longer matched
      const ctx = d2.ensureNode(fx.ids.node);
      expect(derivedSnapshot(d2.db, ctx.id)).toEqual(oracle(d2.db, fx.ids));
      d2.detach();
    } finally {
      again.close();
    }
  });

  it('a session that did not detach cleanly (crash) is rebuilt; a clean one is kept', async () => {
    const { cache, d, fx, dir } = setup();
    d.detach();
    cache.close();
    // Clean: kept as it is.
    const c = Cache.open(dir);
    expect(Derived.attach(c).ctxOf(fx.ids.node)).not.toBeNull();
    Derived.of(c)!.detach();
    c.close();
    // A process that writes with the derived tables attached and dies before its flush and detach.
    expect(fx.ids.seg).toBe(1);
    expect(fx.ids.node).toBe(1);
    await runTs(CHILD, ['crash', dir, fx.svsOf.get(fx.bodies[0]!)![0]!.toString(), fx.bodies[1]!.toString()]);
    const again = Cache.open(dir);
    try {
      expect(again.report.uncleanShutdown).toBe(true);
      const d2 = Derived.attach(again);
      expect(d2.ctxOf(fx.ids.node)).toBeNull();
      const ctx = d2.ensureNode(fx.ids.node);
      expect(derivedSnapshot(d2.db, ctx.id)).toEqual(oracle(d2.db, fx.ids));
      d2.detach();
    } finally {
      again.close();
    }
  });

  it('a reader sees the tables as fresh only when they match the cache', () => {
    const { cache, d, fx, dir } = setup();
    d.detach();
    const r = Cache.open(dir, { readonly: true });
    try {
      const dr = Derived.attach(r);
      expect(dr.fresh()).toBe(true);
      expect(dr.ensureNode(fx.ids.node).id).toBeGreaterThan(0);
      cache.write(() => cache.svMap.put(fx.ids.seg, fx.ids.node, fx.svsOf.get(fx.bodies[0]!)![0]!, 5n, fx.ids.fetch));
      expect(dr.fresh()).toBe(false);
      dr.detach();
    } finally {
      r.close();
    }
  });
});
