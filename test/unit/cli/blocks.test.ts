import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseShape, runDecodeBlock, runEncodeBlock } from '../../../main/cli/blocks';
import { runInspect } from '../../../main/cli/inspect';
import { blockStreamInspector } from '../../../main/cli/inspect/block-stream';
import { labelBlockInspector } from '../../../main/cli/inspect/label-block';
import { UsageError } from '../../../main/cli/options';
import { encodeBlockRecord } from '../../../main/formats/block-stream';
import { FormatError } from '../../../main/formats/format-error';
import { encodeLabelBlock, mapLabelBlockTable } from '../../../main/formats/label-block';
import { lz4EncodeBlock } from '../../../main/formats/lz4';
import { GOLDEN_DIR, goldenFile, goldenRaw } from '../../support/golden';
import { volumeFrom } from '../../support/label-volumes';

let dir: string;
let errors: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dd-blocks-'));
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('decode-block', () => {
  it('writes the raw voxels of a block, plain or gzipped (told from the bytes, not the name)', async () => {
    for (const [file, name] of [
      ['bits_sweep.dvidblk', 'bits_sweep'],
      ['random_1000_labels.dvidblk.gz', 'random_1000_labels'],
      ['tiny16.canonical.dvidblk', 'tiny16'],
    ] as const) {
      const out = join(dir, `${name}.u64`);
      expect(await runDecodeBlock(join(GOLDEN_DIR, file), out)).toBe(0);
      expect(same(readFileSync(out), goldenRaw(name))).toBe(true);
    }
    const renamed = join(dir, 'no-extension');
    writeFileSync(renamed, goldenFile('two_labels_checker.dvidblk.gz'));
    expect(await runDecodeBlock(renamed, join(dir, 'c.u64'))).toBe(0);
    expect(same(readFileSync(join(dir, 'c.u64')), goldenRaw('two_labels_checker'))).toBe(true);
  });

  it('reports unreadable input on stderr with status 1', async () => {
    const bad = join(dir, 'bad.dvidblk');
    writeFileSync(bad, goldenFile('tiny16.dvidblk').subarray(0, 100));
    expect(await runDecodeBlock(bad, join(dir, 'x'))).toBe(1);
    expect(errors.join('\n')).toMatch(/bad\.dvidblk: label-block: .* \(at byte \d+\)/);
  });
});

describe('encode-block', () => {
  it('writes the canonical encoding, byte for byte with DVID vectors, from raw or gzipped voxels', async () => {
    const raw = join(dir, 'bits.u64');
    writeFileSync(raw, goldenRaw('bits_sweep'));
    const out = join(dir, 'bits.dvidblk');
    expect(await runEncodeBlock(raw, out, { shape: '64,64,64' })).toBe(0);
    expect(same(readFileSync(out), goldenFile('bits_sweep.canonical.dvidblk'))).toBe(true);
    expect(await runEncodeBlock(join(GOLDEN_DIR, 'tiny16.u64.gz'), out, { shape: '16,16,16' })).toBe(0);
    expect(same(readFileSync(out), goldenFile('tiny16.canonical.dvidblk'))).toBe(true);
    expect(await runEncodeBlock(join(GOLDEN_DIR, 'tiny16.u64.gz'), out, { shape: '16,16,16', gzip: true })).toBe(0);
    expect(same(gunzipSync(readFileSync(out)), goldenFile('tiny16.canonical.dvidblk'))).toBe(true);
  });

  it('a size that does not match --shape is a FormatError (status 1); a bad --shape a usage error', async () => {
    const raw = join(dir, 'short.u64');
    writeFileSync(raw, new Uint8Array(16 * 16 * 16 * 8 - 8));
    expect(await runEncodeBlock(raw, join(dir, 'x'), { shape: '16,16,16' })).toBe(1);
    expect(errors.join('\n')).toMatch(/32760 bytes of voxels, a 16×16×16 uint64 block is 32768/);
    for (const shape of [undefined, '64,64', '8,16,16', '64,64,63', 'a,b,c', '2048,16,16']) {
      expect(() => parseShape(shape)).toThrow(UsageError);
    }
    expect(parseShape('64,32,16')).toEqual([64, 32, 16]);
  });
});

