/**
 * annotation (datatype/annotation/handlers.go): label, tag, elements, blocks, all-elements, roi,
 * POST elements, DELETE element. Element lists marshal as Go does (null for a nil list: /elements
 * and /roi answer `null` when empty; /label and /tag answer `[]`); /blocks and /all-elements stream
 * `{"bx,by,bz":[…],…}` block by block in key order (z, y, x).
 */
import { BLOCK_SIZE } from '../dataset/presets';
import { blockKeyOf, elementJson, verboseElementJson, type Elem, type ElementKind, type Pos, type RelKind } from './annotation-store';
import type { InstanceRequest, ServerContext } from './context';
import { badApi, badRequest, goQuote, parseUint } from './errors';
import { point3d, subvolume } from './geometry-args';
import { instanceInfoJson } from './info';
import { labelAt } from './labelmap-labels';
import { jsonReply, textReply, type Reply } from './reply';

const KINDS: readonly ElementKind[] = ['PreSyn', 'PostSyn', 'Gap', 'Note', 'Unknown'];
const RELS: readonly RelKind[] = ['PreSynTo', 'PostSynTo', 'ConvergentTo', 'GroupedWith', 'UnknownRelationship'];
const enc = new TextEncoder();

function sortedBlockKeys(keys: string[]): Array<[number, number, number, string]> {
  return keys
    .map((k) => {
      const [x, y, z] = k.split(',').map(Number) as [number, number, number];
      return [x, y, z, k] as [number, number, number, string];
    })
    .toSorted((a, b) => a[2] - b[2] || a[1] - b[1] || a[0] - b[0]);
}

/** Go's case-insensitive struct field lookup. */
function field(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const k = Object.keys(o).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : o[k];
}

function int32(v: unknown, where: string): number {
  if (typeof v !== 'number') throw new Error(`json: cannot unmarshal ${typeof v === 'string' ? 'string' : typeof v} into Go struct field ${where} of type int32`);
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new Error(`json: cannot unmarshal number ${v} into Go struct field ${where} of type int32`);
  return v;
}

function point(v: unknown, where: string): Pos {
  if (v === null) return [0, 0, 0];
  if (!Array.isArray(v)) throw new Error(`json: cannot unmarshal ${typeof v} into Go struct field ${where} of type dvid.Point3d`);
  return [0, 1, 2].map((k) => (k < v.length ? int32(v[k], where) : 0)) as Pos;
}

/** json.Unmarshal into annotation.Elements, with DVID's validation of Kind and Rel. */
export function parseElements(text: string): Array<Omit<Elem, 'sv'>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(text.trim() === '' ? 'unexpected end of JSON input' : `invalid character in JSON: ${(e as Error).message}`, { cause: e });
  }
  if (raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`json: cannot unmarshal ${typeof raw} into Go value of type annotation.Elements`);
  return raw.map((item) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new Error('json: cannot unmarshal into Go value of type annotation.Element');
    const o = item as Record<string, unknown>;
    const kind = field(o, 'Kind');
    if (kind !== undefined && !KINDS.includes(kind as ElementKind)) throw new Error(`Unknown element type in JSON: ${JSON.stringify(kind)}`);
    const tags = field(o, 'Tags');
    if (tags !== undefined && tags !== null && (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string'))) {
      throw new Error('json: cannot unmarshal into Go struct field Element.Tags of type annotation.Tag');
    }
    const prop = field(o, 'Prop');
    if (prop !== undefined && prop !== null) {
      if (typeof prop !== 'object' || Array.isArray(prop)) throw new Error('json: cannot unmarshal into Go struct field Element.Prop of type map[string]string');
      for (const v of Object.values(prop)) if (typeof v !== 'string') throw new Error(`json: cannot unmarshal ${v === null ? 'null' : typeof v} into Go struct field Element.Prop of type string`);
    }
    const rels = field(o, 'Rels');
    let parsedRels: Elem['rels'] = null;
    if (rels !== undefined && rels !== null) {
      if (!Array.isArray(rels)) throw new Error('json: cannot unmarshal into Go struct field Element.Rels of type annotation.Relationships');
      parsedRels = rels.map((r) => {
        const ro = (r ?? {}) as Record<string, unknown>;
        const rel = field(ro, 'Rel');
        if (rel !== undefined && !RELS.includes(rel as RelKind)) throw new Error(`Unknown relationship type in JSON: ${JSON.stringify(rel)}`);
        return { rel: (rel as RelKind | undefined) ?? 'UnknownRelationship', to: point(field(ro, 'To') ?? null, 'Relationship.To') };
      });
    }
    return {
      pos: point(field(o, 'Pos') ?? null, 'Element.Pos'),
      kind: (kind as ElementKind | undefined) ?? 'Unknown',
      tags: (tags as string[] | null | undefined) ?? null,
      prop: (prop as Record<string, string> | null | undefined) ?? null,
      rels: parsedRels,
    };
  });
}

