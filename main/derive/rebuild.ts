/**
 * Full build of one ctx from the stored data, inside the caller's write transaction.
 *
 * Steps (each a sequential read of the cache's own key order):
 *  1. clear the ctx's rows; write its ROI rows (slots, names, hierarchy, primary flags);
 *  2. body rows for every annotated body, with their full-text rows;
 *  3. one pass over the stored annotation blocks (element_blocks + element_block_svs, decoded as
 *     typed arrays by element-blocks.ts): position, kind, supervoxel, body (supervoxel → sv_map;
 *     bodies met for the first time get their rows) → `syn` rows; ROI slots from the RoiIndex;
 *  4. relationships: each T-bar's PreSynTo and each PSD's PostSynTo, resolved to sids by a binary
 *     search in the target's block (targets that are not cached synapse elements become placeholder
 *     rows), merged into `conn` (decl bits say which side named the pair);
 *  5. every element and every active connection added to one Delta, written by DeltaWriter.
 * Cost: linear in elements + relationships plus the inserts; measured by test/bench/search.bench.ts
 * (≈1 M synapse elements in tens of seconds on a busy 2-core machine).
 */
import type { Database } from 'better-sqlite3';
import { DeltaWriter } from './apply';
import { ANNOTATION_SELECT, BodyRows, bodyMeta, type AnnotationFields } from './body-rows';
import type { CtxConfig } from './context';
import type { CtxState } from './ctx-state';
import { loadRoiIndex, loadRoiMeta, synapseBlockSize } from './ctx-state';
import { findInBlock, REL_POSTSYNTO, REL_PRESYNTO, viewBlock, type BlockView } from './element-blocks';
import { u64ToDb } from '../cache/u64';
import { Delta, type SynState } from './delta';
import { BULK_INDEXES, DERIVED_TABLES } from './schema';

const STORED_ZERO = u64ToDb(0n);

/** Deletes every derived row of a ctx (its ctx row included). */
export function clearCtx(db: Database, ctxId: number): void {
  const others = db.prepare('SELECT count(*) FROM derived.ctx WHERE id <> ?').pluck().safeIntegers(false).get(ctxId) as number;
  if (others === 0) {
    // The only ctx: empty whole tables (SQLite's truncate path) instead of deleting row by row.
    for (const t of DERIVED_TABLES) db.prepare(`DELETE FROM derived.${t}`).run();
    db.prepare("INSERT INTO derived.fts_sub (fts_sub) VALUES ('delete-all')").run();
    db.prepare("INSERT INTO derived.fts_word (fts_word) VALUES ('delete-all')").run();
    return;
  }
  for (const t of DERIVED_TABLES) {
    switch (t) {
      case 'conn':
        db.prepare('DELETE FROM derived.conn WHERE pre_sid IN (SELECT sid FROM derived.syn WHERE ctx_id = ?)').run(ctxId);
        break;
      case 'body_roi':
        db.prepare('DELETE FROM derived.body_roi WHERE bid IN (SELECT bid FROM derived.bodies WHERE ctx_id = ?)').run(ctxId);
        break;
      case 'edges':
        db.prepare('DELETE FROM derived.edges WHERE pre_bid IN (SELECT bid FROM derived.bodies WHERE ctx_id = ?)').run(ctxId);
        break;
      case 'bodies':
        db.prepare('DELETE FROM derived.fts_sub WHERE rowid IN (SELECT bid FROM derived.bodies WHERE ctx_id = ?)').run(ctxId);
        db.prepare('DELETE FROM derived.fts_word WHERE rowid IN (SELECT bid FROM derived.bodies WHERE ctx_id = ?)').run(ctxId);
        db.prepare('DELETE FROM derived.bodies WHERE ctx_id = ?').run(ctxId);
        break;
      case 'ctx':
        db.prepare('DELETE FROM derived.ctx WHERE id = ?').run(ctxId);
        break;
      default:
        db.prepare(`DELETE FROM derived.${t} WHERE ctx_id = ?`).run(ctxId);
    }
  }
}

