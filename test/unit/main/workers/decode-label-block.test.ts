/**
 * The block decode task against DVID's own golden blocks (test/fixtures/dvid-golden): whatever form
 * the payload arrives in, the stored bytes are the Block serialization, the hash is its sha256, and
 * the histogram equals a count made directly from the raw voxels (not through the decoder).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../../../main/formats/format-error';
import { lz4EncodeBlock } from '../../../../main/formats/lz4';
import { WorkerPool } from '../../../../main/workers/pool';
import { decodeLabelBlockTask } from '../../../../main/workers/tasks/decode-label-block';
import { decodeLabelBlockPayload } from '../../../../main/workers/tasks/decode-label-block.handler';
import { unpackLabelCounts } from '../../../../main/workers/tasks/label-counts';
import { labelsAtPoints } from '../../../../main/workers/tasks/labels-at-points.handler';
import { GOLDEN_BLOCKS, goldenFile, goldenRaw, goldenVoxels, type GoldenName } from '../../../support/golden';

function shape(name: GoldenName): [number, number, number] {
  return name === 'tiny16' ? [16, 16, 16] : [64, 64, 64];
}

/** label → voxel count, straight from the raw volume. */
function countVoxels(voxels: BigUint64Array): Map<bigint, number> {
  const m = new Map<bigint, number>();
  for (const v of voxels) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function histogramMap(packed: Uint8Array): Map<bigint, number> {
  const { labels, counts } = unpackLabelCounts(packed);
  for (let i = 1; i < labels.length; i++) expect(labels[i - 1]! < labels[i]!).toBe(true);
  return new Map([...labels].map((l, i) => [l, counts[i]!]));
}

describe('decodeLabelBlock task', () => {
  for (const name of GOLDEN_BLOCKS) {
    it(`stores ${name} as its Block bytes with the exact per-label voxel counts, from every payload form`, () => {
      const block = goldenFile(`${name}.dvidblk`);
      const bs = shape(name);
      const truth = countVoxels(goldenVoxels(name));
      const forms: Array<[string, Uint8Array]> = [
        ['gzip (as DVID sends it)', name === 'tiny16' ? new Uint8Array(gzipSync(block)) : goldenFile(`${name}.dvidblk.gz`)],
        ['plain Block', block],
        ['raw LZ4 of the Block (LZ4-stored instance)', lz4EncodeBlock(block)],
      ];
      for (const [form, payload] of forms) {
        const r = decodeLabelBlockPayload({ payload, compression: 'blocks', blockSize: bs });
        expect(Buffer.from(r.data).equals(Buffer.from(block)), form).toBe(true);
        expect(Buffer.from(r.hash).toString('hex'), form).toBe(createHash('sha256').update(block).digest('hex'));
        expect([r.gx, r.gy, r.gz]).toEqual(bs.map((n) => n / 8));
        expect(histogramMap(r.labels), form).toEqual(truth);
        expect(r.labelCount).toBe(truth.size);
      }
    });
  }

  it('re-encodes a raw-LZ4 voxel payload (compression=lz4) to a Block with the same voxels', () => {
    const raw = goldenRaw('bits_sweep');
    const r = decodeLabelBlockPayload({ payload: lz4EncodeBlock(raw), compression: 'lz4', blockSize: [64, 64, 64] });
    expect(histogramMap(r.labels)).toEqual(countVoxels(goldenVoxels('bits_sweep')));
    // The stored Block reads back to the same voxels at random points.
    const voxels = goldenVoxels('bits_sweep');
    const pts = Int32Array.from({ length: 300 }, (_, i) => (i * 7919) % 64);
    const { labels } = labelsAtPoints({ data: r.data, points: pts });
    for (let i = 0; i < 100; i++) expect(labels[i]).toBe(voxels[(pts[3 * i + 2]! * 64 + pts[3 * i + 1]!) * 64 + pts[3 * i]!]);
  });

  it('refuses bad payloads with a FormatError and returns nothing partial', () => {
    const gz = goldenFile('random_1000_labels.dvidblk.gz');
    const corrupt = new Uint8Array(gz);
    corrupt.fill(0x55, 40, 60);
    const block = goldenFile('random_1000_labels.dvidblk');
    const cases: Array<[string, Uint8Array, [number, number, number]]> = [
      ['corrupt gzip', corrupt, [64, 64, 64]],
      ['truncated gzip', gz.subarray(0, gz.length >> 1), [64, 64, 64]],
      ['truncated Block', block.subarray(0, block.length - 100), [64, 64, 64]],
      ['wrong block size', block, [32, 32, 32]],
      ['noise', new Uint8Array(5000).fill(0xa7), [64, 64, 64]],
    ];
    for (const [what, payload, bs] of cases) {
      expect(() => decodeLabelBlockPayload({ payload, compression: 'blocks', blockSize: bs }), what).toThrow(FormatError);
    }
    // A gzip bomb stops at the bound instead of allocating.
    const bomb = gzipSync(Buffer.alloc(64 << 20));
    expect(() => decodeLabelBlockPayload({ payload: bomb, compression: 'blocks', blockSize: [64, 64, 64] })).toThrow(/exceeds|corrupt|FormatError|label-block/);
  });
});

describe('labelsAtPoints task', () => {
  it('reads the label of each point of a stored block', () => {
    const block = goldenFile('tiny16.dvidblk');
    const voxels = goldenVoxels('tiny16');
    const pts: number[] = [];
    for (let i = 0; i < 64; i++) pts.push(i % 16, (i * 5) % 16, (i * 11) % 16);
    const { labels } = labelsAtPoints({ data: block, points: Int32Array.from(pts) });
    for (let i = 0; i < 64; i++) expect(labels[i]).toBe(voxels[(pts[3 * i + 2]! * 16 + pts[3 * i + 1]!) * 16 + pts[3 * i]!]);
    expect(() => labelsAtPoints({ data: block, points: Int32Array.from([16, 0, 0]) })).toThrow(FormatError);
  });
});

describe('through the worker pool', () => {
  const pool = new WorkerPool({ size: 1 });
  afterAll(() => pool.close());

  it('runs the registered production handler and transfers the result back', async () => {
    const gz = goldenFile('bits_sweep.dvidblk.gz');
    const r = await pool.run(decodeLabelBlockTask, { payload: gz, compression: 'blocks', blockSize: [64, 64, 64] });
    expect(Buffer.from(r.data).equals(Buffer.from(goldenFile('bits_sweep.dvidblk')))).toBe(true);
    expect(histogramMap(r.labels)).toEqual(countVoxels(goldenVoxels('bits_sweep')));
    const bad = await pool.run(decodeLabelBlockTask, { payload: gz.subarray(0, 100), compression: 'blocks', blockSize: [64, 64, 64] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(FormatError);
  });
});