describe('label block inspector', () => {
  it('reports grid, table, distinct labels, solidity and the top labels', async () => {
    const facts = await labelBlockInspector.inspect(goldenFile('tiny16.dvidblk'), 'tiny16.dvidblk');
    expect(facts).toMatchObject({
      gzipped: false,
      grid: [2, 2, 2],
      shape: [16, 16, 16],
      tableSize: 6,
      distinctLabels: 6,
      solid: false,
      uniform: false,
      duplicateTableEntries: 0,
      emptySubblocks: 0,
    });
    // 5 all-zero sub-blocks = 2560 voxels of 0; label 9: 256 + 512
    const top = facts.topLabels as Array<{ label: string; voxels: number }>;
    expect(top[0]).toEqual({ label: '0', voxels: 2560 });
    expect(top[1]).toEqual({ label: '9', voxels: 768 });
    expect(top.reduce((a, t) => a + t.voxels, 0)).toBe(4096);
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts); // JSON-ready
  });

  it('reads gzipped blocks and reports mapped duplicates, uniform N>1 blocks and at most 10 labels', async () => {
    const mapped = mapLabelBlockTable(goldenFile('two_labels_checker.dvidblk'), () => 18446744073709551615n);
    const facts = await labelBlockInspector.inspect(new Uint8Array(gzipSync(mapped)), 'm.dvidblk.gz');
    expect(facts).toMatchObject({ gzipped: true, tableSize: 2, distinctLabels: 1, duplicateTableEntries: 1, solid: false, uniform: true });
    expect(facts.topLabels).toEqual([{ label: '18446744073709551615', voxels: 262144 }]);
    const many = await labelBlockInspector.inspect(goldenFile('random_1000_labels.dvidblk.gz'), 'r.gz');
    expect((many.topLabels as unknown[]).length).toBe(10);
    const solid = await labelBlockInspector.inspect(goldenFile('solid_single_label.dvidblk'), 's');
    expect(solid).toMatchObject({ solid: true, uniform: true, distinctLabels: 1, topLabels: [{ label: '1234567890123', voxels: 262144 }] });
  });

  it('sniffs plain and gzipped blocks, not other things', () => {
    expect(labelBlockInspector.sniff(goldenFile('bits_sweep.dvidblk'))).toBe(true);
    expect(labelBlockInspector.sniff(goldenFile('bits_sweep.dvidblk.gz'))).toBe(true);
    expect(labelBlockInspector.sniff(goldenFile('bits_sweep.lz4'))).toBe(false);
    expect(labelBlockInspector.sniff(new TextEncoder().encode('# an SWC file\n1 1 0 0 0 1 -1\n'))).toBe(false);
    expect(labelBlockInspector.sniff(goldenFile('tiny16.u64.gz'))).toBe(false);
  });

  it('unreadable blocks throw FormatError', async () => {
    await expect(labelBlockInspector.inspect(goldenFile('tiny16.dvidblk').subarray(0, 50), 'x')).rejects.toBeInstanceOf(FormatError);
  });
});

describe('block stream inspector', () => {
  const vol = volumeFrom(16, 16, 16, (x, y) => BigInt(x + y));
  const stream = Buffer.concat([
    encodeBlockRecord(2, -1, 0, new Uint8Array(gzipSync(encodeLabelBlock(vol)))),
    encodeBlockRecord(-3, 4, 5, lz4EncodeBlock(new Uint8Array(vol.voxels.buffer))),
    encodeBlockRecord(2, -1, 0, encodeLabelBlock(vol)),
  ]);

  it('reports record count, coordinates and what the payloads are', async () => {
    const facts = await blockStreamInspector.inspect(new Uint8Array(stream), 's.blocks');
    expect(facts).toMatchObject({
      records: 3,
      distinctCoordinates: 2,
      coordinates: [
        [2, -1, 0],
        [-3, 4, 5],
        [2, -1, 0],
      ],
      bounds: { min: [-3, -1, 0], max: [2, 4, 5] },
      blockShapes: { '16x16x16': 2 },
    });
    expect(Object.values(facts.payloads as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(3);
    expect(Object.keys(facts.payloads as object)).toContain('gzip of a DVID block (compression=blocks)');
  });

  it('sniffs well-framed streams only; a truncated stream or server error text is a FormatError', async () => {
    expect(blockStreamInspector.sniff(new Uint8Array(stream))).toBe(true);
    expect(blockStreamInspector.sniff(new Uint8Array(stream.subarray(0, stream.length - 1)))).toBe(false);
    expect(blockStreamInspector.sniff(goldenFile('tiny16.dvidblk'))).toBe(false);
    await expect(blockStreamInspector.inspect(new Uint8Array(stream.subarray(0, 40)), 'x')).rejects.toBeInstanceOf(FormatError);
    const withError = Buffer.concat([stream, Buffer.from('datastore error (/api/node/x/seg/blocks).\n')]);
    await expect(blockStreamInspector.inspect(new Uint8Array(withError), 'x')).rejects.toThrow(/datastore error/);
  });
});

describe('inspect with the registry', () => {
  it('finds blocks by extension (.dvidblk.gz too) and streams by content, one JSON line each', async () => {
    const stream = join(dir, 'saved-response');
    writeFileSync(stream, encodeBlockRecord(-1, 2, 3, goldenFile('tiny16.dvidblk')));
    const lines: string[] = [];
    const errs: string[] = [];
    const status = await runInspect([join(GOLDEN_DIR, 'two_labels_checker.dvidblk.gz'), join(GOLDEN_DIR, 'tiny16.dvidblk'), stream], {}, { out: (l) => lines.push(l), err: (l) => errs.push(l) });
    expect(errs).toEqual([]);
    expect(status).toBe(0);
    const facts = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(facts.map((f) => f.format)).toEqual(['block', 'block', 'stream']);
    expect(facts[0]).toMatchObject({ gzipped: true, tableSize: 2, distinctLabels: 2 });
    expect(facts[2]).toMatchObject({ records: 1, coordinates: [[-1, 2, 3]] });
  });
});
