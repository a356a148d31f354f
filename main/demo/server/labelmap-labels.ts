/**
 * Label-level endpoints of labelmap (labelmap/handlers.go): label, labels, mapping, mappings,
 * supervoxels, supervoxel-sizes, size, sizes, sparsevol-size, lastmod, maxlabel, nextlabel,
 * mutations, mutations-range. Texts, key spacing and 404-with-empty-body cases follow the Go code.
 */
import { createHash } from 'node:crypto';
import { parseU64Array } from '../../formats/json-u64';
import { BLOCK_SIZE } from '../dataset/presets';
import { resolveUuid, type InstanceRequest, type ServerContext } from './context';
import { badRequest, emptyNotFound, goQuote, noJsonstore, parseUint } from './errors';
import { hasScale, point3d, scaleOf } from './geometry-args';
import type { LabelmapView } from './labelmap-index';
import { binaryReply, hangReply, jsonReply, textReply, type Reply } from './reply';

const B = BLOCK_SIZE;

/** The uint64 label at a voxel (scale grid), as a supervoxel or mapped to its body at version v. */
export function labelAt(ctx: ServerContext, view: LabelmapView, v: number, scale: number, p: readonly number[], supervoxels: boolean): bigint {
  if (!hasScale(scale)) return 0n;
  const s = view.store.scales[scale]!;
  const i = s.find(Math.floor(p[0]! / B), Math.floor(p[1]! / B), Math.floor(p[2]! / B));
  if (i < 0) return 0n;
  const pal = ctx.decoded.get(view.store, scale, i);
  const lx = p[0]! - Math.floor(p[0]! / B) * B, ly = p[1]! - Math.floor(p[1]! / B) * B, lz = p[2]! - Math.floor(p[2]! / B) * B;
  const label = pal.palette[pal.indices[(lz * B + ly) * B + lx]!]!;
  if (supervoxels || label === 0n) return label;
  const idx = view.indexOf.get(label);
  return idx === undefined ? label : view.bodyOf(idx, v);
}

/** A JSON array of uint64 from a GET body, with Go's wording for bad input. */
export function u64Body(req: InstanceRequest, prefix: string): bigint[] {
  const text = req.body.toString('utf8');
  if (text.trim() === '') throw badRequest(req.path, `${prefix}: unexpected end of JSON input`);
  try {
    return parseU64Array(text);
  } catch (e) {
    throw badRequest(req.path, `${prefix}: ${(e as Error).message}`);
  }
}

function labelParam(req: InstanceRequest, what: string): bigint {
  if (req.parts.length < 5) throw badRequest(req.path, what);
  try {
    return parseUint(req.parts[4]!);
  } catch (e) {
    throw badRequest(req.path, (e as Error).message);
  }
}

function checkHash(req: InstanceRequest): void {
  const hash = req.query.get('hash');
  if (!hash) return;
  const hex = createHash('md5').update(req.body).digest('hex');
  if (hex !== hash) throw badRequest(req.path, `content hash incorrect.  expected ${hash}, got ${hex}`);
}

export function getLabel(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.parts.length < 5) throw badRequest(req.path, "DVID requires coord to follow 'label' command");
  const p = point3d(req.path, req.parts[4]!);
  const scale = scaleOf(req.path, req.query);
  const label = labelAt(ctx, view, req.v, scale, p, req.query.get('supervoxels') === 'true');
  return jsonReply(`{"Label": ${label}}`);
}

