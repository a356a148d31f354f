/**
 * Supervoxels and body ids.
 *
 * A tree is cut into connected supervoxels: a capsule joins its parent's supervoxel until that one
 * holds its quota (20–60 capsules), then starts a new one; a soma is cut into four sectors. Ids are
 * drawn hemibrain-like (9–11 decimal digits, log-uniform), except one neuron whose ids all lie just
 * above 2^53, so that every uint64 path of the app is exercised. A body is named after one of its
 * supervoxels (its first one), as agglomeration does, so that supervoxel maps to itself.
 *
 * Supervoxel indices are assigned in ascending id order (index 0 = label 0): comparing indices is
 * comparing ids, which the downsampling's "ties go to the smaller label" needs.
 */
import { childrenOf, subtree, type BodyShape, type Morphology } from './neurons';
import type { Rng } from './prng';

export const BIG_ID_BASE = 2n ** 53n;

export interface Supervoxels {
  /** ids[i] = label of supervoxel index i; ids[0] = 0n; ascending. */
  ids: BigUint64Array;
  /** shape[i] = index of the tree (Morphology.bodies) the supervoxel belongs to; -1 for index 0. */
  shape: Int32Array;
}

export interface SplitPlan {
  /** Neuron whose subtree is a separate body at the root node (merged back on the child). */
  mergeShape: number;
  mergeSubtreeRoot: number;
  /** Neuron whose subtree is cleaved off into a new body on the child. */
  cleaveShape: number;
  cleaveSubtreeRoot: number;
  /** Neuron whose supervoxel ids lie above 2^53. */
  bigShape: number;
}

/**
 * Assigns draft supervoxel numbers (creation order) to every node and soma sector; returns their
 * shape owners. Like watershed supervoxels they are spatially compact: the part of a tree inside one
 * cell of a SV_CELL grid (offset per tree) is one supervoxel, at most SV_CELL voxels across.
 */
const SV_CELL = 256;
function partition(rng: Rng, morph: Morphology): number[] {
  const owner: number[] = [];
  morph.bodies.forEach((b, bi) => {
    const off = [rng.range(0, SV_CELL), rng.range(0, SV_CELL), rng.range(0, SV_CELL)];
    const cellOf = (p: readonly number[]): string => `${Math.floor((p[0]! + off[0]!) / SV_CELL)},${Math.floor((p[1]! + off[1]!) / SV_CELL)},${Math.floor((p[2]! + off[2]!) / SV_CELL)}`;
    if (b.somaPrim >= 0) {
      b.somaSvs = [0, 1, 2, 3].map(() => owner.push(bi) - 1);
      b.nodes[0]!.sv = b.somaSvs[0]!;
    }
    const svOfCell = new Map<string, number>();
    for (let i = 0; i < b.nodes.length; i++) {
      const n = b.nodes[i]!;
      if (n.sv >= 0) continue;
      // A capsule belongs to the cell of its midpoint.
      const p = n.parent >= 0 ? b.nodes[n.parent]!.pos : n.pos;
      const key = cellOf([(p[0] + n.pos[0]) / 2, (p[1] + n.pos[1]) / 2, (p[2] + n.pos[2]) / 2]);
      let sv = svOfCell.get(key);
      if (sv === undefined) {
        sv = owner.push(bi) - 1;
        svOfCell.set(key, sv);
      }
      n.sv = sv;
    }
  });
  return owner;
}

/** Gives the subtree at `root` supervoxels of its own (so it can be a separate body). */
function isolateSubtree(b: BodyShape, root: number, owner: number[], shapeIndex: number): void {
  const nodes = subtree(b.nodes, root);
  const inside = new Set(nodes);
  const outsideSvs = new Set<number>();
  b.nodes.forEach((n, i) => {
    if (!inside.has(i)) outsideSvs.add(n.sv);
  });
  const renamed = new Map<number, number>();
  for (const i of nodes) {
    const n = b.nodes[i]!;
    if (!outsideSvs.has(n.sv)) continue;
    let fresh = renamed.get(n.sv);
    if (fresh === undefined) {
      fresh = owner.push(shapeIndex) - 1;
      renamed.set(n.sv, fresh);
    }
    n.sv = fresh;
  }
}

