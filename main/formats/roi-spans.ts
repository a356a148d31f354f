/**
 * DVID roi spans (DVID-API.md §8). `GET /roi` answers a JSON array of spans in BLOCK coordinates:
 *
 *   [[z, y, x0, x1], …]      covers blocks (x0..x1, y, z), x1 INCLUSIVE; sorted by z, y, x0
 *
 * Blocks are 32³ voxels unless the instance says otherwise (Extended.BlockSize). A voxel (x, y, z) is
 * inside iff block (⌊x/bs⌋, ⌊y/bs⌋, ⌊z/bs⌋) is covered: floor division, so −1 is in block −1.
 */
import { FormatError } from './format-error';
import { parseJson } from './json-u64';

const F = 'roi-spans';
export type RoiSpan = [z: number, y: number, x0: number, x1: number];

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
/** Hard bound for expanding spans into individual blocks. */
export const ROI_MAX_BLOCKS = 1 << 26;

function isI32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= I32_MIN && v <= I32_MAX;
}

/** `[[z,y,x0,x1],…]` → spans; `null` (Go's nil slice) → []. Validates int32 coordinates and x0 ≤ x1. */
export function parseRoiSpans(text: string): RoiSpan[] {
  const json = parseJson(text, F);
  if (json === null) return [];
  if (!Array.isArray(json)) throw new FormatError(F, 0, 'expected a JSON array of [z, y, x0, x1] spans');
  const spans: RoiSpan[] = [];
  for (let i = 0; i < json.length; i++) {
    const s: unknown = json[i];
    if (!Array.isArray(s) || s.length !== 4 || !s.every(isI32)) {
      throw new FormatError(F, 0, `span #${i} is not [z, y, x0, x1] with int32 values: ${JSON.stringify(s)?.slice(0, 80)}`);
    }
    if ((s[2] as number) > (s[3] as number)) throw new FormatError(F, 0, `span #${i} has x0 ${s[2]} > x1 ${s[3]}`);
    spans.push([s[0], s[1], s[2], s[3]] as RoiSpan);
  }
  return spans;
}

function countBlocks(spans: readonly RoiSpan[]): number {
  let total = 0;
  for (const s of spans) total += s[3] - s[2] + 1;
  return total;
}

/** Every block of the spans, in span order. Throws FormatError beyond ROI_MAX_BLOCKS blocks. */
export function spansToBlocks(spans: readonly RoiSpan[]): Array<[bx: number, by: number, bz: number]> {
  const total = countBlocks(spans);
  if (total > ROI_MAX_BLOCKS) throw new FormatError(F, 0, `${total} blocks exceeds the limit of ${ROI_MAX_BLOCKS}`);
  const out: Array<[number, number, number]> = [];
  for (const [z, y, x0, x1] of spans) for (let x = x0; x <= x1; x++) out.push([x, y, z]);
  return out;
}

/** Blocks (any order, duplicates allowed) → spans sorted by z, y, x0 with adjacent runs merged. */
export function blocksToSpans(blocks: Iterable<readonly [number, number, number]>): RoiSpan[] {
  const list: Array<readonly [number, number, number]> = Array.from(blocks);
  list.sort((a, b) => a[2] - b[2] || a[1] - b[1] || a[0] - b[0]);
  const spans: RoiSpan[] = [];
  let cur: RoiSpan | null = null;
  for (const [x, y, z] of list) {
    if (cur && cur[0] === z && cur[1] === y && x <= cur[3] + 1) {
      if (x > cur[3]) cur[3] = x;
      continue;
    }
    cur = [z, y, x, x];
    spans.push(cur);
  }
  return spans;
}

/**
 * Point-in-ROI for millions of queries (e.g. every synapse of a dataset against every ROI).
 *
 * Layout: the spans are merged into disjoint sorted x-intervals per (z, y) row, stored in two flat
 * Int32Arrays; `rowStart` says where each row's intervals begin. Rows are found through:
 *  - a dense table over the ROI's (z, y) bounding rectangle when it has ≤ 4 Mi rows (hemibrain-sized
 *    ROIs at 32³: ~1100 × 1100 rows → 4.8 MB): one array read, no hashing;
 *  - otherwise a Map keyed by the packed row number (exact while the rectangle has ≤ 2^53 rows), or
 *    by a "z,y" string beyond that.
 * A query is then O(1) to find the row plus a scan (≤ 8 intervals) or binary search of that row.
 * Measured by `npm run bench -- formats-files` (test/bench/formats-files.bench.ts): ~25 M points/s on a
 * busy 2-core machine, ~10× a packed-key Set of every block, and memory per span rather than per block.
 */
