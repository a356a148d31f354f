/**
 * uint64 labels handled as two uint32 lanes (lo, hi), so hot loops never create a BigInt.
 *
 * Typed-array views are used to reinterpret BigUint64Array storage as Uint32 lane pairs, which is only
 * correct on little-endian hosts. Every platform Electron and Node ship for is little-endian; the check
 * below makes a big-endian host fail loudly at import instead of decoding garbage.
 */

export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
if (!LITTLE_ENDIAN) throw new Error('dvid-desk formats need a little-endian host (uint64 lanes are reinterpreted in place)');

/**
 * The lane view of a BigUint64Array: lo at 2i, hi at 2i+1, as Int32 (the bits of the uint32 halves).
 * Int32 rather than Uint32 on purpose: values ≥ 2^31 from a Uint32Array are not int32 for the JIT,
 * which then compares and moves them as doubles; the same bits as int32 stay in integer registers.
 */
export function lanesOf(values: BigUint64Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length * 2);
}

/** Copies little-endian uint64 bytes into a new (8-byte aligned) BigUint64Array. */
export function u64FromBytes(bytes: Uint8Array): BigUint64Array {
  const out = new BigUint64Array(bytes.length >>> 3);
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 8));
  return out;
}

/** The little-endian bytes of a BigUint64Array (a view, no copy). */
export function bytesOfU64(values: BigUint64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Builds a BigUint64Array from lane arrays, `count` entries. */
export function u64FromLanes(lo: Int32Array, hi: Int32Array, count: number): BigUint64Array {
  const out = new BigUint64Array(count);
  const o = lanesOf(out);
  for (let i = 0; i < count; i++) {
    o[2 * i] = lo[i]!;
    o[2 * i + 1] = hi[i]!;
  }
  return out;
}

function hashLanes(lo: number, hi: number): number {
  const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  return h ^ (h >>> 15);
}

/**
 * Open-addressing hash map from a uint64 key (as lo/hi lanes) to a dense id 0..size-1, assigned in
 * insertion order. Linear probing over one interleaved Int32Array (id + 1, lo, hi, unused per slot),
 * so a probe touches one cache line; load factor ≤ 3/4, doubling beyond. No per-entry objects, no BigInt.
 */
export class LaneIdMap {
  private slots: Int32Array;
  private mask: number;
  /** number of distinct keys so far (= next id) */
  size = 0;
  /** lanes of key number i, in id order (int32 bits of the uint32 halves) */
  lo: Int32Array;
  hi: Int32Array;

  /** `expected`: how many keys to make room for without growing */
  constructor(expected = 16) {
    let cap = 16;
    while (cap * 3 < expected * 4 + 4) cap *= 2;
    this.slots = new Int32Array(cap * 4);
    this.mask = cap - 1;
    this.lo = new Int32Array(Math.max(8, expected));
    this.hi = new Int32Array(Math.max(8, expected));
  }

  /** The id of (lo, hi) (int32 bits of the halves), inserting it with the next id when new. */
  idOf(lo: number, hi: number): number {
    const mask = this.mask;
    const slots = this.slots;
    let at = (hashLanes(lo, hi) & mask) << 2;
    for (;;) {
      const tag = slots[at]!;
      if (tag === 0) break;
      if (slots[at + 1] === lo && slots[at + 2] === hi) return tag - 1;
      at = (at + 4) & (mask << 2 | 3);
    }
    const id = this.size++;
    slots[at] = id + 1;
    slots[at + 1] = lo;
    slots[at + 2] = hi;
    if (id >= this.lo.length) {
      const nlo = new Int32Array(this.lo.length * 2);
      nlo.set(this.lo);
      this.lo = nlo;
      const nhi = new Int32Array(this.hi.length * 2);
      nhi.set(this.hi);
      this.hi = nhi;
    }
    this.lo[id] = lo;
    this.hi[id] = hi;
    if (this.size * 4 > (mask + 1) * 3) this.grow();
    return id;
  }

  /** The keys in id order as a BigUint64Array. */
  toU64(): BigUint64Array {
    return u64FromLanes(this.lo, this.hi, this.size);
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const slots = new Int32Array(cap * 4);
    const wrap = ((cap - 1) << 2) | 3;
    for (let id = 0; id < this.size; id++) {
      const lo = this.lo[id]!;
      const hi = this.hi[id]!;
      let at = (hashLanes(lo, hi) & (cap - 1)) << 2;
      while (slots[at]! !== 0) at = (at + 4) & wrap;
      slots[at] = id + 1;
      slots[at + 1] = lo;
      slots[at + 2] = hi;
    }
    this.slots = slots;
    this.mask = cap - 1;
  }
}
