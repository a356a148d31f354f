/**
 * A byte-bounded LRU of prepared results (mesh and skeleton buffers), keyed by the sha256 of the
 * cached file plus the preparation's parameters: content-addressed, so an entry can never be stale
 * (a re-synced body with new bytes has a new key) and a body shared by two nodes is prepared once.
 */
export class ByteLru {
  readonly #map = new Map<string, ArrayBuffer>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): ArrayBuffer | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: ArrayBuffer): void {
    if (value.byteLength > this.maxBytes) return;
    const old = this.#map.get(key);
    if (old) {
      this.#bytes -= old.byteLength;
      this.#map.delete(key);
    }
    this.#map.set(key, value);
    this.#bytes += value.byteLength;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.byteLength;
    }
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#map.size;
  }
}
