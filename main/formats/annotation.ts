/**
 * DVID annotation elements (DVID-API.md §6.1; datatype/annotation/annotation.go). JSON:
 *
 *   { "Pos":  [x, y, z],                      int32 voxel coordinates: the element's identity
 *     "Kind": "PreSyn",                       PreSyn | PostSyn | Gap | Note | Unknown (absent → Unknown)
 *     "Tags": ["t", …] | null,                null / absent → []
 *     "Prop": {"k": "v", …} | null,           values MUST be strings (DVID answers 400 to a number)
 *     "Rels": [{"Rel": "PreSynTo", "To": [x, y, z]}, …] | null }   absent in /label reads → []
 *
 * Rel ∈ PreSynTo | PostSynTo | ConvergentTo | GroupedWith | UnknownRelationship. Any other Kind or
 * Rel string is rejected, as DVID's UnmarshalJSON does. Keys match case-insensitively (Go's
 * encoding/json does); unknown keys are ignored, as in Go (e.g. the partner fields of
 * `relationships=verbose`). A `null` top-level list (the empty `/elements` and `/roi` answer) is [].
 *
 * `/blocks` and `/all-elements` answer `{"bx,by,bz": [Element…], …}`, keyed by block coordinate.
 *
 * The JSON holds no uint64, so native JSON.parse does the parsing. Errors carry offset 0 (JSON.parse
 * keeps no positions of values) and name the element: "element #12 …".
 */
import { FormatError } from './format-error';
import { parseJson } from './json-u64';

const F = 'annotation';

export type ElementKind = 'PreSyn' | 'PostSyn' | 'Gap' | 'Note' | 'Unknown';
export type RelKind = 'PreSynTo' | 'PostSynTo' | 'ConvergentTo' | 'GroupedWith' | 'UnknownRelationship';
export interface AnnotationElement {
  pos: [number, number, number];
  kind: ElementKind;
  tags: string[];
  prop: Record<string, string>;
  rels: Array<{ rel: RelKind; to: [number, number, number] }>;
}

const KINDS = new Set<string>(['PreSyn', 'PostSyn', 'Gap', 'Note', 'Unknown']);
const RELS = new Set<string>(['PreSynTo', 'PostSynTo', 'ConvergentTo', 'GroupedWith', 'UnknownRelationship']);
const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

function fail(where: string, reason: string): never {
  throw new FormatError(F, 0, `${where}: ${reason}`);
}

/** Go matches JSON keys to struct fields case-insensitively; an exact match wins. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function point(v: unknown, where: string): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3) fail(where, `expected [x, y, z], got ${JSON.stringify(v)?.slice(0, 60)}`);
  for (const c of v) {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < I32_MIN || c > I32_MAX) fail(where, `coordinate ${JSON.stringify(c)} is not an int32`);
  }
  return [v[0], v[1], v[2]] as [number, number, number];
}

function element(raw: unknown, where: string): AnnotationElement {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(where, 'is not a JSON object');
  const obj = raw as Record<string, unknown>;
  const pos = point(field(obj, 'Pos'), `${where} Pos`);

  const kindRaw = field(obj, 'Kind');
  let kind: ElementKind = 'Unknown';
  if (kindRaw !== undefined) {
    if (typeof kindRaw !== 'string' || !KINDS.has(kindRaw)) fail(where, `unknown Kind ${JSON.stringify(kindRaw)?.slice(0, 40)}`);
    kind = kindRaw as ElementKind;
  }

  const tagsRaw = field(obj, 'Tags');
  const tags: string[] = [];
  if (tagsRaw !== undefined && tagsRaw !== null) {
    if (!Array.isArray(tagsRaw)) fail(where, 'Tags is not an array');
    for (const t of tagsRaw) {
      if (typeof t !== 'string') fail(where, `tag ${JSON.stringify(t)?.slice(0, 40)} is not a string`);
      tags.push(t);
    }
  }

  const propRaw = field(obj, 'Prop');
  const prop: Record<string, string> = {};
  if (propRaw !== undefined && propRaw !== null) {
    if (typeof propRaw !== 'object' || Array.isArray(propRaw)) fail(where, 'Prop is not an object');
    for (const [k, v] of Object.entries(propRaw as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(where, `Prop "${k.slice(0, 40)}" is ${JSON.stringify(v)?.slice(0, 40)}: DVID requires string values`);
      Object.defineProperty(prop, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }

  const relsRaw = field(obj, 'Rels');
  const rels: AnnotationElement['rels'] = [];
  if (relsRaw !== undefined && relsRaw !== null) {
    if (!Array.isArray(relsRaw)) fail(where, 'Rels is not an array');
    relsRaw.forEach((r: unknown, i) => {
      const w = `${where} Rels[${i}]`;
      if (r === null || typeof r !== 'object' || Array.isArray(r)) fail(w, 'is not a JSON object');
      const relName = field(r as Record<string, unknown>, 'Rel');
      if (typeof relName !== 'string' || !RELS.has(relName)) fail(w, `unknown Rel ${JSON.stringify(relName)?.slice(0, 40)}`);
      rels.push({ rel: relName as RelKind, to: point(field(r as Record<string, unknown>, 'To'), `${w} To`) });
    });
  }
  return { pos, kind, tags, prop, rels };
}

function elementList(json: unknown, where: string): AnnotationElement[] {
  if (json === null) return [];
  if (!Array.isArray(json)) fail(where, 'expected a JSON array of elements (or null)');
  const out: AnnotationElement[] = [];
  for (let i = 0; i < json.length; i++) out.push(element(json[i], `${where === 'list' ? '' : `${where} `}element #${i}`));
  return out;
}

/** A JSON array of elements, or `null` → []. */
export function parseElements(text: string): AnnotationElement[] {
  return elementList(parseJson(text, F), 'list');
}