export class RoiBlockSet {
  readonly blockCount: number;
  readonly blockSize: number;
  private readonly x0: Int32Array;
  private readonly x1: Int32Array;
  private readonly minZ: number;
  private readonly minY: number;
  private readonly ny: number;
  private readonly nz: number;
  private readonly dense: Int32Array | null = null; // row number → row id + 1 (0 = empty row)
  private readonly sparse: Map<number | string, number> | null = null;
  private readonly packed: boolean;
  private readonly rowStart: Int32Array; // row id → first interval; rowStart[rows] = interval count

  constructor(spans: readonly RoiSpan[], blockSize = 32) {
    if (!(blockSize > 0)) throw new RangeError(`block size ${blockSize} must be positive`);
    this.blockSize = blockSize;
    const sorted = spans.toSorted((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    // Merge overlapping / adjacent intervals within a row.
    const rowsZ: number[] = [];
    const rowsY: number[] = [];
    const starts: number[] = [];
    const xs0: number[] = [];
    const xs1: number[] = [];
    let blocks = 0;
    for (const [z, y, a, b] of sorted) {
      if (!(a <= b)) throw new RangeError(`roi-spans: span [${z}, ${y}, ${a}, ${b}] has x0 > x1`);
      const last = rowsZ.length - 1;
      if (last >= 0 && rowsZ[last] === z && rowsY[last] === y) {
        const k = xs1.length - 1;
        if (a <= (xs1[k] as number) + 1) {
          if (b > (xs1[k] as number)) {
            blocks += b - (xs1[k] as number);
            xs1[k] = b;
          }
          continue;
        }
      } else {
        rowsZ.push(z);
        rowsY.push(y);
        starts.push(xs0.length);
      }
      xs0.push(a);
      xs1.push(b);
      blocks += b - a + 1;
    }
    starts.push(xs0.length);
    this.blockCount = blocks;
    this.x0 = Int32Array.from(xs0);
    this.x1 = Int32Array.from(xs1);
    this.rowStart = Int32Array.from(starts);

    let minZ = 0, maxZ = -1, minY = 0, maxY = -1;
    if (rowsZ.length > 0) {
      minZ = rowsZ[0] as number;
      maxZ = rowsZ.at(-1) as number;
      minY = rowsY[0] as number;
      maxY = minY;
      for (const y of rowsY) {
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
    this.minZ = minZ;
    this.minY = minY;
    this.ny = maxY - minY + 1;
    this.nz = maxZ - minZ + 1;
    const rows = this.nz * this.ny;
    this.packed = rows <= Number.MAX_SAFE_INTEGER;
    if (rowsZ.length === 0) {
      this.dense = new Int32Array(0);
    } else if (rows <= 1 << 22) {
      const dense = new Int32Array(rows);
      for (let r = 0; r < rowsZ.length; r++) dense[((rowsZ[r] as number) - minZ) * this.ny + ((rowsY[r] as number) - minY)] = r + 1;
      this.dense = dense;
    } else {
      const map = new Map<number | string, number>();
      for (let r = 0; r < rowsZ.length; r++) map.set(this.key(rowsZ[r] as number, rowsY[r] as number), r);
      this.sparse = map;
    }
  }

  private key(z: number, y: number): number | string {
    return this.packed ? (z - this.minZ) * this.ny + (y - this.minY) : `${z},${y}`;
  }

  private row(y: number, z: number): number {
    const dz = z - this.minZ;
    const dy = y - this.minY;
    // Outside the (z, y) rectangle: no row (and no aliasing of packed keys).
    if (dy < 0 || dy >= this.ny || dz < 0 || dz >= this.nz) return -1;
    if (this.dense) return (this.dense[dz * this.ny + dy] as number) - 1;
    const r = (this.sparse as Map<number | string, number>).get(this.key(z, y));
    return r === undefined ? -1 : r;
  }

  containsBlock(bx: number, by: number, bz: number): boolean {
    const r = this.row(by, bz);
    if (r < 0) return false;
    let lo = this.rowStart[r] as number;
    let hi = (this.rowStart[r + 1] as number) - 1;
    if (hi - lo < 8) {
      for (let k = lo; k <= hi; k++) {
        if (bx < (this.x0[k] as number)) return false;
        if (bx <= (this.x1[k] as number)) return true;
      }
      return false;
    }
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (bx < (this.x0[mid] as number)) hi = mid - 1;
      else if (bx > (this.x1[mid] as number)) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Voxel membership with floor division, so negative coordinates land in negative blocks. */
  containsVoxel(x: number, y: number, z: number): boolean {
    const bs = this.blockSize;
    return this.containsBlock(Math.floor(x / bs), Math.floor(y / bs), Math.floor(z / bs));
  }
}
