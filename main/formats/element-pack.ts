/**
 * The packed form of one annotation block's elements (`element_blocks.data`), as stored by the cache.
 * Elements are sorted by position (z, y, x), so the same block always packs to the same bytes.
 *
 *   offset        size            field
 *   0             uint32          n = elements
 *   4             uint32          r = relationships, all elements together
 *   8             n × 3 int32     x, y, z of each element
 *   8+12n         (n+1) uint32    relStart: element i's relationships are r[relStart[i] .. relStart[i+1])
 *   12+16n        r × 3 int32     partner x, y, z of each relationship
 *   12+16n+12r    n × uint8       kind: 0 PreSyn, 1 PostSyn, 2 Gap, 3 Note, 4 Unknown
 *   12+17n+12r    r × uint8       relationship: 0 PreSynTo, 1 PostSynTo, 2 ConvergentTo, 3 GroupedWith,
 *                                 4 UnknownRelationship
 * All little-endian. Props and tags are not in the blob: the row's `props` / `tags` columns hold a
 * JSON array with one entry per element (in the same order), NULL when no element has any.
 */

export type ElementKindName = 'PreSyn' | 'PostSyn' | 'Gap' | 'Note' | 'Unknown';
export type RelKindName = 'PreSynTo' | 'PostSynTo' | 'ConvergentTo' | 'GroupedWith' | 'UnknownRelationship';

export const ELEMENT_KINDS: readonly ElementKindName[] = ['PreSyn', 'PostSyn', 'Gap', 'Note', 'Unknown'];
export const REL_KINDS: readonly RelKindName[] = ['PreSynTo', 'PostSynTo', 'ConvergentTo', 'GroupedWith', 'UnknownRelationship'];
const KIND_CODE = new Map<string, number>(ELEMENT_KINDS.map((k, i) => [k, i]));
const REL_CODE = new Map<string, number>(REL_KINDS.map((k, i) => [k, i]));

/** Structurally the AnnotationElement of main/formats/annotation.ts. */
export interface ElementInput {
  pos: readonly [number, number, number];
  kind: string;
  tags: readonly string[];
  prop: Readonly<Record<string, string>>;
  rels: ReadonlyArray<{ rel: string; to: readonly [number, number, number] }>;
}

export interface ElementRow {
  pos: [number, number, number];
  kind: ElementKindName;
  tags: string[];
  prop: Record<string, string>;
  rels: Array<{ rel: RelKindName; to: [number, number, number] }>;
}

export interface PackedBlock {
  count: number;
  data: Uint8Array;
  props: string | null;
  tags: string | null;
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
}

export function comparePos(a: readonly number[], b: readonly number[]): number {
  return a[2]! - b[2]! || a[1]! - b[1]! || a[0]! - b[0]!;
}

