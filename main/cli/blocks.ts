/**
 * `dvid-desk decode-block IN OUT` and `dvid-desk encode-block IN OUT --shape X,Y,Z`: convert between a
 * DVID compressed label Block (DVID-API.md §5; gzipped or not, told by its bytes) and raw voxels
 * (uint64 little-endian, ZYX order, x fastest, as `GET /raw` returns them).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { labelBlockByteBound } from '../formats/block-payload';
import { FormatError } from '../formats/format-error';
import { gunzipBounded, isGzip } from '../formats/gzip';
import { DEFAULT_MAX_BLOCK_VOXELS, decodeLabelBlock, encodeLabelBlock } from '../formats/label-block';
import { bytesOfU64, u64FromBytes } from '../formats/u64-lanes';
import { UsageError } from './options';

export interface EncodeBlockOptions {
  shape?: string;
  gzip?: boolean;
}

/** "64,64,64" → [64, 64, 64]: each a multiple of 8 in 16..1024, as DVID encodes blocks. */
export function parseShape(raw: string | undefined): [number, number, number] {
  if (raw === undefined) throw new UsageError('--shape X,Y,Z is required (e.g. --shape 64,64,64)');
  const parts = raw.split(/[,x×]/).map((p) => p.trim());
  const dims = parts.map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 16 && d <= 1024 && d % 8 === 0)) {
    throw new UsageError(`--shape "${raw}": expected X,Y,Z, each a multiple of 8 from 16 to 1024 (DVID's block geometry)`);
  }
  return dims as [number, number, number];
}

async function reportingFormatErrors(file: string, run: () => Promise<void>): Promise<number> {
  try {
    await run();
    return 0;
  } catch (err) {
    if (err instanceof FormatError) {
      console.error(`dvid-desk: ${file}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

export async function runDecodeBlock(inPath: string, outPath: string): Promise<number> {
  return reportingFormatErrors(inPath, async () => {
    const bytes = new Uint8Array(await readFile(inPath));
    const block = isGzip(bytes) ? gunzipBounded(bytes, labelBlockByteBound(DEFAULT_MAX_BLOCK_VOXELS), 'label-block') : bytes;
    const vol = decodeLabelBlock(block);
    await writeFile(outPath, bytesOfU64(vol.voxels));
    console.log(`${outPath}: ${vol.nx}×${vol.ny}×${vol.nz} uint64 voxels (${vol.voxels.byteLength} bytes, little-endian, ZYX)`);
  });
}

export async function runEncodeBlock(inPath: string, outPath: string, opts: EncodeBlockOptions): Promise<number> {
  const [nx, ny, nz] = parseShape(opts.shape);
  const expected = nx * ny * nz * 8;
  return reportingFormatErrors(inPath, async () => {
    const bytes = new Uint8Array(await readFile(inPath));
    const raw = isGzip(bytes) ? gunzipBounded(bytes, expected, 'raw-voxels') : bytes;
    if (raw.length !== expected) {
      throw new FormatError('raw-voxels', raw.length, `${raw.length} bytes of voxels, a ${nx}×${ny}×${nz} uint64 block is ${expected}`);
    }
    const block = encodeLabelBlock({ nx, ny, nz, voxels: u64FromBytes(raw) });
    const out = opts.gzip ? gzipSync(block) : block;
    await writeFile(outPath, out);
    console.log(`${outPath}: ${nx}×${ny}×${nz} block, ${block.length} bytes${opts.gzip ? `, ${out.length} gzipped` : ''}`);
  });
}