/** A node whose subtree holds between `lo` and `hi` of the tree's nodes (deepest such choice). */
function pickSubtree(rng: Rng, b: BodyShape, lo: number, hi: number): number {
  const kids = childrenOf(b.nodes);
  const size = b.nodes.map(() => 1);
  for (let i = b.nodes.length - 1; i >= 0; i--) for (const k of kids[i]!) size[i]! += size[k]!;
  const total = b.nodes.length;
  const ok: number[] = [];
  for (let i = 2; i < b.nodes.length; i++) if (size[i]! >= lo * total && size[i]! <= hi * total) ok.push(i);
  if (ok.length === 0) {
    let best = 2;
    for (let i = 2; i < b.nodes.length; i++) if (Math.abs(size[i]! - 0.2 * total) < Math.abs(size[best]! - 0.2 * total)) best = i;
    return best;
  }
  return rng.pick(ok);
}

function drawId(rng: Rng): bigint {
  // Log-uniform over 10^8 .. 9·10^10: 9 to 11 digits, like hemibrain body ids.
  const v = Math.floor(Math.exp(rng.range(Math.log(1e8), Math.log(9e10))));
  return BigInt(v);
}

export function assignSupervoxels(rng: Rng, morph: Morphology): { svs: Supervoxels; plan: SplitPlan } {
  const owner = partition(rng.fork('partition'), morph);
  const neurons = morph.bodies.map((b, i) => (b.kind === 'neuron' ? i : -1)).filter((i) => i >= 0);
  if (neurons.length < 3) throw new Error('the dataset needs at least 3 neurons');
  const byCable = neurons.slice().toSorted((a, b) => morph.bodies[b]!.cable - morph.bodies[a]!.cable);
  const pr = rng.fork('plan');
  // The merge and cleave happen on well-grown neurons; the big-id neuron is a third one.
  const mergeShape = byCable[pr.int(0, Math.min(4, byCable.length - 1))]!;
  let cleaveShape = byCable[pr.int(0, Math.min(9, byCable.length - 1))]!;
  if (cleaveShape === mergeShape) cleaveShape = byCable.find((i) => i !== mergeShape)!;
  const bigShape = byCable.find((i) => i !== mergeShape && i !== cleaveShape)!;
  const mergeSubtreeRoot = pickSubtree(pr, morph.bodies[mergeShape]!, 0.1, 0.3);
  const cleaveSubtreeRoot = pickSubtree(pr, morph.bodies[cleaveShape]!, 0.15, 0.4);
  isolateSubtree(morph.bodies[mergeShape]!, mergeSubtreeRoot, owner, mergeShape);
  isolateSubtree(morph.bodies[cleaveShape]!, cleaveSubtreeRoot, owner, cleaveShape);

  // Unique ids, then indices in ascending id order.
  const ir = rng.fork('ids');
  const draft = owner.map(() => 0n);
  const seen = new Set<bigint>();
  for (let i = 0; i < owner.length; i++) {
    let id: bigint;
    do {
      id = owner[i] === bigShape ? BIG_ID_BASE + BigInt(ir.int(1, 2 ** 30)) * 64n + BigInt(ir.int(0, 63)) : drawId(ir);
    } while (seen.has(id));
    seen.add(id);
    draft[i] = id;
  }
  const order = draft.map((_, i) => i).toSorted((a, b) => (draft[a]! < draft[b]! ? -1 : draft[a]! > draft[b]! ? 1 : 0));
  const indexOfDraft = new Int32Array(owner.length);
  const ids = new BigUint64Array(owner.length + 1);
  const shape = new Int32Array(owner.length + 1);
  shape[0] = -1;
  order.forEach((d, k) => {
    indexOfDraft[d] = k + 1;
    ids[k + 1] = draft[d]!;
    shape[k + 1] = owner[d]!;
  });
  for (const b of morph.bodies) {
    for (const n of b.nodes) {
      n.sv = indexOfDraft[n.sv]!;
      if (n.prim >= 0) morph.prims.sv[n.prim] = n.sv;
    }
    b.somaSvs = b.somaSvs.map((s) => indexOfDraft[s]!);
    if (b.somaPrim >= 0) {
      b.nodes[0]!.sv = b.somaSvs[0]!;
      morph.prims.sv[b.somaPrim] = b.somaSvs[0]!;
    }
  }
  return { svs: { ids, shape }, plan: { mergeShape, mergeSubtreeRoot, cleaveShape, cleaveSubtreeRoot, bigShape } };
}