/** Packs elements (any order; positions must be distinct int32 triples). Throws RangeError/TypeError on bad input. */
export function packElements(input: readonly ElementInput[]): PackedBlock {
  const els = input.length > 1 ? input.toSorted((a, b) => comparePos(a.pos, b.pos)) : input;
  const n = els.length;
  let r = 0;
  for (const e of els) r += e.rels.length;
  const data = new Uint8Array(12 + 17 * n + 13 * r);
  const v = new DataView(data.buffer);
  v.setUint32(0, n, true);
  v.setUint32(4, r, true);
  const relStart = 8 + 12 * n;
  const relPos = 12 + 16 * n;
  const kinds = relPos + 12 * r;
  const relKinds = kinds + n;
  let k = 0;
  let anyProp = false;
  let anyTag = false;
  for (let i = 0; i < n; i++) {
    const e = els[i]!;
    const [x, y, z] = e.pos;
    if (!isInt32(x) || !isInt32(y) || !isInt32(z)) throw new RangeError(`element position ${JSON.stringify(e.pos)} is not three int32`);
    if (i > 0 && comparePos(els[i - 1]!.pos, e.pos) === 0) throw new RangeError(`two elements at ${e.pos.join(',')}`);
    v.setInt32(8 + 12 * i, x, true);
    v.setInt32(12 + 12 * i, y, true);
    v.setInt32(16 + 12 * i, z, true);
    const code = KIND_CODE.get(e.kind);
    if (code === undefined) throw new TypeError(`unknown element kind "${e.kind}"`);
    data[kinds + i] = code;
    v.setUint32(relStart + 4 * i, k, true);
    for (const rel of e.rels) {
      const rc = REL_CODE.get(rel.rel);
      if (rc === undefined) throw new TypeError(`unknown relationship "${rel.rel}"`);
      v.setInt32(relPos + 12 * k, rel.to[0], true);
      v.setInt32(relPos + 12 * k + 4, rel.to[1], true);
      v.setInt32(relPos + 12 * k + 8, rel.to[2], true);
      data[relKinds + k] = rc;
      k++;
    }
    if (!anyProp) for (const _ in e.prop) anyProp = true;
    if (e.tags.length) anyTag = true;
  }
  v.setUint32(relStart + 4 * n, k, true);
  return {
    count: n,
    data,
    props: anyProp ? JSON.stringify(els.map((e) => e.prop)) : null,
    tags: anyTag ? JSON.stringify(els.map((e) => e.tags)) : null,
  };
}

function corrupt(why: string): Error {
  return new Error(`packed element block: ${why}`);
}

/** Positions only, [x, y, z] per element, in stored order. */
export function packedPositions(data: Uint8Array): Int32Array {
  if (data.length < 8) throw corrupt(`${data.length} bytes`);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = v.getUint32(0, true);
  if (data.length < 8 + 12 * n) throw corrupt(`too short for ${n} elements`);
  const out = new Int32Array(3 * n);
  for (let i = 0; i < 3 * n; i++) out[i] = v.getInt32(8 + 4 * i, true);
  return out;
}

export function unpackElements(data: Uint8Array, props: string | null, tags: string | null): ElementRow[] {
  if (data.length < 8) throw corrupt(`${data.length} bytes`);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = v.getUint32(0, true);
  const r = v.getUint32(4, true);
  if (data.length !== 12 + 17 * n + 13 * r) throw corrupt(`${data.length} bytes for ${n} elements and ${r} relationships`);
  const relStart = 8 + 12 * n;
  const relPos = 12 + 16 * n;
  const kinds = relPos + 12 * r;
  const relKinds = kinds + n;
  const p = props ? (JSON.parse(props) as Array<Record<string, string>>) : null;
  const t = tags ? (JSON.parse(tags) as string[][]) : null;
  if ((p && p.length !== n) || (t && t.length !== n)) throw corrupt('props or tags do not have one entry per element');
  const out: ElementRow[] = [];
  for (let i = 0; i < n; i++) {
    const a = v.getUint32(relStart + 4 * i, true);
    const b = v.getUint32(relStart + 4 * i + 4, true);
    if (a > b || b > r) throw corrupt(`relationship range ${a}..${b} of ${r}`);
    const rels: ElementRow['rels'] = [];
    for (let k = a; k < b; k++) {
      rels.push({
        rel: REL_KINDS[data[relKinds + k]!] ?? 'UnknownRelationship',
        to: [v.getInt32(relPos + 12 * k, true), v.getInt32(relPos + 12 * k + 4, true), v.getInt32(relPos + 12 * k + 8, true)],
      });
    }
    out.push({
      pos: [v.getInt32(8 + 12 * i, true), v.getInt32(12 + 12 * i, true), v.getInt32(16 + 12 * i, true)],
      kind: ELEMENT_KINDS[data[kinds + i]!] ?? 'Unknown',
      tags: t?.[i] ?? [],
      prop: p?.[i] ?? {},
      rels,
    });
  }
  return out;
}
