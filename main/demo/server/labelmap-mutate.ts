/**
 * labelmap writes on the open node: POST /merge and POST /cleave/{label} (labelmap/handlers.go,
 * mutate.go), so that clients and tests can proofread the demo as they would a DVID. A write changes
 * what DVID's do: the version's mapping (hence body-label blocks, never supervoxel blocks), the
 * label indices of the synced annotations (and so labelsz), /lastmod of the bodies involved,
 * /maxlabel (cleave takes MaxRepoLabel+1, as newLabel does), the repo MutationID, and appends a
 * "-complete" record to the node's /mutations log (Go-marshalled, sorted keys, Go String() time).
 * Writes live in this server's own copy of the version data (demo-server.ts forks it), never in the
 * dataset shared by other servers of the process.
 */
import { parseJsonLossless } from '../../formats/json-u64';
import { goTimeString, rfc3339 } from '../dataset/time';
import type { InstanceRequest, ServerContext } from './context';
import { badRequest } from './errors';
import { goString } from './go-json';
import type { LabelmapView } from './labelmap-index';
import { jsonReply, type Reply } from './reply';

function u64List(req: InstanceRequest, what: string): bigint[] {
  let raw: unknown;
  try {
    raw = parseJsonLossless(req.body.toString('utf8'));
  } catch (e) {
    throw badRequest(req.path, `${what}: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw)) throw badRequest(req.path, `${what}: expected a JSON list of labels`);
  return raw.map((x) => {
    const v = typeof x === 'bigint' ? x : typeof x === 'number' && Number.isInteger(x) && x >= 0 ? BigInt(x) : null;
    if (v === null || v >= 1n << 64n) throw badRequest(req.path, `${what}: ${String(x)} is not a uint64 label`);
    return v;
  });
}

function modInfo(req: InstanceRequest): { user: string; app: string } {
  return { user: req.query.get('u') ?? '', app: req.query.get('app') ?? '' };
}

/** A new repo-wide mutation id (datastore NewMutationID): the one repo info announced as MutationID. */
function newMutationId(ctx: ServerContext): number {
  ctx.ds.repo.mutationId += 1;
  return ctx.ds.repo.mutationId;
}

function timestamp(ctx: ServerContext): { text: string; rfc: string } {
  const now = Date.now();
  return { text: goTimeString({ ms: now, ns: 0 }, (now - ctx.startedAt) / 1000), rfc: rfc3339({ ms: now, ns: 0 }) };
}

/** Changes the mapping of `svIndices` to `body` at version v, keeping the annotation label indices in step. */
function remap(ctx: ServerContext, view: LabelmapView, v: number, oldBodies: readonly bigint[], svIndices: readonly number[], body: bigint): void {
  const anns = Object.values(ctx.annotations);
  const before = anns.map((a) => a.elementsOfBodies(v, oldBodies));
  const m = view.mappings[v]!;
  for (const i of svIndices) m[i] = body;
  view.invalidate(v);
  anns.forEach((a, k) => a.relabel(v, oldBodies, before[k]!));
}

function optional(user: string, app: string): { app: string; user: string } {
  return { app: app ? `"App":${goString(app)},` : '', user: user ? `,"User":${goString(user)}` : '' };
}

export function postMerge(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.method !== 'POST') throw badRequest(req.path, 'Merge requests must be POST actions.');
  if (!view.mapped) throw badRequest(req.path, 'the demo server merges only in segmentation');
  const tuple = u64List(req, 'Bad merge op JSON');
  if (tuple.length < 2) throw badRequest(req.path, 'Error on merge: merge requested without any labels to merge');
  const [target, ...merged] = tuple as [bigint, ...bigint[]];
  const v = req.v;
  if (target === 0n || merged.includes(0n)) throw badRequest(req.path, 'Error on merge: label 0 is protected background value and cannot be merged');
  if (merged.includes(target)) throw badRequest(req.path, `Error on merge: can't merge label ${target} into itself`);
  for (const l of merged) if (view.labelsOfBody(l, v).length === 0) throw badRequest(req.path, `Error on merge: can't merge non-existent label ${l}`);
  if (view.labelsOfBody(target, v).length === 0) throw badRequest(req.path, `Error on merge: can't merge into a non-existent label ${target}`);
  const svs = merged.flatMap((l) => view.labelsOfBody(l, v));
  const { user, app } = modInfo(req);
  const mutid = newMutationId(ctx);
  const ts = timestamp(ctx);
  remap(ctx, view, v, [target, ...merged], svs, target);
  const lastmod = ctx.ds.lastmod[v]!;
  for (const l of merged) delete lastmod[l.toString()];
  lastmod[target.toString()] = { mutid, user, app, time: ts.rfc };
  const o = optional(user, app);
  ctx.ds.mutations[v]!.push(
    `{"Action":"merge-complete",${o.app}"Labels":[${merged.join(',')}],"MutationID":${mutid},"Target":${target},"Timestamp":${goString(ts.text)},"UUID":"${req.uuid}"${o.user}}`,
  );
  return jsonReply(`{"MutationID": ${mutid}}`);
}

export function postCleave(ctx: ServerContext, req: InstanceRequest, view: LabelmapView, repoMaxLabel: () => bigint): Reply {
  if (req.method !== 'POST') throw badRequest(req.path, 'Cleave requests must be POST actions.');
  if (req.parts.length < 5) throw badRequest(req.path, "ERROR: DVID requires label ID to follow 'cleave' command");
  if (!view.mapped) throw badRequest(req.path, 'the demo server cleaves only in segmentation');
  const text = req.parts[4]!;
  if (!/^\d+$/.test(text) || BigInt(text) >= 1n << 64n) throw badRequest(req.path, `strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`);
  const label = BigInt(text);
  if (label === 0n) throw badRequest(req.path, 'Label 0 is protected background value and cannot be used as cleave target\n');
  if (req.body.length === 0) throw badRequest(req.path, 'no cleave supervoxels JSON was POSTed');
  const cleaved = u64List(req, 'bad cleave supervoxels JSON');
  const v = req.v;
  const own = new Set(view.labelsOfBody(label, v));
  const indices: number[] = [];
  for (const sv of cleaved) {
    const i = view.indexOf.get(sv);
    if (i === undefined || !own.has(i)) throw badRequest(req.path, `cannot cleave supervoxel ${sv}, which does not exist in label ${label} (${view.store.name})`);
    indices.push(i);
  }
  const newLabel = repoMaxLabel() + 1n;
  const { user, app } = modInfo(req);
  const mutid = newMutationId(ctx);
  const ts = timestamp(ctx);
  let cleavedSize = 0;
  let remainSize = 0;
  const cut = new Set(indices);
  for (const i of own) {
    if (cut.has(i)) cleavedSize += view.labelVoxels[i]!;
    else remainSize += view.labelVoxels[i]!;
  }
  remap(ctx, view, v, [label], indices, newLabel);
  if (newLabel > ctx.ds.maxLabel[v]!) ctx.ds.maxLabel[v] = newLabel;
  const lastmod = ctx.ds.lastmod[v]!;
  lastmod[label.toString()] = { mutid, user, app, time: ts.rfc };
  lastmod[newLabel.toString()] = { mutid, user, app, time: ts.rfc };
  const o = optional(user, app);
  ctx.ds.mutations[v]!.push(
    `{"Action":"cleave-complete",${o.app}"CleavedLabel":${newLabel},"CleavedSize":${cleavedSize},"CleavedSupervoxels":[${cleaved.join(',')}],` +
      `"MutationID":${mutid},"OrigLabel":${label},"RemainSize":${remainSize},"Timestamp":${goString(ts.text)},"UUID":"${req.uuid}"${o.user}}`,
  );
  return jsonReply(`{"CleavedLabel": ${newLabel}, "MutationID": ${mutid}}`);
}
