/**
 * Plans a sync: resolves each instance's scope to work items with unit counts and estimated bytes,
 * asking the server only for what sizes the plan (instance info with the node's extents, ROI spans,
 * a body's block list via /sparsevol-coarse, a keyvalue's key listing). Nothing is downloaded in bulk.
 *
 * Estimates per unit, from DVID-API §13 and FlyEM data (documented because they drive --max-bytes):
 * a 64³ block with compression=blocks ≈ 6 KiB; a supervoxel mapping ≈ 24 B (≈ 20 per block);
 * annotation elements ≈ 4 KiB per 64³ annotation block (unknown before download); keyvalue values by
 * role: body annotation 512 B, mesh 512 KiB, skeleton 128 KiB, ROI mesh 1 MiB, other 16 KiB.
 */
import { createHash } from 'node:crypto';
import type { DvidClient } from '../dvid/client';
import type { InstanceInfo, LabelmapExtended, ResolvedNode } from '../dvid/repo';
import type { Uuid } from '../dvid/paths';
import { spansToBlocks, type RoiSpan } from '../formats/roi-spans';
import { boxVolume, compareZyx, coordKey, intersect, tiles, voxelBoxToBlocks, type Box, type Coord } from './geometry';
import type { ElementFilter, ItemSpec, KvRole, Plan, PlannedInstance, PlannedItem } from './plan';
import { scopeKey, scopeText, type InstanceScope, type Scope } from './scope';

export class PlanError extends Error {
  override name = 'PlanError';
}

export const BYTES_PER_BLOCK = 6 * 1024;
export const BYTES_PER_MAPPED_BLOCK = 20 * 24;
export const BYTES_PER_ANNOTATION_BLOCK = 4 * 1024;
export const ELEMENTS_PER_ANNOTATION_BLOCK = 20;
export const BYTES_PER_ELEMENT_SV = 40;
export const KV_BYTES: Record<KvRole, number> = {
  'body-annotations': 512,
  meshes: 512 * 1024,
  skeletons: 128 * 1024,
  'roi-meshes': 1024 * 1024,
  generic: 16 * 1024,
};
const KV_BATCH: Record<KvRole, number> = { 'body-annotations': 1000, meshes: 20, skeletons: 100, 'roi-meshes': 10, generic: 100 };
/** Blocks per /specificblocks request, and per /blocks box (8³). */
export const BLOCK_BATCH = 512;
const BLOCK_TILE: Coord = [8, 8, 8];
const BODY_BATCH = 20;
const LABELSZ_INDEXES = ['PreSyn', 'PostSyn', 'AllSyn'] as const;
/** Annotation tiles are sized so that a whole-instance plan stays under about this many items. */
const MAX_ELEMENT_ITEMS = 20_000;

export interface PlanInput {
  client: DvidClient;
  resolved: ResolvedNode;
  serverUrl: string;
  /** null: every instance of the repo, each with scope `all`. */
  scopes: readonly InstanceScope[] | null;
  signal?: AbortSignal;
  /** Stop expanding items once the estimate exceeds this (the plan is refused anyway). */
  maxBytes?: number;
  /** Payload form of labelmap blocks: 'blocks' (default, DVID-API §15.1) or raw 'lz4' voxels. */
  blockCompression?: 'blocks' | 'lz4';
}

/** Which kind of values a keyvalue instance holds, from its name (FlyEM conventions) and type. */
export function kvRole(name: string, typeName: string): KvRole {
  if (typeName === 'neuronjson' || /annotations$/i.test(name)) return 'body-annotations';
  if (/meshes$/i.test(name) && !/^rois/i.test(name)) return 'meshes';
  if (/skeletons$/i.test(name)) return 'skeletons';
  if (/^rois?Smoothed|^roiMeshes/i.test(name)) return 'roi-meshes';
  return 'generic';
}

/** The body a key names under a role, or null. */
export function bodyOfKey(role: KvRole, key: string): bigint | null {
  const m =
    role === 'meshes' ? /^(\d{1,20})\.[A-Za-z0-9]+$/.exec(key) : role === 'skeletons' ? /^(\d{1,20})_swc$/.exec(key) : role === 'body-annotations' ? /^(\d{1,20})$/.exec(key) : null;
  if (!m) return null;
  const v = BigInt(m[1]!);
  return v > 0n && v < 1n << 64n ? v : null;
}

