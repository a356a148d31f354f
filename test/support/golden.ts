/** The DVID golden vectors copied into test/fixtures/dvid-golden (see its README for provenance). */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export const GOLDEN_DIR = join(import.meta.dirname, '..', 'fixtures', 'dvid-golden');

export const GOLDEN_BLOCKS = ['tiny16', 'solid_single_label', 'two_labels_split_x', 'two_labels_checker', 'bits_sweep', 'random_1000_labels'] as const;
export type GoldenName = (typeof GOLDEN_BLOCKS)[number];

interface ManifestFile {
  file: string;
  bytes: number;
  sha256: string;
}
interface ManifestBlock {
  name: string;
  shape_zyx: [number, number, number];
  unique_labels: number;
  block_label_count_N: number;
  files: ManifestFile[];
}

export const manifest = JSON.parse(readFileSync(join(GOLDEN_DIR, 'manifest.json'), 'utf8')) as { blocks: ManifestBlock[] };

export function manifestBlock(name: GoldenName): ManifestBlock {
  const b = manifest.blocks.find((x) => x.name === name);
  if (!b) throw new Error(`no manifest entry for ${name}`);
  return b;
}

export function goldenFile(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(GOLDEN_DIR, file)));
}

/** Raw uint64 LE ZYX voxel bytes of a golden block. */
export function goldenRaw(name: GoldenName): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(join(GOLDEN_DIR, `${name}.u64.gz`))));
}

export function goldenVoxels(name: GoldenName): BigUint64Array {
  const raw = goldenRaw(name);
  return new BigUint64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
