/**
 * The open child node differs from the locked root exactly by the mutations it logs: a merge and a
 * cleave. Checked on everything a client syncs: mapping, body-label blocks (supervoxel blocks must
 * not change), lastmod, maxlabel, synapse label indices and labelsz, meshes, skeletons and body
 * annotations, and the keyvalue mutation log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKeyValues } from '../../../main/formats/kv-protobuf';
import { parseLabelszRanking } from '../../../main/formats/labelsz';
import { parseJsonLossless } from '../../../main/formats/json-u64';
import { parseSwc } from '../../../main/formats/swc';
import type { DemoServer } from '../../../main/demo/index';
import { http, json, startSmallDemo } from '../../support/demo';
import { decodeGz, fetchBlocks, key, type DecodedBlock } from '../../support/demo-blocks';

interface Mutation {
  Action: string;
  MutationID: bigint | number;
  Target?: bigint | number;
  Labels?: Array<bigint | number>;
  OrigLabel?: bigint | number;
  CleavedLabel?: bigint | number;
  CleavedSupervoxels?: Array<bigint | number>;
  UUID: string;
  Timestamp: string;
}

let demo: DemoServer;
let root: string, child: string;
let muts: Mutation[];
const big = (v: bigint | number | undefined): bigint => BigInt(v!);

function mappingOf(text: string): Map<bigint, bigint> {
  return new Map(
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').map(BigInt) as [bigint, bigint]),
  );
}

beforeAll(async () => {
  demo = await startSmallDemo();
  root = demo.uuids.root;
  child = demo.uuids.child;
  muts = parseJsonLossless((await http(demo.url, `/api/node/${child}/segmentation/mutations`)).text) as Mutation[];
}, 60_000);

afterAll(async () => {
  await demo?.close();
});

const lm = (uuid: string, b: bigint): Promise<{ status: number; text: string }> => http(demo.url, `/api/node/${uuid}/segmentation/lastmod/${b}`);
const max = async (uuid: string): Promise<bigint> => BigInt(/(\d+)/.exec((await http(demo.url, `/api/node/${uuid}/segmentation/maxlabel`)).text)![1]!);

/** Body of a supervoxel at the child, derived from the root mapping and the mutation records only. */
function applyMutations(rootBody: bigint, svId: bigint): bigint {
  let b = rootBody;
  for (const m of parsedMuts()) {
    if (m.merged && m.merged.has(b)) b = m.target;
    if (m.cleaved && b === m.target && m.cleaved.has(svId)) b = m.into!;
  }
  return b;
}

let parsed: Array<{ merged?: Set<bigint>; cleaved?: Set<bigint>; target: bigint; into?: bigint }> | null = null;
function parsedMuts(): NonNullable<typeof parsed> {
  parsed ??= muts.map((m) =>
    m.Action === 'merge-complete'
      ? { merged: new Set(m.Labels!.map(big)), target: big(m.Target) }
      : { cleaved: new Set(m.CleavedSupervoxels!.map(big)), target: big(m.OrigLabel), into: big(m.CleavedLabel) },
  );
  return parsed;
}