function relationshipsParam(req: InstanceRequest): 'none' | 'true' | 'verbose' {
  const r = req.query.get('relationships');
  return r === 'verbose' ? 'verbose' : r === 'true' ? 'true' : 'none';
}

function listJson(ctx: ServerContext, req: InstanceRequest, elems: Elem[], mode: 'none' | 'true' | 'verbose'): string {
  const store = ctx.annotations[req.instance.name]!;
  if (mode === 'none') return `[${elems.map((e) => elementJson(e, false)).join(',')}]`;
  // With relationships DVID re-reads each element from its block, grouping by block.
  const byBlock = new Map<string, Elem[]>();
  for (const e of elems) byBlock.set(blockKeyOf(e.pos), [...(byBlock.get(blockKeyOf(e.pos)) ?? []), e]);
  const out: string[] = [];
  for (const [, , , bk] of sortedBlockKeys([...byBlock.keys()])) {
    for (const e of byBlock.get(bk)!) {
      const full = store.at(req.v, e.pos) ?? e;
      out.push(mode === 'verbose' ? verboseElementJson(full, (p) => store.at(req.v, p)) : elementJson(full, true));
    }
  }
  return `[${out.join(',')}]`;
}

function* blockStream(ctx: ServerContext, req: InstanceRequest, keys: Array<[number, number, number, string]>): Generator<Uint8Array> {
  const store = ctx.annotations[req.instance.name]!;
  yield enc.encode('{');
  let n = 0;
  for (const [x, y, z, bk] of keys) {
    const elems = store.blockElements(req.v, bk);
    if (elems.length === 0) continue;
    yield enc.encode(`${n > 0 ? ',' : ''}"${x},${y},${z}":[${elems.map((e) => elementJson(e, true)).join(',')}]`);
    n++;
  }
  yield enc.encode('}');
}

