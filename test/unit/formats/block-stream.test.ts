import * as fc from 'fast-check';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BlockStreamParser,
  BlockStreamServerError,
  decodeBlockPayload,
  encodeBlockRecord,
  parseBlockStream,
  type BlockCompression,
  type BlockRecord,
} from '../../../main/formats/block-stream';
import { encodeLabelBlock, type LabelVolume } from '../../../main/formats/label-block';
import { lz4EncodeBlock } from '../../../main/formats/lz4';
import { bytesOfU64 } from '../../../main/formats/u64-lanes';
import { formatErrorOf, outcomeOf } from '../../support/format-errors';
import { goldenFile, goldenRaw } from '../../support/golden';
import { neuronTubes, volumeFrom } from '../../support/label-volumes';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function payloadFor(vol: LabelVolume, compression: BlockCompression): Uint8Array {
  const raw = bytesOfU64(vol.voxels);
  switch (compression) {
    case 'blocks':
      return new Uint8Array(gzipSync(encodeLabelBlock(vol)));
    case 'lz4':
      return lz4EncodeBlock(raw);
    case 'gzip':
      return new Uint8Array(gzipSync(raw));
    case 'uncompressed':
      return raw.slice();
  }
}


// A small multi-block stream as DVID sends it: completion order, negative coordinates, 16³ blocks.
const coords: Array<[number, number, number]> = [
  [3, -1, 0],
  [-2, 0, 7],
  [0, 0, 0],
  [-2147483648, 2147483647, -1],
  [1, 1, -5],
];
const volumes = coords.map(([x, y, z], i) => volumeFrom(16, 16, 16, (vx, vy, vz) => BigInt(i * 1000 + ((vx + x) & 3) + ((vy + vz + y + z) & 1) * 10) + (i === 3 ? 2n ** 63n : 0n)));

