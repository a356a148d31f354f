/**
 * Incremental update of one built ctx, inside the caller's write transaction: given what changed in
 * the cache (annotation blocks, supervoxels whose body changed, annotated bodies), it reads the
 * CURRENT stored state of just those keys and moves their contributions (delta.ts): retract
 * everything the touched elements and their connections contributed, write their new `syn`/`conn`
 * rows, assert the new contributions. Being state-based it is idempotent: a key reported twice, or
 * a change that was rolled back, costs a read and changes nothing.
 *
 * - A block rewritten (elements posted, replaced, deleted) or its supervoxel row written → every
 *   element the block holds now and every synapse row the block held before.
 * - A supervoxel's body changed (sv_map: merge, cleave, split) → the synapse rows with that
 *   supervoxel (index syn_sv): only their body moves (counts, ROI counts, partner edges).
 * - A body annotation written or deleted → that body's row (type, instance, status, full text).
 * Cost: a few indexed reads and writes per touched element and per connection it takes part in.
 */
import type { Database, Statement } from 'better-sqlite3';
import { u64ToDb } from '../cache/u64';
import { DeltaWriter } from './apply';
import { BodyRows } from './body-rows';
import type { CtxState } from './ctx-state';
import { Delta, type SynState } from './delta';
import { REL_POSTSYNTO, REL_PRESYNTO, viewBlock } from './element-blocks';

const STORED_ZERO = u64ToDb(0n);

/** Changed keys, with uint64 ids in their stored form (main/cache/u64.ts). */
export interface StoredChanges {
  /** [bx, by, bz] of the synapse instance's blocks (element_blocks / element_block_svs rows) that changed */
  blocks: Iterable<readonly [number, number, number]>;
  /** stored supervoxel ids of the ctx's labelmap whose sv_map row changed */
  supervoxels: Iterable<bigint>;
  /** stored body ids whose annotation row changed */
  bodies: Iterable<bigint>;
}

/** What an element is now, read from its stored block. */
interface NewState {
  kind: 0 | 1 | null;
  /** stored forms */
  sv: bigint | null;
  body: bigint | null;
  /** relationships it declares: [bit (1 PreSynTo of a T-bar, 2 PostSynTo of a PSD), x, y, z] */
  rels: Array<[1 | 2, number, number, number]>;
}

export interface Touched {
  /** "z,y,x" → position and its current state */
  elements: Map<string, { pos: [number, number, number]; state: NewState }>;
  supervoxels: bigint[];
  size: number;
}

interface Known extends SynState {
  slots: number[];
}

export interface UpdateReport {
  elements: number;
  bodies: number;
}

export class CtxUpdater {
  readonly #s: CtxState;
  readonly #synAt: Statement;
  readonly #synById: Statement;
  readonly #synIns: Statement;
  readonly #synSet: Statement;
  readonly #synDel: Statement;
  readonly #blockRows: Statement;
  readonly #block: Statement;
  readonly #synsOfSv: Statement;
  readonly #svCount: Statement;
  readonly #pairsOfPre: Statement;
  readonly #pairsOfPost: Statement;
  readonly #clearPre1: Statement;
  readonly #clearPre3: Statement;
  readonly #clearPost2: Statement;
  readonly #clearPost3: Statement;
  readonly #declare: Statement;
  readonly #referenced: Statement;
  readonly #svBody: Statement;
  readonly #synsById: Statement;
  readonly #pairsOfMany: Statement;
  readonly #synSetBid: Statement;
  readonly #bodies: BodyRows;
  readonly #writer: DeltaWriter;

