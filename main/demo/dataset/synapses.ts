/**
 * Synapses for the `synapses` annotation instance, placed where neurites of different trees pass
 * close: a T-bar (PreSyn) just inside the presynaptic neurite, facing its partners, and one to
 * seven PSDs (PostSyn) just inside nearby neurites of other trees, at most SHAPE.synapseReach
 * voxels away. Relationships are written on both sides (PreSynTo on the T-bar, PostSynTo on each
 * PSD), `conf` and `user` are string props, tags are empty lists. Every position is checked against
 * the labeller, so no element sits on label 0 or outside its tree, and positions are unique.
 */
import { add, closestT, dist, lerp, norm, scale, sub, type Vec3 } from './geometry';
import type { Labeller } from './labeller';
import type { Morphology } from './neurons';
import { KIND_NEURITE } from './primitives';
import type { Rng } from './prng';
import { SHAPE } from './presets';
import type { Supervoxels } from './supervoxels';
import { PROOFREADERS } from './versions';

export const KIND_PRESYN = 0;
export const KIND_POSTSYN = 1;

export interface SynapseTable {
  /** x, y, z per element */
  pos: Int32Array;
  kind: Uint8Array;
  /** confidence in thousandths */
  conf: Uint16Array;
  /** index into users */
  user: Uint8Array;
  /** element i's relationships are relTo[relStart[i] .. relStart[i+1]) (element indices) */
  relStart: Uint32Array;
  relTo: Uint32Array;
  users: string[];
  /** supervoxel index under each element (what the synced labelmap's label index is built from) */
  sv: Uint32Array;
}

const voxelOf = (q: Vec3): Vec3 => [Math.floor(q[0]), Math.floor(q[1]), Math.floor(q[2])];

export function placeSynapses(rng: Rng, morph: Morphology, svs: Supervoxels, labeller: Labeller, tbarPerVoxel: number): SynapseTable {
  const p = morph.prims;
  const size = morph.size;
  const target = Math.round(tbarPerVoxel * size ** 3);
  // Sample presynaptic sites proportionally to cable length (neurons more than fragments).
  const ids: number[] = [];
  const cum: number[] = [];
  let total = 0;
  for (let id = 0; id < p.count; id++) {
    if (p.kind[id] !== KIND_NEURITE || p.body[id]! < 0) continue;
    const L = Math.hypot(p.bx[id]! - p.ax[id]!, p.by[id]! - p.ay[id]!, p.bz[id]! - p.az[id]!);
    if (L === 0) continue;
    total += L * (morph.bodies[p.body[id]!]!.kind === 'neuron' ? 1 : 0.35);
    ids.push(id);
    cum.push(total);
  }
  const pickPrim = (): number => {
    const x = rng.float() * total;
    let lo = 0, hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return ids[lo]!;
  };
  const used = new Set<number>();
  const keyOf = (v: Vec3): number => (v[2] * size + v[1]) * size + v[0];
  /** Supervoxel index at v when it belongs to tree `shape`, else 0. */
  const inTree = (v: Vec3, shape: number): number => {
    if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[0] >= size || v[1] >= size || v[2] >= size) return 0;
    const l = labeller.labelAt(v[0], v[1], v[2]);
    return l.sv !== 0 && svs.shape[l.sv] === shape ? l.sv : 0;
  };

  const pos: number[] = [], kind: number[] = [], conf: number[] = [], user: number[] = [], svAt: number[] = [];
  const rels: number[][] = [];
  const users = ['$fpl', ...PROOFREADERS];
  const scratch: number[] = [];
  const reach = SHAPE.synapseReach;
  let tbars = 0;
  for (let attempt = 0; attempt < target * 8 && tbars < target; attempt++) {
    const pre = pickPrim();
    const preShape = p.body[pre]!;
    const a = p.a(pre), b = p.b(pre);
    const c = lerp(a, b, rng.range(0.1, 0.9));
    const near = p.query(sub(c, [reach, reach, reach]), add(c, [reach, reach, reach]), scratch);
    const partners: Array<{ id: number; d: number; at: Vec3 }> = [];
    for (const q of near) {
      if (p.kind[q] !== KIND_NEURITE || p.body[q]! < 0 || p.body[q] === preShape) continue;
      const qa = p.a(q), qb = p.b(q);
      const at = lerp(qa, qb, closestT(c, qa, qb));
      const d = dist(c, at);
      if (d <= reach * 0.8) partners.push({ id: q, d, at });
    }
    if (partners.length === 0) continue;
    partners.sort((x, y) => x.d - y.d || x.id - y.id);
    const facing = norm(sub(partners[0]!.at, c));
    const tv = voxelOf(add(c, scale(facing, 0.4 * p.r[pre]!)));
    if (used.has(keyOf(tv))) continue;
    const tSv = inTree(tv, preShape);
    if (tSv === 0) continue;
    const want = Math.min(partners.length, 1 + Math.min(6, Math.floor(-Math.log(1 - rng.float()) * 2.5)));
    const chosen = rng.shuffle(partners.slice(0, Math.max(want, Math.min(partners.length, 8)))).slice(0, want);
    const psds: Array<{ v: Vec3; sv: number }> = [];
    const taken = new Set<number>();
    for (const q of chosen) {
      const toward = norm(sub([tv[0] + 0.5, tv[1] + 0.5, tv[2] + 0.5], q.at));
      const pv = voxelOf(add(q.at, scale(toward, 0.4 * p.r[q.id]!)));
      const k = keyOf(pv);
      if (used.has(k) || taken.has(k) || dist(pv, tv) > reach) continue;
      const pSv = inTree(pv, p.body[q.id]!);
      if (pSv === 0) continue;
      taken.add(k);
      psds.push({ v: pv, sv: pSv });
    }
    if (psds.length === 0) continue;
    const t = pos.length / 3;
    used.add(keyOf(tv));
    pos.push(...tv);
    svAt.push(tSv);
    kind.push(KIND_PRESYN);
    const auto = rng.chance(0.97);
    conf.push(auto ? rng.int(500, 999) : 1000);
    user.push(auto ? 0 : rng.int(1, users.length - 1));
    const tRels: number[] = [];
    rels.push(tRels);
    for (const { v: pv, sv } of psds) {
      used.add(keyOf(pv));
      tRels.push(pos.length / 3);
      pos.push(...pv);
      svAt.push(sv);
      kind.push(KIND_POSTSYN);
      conf.push(auto ? rng.int(300, 999) : 1000);
      user.push(auto ? 0 : user[t]!);
      rels.push([t]);
    }
    tbars++;
  }
  const relStart = new Uint32Array(rels.length + 1);
  rels.forEach((r, i) => (relStart[i + 1] = relStart[i]! + r.length));
  const relTo = new Uint32Array(relStart[rels.length]!);
  rels.forEach((r, i) => relTo.set(r, relStart[i]!));
  return { pos: Int32Array.from(pos), kind: Uint8Array.from(kind), conf: Uint16Array.from(conf), user: Uint8Array.from(user), relStart, relTo, users, sv: Uint32Array.from(svAt) };
}