describe('BlockStreamParser', () => {
  const stream = concat(coords.map(([x, y, z], i) => encodeBlockRecord(x, y, z, payloadFor(volumes[i]!, 'blocks'))));

  /** True when the records are the stream's blocks, in its order, decoding to its volumes. */
  function isTheStream(records: BlockRecord[]): boolean {
    return (
      records.length === coords.length &&
      records.every((r, i) => {
        const vol = decodeBlockPayload(r.payload, 'blocks', [16, 16, 16]);
        return [r.bx, r.by, r.bz].join() === coords[i]!.join() && same(bytesOfU64(vol.voxels), bytesOfU64(volumes[i]!.voxels));
      })
    );
  }

  it('parses out-of-order records with negative and extreme int32 coordinates', () => {
    const records = parseBlockStream(stream);
    expect(records.map((r) => [r.bx, r.by, r.bz])).toEqual(coords);
    expect(isTheStream(records)).toBe(true);
  });

  it('gives the same records whatever the stream is split at: every single offset, and byte by byte', () => {
    const whole = parseBlockStream(stream);
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new BlockStreamParser();
      const records = [...p.push(stream.subarray(0, cut)), ...p.push(stream.subarray(cut))];
      p.finish();
      expect(records.length).toBe(coords.length);
      expect(p.bytesConsumed).toBe(stream.length);
      expect(records.map((r) => [r.bx, r.by, r.bz])).toEqual(coords);
      expect(records.map((r) => r.payload.length)).toEqual(whole.map((r) => r.payload.length));
      expect(records.every((r, i) => same(r.payload, whole[i]!.payload))).toBe(true);
    }
    const p = new BlockStreamParser();
    const records: BlockRecord[] = [];
    for (let i = 0; i < stream.length; i++) records.push(...p.push(stream.subarray(i, i + 1)));
    p.finish();
    expect(isTheStream(records)).toBe(true);
  });

  it('gives the same records for random chunkings (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: stream.length }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.toSorted((a, b) => a - b), stream.length];
        const p = new BlockStreamParser();
        const records: BlockRecord[] = [];
        for (let i = 1; i < points.length; i++) records.push(...p.push(stream.subarray(points[i - 1], points[i])));
        p.finish();
        expect(records.map((r) => [r.bx, r.by, r.bz])).toEqual(coords);
      }),
      { numRuns: 100 },
    );
  });

  it('carries raw-LZ4 payloads (the default /blocks codec) as well, split anywhere', () => {
    const lzStream = concat(coords.map(([x, y, z], i) => encodeBlockRecord(x, y, z, payloadFor(volumes[i]!, 'lz4'))));
    for (const cut of [0, 7, 16, 17, 100, lzStream.length - 1]) {
      const p = new BlockStreamParser();
      const records = [...p.push(lzStream.subarray(0, cut)), ...p.push(lzStream.subarray(cut))];
      p.finish();
      expect(records.map((r) => [r.bx, r.by, r.bz])).toEqual(coords);
      const decoded = records.map((r) => decodeBlockPayload(r.payload, 'lz4', [16, 16, 16]).voxels);
      expect(decoded.every((v, i) => same(bytesOfU64(v), bytesOfU64(volumes[i]!.voxels)))).toBe(true);
    }
  });

  it('payloads are copies: reusing the chunk buffer does not change them', () => {
    const chunk = new Uint8Array(stream);
    const p = new BlockStreamParser();
    const records = p.push(chunk);
    chunk.fill(0);
    expect(isTheStream(records)).toBe(true);
  });

  it('accepts an empty body (no stored blocks) and zero-length payloads', () => {
    expect(parseBlockStream(new Uint8Array(0))).toEqual([]);
    const recs = parseBlockStream(concat([encodeBlockRecord(1, 2, 3, new Uint8Array(0)), encodeBlockRecord(4, 5, 6, Uint8Array.of(9))]));
    expect(recs.map((r) => [r.bx, r.by, r.bz, r.payload.length])).toEqual([
      [1, 2, 3, 0],
      [4, 5, 6, 1],
    ]);
  });

  it('reports a stream that ends inside a header or inside a payload', () => {
    for (const cut of [1, 15, 16, 17, stream.length - 1]) {
      const p = new BlockStreamParser();
      p.push(stream.subarray(0, cut));
      expect(formatErrorOf(() => p.finish())?.reason).toMatch(/ended inside/);
    }
  });

  it('reports DVID error text appended after a 200, with the server message', () => {
    const message = 'error transcoding block (3,-1,0): some failure (/api/node/abc/segmentation/blocks/64_64_64/0_0_0).\n';
    const errText = new TextEncoder().encode(message);
    for (const tail of [errText, errText.subarray(0, 10)]) {
      const body = concat([stream, tail]);
      for (const cut of [stream.length + 3, stream.length - 7, body.length]) {
        const p = new BlockStreamParser();
        const records = [...p.push(body.subarray(0, cut)), ...p.push(body.subarray(cut))];
        expect(records.length).toBe(coords.length);
        const err = formatErrorOf(() => p.finish());
        expect(err?.reason).toMatch(/server error/);
        expect(err).toBeInstanceOf(BlockStreamServerError);
        expect((err as BlockStreamServerError).serverMessage).toBe(new TextDecoder().decode(tail).trimEnd());
        expect(err?.offset).toBe(stream.length);
      }
    }
    // an error text as the whole body
    const err = formatErrorOf(() => parseBlockStream(errText));
    expect((err as BlockStreamServerError).serverMessage).toContain('some failure');
  });

  it('refuses a payload larger than the bound before allocating it, and binary junk where a header belongs', () => {
    const huge = encodeBlockRecord(0, 0, 0, new Uint8Array(0));
    new DataView(huge.buffer).setUint32(12, 0xfffffff0, true);
    const p = new BlockStreamParser();
    expect(formatErrorOf(() => p.push(huge))?.reason).toMatch(/exceeds the bound/);
    const small = new BlockStreamParser({ maxPayloadBytes: 100 });
    expect(formatErrorOf(() => small.push(encodeBlockRecord(0, 0, 0, new Uint8Array(101))))?.reason).toMatch(/exceeds the bound of 100/);
    // text header followed by binary bytes: not an error message
    const mixed = concat([new TextEncoder().encode('abcdefghijklmnop'), Uint8Array.of(0, 1, 2)]);
    expect(formatErrorOf(() => new BlockStreamParser().push(mixed))?.reason).toMatch(/neither a record nor error text/);
  });

  it('hands out the records completed before bad bytes in the same chunk, and fails on the next call', () => {
    const good = [encodeBlockRecord(1, 2, 3, Uint8Array.of(9, 9)), encodeBlockRecord(-4, 5, 6, Uint8Array.of(7))];
    const bad = encodeBlockRecord(0, 0, 0, new Uint8Array(0));
    new DataView(bad.buffer).setUint32(12, 0xfffffff0, true);
    const p = new BlockStreamParser();
    const records = p.push(concat([...good, bad]));
    expect(records.map((r) => [r.bx, r.by, r.bz, Array.from(r.payload)])).toEqual([
      [1, 2, 3, [9, 9]],
      [-4, 5, 6, [7]],
    ]);
    expect(formatErrorOf(() => p.push(Uint8Array.of(1)))?.reason).toMatch(/exceeds the bound/);
    expect(formatErrorOf(() => p.finish())?.reason).toMatch(/exceeds the bound/);
  });

  it('every truncation and mutation of a stream yields records or a FormatError (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), (mutations, cut) => {
        const body = new Uint8Array(stream.subarray(0, cut % (stream.length + 1)));
        for (const [pos, val] of mutations) if (body.length) body[pos % body.length] = val;
        let records: BlockRecord[] = [];
        expect(outcomeOf(() => (records = parseBlockStream(body, { maxPayloadBytes: 1 << 20 })))).toMatch(/^(ok|FormatError)$/);
        for (const r of records) expect(outcomeOf(() => decodeBlockPayload(r.payload, 'blocks', [16, 16, 16]))).toMatch(/^(ok|FormatError)$/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodeBlockPayload', () => {
  const vol = neuronTubes(5, 64, 3, 4);
  const compressions: BlockCompression[] = ['blocks', 'lz4', 'gzip', 'uncompressed'];

  for (const c of compressions) {
    it(`decodes a ${c} payload of a 64³ block`, () => {
      const out = decodeBlockPayload(payloadFor(vol, c), c, [64, 64, 64]);
      expect([out.nx, out.ny, out.nz]).toEqual([64, 64, 64]);
      expect(same(bytesOfU64(out.voxels), bytesOfU64(vol.voxels))).toBe(true);
    });
  }

  it('decodes into a reused (dirty) array for every compression', () => {
    const into = new BigUint64Array(64 ** 3).fill(0xabcdefn);
    for (const c of compressions) {
      into.fill(BigInt(c.length));
      const out = decodeBlockPayload(payloadFor(vol, c), c, [64, 64, 64], { into });
      expect(out.voxels).toBe(into);
      expect(same(bytesOfU64(into), bytesOfU64(vol.voxels))).toBe(true);
    }
    expect(() => decodeBlockPayload(payloadFor(vol, 'lz4'), 'lz4', [64, 64, 64], { into: new BigUint64Array(5) })).toThrow(RangeError);
  });

  it('decodes the golden per-block payloads: DVID gzip of a Block and liblz4 raw voxels', () => {
    for (const name of ['two_labels_checker', 'bits_sweep', 'random_1000_labels'] as const) {
      const raw = goldenRaw(name);
      expect(same(bytesOfU64(decodeBlockPayload(goldenFile(`${name}.dvidblk.gz`), 'blocks', [64, 64, 64]).voxels), raw)).toBe(true);
      expect(same(bytesOfU64(decodeBlockPayload(goldenFile(`${name}.lz4`), 'lz4', [64, 64, 64]).voxels), raw)).toBe(true);
    }
  });

  it('blocks: a plain (not gzipped) Block passes too, as an uncompressed-storage instance sends it', () => {
    const out = decodeBlockPayload(goldenFile('bits_sweep.dvidblk'), 'blocks', [64, 64, 64]);
    expect(same(bytesOfU64(out.voxels), goldenRaw('bits_sweep'))).toBe(true);
  });

  it('lz4: LZ4 of a Block serialization (an LZ4-storage instance passing its bytes through) is read too', () => {
    const out = decodeBlockPayload(lz4EncodeBlock(goldenFile('bits_sweep.dvidblk')), 'lz4', [64, 64, 64]);
    expect(same(bytesOfU64(out.voxels), goldenRaw('bits_sweep'))).toBe(true);
  });

  it('refuses sizes that do not match the block size', () => {
    const raw = bytesOfU64(vol.voxels);
    expect(formatErrorOf(() => decodeBlockPayload(raw.subarray(8), 'uncompressed', [64, 64, 64]))?.reason).toMatch(/uint64 block is 2097152/);
    expect(formatErrorOf(() => decodeBlockPayload(new Uint8Array(gzipSync(raw.subarray(8))), 'gzip', [64, 64, 64]))?.reason).toMatch(/gunzipped 2097144 bytes/);
    expect(formatErrorOf(() => decodeBlockPayload(new Uint8Array(gzipSync(concat([raw, raw]))), 'gzip', [64, 64, 64]))?.reason).toMatch(/exceeds the bound/);
    expect(formatErrorOf(() => decodeBlockPayload(lz4EncodeBlock(raw.subarray(8)), 'lz4', [64, 64, 64]))).toBeDefined();
    expect(formatErrorOf(() => decodeBlockPayload(payloadFor(vol, 'blocks'), 'blocks', [32, 64, 64]))?.reason).toMatch(/expected 32×64×64/);
  });

  it('bounds gunzip of a gzip bomb posing as a Block', () => {
    const bomb = new Uint8Array(gzipSync(new Uint8Array(16 * 1024 * 1024)));
    expect(bomb.length).toBeLessThan(50_000);
    expect(formatErrorOf(() => decodeBlockPayload(bomb, 'blocks', [64, 64, 64]))?.reason).toMatch(/exceeds the bound/);
  });

  it('corrupt gzip is a FormatError', () => {
    const gz = payloadFor(vol, 'blocks');
    expect(formatErrorOf(() => decodeBlockPayload(gz.subarray(0, gz.length - 4), 'blocks', [64, 64, 64]))?.reason).toMatch(/gunzip failed/);
    const flipped = new Uint8Array(gz);
    flipped[20] ^= 0xff;
    expect(formatErrorOf(() => decodeBlockPayload(flipped, 'blocks', [64, 64, 64]))).toBeDefined();
    expect(gunzipSync(gz).length).toBeGreaterThan(0);
  });
});
