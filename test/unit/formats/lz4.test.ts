import * as fc from 'fast-check';
import * as lz4js from 'lz4js';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../main/formats/format-error';
import { lz4CompressBound, lz4DecodeBlock, lz4DecodeBlockInto, lz4DecodeBlockUpTo, lz4EncodeBlock } from '../../../main/formats/lz4';
import { formatErrorOf, outcomeOf } from '../../support/format-errors';
import { goldenFile, goldenRaw } from '../../support/golden';

const GOLDEN_LZ4 = ['solid_single_label', 'two_labels_split_x', 'two_labels_checker', 'bits_sweep', 'random_1000_labels'] as const;

interface Sequence {
  literals: number;
  offset: number;
  matchLength: number;
  start: number; // output position of the sequence's first literal
}

/** Walks the sequences of a raw LZ4 block (trusting it) to inspect what an encoder emitted. */
function sequences(block: Uint8Array): Sequence[] {
  const out: Sequence[] = [];
  let s = 0;
  let d = 0;
  while (s < block.length) {
    const token = block[s++]!;
    let lit = token >> 4;
    if (lit === 15) for (let c = 255; c === 255; lit += c) c = block[s++]!;
    const start = d;
    s += lit;
    d += lit;
    if (s >= block.length) {
      out.push({ literals: lit, offset: 0, matchLength: 0, start });
      break;
    }
    const offset = block[s]! | (block[s + 1]! << 8);
    s += 2;
    let ml = token & 15;
    if (ml === 15) for (let c = 255; c === 255; ml += c) c = block[s++]!;
    out.push({ literals: lit, offset, matchLength: ml + 4, start });
    d += ml + 4;
  }
  return out;
}

/** lz4js's block decoder, with its output bounded to `size` + slack so an overrun is visible. */
function lz4jsDecode(block: Uint8Array, size: number): Uint8Array {
  const dst = new Uint8Array(size + 64);
  const end = lz4js.decompressBlock(block, dst, 0, block.length, 0);
  return dst.subarray(0, end);
}

function lz4jsEncode(src: Uint8Array): Uint8Array | null {
  const dst = new Uint8Array(lz4js.compressBound(src.length));
  const n = lz4js.compressBlock(src, dst, 0, src.length, new Uint32Array(1 << 16));
  return n > 0 ? dst.subarray(0, n) : null; // lz4js returns 0 when it found no match at all
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Inputs with the structure block payloads have: runs of uint64 labels, repeats at many distances. */
const structured = fc
  .array(
    fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 40 }),
      fc.record({ label: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), count: fc.integer({ min: 1, max: 300 }) }).map(({ label, count }) => {
        const a = new BigUint64Array(count).fill(label);
        return new Uint8Array(a.buffer);
      }),
      fc.record({ byte: fc.integer({ min: 0, max: 255 }), count: fc.integer({ min: 1, max: 2000 }) }).map(({ byte, count }) => new Uint8Array(count).fill(byte)),
    ),
    { maxLength: 30 },
  )
  .map((parts) => {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  });

