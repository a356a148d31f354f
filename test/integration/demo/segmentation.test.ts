/**
 * The demo's segmentation read as a client reads DVID: every check decodes what the server sends
 * with the codecs and compares it with another endpoint's answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockStreamParser } from '../../../main/formats/block-stream';
import { decodeLabelBlock } from '../../../main/formats/label-block';
import { lz4DecodeBlock } from '../../../main/formats/lz4';
import { decodeSparsevol } from '../../../main/formats/sparsevol';
import { parseU64Array } from '../../../main/formats/json-u64';
import type { DemoServer } from '../../../main/demo/index';
import { http, json, startSmallDemo } from '../../support/demo';
import { decodeGz, fetchBlocks, key, voxel, volumeReader, type DecodedBlock } from '../../support/demo-blocks';

let demo: DemoServer;
let child: string;
const sv = new Map<string, DecodedBlock>();
const body = new Map<string, DecodedBlock>();
let mapping: Map<bigint, bigint>;

const middleBlock = (): DecodedBlock => [...body.values()][Math.floor(body.size / 2)]!;

const median = (a: number[]): number => a.slice().toSorted((x, y) => x - y)[Math.floor(a.length / 2)]!;

beforeAll(async () => {
  demo = await startSmallDemo();
  child = demo.uuids.child;
  const size = demo.truth.params.size;
  for (const b of await fetchBlocks(demo.url, `/api/node/${child}/segmentation/blocks/${size}_${size}_${size}/0_0_0?compression=blocks&supervoxels=true`)) sv.set(key(b.bx, b.by, b.bz), decodeGz(b));
  for (const b of await fetchBlocks(demo.url, `/api/node/${child}/segmentation/blocks/${size}_${size}_${size}/0_0_0?compression=blocks`)) body.set(key(b.bx, b.by, b.bz), decodeGz(b));
  const svIds = new Set<bigint>();
  for (const b of sv.values()) for (const l of b.pal.palette) if (l !== 0n) svIds.add(l);
  const ids = [...svIds];
  const bodies = parseU64Array((await http(demo.url, `/api/node/${child}/segmentation/mapping`, { body: `[${ids.join(',')}]` })).text);
  mapping = new Map(ids.map((id, i) => [id, bodies[i]!]));
}, 120_000);

afterAll(async () => {
  await demo?.close();
});

describe('blocks look like real segmentation', () => {
  it('typical interior blocks have label tables of N ≈ 7–18 and gzip to 1–6 KB', () => {
    const interior = [...sv.values()].filter((b) => {
      let zero = 0;
      const z = b.pal.palette.indexOf(0n);
      if (z >= 0) for (const i of b.pal.indices) if (i === z) zero++;
      return zero / b.pal.indices.length < 0.05;
    });
    expect(interior.length).toBeGreaterThan(40);
    const n = median(interior.map((b) => b.n));
    const gz = median(interior.map((b) => b.payload.length));
    expect(n).toBeGreaterThanOrEqual(7);
    expect(n).toBeLessThanOrEqual(18);
    expect(gz).toBeGreaterThanOrEqual(1000);
    expect(gz).toBeLessThanOrEqual(6000);
    // Not a fluke of the median: most interior blocks are in range.
    expect(interior.filter((b) => b.n >= 5 && b.n <= 24).length / interior.length).toBeGreaterThan(0.8);
  });

  it('empty blocks are absent, and every stored block holds a label', () => {
    expect(sv.size).toBeGreaterThan(0);
    for (const b of sv.values()) expect(b.pal.palette.some((l) => l !== 0n)).toBe(true);
    expect([...body.keys()].toSorted()).toEqual([...sv.keys()].toSorted());
  });

  it('body-label blocks carry the supervoxel table mapped in place, duplicates included', () => {
    let withDuplicates = 0;
    for (const [k, s] of sv) {
      const b = body.get(k)!;
      // Same table length and order: DVID overwrites entries, it does not re-encode.
      expect(b.n).toBe(s.n);
      for (let i = 0; i < s.n; i++) expect(b.table[i]).toBe(s.table[i] === 0n ? 0n : mapping.get(s.table[i]!));
      if (new Set(b.table).size < b.n) withDuplicates++;
    }
    expect(withDuplicates / sv.size).toBeGreaterThan(0.2);
  });

  it('mappings agree with supervoxel blocks, voxel for voxel', () => {
    let voxels = 0;
    for (const [k, s] of sv) {
      const b = body.get(k)!;
      const expected = s.pal.palette.map((l) => (l === 0n ? 0n : mapping.get(l)!));
      for (let i = 0; i < s.pal.indices.length; i++) {
        if (b.pal.palette[b.pal.indices[i]!] !== expected[s.pal.indices[i]!]) throw new Error(`block ${k} voxel ${i} differs`);
        voxels++;
      }
    }
    expect(voxels).toBe(sv.size * 64 ** 3);
  });

  it('/mappings lists exactly the non-identity mappings /mapping gives', async () => {
    const text = (await http(demo.url, `/api/node/${child}/segmentation/mappings`)).text;
    const listed = new Map(text.trim().split('\n').map((l) => l.split(' ').map(BigInt) as [bigint, bigint]).map(([a, b]) => [a, b]));
    for (const [s, b] of mapping) expect(listed.get(s)).toBe(s === b ? undefined : b);
    const bin = (await http(demo.url, `/api/node/${child}/segmentation/mappings?format=binary`)).body;
    const pairs = new BigUint64Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
    expect(pairs.length).toBe(listed.size * 2);
    for (let i = 0; i < pairs.length; i += 2) expect(listed.get(pairs[i]!)).toBe(pairs[i + 1]);
  });

  it('uses realistic uint64 ids: hemibrain-sized ones and at least one above 2^53', () => {
    const ids = [...mapping.values()];
    expect(ids.some((id) => id > 2n ** 53n)).toBe(true);
    const small = ids.filter((id) => id < 2n ** 53n);
    expect(small.every((id) => id.toString().length >= 9 && id.toString().length <= 11)).toBe(true);
  });
});

describe('scales 0..3', () => {
  it('each scale is the most frequent non-zero label of the 2³ children, ties to the smaller', async () => {
    let prev = sv;
    for (let s = 1; s <= 3; s++) {
      const edge = demo.truth.params.size >> s;
      const cur = new Map<string, DecodedBlock>();
      for (const b of await fetchBlocks(demo.url, `/api/node/${child}/segmentation/blocks/${edge}_${edge}_${edge}/0_0_0?compression=blocks&supervoxels=true&scale=${s}`)) cur.set(key(b.bx, b.by, b.bz), decodeGz(b));
      const fine = volumeReader(prev);
      const coarse = [...cur.values()];
      // Check a spread of blocks (all of them at coarse scales).
      for (const b of coarse.filter((_, i) => i % Math.max(1, Math.floor(coarse.length / 6)) === 0)) {
        for (let z = 0; z < 64; z += 3)
          for (let y = 0; y < 64; y += 5)
            for (let x = 0; x < 64; x += 7) {
              const gx = b.bx * 64 + x, gy = b.by * 64 + y, gz = b.bz * 64 + z;
              const votes = new Map<bigint, number>();
              for (let d = 0; d < 8; d++) {
                const l = fine(2 * gx + (d & 1), 2 * gy + ((d >> 1) & 1), 2 * gz + (d >> 2));
                if (l !== 0n) votes.set(l, (votes.get(l) ?? 0) + 1);
              }
              let want = 0n, best = 0;
              for (const [l, v] of votes) if (v > best || (v === best && l < want)) [want, best] = [l, v];
              expect(voxel(b.pal, x, y, z)).toBe(want);
            }
      }
      prev = cur;
    }
  }, 120_000);
});

describe('payload encodings and block streams', () => {

  it('/blocks defaults to raw LZ4 of the uint64 volume; gzip and uncompressed hold the same voxels', async () => {
    const b = middleBlock();
    const path = `/api/node/${child}/segmentation/blocks/64_64_64/${b.bx * 64}_${b.by * 64}_${b.bz * 64}`;
    const expected = new BigUint64Array(64 ** 3);
    for (let i = 0; i < expected.length; i++) expected[i] = b.pal.palette[b.pal.indices[i]!]!;
    const [lz] = await fetchBlocks(demo.url, path);
    const raw = lz4DecodeBlock(lz!.payload, 64 ** 3 * 8);
    expect(new BigUint64Array(raw.buffer, raw.byteOffset, 64 ** 3)).toEqual(expected);
    const [gz] = await fetchBlocks(demo.url, `${path}?compression=gzip`);
    expect(new BigUint64Array(new Uint8Array((await import('node:zlib')).gunzipSync(gz!.payload)).buffer)).toEqual(expected);
    const [un] = await fetchBlocks(demo.url, `${path}?compression=uncompressed`);
    expect(new BigUint64Array(un!.payload.slice().buffer)).toEqual(expected);
    expect(decodeLabelBlock(new Uint8Array((await import('node:zlib')).gunzipSync((await fetchBlocks(demo.url, `${path}?compression=blocks`))[0]!.payload))).voxels).toEqual(expected);
  });

  it('/specificblocks defaults to gzipped DVID blocks, skips absent blocks and repeats repeated ones', async () => {
    const [a, c] = [...sv.values()];
    const blocks = [a!.bx, a!.by, a!.bz, 9999, 9999, 9999, c!.bx, c!.by, c!.bz, a!.bx, a!.by, a!.bz].join(',');
    const got = await fetchBlocks(demo.url, `/api/node/${child}/segmentation/specificblocks?blocks=${blocks}&supervoxels=true`);
    expect(got.map((g) => key(g.bx, g.by, g.bz)).toSorted()).toEqual([key(a!.bx, a!.by, a!.bz), key(a!.bx, a!.by, a!.bz), key(c!.bx, c!.by, c!.bz)].toSorted());
    for (const g of got) expect(Buffer.from(g.payload)).toEqual(Buffer.from(sv.get(key(g.bx, g.by, g.bz))!.payload));
  });

  it('streams come in a seeded shuffled order: not sorted, the same for the same request', async () => {
    const path = `/api/node/${child}/segmentation/blocks/256_256_256/0_0_0?compression=blocks&supervoxels=true`;
    const order1 = (await fetchBlocks(demo.url, path)).map((b) => key(b.bx, b.by, b.bz));
    const order2 = (await fetchBlocks(demo.url, path)).map((b) => key(b.bx, b.by, b.bz));
    const sorted = [...order1].toSorted((p, q) => {
      const [a, b] = [p, q].map((s) => s.split(',').map(Number)) as [number[], number[]];
      return a[2]! - b[2]! || a[1]! - b[1]! || a[0]! - b[0]!;
    });
    expect(order1.length).toBeGreaterThan(10);
    expect(order1).not.toEqual(sorted);
    expect(order2).toEqual(order1);
  });

  it('records arrive one per write (a parser fed write by write sees whole records only at the end)', async () => {
    const r = await http(demo.url, `/api/node/${child}/segmentation/blocks/128_128_128/0_0_0?compression=blocks`);
    const p = new BlockStreamParser();
    expect(p.push(r.body).length).toBeGreaterThan(0);
    p.finish();
  });

  it('/raw/0_1_2 assembles the same voxels, aligned or not', async () => {
    const read = volumeReader(body);
    const [ox, oy, oz] = [100, 130, 170];
    const [sx, sy, sz] = [40, 30, 20];
    const r = await http(demo.url, `/api/node/${child}/segmentation/raw/0_1_2/${sx}_${sy}_${sz}/${ox}_${oy}_${oz}`);
    const vox = new BigUint64Array(r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.length));
    expect(vox.length).toBe(sx * sy * sz);
    for (let z = 0; z < sz; z += 3) for (let y = 0; y < sy; y += 2) for (let x = 0; x < sx; x++) expect(vox[(z * sy + y) * sx + x]).toBe(read(ox + x, oy + y, oz + z));
  });
});

describe('label queries agree with the voxels', () => {
  it('/label and /labels (GET with a body) answer the voxel values, as bodies or supervoxels', async () => {
    const readBody = volumeReader(body), readSv = volumeReader(sv);
    const pts = Array.from({ length: 40 }, (_, i) => [(i * 97) % 512, (i * 61 + 13) % 512, (i * 37 + 101) % 512]);
    const labels = parseU64Array((await http(demo.url, `/api/node/${child}/segmentation/labels`, { body: JSON.stringify(pts) })).text);
    const svs = parseU64Array((await http(demo.url, `/api/node/${child}/segmentation/labels?supervoxels=true`, { body: JSON.stringify(pts) })).text);
    pts.forEach((p, i) => {
      expect(labels[i]).toBe(readBody(p[0]!, p[1]!, p[2]!));
      expect(svs[i]).toBe(readSv(p[0]!, p[1]!, p[2]!));
    });
    const one = await http(demo.url, `/api/node/${child}/segmentation/label/${pts[3]!.join('_')}`);
    expect(one.text).toBe(`{"Label": ${labels[3]}}`);
  });

  it('/size, /sizes, /sparsevol-size, /sparsevol and /sparsevol-coarse agree with the voxels', async () => {
    const counts = new Map<bigint, number>(), blocksOf = new Map<bigint, Set<string>>();
    for (const [k, b] of body) {
      const per = new Uint32Array(b.pal.palette.length);
      for (const i of b.pal.indices) per[i]!++;
      b.pal.palette.forEach((l, i) => {
        if (l === 0n || per[i] === 0) return;
        counts.set(l, (counts.get(l) ?? 0) + per[i]!);
        if (!blocksOf.has(l)) blocksOf.set(l, new Set());
        blocksOf.get(l)!.add(k);
      });
    }
    const bodies = [...counts.keys()].toSorted((a, b) => counts.get(b)! - counts.get(a)!);
    const pick = [bodies[0]!, bodies[5]!, bodies[Math.floor(bodies.length / 2)]!, demo.truth.story.bigBody];
    const sizes = JSON.parse((await http(demo.url, `/api/node/${child}/segmentation/sizes`, { body: `[${pick.join(',')},12345]` })).text) as number[];
    expect(sizes).toEqual([...pick.map((p) => counts.get(p)), 0]);
    for (const b of pick) {
      expect(await json(demo.url, `/api/node/${child}/segmentation/size/${b}`)).toEqual({ voxels: counts.get(b) });
      const ss = await json<{ voxels: number; numblocks: number }>(demo.url, `/api/node/${child}/segmentation/sparsevol-size/${b}`);
      expect(ss.voxels).toBe(counts.get(b));
      expect(ss.numblocks).toBe(blocksOf.get(b)!.size);
      const runs = decodeSparsevol((await http(demo.url, `/api/node/${child}/segmentation/sparsevol/${b}`)).body);
      expect(runs.reduce((n, r) => n + r.length, 0)).toBe(counts.get(b));
      const read = volumeReader(body);
      for (const r of runs.filter((_, i) => i % 50 === 0)) expect(read(r.x + r.length - 1, r.y, r.z)).toBe(b);
      const coarse = decodeSparsevol((await http(demo.url, `/api/node/${child}/segmentation/sparsevol-coarse/${b}`)).body);
      const listed = new Set(coarse.flatMap((r) => Array.from({ length: r.length }, (_, i) => key(r.x + i, r.y, r.z))));
      expect(listed).toEqual(blocksOf.get(b));
    }
  });
});
