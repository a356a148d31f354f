/**
 * The generator's only source of randomness: sfc32 seeded through splitmix32, with named sub-streams.
 *
 * Every part of the generator draws from its own stream (`root.fork('neurons')`, `fork('synapses')`…),
 * so changing how one part consumes numbers never shifts the numbers another part sees, and the same
 * seed gives the same dataset byte for byte on every platform (only 32-bit integer arithmetic and
 * exact float conversions are involved).
 */

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the UTF-16 code units of a label: stable stream ids from names. */
export function hashString(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly seedWord: number;

  constructor(seed: number) {
    this.seedWord = seed >>> 0;
    const sm = splitmix32(this.seedWord);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** An independent stream named `label`, derived from this stream's seed (not its position). */
  fork(label: string): Rng {
    return new Rng(hashString(label, this.seedWord ^ 0x5bd1e995));
  }

  u32(): number {
    const a = this.a, b = this.b, c = this.c;
    const t = (((a + b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = (b ^ (b >>> 9)) >>> 0;
    this.b = (c + (c << 3)) >>> 0;
    this.c = ((c << 21) | (c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1), 53 random bits. */
  float(): number {
    return (this.u32() * 2 ** 21 + (this.u32() >>> 11)) / 2 ** 53;
  }

  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Index drawn with probability proportional to weights[i]. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  /** A random unit vector. */
  direction(): [number, number, number] {
    for (;;) {
      const x = this.range(-1, 1), y = this.range(-1, 1), z = this.range(-1, 1);
      const n = Math.hypot(x, y, z);
      if (n > 0.1 && n <= 1) return [x / n, y / n, z / n];
    }
  }

  /** 32 lowercase hex characters, the shape of a DVID UUID. */
  uuid(): string {
    let s = '';
    for (let i = 0; i < 4; i++) s += this.u32().toString(16).padStart(8, '0');
    return s;
  }
}
