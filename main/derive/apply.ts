/**
 * Writes a Delta (delta.ts) into the derived tables, inside the caller's write transaction.
 *
 * Body-level numbers are derived here from each touched body's per-ROI counts before and after:
 * - rois.bodies_pre / bodies_post / bodies: bodies with ≥ 1 pre / post / either in the ROI;
 * - roi_conn.bodies for (A, B): bodies with ≥ 1 post in A and ≥ 1 pre in B.
 * A body whose set of ROIs-with-post or ROIs-with-pre did not change costs one indexed read.
 * Rows that fall to zero are deleted, so every stored row is a non-zero fact.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Delta } from './delta';

type Counts = Map<number, [number, number]>;

/** A map's entries in key order (rows inserted in primary-key order append to their b-tree). */
function byKey<V>(m: Map<number, V>): Array<[number, V]> {
  return [...m].toSorted((a, b) => a[0] - b[0]);
}

export class DeltaWriter {
  readonly #ctx: Statement;
  readonly #body: Statement;
  readonly #bodyRoiOld: Statement;
  readonly #bodyRoiPut: Statement;
  readonly #bodyRoiDel: Statement;
  readonly #bodyRoiIns: Statement;
  readonly #edgeIns: Statement;
  readonly #roiConnIns: Statement;
  readonly #roi: Statement;
  readonly #roiConn: Statement;
  readonly #roiConnDel: Statement;
  readonly #edge: Statement;
  readonly #edgeDel: Statement;

