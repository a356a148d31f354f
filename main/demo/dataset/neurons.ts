/**
 * Neuron and fragment morphology: tube trees grown in a shared space so that they never touch.
 *
 * Neurons start at a soma in the outer rind of a brain-shaped ellipsoid (where cell bodies sit in a
 * real fly brain), send a primary neurite toward one to three arbor fields inside the ellipsoid and
 * arborise there. All neurons grow a step at a time, round-robin, so they compete for space as
 * real tissue does; a step is refused when its tube would come closer than SHAPE.margin to any tube
 * of another body (or a non-adjacent tube of its own). Orphan fragments (short trees) then fill the
 * voids that remain. Three tracheae are laid down first and everything avoids them.
 *
 * Because tubes keep a clearance, the voxel closest to a tree's own centreline always belongs to
 * that tree: skeleton nodes and synapses placed near a centreline lie inside their body.
 */
import { add, deflect, dist, norm, scale, sub, type Vec3 } from './geometry';
import { KIND_NEURITE, KIND_SOMA, KIND_TRACHEA, PrimitiveSet } from './primitives';
import { SHAPE } from './presets';
import type { Rng } from './prng';

export interface TreeNode {
  pos: Vec3;
  r: number;
  /** Index of the parent node in the same tree; -1 for the root. */
  parent: number;
  /** Capsule from the parent to this node (-1 for the root and for the first node on a soma surface). */
  prim: number;
  /** Supervoxel index (assigned by assignSupervoxels). */
  sv: number;
}

export interface BodyShape {
  kind: 'neuron' | 'orphan';
  nodes: TreeNode[];
  /** The soma capsule (a sphere) or -1. */
  somaPrim: number;
  /** Somas are split into sectors by two planes through the centre: sector = (dot(u)≥0) + 2·(dot(v)≥0). */
  somaAxes: [Vec3, Vec3] | null;
  somaSvs: number[];
  cable: number;
}

export interface Morphology {
  prims: PrimitiveSet;
  bodies: BodyShape[];
  size: number;
  /** Centre and radii of the brain-shaped ellipsoid that holds the neuropil (ROIs lie inside it). */
  brain: { centre: Vec3; radii: Vec3 };
}

interface Tip {
  node: number;
  dir: Vec3;
  r: number;
  mode: 'travel' | 'arbor';
  target: number;
  arborCentre: Vec3;
  arborRadius: number;
  age: number;
}

interface Grower {
  body: number;
  tips: Tip[];
  budget: number;
  targets: Vec3[];
  /** Capsules leaving each node (siblings touch at their common start, so they ignore each other). */
  childPrims: number[][];
  resprouts?: number;
}

const MAX_NEURITE_R = 12;

export function brainEllipsoid(size: number): { centre: Vec3; radii: Vec3 } {
  return { centre: [size / 2, size / 2, size / 2], radii: [size * 0.47, size * 0.44, size * 0.44] };
}

/** Ellipsoidal radius of p: < 1 inside the brain ellipsoid. */
export function ellipsoidRadius(p: Vec3, e: { centre: Vec3; radii: Vec3 }): number {
  const x = (p[0] - e.centre[0]) / e.radii[0], y = (p[1] - e.centre[1]) / e.radii[1], z = (p[2] - e.centre[2]) / e.radii[2];
  return Math.hypot(x, y, z);
}

function inside(p: Vec3, size: number, pad: number): boolean {
  return p[0] >= pad && p[1] >= pad && p[2] >= pad && p[0] <= size - 1 - pad && p[1] <= size - 1 - pad && p[2] <= size - 1 - pad;
}

export class MorphologyBuilder {
  readonly prims: PrimitiveSet;
  readonly bodies: BodyShape[] = [];
  readonly brain: { centre: Vec3; radii: Vec3 };
  private readonly scratch: number[] = [];

  constructor(readonly size: number) {
    this.prims = new PrimitiveSet(size, 16);
    this.brain = brainEllipsoid(size);
  }

  /** Smallest surface gap between capsule (a,b,r) and existing capsules, ignoring `ignore` ids. */
  clearance(a: Vec3, b: Vec3, r: number, body: number, ignore: ReadonlySet<number>, limit: number): number {
    const pad = r + MAX_NEURITE_R + limit + 1;
    const lo: Vec3 = [Math.min(a[0], b[0]) - pad, Math.min(a[1], b[1]) - pad, Math.min(a[2], b[2]) - pad];
    const hi: Vec3 = [Math.max(a[0], b[0]) + pad, Math.max(a[1], b[1]) + pad, Math.max(a[2], b[2]) + pad];
    let best = Infinity;
    for (const id of this.prims.query(lo, hi, this.scratch)) {
      if (ignore.has(id)) continue;
      const gap = this.prims.gapTo(id, a, b, r);
      // Own tubes may sit closer than other bodies' (a neuron's branches bundle), but never overlap.
      const allowed = this.prims.body[id] === body ? gap + SHAPE.margin - 0.5 : gap;
      if (allowed < best) best = allowed;
      if (best < 0) return best;
    }
    return best;
  }

