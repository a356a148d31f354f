/**
 * The on-disk cache of a generated dataset, and loading it back.
 *
 * One directory per (generator version, seed, size), see presets.datasetKey():
 *   manifest.json        repo, versions, story, facts, ROIs, notes, keyvalue logs (bigints as strings)
 *   lastmod-<v>.json     per-body lastmod at VersionID v
 *   tables.bin           supervoxel ids/owners, mappings, synapse table (binfile.ts)
 *   lm-<instance>.bin    a labelmap: labels, label index, stored blocks per scale (binfile.ts)
 *   kv-<instance>-root.pack / -child.pack   keyvalue values at the root / written on the child (kvpack.ts)
 * Everything the server answers is derived from these files, so a restart or another test process
 * serves the same bytes without regenerating.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RoiSpan } from '../../formats/roi-spans';
import { readArrays, writeArrays } from './binfile';
import { KEYVALUES, LABELMAPS } from './instances';
import { KvPack, writeKvPack } from './kvpack';
import type { NoteElement } from './notes';
import type { DatasetParams } from './presets';
import type { HierarchyNode } from './rois';
import type { SynapseTable } from './synapses';
import type { Instant } from './time';
import type { LastMod, NodeMeta, RepoMeta, StoryIds, VersionData } from './versions';
import type { LabelmapBuild, VolumeOutputs } from './volume';

export type KvChanges = Map<string, Uint8Array | null>;

export interface GeneratedDataset {
  params: DatasetParams;
  generatorVersion: number;
  repo: RepoMeta;
  versions: [VersionData, VersionData];
  story: StoryIds;
  svIds: BigUint64Array;
  svShape: Int32Array;
  /** 0 = none, 1 = neuron, 2 = orphan fragment */
  svKind: Uint8Array;
  volume: VolumeOutputs;
  synapses: SynapseTable;
  notes: { bookmarks: NoteElement[]; todos: NoteElement[] };
  rois: Array<{ name: string; primary: boolean; label: number; spans: RoiSpan[] }>;
  roiHierarchy: HierarchyNode;
  keyvalues: Record<string, { root: Map<string, Uint8Array>; child: KvChanges; log: string[] }>;
  facts: Record<string, number>;
}

interface Manifest {
  generatorVersion: number;
  params: DatasetParams;
  repo: RepoMeta;
  nodes: [NodeMeta, NodeMeta];
  maxLabel: [string, string];
  mutations: [string[], string[]];
  story: Record<string, unknown>;
  facts: Record<string, number>;
  rois: GeneratedDataset['rois'];
  roiHierarchy: HierarchyNode;
  synapseUsers: string[];
  notes: GeneratedDataset['notes'];
  kv: Record<string, { deleted: string[]; log: string[] }>;
}

export interface StoredBlocks {
  /** bx, by, bz per block, in stored order */
  coords: Int32Array;
  payload(i: number): Uint8Array;
  /** block index by packed coordinate (blockKey) */
  find(bx: number, by: number, bz: number): number;
  count: number;
}

export interface LabelmapStore {
  name: string;
  labels: BigUint64Array;
  scales: StoredBlocks[];
  index: { blocks: Int32Array; start: Uint32Array; label: Uint32Array; count: Uint32Array };
}

export interface Dataset {
  dir: string;
  params: DatasetParams;
  generatorVersion: number;
  repo: RepoMeta;
  nodes: [NodeMeta, NodeMeta];
  mappings: [BigUint64Array, BigUint64Array];
  lastmod: [Record<string, LastMod>, Record<string, LastMod>];
  maxLabel: [bigint, bigint];
  mutations: [string[], string[]];
  story: StoryIds;
  svIds: BigUint64Array;
  svShape: Int32Array;
  svKind: Uint8Array;
  labelmaps: Record<string, LabelmapStore>;
  synapses: SynapseTable;
  notes: { bookmark_annotations: NoteElement[]; segmentation_todo: NoteElement[] };
  rois: GeneratedDataset['rois'];
  roiHierarchy: HierarchyNode;
  keyvalues: Record<string, { root: KvPack; child: KvPack; deleted: Set<string>; log: string[] }>;
  facts: Record<string, number>;
}

