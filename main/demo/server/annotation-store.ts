/**
 * An annotation instance: its elements by 64³ block (the synced labelmap's block size), by label
 * (the body under each element at each version, from the element's supervoxel and that version's
 * mapping) and by tag, plus what was written at run time on the open node.
 *
 * The generated elements are read from the dataset's compact tables and turned into element
 * objects only when a request needs them. A write on the open node copies the blocks, labels and
 * tags it touches into per-node lists and then edits those exactly as DVID does (POST replaces an
 * element at the same position in place or appends it; DELETE moves the block's last element into
 * the hole and removes relationships pointing at the deleted position).
 */
import type { NoteElement } from '../dataset/notes';
import type { SynapseTable } from '../dataset/synapses';
import { goStringList, goStringMap } from './go-json';

export type ElementKind = 'PreSyn' | 'PostSyn' | 'Gap' | 'Note' | 'Unknown';
export type RelKind = 'PreSynTo' | 'PostSynTo' | 'ConvergentTo' | 'GroupedWith' | 'UnknownRelationship';
export type Pos = [number, number, number];

export interface Elem {
  pos: Pos;
  kind: ElementKind;
  tags: string[] | null;
  prop: Record<string, string> | null;
  rels: Array<{ rel: RelKind; to: Pos }> | null;
  /** supervoxel index under the element (0 = none) */
  sv: number;
}

const BLOCK = 64;
export const posKey = (p: Pos): string => `${p[0]},${p[1]},${p[2]}`;
export const blockKeyOf = (p: Pos): string => `${Math.floor(p[0] / BLOCK)},${Math.floor(p[1] / BLOCK)},${Math.floor(p[2] / BLOCK)}`;

/** Go's json.Marshal of an Element (with Rels) or ElementNR. */
export function elementJson(e: Elem, withRels: boolean): string {
  let s = `{"Pos":[${e.pos[0]},${e.pos[1]},${e.pos[2]}],"Kind":"${e.kind}","Tags":${goStringList(e.tags)},"Prop":${goStringMap(e.prop)}`;
  if (withRels) s += `,"Rels":${e.rels === null ? 'null' : `[${e.rels.map((r) => `{"Rel":"${r.rel}","To":[${r.to[0]},${r.to[1]},${r.to[2]}]}`).join(',')}]`}`;
  return `${s}}`;
}

/** An element with verbose relationships: each Rel also carries its partner's Kind, Tags, Prop (omitempty). */
export function verboseElementJson(e: Elem, partner: (p: Pos) => Elem | undefined): string {
  const base = elementJson(e, false).slice(0, -1);
  if (e.rels === null) return `${base},"Rels":null}`;
  const rels = e.rels.map((r) => {
    let s = `{"Rel":"${r.rel}","To":[${r.to[0]},${r.to[1]},${r.to[2]}]`;
    const p = partner(r.to);
    if (p) {
      s += `,"Kind":"${p.kind}"`;
      if (p.tags && p.tags.length > 0) s += `,"Tags":${goStringList(p.tags)}`;
      if (p.prop && Object.keys(p.prop).length > 0) s += `,"Prop":${goStringMap(p.prop)}`;
    }
    return `${s}}`;
  });
  return `${base},"Rels":[${rels.join(',')}]}`;
}

/** The generated elements of one instance, materialised on demand. */
export interface ElementSource {
  count: number;
  pos(i: number): Pos;
  sv(i: number): number;
  kindCode(i: number): ElementKind;
  element(i: number): Elem;
  tags(i: number): string[] | null;
}

/** Confidence in thousandths as the string FlyEM writes ("0.873"; a proofreader's 1.0 as "1.0"). */
const confText = (c: number): string => (c >= 1000 ? '1.0' : (c / 1000).toFixed(3));

export function synapseSource(t: SynapseTable): ElementSource {
  const pos = (i: number): Pos => [t.pos[3 * i]!, t.pos[3 * i + 1]!, t.pos[3 * i + 2]!];
  return {
    count: t.kind.length,
    pos,
    sv: (i) => t.sv[i]!,
    kindCode: (i) => (t.kind[i] === 0 ? 'PreSyn' : 'PostSyn'),
    tags: () => [],
    element(i) {
      const pre = t.kind[i] === 0;
      const rels: Array<{ rel: RelKind; to: Pos }> = [];
      for (let k = t.relStart[i]!; k < t.relStart[i + 1]!; k++) rels.push({ rel: pre ? 'PreSynTo' : 'PostSynTo', to: pos(t.relTo[k]!) });
      return { pos: pos(i), kind: pre ? 'PreSyn' : 'PostSyn', tags: [], prop: { conf: confText(t.conf[i]!), user: t.users[t.user[i]!]! }, rels, sv: t.sv[i]! };
    },
  };
}

