/**
 * Synapses, labelsz, ROIs, bookmarks and to-dos of the demo, cross-checked between endpoints:
 * elements come from /all-elements, their bodies from the decoded voxels, their ROI from the roi
 * spans and from segmentation_roi_voxels, counts from labelsz.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoiBlockSet, type RoiSpan } from '../../../main/formats/roi-spans';
import { parseLabelszCounts, parseLabelszRanking } from '../../../main/formats/labelsz';
import { decodeKeyValues } from '../../../main/formats/kv-protobuf';
import { parseJsonLossless } from '../../../main/formats/json-u64';
import type { DemoServer } from '../../../main/demo/index';
import { http, json, seg, startSmallDemo } from '../../support/demo';
import { decodeGz, fetchBlocks, key, volumeReader, type DecodedBlock } from '../../support/demo-blocks';

interface El {
  Pos: [number, number, number];
  Kind: string;
  Tags: string[] | null;
  Prop: Record<string, string> | null;
  Rels: Array<{ Rel: string; To: [number, number, number] }> | null;
}

let demo: DemoServer;
let node: string;
let elements: El[];
let bodyAt: (x: number, y: number, z: number) => bigint;
let roiAt: (x: number, y: number, z: number) => bigint;
/** voxels per body at the child, counted from the decoded blocks */
const bodyVoxels = new Map<bigint, number>();
const posKey = (p: readonly number[]): string => p.join(',');

beforeAll(async () => {
  demo = await startSmallDemo();
  node = demo.uuids.child;
  const n = demo.truth.params.size;
  const blocks = async (inst: string): Promise<Map<string, DecodedBlock>> => {
    const m = new Map<string, DecodedBlock>();
    for (const b of await fetchBlocks(demo.url, `/api/node/${node}/${inst}/blocks/${n}_${n}_${n}/0_0_0?compression=blocks`)) m.set(key(b.bx, b.by, b.bz), decodeGz(b));
    return m;
  };
  const segBlocks = await blocks('segmentation');
  bodyAt = volumeReader(segBlocks);
  for (const b of segBlocks.values()) {
    const per = new Uint32Array(b.pal.palette.length);
    for (const i of b.pal.indices) per[i]!++;
    b.pal.palette.forEach((l, i) => l !== 0n && bodyVoxels.set(l, (bodyVoxels.get(l) ?? 0) + per[i]!));
  }
  roiAt = volumeReader(await blocks('segmentation_roi_voxels'));
  const all = await json<Record<string, El[]>>(demo.url, `/api/node/${node}/synapses/all-elements`);
  elements = Object.values(all).flat();
}, 120_000);

afterAll(async () => {
  await demo?.close();
});