describe('the open node and its mutations', () => {
  it('logs a merge and a cleave on the child and nothing on the root', async () => {
    expect((await http(demo.url, `/api/node/${root}/segmentation/mutations`)).text).toBe('[]');
    expect(muts.map((m) => m.Action)).toEqual(['merge-complete', 'cleave-complete']);
    for (const m of muts) {
      expect(m.UUID).toBe(child);
      expect(m.Timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [-+]\d{4} [A-Z]{3} m=\+\d+\.\d{9}$/);
    }
    expect(big(muts[1]!.MutationID)).toBe(big(muts[0]!.MutationID) + 1n);
    const range = parseJsonLossless((await http(demo.url, `/api/node/${child}/segmentation/mutations-range/${root}/${child}`)).text) as Mutation[];
    expect(range.length).toBe(2);
  });

  it('maps supervoxels on the child exactly as the root mapping plus the mutations say', async () => {
    const rootMap = mappingOf((await http(demo.url, `/api/node/${root}/segmentation/mappings`)).text);
    const childMap = mappingOf((await http(demo.url, `/api/node/${child}/segmentation/mappings`)).text);
    const svs = new Set([...rootMap.keys(), ...childMap.keys(), ...muts.flatMap((m) => (m.CleavedSupervoxels ?? []).map(big))]);
    let changed = 0;
    for (const s of svs) {
      const r = rootMap.get(s) ?? s, c = childMap.get(s) ?? s;
      expect(c).toBe(applyMutations(r, s));
      if (r !== c) changed++;
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('changes body-label blocks only where the mutated bodies are; supervoxel blocks not at all', async () => {
    const n = demo.truth.params.size;
    const get = async (uuid: string, q: string): Promise<Map<string, DecodedBlock>> => {
      const m = new Map<string, DecodedBlock>();
      for (const b of await fetchBlocks(demo.url, `/api/node/${uuid}/segmentation/blocks/${n}_${n}_${n}/0_0_0?compression=blocks${q}`)) m.set(key(b.bx, b.by, b.bz), decodeGz(b));
      return m;
    };
    const svChild = new Map((await fetchBlocks(demo.url, `/api/node/${child}/segmentation/blocks/${n}_${n}_${n}/0_0_0?compression=blocks&supervoxels=true`)).map((b) => [key(b.bx, b.by, b.bz), b]));
    const svRoot = await get(root, '&supervoxels=true');
    const bodyRoot = await get(root, '');
    const bodyChild = await get(child, '');
    expect([...svChild.keys()].toSorted()).toEqual([...svRoot.keys()].toSorted());
    for (const [k, b] of svRoot) expect(Buffer.from(svChild.get(k)!.payload).equals(Buffer.from(b.payload))).toBe(true);
    let changedBlocks = 0;
    for (const [k, s] of svRoot) {
      const r = bodyRoot.get(k)!, c = bodyChild.get(k)!;
      // Body blocks carry the supervoxel table mapped in place, so comparing tables entry by entry
      // covers every voxel; a sample of voxels checks it through the decoded volumes too.
      let changed = false;
      for (let i = 0; i < s.n; i++) {
        const svId = s.table[i]!;
        const expected = svId === 0n ? 0n : applyMutations(r.table[i]!, svId);
        if (c.table[i] !== expected) throw new Error(`block ${k} entry ${i}: ${c.table[i]} instead of ${expected}`);
        if (r.table[i] !== c.table[i]) changed = true;
      }
      for (let i = 0; i < s.pal.indices.length; i += 4099) {
        const svId = s.pal.palette[s.pal.indices[i]!]!;
        expect(c.pal.palette[c.pal.indices[i]!]).toBe(svId === 0n ? 0n : applyMutations(r.pal.palette[r.pal.indices[i]!]!, svId));
      }
      if (changed) changedBlocks++;
    }
    expect(changedBlocks).toBeGreaterThan(0);
    expect(changedBlocks).toBeLessThan(svRoot.size);
  }, 120_000);

  it('moves /lastmod, /maxlabel and existence only for the mutated bodies', async () => {
    const [merge, cleave] = muts as [Mutation, Mutation];
    const target = await lm(child, big(merge.Target));
    expect(JSON.parse(target.text)['mutation id']).toBe(Number(merge.MutationID));
    const gone = await lm(child, big(merge.Labels![0]));
    expect([gone.status, gone.text]).toEqual([404, '']);
    expect((await lm(root, big(merge.Labels![0]))).status).toBe(200);
    expect(JSON.parse((await lm(child, big(cleave.CleavedLabel))).text)['mutation id']).toBe(Number(cleave.MutationID));
    expect((await lm(root, big(cleave.CleavedLabel))).status).toBe(404);
    const touched = new Set([big(merge.Target), ...merge.Labels!.map(big), big(cleave.OrigLabel), big(cleave.CleavedLabel)]);
    for (const b of demo.truth.neuronBodies(0).filter((x) => !touched.has(x)).slice(0, 25)) {
      expect((await lm(child, b)).text).toBe((await lm(root, b)).text);
    }
    expect(await max(child)).toBe(big(cleave.CleavedLabel));
    expect(await max(root)).toBeLessThan(await max(child));
  });

  it('moves synapse label indices and labelsz counts only for the mutated bodies', async () => {
    const [merge, cleave] = muts as [Mutation, Mutation];
    const counts = async (uuid: string): Promise<Map<bigint, number>> =>
      new Map(parseLabelszRanking((await http(demo.url, `/api/node/${uuid}/synapses_labelsz/top/1000000/AllSyn`)).text).map((r) => [r.label, r.count]));
    const r = await counts(root), c = await counts(child);
    const A = big(merge.Target), B = big(merge.Labels![0]), C = big(cleave.OrigLabel), C2 = big(cleave.CleavedLabel);
    for (const [label, n] of [...r].filter(([l]) => ![A, B, C].includes(l))) expect(c.get(label)).toBe(n);
    expect(c.get(A)).toBe((r.get(A) ?? 0) + (r.get(B) ?? 0));
    expect(c.has(B)).toBe(false);
    expect((c.get(C) ?? 0) + (c.get(C2) ?? 0)).toBe(r.get(C) ?? 0);
    const allRoot = await json(demo.url, `/api/node/${root}/synapses/all-elements`);
    expect(await json(demo.url, `/api/node/${child}/synapses/all-elements`)).toEqual(allRoot);
  });

  it('rewrites meshes, skeletons and body annotations only for the mutated bodies, and logs those writes', async () => {
    const [merge, cleave] = muts as [Mutation, Mutation];
    const touched = [big(merge.Target), ...merge.Labels!.map(big), big(cleave.OrigLabel), big(cleave.CleavedLabel)].map(String);
    for (const [inst, suffix] of [
      ['segmentation_meshes', '.ngmesh'],
      ['segmentation_skeletons', '_swc'],
      ['segmentation_annotations', ''],
    ] as const) {
      const all = async (uuid: string): Promise<Map<string, Buffer | null>> =>
        new Map(decodeKeyValues((await http(demo.url, `/api/node/${uuid}/${inst}/keyrangevalues/0/9~`)).body).map((kv) => [kv.key, kv.value ? Buffer.from(kv.value) : null]));
      const r = await all(root), c = await all(child);
      const changed = new Set([...new Set([...r.keys(), ...c.keys()])].filter((k) => !(r.get(k) && c.get(k) && r.get(k)!.equals(c.get(k)!))));
      const expected = new Set(touched.map((b) => `${b}${suffix}`).filter((k) => r.has(k) || c.has(k)));
      expect(changed).toEqual(expected);
      expect(c.has(`${merge.Labels![0]}${suffix}`)).toBe(false);
      const log = JSON.parse((await http(demo.url, `/api/node/${child}/${inst}/mutations`)).text) as Array<{ Action: string; Key: string }>;
      expect(new Set(log.map((l) => l.Key))).toEqual(expected);
      expect((await http(demo.url, `/api/node/${root}/${inst}/mutations`)).text).toBe('[]');
    }
    const swc = parseSwc((await http(demo.url, `/api/node/${child}/segmentation_skeletons/key/${merge.Target}_swc`)).text);
    expect(swc.mutationId).toBe(big(merge.MutationID));
  });
});