  addTracheae(rng: Rng, count: number): void {
    const s = this.size;
    for (let t = 0; t < count; t++) {
      const r = rng.range(6, 11) * Math.min(1, s / 1024 + 0.4);
      let p: Vec3 = [rng.range(0.1, 0.9) * s, 0, rng.range(0.1, 0.9) * s];
      const axis = t % 3;
      p = axis === 0 ? [0, p[0], p[2]] : axis === 1 ? [p[0], 0, p[2]] : [p[0], p[2], 0];
      let dir: Vec3 = axis === 0 ? [1, 0, 0] : axis === 1 ? [0, 1, 0] : [0, 0, 1];
      dir = deflect(dir, rng.range(0.05, 0.3), rng.range(0, 2 * Math.PI));
      for (let i = 0; i < 4000; i++) {
        const q = add(p, scale(dir, 16));
        if (!inside(q, s, -r)) break;
        this.prims.add(p, q, r, -1, KIND_TRACHEA);
        p = q;
        dir = deflect(dir, rng.range(0, 0.08), rng.range(0, 2 * Math.PI));
      }
    }
  }

  growNeurons(rng: Rng, count: number, cableBudget: number): void {
    const growers: Grower[] = [];
    for (let n = 0; n < count; n++) {
      const g = this.plantNeuron(rng);
      if (g) growers.push({ ...g, budget: cableBudget * rng.range(0.6, 1.4), childPrims: [[], []] });
    }
    // Round-robin steps: neurons compete for space as they grow.
    let active = growers.slice();
    while (active.length > 0) {
      for (const g of active) {
        if (g.tips.length === 0) this.resprout(rng, g);
        else this.step(rng, g);
      }
      active = active.filter((g) => (g.tips.length > 0 || (g.resprouts ?? 0) < 40) && this.bodies[g.body]!.cable < g.budget);
    }
  }

  /** A neuron whose tips all got blocked sprouts a new branch from a random node of its own (a few times). */
  private resprout(rng: Rng, g: Grower): void {
    g.resprouts = (g.resprouts ?? 0) + 1;
    const shape = this.bodies[g.body]!;
    if (shape.nodes.length < 3) return;
    const node = rng.int(2, shape.nodes.length - 1);
    const n = shape.nodes[node]!;
    g.tips.push({ node, dir: rng.direction(), r: Math.max(SHAPE.minRadius, n.r * 0.8), mode: 'arbor', target: 0, arborCentre: n.pos, arborRadius: rng.range(40, 90), age: 0 });
  }

  private plantNeuron(rng: Rng): { body: number; tips: Tip[]; targets: Vec3[] } | null {
    const s = this.size;
    for (let attempt = 0; attempt < 200; attempt++) {
      const R = rng.range(SHAPE.somaRadius[0], SHAPE.somaRadius[1]);
      // In the rind: just outside the ellipsoid, inside the volume.
      const d = rng.direction();
      const er = rng.range(1.02, 1.12);
      const c: Vec3 = [
        this.brain.centre[0] + d[0] * this.brain.radii[0] * er,
        this.brain.centre[1] + d[1] * this.brain.radii[1] * er,
        this.brain.centre[2] + d[2] * this.brain.radii[2] * er,
      ];
      if (!inside(c, s, R + 3)) continue;
      if (this.clearance(c, c, R, -2, new Set(), 4) < 4) continue;
      const body = this.bodies.length;
      const somaPrim = this.prims.add(c, c, R, body, KIND_SOMA);
      const u = rng.direction();
      let v = rng.direction();
      v = norm(sub(v, scale(u, u[0] * v[0] + u[1] * v[1] + u[2] * v[2])));
      const shape: BodyShape = { kind: 'neuron', nodes: [{ pos: c, r: R, parent: -1, prim: -1, sv: -1 }], somaPrim, somaAxes: [u, v], somaSvs: [], cable: 0 };
      this.bodies.push(shape);
      const targets: Vec3[] = [];
      const nTargets = rng.int(1, 3);
      for (let t = 0; t < nTargets; t++) targets.push(this.randomInBrain(rng, 0.85));
      const toTarget = norm(sub(targets[0]!, c));
      const start = add(c, scale(toTarget, R));
      shape.nodes.push({ pos: start, r: rng.range(SHAPE.primaryRadius[0], SHAPE.primaryRadius[1]), parent: 0, prim: -1, sv: -1 });
      const tip: Tip = { node: 1, dir: toTarget, r: shape.nodes[1]!.r, mode: 'travel', target: 0, arborCentre: targets[0]!, arborRadius: 0, age: 0 };
      return { body, tips: [tip], targets };
    }
    return null;
  }