describe('synapses', () => {
  it('are many, and every element lies in a body (none on label 0)', () => {
    expect(elements.length).toBeGreaterThan(2000);
    for (const e of elements) expect(bodyAt(...e.Pos)).not.toBe(0n);
  });

  it('pair each T-bar with 1+ PSDs in other bodies, within reach, with relationships on both sides', () => {
    const byPos = new Map(elements.map((e) => [posKey(e.Pos), e]));
    const pre = elements.filter((e) => e.Kind === 'PreSyn');
    expect(pre.length).toBeGreaterThan(500);
    for (const t of pre) {
      expect(t.Rels!.length).toBeGreaterThan(0);
      expect(t.Prop).toEqual({ conf: expect.stringMatching(/^(0\.\d{3}|1\.0)$/), user: expect.any(String) });
      for (const r of t.Rels!) {
        expect(r.Rel).toBe('PreSynTo');
        const psd = byPos.get(posKey(r.To))!;
        expect(psd.Kind).toBe('PostSyn');
        expect(psd.Rels).toEqual([{ Rel: 'PostSynTo', To: t.Pos }]);
        expect(Math.hypot(psd.Pos[0] - t.Pos[0], psd.Pos[1] - t.Pos[1], psd.Pos[2] - t.Pos[2])).toBeLessThanOrEqual(30);
        expect(bodyAt(...psd.Pos)).not.toBe(bodyAt(...t.Pos));
      }
    }
  });

  it('/label/{body} lists exactly the elements whose voxel belongs to the body', async () => {
    const byBody = new Map<bigint, Set<string>>();
    for (const e of elements) {
      const b = bodyAt(...e.Pos);
      if (!byBody.has(b)) byBody.set(b, new Set());
      byBody.get(b)!.add(posKey(e.Pos));
    }
    const bodies = [...byBody.keys()].toSorted((a, b) => byBody.get(b)!.size - byBody.get(a)!.size).slice(0, 12);
    bodies.push(demo.truth.story.mergeTarget, demo.truth.story.cleaveNew);
    for (const b of bodies) {
      const listed = await json<El[]>(demo.url, `/api/node/${node}/synapses/label/${b}`);
      expect(new Set(listed.map((e) => posKey(e.Pos)))).toEqual(byBody.get(b) ?? new Set());
      // Without ?relationships the elements have no Rels key at all.
      for (const e of listed) expect('Rels' in e).toBe(false);
      const withRels = await json<El[]>(demo.url, `/api/node/${node}/synapses/label/${b}?relationships=true`);
      expect(withRels.every((e) => Array.isArray(e.Rels))).toBe(true);
    }
  });

  it('synapses_labelsz equals the counts from the elements, for every index', async () => {
    const count = new Map<string, Map<bigint, number>>(['PreSyn', 'PostSyn', 'AllSyn', 'Gap', 'Note'].map((i) => [i, new Map()]));
    const bump = (i: string, b: bigint): void => void count.get(i)!.set(b, (count.get(i)!.get(b) ?? 0) + 1);
    for (const e of elements) {
      const b = bodyAt(...e.Pos);
      bump(e.Kind, b);
      if (e.Kind === 'PreSyn' || e.Kind === 'PostSyn' || e.Kind === 'Gap') bump('AllSyn', b);
    }
    for (const [index, m] of count) {
      const ranking = parseLabelszRanking((await http(demo.url, `/api/node/${node}/synapses_labelsz/top/1000000/${index}`)).text);
      const expected = [...m].toSorted((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([label, c]) => ({ label, count: c }));
      expect(ranking).toEqual(expected);
      const some = [...m.keys()].slice(0, 20).concat([123n]);
      const counts = parseLabelszCounts((await http(demo.url, `/api/node/${node}/synapses_labelsz/counts/${index}`, { body: `[${some.join(',')}]` })).text, index);
      expect(counts).toEqual(some.map((label) => ({ label, count: m.get(label) ?? 0 })));
      const t = expected[Math.min(5, expected.length - 1)]?.count ?? 1;
      const th = parseLabelszRanking((await http(demo.url, `/api/node/${node}/synapses_labelsz/threshold/${t}/${index}?offset=1&n=3`)).text);
      expect(th).toEqual(expected.filter((r) => r.count >= t).slice(1, 4));
    }
    const top = expected0(count.get('PreSyn')!);
    expect((await http(demo.url, `/api/node/${node}/synapses_labelsz/count/${top}/PreSyn`)).text).toBe(`{"Label":${top},"PreSyn":${count.get('PreSyn')!.get(top)}}`);
  });

  it('/elements filters to the box (null when empty); /blocks returns whole intersecting blocks', async () => {
    const box = { o: [128, 192, 192], s: [128, 64, 96] };
    const inBox = (p: number[]): boolean => p.every((c, k) => c >= box.o[k]! && c < box.o[k]! + box.s[k]!);
    const got = await json<El[] | null>(demo.url, `/api/node/${node}/synapses/elements/${box.s.join('_')}/${box.o.join('_')}`);
    expect(new Set((got ?? []).map((e) => posKey(e.Pos)))).toEqual(new Set(elements.filter((e) => inBox(e.Pos)).map((e) => posKey(e.Pos))));
    expect((await http(demo.url, `/api/node/${node}/synapses/elements/1_1_1/0_0_0`)).text).toBe('null');
    const blocks = await json<Record<string, El[]>>(demo.url, `/api/node/${node}/synapses/blocks/${box.s.join('_')}/${box.o.join('_')}`);
    for (const [k, list] of Object.entries(blocks)) {
      const [bx, by, bz] = k.split(',').map(Number) as [number, number, number];
      for (const e of list) expect([Math.floor(e.Pos[0] / 64), Math.floor(e.Pos[1] / 64), Math.floor(e.Pos[2] / 64)]).toEqual([bx, by, bz]);
    }
  });
});

function expected0(m: Map<bigint, number>): bigint {
  return [...m].toSorted((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}

describe('ROIs', () => {
  it('have hemibrain names and one roi instance each; roi_data holds the hierarchy and the primary list', async () => {
    const info = await json<{ DataInstances: Record<string, { Base: { TypeName: string } }> }>(demo.url, `/api/repo/${node}/info`);
    const rois = Object.entries(info.DataInstances).filter(([, d]) => d.Base.TypeName === 'roi').map(([n]) => n);
    for (const name of ['AB(L)', "a'L(R)", 'SMP(R)', 'EB', 'FB', 'CX', 'FBl1']) expect(rois).toContain(name);
    const primary = JSON.parse((await http(demo.url, `/api/node/${node}/roi_data/key/primaryRois`)).text) as string[];
    expect(primary.length).toBe(63);
    expect(primary.slice(0, 3)).toEqual(['AB(L)', 'AB(R)', 'AL(L)']);
    const hierarchy = JSON.parse((await http(demo.url, `/api/node/${node}/roi_data/key/roiHierarchy`)).text) as { name: string; children: Array<{ name: string; children?: unknown[] }> };
    expect(hierarchy.name).toBe('hemibrain');
    expect(hierarchy.children.find((c) => c.name === 'CX')!.children!.length).toBeGreaterThan(3);
  });

  it('primary ROIs do not overlap, and segmentation_roi_voxels labels each voxel with its ROI position (1-based)', async () => {
    const primary = JSON.parse((await http(demo.url, `/api/node/${node}/roi_data/key/primaryRois`)).text) as string[];
    const sets: RoiBlockSet[] = [];
    const seen = new Set<string>();
    for (const name of primary) {
      const spans = await json<RoiSpan[]>(demo.url, `/api/node/${node}/${seg(name)}/roi`);
      for (const [z, y, x0, x1] of spans) for (let x = x0; x <= x1; x++) {
        const k = `${x},${y},${z}`;
        expect(seen.has(k)).toBe(false);
        seen.add(k);
      }
      sets.push(new RoiBlockSet(spans));
    }
    const roiOf = (p: readonly number[]): number => sets.findIndex((s) => s.containsVoxel(p[0]!, p[1]!, p[2]!)) + 1;
    let inside = 0;
    for (const e of elements) {
      const want = roiOf(e.Pos);
      if (want > 0) inside++;
      expect(roiAt(...e.Pos)).toBe(BigInt(want));
    }
    expect(inside / elements.length).toBeGreaterThan(0.5);
    // ptquery agrees with the spans (a POST that is a read).
    const pts = elements.slice(0, 30).map((e) => e.Pos);
    const fb = await json<boolean[]>(demo.url, `/api/node/${demo.uuids.root}/FB/ptquery`, { method: 'POST', body: JSON.stringify(pts) });
    expect(fb).toEqual(pts.map((p) => roiOf(p) === primary.indexOf('FB') + 1));
  });
});

describe('body annotations', () => {
  it('exist for the larger bodies only: every neuron, and fragments above a size the unannotated ones stay below', async () => {
    const keys = await json<string[]>(demo.url, `/api/node/${node}/segmentation_annotations/keys`);
    const annotated = new Set(keys.map(BigInt));
    for (const b of annotated) expect(bodyVoxels.has(b)).toBe(true);
    for (const b of demo.truth.neuronBodies(1)) expect(annotated.has(b)).toBe(true);
    const unannotated = [...bodyVoxels.keys()].filter((b) => !annotated.has(b));
    expect(unannotated.length).toBeGreaterThan(0);
    const values = decodeKeyValues((await http(demo.url, `/api/node/${node}/segmentation_annotations/keyrangevalues/0/9~`)).body);
    const orphanSized = values
      .map((kv) => ({ body: BigInt(kv.key), a: parseJsonLossless(new TextDecoder().decode(kv.value!)) as Record<string, unknown> }))
      .filter((x) => ['Orphan', 'Unimportant', 'Orphan hotknife', 'Orphan-artifact', 'PRT Orphan', 'RT Orphan', 'Hard to trace', 'Glia'].includes(x.a.status as string));
    expect(orphanSized.length).toBeGreaterThan(0);
    const smallestAnnotated = Math.min(...orphanSized.map((x) => bodyVoxels.get(x.body)!));
    expect(Math.max(...unannotated.map((b) => bodyVoxels.get(b)!))).toBeLessThan(smallestAnnotated);
    // FlyEM fields, with bodyid equal to the key (as an exact integer, also above 2^53).
    for (const { body, a } of orphanSized.slice(0, 20)) expect(BigInt(a.bodyid as bigint | number)).toBe(body);
    const neuron = values.find((kv) => kv.key === String(demo.truth.story.cleaveOrig))!;
    const ann = parseJsonLossless(new TextDecoder().decode(neuron.value!)) as Record<string, unknown>;
    expect(Object.keys(ann)).toEqual(expect.arrayContaining(['status', 'user']));
  });
});

describe('bookmarks and to-dos', () => {
  it('are Note elements with NeuTu props, some without tags (null), findable by tag', async () => {
    const all = Object.values(await json<Record<string, El[]>>(demo.url, `/api/node/${node}/bookmark_annotations/all-elements`)).flat();
    expect(all.length).toBeGreaterThan(20);
    for (const b of all) {
      expect(b.Kind).toBe('Note');
      expect(Object.keys(b.Prop!)).toEqual(expect.arrayContaining(['body ID', 'comment', 'time', 'type', 'user']));
      expect(b.Rels).toBeNull();
      // The body ID prop names a body that was under the bookmark at the root.
    }
    expect(all.some((b) => b.Tags === null)).toBe(true);
    const tag = all.find((b) => b.Tags)!.Tags![0]!;
    const byTag = await json<El[]>(demo.url, `/api/node/${node}/bookmark_annotations/tag/${seg(tag)}`);
    expect(byTag.length).toBe(all.filter((b) => b.Tags?.includes(tag)).length);
    const todos = Object.values(await json<Record<string, El[]>>(demo.url, `/api/node/${node}/segmentation_todo/all-elements`)).flat();
    expect(todos.length).toBeGreaterThan(20);
    for (const t of todos) expect(Object.keys(t.Prop!)).toEqual(expect.arrayContaining(['action', 'checked', 'priority', 'user', 'createdTime']));
    expect(todos.some((t) => t.Prop!.action === 'to merge')).toBe(true);
  });
});
