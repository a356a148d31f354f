/**
 * Rows of `derived.bodies` and their two full-text rows: one per body that has a synapse element or
 * an annotation at the ctx's node. A body's row carries its annotation's type, instance, status (with
 * its rank) and other name fields, copied from main.body_annotations; `bid` is the small local key
 * every other derived table uses.
 *
 * Full-text index (FTS5, contentless with delete support; rowid = bid), bodies with a name only:
 * - fts_sub (trigram): type, instance, other — substring and prefix search of 3+ characters;
 * - fts_word (unicode61, prefix indexes of 1 and 2 characters): the same columns — word-prefix search
 *   for texts shorter than 3 characters.
 * Body ids are searched on the bodies_id b-tree instead (exact id, and a decimal prefix as at most 20
 * id ranges): a trigram index over ids would hold every body and answer a full id by intersecting
 * posting lists of digit trigrams that each cover a large share of all bodies.
 */
import type { Database, Statement } from 'better-sqlite3';
import { otherNames } from './names';
import { EMPTY_STATUS, statusRank } from './status-order';

export interface AnnotationFields {
  status: string | null;
  type: string | null;
  instance: string | null;
  class: string | null;
  superclass: string | null;
  primary_neurite: string | null;
  hemilineage: string | null;
  notes: string | null;
}

export const ANNOTATION_SELECT = 'status, type, instance, class, superclass, primary_neurite, hemilineage, notes';

export interface BodyMeta {
  annotated: 0 | 1;
  type: string | null;
  instance: string | null;
  status: string | null;
  statusKey: string;
  statusRank: number | null;
  otherNames: string | null;
}

export function bodyMeta(a: AnnotationFields | null): BodyMeta {
  if (!a) return { annotated: 0, type: null, instance: null, status: null, statusKey: EMPTY_STATUS, statusRank: statusRank(null), otherNames: null };
  return {
    annotated: 1,
    type: a.type,
    instance: a.instance,
    status: a.status,
    statusKey: a.status ?? EMPTY_STATUS,
    statusRank: statusRank(a.status),
    otherNames: otherNames(a),
  };
}

export class BodyRows {
  readonly #find: Statement;
  readonly #insert: Statement;
  readonly #update: Statement;
  readonly #annotation: Statement;
  readonly #counts: Statement;
  readonly #delete: Statement;
  readonly #count: Statement;
  readonly #ftsSubIns: Statement;
  readonly #ftsSubDel: Statement;
  readonly #ftsWordIns: Statement;
  readonly #ftsWordDel: Statement;

  constructor(
    db: Database,
    readonly ctxId: number,
    readonly nodeId: number,
    readonly annotations: number | null,
  ) {
    this.#find = db.prepare('SELECT bid FROM derived.bodies WHERE ctx_id = ? AND body = ?').pluck().safeIntegers(false);
    this.#insert = db.prepare(
      `INSERT INTO derived.bodies (ctx_id, body, annotated, type, instance, status, status_key, status_rank, other_names)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#update = db.prepare(
      'UPDATE derived.bodies SET annotated = ?, type = ?, instance = ?, status = ?, status_key = ?, status_rank = ?, other_names = ? WHERE bid = ?',
    );
    this.#annotation = db.prepare(`SELECT ${ANNOTATION_SELECT} FROM main.body_annotations WHERE instance_id = ? AND node_id = ? AND body = ?`).safeIntegers(false);
    this.#counts = db.prepare('SELECT pre, post, annotated FROM derived.bodies WHERE bid = ?').raw(true).safeIntegers(false);
    this.#delete = db.prepare('DELETE FROM derived.bodies WHERE bid = ?');
    this.#count = db.prepare('UPDATE derived.ctx SET bodies = bodies + ? WHERE id = ?');
    this.#ftsSubIns = db.prepare('INSERT INTO derived.fts_sub (rowid, type, instance, other) VALUES (?, ?, ?, ?)');
    this.#ftsSubDel = db.prepare('DELETE FROM derived.fts_sub WHERE rowid = ?');
    this.#ftsWordIns = db.prepare('INSERT INTO derived.fts_word (rowid, type, instance, other) VALUES (?, ?, ?, ?)');
    this.#ftsWordDel = db.prepare('DELETE FROM derived.fts_word WHERE rowid = ?');
  }

  /** The annotation of a body (stored form) at the ctx's node, from the cache. */
  annotationOf(storedBody: bigint): AnnotationFields | null {
    if (this.annotations === null) return null;
    return (this.#annotation.get(this.annotations, this.nodeId, storedBody) as AnnotationFields | undefined) ?? null;
  }

  /** The bid of a body (stored form), creating its row (with its annotation) when missing. */
  ensure(storedBody: bigint): number {
    const bid = this.#find.get(this.ctxId, storedBody) as number | undefined;
    if (bid !== undefined) return bid;
    return this.insert(storedBody, bodyMeta(this.annotationOf(storedBody)));
  }

  insert(storedBody: bigint, m: BodyMeta): number {
    const bid = Number(this.#insert.run(this.ctxId, storedBody, m.annotated, m.type, m.instance, m.status, m.statusKey, m.statusRank, m.otherNames).lastInsertRowid);
    this.#index(bid, m);
    this.#count.run(1, this.ctxId);
    return bid;
  }

  #index(bid: number, m: BodyMeta): void {
    if (m.type === null && m.instance === null && m.otherNames === null) return;
    this.#ftsSubIns.run(bid, m.type, m.instance, m.otherNames);
    this.#ftsWordIns.run(bid, m.type, m.instance, m.otherNames);
  }

  #unindex(bid: number): void {
    this.#ftsSubDel.run(bid);
    this.#ftsWordDel.run(bid);
  }

  /** Re-reads a body's annotation; creates, updates or (when it has no synapses left) deletes its row. */
  refreshAnnotation(storedBody: bigint): void {
    const m = bodyMeta(this.annotationOf(storedBody));
    const bid = this.#find.get(this.ctxId, storedBody) as number | undefined;
    if (bid === undefined) {
      if (m.annotated) this.insert(storedBody, m);
      return;
    }
    this.#update.run(m.annotated, m.type, m.instance, m.status, m.statusKey, m.statusRank, m.otherNames, bid);
    if (this.deleteIfEmpty(bid)) return;
    this.#unindex(bid);
    this.#index(bid, m);
  }

  /** Deletes a body row that no longer has a synapse element or an annotation. Returns true when deleted. */
  deleteIfEmpty(bid: number): boolean {
    const r = this.#counts.get(bid) as [number, number, number] | undefined;
    if (!r || r[0] !== 0 || r[1] !== 0 || r[2] !== 0) return false;
    this.#unindex(bid);
    this.#delete.run(bid);
    this.#count.run(-1, this.ctxId);
    return true;
  }
}