  randomInBrain(rng: Rng, maxRadius: number): Vec3 {
    for (;;) {
      const d = rng.direction();
      const k = Math.cbrt(rng.float()) * maxRadius;
      const p: Vec3 = [
        this.brain.centre[0] + d[0] * this.brain.radii[0] * k,
        this.brain.centre[1] + d[1] * this.brain.radii[1] * k,
        this.brain.centre[2] + d[2] * this.brain.radii[2] * k,
      ];
      if (inside(p, this.size, 8)) return p;
    }
  }

  private step(rng: Rng, g: Grower): void {
    const shape = this.bodies[g.body]!;
    const tipIndex = rng.int(0, g.tips.length - 1);
    const tip = g.tips[tipIndex]!;
    const from = shape.nodes[tip.node]!;
    const goal = tip.mode === 'travel' ? g.targets[tip.target]! : tip.arborCentre;
    const toGoal = sub(goal, from.pos);
    const goalDist = Math.hypot(toGoal[0], toGoal[1], toGoal[2]);
    const pull = tip.mode === 'travel' ? 0.35 : goalDist > tip.arborRadius ? 0.5 : 0.04;
    let preferred = norm(add(scale(tip.dir, 1), scale(norm(toGoal), pull)));
    preferred = deflect(preferred, Math.abs(rng.normal()) * (tip.mode === 'travel' ? 0.1 : 0.25), rng.range(0, 2 * Math.PI));
    const L = rng.range(SHAPE.segmentLength[0], SHAPE.segmentLength[1]);
    const r = Math.max(SHAPE.minRadius, tip.r * (tip.mode === 'travel' ? 0.998 : 0.985));
    const ignore = new Set<number>();
    if (from.prim >= 0) ignore.add(from.prim);
    if (from.parent >= 0 && shape.nodes[from.parent]!.prim >= 0) ignore.add(shape.nodes[from.parent]!.prim);
    if (tip.node === 1 || from.parent === 0) ignore.add(shape.somaPrim);
    for (const p of g.childPrims[tip.node]!) ignore.add(p);
    let placed = -1;
    let dir = preferred;
    for (let attempt = 0; attempt < 7 && placed < 0; attempt++) {
      if (attempt > 0) dir = deflect(preferred, 0.35 * attempt, rng.range(0, 2 * Math.PI));
      const to = add(from.pos, scale(dir, L));
      if (!inside(to, this.size, r + 1)) continue;
      if (this.clearance(from.pos, to, r, g.body, ignore, SHAPE.margin) < SHAPE.margin) continue;
      const prim = this.prims.add(from.pos, to, r, g.body, KIND_NEURITE);
      placed = shape.nodes.length;
      shape.nodes.push({ pos: to, r, parent: tip.node, prim, sv: -1 });
      shape.cable += L;
      g.childPrims[tip.node]!.push(prim);
      g.childPrims.push([]);
    }
    if (placed < 0) {
      g.tips.splice(tipIndex, 1);
      return;
    }
    tip.node = placed;
    tip.dir = dir;
    tip.r = r;
    tip.age++;
    const here = shape.nodes[placed]!.pos;
    if (tip.mode === 'travel') {
      if (dist(here, goal) < 40) {
        // Arrived: sprout an arbor here and travel on to the next field, if any.
        const arborRadius = rng.range(0.05, 0.12) * this.size;
        for (let k = rng.int(2, 4); k > 0; k--) {
          g.tips.push({ node: placed, dir: rng.direction(), r: Math.max(SHAPE.minRadius, r * 0.75), mode: 'arbor', target: tip.target, arborCentre: goal, arborRadius, age: 0 });
        }
        if (tip.target + 1 < g.targets.length) tip.target++;
        else g.tips.splice(g.tips.indexOf(tip), 1);
      } else if (rng.chance(0.015)) {
        g.tips.push({ node: placed, dir: deflect(dir, rng.range(0.5, 1.2), rng.range(0, 2 * Math.PI)), r: Math.max(SHAPE.minRadius, r * 0.6), mode: 'arbor', target: tip.target, arborCentre: here, arborRadius: rng.range(30, 70), age: 0 });
      }
    } else if (rng.chance(0.1) && g.tips.length < 400) {
      g.tips.push({ ...tip, dir: deflect(dir, rng.range(0.4, 1.1), rng.range(0, 2 * Math.PI)), r: Math.max(SHAPE.minRadius, r * rng.range(0.7, 0.9)), age: 0 });
    }
  }

