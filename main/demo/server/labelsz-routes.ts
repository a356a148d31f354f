/**
 * labelsz (datatype/labelsz/labelsz.go), synced to `synapses`: count, counts (GET with a body), top,
 * threshold. Rankings are size descending, then label ascending; /top and /threshold use the key
 * "Size", /count and /counts the index name; /threshold's offset is a 0-based rank.
 */
import { serializeLabelszCounts, serializeLabelszRanking } from '../../formats/labelsz';
import type { ElementKind } from './annotation-store';
import type { InstanceRequest, ServerContext } from './context';
import { atoi, badApi, badRequest, goQuote, parseUint } from './errors';
import { instanceInfoJson } from './info';
import { u64Body } from './labelmap-labels';
import { jsonReply, textReply, type Reply } from './reply';

const INDEXES = ['PostSyn', 'PreSyn', 'Gap', 'Note', 'AllSyn', 'Voxels'] as const;
type Index = (typeof INDEXES)[number];
const MAX_LABELS_RETURNED = 10000;

const counts = new WeakMap<object, { gen: number; v: number; byIndex: Map<Index, Map<bigint, number>>; ranked: Map<Index, Array<[bigint, number]>> }[]>();

function countsOf(ctx: ServerContext, v: number): { byIndex: Map<Index, Map<bigint, number>>; ranked: Map<Index, Array<[bigint, number]>> } {
  const ann = ctx.annotations.synapses!;
  let list = counts.get(ann);
  if (!list) counts.set(ann, (list = []));
  const hit = list.find((c) => c.v === v && c.gen === ann.generation);
  if (hit) return hit;
  const byIndex = new Map<Index, Map<bigint, number>>(INDEXES.map((i) => [i, new Map<bigint, number>()]));
  const bump = (i: Index, body: bigint): void => {
    const m = byIndex.get(i)!;
    m.set(body, (m.get(body) ?? 0) + 1);
  };
  for (const [body, kinds] of ann.labelKinds(v)) {
    for (const k of kinds as ElementKind[]) {
      if (k === 'PreSyn' || k === 'PostSyn' || k === 'Gap' || k === 'Note') bump(k, body);
      if (k === 'PreSyn' || k === 'PostSyn' || k === 'Gap') bump('AllSyn', body);
    }
  }
  const ranked = new Map<Index, Array<[bigint, number]>>();
  for (const [i, m] of byIndex) ranked.set(i, [...m].toSorted((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  const entry = { gen: ann.generation, v, byIndex, ranked };
  list.push(entry);
  if (list.length > 4) list.shift();
  return entry;
}

function indexOf(req: InstanceRequest, text: string | undefined): Index {
  if (!INDEXES.includes(text as Index)) throw badRequest(req.path, `unknown index type specified (${goQuote(text ?? '')})`);
  return text as Index;
}

const ranking = (rows: Array<[bigint, number]>): string => serializeLabelszRanking(rows.map(([label, count]) => ({ label, count })));

export function labelszRoutes(ctx: ServerContext, req: InstanceRequest): Reply {
  const m = req.method;
  switch (req.keyword) {
    case 'help':
      return textReply('API for labelsz data type (github.com/janelia-flyem/dvid/datatype/labelsz), as served by the DVID Desk demo server.\n');
    case 'info':
      return jsonReply(instanceInfoJson(ctx, req.instance));
    case 'count': {
      if (m !== 'GET') throw badRequest(req.path, "Only GET action is available on 'count' endpoint.");
      if (req.parts.length < 6) throw badRequest(req.path, "Must include label and element type after 'count' endpoint.");
      let label: bigint;
      try {
        label = parseUint(req.parts[4]!);
      } catch (e) {
        throw badRequest(req.path, (e as Error).message);
      }
      const i = indexOf(req, req.parts[5]);
      return jsonReply(`{"Label":${label},"${i}":${countsOf(ctx, req.v).byIndex.get(i)!.get(label) ?? 0}}`);
    }
    case 'counts': {
      if (m !== 'GET') throw badRequest(req.path, "Only GET action is available on 'counts' endpoint.");
      if (req.parts.length < 5) throw badRequest(req.path, "Must include element type after 'counts' endpoint.");
      const i = indexOf(req, req.parts[4]);
      const labels = u64Body(req, "Bad JSON label array sent in 'counts' query");
      const c = countsOf(ctx, req.v).byIndex.get(i)!;
      return jsonReply(serializeLabelszCounts(labels.map((label) => ({ label, count: c.get(label) ?? 0 })), i));
    }
    case 'top': {
      if (m !== 'GET') throw badRequest(req.path, "Only GET action is available on 'top' endpoint.");
      if (req.parts.length < 6) throw badRequest(req.path, "Must include N and element type after 'top' endpoint.");
      let n: bigint;
      try {
        n = parseUint(req.parts[4]!, 32);
      } catch (e) {
        throw badRequest(req.path, (e as Error).message);
      }
      const i = indexOf(req, req.parts[5]);
      return jsonReply(ranking(countsOf(ctx, req.v).ranked.get(i)!.slice(0, Number(n))));
    }
    case 'threshold': {
      if (m !== 'GET') throw badRequest(req.path, "Only GET action is available on 'threshold' endpoint.");
      if (req.parts.length < 6) throw badRequest(req.path, "Must include threshold # and element type after 'threshold' endpoint.");
      let t: bigint;
      try {
        t = parseUint(req.parts[4]!, 32);
      } catch (e) {
        throw badRequest(req.path, (e as Error).message);
      }
      const i = indexOf(req, req.parts[5]);
      const offText = req.query.get('offset') ?? '', nText = req.query.get('n') ?? '';
      let offset = 0, num = 0;
      try {
        if (offText !== '') offset = atoi(offText);
      } catch {
        throw badRequest(req.path, `bad offset specified in query string (${goQuote(offText)})`);
      }
      try {
        if (nText !== '') num = atoi(nText);
      } catch {
        throw badRequest(req.path, `bad num specified in query string (${goQuote(nText)})`);
      }
      if (num < 0) throw badRequest(req.path, `bad number of requested labels (${num})`);
      const rows = countsOf(ctx, req.v).ranked.get(i)!.filter(([, c]) => c >= Number(t));
      return jsonReply(ranking(rows.slice(Math.max(0, offset), Math.max(0, offset) + (num === 0 ? MAX_LABELS_RETURNED : num))));
    }
    case 'reload':
    case 'sync':
      throw badRequest(req.path, `the demo server does not implement /${req.keyword} on labelsz`);
    default:
      throw badApi(req.path, ctx.host, req.instance.name, 'labelsz');
  }
}
