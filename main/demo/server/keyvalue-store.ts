/**
 * A keyvalue instance at each version: the root's values (read from the cache on demand), the
 * child's changes made when the dataset was generated (the proofreading's new meshes, skeletons and
 * annotations, and the keys it deleted), and what clients write at run time on the open node. Keys
 * are ordered byte-wise, as DVID stores them (key bytes + 0x00).
 */
import type { KvPack } from '../dataset/kvpack';
import { compareKeys } from '../dataset/kvpack';

export class KeyvalueInstance {
  /** run-time writes per version: value, or null for a deletion */
  private readonly writes: Array<Map<string, Uint8Array | null>> = [new Map(), new Map()];
  private readonly sorted: Array<string[] | null> = [null, null];
  /** Mutation-log records written at run time, per version. */
  readonly runtimeLog: string[][] = [[], []];

  constructor(
    readonly name: string,
    private readonly root: KvPack,
    private readonly childPack: KvPack,
    private readonly childDeleted: ReadonlySet<string>,
    /** the child's log of the generation-time writes */
    readonly childLog: readonly string[],
  ) {}

  get(v: number, key: string): Uint8Array | undefined {
    for (let u = v; u >= 0; u--) {
      const w = this.writes[u]!.get(key);
      if (w !== undefined) return w ?? undefined;
      if (u === 1) {
        if (this.childDeleted.has(key)) return undefined;
        const c = this.childPack.get(key);
        if (c) return c;
      }
    }
    return this.root.get(key);
  }

  has(v: number, key: string): boolean {
    return this.get(v, key) !== undefined;
  }

  /** All keys at version v, sorted byte-wise. */
  keys(v: number): string[] {
    const cached = this.sorted[v];
    if (cached) return cached;
    const set = new Set(this.root.keys);
    if (v >= 1) {
      for (const k of this.childDeleted) set.delete(k);
      for (const k of this.childPack.keys) set.add(k);
    }
    for (let u = 0; u <= v; u++) {
      for (const [k, val] of this.writes[u]!) {
        if (val === null) set.delete(k);
        else set.add(k);
      }
    }
    const out = [...set].toSorted(compareKeys);
    this.sorted[v] = out;
    return out;
  }

  /** Keys k with lo ≤ k ≤ hi (byte order, both inclusive). */
  range(v: number, lo: string, hi: string): string[] {
    const all = this.keys(v);
    return all.filter((k) => compareKeys(k, lo) >= 0 && compareKeys(k, hi) <= 0);
  }

  put(v: number, key: string, value: Uint8Array | null): void {
    this.writes[v]!.set(key, value);
    for (let u = v; u < this.sorted.length; u++) this.sorted[u] = null;
  }
}