export function noteSource(notes: readonly NoteElement[]): ElementSource {
  return {
    count: notes.length,
    pos: (i) => notes[i]!.pos,
    sv: (i) => notes[i]!.sv,
    kindCode: () => 'Note',
    tags: (i) => notes[i]!.tags,
    element: (i) => {
      const n = notes[i]!;
      return { pos: [...n.pos] as Pos, kind: 'Note', tags: n.tags ? [...n.tags] : null, prop: { ...n.prop }, rels: null, sv: n.sv };
    },
  };
}

export class AnnotationInstance {
  /** base: element indices per block, per tag; position → index */
  private readonly baseBlocks = new Map<string, number[]>();
  private readonly baseByPos = new Map<string, number>();
  private readonly baseTags = new Map<string, number[]>();
  /** base: element indices per body, per version (built on first use) */
  private readonly baseLabels: Array<Map<bigint, number[]> | undefined> = [];
  /** run-time writes on a version: the blocks, labels and tags they touched, as full lists */
  private readonly written: Array<{ blocks: Map<string, Elem[]>; labels: Map<bigint, Elem[]>; tags: Map<string, Elem[]> } | undefined> = [];
  /** bumped on every write (labelsz caches key on it) */
  generation = 0;

  constructor(
    readonly name: string,
    readonly source: ElementSource,
    /** body of supervoxel index sv at version v (0 when none) */
    private readonly bodyOf: (sv: number, v: number) => bigint,
  ) {
    for (let i = 0; i < source.count; i++) {
      const p = source.pos(i);
      const bk = blockKeyOf(p);
      const list = this.baseBlocks.get(bk);
      if (list) list.push(i);
      else this.baseBlocks.set(bk, [i]);
      this.baseByPos.set(posKey(p), i);
      for (const tag of source.tags(i) ?? []) {
        const tl = this.baseTags.get(tag);
        if (tl) tl.push(i);
        else this.baseTags.set(tag, [i]);
      }
    }
  }

  private layer(v: number): { blocks: Map<string, Elem[]>; labels: Map<bigint, Elem[]>; tags: Map<string, Elem[]> } {
    return (this.written[v] ??= { blocks: new Map(), labels: new Map(), tags: new Map() });
  }

  /** Block keys ("bx,by,bz") that hold elements at version v. */
  blockKeys(v: number): string[] {
    const keys = new Set(this.baseBlocks.keys());
    for (const [k, list] of this.written[v]?.blocks ?? []) {
      if (list.length > 0) keys.add(k);
      else keys.delete(k);
    }
    return [...keys];
  }

  blockElements(v: number, bk: string): Elem[] {
    const w = this.written[v]?.blocks.get(bk);
    if (w) return w;
    return (this.baseBlocks.get(bk) ?? []).map((i) => this.source.element(i));
  }

  private baseLabelIndex(v: number): Map<bigint, number[]> {
    let m = this.baseLabels[v];
    if (!m) {
      m = new Map();
      for (let i = 0; i < this.source.count; i++) {
        const body = this.bodyOf(this.source.sv(i), v);
        if (body === 0n) continue;
        const list = m.get(body);
        if (list) list.push(i);
        else m.set(body, [i]);
      }
      this.baseLabels[v] = m;
    }
    return m;
  }

  /** Bodies with elements at version v, with their element kinds (for labelsz). */
  labelKinds(v: number): Map<bigint, ElementKind[]> {
    const out = new Map<bigint, ElementKind[]>();
    for (const [body, list] of this.baseLabelIndex(v)) out.set(body, list.map((i) => this.source.kindCode(i)));
    for (const [body, list] of this.written[v]?.labels ?? []) {
      if (list.length === 0) out.delete(body);
      else out.set(body, list.map((e) => e.kind));
    }
    return out;
  }

  labelElements(v: number, body: bigint): Elem[] {
    const w = this.written[v]?.labels.get(body);
    if (w) return w;
    return (this.baseLabelIndex(v).get(body) ?? []).map((i) => this.source.element(i));
  }

  tagElements(v: number, tag: string): Elem[] {
    const w = this.written[v]?.tags.get(tag);
    if (w) return w;
    return (this.baseTags.get(tag) ?? []).map((i) => this.source.element(i));
  }

  /** The element at a position at version v. */
  at(v: number, p: Pos): Elem | undefined {
    const w = this.written[v]?.blocks.get(blockKeyOf(p));
    if (w) return w.find((e) => e.pos[0] === p[0] && e.pos[1] === p[1] && e.pos[2] === p[2]);
    const i = this.baseByPos.get(posKey(p));
    return i === undefined ? undefined : this.source.element(i);
  }