/** Block coordinates packed into one exact number: each in −2^16 .. 2^16 (17 bits, 51 in all). */
export function blockKey(bx: number, by: number, bz: number): number {
  if (bx < -65536 || by < -65536 || bz < -65536 || bx >= 65536 || by >= 65536 || bz >= 65536) return -1;
  return ((bz + 65536) * 131072 + (by + 65536)) * 131072 + (bx + 65536);
}

function sortedBlockOrder(coords: readonly number[]): number[] {
  const n = coords.length / 3;
  return Array.from({ length: n }, (_, i) => i).toSorted((a, b) => coords[3 * a + 2]! - coords[3 * b + 2]! || coords[3 * a + 1]! - coords[3 * b + 1]! || coords[3 * a]! - coords[3 * b]!);
}

function writeLabelmap(file: string, lm: LabelmapBuild): void {
  const arrays: Record<string, Uint8Array | Uint32Array | Int32Array | BigUint64Array> = {
    labels: lm.labels,
    index_blocks: Int32Array.from(lm.index.blocks),
    index_start: Uint32Array.from(lm.index.start),
    index_label: Uint32Array.from(lm.index.label),
    index_count: Uint32Array.from(lm.index.count),
  };
  lm.scales.forEach((s, k) => {
    // Stored in ZYX order, as DVID's key order would have them.
    const order = sortedBlockOrder(s.coords);
    const coords = new Int32Array(order.length * 3);
    const lengths = new Uint32Array(order.length);
    order.forEach((o, i) => {
      coords.set(s.coords.slice(3 * o, 3 * o + 3), 3 * i);
      lengths[i] = s.payloads[o]!.length;
    });
    arrays[`s${k}_coords`] = coords;
    arrays[`s${k}_lengths`] = lengths;
    arrays[`s${k}_data`] = Buffer.concat(order.map((o) => s.payloads[o]!));
  });
  writeArrays(file, arrays, { scales: lm.scales.length });
}

function jsonable(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonable);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  return v;
}

