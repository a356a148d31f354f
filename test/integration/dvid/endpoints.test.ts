/**
 * Every endpoint module against the demo DVID, cross-checked endpoint against endpoint (the demo's
 * generator only picks what to ask; the answers come over HTTP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBlockPayload } from '../../../main/formats/block-stream';
import { decodeKeyValues } from '../../../main/formats/kv-protobuf';
import { RoiBlockSet } from '../../../main/formats/roi-spans';
import type { AnnotationElement } from '../../../main/formats/annotation';
import { DvidBadRequestError, DvidLockedError, DvidNotFoundError } from '../../../main/dvid/errors';
import type { KvRecord } from '../../../main/dvid/keyvalue';
import { logMark, requestsSince, startDemoFixture, type DemoFixture } from '../../support/dvid-demo';

let fx: DemoFixture;
let body: bigint;
beforeAll(async () => {
  fx = await startDemoFixture();
  body = fx.demo.truth.neuronBodies(1)[0]!;
});
afterAll(async () => {
  await fx?.close();
});

async function collect<T>(records: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of records) out.push(x);
  return out;
}

const text = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('utf8') : null);

describe('labelmap', () => {
  it('agrees between label, labels, mapping, supervoxels, sizes and the sparse volume', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    const svs = await seg.supervoxels(body);
    expect(svs.length).toBeGreaterThan(0);
    expect(await seg.mapping(svs)).toEqual(svs.map(() => body));
    expect(await seg.mapping([0n, 18446744073709551615n])).toEqual([0n, 0n]);

    const size = await seg.size(body);
    expect(await seg.sizes([body, 18446744073709551615n])).toEqual([size, 0]);
    const svSizes = await seg.supervoxelSizes(body);
    expect(new Set(svSizes.supervoxels)).toEqual(new Set(svs));
    expect(svSizes.sizes.reduce((a, b) => a + b, 0)).toBe(size);
    const sv = await seg.sparsevolSize(body);
    expect(sv.voxels).toBe(size);

    // A block of the body's coarse sparse volume holds the body: find one of its voxels there.
    const runs = await seg.sparsevolCoarse(body);
    expect(runs.reduce((n, r) => n + r.length, 0)).toBe(sv.numBlocks);
    const first = runs[0]!;
    const [rec] = await collect(seg.specificBlocks([[first.x, first.y, first.z]], { compression: 'blocks', blockSize: [64, 64, 64] }));
    expect([rec!.bx, rec!.by, rec!.bz]).toEqual([first.x, first.y, first.z]);
    const vol = decodeBlockPayload(rec!.payload, 'blocks', [64, 64, 64]);
    const i = vol.voxels.indexOf(body);
    expect(i).toBeGreaterThanOrEqual(0);
    const point = [first.x * 64 + (i % 64), first.y * 64 + (Math.floor(i / 64) % 64), first.z * 64 + Math.floor(i / 4096)] as const;
    expect(await seg.label(point)).toBe(body);
    const since = logMark(fx.demo);
    expect(await seg.labels([point, point])).toEqual([body, body]);
    // The points went as the body of a GET (fetch could not send that).
    expect(requestsSince(fx.demo, since, '/segmentation/labels')).toMatchObject([{ method: 'GET', requestBytes: JSON.stringify([point, point]).length }]);
    const svAt = await seg.label(point, { supervoxels: true });
    expect(svs).toContain(svAt);
    expect(await seg.hasSparsevol(body)).toBe(true);
  });

  it('sends block requests with an explicit compression, and every form decodes to the same voxels', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    const since = logMark(fx.demo);
    const coords = [
      [2, 2, 2],
      [3, 2, 2],
    ] as const;
    const byForm = new Map<string, string>();
    for (const compression of ['blocks', 'lz4', 'gzip', 'uncompressed'] as const) {
      const recs = await collect(seg.specificBlocks(coords, { compression, supervoxels: true }));
      expect(recs.map((r) => `${r.bx},${r.by},${r.bz}`).toSorted()).toEqual(['2,2,2', '3,2,2']);
      const voxels = recs
        .toSorted((a, b) => a.bx - b.bx)
        .map((r) => Buffer.from(decodeBlockPayload(r.payload, compression, [64, 64, 64]).voxels.buffer).toString('base64'));
      byForm.set(compression, voxels.join('|'));
    }
    expect(new Set(byForm.values()).size).toBe(1);
    const fromBlocks = await collect(seg.blocks([128, 64, 64], [128, 128, 128], { compression: 'blocks', supervoxels: true }));
    expect(fromBlocks.map((r) => `${r.bx},${r.by},${r.bz}`).toSorted()).toEqual(['2,2,2', '3,2,2']);
    const queries = requestsSince(fx.demo, since, /\/(specific)?blocks/).map((e) => new URLSearchParams(e.query).get('compression'));
    expect(queries).toEqual(['blocks', 'lz4', 'gzip', 'uncompressed', 'blocks']);
  });

  it('streams the mappings (binary and text alike) and the mutation log of the open node', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    const pairs = async (format: 'binary' | 'text') =>
      (await collect(seg.mappings({ format }))).flatMap((b) => [...b.supervoxels].map((s, i) => `${s}>${b.bodies[i]}`)).toSorted();
    const binary = await pairs('binary');
    expect(binary.length).toBeGreaterThan(0);
    expect(await pairs('text')).toEqual(binary);
    const [sv, mapped] = binary[0]!.split('>').map(BigInt) as [bigint, bigint];
    expect(await seg.mapping([sv])).toEqual([mapped]);

    const muts = await collect(seg.mutations());
    expect(muts.map((m) => m.action)).toEqual(expect.arrayContaining(['merge-complete', 'cleave-complete']));
    for (const m of muts) expect(m.uuid).toBe(fx.child);
    const ids = muts.map((m) => m.mutationId!);
    expect(ids).toEqual(ids.toSorted((a, b) => (a < b ? -1 : 1)));
    const lastmod = await seg.lastmod(body);
    expect(lastmod.mutationId).toBeGreaterThan(0n);
    expect(await collect(fx.client().labelmap(fx.root, 'segmentation').mutations())).toEqual([]);
  });

  it('maps a missing label to DvidNotFoundError (404 with an empty body)', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    const missing = 18446744073709551000n;
    for (const call of [() => seg.lastmod(missing), () => seg.supervoxels(missing), () => seg.size(missing), () => seg.sparsevolCoarse(missing)]) {
      const err = await call().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DvidNotFoundError);
      expect(err).toMatchObject({ status: 404, serverText: '' });
    }
    expect(await seg.hasSparsevol(missing)).toBe(false);
    await expect(collect(seg.blocks([10, 64, 64], [0, 0, 0], { compression: 'blocks' }))).rejects.toThrow(DvidBadRequestError);
  });
});

describe('annotation', () => {
  it('agrees between /label, /elements, /blocks and /all-elements, block by block', async () => {
    const syn = fx.client().annotation(fx.child, 'synapses');
    const mine = await syn.label(body, { relationships: true });
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.rels.length > 0)).toBe(true);
    expect((await syn.label(body)).every((e) => e.rels.length === 0)).toBe(true);

    const all = await collect(syn.allElements());
    const byPos = new Map<string, AnnotationElement>();
    for (const blk of all) {
      for (const e of blk.elements) {
        expect(e.pos.map((c) => Math.floor(c / 64))).toEqual(blk.block);
        byPos.set(e.pos.join(','), e);
      }
    }
    for (const e of mine) expect(byPos.get(e.pos.join(','))).toEqual(e);

    const e0 = mine[0]!;
    const box = e0.pos.map((c) => Math.floor(c / 64) * 64) as [number, number, number];
    const inBox = await syn.elements([64, 64, 64], box);
    expect(inBox.map((e) => e.pos.join(','))).toContain(e0.pos.join(','));
    const blocks = await collect(syn.blocks([64, 64, 64], box));
    expect(blocks.map((b) => b.block)).toEqual([box.map((c) => c / 64)]);
    expect(blocks[0]!.elements.length).toBe(inBox.length);
    expect(await syn.elements([1, 1, 1], [-1000, -1000, -1000])).toEqual([]);
  });

  it('posts and deletes elements on the open node (u= and app= sent), refuses on the locked one', async () => {
    const c = fx.client({ user: 'tester', app: 'dvid-desk-test' });
    const todo = c.annotation(fx.child, 'segmentation_todo');
    const pos: [number, number, number] = [7, 11, 13];
    const note: AnnotationElement = { pos, kind: 'Note', tags: ['t'], prop: { action: 'to split', checked: '0' }, rels: [] };
    const since = logMark(fx.demo);
    await todo.postElements([note]);
    const got = await todo.elements([1, 1, 1], pos);
    expect(got).toEqual([{ ...note }]);
    await todo.deleteElement(pos);
    expect(await todo.elements([1, 1, 1], pos)).toEqual([]);
    await expect(todo.deleteElement(pos)).rejects.toThrow(DvidNotFoundError);
    const writes = requestsSince(fx.demo, since, 'segmentation_todo/element').filter((e) => e.method !== 'GET');
    expect(writes.length).toBe(3);
    for (const w of writes) expect(Object.fromEntries(new URLSearchParams(w.query))).toMatchObject({ u: 'tester', app: 'dvid-desk-test' });
    await expect(c.annotation(fx.root, 'segmentation_todo').postElements([note])).rejects.toThrow(DvidLockedError);
  });
});

describe('keyvalue', () => {
  it('gives the same keys and values through /keyrange, /keyrangevalues (protobuf, tar, json), /keyvalues and /key', async () => {
    const kv = fx.client().keyvalue(fx.child, 'segmentation_annotations');
    const keys = await kv.keyRange('0', '9');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys).toEqual(keys.toSorted());
    const asMap = (recs: KvRecord[]) => new Map(recs.map((r) => [r.key, text(r.value)]));
    const proto = asMap(await collect(kv.keyRangeValues('0', '9')));
    expect([...proto.keys()]).toEqual(keys);
    expect(asMap(await collect(kv.keyRangeValues('0', '9', { format: 'tar' })))).toEqual(proto);
    const json = asMap(await collect(kv.keyRangeValues('0', '9', { format: 'json' })));
    for (const [k, v] of proto) expect(JSON.parse(json.get(k)!)).toEqual(JSON.parse(v!));
    const some = keys.slice(0, 3);
    expect(asMap(await collect(kv.getMany([...some, 'no-such-key'])))).toEqual(new Map([...some.map((k) => [k, proto.get(k)!] as const), ['no-such-key', null]]));
    expect(asMap(await collect(kv.getMany(some, { format: 'tar' })))).toEqual(new Map(some.map((k) => [k, proto.get(k)!])));
    expect(text(await kv.get(some[0]!))).toBe(proto.get(some[0]!));
    expect(await kv.has(some[0]!)).toBe(true);
    expect(await kv.has('no-such-key')).toBe(false);
    const all = await kv.keys();
    expect(all).toEqual(expect.arrayContaining(keys));
  });

  it('writes and deletes keys with awkward names on the open node; refuses on the locked one', async () => {
    const c = fx.client({ user: 'tester', app: 'dvid-desk-test' });
    const kv = c.keyvalue(fx.child, 'bookmarks');
    const key = "a'L(R) note #1 & more?";
    const since = logMark(fx.demo);
    await kv.put(key, '{"x":1}');
    expect(text(await kv.get(key))).toBe('{"x":1}');
    await kv.putMany([{ key: 'k two', value: new Uint8Array([0, 1, 255]) }]);
    expect([...(await kv.get('k two'))]).toEqual([0, 1, 255]);
    await kv.delete(key);
    expect(await kv.has(key)).toBe(false);
    const err = await kv.get(key).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DvidNotFoundError);
    expect((err as DvidNotFoundError).serverText).toContain('not found');
    const posts = requestsSince(fx.demo, since, '/bookmarks/key/').filter((e) => e.method === 'POST' || e.method === 'DELETE');
    expect(posts.map((e) => e.path)).toEqual([`/api/node/${fx.child}/bookmarks/key/${key}`, `/api/node/${fx.child}/bookmarks/key/${key}`]);
    for (const w of posts) expect(new URLSearchParams(w.query).get('u')).toBe('tester');
    const locked = await c.keyvalue(fx.root, 'bookmarks').put('x', 'y').then(() => null, (e: unknown) => e);
    expect(locked).toBeInstanceOf(DvidLockedError);
    expect((locked as DvidLockedError).serverText).toMatch(/locked node/);
    expect(decodeKeyValues(new Uint8Array(0))).toEqual([]);
  });
});

describe('roi and labelsz', () => {
  it('reads spans of ROIs named with parentheses and quotes', async () => {
    const c = fx.client();
    for (const name of ['AB(L)', "a'L(R)", 'EB']) {
      const spans = await c.roi(fx.child, name).spans();
      expect(spans.length).toBeGreaterThan(0);
      const set = new RoiBlockSet(spans);
      const [z, y, x0] = spans[0]!;
      expect(set.containsBlock(x0, y, z)).toBe(true);
      const inside = [x0 * 32 + 5, y * 32 + 5, z * 32 + 5] as const;
      const outside = [-100000, -100000, -100000] as const;
      expect(await c.roi(fx.child, name).contains([inside, outside])).toEqual([true, false]);
    }
  });

  it('agrees between /top, /threshold pages (0-based offsets), /count and /counts', async () => {
    const sz = fx.client().labelsz(fx.child, 'synapses_labelsz');
    const top = await sz.top(5, 'PreSyn');
    expect(top.length).toBe(5);
    expect(top.map((r) => r.count)).toEqual(top.map((r) => r.count).toSorted((a, b) => b - a));
    const pages = await collect(sz.thresholdAll(top[4]!.count, 'PreSyn', { pageSize: 2 }));
    expect(pages.every((p) => p.length <= 2)).toBe(true);
    expect(pages.flat().slice(0, 5)).toEqual(top);
    expect(await sz.threshold(0, 'PreSyn', { offset: 1, n: 1 })).toEqual([top[1]]);
    const counts = await sz.counts(top.map((r) => r.label), 'PreSyn');
    expect(counts).toEqual(top);
    expect(await sz.count(top[0]!.label, 'PreSyn')).toBe(top[0]!.count);
    expect(await sz.count(18446744073709551615n, 'PreSyn')).toBe(0);
    const mine = (await fx.client().annotation(fx.child, 'synapses').label(body)).filter((e) => e.kind === 'PostSyn').length;
    expect(await sz.count(body, 'PostSyn')).toBe(mine);
  });
});