  private editable<K>(map: Map<K, Elem[]>, key: K, base: () => Elem[]): Elem[] {
    let list = map.get(key);
    if (!list) {
      list = base();
      map.set(key, list);
    }
    return list;
  }

  /** The elements of these bodies at version v (before a merge or cleave moves them). */
  elementsOfBodies(v: number, bodies: readonly bigint[]): Elem[] {
    return bodies.flatMap((b) => this.labelElements(v, b));
  }

  /**
   * After the mapping of version v changed for `oldBodies` (merge, cleave): their elements, read
   * before the change, are filed under the bodies their supervoxels now belong to, as DVID's label
   * index follows the labelmap.
   */
  relabel(v: number, oldBodies: readonly bigint[], elements: readonly Elem[]): void {
    delete this.baseLabels[v];
    const layer = this.layer(v);
    for (const b of oldBodies) layer.labels.set(b, []);
    for (const e of elements) {
      const body = this.bodyOf(e.sv, v);
      if (body === 0n) continue;
      const list = layer.labels.get(body);
      if (list) list.push(e);
      else layer.labels.set(body, [e]);
    }
    this.generation++;
  }

  /** POST /elements at version v (DVID's StoreElements). */
  store(v: number, elems: Elem[]): void {
    const layer = this.layer(v);
    const byBlock = new Map<string, Elem[]>();
    for (const e of elems) {
      const bk = blockKeyOf(e.pos);
      byBlock.set(bk, [...(byBlock.get(bk) ?? []), e]);
    }
    for (const [bk, adds] of byBlock) {
      const list = this.editable(layer.blocks, bk, () => this.blockElements(v, bk));
      for (const e of adds) {
        const old = list.findIndex((x) => posKey(x.pos) === posKey(e.pos));
        // Tags: the element leaves tags it no longer has and joins the new ones.
        const before = old >= 0 ? (list[old]!.tags ?? []) : [];
        for (const t of before) if (!(e.tags ?? []).includes(t)) this.removeFrom(this.editable(layer.tags, t, () => this.tagElements(v, t)), e.pos);
        for (const t of e.tags ?? []) this.addTo(this.editable(layer.tags, t, () => this.tagElements(v, t)), e);
        if (old >= 0) list[old] = e;
        else list.push(e);
      }
    }
    for (const e of elems) {
      const body = this.bodyOf(e.sv, v);
      if (body === 0n) continue;
      this.addTo(this.editable(layer.labels, body, () => this.labelElements(v, body)), e);
    }
    this.generation++;
  }

  /** DELETE /element/{x_y_z} at version v (DVID's DeleteElement); false when absent. */
  delete(v: number, p: Pos): boolean {
    const layer = this.layer(v);
    const bk = blockKeyOf(p);
    const list = this.editable(layer.blocks, bk, () => this.blockElements(v, bk));
    const cut = list.findIndex((x) => posKey(x.pos) === posKey(p));
    this.dropRelsTo(list, p);
    if (cut < 0) return false;
    const deleted = list[cut]!;
    list[cut] = list[list.length - 1]!;
    list.pop();
    const body = this.bodyOf(deleted.sv, v);
    if (body !== 0n) this.removeFrom(this.editable(layer.labels, body, () => this.labelElements(v, body)), p);
    for (const t of deleted.tags ?? []) this.removeFrom(this.editable(layer.tags, t, () => this.tagElements(v, t)), p);
    // Relationships pointing at the deleted element, in the blocks of the elements it pointed at.
    for (const r of deleted.rels ?? []) {
      const pk = blockKeyOf(r.to);
      if (pk === bk) continue;
      this.dropRelsTo(this.editable(layer.blocks, pk, () => this.blockElements(v, pk)), p);
    }
    this.generation++;
    return true;
  }

  private dropRelsTo(list: Elem[], p: Pos): void {
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (!e.rels?.some((r) => r.to[0] === p[0] && r.to[1] === p[1] && r.to[2] === p[2])) continue;
      list[i] = { ...e, rels: e.rels.filter((r) => !(r.to[0] === p[0] && r.to[1] === p[1] && r.to[2] === p[2])) };
    }
  }

  private addTo(list: Elem[], e: Elem): void {
    const i = list.findIndex((x) => posKey(x.pos) === posKey(e.pos));
    if (i >= 0) list[i] = e;
    else list.push(e);
  }

  private removeFrom(list: Elem[], p: Pos): void {
    const i = list.findIndex((x) => posKey(x.pos) === posKey(p));
    if (i >= 0) list.splice(i, 1);
  }
}