  constructor(db: Database, state: CtxState) {
    this.#s = state;
    const c = state.config;
    this.#synAt = db.prepare('SELECT sid, kind, bid FROM derived.syn WHERE ctx_id = ? AND z = ? AND y = ? AND x = ?').raw(true).safeIntegers(false);
    this.#synById = db.prepare('SELECT kind, bid, x, y, z FROM derived.syn WHERE sid = ?').raw(true).safeIntegers(false);
    this.#synIns = db.prepare('INSERT INTO derived.syn (ctx_id, z, y, x, bz, by, bx, kind, sv, bid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#synSet = db.prepare('UPDATE derived.syn SET kind = ?, sv = ?, bid = ? WHERE sid = ?');
    this.#synDel = db.prepare('DELETE FROM derived.syn WHERE sid = ?');
    this.#blockRows = db.prepare('SELECT x, y, z FROM derived.syn WHERE ctx_id = ? AND bz = ? AND by = ? AND bx = ?').raw(true).safeIntegers(false);
    this.#block = db.prepare(
      `SELECT e.data, s.svs FROM main.element_blocks e
       LEFT JOIN main.element_block_svs s ON s.instance_id = e.instance_id AND s.node_id = e.node_id AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx AND s.labelmap_id = ?
       WHERE e.instance_id = ? AND e.node_id = ? AND e.bz = ? AND e.by = ? AND e.bx = ?`,
    );
    this.#synsOfSv = db.prepare('SELECT sid, kind, bid, x, y, z FROM derived.syn WHERE ctx_id = ? AND sv = ?').raw(true).safeIntegers(false);
    this.#svCount = db.prepare('SELECT count(*) FROM derived.syn WHERE ctx_id = ? AND sv = ?').pluck().safeIntegers(false);
    this.#pairsOfPre = db.prepare('SELECT pre_sid, post_sid FROM derived.conn WHERE pre_sid = ?').raw(true).safeIntegers(false);
    this.#pairsOfPost = db.prepare('SELECT pre_sid, post_sid FROM derived.conn WHERE post_sid = ?').raw(true).safeIntegers(false);
    this.#clearPre1 = db.prepare('DELETE FROM derived.conn WHERE pre_sid = ? AND decl = 1');
    this.#clearPre3 = db.prepare('UPDATE derived.conn SET decl = 2 WHERE pre_sid = ? AND decl = 3');
    this.#clearPost2 = db.prepare('DELETE FROM derived.conn WHERE post_sid = ? AND decl = 2');
    this.#clearPost3 = db.prepare('UPDATE derived.conn SET decl = 1 WHERE post_sid = ? AND decl = 3');
    this.#declare = db.prepare('INSERT INTO derived.conn (pre_sid, post_sid, decl) VALUES (?, ?, ?) ON CONFLICT (pre_sid, post_sid) DO UPDATE SET decl = decl | excluded.decl');
    this.#referenced = db
      .prepare('SELECT EXISTS (SELECT 1 FROM derived.conn WHERE pre_sid = ?) OR EXISTS (SELECT 1 FROM derived.conn WHERE post_sid = ?)')
      .pluck()
      .safeIntegers(false);
    this.#svBody = db.prepare('SELECT body FROM main.sv_map WHERE instance_id = ? AND node_id = ? AND sv = ?').pluck().safeIntegers(true);
    this.#synsById = db.prepare('SELECT s.sid, s.kind, s.bid, s.x, s.y, s.z FROM json_each(?) j CROSS JOIN derived.syn s ON s.sid = j.value').raw(true).safeIntegers(false);
    this.#pairsOfMany = db
      .prepare(
        `SELECT c.pre_sid, c.post_sid FROM json_each(?) j CROSS JOIN derived.conn c ON c.pre_sid = j.value
         UNION SELECT c.pre_sid, c.post_sid FROM json_each(?) j CROSS JOIN derived.conn c ON c.post_sid = j.value`,
      )
      .raw(true)
      .safeIntegers(false);
    this.#synSetBid = db.prepare('UPDATE derived.syn SET bid = ? WHERE sid = ?');
    this.#bodies = new BodyRows(db, state.id, c.nodeId, c.annotations);
    this.#writer = new DeltaWriter(db);
  }

  /** What the changes touch: the elements of changed blocks (before and now), and the changed supervoxels. */
  touched(changes: StoredChanges): Touched {
    const s = this.#s;
    const c = s.config;
    const elements: Touched['elements'] = new Map();
    const bodyOf = (sv: bigint | null): bigint | null => {
      if (sv === null || c.labelmap === null) return null;
      const b = this.#svBody.get(c.labelmap, c.nodeId, sv) as bigint | undefined;
      return b === undefined || b === STORED_ZERO ? null : b;
    };
    for (const [bx, by, bz] of changes.blocks) {
      // What the block held: gone unless the block still holds it.
      for (const [x, y, z] of this.#blockRows.iterate(s.id, bz, by, bx) as Iterable<[number, number, number]>) {
        elements.set(`${z},${y},${x}`, { pos: [x, y, z], state: { kind: null, sv: null, body: null, rels: [] } });
      }
      if (c.synapses === null) continue;
      const row = this.#block.get(c.labelmap ?? -1, c.synapses, c.nodeId, bz, by, bx) as { data: Buffer; svs: Buffer | null } | undefined;
      if (!row) continue;
      const v = viewBlock(row.data, row.svs);
      for (let i = 0; i < v.n; i++) {
        const x = v.pos[3 * i]!, y = v.pos[3 * i + 1]!, z = v.pos[3 * i + 2]!;
        const k = v.kind[i]!;
        const kind = k === 0 || k === 1 ? k : null;
        const rawSv = v.svs ? v.svs[i]! : 0n;
        const sv = kind === null || rawSv === 0n ? null : u64ToDb(rawSv);
        const rels: NewState['rels'] = [];
        if (kind !== null) {
          for (let r = v.relStart[i]!; r < v.relStart[i + 1]!; r++) {
            const rel = v.relKind[r]!;
            if ((kind === 0 && rel === REL_PRESYNTO) || (kind === 1 && rel === REL_POSTSYNTO)) rels.push([kind === 0 ? 1 : 2, v.relTo[3 * r]!, v.relTo[3 * r + 1]!, v.relTo[3 * r + 2]!]);
          }
        }
        elements.set(`${z},${y},${x}`, { pos: [x, y, z], state: { kind, sv, body: bodyOf(sv), rels } });
      }
    }
    const supervoxels = [...changes.supervoxels];
    let size = elements.size;
    for (const sv of supervoxels) size += this.#countOfSv(sv);
    return { elements, supervoxels, size };
  }

  #countOfSv(sv: bigint): number {
    return this.#svCount.get(this.#s.id, sv) as number;
  }

  /**
   * Supervoxels whose body changed (merge, cleave, split): only the bodies of their elements change,
   * never the elements or their connections, so this moves each element's body contributions and
   * its connections' partner edges from the old body to the new one, in batched reads.
   */
  moveBodies(supervoxels: readonly bigint[], skip: ReadonlyMap<string, unknown>, now = Date.now()): number {
    const s = this.#s;
    const c = s.config;
    if (supervoxels.length === 0 || c.labelmap === null) return 0;
    const delta = new Delta(s.rids.length);
    const known = new Map<number, Known>();
    const slotsAt = (x: number, y: number, z: number): number[] => {
      const out: number[] = [];
      s.roiIndex.slotsAt(x, y, z, out);
      return out;
    };
    const touchedBids = new Set<number>();
    const changed: Array<{ sid: number; bid: number | null }> = [];
    for (const sv of supervoxels) {
      const body = this.#svBody.get(c.labelmap, c.nodeId, sv) as bigint | undefined;
      const bid = body === undefined || body === STORED_ZERO ? null : this.#bodies.ensure(body);
      for (const [sid, kind, old, x, y, z] of this.#synsOfSv.all(s.id, sv) as Array<[number, number | null, number | null, number, number, number]>) {
        // Elements of changed blocks were re-read whole by apply().
        if (kind === null || old === bid || skip.has(`${z},${y},${x}`)) continue;
        known.set(sid, { sid, kind: kind as 0 | 1, bid: old, slots: slotsAt(x, y, z) });
        changed.push({ sid, bid });
        if (old !== null) touchedBids.add(old);
      }
      if (bid !== null) touchedBids.add(bid);
    }
    if (changed.length === 0) return 0;
    // Every connection of a moved element, and the state of the other end.
    const sids = changed.map((x) => x.sid);
    const pairs = new Map<string, [number, number]>();
    for (let i = 0; i < sids.length; i += 2000) {
      const list = JSON.stringify(sids.slice(i, i + 2000));
      for (const p of this.#pairsOfMany.iterate(list, list) as Iterable<[number, number]>) pairs.set(`${p[0]}:${p[1]}`, p);
    }
    const missing = new Set<number>();
    for (const [a, b] of pairs.values()) {
      if (!known.has(a)) missing.add(a);
      if (!known.has(b)) missing.add(b);
    }
    const ms = [...missing];
    for (let i = 0; i < ms.length; i += 2000) {
      for (const [sid, kind, bid, x, y, z] of this.#synsById.iterate(JSON.stringify(ms.slice(i, i + 2000))) as Iterable<[number, number | null, number | null, number, number, number]>) {
        known.set(sid, { sid, kind: kind as 0 | 1 | null, bid, slots: slotsAt(x, y, z) });
      }
    }
    const retractAssert = (sign: number) => {
      for (const { sid } of changed) {
        const k = known.get(sid)!;
        delta.syn(k, k.slots, k.slots.length, sign);
      }
      for (const [a, b] of pairs.values()) {
        const t = known.get(a)!, p = known.get(b)!;
        delta.pair(t, t.slots, t.slots.length, p, p.slots, p.slots.length, sign);
      }
    };
    retractAssert(-1);
    for (const { sid, bid } of changed) {
      known.get(sid)!.bid = bid;
      this.#synSetBid.run(bid, sid);
    }
    retractAssert(1);
    this.#writer.apply(s.id, s.rids, delta, false, now);
    for (const bid of touchedBids) this.#bodies.deleteIfEmpty(bid);
    return changed.length;
  }

  apply(positions: Touched['elements'], annotated: Iterable<bigint>, now = Date.now()): UpdateReport {
    const s = this.#s;
    const known = new Map<number, Known>();
    const slotsAt = (x: number, y: number, z: number): number[] => {
      const out: number[] = [];
      s.roiIndex.slotsAt(x, y, z, out);
      return out;
    };
    const knownSyn = (sid: number): Known => {
      let k = known.get(sid);
      if (!k) {
        const r = this.#synById.get(sid) as [number | null, number | null, number, number, number] | undefined;
        if (!r) throw new Error(`derived.syn row ${sid} is missing: the derived tables are inconsistent; rebuild them`);
        k = { sid, kind: r[0] as 0 | 1 | null, bid: r[1], slots: slotsAt(r[2], r[3], r[4]) };
        known.set(sid, k);
      }
      return k;
    };
    const pairsOf = (sids: Iterable<number>): Map<string, [number, number]> => {
      const out = new Map<string, [number, number]>();
      for (const sid of sids) {
        for (const p of this.#pairsOfPre.iterate(sid) as Iterable<[number, number]>) out.set(`${p[0]}:${p[1]}`, p);
        for (const p of this.#pairsOfPost.iterate(sid) as Iterable<[number, number]>) out.set(`${p[0]}:${p[1]}`, p);
      }
      return out;
    };

    const delta = new Delta(s.rids.length);
    const touchedBids = new Set<number>();

    // Before: the touched elements that have rows, and every connection they take part in.
    const before: number[] = [];
    const at = new Map<string, number>();
    for (const [k, { pos: [x, y, z] }] of positions) {
      const r = this.#synAt.get(s.id, z, y, x) as [number, number | null, number | null] | undefined;
      if (!r) continue;
      at.set(k, r[0]);
      before.push(r[0]);
      known.set(r[0], { sid: r[0], kind: r[1] as 0 | 1 | null, bid: r[2], slots: slotsAt(x, y, z) });
      if (r[2] !== null) touchedBids.add(r[2]);
    }
    const pairsBefore = pairsOf(before);
    for (const sid of before) {
      const k = known.get(sid)!;
      delta.syn(k, k.slots, k.slots.length, -1);
    }
    for (const [pre, post] of pairsBefore.values()) {
      const t = knownSyn(pre), p = knownSyn(post);
      delta.pair(t, t.slots, t.slots.length, p, p.slots, p.slots.length, -1);
    }

    // The new state, from the cache.
    const placeholderCandidates = new Set<number>(before);
    const synAtOrPlaceholder = (x: number, y: number, z: number): number => {
      const r = this.#synAt.get(s.id, z, y, x) as [number, number | null, number | null] | undefined;
      if (r) return r[0];
      const bs = s.blockSize;
      const sid = Number(this.#synIns.run(s.id, z, y, x, Math.floor(z / bs), Math.floor(y / bs), Math.floor(x / bs), null, null, null).lastInsertRowid);
      known.set(sid, { sid, kind: null, bid: null, slots: slotsAt(x, y, z) });
      placeholderCandidates.add(sid);
      return sid;
    };
    const after: number[] = [];
    let elements = 0;
    for (const [k, { pos: [x, y, z], state }] of positions) {
      // A row may have appeared since "before": a placeholder made for an earlier element's relationship.
      let sid = at.get(k) ?? ((this.#synAt.get(s.id, z, y, x) as [number, number | null, number | null] | undefined)?.[0] ?? undefined);
      const kind = state.kind;
      const bid = kind !== null && state.body !== null ? this.#bodies.ensure(state.body) : null;
      const sv = kind === null ? null : state.sv;
      if (sid === undefined) {
        if (kind === null) continue; // no element and no row: nothing to do
        const bs = s.blockSize;
        sid = Number(this.#synIns.run(s.id, z, y, x, Math.floor(z / bs), Math.floor(y / bs), Math.floor(x / bs), kind, sv, bid).lastInsertRowid);
        known.set(sid, { sid, kind, bid, slots: slotsAt(x, y, z) });
      } else {
        this.#synSet.run(kind, sv, bid, sid);
        const kn = known.get(sid)!;
        kn.kind = kind;
        kn.bid = bid;
      }
      elements++;
      after.push(sid);
      if (bid !== null) touchedBids.add(bid);
      // This element's own declarations are replaced by what its relationships say now.
      this.#clearPre1.run(sid);
      this.#clearPre3.run(sid);
      this.#clearPost2.run(sid);
      this.#clearPost3.run(sid);
      for (const [bit, rx, ry, rz] of state.rels) {
        const other = synAtOrPlaceholder(rx, ry, rz);
        if (bit === 1) this.#declare.run(sid, other, 1);
        else this.#declare.run(other, sid, 2);
      }
      if (kind === null) placeholderCandidates.add(sid);
    }

    // After: assert the new contributions.
    const pairsAfter = pairsOf(after);
    for (const sid of after) {
      const k = known.get(sid)!;
      delta.syn(k, k.slots, k.slots.length, 1);
    }
    for (const [pre, post] of pairsAfter.values()) {
      const t = knownSyn(pre), p = knownSyn(post);
      delta.pair(t, t.slots, t.slots.length, p, p.slots, p.slots.length, 1);
    }
    // Rows that are neither an element nor named by one are dropped (partners that lost their last reference too).
    for (const [pre, post] of pairsBefore.values()) {
      placeholderCandidates.add(pre);
      placeholderCandidates.add(post);
    }
    for (const sid of placeholderCandidates) {
      const k = known.get(sid);
      if (k && k.kind === null && !this.#referenced.get(sid, sid)) this.#synDel.run(sid);
    }

    this.#writer.apply(s.id, s.rids, delta, false, now);
    for (const bid of touchedBids) this.#bodies.deleteIfEmpty(bid);

    let bodies = 0;
    for (const b of annotated) {
      this.#bodies.refreshAnnotation(b);
      bodies++;
    }
    return { elements, bodies };
  }
}

export function storedIds(ids: Iterable<bigint>): bigint[] {
  return [...ids].map(u64ToDb);
}