describe('LZ4 block decoder', () => {
  for (const name of GOLDEN_LZ4) {
    it(`decodes DVID's ${name}.lz4 (liblz4) to the raw voxels`, () => {
      const raw = goldenRaw(name);
      const out = lz4DecodeBlock(goldenFile(`${name}.lz4`), raw.length);
      expect(same(out, raw)).toBe(true);
      expect(same(lz4DecodeBlockUpTo(goldenFile(`${name}.lz4`), raw.length * 2), raw)).toBe(true);
    });
  }

  it('decodes into caller buffers at any alignment (the word-copy paths need aligned views)', () => {
    const raw = goldenRaw('two_labels_split_x');
    const lz = goldenFile('two_labels_split_x.lz4');
    const backing = new Uint8Array(raw.length + 16).fill(0x55);
    for (const offset of [0, 1, 2, 4, 8]) {
      const dst = backing.subarray(offset, offset + raw.length);
      expect(lz4DecodeBlockInto(lz, dst)).toBe(dst);
      expect(same(dst, raw)).toBe(true);
    }
    expect(formatErrorOf(() => lz4DecodeBlockInto(lz, new Uint8Array(raw.length + 8)))?.reason).toMatch(/expected/);
  });

  it('agrees with lz4js on what lz4js encodes', () => {
    for (const name of GOLDEN_LZ4) {
      const raw = goldenRaw(name);
      const enc = lz4jsEncode(raw)!;
      expect(same(lz4DecodeBlock(enc, raw.length), raw)).toBe(true);
    }
    fc.assert(
      fc.property(structured, (src) => {
        const enc = lz4jsEncode(src) ?? lz4EncodeBlock(src); // lz4js gives up on inputs without matches
        expect(same(lz4DecodeBlock(enc, src.length), src)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  const bad: Array<[string, number[], number, RegExp]> = [
    ['empty input', [], 0, /empty/],
    ['offset 0', [0x10, 0x41, 0x00, 0x00, 0x00], 10, /offset 0/],
    ['offset before the start of the output', [0x10, 0x41, 0x02, 0x00, 0x00], 10, /before the start/],
    ['literals past the end of the input', [0x50, 1, 2, 3], 5, /overruns the input/],
    ['input ends in a literal length', [0xf0, 255, 255], 600, /literal length/],
    ['input ends in a match offset', [0x10, 0x41, 0x01], 10, /match offset/],
    ['input ends in a match length', [0x1f, 0x41, 0x01, 0x00, 255], 300, /match length/],
    ['a match beyond the output size', [0x1f, 0x41, 0x01, 0x00, 10, 0x00], 10, /overruns/],
    ['literals beyond the output size', [0x40, 1, 2, 3, 4], 3, /overruns/],
    ['fewer bytes than the expected size', [0x30, 1, 2, 3], 4, /decoded 3 bytes, expected 4/],
  ];
  for (const [what, bytes, size, reason] of bad) {
    it(`refuses ${what}`, () => {
      expect(formatErrorOf(() => lz4DecodeBlock(Uint8Array.from(bytes), size))?.reason).toMatch(reason);
    });
  }

  it('refuses a decoded size the input could never reach, without allocating it', () => {
    expect(() => lz4DecodeBlock(Uint8Array.from([0x00]), 2 ** 40)).toThrow(FormatError);
    expect(() => lz4DecodeBlockUpTo(Uint8Array.from([0x1f, 0x41, 0x01, 0x00, 250, 0x00]), 100)).toThrow(/exceeds 100 bytes/);
  });

  it('every truncation and byte mutation of valid blocks decodes to the exact size or throws FormatError', () => {
    const sources = [goldenRaw('two_labels_checker').subarray(0, 20000), goldenRaw('bits_sweep').subarray(0, 30000)];
    fc.assert(
      fc.property(
        fc.constantFrom(...sources),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (src, mutations, cut) => {
          let enc = lz4EncodeBlock(src);
          for (const [pos, val] of mutations) enc[pos % enc.length] = val;
          if (cut !== undefined) enc = enc.subarray(0, cut % (enc.length + 1));
          expect(outcomeOf(() => lz4DecodeBlock(enc, src.length), (out) => out.length === src.length)).toMatch(/^(ok|FormatError)$/);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LZ4 block encoder', () => {
  for (const name of GOLDEN_LZ4) {
    it(`round-trips ${name} and lz4js decodes it exactly`, () => {
      const raw = goldenRaw(name);
      const enc = lz4EncodeBlock(raw);
      expect(enc.length).toBeLessThanOrEqual(lz4CompressBound(raw.length));
      expect(same(lz4DecodeBlock(enc, raw.length), raw)).toBe(true);
      expect(same(lz4jsDecode(enc, raw.length), raw)).toBe(true);
      // within 10 % of liblz4's size for the same input
      expect(enc.length).toBeLessThan(goldenFile(`${name}.lz4`).length * 1.1);
    });
  }

  it('emits real matches, overlapping ones included (offset < length)', () => {
    const solid = goldenRaw('solid_single_label');
    const enc = lz4EncodeBlock(solid);
    expect(enc.length).toBeLessThan(solid.length / 200);
    const seqs = sequences(enc);
    expect(seqs.some((q) => q.offset > 0 && q.offset < q.matchLength)).toBe(true);
    const checker = sequences(lz4EncodeBlock(goldenRaw('two_labels_checker')));
    expect(checker.filter((q) => q.offset > 0).length).toBeGreaterThan(10);
  });

  it('keeps the LZ4 end-of-block rules: last 5 bytes literal, last match starts ≥ 12 bytes before the end', () => {
    fc.assert(
      fc.property(structured, (src) => {
        const seqs = sequences(lz4EncodeBlock(src));
        const last = seqs.at(-1)!;
        expect(last.matchLength).toBe(0);
        expect(last.literals).toBeGreaterThanOrEqual(Math.min(5, src.length));
        for (const q of seqs.slice(0, -1)) {
          expect(q.start + q.literals).toBeLessThanOrEqual(src.length - 12);
          expect(q.offset).toBeGreaterThan(0);
          expect(q.offset).toBeLessThanOrEqual(65535);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips anything, and lz4js reads every block it writes', () => {
    fc.assert(
      fc.property(fc.oneof(structured, fc.uint8Array({ maxLength: 3000 })), (src) => {
        const enc = lz4EncodeBlock(src);
        expect(same(lz4DecodeBlock(enc, src.length), src)).toBe(true);
        expect(same(lz4jsDecode(enc, src.length), src)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('handles the tiny and empty inputs that have no room for a match', () => {
    for (let n = 0; n < 20; n++) {
      const src = new Uint8Array(n).fill(7);
      const enc = lz4EncodeBlock(src);
      expect(same(lz4DecodeBlock(enc, n), src)).toBe(true);
    }
    expect(Array.from(lz4EncodeBlock(new Uint8Array(0)))).toEqual([0]);
  });

  it('finds matches up to 65535 bytes back and no further', () => {
    const pattern = Uint8Array.from({ length: 1000 }, (_, i) => (i * 131 + 7) & 255);
    for (const gap of [60000, 70000]) {
      const src = new Uint8Array(gap + 2000);
      src.set(pattern, 0);
      for (let i = 1000; i < gap; i++) src[i] = (i * 2654435761) >>> 24; // noise in between
      src.set(pattern, gap);
      const seqs = sequences(lz4EncodeBlock(src));
      expect(seqs.every((q) => q.offset <= 65535)).toBe(true);
      expect(same(lz4DecodeBlock(lz4EncodeBlock(src), src.length), src)).toBe(true);
    }
  });
});