export function annotationRoutes(ctx: ServerContext, req: InstanceRequest): Reply {
  const store = ctx.annotations[req.instance.name]!;
  const m = req.method;
  switch (req.keyword) {
    case 'help':
      return textReply('API for synapse data type (github.com/janelia-flyem/dvid/datatype/annotation), as served by the DVID Desk demo server.\n');
    case 'info':
      return jsonReply(instanceInfoJson(ctx, req.instance));
    case 'tags':
      return jsonReply('{"Tags":{}}');
    case 'label': {
      if (m !== 'GET') throw badRequest(req.path, "Only GET action is available on 'label' endpoint.");
      if (req.parts.length < 5) throw badRequest(req.path, "Must include label after 'label' endpoint.");
      let label: bigint;
      try {
        label = parseUint(req.parts[4]!);
      } catch (e) {
        throw badRequest(req.path, (e as Error).message);
      }
      if (label === 0n) throw badRequest(req.path, 'Label 0 is protected background value and cannot be used for query.');
      return jsonReply(listJson(ctx, req, store.labelElements(req.v, label), relationshipsParam(req)));
    }
    case 'tag': {
      if (m !== 'GET') throw badRequest(req.path, "Only GET action is available on 'tag' endpoint.");
      if (req.parts.length < 5) throw badRequest(req.path, "Must include tag string after 'tag' endpoint.");
      return jsonReply(listJson(ctx, req, store.tagElements(req.v, req.parts[4]!), relationshipsParam(req)));
    }
    case 'roi': {
      if (m !== 'GET') throw badRequest(req.path, "Only GET action is available on 'roi' endpoint.");
      if (req.parts.length < 5) throw badRequest(req.path, "Expect ROI specification to follow 'roi' in GET request");
      const spec = req.parts[4]!.split(',');
      if (spec.length > 2) throw badRequest(req.path, `Bad ROI specification: ${goQuote(req.parts[4]!)}`);
      const roiSpec = `roi:${spec[0]},${spec[1] ?? req.uuid}`;
      if (!ctx.ds.rois.some((r) => r.name === spec[0])) throw badRequest(req.path, `No ROI found that matches specification ${goQuote(roiSpec)}`);
      // hemibrain's ROIs use 32³ blocks, its annotations 64³: DVID refuses (DVID-API.md §6.2).
      throw badRequest(req.path, `/roi endpoint currently requires ROI ${goQuote(spec[0]!)} to have same block size as annotation ${goQuote(req.instance.name)}`);
    }
    case 'all-elements': {
      if (m !== 'GET') throw badRequest(req.path, "Only GET is available on 'all-elements' endpoint.");
      if (req.parts.length > 4) throw badRequest(req.path, "Do not expect additional parameters after 'all-elements' in GET request");
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: blockStream(ctx, req, sortedBlockKeys(store.blockKeys(req.v))) };
    }
    case 'blocks': {
      if (m === 'POST') throw badRequest(req.path, 'the demo server does not accept bulk block ingestion (POST /blocks)');
      if (m !== 'GET') throw badRequest(req.path, "Only GET/POST action is available on 'blocks' endpoint.");
      if (req.parts.length < 6) throw badRequest(req.path, "Expect size and offset to follow 'blocks' in GET request");
      const { offset, size } = subvolume(req.path, req.parts[4]!, req.parts[5]!);
      const lo = offset.map((o) => Math.floor(o / BLOCK_SIZE)), hi = offset.map((o, k) => Math.floor((o + size[k]! - 1) / BLOCK_SIZE));
      const keys = sortedBlockKeys(store.blockKeys(req.v)).filter(([x, y, z]) => x >= lo[0]! && x <= hi[0]! && y >= lo[1]! && y <= hi[1]! && z >= lo[2]! && z <= hi[2]!);
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: blockStream(ctx, req, keys) };
    }
    case 'elements': {
      if (m === 'GET') {
        if (req.parts.length < 6) throw badRequest(req.path, "Expect size and offset to follow 'elements' in GET request");
        const { offset, size } = subvolume(req.path, req.parts[4]!, req.parts[5]!);
        const end = offset.map((o, k) => o + size[k]! - 1);
        const lo = offset.map((o) => Math.floor(o / BLOCK_SIZE)), hi = end.map((e) => Math.floor(e / BLOCK_SIZE));
        const found: Elem[] = [];
        for (const [x, y, z, bk] of sortedBlockKeys(store.blockKeys(req.v))) {
          if (x < lo[0]! || x > hi[0]! || y < lo[1]! || y > hi[1]! || z < lo[2]! || z > hi[2]!) continue;
          for (const e of store.blockElements(req.v, bk)) {
            if (e.pos.every((c, k) => c >= offset[k]! && c <= end[k]!)) found.push(e);
          }
        }
        return jsonReply(found.length === 0 ? 'null' : `[${found.map((e) => elementJson(e, true)).join(',')}]`);
      }
      if (m === 'POST') {
        let parsed: ReturnType<typeof parseElements>;
        try {
          parsed = parseElements(req.body.toString('utf8'));
        } catch (e) {
          throw badRequest(req.path, (e as Error).message);
        }
        const seg = ctx.labelmaps.segmentation!;
        const elems: Elem[] = parsed.map((e) => {
          const sv = labelAt(ctx, seg, req.v, 0, e.pos, true);
          return { ...e, sv: sv === 0n ? 0 : (ctx.svIndex.get(sv) ?? 0) };
        });
        store.store(req.v, elems);
        return { status: 200, headers: {}, body: null };
      }
      throw badRequest(req.path, "Only GET or POST action is available on 'elements' endpoint.");
    }
    case 'element': {
      if (m !== 'DELETE') throw badRequest(req.path, "Only DELETE action is available on 'element' endpoint.");
      if (req.parts.length < 5) throw badRequest(req.path, "Must include coordinate after DELETE on 'element' endpoint.");
      const p = point3d(req.path, req.parts[4]!);
      if (!store.delete(req.v, p)) throw badRequest(req.path, `Did not find element (${p.join(',')}) in datastore`);
      return { status: 200, headers: {}, body: null };
    }
    case 'move':
    case 'reload':
    case 'labels':
    case 'sync':
      throw badRequest(req.path, `the demo server does not implement /${req.keyword} on annotations`);
    default:
      throw badApi(req.path, ctx.host, req.instance.name, 'annotation');
  }
}
