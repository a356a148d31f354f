import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeLabelBlock,
  decodeLabelBlockToPalette,
  encodeLabelBlock,
  labelBlockHistogram,
  mapLabelBlockTable,
  readLabelBlockHeader,
  type LabelBlockPalette,
  type LabelVolume,
} from '../../../main/formats/label-block';
import { formatErrorOf } from '../../support/format-errors';
import { GOLDEN_BLOCKS, goldenFile, goldenRaw, goldenVoxels, manifest, manifestBlock, sha256 } from '../../support/golden';
import { buildBlock, referenceDecode, type SubblockSpec } from '../../support/label-block-reference';
import { volumeFrom } from '../../support/label-volumes';

const MAX_U64 = 0xffff_ffff_ffff_ffffn;

function bytesOf(v: BigUint64Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Palette form expanded to uint64 voxels, the slow obvious way. */
function expand(p: LabelBlockPalette): BigUint64Array {
  const out = new BigUint64Array(p.indices.length);
  for (let i = 0; i < out.length; i++) out[i] = p.palette[p.indices[i]!]!;
  return out;
}

function expectPaletteOf(p: LabelBlockPalette, voxels: BigUint64Array): void {
  expect(p.indices.length).toBe(voxels.length);
  expect(bytesOf(expand(p)).equals(bytesOf(voxels))).toBe(true);
  // deduplicated and exactly the labels present
  expect(new Set(p.palette).size).toBe(p.palette.length);
  expect(new Set(p.palette)).toEqual(new Set(voxels));
}


const solidSub = (i: number): SubblockSpec => ({ indices: [i] });

describe('golden vectors (DVID-encoded blocks)', () => {
  it('the fixtures are the bytes the manifest describes', () => {
    for (const b of manifest.blocks) {
      for (const f of b.files) {
        const bytes = f.file.endsWith('.u64') ? goldenRaw(b.name as (typeof GOLDEN_BLOCKS)[number]) : goldenFile(f.file);
        expect(bytes.length, f.file).toBe(f.bytes);
        expect(sha256(bytes), f.file).toBe(f.sha256);
      }
    }
  });

  for (const name of GOLDEN_BLOCKS) {
    describe(`${name}`, () => {
      const raw = Buffer.from(goldenRaw(name));
      const m = manifestBlock(name);
      const [nz, ny, nx] = m.shape_zyx;
      const sources = [`${name}.dvidblk`, `${name}.canonical.dvidblk`, ...(name === 'tiny16' ? [] : [`${name}.dvidblk.gz`])];
      for (const file of sources) {
        it(`${file} decodes to the raw voxels, in both forms`, () => {
          let bytes = goldenFile(file);
          if (file.endsWith('.gz')) bytes = new Uint8Array(gunzipSync(bytes));
          const vol = decodeLabelBlock(bytes);
          expect([vol.nx, vol.ny, vol.nz]).toEqual([nx, ny, nz]);
          expect(bytesOf(vol.voxels).equals(raw)).toBe(true);
          const pal = decodeLabelBlockToPalette(bytes);
          expect([pal.nx, pal.ny, pal.nz]).toEqual([nx, ny, nz]);
          expect(pal.palette.length).toBe(m.unique_labels);
          expectPaletteOf(pal, vol.voxels);
          // decoding into a reused (dirty) array gives the same voxels
          const into = new BigUint64Array(vol.voxels.length).fill(0xdeadbeefn);
          expect(bytesOf(decodeLabelBlock(bytes, { into }).voxels).equals(raw)).toBe(true);
        });
      }

      it('encodes byte for byte to the canonical encoding, from voxels and from palette form', () => {
        const canonical = Buffer.from(goldenFile(`${name}.canonical.dvidblk`));
        const voxels = goldenVoxels(name);
        expect(Buffer.from(encodeLabelBlock({ nx, ny, nz, voxels })).equals(canonical)).toBe(true);
        const pal = decodeLabelBlockToPalette(goldenFile(`${name}.dvidblk`));
        expect(Buffer.from(encodeLabelBlock(pal)).equals(canonical)).toBe(true);
      });

      it('header: grid and table size as the manifest says', () => {
        const h = readLabelBlockHeader(goldenFile(`${name}.dvidblk`));
        expect([h.gx, h.gy, h.gz]).toEqual([nx / 8, ny / 8, nz / 8]);
        expect(h.n).toBe(m.block_label_count_N);
        expect(h.table.length).toBe(h.n);
      });
    });
  }
});

describe('the §5.6 worked example', () => {
  it('tiny16 canonical bytes are the ones the spec lists', () => {
    const b = goldenFile('tiny16.canonical.dvidblk');
    const dv = new DataView(b.buffer, b.byteOffset);
    expect(b.length).toBe(316);
    expect([0, 4, 8, 12].map((o) => dv.getUint32(o, true))).toEqual([2, 2, 2, 6]);
    expect(Array.from(readLabelBlockHeader(b).table)).toEqual([7n, 9n, 0n, 102n, 100n, 101n]);
    expect(Array.from({ length: 8 }, (_, s) => dv.getUint16(0x40 + 2 * s, true))).toEqual([2, 1, 1, 1, 1, 1, 1, 3]);
    expect(b[0x7c]).toBe(0x0f);
    expect([b[0xbc], b[0xbd]]).toEqual([0x18, 0x61]);
    // and the encoder builds it from the volume described in prose
    const voxels = volumeFrom(16, 16, 16, (x, y, z) => {
      if (x < 8 && y < 8 && z < 8) return x < 4 ? 7n : 9n;
      if (y < 8 && z < 8) return 9n;
      if (x >= 8 && y >= 8 && z >= 8) return 100n + BigInt(x % 3);
      return 0n;
    }).voxels;
    expect(Buffer.from(encodeLabelBlock({ nx: 16, ny: 16, nz: 16, voxels })).equals(Buffer.from(b))).toBe(true);
  });
});

describe('cases the vectors do not cover (from DVID-API.md §5)', () => {
  it('mapped tables: duplicates, unused and zero entries decode and collapse in the palette', () => {
    // 16³: sub-block 0 uses entries 0 and 3 (both → 5 after mapping), 1 uses entry 4 (0), others entry 1
    const values = Array.from({ length: 512 }, (_, k) => k & 1);
    const subblocks: SubblockSpec[] = [{ indices: [0, 3], values }, solidSub(4), ...Array.from({ length: 6 }, () => solidSub(1))];
    const block = buildBlock({ gx: 2, gy: 2, gz: 2, table: [5n, 77n, 999n /* unused */, 5n, 0n], subblocks });
    const ref = referenceDecode(block);
    expect(bytesOf(decodeLabelBlock(block).voxels).equals(bytesOf(ref.voxels))).toBe(true);
    const pal = decodeLabelBlockToPalette(block);
    expectPaletteOf(pal, ref.voxels);
    expect(new Set(pal.palette)).toEqual(new Set([5n, 0n, 77n])); // 999 is unused, 5 once
    // re-encoding gives the canonical form of the same volume: table [5, 0, 77], sub-block 0 solid
    const enc = encodeLabelBlock(pal);
    expect(Array.from(readLabelBlockHeader(enc).table)).toEqual([5n, 0n, 77n]);
    expect(bytesOf(decodeLabelBlock(enc).voxels).equals(bytesOf(ref.voxels))).toBe(true);
  });

  it('mapLabelBlockTable overwrites table entries in place and keeps duplicates, like modifyBlockMapping', () => {
    const golden = goldenFile('tiny16.dvidblk');
    const before = readLabelBlockHeader(golden).table;
    const mapping = new Map<bigint, bigint>([
      [7n, 9n],
      [100n, MAX_U64],
      [101n, MAX_U64],
    ]);
    const mapped = mapLabelBlockTable(golden, (l) => mapping.get(l) ?? l);
    expect(mapped.length).toBe(golden.length);
    expect(Buffer.from(mapped.subarray(16 + 8 * before.length)).equals(Buffer.from(golden.subarray(16 + 8 * before.length)))).toBe(true);
    const after = readLabelBlockHeader(mapped).table;
    expect(Array.from(after)).toEqual(Array.from(before, (l) => mapping.get(l) ?? l));
    expect(new Set(after).size).toBeLessThan(after.length); // duplicates stay
    const orig = decodeLabelBlock(golden).voxels;
    const vol = decodeLabelBlock(mapped).voxels;
    for (let i = 0; i < vol.length; i++) expect(vol[i]).toBe(mapping.get(orig[i]!) ?? orig[i]);
    expectPaletteOf(decodeLabelBlockToPalette(mapped), vol);
    expect(readLabelBlockHeader(golden).table).toEqual(before); // input untouched
  });

  it('an N > 1 block whose entries all map to one body decodes as uniform', () => {
    const mapped = mapLabelBlockTable(goldenFile('two_labels_checker.dvidblk'), () => 42n);
    const pal = decodeLabelBlockToPalette(mapped);
    expect(Array.from(pal.palette)).toEqual([42n]);
    expect(pal.indices.every((i) => i === 0)).toBe(true);
    expect(encodeLabelBlock(pal).length).toBe(24); // re-encodes as a solid block
  });

  it('Ns = 0 sub-blocks decode to label 0, even when 0 is not in the table', () => {
    const values = Array.from({ length: 512 }, (_, k) => k % 3);
    const subblocks: SubblockSpec[] = [{ indices: [], values: [] }, { indices: [2, 0, 1], values }, { indices: [] }, solidSub(1), ...Array.from({ length: 4 }, () => ({ indices: [] }))];
    const block = buildBlock({ gx: 2, gy: 2, gz: 2, table: [11n, 22n, 33n], subblocks });
    const ref = referenceDecode(block);
    expect(ref.voxels[0]).toBe(0n);
    const into = new BigUint64Array(16 ** 3).fill(123n);
    expect(bytesOf(decodeLabelBlock(block, { into }).voxels).equals(bytesOf(ref.voxels))).toBe(true);
    expect(bytesOf(decodeLabelBlock(block).voxels).equals(bytesOf(ref.voxels))).toBe(true);
    const pal = decodeLabelBlockToPalette(block);
    expectPaletteOf(pal, ref.voxels);
    expect(pal.palette).toContain(0n);
  });

  it('every index width 0..9 bits with non-power-of-two counts, MSB-first, straddling bytes', () => {
    // 16×16×24 block: 12 sub-blocks with Ns = 1, 2, 3, 5, 9, 17, 33, 65, 129, 257, 300, 512
    const counts = [1, 2, 3, 5, 9, 17, 33, 65, 129, 257, 300, 512];
    let next = 0;
    const table: bigint[] = [];
    const subblocks: SubblockSpec[] = counts.map((ns, s) => {
      const indices = Array.from({ length: ns }, () => {
        table.push(BigInt(s) * 1000n + BigInt(next) + (1n << 60n));
        return next++;
      });
      // every local index used, in a scrambled order
      const values = Array.from({ length: 512 }, (_, k) => (k * 7 + s) % ns);
      return { indices, values };
    });
    const block = buildBlock({ gx: 2, gy: 2, gz: 3, table, subblocks });
    const ref = referenceDecode(block);
    const vol = decodeLabelBlock(block);
    expect([vol.nx, vol.ny, vol.nz]).toEqual([16, 16, 24]);
    expect(bytesOf(vol.voxels).equals(bytesOf(ref.voxels))).toBe(true);
    expectPaletteOf(decodeLabelBlockToPalette(block), ref.voxels);
    const enc = encodeLabelBlock(vol);
    expect(bytesOf(decodeLabelBlock(enc).voxels).equals(bytesOf(ref.voxels))).toBe(true);
  });

  it('labels at and beyond 2^53, up to 2^64−1, survive both directions exactly', () => {
    const special = [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 2n, MAX_U64, 0xffff_ffffn, 0x1_0000_0000n];
    const vol: LabelVolume = volumeFrom(16, 24, 32, (x, y, z) => special[(x + 3 * y + 5 * z) % special.length]!);
    const enc = encodeLabelBlock(vol);
    expect(bytesOf(referenceDecode(enc).voxels).equals(bytesOf(vol.voxels))).toBe(true);
    const back = decodeLabelBlock(enc);
    expect([back.nx, back.ny, back.nz]).toEqual([16, 24, 32]);
    expect(bytesOf(back.voxels).equals(bytesOf(vol.voxels))).toBe(true);
    const pal = decodeLabelBlockToPalette(enc);
    expectPaletteOf(pal, vol.voxels);
    expect(pal.palette).toContain(MAX_U64);
    expect(Buffer.from(encodeLabelBlock(pal)).equals(Buffer.from(enc))).toBe(true);
    // solid block of 2^64−1
    const solid = encodeLabelBlock(volumeFrom(16, 16, 16, () => MAX_U64));
    expect(solid.length).toBe(24);
    expect(decodeLabelBlock(solid).voxels.every((v) => v === MAX_U64)).toBe(true);
  });

  it('non-64³ shapes: 8-voxel dimensions decode (DVID decodes them), the encoder requires 16..1024 like DVID', () => {
    const block = buildBlock({ gx: 1, gy: 3, gz: 2, table: [4n, 8n], subblocks: [solidSub(0), solidSub(1), solidSub(0), solidSub(1), solidSub(1), solidSub(0)] });
    const vol = decodeLabelBlock(block);
    expect([vol.nx, vol.ny, vol.nz]).toEqual([8, 24, 16]);
    expect(bytesOf(vol.voxels).equals(bytesOf(referenceDecode(block).voxels))).toBe(true);
    expect(() => encodeLabelBlock(vol)).toThrow(RangeError);
    expect(() => encodeLabelBlock({ nx: 16, ny: 20, nz: 16, voxels: new BigUint64Array(16 * 20 * 16) })).toThrow(RangeError);
    expect(() => encodeLabelBlock({ nx: 16, ny: 16, nz: 16, voxels: new BigUint64Array(10) })).toThrow(RangeError);
    const ok = volumeFrom(16, 40, 128, (x, y, z) => BigInt((x >> 2) + (y >> 3) * 7 + (z >> 4) * 100));
    expect(bytesOf(decodeLabelBlock(encodeLabelBlock(ok)).voxels).equals(bytesOf(ok.voxels))).toBe(true);
  });

  it('blocks larger than 64³ with more labels than the encoder keeps scratch for', () => {
    const vol = volumeFrom(128, 64, 48, (x, y, z) => (x < 64 ? BigInt(((z * 64 + y) * 128 + x) * 5) + 2n ** 62n : BigInt((x >> 4) + (z >> 3))));
    const enc = encodeLabelBlock(vol);
    const back = decodeLabelBlock(enc);
    expect([back.nx, back.ny, back.nz]).toEqual([128, 64, 48]);
    expect(bytesOf(back.voxels).equals(bytesOf(vol.voxels))).toBe(true);
    // and the reused 64³ scratch still works afterwards
    expect(Buffer.from(encodeLabelBlock(decodeLabelBlock(goldenFile('bits_sweep.dvidblk')))).equals(Buffer.from(goldenFile('bits_sweep.canonical.dvidblk')))).toBe(true);
  });

  it('the palette form switches to Uint32 indices beyond 65536 labels', () => {
    const vol = volumeFrom(64, 64, 32, (x, y, z) => BigInt((z * 64 + y) * 64 + x) * 3n + 2n ** 60n);
    const pal = decodeLabelBlockToPalette(encodeLabelBlock(vol));
    expect(pal.indices).toBeInstanceOf(Uint32Array);
    expect(pal.palette.length).toBe(64 * 64 * 32);
    expectPaletteOf(pal, vol.voxels);
    const small = decodeLabelBlockToPalette(goldenFile('bits_sweep.dvidblk'));
    expect(small.indices).toBeInstanceOf(Uint16Array);
  });

  it('tolerates trailing bytes after the values, as DVID does', () => {
    const b = goldenFile('tiny16.dvidblk');
    const longer = new Uint8Array(b.length + 5);
    longer.set(b);
    expect(bytesOf(decodeLabelBlock(longer).voxels).equals(Buffer.from(goldenRaw('tiny16')))).toBe(true);
  });
});

describe('bad input: FormatError before any large allocation', () => {
  const tiny = goldenFile('tiny16.dvidblk');
  const decoders = [decodeLabelBlock, decodeLabelBlockToPalette, (b: Uint8Array) => mapLabelBlockTable(b, (l) => l)];

  it('N = 0', () => {
    const b = buildBlock({ gx: 2, gy: 2, gz: 2, table: [], subblocks: [] });
    for (const d of decoders) expect(formatErrorOf(() => d(b))?.reason).toMatch(/N = 0/);
  });

  it('every truncation of a valid block', () => {
    for (let len = 0; len < tiny.length; len++) {
      for (const d of decoders) expect(formatErrorOf(() => d(tiny.subarray(0, len)))).toBeDefined();
    }
  });

  it('a sub-block index outside the table', () => {
    const b = buildBlock({ gx: 2, gy: 2, gz: 2, table: [1n, 2n], subblocks: Array.from({ length: 8 }, (_, s) => solidSub(s === 5 ? 2 : 0)) });
    for (const d of decoders) expect(formatErrorOf(() => d(b))?.reason).toMatch(/outside the label table/);
  });

  it('Ns > 512', () => {
    const b = new Uint8Array(tiny);
    new DataView(b.buffer).setUint16(16 + 8 * 6, 513, true);
    for (const d of decoders) expect(formatErrorOf(() => d(b))?.reason).toMatch(/at most 512/);
  });

  it('a packed value ≥ Ns (possible whenever Ns is not a power of two)', () => {
    for (const ns of [3, 5, 6, 7, 300]) {
      const values = Array.from({ length: 512 }, (_, k) => (k === 511 ? 2 ** Math.ceil(Math.log2(ns)) - 1 : k % ns));
      const table = Array.from({ length: ns }, (_, i) => BigInt(i + 1));
      const b = buildBlock({ gx: 2, gy: 2, gz: 2, table, subblocks: [{ indices: table.map((_, i) => i), values }, ...Array.from({ length: 7 }, () => solidSub(0))] });
      expect(formatErrorOf(() => decodeLabelBlock(b))?.reason).toMatch(/packed value/);
      expect(formatErrorOf(() => decodeLabelBlockToPalette(b))?.reason).toMatch(/packed value/);
    }
  });

  it('grid dimensions of 0 or above 128, and blocks above the voxel bound', () => {
    for (const g of [0, 129, 0xffffffff]) {
      const b = new Uint8Array(tiny);
      new DataView(b.buffer).setUint32(4, g, true);
      for (const d of decoders) expect(formatErrorOf(() => d(b))?.reason).toMatch(/grid dimension/);
    }
    const big = new Uint8Array(tiny);
    const dv = new DataView(big.buffer);
    for (const o of [0, 4, 8]) dv.setUint32(o, 128, true); // 1024³ voxels: 8 GiB of uint64
    expect(formatErrorOf(() => decodeLabelBlock(big))?.reason).toMatch(/exceeds the bound/);
    expect(formatErrorOf(() => decodeLabelBlock(tiny, { maxVoxels: 16 ** 3 - 1 }))?.reason).toMatch(/exceeds the bound/);
    expect(decodeLabelBlock(tiny, { maxVoxels: 16 ** 3 }).voxels.length).toBe(16 ** 3);
  });

  it('a table or index count larger than the bytes', () => {
    const b = new Uint8Array(tiny);
    new DataView(b.buffer).setUint32(12, 0x7fffffff, true);
    for (const d of decoders) expect(formatErrorOf(() => d(b))?.reason).toMatch(/label table/);
  });

  it('an output array of the wrong size', () => {
    expect(formatErrorOf(() => decodeLabelBlock(tiny, { into: new BigUint64Array(10) }))?.reason).toMatch(/output array/);
  });
});

function countOf(voxels: BigUint64Array): Map<bigint, number> {
  const m = new Map<bigint, number>();
  for (const v of voxels) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}
const asMap = (h: { labels: BigUint64Array; counts: Uint32Array }) => new Map([...h.labels].map((l, i) => [l, h.counts[i]!]));

describe('labelBlockHistogram', () => {
  for (const name of GOLDEN_BLOCKS) {
    it(`counts every label of the DVID-encoded ${name} as its raw voxels do`, () => {
      expect(asMap(labelBlockHistogram(goldenFile(`${name}.dvidblk`)))).toEqual(countOf(goldenVoxels(name)));
    });
  }

  it('merges duplicate table entries, ignores unused ones, and counts Ns = 0 sub-blocks as label 0', () => {
    const block = buildBlock({
      gx: 2,
      gy: 1,
      gz: 2,
      table: [7n, MAX_U64, 7n, 99n],
      subblocks: [
        { indices: [] },
        { indices: [0] },
        { indices: [2, 1], values: Array.from({ length: 512 }, (_, k) => (k < 100 ? 1 : 0)) },
        { indices: [1, 0, 2, 1, 0], values: Array.from({ length: 512 }, (_, k) => k % 5) },
      ],
    });
    const expected = countOf(referenceDecode(block).voxels);
    expect(expected.get(0n)).toBe(512);
    expect(expected.has(99n)).toBe(false);
    expect(asMap(labelBlockHistogram(block))).toEqual(expected);
  });

  it('refuses a packed value at or above its sub-block label count, naming the byte', () => {
    // Ns = 3 (2-bit values): value 3 does not exist; Ns = 5 (3-bit values): 5..7 do not.
    for (const [ns, bad] of [
      [3, 3],
      [5, 7],
    ] as const) {
      const block = buildBlock({
        gx: 1,
        gy: 1,
        gz: 1,
        table: [1n, 2n, 3n, 4n, 5n],
        subblocks: [{ indices: Array.from({ length: ns }, (_, i) => i), values: Array.from({ length: 512 }, (_, k) => (k === 300 ? bad : k % ns)) }],
      });
      const err = formatErrorOf(() => labelBlockHistogram(block));
      expect(err?.reason).toMatch(/packed value ≥ its label count/);
      expect(err?.offset).toBeGreaterThan(16);
    }
  });
});
