/**
 * Property tests of the label-block codec: encode→decode identity on random volumes (shapes, label
 * ranges and sub-block label counts chosen to hit every §5 case), agreement with the naive reference
 * on arbitrary valid (non-canonical) blocks, and robustness on truncated and mutated input.
 */
import * as fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeLabelBlock, decodeLabelBlockToPalette, encodeLabelBlock, labelBlockHistogram, labelBlockLabelsAt, mapLabelBlockTable, type LabelBlockPalette, type LabelVolume } from '../../../main/formats/label-block';
import { outcomeOf } from '../../support/format-errors';
import { goldenFile } from '../../support/golden';
import { buildBlock, referenceDecode, type BlockSpec } from '../../support/label-block-reference';

const MAX_U64 = 2n ** 64n - 1n;

function bytesOf(v: BigUint64Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function expand(p: LabelBlockPalette): BigUint64Array {
  const out = new BigUint64Array(p.indices.length);
  for (let i = 0; i < out.length; i++) out[i] = p.palette[p.indices[i]!]!;
  return out;
}

/** Labels that matter: 0, around 2^32, 2^53 and 2^63, the maximum, and arbitrary ones. */
const label = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, MAX_U64 - 1n, MAX_U64),
  fc.bigInt({ min: 0n, max: MAX_U64 }),
  fc.bigInt({ min: 0n, max: 100n }),
);

const dim = fc.constantFrom(16, 24, 32);

/**
 * A random volume built from regions: each voxel takes a label from a small per-volume pool, with the
 * pool size and the region scale controlling how many labels a sub-block sees (1 up to 512).
 */
const volume: fc.Arbitrary<LabelVolume> = fc
  .record({
    nx: dim,
    ny: dim,
    nz: dim,
    pool: fc.array(label, { minLength: 1, maxLength: 40 }),
    mode: fc.constantFrom('solid', 'slabs', 'noise', 'unique', 'mixed'),
    seed: fc.integer(),
  })
  .map(({ nx, ny, nz, pool, mode, seed }) => {
    const voxels = new BigUint64Array(nx * ny * nz);
    let s = seed >>> 0;
    const rnd = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s;
    };
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          let v: bigint;
          if (mode === 'solid') v = pool[0]!;
          else if (mode === 'slabs') v = pool[((x >> 2) + (y >> 3) * 3 + (z >> 1)) % pool.length]!;
          else if (mode === 'noise') v = pool[rnd() % pool.length]!;
          else if (mode === 'unique') v = (BigInt(i) * 0x9e3779b97f4a7c15n + BigInt(seed)) & MAX_U64;
          else v = (x & 8) === 0 ? pool[0]! : pool[rnd() % pool.length]!;
          voxels[i] = v;
        }
      }
    }
    return { nx, ny, nz, voxels };
  });

/**
 * An arbitrary valid block, as DVID or a mapping could leave it: table in any order with duplicates,
 * zeros and unused entries; sub-blocks with Ns = 0..40 (and sometimes 300+), local lists in any
 * order, values that need not use every local index.
 */
const blockSpec: fc.Arbitrary<BlockSpec> = fc
  .record({
    gx: fc.integer({ min: 1, max: 3 }),
    gy: fc.integer({ min: 1, max: 2 }),
    gz: fc.integer({ min: 1, max: 2 }),
    table: fc.array(label, { minLength: 2, maxLength: 50 }),
    seed: fc.integer(),
    big: fc.boolean(),
  })
  .map(({ gx, gy, gz, table, seed, big }) => {
    let s = seed >>> 0;
    const rnd = (n: number) => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s >>> 8) % n;
    };
    const subblocks = Array.from({ length: gx * gy * gz }, (_, i) => {
      const kind = rnd(10);
      const ns = kind === 0 ? 0 : kind < 4 ? 1 : big && i === 0 ? 300 + rnd(213) : 2 + rnd(39);
      const indices = Array.from({ length: ns }, () => rnd(table.length));
      const spread = 1 + rnd(ns || 1); // values may use only the first few local indices
      const values = Array.from({ length: 512 }, () => rnd(Math.min(spread, ns) || 1));
      return { indices, values };
    });
    return { gx, gy, gz, table, subblocks };
  });