const BLOCK_KEY = /^(-?\d+),(-?\d+),(-?\d+)$/;

/** `{"bx,by,bz": [Element…], …}` (the /blocks and /all-elements shape); keys are kept as DVID wrote them. */
export function parseBlockElements(text: string): Map<string, AnnotationElement[]> {
  const json = parseJson(text, F);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('blocks', 'expected a JSON object keyed by "bx,by,bz"');
  const out = new Map<string, AnnotationElement[]>();
  for (const [key, list] of Object.entries(json as Record<string, unknown>)) {
    const m = BLOCK_KEY.exec(key);
    if (!m || !m.slice(1).every((c) => Number(c) >= I32_MIN && Number(c) <= I32_MAX)) fail('blocks', `key "${key.slice(0, 40)}" is not "bx,by,bz"`);
    out.set(key, elementList(list, `block ${key}`));
  }
  return out;
}

/** The block coordinate of a `/blocks` key, e.g. "-1,2,3" → [-1, 2, 3]. */
export function parseBlockKey(key: string): [number, number, number] {
  const m = BLOCK_KEY.exec(key);
  if (!m) throw new FormatError(F, 0, `"${key.slice(0, 40)}" is not "bx,by,bz"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function elementJson(e: AnnotationElement): string {
  // Go marshals map keys sorted; do the same so output is deterministic.
  const prop: Record<string, string> = {};
  for (const k of Object.keys(e.prop).toSorted()) {
    const v = e.prop[k];
    if (typeof v !== 'string') throw new RangeError(`annotation: Prop "${k}" must be a string`);
    Object.defineProperty(prop, k, { value: v, enumerable: true });
  }
  if (!KINDS.has(e.kind)) throw new RangeError(`annotation: unknown Kind "${e.kind}"`);
  for (const r of e.rels) if (!RELS.has(r.rel)) throw new RangeError(`annotation: unknown Rel "${r.rel}"`);
  return JSON.stringify({ Pos: e.pos, Kind: e.kind, Tags: e.tags, Prop: prop, Rels: e.rels.map((r) => ({ Rel: r.rel, To: r.to })) });
}

/** DVID JSON (Pos, Kind, Tags, Prop, Rels), as POST /elements takes it. RangeError on an invalid element. */
export function serializeElements(elements: readonly AnnotationElement[]): string {
  return `[${elements.map(elementJson).join(',')}]`;
}

/** The `{"bx,by,bz": [...]}` shape of /blocks and /all-elements (empty blocks omitted, as DVID does). */
export function serializeBlockElements(blocks: ReadonlyMap<string, readonly AnnotationElement[]>): string {
  const parts: string[] = [];
  for (const [key, list] of blocks) {
    if (list.length === 0) continue;
    parts.push(`${JSON.stringify(key)}:${serializeElements(list)}`);
  }
  return `{${parts.join(',')}}`;
}
