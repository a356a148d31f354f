/**
 * Reading the demo's segmentation the way a client does: block streams parsed with the codecs,
 * payloads decoded with the codecs. Nothing here looks at the generator's arrays.
 */
import { BlockStreamParser } from '../../main/formats/block-stream';
import { decodeLabelBlockToPalette, readLabelBlockHeader, type LabelBlockPalette } from '../../main/formats/label-block';
import { gunzip, http } from './demo';

export interface FetchedBlock {
  bx: number;
  by: number;
  bz: number;
  /** payload as served (gzip for compression=blocks) */
  payload: Uint8Array;
}

export async function fetchBlocks(base: string, path: string): Promise<FetchedBlock[]> {
  const r = await http(base, path);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text.slice(0, 200)}`);
  const parser = new BlockStreamParser();
  const out = parser.push(r.body);
  parser.finish();
  return out;
}

export interface DecodedBlock extends FetchedBlock {
  n: number;
  table: BigUint64Array;
  pal: LabelBlockPalette;
}

export function decodeGz(b: FetchedBlock): DecodedBlock {
  const raw = gunzip(b.payload);
  const h = readLabelBlockHeader(raw);
  return { ...b, n: h.n, table: h.table, pal: decodeLabelBlockToPalette(raw) };
}

export const key = (x: number, y: number, z: number): string => `${x},${y},${z}`;

/** The label at a voxel of a decoded 64³ block (ZYX, x fastest). */
export function voxel(pal: LabelBlockPalette, x: number, y: number, z: number): bigint {
  return pal.palette[pal.indices[(z * pal.ny + y) * pal.nx + x]!]!;
}

/** Volume lookup over decoded blocks keyed "bx,by,bz" (absent = 0). */
export function volumeReader(blocks: ReadonlyMap<string, DecodedBlock>, B = 64): (x: number, y: number, z: number) => bigint {
  return (x, y, z) => {
    const bx = Math.floor(x / B), by = Math.floor(y / B), bz = Math.floor(z / B);
    const b = blocks.get(key(bx, by, bz));
    return b ? voxel(b.pal, x - bx * B, y - by * B, z - bz * B) : 0n;
  };
}