  /** Short fragments seeded wherever a probe finds a void: what an over-segmented volume is full of. */
  fillOrphans(rng: Rng, probeSpacing: number, voidGap: number): void {
    const s = this.size;
    const n = Math.floor(s / probeSpacing);
    for (let z = 0; z < n; z++)
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) {
          const p: Vec3 = [(x + rng.float()) * probeSpacing, (y + rng.float()) * probeSpacing, (z + rng.float()) * probeSpacing];
          if (!inside(p, s, 4)) continue;
          const r = rng.range(3.5, 7.5);
          if (this.clearance(p, p, r, -2, new Set(), voidGap) < voidGap) continue;
          this.growOrphan(rng, p, r);
        }
  }

  /** Dust: one-capsule fragments in the gaps between neurites, what over-segmentation leaves everywhere. */
  fillDust(rng: Rng, count: number): void {
    for (let i = 0; i < count; i++) {
      const p = this.randomInBrain(rng, 1);
      const r = rng.range(2.4, 4.2);
      const q = add(p, scale(rng.direction(), rng.range(0, 4)));
      if (!inside(q, this.size, r + 1) || this.clearance(p, q, r, -2, new Set(), SHAPE.margin + 1) < SHAPE.margin + 1) continue;
      const body = this.bodies.length;
      const prim = this.prims.add(p, q, r, body, KIND_NEURITE);
      this.bodies.push({ kind: 'orphan', nodes: [{ pos: p, r, parent: -1, prim, sv: -1 }], somaPrim: -1, somaAxes: null, somaSvs: [], cable: dist(p, q) });
    }
  }

  private growOrphan(rng: Rng, start: Vec3, r0: number): void {
    const body = this.bodies.length;
    const shape: BodyShape = { kind: 'orphan', nodes: [{ pos: start, r: r0, parent: -1, prim: -1, sv: -1 }], somaPrim: -1, somaAxes: null, somaSvs: [], cable: 0 };
    // A root capsule of length 0 so even a one-node fragment has voxels.
    shape.nodes[0]!.prim = this.prims.add(start, start, r0, body, KIND_NEURITE);
    this.bodies.push(shape);
    const steps = rng.int(1, 12);
    let node = 0;
    let dir = rng.direction();
    for (let i = 0; i < steps; i++) {
      const from = shape.nodes[node]!;
      dir = deflect(dir, Math.abs(rng.normal()) * 0.5, rng.range(0, 2 * Math.PI));
      const to = add(from.pos, scale(dir, rng.range(8, 14)));
      const r = Math.max(SHAPE.minRadius, from.r * rng.range(0.85, 1.05));
      if (!inside(to, this.size, r + 1)) break;
      const ignore = new Set<number>([from.prim]);
      if (from.parent >= 0) ignore.add(shape.nodes[from.parent]!.prim);
      if (this.clearance(from.pos, to, r, body, ignore, SHAPE.margin) < SHAPE.margin) break;
      const prim = this.prims.add(from.pos, to, r, body, KIND_NEURITE);
      shape.nodes.push({ pos: to, r, parent: node, prim, sv: -1 });
      shape.cable += dist(from.pos, to);
      node = shape.nodes.length - 1;
    }
  }

  finish(): Morphology {
    return { prims: this.prims, bodies: this.bodies, size: this.size, brain: this.brain };
  }
}

/** Children lists of a tree, in node order. */
export function childrenOf(nodes: readonly TreeNode[]): number[][] {
  const kids: number[][] = nodes.map(() => []);
  for (let i = 0; i < nodes.length; i++) {
    const p = nodes[i]!.parent;
    if (p >= 0) kids[p]!.push(i);
  }
  return kids;
}

/** Node indices of the subtree rooted at `root` (root included). */
export function subtree(nodes: readonly TreeNode[], root: number): number[] {
  const kids = childrenOf(nodes);
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    out.push(n);
    for (const k of kids[n]!) stack.push(k);
  }
  return out;
}
