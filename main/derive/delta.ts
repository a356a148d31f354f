/**
 * Changes to the aggregate tables, accumulated in memory and written in one pass (apply.ts).
 *
 * Every aggregate is a sum of contributions of two kinds of facts:
 * - a synapse element s (T-bar or PSD) at a position, with a body or none:
 *     ctx totals, ROI totals of the ROIs containing s, and when it has a body: the body's pre/post
 *     and the body's per-ROI pre/post.
 * - an active connection (T-bar t → PSD p: both present with the right kinds, named by either side):
 *     ROI×ROI connections for every ROI containing t × every ROI containing p, and when both have
 *     bodies: the partner edge (body of t → body of p).
 * A full build adds every fact once; an incremental change retracts the old facts it touches (sign
 * −1) and asserts the new ones (+1), so a merge, a cleave or an edited element moves exactly its own
 * contributions. What depends on whole bodies (how many bodies have a pre or post in a ROI, and how
 * many have post in A and pre in B) is derived in apply.ts from each touched body's ROI counts
 * before and after.
 */

export interface SynState {
  sid: number;
  /** 0 T-bar (PreSyn), 1 PSD (PostSyn), null: not a synapse element (only named by a relationship). */
  kind: 0 | 1 | null;
  /** bodies.bid, or null when the element has no known body. */
  bid: number | null;
}

export class Delta {
  pre = 0;
  post = 0;
  preNoBody = 0;
  postNoBody = 0;
  readonly roiPre: Float64Array;
  readonly roiPost: Float64Array;
  /** bid → [Δpre, Δpost] */
  readonly bodies = new Map<number, [number, number]>();
  /** bid → slot → [Δpre, Δpost] */
  readonly bodyRoi = new Map<number, Map<number, [number, number]>>();
  /** a slot * roiCount + b slot → Δconnections */
  readonly roiConn = new Map<number, number>();
  /** pre bid → post bid → Δn */
  readonly edges = new Map<number, Map<number, number>>();

  constructor(readonly roiCount: number) {
    this.roiPre = new Float64Array(roiCount);
    this.roiPost = new Float64Array(roiCount);
  }

  /** Adds (sign 1) or retracts (−1) one synapse element; `slots[0..n)` are the ROIs containing it. */
  syn(s: SynState, slots: ArrayLike<number>, n: number, sign: number): void {
    if (s.kind === null) return;
    const isPre = s.kind === 0;
    if (isPre) this.pre += sign;
    else this.post += sign;
    for (let i = 0; i < n; i++) {
      if (isPre) this.roiPre[slots[i]!]! += sign;
      else this.roiPost[slots[i]!]! += sign;
    }
    if (s.bid === null) {
      if (isPre) this.preNoBody += sign;
      else this.postNoBody += sign;
      return;
    }
    let b = this.bodies.get(s.bid);
    if (!b) this.bodies.set(s.bid, (b = [0, 0]));
    b[isPre ? 0 : 1] += sign;
    if (n === 0) return;
    let m = this.bodyRoi.get(s.bid);
    if (!m) this.bodyRoi.set(s.bid, (m = new Map()));
    for (let i = 0; i < n; i++) {
      let c = m.get(slots[i]!);
      if (!c) m.set(slots[i]!, (c = [0, 0]));
      c[isPre ? 0 : 1] += sign;
    }
  }

  /** Adds or retracts one connection t → p when it is active (t a T-bar, p a PSD). */
  pair(t: SynState, tSlots: ArrayLike<number>, tn: number, p: SynState, pSlots: ArrayLike<number>, pn: number, sign: number): void {
    if (t.kind !== 0 || p.kind !== 1) return;
    const R = this.roiCount;
    for (let i = 0; i < tn; i++) {
      const base = tSlots[i]! * R;
      for (let j = 0; j < pn; j++) {
        const k = base + pSlots[j]!;
        this.roiConn.set(k, (this.roiConn.get(k) ?? 0) + sign);
      }
    }
    if (t.bid === null || p.bid === null) return;
    let m = this.edges.get(t.bid);
    if (!m) this.edges.set(t.bid, (m = new Map()));
    m.set(p.bid, (m.get(p.bid) ?? 0) + sign);
  }
}
