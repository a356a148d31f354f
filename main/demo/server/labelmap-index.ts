/**
 * A labelmap instance as the handlers see it at one version: which supervoxels make each body,
 * how many voxels each has in each scale-0 block (DVID's label index), and the stored blocks.
 * `segmentation` maps supervoxels to bodies with the version's mapping; the other labelmaps have no
 * mapping (a label is its own body), like hemibrain's.
 */
import { gunzipSync } from 'node:zlib';
import { decodeLabelBlockToPalette, type LabelBlockPalette } from '../../formats/label-block';
import type { Dataset, LabelmapStore } from '../dataset/store';

export class LabelmapView {
  /** label value → label index */
  readonly indexOf = new Map<bigint, number>();
  /** per label index: its scale-0 blocks (numbers into the label-index block list) and voxel counts */
  readonly labelStart: Uint32Array;
  readonly labelBlock: Uint32Array;
  readonly labelCount: Uint32Array;
  readonly labelVoxels: Float64Array;
  /** per version: body → its label indices; body value → label index list */
  private readonly bodies: Array<Map<bigint, number[]>> = [];

  constructor(
    readonly store: LabelmapStore,
    /** body of each label index per version, or null when the instance has no mapping */
    readonly mappings: readonly (BigUint64Array | null)[],
  ) {
    const labels = store.labels;
    for (let i = 1; i < labels.length; i++) this.indexOf.set(labels[i]!, i);
    const { start, label, count } = store.index;
    const n = labels.length;
    const perLabel = new Uint32Array(n + 1);
    for (let j = 0; j < label.length; j++) perLabel[label[j]! + 1]!++;
    for (let i = 1; i <= n; i++) perLabel[i]! += perLabel[i - 1]!;
    this.labelStart = perLabel.slice();
    this.labelBlock = new Uint32Array(label.length);
    this.labelCount = new Uint32Array(label.length);
    this.labelVoxels = new Float64Array(n);
    const fill = perLabel.slice(0, n);
    for (let b = 0; b + 1 < start.length; b++) {
      for (let j = start[b]!; j < start[b + 1]!; j++) {
        const l = label[j]!;
        const at = fill[l]!++;
        this.labelBlock[at] = b;
        this.labelCount[at] = count[j]!;
        this.labelVoxels[l]! += count[j]!;
      }
    }
  }

  /** After a write changed the mapping of version v: its body → labels index is rebuilt on next use. */
  invalidate(v: number): void {
    delete this.bodies[v];
  }

  get mapped(): boolean {
    return this.mappings.some((m) => m !== null);
  }

  /** Body of label index i at version v. */
  bodyOf(i: number, v: number): bigint {
    const m = this.mappings[v];
    return m ? m[i]! : this.store.labels[i]!;
  }

  /** Label indices making up `body` at version v (empty when the body does not exist there). */
  labelsOfBody(body: bigint, v: number): number[] {
    const m = this.mappings[v];
    if (!m) {
      const i = this.indexOf.get(body);
      return i !== undefined && this.labelVoxels[i]! > 0 ? [i] : [];
    }
    let map = this.bodies[v];
    if (!map) {
      map = new Map();
      for (let i = 1; i < m.length; i++) {
        if (this.labelVoxels[i] === 0) continue;
        const b = m[i]!;
        const list = map.get(b);
        if (list) list.push(i);
        else map.set(b, [i]);
      }
      this.bodies[v] = map;
    }
    return map.get(body) ?? [];
  }

  /** Voxels of `label` as a body (supervoxels = false) or as a supervoxel (true); 0 when unknown. */
  size(label: bigint, v: number, supervoxels: boolean): number {
    if (supervoxels) {
      const i = this.indexOf.get(label);
      return i === undefined ? 0 : this.labelVoxels[i]!;
    }
    let n = 0;
    for (const i of this.labelsOfBody(label, v)) n += this.labelVoxels[i]!;
    return n;
  }

  /** Scale-0 blocks (numbers into store.index.blocks) holding any of the label indices, ascending. */
  blocksOf(indices: readonly number[]): number[] {
    const set = new Set<number>();
    for (const i of indices) for (let j = this.labelStart[i]!; j < this.labelStart[i + 1]!; j++) set.add(this.labelBlock[j]!);
    return [...set].toSorted((a, b) => a - b);
  }

  blockCoord(b: number): [number, number, number] {
    const c = this.store.index.blocks;
    return [c[3 * b]!, c[3 * b + 1]!, c[3 * b + 2]!];
  }
}

/** Decoded blocks, most recently used kept (decoding a 64³ block costs about a millisecond). */
export class DecodedBlocks {
  private readonly cache = new Map<string, LabelBlockPalette>();
  constructor(private readonly capacity = 128) {}

  get(store: LabelmapStore, scale: number, i: number): LabelBlockPalette {
    const key = `${store.name}/${scale}/${i}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const decoded = decodeLabelBlockToPalette(gunzipSync(store.scales[scale]!.payload(i)));
    this.cache.set(key, decoded);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return decoded;
  }
}

export function labelmapViews(ds: Dataset): Record<string, LabelmapView> {
  const out: Record<string, LabelmapView> = {};
  for (const [name, store] of Object.entries(ds.labelmaps)) {
    out[name] = new LabelmapView(store, name === 'segmentation' ? ds.mappings : [null, null]);
  }
  return out;
}