describe('label block properties', () => {
  it('encode → decode is the identity (uint64 and palette form), and the palette form re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(volume, (vol) => {
        const enc = encodeLabelBlock(vol);
        const back = decodeLabelBlock(enc);
        expect([back.nx, back.ny, back.nz]).toEqual([vol.nx, vol.ny, vol.nz]);
        expect(bytesOf(back.voxels).equals(bytesOf(vol.voxels))).toBe(true);
        expect(bytesOf(referenceDecode(enc).voxels).equals(bytesOf(vol.voxels))).toBe(true);
        const pal = decodeLabelBlockToPalette(enc);
        expect(bytesOf(expand(pal)).equals(bytesOf(vol.voxels))).toBe(true);
        expect(new Set(pal.palette)).toEqual(new Set(vol.voxels));
        expect(Buffer.from(encodeLabelBlock(pal)).equals(Buffer.from(enc))).toBe(true);
      }),
      { numRuns: 120 },
    );
  });

  it('arbitrary valid blocks decode exactly as the reference decoder says, and re-encode canonically', () => {
    fc.assert(
      fc.property(blockSpec, (spec) => {
        const block = buildBlock(spec);
        const ref = referenceDecode(block);
        const vol = decodeLabelBlock(block);
        expect(bytesOf(vol.voxels).equals(bytesOf(ref.voxels))).toBe(true);
        const pal = decodeLabelBlockToPalette(block);
        expect(bytesOf(expand(pal)).equals(bytesOf(ref.voxels))).toBe(true);
        expect(new Set(pal.palette)).toEqual(new Set(ref.voxels));
        expect(new Set(pal.palette).size).toBe(pal.palette.length);
        // the encoder needs ≥ 16 per dimension, as DVID's does: pad thin blocks by repeating them
        const padded = tile(vol);
        expect(bytesOf(decodeLabelBlock(encodeLabelBlock(padded)).voxels).equals(bytesOf(padded.voxels))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('the histogram straight from the encoding equals a count of the reference decoder\'s voxels', () => {
    fc.assert(
      fc.property(fc.oneof(blockSpec.map(buildBlock), volume.map(encodeLabelBlock)), (block) => {
        const truth = new Map<bigint, number>();
        for (const v of referenceDecode(block).voxels) truth.set(v, (truth.get(v) ?? 0) + 1);
        const h = labelBlockHistogram(block);
        expect(h.labels.length).toBe(h.counts.length);
        expect(new Set(h.labels).size).toBe(h.labels.length); // duplicates of the table merged
        expect(new Map([...h.labels].map((l, i) => [l, h.counts[i]!]))).toEqual(truth);
      }),
      { numRuns: 150 },
    );
  });

  it('the labels at points read straight from the encoding equal the reference decoder\'s voxels there', () => {
    fc.assert(
      fc.property(fc.oneof(blockSpec.map(buildBlock), volume.map(encodeLabelBlock)), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat()), { maxLength: 60 }), (block, picks) => {
        const ref = referenceDecode(block);
        const pts = Int32Array.from(picks.flatMap(([x, y, z]) => [x % ref.nx, y % ref.ny, z % ref.nz]));
        const got = labelBlockLabelsAt(block, pts);
        expect(got.length).toBe(picks.length);
        for (let i = 0; i < picks.length; i++) expect(got[i]).toBe(ref.voxels[(pts[3 * i + 2]! * ref.ny + pts[3 * i + 1]!) * ref.nx + pts[3 * i]!]);
        // every voxel at once, too (the corners and every sub-block boundary)
        const every = new Int32Array(3 * ref.voxels.length);
        for (let z = 0, i = 0; z < ref.nz; z++) for (let y = 0; y < ref.ny; y++) for (let x = 0; x < ref.nx; x++, i++) every.set([x, y, z], 3 * i);
        expect(Buffer.from(labelBlockLabelsAt(block, every).buffer).equals(bytesOf(ref.voxels))).toBe(true);
        expect(() => labelBlockLabelsAt(block, Int32Array.of(ref.nx, 0, 0))).toThrow(/outside/);
        expect(() => labelBlockLabelsAt(block, Int32Array.of(0, 0))).toThrow(/triples/);
      }),
      { numRuns: 100 },
    );
  });

  it('mapping the table maps every voxel', () => {
    fc.assert(
      fc.property(blockSpec, fc.array(label, { minLength: 1, maxLength: 5 }), (spec, targets) => {
        const block = buildBlock(spec);
        const map = (l: bigint) => (l % 3n === 0n ? targets[Number(l % BigInt(targets.length))]! : l);
        const mapped = decodeLabelBlock(mapLabelBlockTable(block, map)).voxels;
        const orig = referenceDecode(block).voxels;
        // Ns = 0 sub-blocks are 0 without a table entry: mapping never reaches them
        const zeroFromEmpty = referenceDecode(mapLabelBlockTable(block, () => 1n)).voxels;
        for (let i = 0; i < orig.length; i++) expect(mapped[i]).toBe(zeroFromEmpty[i] === 0n ? 0n : map(orig[i]!));
      }),
      { numRuns: 60 },
    );
  });
});

/** The volume repeated twice along each axis shorter than 16 voxels. */
function tile(vol: LabelVolume): LabelVolume {
  const { nx, ny, nz } = vol;
  const [tx, ty, tz] = [nx, ny, nz].map((d) => (d < 16 ? 2 * d : d)) as [number, number, number];
  const voxels = new BigUint64Array(tx * ty * tz);
  for (let z = 0, i = 0; z < tz; z++) {
    for (let y = 0; y < ty; y++) for (let x = 0; x < tx; x++, i++) voxels[i] = vol.voxels[((z % nz) * ny + (y % ny)) * nx + (x % nx)]!;
  }
  return { nx: tx, ny: ty, nz: tz, voxels };
}

describe('robustness: truncated and mutated blocks decode or throw FormatError', () => {
  const valid = [
    goldenFile('tiny16.dvidblk'),
    new Uint8Array(gunzipSync(goldenFile('two_labels_checker.dvidblk.gz'))),
    new Uint8Array(gunzipSync(goldenFile('bits_sweep.dvidblk.gz'))).subarray(0, 120_000), // a truncated big one
    buildBlock({
      gx: 2,
      gy: 2,
      gz: 2,
      table: [0n, MAX_U64, 5n, 5n],
      subblocks: [
        { indices: [] },
        { indices: [1, 2, 3], values: Array.from({ length: 512 }, (_, k) => k % 3) },
        { indices: [0] },
        { indices: [3, 1], values: Array.from({ length: 512 }, (_, k) => (k >> 3) & 1) },
        ...Array.from({ length: 4 }, () => ({ indices: [1] })),
      ],
    }),
  ];
  const decoders = [
    (b: Uint8Array) => decodeLabelBlock(b),
    (b: Uint8Array) => decodeLabelBlockToPalette(b),
    (b: Uint8Array) => mapLabelBlockTable(b, (l) => l + 1n > MAX_U64 ? 0n : l + 1n),
    (b: Uint8Array) => labelBlockHistogram(b),
    (b: Uint8Array) => labelBlockLabelsAt(b, Int32Array.of(0, 0, 0, 15, 15, 15, 7, 8, 9, 3, 12, 5)),
  ];

  it('byte mutations (header fields included) and truncations', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 80 }), fc.nat()), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.constantFrom(0, 1, 2, 3, 4),
        (src, mutations, cut, which) => {
          let b = new Uint8Array(src);
          for (const [pos, val] of mutations) b[pos % b.length] = val;
          if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
          expect(outcomeOf(() => decoders[which]!(b))).toMatch(/^(ok|FormatError)$/);
          // the histogram validates exactly what the decoder does (it stands in for it during sync)
          expect(outcomeOf(() => labelBlockHistogram(b))).toBe(outcomeOf(() => decodeLabelBlock(b)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gzipped payload mutations through gunzip', () => {
    const gz = new Uint8Array(gzipSync(valid[3]!));
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (pos, val) => {
        const b = new Uint8Array(gz);
        b[pos % b.length] = val;
        let plain: Uint8Array;
        try {
          plain = new Uint8Array(gunzipSync(b));
        } catch {
          return; // zlib caught it
        }
        expect(outcomeOf(() => decodeLabelBlock(plain))).toMatch(/^(ok|FormatError)$/);
      }),
      { numRuns: 200 },
    );
  });
});