export function getLabels(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method !== 'GET') throw badRequest(req.path, 'Batch labels query must be a GET request');
  const scale = scaleOf(req.path, req.query);
  checkHash(req);
  let pts: unknown;
  try {
    pts = JSON.parse(req.body.toString('utf8'));
  } catch (e) {
    throw badRequest(req.path, `Bad labels request JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(pts) || pts.some((p) => !Array.isArray(p) || p.length !== 3 || p.some((c) => !Number.isInteger(c)))) {
    throw badRequest(req.path, 'Bad labels request JSON: json: cannot unmarshal into Go value of type []dvid.Point3d');
  }
  const supervoxels = req.query.get('supervoxels') === 'true';
  const labels = (pts as number[][]).map((p) => labelAt(ctx, view, req.v, scale, p, supervoxels));
  return jsonReply(`[${labels.join(',')}]`);
}

export function getMapping(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method !== 'GET') throw badRequest(req.path, 'Batch mapping query must be a GET request');
  checkHash(req);
  const svs = u64Body(req, 'Bad mapping request JSON');
  const lookup = req.query.get('nolookup') !== 'true';
  const out = svs.map((sv) => {
    const i = view.indexOf.get(sv);
    if (i === undefined || view.labelVoxels[i] === 0) return lookup ? 0n : sv;
    return view.bodyOf(i, req.v);
  });
  return jsonReply(`[${out.join(',')}]`);
}

export function getMappings(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method === 'POST') throw badRequest(req.path, 'the demo server does not accept mapping writes');
  const binary = req.query.get('format') === 'binary';
  const pairs: Array<[bigint, bigint]> = [];
  for (let i = 1; i < view.store.labels.length; i++) {
    const sv = view.store.labels[i]!;
    const body = view.bodyOf(i, req.v);
    if (body !== sv) pairs.push([sv, body]);
  }
  if (binary) {
    const out = new BigUint64Array(pairs.length * 2);
    pairs.forEach(([s, b], k) => {
      out[2 * k] = s;
      out[2 * k + 1] = b;
    });
    return binaryReply(new Uint8Array(out.buffer));
  }
  return textReply(pairs.map(([s, b]) => `${s} ${b}\n`).join(''), 'text/plain; charset=utf-8');
}

export function getSupervoxels(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  const label = labelParam(req, "DVID requires label to follow 'supervoxels' command");
  if (label === 0n) throw badRequest(req.path, 'Label 0 is protected background value and cannot be queried as body.\n');
  const svs = view.labelsOfBody(label, req.v);
  if (svs.length === 0) throw emptyNotFound();
  return jsonReply(`[${svs.map((i) => view.store.labels[i]).join(',')}]`);
}

export function getSupervoxelSizes(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  const label = labelParam(req, "DVID requires label to follow 'supervoxels' command");
  if (label === 0n) throw badRequest(req.path, 'Label 0 is protected background value and cannot be queried as body.\n');
  const svs = view.labelsOfBody(label, req.v);
  if (svs.length === 0) throw emptyNotFound();
  return jsonReply(`{\n  "supervoxels": [${svs.map((i) => view.store.labels[i]).join(',')}],\n  "sizes": [${svs.map((i) => view.labelVoxels[i]).join(',')}]\n}`);
}

export function getSize(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  const label = labelParam(req, "DVID requires label to follow 'size' command");
  if (label === 0n) throw badRequest(req.path, 'Label 0 is protected background value and cannot be queried as body.\n');
  const n = view.size(label, req.v, req.query.get('supervoxels') === 'true');
  if (n === 0) throw emptyNotFound();
  return jsonReply(`{"voxels": ${n}}`);
}

export function getSizes(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method !== 'GET') throw badRequest(req.path, 'Batch sizes query must be a GET request');
  checkHash(req);
  const labels = u64Body(req, 'Bad mapping request JSON');
  const supervoxels = req.query.get('supervoxels') === 'true';
  return jsonReply(`[${labels.map((l) => view.size(l, req.v, supervoxels)).join(',')}]`);
}

export function getSparsevolSize(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  const label = labelParam(req, "ERROR: DVID requires label ID to follow 'sparsevol-size' command");
  if (label === 0n) throw badRequest(req.path, 'Label 0 is protected background value and cannot be used as sparse volume.\n');
  if (req.method !== 'GET') throw badRequest(req.path, `DVID does not support ${req.method} on /sparsevol-size endpoint`);
  const supervoxels = req.query.get('supervoxels') === 'true';
  const indices = supervoxels ? [view.indexOf.get(label)].filter((i): i is number => i !== undefined && view.labelVoxels[i]! > 0) : view.labelsOfBody(label, req.v);
  if (indices.length === 0) throw emptyNotFound();
  const blocks = view.blocksOf(indices);
  let voxels = 0;
  for (const i of indices) voxels += view.labelVoxels[i]!;
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (const b of blocks) {
    const c = view.blockCoord(b);
    for (let k = 0; k < 3; k++) {
      min[k] = Math.min(min[k]!, c[k]!);
      max[k] = Math.max(max[k]!, c[k]!);
    }
  }
  const lo = min.map((m) => m * B), hi = max.map((m) => (m + 1) * B - 1);
  return jsonReply(`{"voxels": ${voxels}, "numblocks": ${blocks.length}, "minvoxel": [${lo.join(', ')}], "maxvoxel": [${hi.join(', ')}]}`);
}

export function getLastmod(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  const label = labelParam(req, "DVID requires label to follow 'lastmod' command");
  if (label === 0n) throw badRequest(req.path, 'Label 0 is protected background value and cannot be queried as body.\n');
  if (view.labelsOfBody(label, req.v).length === 0) throw emptyNotFound();
  const lm = view.mapped ? ctx.ds.lastmod[req.v]![label.toString()] : undefined;
  const m = lm ?? { mutid: 0, user: '', app: '', time: '' };
  return jsonReply(`{"mutation id": ${m.mutid}, "last mod user": ${goQuote(m.user)}, "last mod app": ${goQuote(m.app)}, "last mod time": ${goQuote(m.time)} }`);
}

export function effectiveMaxLabel(ctx: ServerContext, view: LabelmapView, v: number): bigint {
  if (!view.mapped) return view.store.labels[view.store.labels.length - 1] ?? 0n;
  let max = 0n;
  for (let u = 0; u <= v; u++) if (ctx.ds.maxLabel[u]! > max) max = ctx.ds.maxLabel[u]!;
  return max;
}

export function getMaxlabel(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method === 'POST') throw badRequest(req.path, 'POST /maxlabel requires admin privileges (admintoken or DSG admin)');
  if (req.method !== 'GET') throw badRequest(req.path, `Unknown action ${goQuote(req.method)} requested: ${req.path}\n`);
  const max = effectiveMaxLabel(ctx, view, req.v);
  if (max === 0n) throw badRequest(req.path, `No maximum label found for ${view.store.name} version ${req.v + 1}\n`);
  return jsonReply(`{"maxlabel": ${max}}`);
}

export function getNextlabel(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method !== 'GET') throw badRequest(req.path, 'the demo server does not hand out new labels');
  let repoMax = effectiveMaxLabel(ctx, view, ctx.ds.nodes.length - 1);
  if (view.mapped && ctx.ds.maxLabel[1]! > repoMax) repoMax = ctx.ds.maxLabel[1]!;
  return jsonReply(`{"nextlabel": ${repoMax + 1n}}`);
}

export function getMutations(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method !== 'GET') throw badRequest(req.path, 'only POST action allowed for /mappings endpoint');
  if (!ctx.jsonstore) throw noJsonstore(req.path);
  const records = view.mapped ? ctx.ds.mutations[req.v]! : [];
  return textReply(`[${records.join(',')}]`, 'text/plain; charset=utf-8');
}

export function getMutationsRange(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method !== 'GET') throw badRequest(req.path, 'only GET action allowed for /mutations-range endpoint');
  if (req.parts.length < 6) throw badRequest(req.path, 'mutations-range requires begin and end UUIDs');
  const beg = resolveUuid(ctx.ds, req.parts[4]!, req.path);
  const end = resolveUuid(ctx.ds, req.parts[5]!, req.path);
  // sendMutations returns on the missing jsonstore without closing its channel: the handler waits forever.
  if (!ctx.jsonstore) return hangReply();
  const seq: number[] = [];
  for (let cur = end; cur >= 0; ) {
    seq.push(cur);
    if (cur === beg) break;
    const p = ctx.ds.nodes[cur]!.parents[0];
    cur = p === undefined ? -1 : ctx.ds.nodes.findIndex((n) => n.versionId === p);
  }
  const records = view.mapped ? seq.flatMap((v) => ctx.ds.mutations[v]!) : [];
  return textReply(`[${records.join(',')}]`, 'text/plain; charset=utf-8');
}
