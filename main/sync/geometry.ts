/**
 * Block and box arithmetic for planning (pure). Conventions: voxel boxes are half-open
 * [min, max) in scale-0 voxels; block boxes are half-open in block coordinates of one scale;
 * floor division everywhere (coordinates may be negative).
 */

export type Vec3 = [number, number, number];
export type Coord = readonly [number, number, number];

/** Half-open box: [x0, y0, z0, x1, y1, z1). */
export type Box = readonly [number, number, number, number, number, number];

export function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

export function boxVolume(b: Box): number {
  return Math.max(0, b[3] - b[0]) * Math.max(0, b[4] - b[1]) * Math.max(0, b[5] - b[2]);
}

export function intersect(a: Box, b: Box): Box | null {
  const r: Box = [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.max(a[2], b[2]), Math.min(a[3], b[3]), Math.min(a[4], b[4]), Math.min(a[5], b[5])];
  return r[0] < r[3] && r[1] < r[4] && r[2] < r[5] ? r : null;
}

/**
 * The blocks (of `blockSize` voxels at `scale`) that a scale-0 voxel box touches, as a half-open
 * block box at that scale.
 */
export function voxelBoxToBlocks(v: Box, blockSize: Coord, scale: number): Box {
  const f = 2 ** scale;
  return [
    floorDiv(floorDiv(v[0], f), blockSize[0]),
    floorDiv(floorDiv(v[1], f), blockSize[1]),
    floorDiv(floorDiv(v[2], f), blockSize[2]),
    floorDiv(floorDiv(v[3] - 1, f), blockSize[0]) + 1,
    floorDiv(floorDiv(v[4] - 1, f), blockSize[1]) + 1,
    floorDiv(floorDiv(v[5] - 1, f), blockSize[2]) + 1,
  ];
}

/** The scale-0 voxel box a block covers. */
export function blockToVoxelBox(c: Coord, blockSize: Coord, scale = 0): Box {
  const f = 2 ** scale;
  return [c[0] * blockSize[0] * f, c[1] * blockSize[1] * f, c[2] * blockSize[2] * f, (c[0] + 1) * blockSize[0] * f, (c[1] + 1) * blockSize[1] * f, (c[2] + 1) * blockSize[2] * f];
}

/** Splits a block box into tiles of at most `tile` blocks per axis, in z, y, x order. */
export function* tiles(b: Box, tile: Coord): Generator<Box> {
  for (let z = b[2]; z < b[5]; z += tile[2]) {
    for (let y = b[1]; y < b[4]; y += tile[1]) {
      for (let x = b[0]; x < b[3]; x += tile[0]) {
        yield [x, y, z, Math.min(x + tile[0], b[3]), Math.min(y + tile[1], b[4]), Math.min(z + tile[2], b[5])];
      }
    }
  }
}

export function* coordsOf(b: Box): Generator<[number, number, number]> {
  for (let z = b[2]; z < b[5]; z++) for (let y = b[1]; y < b[4]; y++) for (let x = b[0]; x < b[3]; x++) yield [x, y, z];
}

export const coordKey = (c: Coord): string => `${c[0]},${c[1]},${c[2]}`;

export function compareZyx(a: Coord, b: Coord): number {
  return a[2] - b[2] || a[1] - b[1] || a[0] - b[0];
}

/**
 * Covers a set of blocks with boxes: runs along x per (y, z), merged across consecutive y rows with
 * the same x extent. Used to ask a box endpoint for just the blocks a resumed item still needs.
 */
export function coverWithBoxes(coords: Iterable<Coord>): Box[] {
  const sorted = [...coords].toSorted(compareZyx);
  const runs: Array<[number, number, number, number]> = []; // x0, x1 (exclusive), y, z
  for (const c of sorted) {
    const last = runs.at(-1);
    if (last && last[2] === c[1] && last[3] === c[2] && last[1] === c[0]) last[1]++;
    else runs.push([c[0], c[0] + 1, c[1], c[2]]);
  }
  const boxes: Array<[number, number, number, number, number, number]> = [];
  for (const [x0, x1, y, z] of runs) {
    const prev = boxes.find((b) => b[0] === x0 && b[3] === x1 && b[2] === z && b[5] === z + 1 && b[4] === y);
    if (prev) prev[4] = y + 1;
    else boxes.push([x0, y, z, x1, y + 1, z + 1]);
  }
  return boxes;
}

/** Bitset over the blocks of a box (a compact cursor of which ones are done). */
export class BoxBits {
  readonly bits: Uint8Array;
  constructor(
    readonly box: Box,
    base64?: string | null,
  ) {
    const n = boxVolume(box);
    this.bits = new Uint8Array(Math.ceil(n / 8));
    if (base64) {
      const b = Buffer.from(base64, 'base64');
      if (b.length !== this.bits.length) throw new Error(`cursor bitset has ${b.length} bytes, the box needs ${this.bits.length}`);
      this.bits.set(b);
    }
  }

  #index(c: Coord): number {
    const [x0, y0, z0, x1, y1] = this.box;
    if (c[0] < x0 || c[0] >= x1 || c[1] < y0 || c[1] >= y1 || c[2] < z0 || c[2] >= this.box[5]) return -1;
    return ((c[2] - z0) * (y1 - y0) + (c[1] - y0)) * (x1 - x0) + (c[0] - x0);
  }

  has(c: Coord): boolean {
    const i = this.#index(c);
    return i >= 0 && (this.bits[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  /** False when the coordinate is outside the box. */
  add(c: Coord): boolean {
    const i = this.#index(c);
    if (i < 0) return false;
    this.bits[i >> 3]! |= 1 << (i & 7);
    return true;
  }

  count(): number {
    let n = 0;
    for (const byte of this.bits) for (let v = byte; v; v &= v - 1) n++;
    return n;
  }

  missing(): Array<[number, number, number]> {
    return [...coordsOf(this.box)].filter((c) => !this.has(c));
  }

  toString(): string {
    return Buffer.from(this.bits).toString('base64');
  }
}