export function writeDataset(dir: string, ds: GeneratedDataset): void {
  mkdirSync(dir, { recursive: true });
  const [root, child] = ds.versions;
  const manifest: Manifest = {
    generatorVersion: ds.generatorVersion,
    params: ds.params,
    repo: ds.repo,
    nodes: [root.node, child.node],
    maxLabel: [root.maxLabel.toString(), child.maxLabel.toString()],
    mutations: [root.mutations, child.mutations],
    story: jsonable(ds.story) as Record<string, unknown>,
    facts: ds.facts,
    rois: ds.rois,
    roiHierarchy: ds.roiHierarchy,
    synapseUsers: ds.synapses.users,
    notes: ds.notes,
    kv: Object.fromEntries(
      Object.entries(ds.keyvalues).map(([name, kv]) => [name, { deleted: [...kv.child].filter(([, v]) => v === null).map(([k]) => k), log: kv.log }]),
    ),
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  writeFileSync(join(dir, 'lastmod-1.json'), JSON.stringify(root.lastmod));
  writeFileSync(join(dir, 'lastmod-2.json'), JSON.stringify(child.lastmod));
  const s = ds.synapses;
  writeArrays(join(dir, 'tables.bin'), {
    svIds: ds.svIds,
    svShape: ds.svShape,
    svKind: ds.svKind,
    mapping1: root.mapping,
    mapping2: child.mapping,
    syn_pos: s.pos,
    syn_kind: s.kind,
    syn_conf: s.conf,
    syn_user: s.user,
    syn_relStart: s.relStart,
    syn_relTo: s.relTo,
    syn_sv: s.sv,
  });
  const v = ds.volume;
  for (const lm of [v.segmentation, v.roiVoxels, v.mito, v.classes]) writeLabelmap(join(dir, `lm-${lm.name}.bin`), lm);
  for (const [name, kv] of Object.entries(ds.keyvalues)) {
    writeKvPack(join(dir, `kv-${name}-root.pack`), kv.root);
    const written = new Map<string, Uint8Array>();
    for (const [k, val] of kv.child) if (val !== null) written.set(k, val);
    writeKvPack(join(dir, `kv-${name}-child.pack`), written);
  }
}

function loadLabelmap(file: string, name: string): LabelmapStore {
  const f = readArrays(file);
  const nScales = f.extra.scales as number;
  const scales: StoredBlocks[] = [];
  for (let k = 0; k < nScales; k++) {
    const coords = f.get<Int32Array>(`s${k}_coords`);
    const lengths = f.get<Uint32Array>(`s${k}_lengths`);
    const data = f.get<Uint8Array>(`s${k}_data`);
    const offsets = new Float64Array(lengths.length + 1);
    for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
    const where = new Map<number, number>();
    for (let i = 0; i < lengths.length; i++) where.set(blockKey(coords[3 * i]!, coords[3 * i + 1]!, coords[3 * i + 2]!), i);
    scales.push({
      coords,
      count: lengths.length,
      payload: (i) => data.subarray(offsets[i]!, offsets[i + 1]!),
      find: (bx, by, bz) => where.get(blockKey(bx, by, bz)) ?? -1,
    });
  }
  return {
    name,
    labels: f.get('labels'),
    scales,
    index: { blocks: f.get('index_blocks'), start: f.get('index_start'), label: f.get('index_label'), count: f.get('index_count') },
  };
}

export function loadDataset(dir: string): Dataset {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const t = readArrays(join(dir, 'tables.bin'));
  const st = m.story;
  const big = (k: string): bigint => BigInt(st[k] as string);
  const instant = (k: string): Instant => st[k] as Instant;
  const labelmaps: Record<string, LabelmapStore> = {};
  for (const name of LABELMAPS) labelmaps[name] = loadLabelmap(join(dir, `lm-${name}.bin`), name);
  const keyvalues: Dataset['keyvalues'] = {};
  for (const name of KEYVALUES) {
    keyvalues[name] = {
      root: new KvPack(join(dir, `kv-${name}-root.pack`)),
      child: new KvPack(join(dir, `kv-${name}-child.pack`)),
      deleted: new Set(m.kv[name]?.deleted ?? []),
      log: m.kv[name]?.log ?? [],
    };
  }
  return {
    dir,
    params: m.params,
    generatorVersion: m.generatorVersion,
    repo: m.repo,
    nodes: m.nodes,
    mappings: [t.get('mapping1'), t.get('mapping2')],
    lastmod: [JSON.parse(readFileSync(join(dir, 'lastmod-1.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'lastmod-2.json'), 'utf8'))],
    maxLabel: [BigInt(m.maxLabel[0]), BigInt(m.maxLabel[1])],
    mutations: m.mutations,
    story: {
      mergeTarget: big('mergeTarget'),
      mergedPiece: big('mergedPiece'),
      cleaveOrig: big('cleaveOrig'),
      cleaveNew: big('cleaveNew'),
      cleavedSvs: (st.cleavedSvs as string[]).map((x) => BigInt(x)),
      bigBody: big('bigBody'),
      mergeMutid: st.mergeMutid as number,
      cleaveMutid: st.cleaveMutid as number,
      mergeUser: st.mergeUser as string,
      cleaveUser: st.cleaveUser as string,
      mergeTime: instant('mergeTime'),
      cleaveTime: instant('cleaveTime'),
    },
    svIds: t.get('svIds'),
    svShape: t.get('svShape'),
    svKind: t.get('svKind'),
    labelmaps,
    synapses: {
      pos: t.get('syn_pos'),
      kind: t.get('syn_kind'),
      conf: t.get('syn_conf'),
      user: t.get('syn_user'),
      relStart: t.get('syn_relStart'),
      relTo: t.get('syn_relTo'),
      users: m.synapseUsers,
      sv: t.get('syn_sv'),
    },
    notes: { bookmark_annotations: m.notes.bookmarks, segmentation_todo: m.notes.todos },
    rois: m.rois,
    roiHierarchy: m.roiHierarchy,
    keyvalues,
    facts: m.facts,
  };
}