function keysForBody(role: KvRole, body: bigint): string[] {
  switch (role) {
    case 'meshes':
      return [`${body}.ngmesh`, `${body}.drc`, `${body}.obj`];
    case 'skeletons':
      return [`${body}_swc`];
    case 'body-annotations':
      return [`${body}`];
    default:
      return [`${body}`];
  }
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function extentBox(ext: LabelmapExtended): Box | null {
  const min = ext.extents?.minPoint ?? ext.minPoint;
  const max = ext.extents?.maxPoint ?? ext.maxPoint;
  if (!min || !max) return null;
  return [min[0], min[1], min[2], max[0] + 1, max[1] + 1, max[2] + 1];
}

class Planner {
  readonly #roiSpans = new Map<string, Promise<{ spans: RoiSpan[]; blockSize: [number, number, number] }>>();
  readonly #infos = new Map<string, Promise<InstanceInfo>>();
  #bytesSoFar = 0;

  constructor(readonly input: PlanInput) {}

  get uuid(): Uuid {
    return this.input.resolved.uuid;
  }

  info(name: string): Promise<InstanceInfo> {
    let p = this.#infos.get(name);
    if (!p) {
      p = this.input.client.repos.instanceInfo(this.uuid, name, { dag: this.input.resolved.repo, signal: this.input.signal });
      this.#infos.set(name, p);
    }
    return p;
  }

  roi(name: string): Promise<{ spans: RoiSpan[]; blockSize: [number, number, number] }> {
    let p = this.#roiSpans.get(name);
    if (!p) {
      const inst = this.input.resolved.repo.instances.get(name);
      if (!inst || inst.type !== 'roi') {
        const rois = [...this.input.resolved.repo.instances.values()].filter((i) => i.type === 'roi').map((i) => i.base.name);
        throw new PlanError(`"${name}" is not a roi instance of this repo${rois.length ? ` (ROIs: ${rois.slice(0, 30).join(', ')}${rois.length > 30 ? ', …' : ''})` : ''}`);
      }
      p = (async () => {
        const spans = await this.input.client.roi(this.uuid, name).spans({ signal: this.input.signal });
        return { spans, blockSize: inst.extended.blockSize };
      })();
      this.#roiSpans.set(name, p);
    }
    return p;
  }

  /** Over the limit: stop materialising items (the plan is refused; only its estimate matters). */
  get overLimit(): boolean {
    return this.input.maxBytes !== undefined && this.#bytesSoFar > this.input.maxBytes;
  }

  add(bytes: number): void {
    this.#bytesSoFar += bytes;
  }

  /** Blocks of `blockSize` (at `scale`) that touch the given ROIs' blocks, sorted z, y, x. */
  async roiBlocks(rois: readonly string[], blockSize: Coord, scale: number): Promise<Array<[number, number, number]>> {
    const out = new Map<string, [number, number, number]>();
    for (const name of rois) {
      const { spans, blockSize: rb } = await this.roi(name);
      for (const b of spansToBlocks(spans)) {
        const vb: Box = [b[0] * rb[0], b[1] * rb[1], b[2] * rb[2], (b[0] + 1) * rb[0], (b[1] + 1) * rb[1], (b[2] + 1) * rb[2]];
        const lb = voxelBoxToBlocks(vb, blockSize, scale);
        for (let z = lb[2]; z < lb[5]; z++) for (let y = lb[1]; y < lb[4]; y++) for (let x = lb[0]; x < lb[3]; x++) out.set(`${x},${y},${z}`, [x, y, z]);
      }
    }
    return [...out.values()].toSorted(compareZyx);
  }
}

function planned(name: string, type: string, scope: Scope, items: PlannedItem[], notes: string[] = [], extra = { units: 0, bytes: 0 }): PlannedInstance {
  return {
    name,
    type,
    scope: scopeText(scope),
    items,
    units: items.reduce((s, i) => s + i.units, 0) + extra.units,
    bytes: items.reduce((s, i) => s + i.bytes, 0) + extra.bytes,
    notes,
  };
}

function invalid(name: string, type: string, scope: Scope, allowed: string): PlanError {
  return new PlanError(`${name} (${type}) cannot be synced with scope "${scopeText(scope)}": use ${allowed}`);
}

async function planLabelmap(p: Planner, name: string, scope: Scope): Promise<PlannedInstance> {
  const info = await p.info(name);
  if (info.type !== 'labelmap') throw new PlanError(`${name} is not a labelmap`);
  const ext = info.extended;
  const bs = ext.blockSize;
  const scales = scope.scales ?? [0];
  for (const s of scales) if (s > ext.maxDownresLevel) throw new PlanError(`${name} has scales 0..${ext.maxDownresLevel}; ;scales=${scales.join(',')} asks for ${s}`);
  const region = scope.region;
  const items: PlannedItem[] = [];
  const notes: string[] = [];
  let units = 0;
  let bytes = 0;
  const extent = extentBox(ext);
  const lz4 = p.input.blockCompression === 'lz4' ? { compression: 'lz4' as const } : {};
  const supervoxels = !scope.bodyLabels;
  const addCoordItems = (scale: number, coords: Array<[number, number, number]>) => {
    units += coords.length;
    bytes += coords.length * BYTES_PER_BLOCK;
    p.add(coords.length * BYTES_PER_BLOCK);
    if (p.overLimit) return;
    for (const c of chunk(coords, BLOCK_BATCH)) items.push({ spec: { kind: 'blocks', scale, supervoxels, coords: c, ...lz4 }, units: c.length, bytes: c.length * BYTES_PER_BLOCK });
  };
  const addBoxItems = (scale: number, box: Box) => {
    const n = boxVolume(box);
    units += n;
    bytes += n * BYTES_PER_BLOCK;
    p.add(n * BYTES_PER_BLOCK);
    if (p.overLimit) return;
    for (const t of tiles(box, BLOCK_TILE)) {
      const k = boxVolume(t);
      items.push({ spec: { kind: 'blocks', scale, supervoxels, box: t, ...lz4 }, units: k, bytes: k * BYTES_PER_BLOCK });
    }
  };
  switch (region.kind) {
    case 'all':
    case 'bbox': {
      let vbox: Box | null = region.kind === 'all' ? extent : [...region.min, ...region.max];
      if (region.kind === 'bbox' && extent) vbox = intersect(vbox!, extent);
      if (!vbox) {
        notes.push(extent ? 'the box lies outside the instance extents: nothing to sync' : 'the instance reports no extents: nothing to sync');
        break;
      }
      for (const s of scales) addBoxItems(s, voxelBoxToBlocks(vbox, bs, s));
      break;
    }
    case 'roi':
      for (const s of scales) addCoordItems(s, await p.roiBlocks(region.rois, bs, s));
      break;
    case 'bodies': {
      const lm = p.input.client.labelmap(p.uuid, name);
      const base = new Map<string, [number, number, number]>();
      for (const body of region.bodies) {
        let runs;
        try {
          runs = await lm.sparsevolCoarse(body, { signal: p.input.signal });
        } catch (err) {
          if ((err as { kind?: string }).kind === 'not-found') {
            notes.push(`body ${body} does not exist at this node`);
            continue;
          }
          throw err;
        }
        for (const r of runs) for (let i = 0; i < r.length; i++) base.set(`${r.x + i},${r.y},${r.z}`, [r.x + i, r.y, r.z]);
      }
      for (const s of scales) {
        const f = 2 ** s;
        const at = new Map<string, [number, number, number]>();
        for (const c of base.values()) {
          const d: [number, number, number] = [Math.floor(c[0] / f), Math.floor(c[1] / f), Math.floor(c[2] / f)];
          at.set(coordKey(d), d);
        }
        addCoordItems(s, [...at.values()].toSorted(compareZyx));
      }
      break;
    }
    default:
      throw invalid(name, 'labelmap', scope, 'all, roi:…, bbox:… or bodies:… (with ;scales=…)');
  }
  let mapBytes = 0;
  if (units > 0 && supervoxels) {
    mapBytes = Math.round((units / scales.length) * BYTES_PER_MAPPED_BLOCK);
    p.add(mapBytes);
    items.push({ spec: { kind: 'mapping' }, units: 0, bytes: mapBytes });
  }
  // Over the limit the items are not kept (the plan is refused), but the estimate stays whole.
  const out = planned(name, 'labelmap', scope, p.overLimit ? [] : items, notes);
  out.units = units;
  out.bytes = bytes + mapBytes;
  return out;
}

/** The labelmap an annotation instance syncs to (its Base.Syncs), if any. */
async function syncedLabelmap(p: Planner, name: string): Promise<{ name: string; info: LabelmapExtended } | null> {
  const info = await p.info(name);
  for (const s of info.base.syncs) {
    const other = p.input.resolved.repo.instances.get(s);
    if (other?.type === 'labelmap') {
      const li = await p.info(s);
      if (li.type === 'labelmap') return { name: s, info: li.extended };
    }
  }
  return null;
}

function elementTile(blockBoxVolume: number): Coord {
  let t = 8;
  while (t < 1024 && blockBoxVolume / (t * t) > MAX_ELEMENT_ITEMS) t *= 2;
  return [t, t, 1];
}

async function planAnnotation(p: Planner, name: string, scope: Scope): Promise<PlannedInstance> {
  const lm = await syncedLabelmap(p, name);
  const bs: [number, number, number] = lm ? lm.info.blockSize : [64, 64, 64];
  const region = scope.region;
  const items: PlannedItem[] = [];
  const notes: string[] = [];
  let estElements = 0;
  let estBytes = 0;
  const addTiles = (blockBox: Box, filter: ElementFilter, only?: ReadonlySet<string>) => {
    const tile = elementTile(boxVolume(blockBox));
    for (const t of tiles(blockBox, tile)) {
      let n = boxVolume(t);
      if (only) {
        n = 0;
        for (let z = t[2]; z < t[5]; z++) for (let y = t[1]; y < t[4]; y++) for (let x = t[0]; x < t[3]; x++) if (only.has(`${x},${y},${z}`)) n++;
        if (n === 0) continue;
      }
      const bytes = n * BYTES_PER_ANNOTATION_BLOCK;
      estElements += n * ELEMENTS_PER_ANNOTATION_BLOCK;
      estBytes += bytes;
      p.add(bytes);
      if (!p.overLimit) items.push({ spec: { kind: 'elements', box: t, blockSize: bs, filter }, units: n * ELEMENTS_PER_ANNOTATION_BLOCK, bytes });
    }
  };
  switch (region.kind) {
    case 'all':
    case 'bbox': {
      const extent = lm ? extentBox(lm.info) : null;
      let vbox: Box | null = region.kind === 'all' ? extent : [...region.min, ...region.max];
      if (!vbox) throw new PlanError(`${name}: no synced labelmap gives the extents to tile "all"; use bbox:… or bodies:…`);
      if (region.kind === 'bbox' && extent) vbox = intersect(vbox, extent) ?? vbox;
      addTiles(voxelBoxToBlocks(vbox, bs, 0), region.kind === 'bbox' ? { kind: 'bbox', box: [...region.min, ...region.max] } : { kind: 'none' });
      break;
    }
    case 'roi': {
      const blocks = await p.roiBlocks(region.rois, bs, 0);
      if (blocks.length === 0) {
        notes.push('the ROIs are empty');
        break;
      }
      const only = new Set(blocks.map(coordKey));
      const b0 = blocks.reduce<[number, number, number, number, number, number]>(
        (a, c) => [Math.min(a[0], c[0]), Math.min(a[1], c[1]), Math.min(a[2], c[2]), Math.max(a[3], c[0] + 1), Math.max(a[4], c[1] + 1), Math.max(a[5], c[2] + 1)],
        [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity],
      );
      addTiles(b0, { kind: 'rois', rois: [...region.rois].toSorted() }, only);
      break;
    }
    case 'bodies': {
      for (const c of chunk(region.bodies, BODY_BATCH)) {
        const bytes = c.length * 500 * 200;
        estElements += c.length * 500;
        estBytes += bytes;
        p.add(bytes);
        if (!p.overLimit) items.push({ spec: { kind: 'element-bodies', bodies: c.map(String), blockSize: bs }, units: c.length * 500, bytes });
      }
      notes.push('elements of each body via /label/{body} (DVID updates it asynchronously after merges)');
      break;
    }
    default:
      throw invalid(name, 'annotation', scope, 'all, roi:…, bbox:… or bodies:…');
  }
  if (lm && estElements > 0) {
    const svBytes = estElements * BYTES_PER_ELEMENT_SV;
    estBytes += svBytes;
    p.add(svBytes);
    if (!p.overLimit) items.push({ spec: { kind: 'element-svs', labelmap: lm.name }, units: 0, bytes: svBytes });
  } else if (!lm) {
    notes.push('no labelmap is synced to it: elements are stored without their supervoxel');
  }
  if (region.kind !== 'bodies') notes.push('element counts are unknown before download; bytes assume ~4 KiB per 64³ block');
  // Over the limit the items are not kept (the plan is refused), but the estimate stays whole.
  const out = planned(name, 'annotation', scope, p.overLimit ? [] : items, notes);
  out.units = estElements;
  out.bytes = estBytes;
  return out;
}

async function planKeyvalue(p: Planner, name: string, type: string, scope: Scope): Promise<PlannedInstance> {
  const role = kvRole(name, type);
  const kv = p.input.client.keyvalue(p.uuid, name);
  const region = scope.region;
  let keys: string[];
  const notes: string[] = [];
  let prune: ItemSpec | null = null;
  switch (region.kind) {
    case 'all':
      keys = await kv.keys({ signal: p.input.signal });
      prune = { kind: 'kv-prune' };
      break;
    case 'keys':
      keys = await kv.keyRange(region.first, region.last, { signal: p.input.signal });
      prune = { kind: 'kv-prune', first: region.first, last: region.last };
      break;
    case 'bodies': {
      if (role === 'roi-meshes' || role === 'generic') throw invalid(name, type, scope, 'all or keys:A..B (its keys do not name bodies)');
      const all = new Set(await kv.keys({ signal: p.input.signal }));
      keys = region.bodies.flatMap((b) => keysForBody(role, b)).filter((k) => all.has(k));
      const found = new Set(keys.map((k) => bodyOfKey(role, k)!.toString()));
      const missing = region.bodies.filter((b) => !found.has(b.toString()));
      if (missing.length) notes.push(`${missing.length} of the bodies have no key here (e.g. ${missing.slice(0, 3).join(', ')})`);
      break;
    }
    case 'roi': {
      if (role !== 'roi-meshes') throw invalid(name, type, scope, 'all, keys:A..B or bodies:…');
      const all = new Set(await kv.keys({ signal: p.input.signal }));
      keys = region.rois.filter((r) => all.has(r));
      if (keys.length < region.rois.length) notes.push(`no mesh for ${region.rois.filter((r) => !all.has(r)).join(', ')}`);
      break;
    }
    default:
      throw invalid(name, type, scope, 'all, keys:A..B or bodies:…');
  }
  const per = KV_BYTES[role];
  const items: PlannedItem[] = [];
  p.add(keys.length * per);
  if (!p.overLimit) {
    for (const c of chunk(keys, KV_BATCH[role])) items.push({ spec: { kind: 'kv', role, keys: c }, units: c.length, bytes: c.length * per });
    if (prune) items.push({ spec: prune, units: 0, bytes: 0 });
  }
  notes.unshift(`${role} values; bytes assume ~${per >= 1024 ? `${per / 1024} KiB` : `${per} B`} per key`);
  return planned(name, type, scope, items, notes, p.overLimit ? { units: keys.length, bytes: keys.length * per } : undefined);
}

async function planRoi(p: Planner, name: string, scope: Scope): Promise<PlannedInstance> {
  if (scope.region.kind !== 'all') throw invalid(name, 'roi', scope, 'all');
  const { spans } = await p.roi(name);
  const blocks = spans.reduce((s, r) => s + (r[3] - r[2] + 1), 0);
  const bytes = spans.length * 24 + 2;
  p.add(bytes);
  return planned(name, 'roi', scope, [{ spec: { kind: 'roi' }, units: blocks, bytes }]);
}

function planLabelsz(p: Planner, name: string, scope: Scope): PlannedInstance {
  const region = scope.region;
  const items: PlannedItem[] = [];
  for (const index of LABELSZ_INDEXES) {
    if (region.kind === 'top') items.push({ spec: { kind: 'labelsz', index, top: region.n }, units: region.n, bytes: region.n * 40 });
    else if (region.kind === 'all') items.push({ spec: { kind: 'labelsz', index }, units: 100_000, bytes: 4 * 1024 * 1024 });
    else if (region.kind === 'bodies') {
      for (const c of chunk(region.bodies, 10_000)) items.push({ spec: { kind: 'labelsz', index, bodies: c.map(String) }, units: c.length, bytes: c.length * 40 });
    } else throw invalid(name, 'labelsz', scope, 'all, top:N or bodies:…');
  }
  for (const i of items) p.add(i.bytes);
  return planned(name, 'labelsz', scope, items, region.kind === 'all' ? ['every ranked label (count ≥ 1) of PreSyn, PostSyn and AllSyn; the count of labels is unknown before download'] : []);
}

function planKey(node: string, instances: readonly InstanceScope[]): string {
  const canon = instances.map((i) => [i.name, scopeKey(i.scope)]).toSorted((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  return createHash('sha256').update(JSON.stringify({ node, instances: canon })).digest('hex');
}

const SYNCED_TYPES = new Set(['labelmap', 'annotation', 'keyvalue', 'neuronjson', 'roi', 'labelsz']);

/** The instances a plan covers: the given scopes, or every instance of the repo with scope `all`. */
export function effectiveScopes(resolved: ResolvedNode, scopes: readonly InstanceScope[] | null): InstanceScope[] {
  if (scopes && scopes.length) {
    for (const s of scopes) {
      if (!resolved.repo.instances.has(s.name)) {
        const names = [...resolved.repo.instances.keys()].toSorted();
        throw new PlanError(`no instance "${s.name}" in repo ${resolved.repo.root} (it has: ${names.slice(0, 40).join(', ')}${names.length > 40 ? ', …' : ''})`);
      }
    }
    return [...scopes];
  }
  return [...resolved.repo.instances.values()]
    .filter((i) => SYNCED_TYPES.has(i.type === 'other' ? i.base.typeName : i.type))
    .map((i) => ({ name: i.base.name, scope: { region: { kind: 'all' as const }, scales: null } }))
    .toSorted((a, b) => (a.name < b.name ? -1 : 1));
}

/** The plan key of a sync (node + instances + canonical scopes) without planning it. */
export function planKeyOf(resolved: ResolvedNode, scopes: readonly InstanceScope[] | null): string {
  return planKey(resolved.uuid, effectiveScopes(resolved, scopes));
}

/** The fields every plan (full or incremental) takes from the node and its instances; the caller adds the key. */
export function planOf(resolved: ResolvedNode, serverUrl: string, instances: PlannedInstance[]): Omit<Plan, 'key'> {
  return {
    server: serverUrl,
    repoRoot: resolved.repo.root,
    node: resolved.uuid,
    nodeLocked: resolved.node.locked,
    mutationId: resolved.repo.mutationId.toString(),
    instances,
    totalBytes: instances.reduce((s, i) => s + i.bytes, 0),
  };
}

export async function makePlan(input: PlanInput): Promise<Plan> {
  const { resolved } = input;
  const scopes = effectiveScopes(resolved, input.scopes);
  const p = new Planner(input);
  const instances: PlannedInstance[] = [];
  for (const { name, scope } of scopes) {
    const inst = resolved.repo.instances.get(name)!;
    const type = inst.type === 'other' ? inst.base.typeName : inst.type;
    if ((scope.scales || scope.bodyLabels) && type !== 'labelmap') throw new PlanError(`${name} (${type}): ;scales= and ;labels= apply to labelmaps only`);
    switch (type) {
      case 'labelmap':
        instances.push(await planLabelmap(p, name, scope));
        break;
      case 'annotation':
        instances.push(await planAnnotation(p, name, scope));
        break;
      case 'keyvalue':
      case 'neuronjson':
        instances.push(await planKeyvalue(p, name, type, scope));
        break;
      case 'roi':
        instances.push(await planRoi(p, name, scope));
        break;
      case 'labelsz':
        instances.push(planLabelsz(p, name, scope));
        break;
      default:
        if (input.scopes) throw new PlanError(`${name} is a ${type} instance, which DVID Desk does not sync`);
    }
  }
  return { ...planOf(resolved, input.serverUrl, instances), key: planKey(resolved.uuid, scopes) };
}
