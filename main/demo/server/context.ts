/**
 * What every handler gets: the dataset, the state written at run time on the open node, and the
 * parsed request. Version v is an index into the repo's nodes: 0 = root (VersionID 1, locked),
 * 1 = child (VersionID 2, open, master leaf).
 */
import type { Dataset } from '../dataset/store';
import type { InstanceDef } from '../dataset/instances';
import type { AnnotationInstance } from './annotation-store';
import type { KeyvalueInstance } from './keyvalue-store';
import { DecodedBlocks, labelmapViews, type LabelmapView } from './labelmap-index';
import { badRequest, goQuote } from './errors';

export interface DvidRequest {
  method: string;
  /** decoded URL path */
  path: string;
  /** path segments after "/api/", the trailing empty one dropped */
  parts: string[];
  query: URLSearchParams;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export interface InstanceRequest extends DvidRequest {
  v: number;
  uuid: string;
  instance: InstanceDef;
  keyword: string;
}

export interface ServerContext {
  ds: Dataset;
  /** "127.0.0.1:port", as DVID prints its host in help URLs */
  host: string;
  seed: number;
  startedAt: number;
  instances: Map<string, InstanceDef>;
  labelmaps: Record<string, LabelmapView>;
  decoded: DecodedBlocks;
  annotations: Record<string, AnnotationInstance>;
  keyvalues: Record<string, KeyvalueInstance>;
  /** supervoxel id → index */
  svIndex: Map<bigint, number>;
  /**
   * DVID's "full write" mode (admin token or a server configured so): writes are accepted on locked
   * nodes too. Tests use it to change locked data behind a client's back.
   */
  fullWrite: boolean;
  /**
   * The server's TOML has a `[mutations] jsonstore` (the default). Without one, DVID answers labelmap
   * and keyvalue `/mutations` with a 400 and never answers `/mutations-range` (server/mutationlog.go).
   */
  jsonstore: boolean;
  /** node notes and logs written at run time (open node only) */
  nodeNotes: string[];
  nodeLogs: string[][];
}

/**
 * This server's own copy of what writes change (mappings, lastmod, max labels, mutation logs, the
 * repo's MutationID): datasets are shared by every server of a process (dataset/cache.ts).
 */
export function forkVersions(ds: Dataset): Dataset {
  return {
    ...ds,
    repo: { ...ds.repo },
    mappings: [ds.mappings[0].slice(), ds.mappings[1].slice()],
    lastmod: [{ ...ds.lastmod[0] }, { ...ds.lastmod[1] }],
    maxLabel: [ds.maxLabel[0], ds.maxLabel[1]],
    mutations: [[...ds.mutations[0]], [...ds.mutations[1]]],
  };
}

export function baseContext(ds: Dataset, instances: readonly InstanceDef[]): Pick<ServerContext, 'ds' | 'instances' | 'labelmaps' | 'decoded' | 'svIndex' | 'nodeNotes' | 'nodeLogs' | 'fullWrite' | 'jsonstore'> {
  const labelmaps = labelmapViews(ds);
  return {
    ds,
    instances: new Map(instances.map((d) => [d.name, d])),
    labelmaps,
    decoded: new DecodedBlocks(),
    svIndex: labelmaps.segmentation!.indexOf,
    nodeNotes: ds.nodes.map((n) => n.note),
    nodeLogs: ds.nodes.map((n) => [...n.log]),
    fullWrite: false,
    jsonstore: true,
  };
}

/**
 * datastore.MatchingUUID: a unique prefix, "prefix:branch" (the branch's leaf), ":branch" (only
 * when the server holds one repo) or "prefix:branch~N" (the N-th ancestor of that leaf).
 */
export function resolveUuid(ds: Dataset, spec: string, path: string): number {
  const uuids = ds.nodes.map((n) => n.uuid);
  const splits = spec.split(':');
  let branch: string | null = null;
  let str = spec;
  if (splits.length === 2) {
    branch = splits[1]!;
    str = splits[0]!;
    if (str.length === 0) return branchVersion(ds, branch, ds.repo.root, path);
  } else if (splits.length > 2) {
    throw badRequest(path, `bad UUID specification ${goQuote(spec)}`);
  }
  const matches = uuids.map((u, i) => (u.startsWith(str) ? i : -1)).filter((i) => i >= 0);
  if (matches.length > 1) throw badRequest(path, `more than one UUID matches ${str}`);
  if (matches.length === 0) throw badRequest(path, `could not find UUID with partial match to ${str}`);
  if (branch !== null) return branchVersion(ds, branch, uuids[matches[0]!]!, path);
  return matches[0]!;
}

/** Leaf-to-root ancestry of a branch ("" and "master" name the default branch). */
export function branchAncestry(ds: Dataset, name: string): number[] {
  const want = name === 'master' ? '' : name;
  const nodes = ds.nodes;
  let leaf = -1;
  nodes.forEach((n, i) => {
    if (n.branch === want || (name === 'master' && n.branch === '')) leaf = i;
  });
  if (leaf < 0) return [];
  // Walk down while a child stays on the branch, then up to the root.
  for (;;) {
    const next = nodes[leaf]!.children.map((v) => nodes.findIndex((n) => n.versionId === v)).find((c) => c >= 0 && nodes[c]!.branch === nodes[leaf]!.branch);
    if (next === undefined) break;
    leaf = next;
  }
  const out: number[] = [];
  for (let cur = leaf; cur >= 0; ) {
    out.push(cur);
    const p = nodes[cur]!.parents[0];
    cur = p === undefined ? -1 : nodes.findIndex((n) => n.versionId === p);
  }
  return out;
}

function branchVersion(ds: Dataset, nameSpec: string, uuid: string, path: string): number {
  const [name, back] = nameSpec.split('~');
  const branch = name === '' ? 'master' : name!;
  const ancestry = branchAncestry(ds, branch);
  if (back !== undefined && nameSpec.includes('~')) {
    if (!/^[+-]?\d+$/.test(back)) throw badRequest(path, `can't parse parent ${goQuote(back)} in branch ${goQuote(branch)}`);
    const k = Number(back);
    if (k >= ancestry.length) throw badRequest(path, `parent ${k} is out of range for branch ${goQuote(branch)}`);
    return ancestry[k]!;
  }
  if (ancestry.length === 0) throw badRequest(path, `branch ${goQuote(branch)} not found in repo ${goQuote(uuid)}`);
  return ancestry[0]!;
}