  constructor(db: Database) {
    this.#ctx = db.prepare(
      'UPDATE derived.ctx SET pre = pre + ?, post = post + ?, pre_no_body = pre_no_body + ?, post_no_body = post_no_body + ?, updated_at = ? WHERE id = ?',
    );
    this.#body = db.prepare('UPDATE derived.bodies SET pre = pre + ?, post = post + ? WHERE bid = ?');
    this.#bodyRoiOld = db.prepare('SELECT r.slot, b.pre, b.post FROM derived.body_roi b JOIN derived.rois r ON r.rid = b.rid WHERE b.bid = ?').raw(true).safeIntegers(false);
    this.#bodyRoiPut = db.prepare('INSERT OR REPLACE INTO derived.body_roi (bid, rid, pre, post) VALUES (?, ?, ?, ?)');
    this.#bodyRoiIns = db.prepare('INSERT INTO derived.body_roi (bid, rid, pre, post) VALUES (?, ?, ?, ?)');
    this.#edgeIns = db.prepare('INSERT INTO derived.edges (pre_bid, post_bid, n) VALUES (?, ?, ?)');
    this.#roiConnIns = db.prepare('INSERT INTO derived.roi_conn (ctx_id, a_rid, b_rid, connections, bodies) VALUES (?, ?, ?, ?, ?)');
    this.#bodyRoiDel = db.prepare('DELETE FROM derived.body_roi WHERE bid = ? AND rid = ?');
    this.#roi = db.prepare(
      'UPDATE derived.rois SET pre = pre + ?, post = post + ?, bodies_pre = bodies_pre + ?, bodies_post = bodies_post + ?, bodies = bodies + ? WHERE rid = ?',
    );
    this.#roiConn = db.prepare(
      `INSERT INTO derived.roi_conn (ctx_id, a_rid, b_rid, connections, bodies) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (ctx_id, a_rid, b_rid) DO UPDATE SET connections = connections + excluded.connections, bodies = bodies + excluded.bodies`,
    );
    this.#roiConnDel = db.prepare('DELETE FROM derived.roi_conn WHERE ctx_id = ? AND a_rid = ? AND b_rid = ? AND connections = 0 AND bodies = 0');
    this.#edge = db.prepare(
      'INSERT INTO derived.edges (pre_bid, post_bid, n) VALUES (?, ?, ?) ON CONFLICT (pre_bid, post_bid) DO UPDATE SET n = n + excluded.n',
    );
    this.#edgeDel = db.prepare('DELETE FROM derived.edges WHERE pre_bid = ? AND post_bid = ? AND n = 0');
  }

  /**
   * `rids[slot]` is the rois.rid of each slot. `fresh`: the ctx's tables are empty (a full build),
   * so no old values are read.
   */
  apply(ctxId: number, rids: readonly number[], d: Delta, fresh: boolean, now = Date.now()): void {
    if (fresh) {
      this.#applyFresh(ctxId, rids, d, now);
      return;
    }
    const R = rids.length;
    this.#ctx.run(d.pre, d.post, d.preNoBody, d.postNoBody, now, ctxId);
    for (const [bid, [p, q]] of d.bodies) if (p !== 0 || q !== 0) this.#body.run(p, q, bid);

    const bodiesPre = new Float64Array(R);
    const bodiesPost = new Float64Array(R);
    const bodiesAny = new Float64Array(R);
    const conn = new Map<number, [number, number]>(); // a * R + b → [Δconnections, Δbodies]
    for (const [k, n] of d.roiConn) if (n !== 0) conn.set(k, [n, 0]);
    const addConnBodies = (posts: number[], pres: number[], sign: number) => {
      for (const a of posts) {
        for (const b of pres) {
          const k = a * R + b;
          const c = conn.get(k);
          if (c) c[1] += sign;
          else conn.set(k, [0, sign]);
        }
      }
    };

    for (const [bid, touched] of d.bodyRoi) {
      const old: Counts = new Map();
      if (!fresh) for (const [slot, pre, post] of this.#bodyRoiOld.iterate(bid) as Iterable<[number, number, number]>) old.set(slot, [pre, post]);
      const now2: Counts = new Map(old);
      let flipped = false;
      for (const [slot, [dp, dq]] of touched) {
        if (dp === 0 && dq === 0) continue;
        const o = old.get(slot) ?? [0, 0];
        const n: [number, number] = [o[0] + dp, o[1] + dq];
        if (n[0] < 0 || n[1] < 0) throw new Error(`derived counts went negative for body row ${bid} in ROI slot ${slot}: the derived tables are inconsistent; rebuild them`);
        if (n[0] === 0 && n[1] === 0) {
          now2.delete(slot);
          this.#bodyRoiDel.run(bid, rids[slot]!);
        } else {
          now2.set(slot, n);
          this.#bodyRoiPut.run(bid, rids[slot]!, n[0], n[1]);
        }
        const hadPre = o[0] > 0, hasPre = n[0] > 0, hadPost = o[1] > 0, hasPost = n[1] > 0;
        if (hadPre !== hasPre) bodiesPre[slot]! += hasPre ? 1 : -1;
        if (hadPost !== hasPost) bodiesPost[slot]! += hasPost ? 1 : -1;
        if (hadPre || hadPost) {
          if (!hasPre && !hasPost) bodiesAny[slot]! -= 1;
        } else if (hasPre || hasPost) bodiesAny[slot]! += 1;
        if (hadPre !== hasPre || hadPost !== hasPost) flipped = true;
      }
      if (!flipped) continue;
      const posts = (m: Counts) => [...m].filter(([, c]) => c[1] > 0).map(([s]) => s);
      const pres = (m: Counts) => [...m].filter(([, c]) => c[0] > 0).map(([s]) => s);
      addConnBodies(posts(old), pres(old), -1);
      addConnBodies(posts(now2), pres(now2), 1);
    }

    for (let s = 0; s < R; s++) {
      if (d.roiPre[s] || d.roiPost[s] || bodiesPre[s] || bodiesPost[s] || bodiesAny[s]) {
        this.#roi.run(d.roiPre[s]!, d.roiPost[s]!, bodiesPre[s]!, bodiesPost[s]!, bodiesAny[s]!, rids[s]!);
      }
    }
    for (const [k, [c, b]] of conn) {
      if (c === 0 && b === 0) continue;
      const a = rids[Math.floor(k / R)]!, bb = rids[k % R]!;
      this.#roiConn.run(ctxId, a, bb, c, b);
      if (c < 0 || b < 0) this.#roiConnDel.run(ctxId, a, bb);
    }
    for (const [pre, m] of d.edges) {
      for (const [post, n] of m) {
        if (n === 0) continue;
        this.#edge.run(pre, post, n);
        if (n < 0) this.#edgeDel.run(pre, post);
      }
    }
  }

  /**
   * A full build: every table of the ctx is empty, so plain INSERTs in primary-key order (b-tree
   * appends), and the body-level numbers straight from each body's final ROI counts.
   */
  #applyFresh(ctxId: number, rids: readonly number[], d: Delta, now: number): void {
    const R = rids.length;
    this.#ctx.run(d.pre, d.post, d.preNoBody, d.postNoBody, now, ctxId);
    for (const [bid, [p, q]] of byKey(d.bodies)) if (p !== 0 || q !== 0) this.#body.run(p, q, bid);
    const bodiesPre = new Float64Array(R), bodiesPost = new Float64Array(R), bodiesAny = new Float64Array(R);
    const connBodies = new Map<number, number>();
    const ridOrder = rids.map((rid, slot) => [rid, slot] as const).toSorted((a, b) => a[0] - b[0]);
    for (const [bid, m] of byKey(d.bodyRoi)) {
      const pres: number[] = [], posts: number[] = [];
      for (const [rid, slot] of ridOrder) {
        const c = m.get(slot);
        if (!c || (c[0] === 0 && c[1] === 0)) continue;
        this.#bodyRoiIns.run(bid, rid, c[0], c[1]);
        if (c[0] > 0) {
          bodiesPre[slot]!++;
          pres.push(slot);
        }
        if (c[1] > 0) {
          bodiesPost[slot]!++;
          posts.push(slot);
        }
        bodiesAny[slot]!++;
      }
      for (const a of posts) for (const b of pres) connBodies.set(a * R + b, (connBodies.get(a * R + b) ?? 0) + 1);
    }
    for (let s = 0; s < R; s++) this.#roi.run(d.roiPre[s]!, d.roiPost[s]!, bodiesPre[s]!, bodiesPost[s]!, bodiesAny[s]!, rids[s]!);
    const cells = new Set<number>([...d.roiConn.keys(), ...connBodies.keys()]);
    const ordered = [...cells].map((k) => [rids[Math.floor(k / R)]!, rids[k % R]!, k] as const).toSorted((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [a, b, k] of ordered) {
      const c = d.roiConn.get(k) ?? 0, n = connBodies.get(k) ?? 0;
      if (c !== 0 || n !== 0) this.#roiConnIns.run(ctxId, a, b, c, n);
    }
    for (const [pre, m] of byKey(d.edges)) for (const [post, n] of byKey(m)) if (n !== 0) this.#edgeIns.run(pre, post, n);
  }
}