/** Growable Int32 column. */
class Ints {
  a: Int32Array;
  n = 0;
  constructor(cap = 1024) {
    this.a = new Int32Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/** Builds (or rebuilds) the ctx of `config.nodeId`. Returns its state. Call inside a write transaction. */
export function buildCtx(db: Database, config: CtxConfig, now = Date.now()): CtxState {
  const old = db.prepare('SELECT id FROM derived.ctx WHERE node_id = ?').pluck().safeIntegers(false).get(config.nodeId) as number | undefined;
  if (old !== undefined) clearCtx(db, old);
  for (const i of BULK_INDEXES) db.prepare(`DROP INDEX IF EXISTS derived.${i.name}`).run();
  try {
    return fill(db, config, now);
  } finally {
    for (const i of BULK_INDEXES) db.exec(i.sql.replace('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS').replace('CREATE UNIQUE INDEX', 'CREATE UNIQUE INDEX IF NOT EXISTS'));
  }
}

function fill(db: Database, config: CtxConfig, now: number): CtxState {
  const ctxId = Number(
    db.prepare('INSERT INTO derived.ctx (node_id, config, built_at, updated_at) VALUES (?, ?, ?, ?)').run(config.nodeId, JSON.stringify(config), now, now).lastInsertRowid,
  );

  // 1. ROIs.
  const meta = loadRoiMeta(db, config);
  const insRoi = db.prepare('INSERT INTO derived.rois (ctx_id, slot, instance_id, name, parent, is_primary, ord) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const rids = meta.map((m, slot) => Number(insRoi.run(ctxId, slot, m.instanceId, m.name, m.parent, m.primary ? 1 : 0, m.ord).lastInsertRowid));
  const roiIndex = loadRoiIndex(db, config, rids, meta.map((m) => m.instanceId));

  // 2. Bodies with an annotation.
  const bodies = new BodyRows(db, ctxId, config.nodeId, config.annotations);
  const bidOfBody = new Map<bigint, number>();
  if (config.annotations !== null) {
    const rows = db
      .prepare(`SELECT body, ${ANNOTATION_SELECT} FROM main.body_annotations WHERE instance_id = ? AND node_id = ?`)
      .safeIntegers(true)
      .all(config.annotations, config.nodeId) as Array<AnnotationFields & { body: bigint }>;
    for (const r of rows) bidOfBody.set(r.body, bodies.insert(r.body, bodyMeta(r)));
  }
  const S = config.synapses;
  const L = config.labelmap;
  const state: CtxState = { id: ctxId, config, rids, roiIndex, blockSize: synapseBlockSize(db, config) };
  if (S === null) return state;
  const bs = state.blockSize;

  // 3. One pass over the stored annotation blocks in key order, each block's elements in (z, y, x)
  // order: position, kind, supervoxel (the block's supervoxel row, in the ctx's labelmap), body
  // (supervoxel → sv_map, memoised per supervoxel). Bodies met for the first time get their rows
  // after the pass (no writes while a statement iterates).
  const zs = new Ints(1 << 16), ys = new Ints(1 << 16), xs = new Ints(1 << 16), kinds = new Ints(1 << 16), bids = new Ints(1 << 16);
  const bzs = new Ints(1 << 16), bys = new Ints(1 << 16), bxs = new Ints(1 << 16);
  const svOf: Array<bigint | null> = [];
  const blocks = new Map<string, { view: BlockView; first: Int32Array }>();
  const relOwner = new Ints(1 << 16), relBit = new Ints(1 << 16), relX = new Ints(1 << 16), relY = new Ints(1 << 16), relZ = new Ints(1 << 16);
  const svBody = db.prepare('SELECT body FROM main.sv_map WHERE instance_id = ? AND node_id = ? AND sv = ?').pluck().safeIntegers(true);
  const bodyOfSv = new Map<bigint, bigint | null>();
  const newBodies: bigint[] = [];
  const pendingBid = new Map<bigint, number>(); // body → −2 − index in newBodies
  const stream = db
    .prepare(
      `SELECT e.bx, e.by, e.bz, e.data, s.svs FROM main.element_blocks e
       LEFT JOIN main.element_block_svs s ON s.instance_id = e.instance_id AND s.node_id = e.node_id AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx AND s.labelmap_id = ?
       WHERE e.instance_id = ? AND e.node_id = ? AND e.count > 0 ORDER BY e.bz, e.by, e.bx`,
    )
    .raw(true)
    .safeIntegers(false);
  for (const [bx, by, bz, data, svs] of stream.iterate(L ?? -1, S, config.nodeId) as Iterable<[number, number, number, Buffer, Buffer | null]>) {
    const view = viewBlock(data, svs);
    // Synapse index of each element of the block (−1: not a synapse element).
    const first = new Int32Array(view.n).fill(-1);
    blocks.set(`${bx},${by},${bz}`, { view, first });
    for (let i = 0; i < view.n; i++) {
      const kind = view.kind[i]!;
      if (kind !== 0 && kind !== 1) continue;
      const idx = zs.n;
      first[i] = idx;
      xs.push(view.pos[3 * i]!);
      ys.push(view.pos[3 * i + 1]!);
      zs.push(view.pos[3 * i + 2]!);
      bxs.push(bx);
      bys.push(by);
      bzs.push(bz);
      kinds.push(kind);
      const sv = view.svs ? view.svs[i]! : 0n;
      let bid = -1;
      if (sv !== 0n && L !== null) {
        svOf.push(u64ToDb(sv));
        let body = bodyOfSv.get(sv);
        if (body === undefined) {
          const stored = svBody.get(L, config.nodeId, u64ToDb(sv)) as bigint | undefined;
          body = stored === undefined || stored === STORED_ZERO ? null : stored;
          bodyOfSv.set(sv, body);
        }
        if (body !== null) {
          let b = bidOfBody.get(body) ?? pendingBid.get(body);
          if (b === undefined) {
            b = -2 - newBodies.length;
            newBodies.push(body);
            pendingBid.set(body, b);
          }
          bid = b;
        }
      } else svOf.push(null);
      bids.push(bid);
      for (let k = view.relStart[i]!; k < view.relStart[i + 1]!; k++) {
        const rel = view.relKind[k]!;
        if ((kind === 0 && rel === REL_PRESYNTO) || (kind === 1 && rel === REL_POSTSYNTO)) {
          relOwner.push(idx);
          relBit.push(kind === 0 ? 1 : 2);
          relX.push(view.relTo[3 * k]!);
          relY.push(view.relTo[3 * k + 1]!);
          relZ.push(view.relTo[3 * k + 2]!);
        }
      }
    }
  }
  const n = zs.n;
  const created = newBodies.map((b) => bodies.insert(b, bodyMeta(null)));
  for (let i = 0; i < n; i++) if (bids.a[i]! < -1) bids.a[i] = created[-2 - bids.a[i]!]!;

  const sidBase = db.prepare('SELECT ifnull(max(sid), 0) FROM derived.syn').pluck().safeIntegers(false).get() as number;
  const insSyn = db.prepare('INSERT INTO derived.syn (sid, ctx_id, z, y, x, bz, by, bx, kind, sv, bid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  for (let i = 0; i < n; i++) {
    const bid = bids.a[i]!;
    insSyn.run(sidBase + 1 + i, ctxId, zs.a[i], ys.a[i], xs.a[i], bzs.a[i], bys.a[i], bxs.a[i], kinds.a[i], svOf[i], bid < 0 ? null : bid);
  }

  // 4. Relationships → pairs (pre sid, post sid, decl bit), as sorted BigInt keys: pre << 34 | post << 2 | bit.
  // A target is found in its block (binary search); one that is not a cached synapse element becomes a placeholder row.
  const placeholders = new Map<string, number>();
  const placeholderPos: Array<[number, number, number]> = [];
  const sidOf = (x: number, y: number, z: number): number => {
    const blk = blocks.get(`${Math.floor(x / bs)},${Math.floor(y / bs)},${Math.floor(z / bs)}`);
    if (blk) {
      const i = findInBlock(blk.view, x, y, z);
      if (i >= 0 && blk.first[i]! >= 0) return sidBase + 1 + blk.first[i]!;
    }
    const k = `${z},${y},${x}`;
    let sid = placeholders.get(k);
    if (sid === undefined) {
      sid = sidBase + 1 + n + placeholderPos.length;
      placeholders.set(k, sid);
      placeholderPos.push([x, y, z]);
    }
    return sid;
  };
  const nk = relOwner.n;
  const keys = new BigInt64Array(nk);
  for (let r = 0; r < nk; r++) {
    const own = sidBase + 1 + relOwner.a[r]!;
    const other = sidOf(relX.a[r]!, relY.a[r]!, relZ.a[r]!);
    const bit = relBit.a[r]!;
    const [pre, post] = bit === 1 ? [own, other] : [other, own];
    keys[r] = (BigInt(pre) << 34n) | (BigInt(post) << 2n) | BigInt(bit);
  }
  const insPlaceholder = db.prepare('INSERT INTO derived.syn (sid, ctx_id, z, y, x, bz, by, bx, kind, sv, bid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)');
  placeholderPos.forEach(([x, y, z], j) => insPlaceholder.run(sidBase + 1 + n + j, ctxId, z, y, x, Math.floor(z / bs), Math.floor(y / bs), Math.floor(x / bs)));

  // In place: the key array can hold tens of millions of entries.
  // oxlint-disable-next-line unicorn/no-array-sort
  const sorted = keys.sort();
  const insConn = db.prepare('INSERT INTO derived.conn (pre_sid, post_sid, decl) VALUES (?, ?, ?)');
  const delta = new Delta(rids.length);
  // ROI slots of every element, computed once (CSR).
  const slotStart = new Int32Array(n + 1);
  const slotList = new Ints(n + 16);
  const tmp: number[] = [];
  const synState: SynState = { sid: 0, kind: null, bid: null };
  for (let j = 0; j < n; j++) {
    const c = roiIndex.slotsAt(xs.a[j]!, ys.a[j]!, zs.a[j]!, tmp);
    for (let k = 0; k < c; k++) slotList.push(tmp[k]!);
    slotStart[j + 1] = slotList.n;
    synState.sid = sidBase + 1 + j;
    synState.kind = kinds.a[j] as 0 | 1;
    synState.bid = bids.a[j]! < 0 ? null : bids.a[j]!;
    delta.syn(synState, tmp, c, 1);
  }
  const t: SynState = { sid: 0, kind: null, bid: null };
  const p: SynState = { sid: 0, kind: null, bid: null };
  for (let k = 0; k < nk; ) {
    const pairKey = sorted[k]! >> 2n;
    let decl = 0;
    while (k < nk && sorted[k]! >> 2n === pairKey) decl |= Number(sorted[k++]! & 3n);
    const pre = Number(pairKey >> 32n);
    const post = Number(pairKey & 0xffffffffn);
    insConn.run(pre, post, decl);
    const a = pre - sidBase - 1, b = post - sidBase - 1;
    if (a >= n || b >= n) continue; // a placeholder end: not an active connection
    t.sid = pre;
    t.kind = kinds.a[a] as 0 | 1;
    t.bid = bids.a[a]! < 0 ? null : bids.a[a]!;
    p.sid = post;
    p.kind = kinds.a[b] as 0 | 1;
    p.bid = bids.a[b]! < 0 ? null : bids.a[b]!;
    const sl = slotList.a;
    delta.pair(t, sl.subarray(slotStart[a]!, slotStart[a + 1]!), slotStart[a + 1]! - slotStart[a]!, p, sl.subarray(slotStart[b]!, slotStart[b + 1]!), slotStart[b + 1]! - slotStart[b]!, 1);
  }

  // 5. Aggregates.
  new DeltaWriter(db).apply(ctxId, rids, delta, true, now);
  return state;
}
