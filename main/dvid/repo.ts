/**
 * Discovery (DVID-API.md §2): server info, repos, a repo's version DAG, instance info per datatype, and
 * resolving what a person types (`abc`, `abc:master`, `:master`) to a full node UUID once, after which
 * every call uses that UUID (a prefix can become ambiguous, a `:branch` moves).
 *
 * The DAG's Parents/Children and labelmap MaxLabel are keyed by VersionIDs, which are local to one
 * server: they are mapped to UUIDs here and never leave this module.
 */
import type { CallOptions, DvidHttp } from './http';
import { DvidBadRequestError, DvidNotFoundError } from './errors';
import {
  arr,
  arrOrEmpty,
  bool,
  int,
  obj,
  objOrEmpty,
  ShapeError,
  str,
  stringRecord,
  strOrEmpty,
  u64,
  vec3,
  vec3OrNull,
} from './json-read';
import { asUuid, DvidArgumentError, isFullUuid, nodePath, segment, type Uuid } from './paths';

// ---------------------------------------------------------------------------------------------------
// Types

export type ServerInfo = Record<string, string>;

export interface DagNode {
  uuid: Uuid;
  /** Server-local id; only meaningful on this server, never stored. */
  versionId: number;
  /** Branch name; '' is master (legacy repos). */
  branch: string;
  locked: boolean;
  note: string;
  log: string[];
  parents: Uuid[];
  children: Uuid[];
  created: string;
  updated: string;
}

export interface InstanceBase {
  typeName: string;
  typeUrl: string;
  typeVersion: string;
  /** The instance's own UUID: stable across renames, used in Kafka topics and mutation logs. */
  dataUuid: string;
  name: string;
  repoUuid: string;
  /** Storage codec as DVID describes it, e.g. "gzip compression, level -1". */
  compression: string;
  checksum: string;
  syncs: string[];
  /** false: every node reads and writes the root version. */
  versioned: boolean;
  tags: Record<string, string>;
}

export interface LabelmapExtended {
  blockSize: [number, number, number];
  voxelSize: [number, number, number];
  voxelUnits: [string, string, string] | string[];
  minPoint: [number, number, number] | null;
  maxPoint: [number, number, number] | null;
  minIndex: [number, number, number] | null;
  maxIndex: [number, number, number] | null;
  background: bigint;
  /** Max label per node; keyed by UUID when the DAG was known, otherwise by the server's VersionID. */
  maxLabel: Map<Uuid, bigint>;
  maxLabelByVersionId: Map<number, bigint>;
  maxRepoLabel: bigint;
  nextLabel: bigint;
  /** false: sparsevol, maxlabel, merge … answer 400. */
  indexedLabels: boolean;
  /** Valid `scale` values are 0..maxDownresLevel. */
  maxDownresLevel: number;
  /** Versioned extents at the node asked (absent in repo info, which uses the master leaf). */
  extents: { minPoint: [number, number, number] | null; maxPoint: [number, number, number] | null } | null;
}

export interface RoiExtended {
  blockSize: [number, number, number];
  minZ: number | null;
  maxZ: number | null;
}

export interface LabelszExtended {
  /** "roiname,uuid" or '' */
  staticRoi: string;
}

export type InstanceInfo =
  | { type: 'labelmap'; base: InstanceBase; extended: LabelmapExtended }
  | { type: 'roi'; base: InstanceBase; extended: RoiExtended }
  | { type: 'labelsz'; base: InstanceBase; extended: LabelszExtended }
  | { type: 'annotation'; base: InstanceBase }
  | { type: 'keyvalue'; base: InstanceBase }
  | { type: 'neuronjson'; base: InstanceBase }
  | { type: 'other'; base: InstanceBase; extended: unknown };

export interface RepoInfo {
  root: Uuid;
  alias: string;
  description: string;
  log: string[];
  properties: Record<string, unknown>;
  instances: Map<string, InstanceInfo>;
  nodes: Map<Uuid, DagNode>;
  /** Repo-wide counter of labelmap mutations: unchanged means no segmentation changed anywhere. */
  mutationId: bigint;
  savedMutationId: bigint;
  created: string;
  updated: string;
}

// ---------------------------------------------------------------------------------------------------
// Readers (pure; exported for tests)

function readNode(raw: unknown, where: string): Omit<DagNode, 'parents' | 'children'> & { parentIds: number[]; childIds: number[] } {
  const o = obj(raw, where);
  const uuid = str(o.UUID, `${where}.UUID`);
  if (!isFullUuid(uuid)) throw new ShapeError(`${where}.UUID: "${uuid}" is not a full UUID`);
  return {
    uuid: uuid as Uuid,
    versionId: int(o.VersionID, `${where}.VersionID`),
    branch: strOrEmpty(o.Branch, `${where}.Branch`),
    locked: bool(o.Locked, `${where}.Locked`),
    note: strOrEmpty(o.Note, `${where}.Note`),
    log: arrOrEmpty(o.Log, `${where}.Log`).map((x, i) => str(x, `${where}.Log[${i}]`)),
    parentIds: arrOrEmpty(o.Parents, `${where}.Parents`).map((x, i) => int(x, `${where}.Parents[${i}]`)),
    childIds: arrOrEmpty(o.Children, `${where}.Children`).map((x, i) => int(x, `${where}.Children[${i}]`)),
    created: strOrEmpty(o.Created, `${where}.Created`),
    updated: strOrEmpty(o.Updated, `${where}.Updated`),
  };
}

/** The DAG with VersionIDs replaced by UUIDs (an id that names no node is a malformed answer). */
export function readDag(raw: unknown, where = 'DAG'): { root: Uuid; nodes: Map<Uuid, DagNode>; versionToUuid: Map<number, Uuid> } {
  const o = obj(raw, where);
  const root = asUuidShape(str(o.Root, `${where}.Root`), `${where}.Root`);
  const rawNodes = obj(o.Nodes, `${where}.Nodes`);
  const parsed = Object.entries(rawNodes).map(([k, v]) => {
    const n = readNode(v, `${where}.Nodes.${k}`);
    if (n.uuid !== k) throw new ShapeError(`${where}.Nodes.${k}: UUID field is ${n.uuid}`);
    return n;
  });
  const versionToUuid = new Map<number, Uuid>();
  for (const n of parsed) {
    if (versionToUuid.has(n.versionId)) throw new ShapeError(`${where}: VersionID ${n.versionId} used twice`);
    versionToUuid.set(n.versionId, n.uuid);
  }
  const toUuid = (id: number, at: string): Uuid => {
    const u = versionToUuid.get(id);
    if (!u) throw new ShapeError(`${at}: VersionID ${id} is not a node of this DAG`);
    return u;
  };
  const nodes = new Map<Uuid, DagNode>();
  for (const n of parsed) {
    const { parentIds, childIds, ...rest } = n;
    nodes.set(n.uuid, {
      ...rest,
      parents: parentIds.map((id) => toUuid(id, `${where}.Nodes.${n.uuid}.Parents`)),
      children: childIds.map((id) => toUuid(id, `${where}.Nodes.${n.uuid}.Children`)),
    });
  }
  if (!nodes.has(root)) throw new ShapeError(`${where}.Root ${root} is not among the nodes`);
  return { root, nodes, versionToUuid };
}

function asUuidShape(s: string, where: string): Uuid {
  if (!isFullUuid(s)) throw new ShapeError(`${where}: "${s}" is not a full UUID`);
  return s as Uuid;
}

function readBase(raw: unknown, where: string): InstanceBase {
  const o = obj(raw, where);
  return {
    typeName: str(o.TypeName, `${where}.TypeName`),
    typeUrl: strOrEmpty(o.TypeURL, `${where}.TypeURL`),
    typeVersion: strOrEmpty(o.TypeVersion, `${where}.TypeVersion`),
    dataUuid: str(o.DataUUID, `${where}.DataUUID`),
    name: str(o.Name, `${where}.Name`),
    repoUuid: strOrEmpty(o.RepoUUID, `${where}.RepoUUID`),
    compression: strOrEmpty(o.Compression, `${where}.Compression`),
    checksum: strOrEmpty(o.Checksum, `${where}.Checksum`),
    syncs: arrOrEmpty(o.Syncs, `${where}.Syncs`).map((x, i) => str(x, `${where}.Syncs[${i}]`)),
    versioned: o.Versioned === undefined ? true : bool(o.Versioned, `${where}.Versioned`),
    tags: stringRecord(o.Tags, `${where}.Tags`),
  };
}

function blockSize(v: unknown, where: string): [number, number, number] {
  const b = vec3(v, where);
  if (!b.every((x) => Number.isInteger(x) && x > 0)) throw new ShapeError(`${where}: block size must be positive integers`);
  return b;
}

function u64OrZero(v: unknown, where: string): bigint {
  return v === undefined || v === null ? 0n : u64(v, where);
}

function readLabelmapExtended(ext: Record<string, unknown>, top: Record<string, unknown>, versionToUuid: Map<number, Uuid> | null): LabelmapExtended {
  const w = 'Extended';
  const maxLabelByVersionId = new Map<number, bigint>();
  for (const [k, v] of Object.entries(objOrEmpty(ext.MaxLabel, `${w}.MaxLabel`))) {
    if (!/^\d+$/.test(k)) throw new ShapeError(`${w}.MaxLabel: key "${k}" is not a VersionID`);
    maxLabelByVersionId.set(Number(k), u64(v, `${w}.MaxLabel.${k}`));
  }
  const maxLabel = new Map<Uuid, bigint>();
  if (versionToUuid) {
    for (const [id, label] of maxLabelByVersionId) {
      const u = versionToUuid.get(id);
      if (u) maxLabel.set(u, label);
    }
  }
  const extentsRaw = top.Extents === undefined || top.Extents === null ? null : obj(top.Extents, 'Extents');
  return {
    blockSize: blockSize(ext.BlockSize, `${w}.BlockSize`),
    voxelSize: vec3(ext.VoxelSize, `${w}.VoxelSize`),
    voxelUnits: arrOrEmpty(ext.VoxelUnits, `${w}.VoxelUnits`).map((x, i) => str(x, `${w}.VoxelUnits[${i}]`)),
    minPoint: vec3OrNull(ext.MinPoint, `${w}.MinPoint`),
    maxPoint: vec3OrNull(ext.MaxPoint, `${w}.MaxPoint`),
    minIndex: vec3OrNull(ext.MinIndex, `${w}.MinIndex`),
    maxIndex: vec3OrNull(ext.MaxIndex, `${w}.MaxIndex`),
    background: u64OrZero(ext.Background, `${w}.Background`),
    maxLabel,
    maxLabelByVersionId,
    maxRepoLabel: u64OrZero(ext.MaxRepoLabel, `${w}.MaxRepoLabel`),
    nextLabel: u64OrZero(ext.NextLabel, `${w}.NextLabel`),
    indexedLabels: ext.IndexedLabels === undefined ? true : bool(ext.IndexedLabels, `${w}.IndexedLabels`),
    maxDownresLevel: ext.MaxDownresLevel === undefined ? 0 : int(ext.MaxDownresLevel, `${w}.MaxDownresLevel`),
    extents: extentsRaw
      ? { minPoint: vec3OrNull(extentsRaw.MinPoint, 'Extents.MinPoint'), maxPoint: vec3OrNull(extentsRaw.MaxPoint, 'Extents.MaxPoint') }
      : null,
  };
}

/** `{"Base":…, "Extended":…}` of any datatype, read by its TypeName. */
export function readInstanceInfo(raw: unknown, versionToUuid: Map<number, Uuid> | null = null): InstanceInfo {
  const top = obj(raw, 'instance info');
  const base = readBase(top.Base, 'Base');
  const ext = objOrEmpty(top.Extended, 'Extended');
  switch (base.typeName) {
    case 'labelmap':
      return { type: 'labelmap', base, extended: readLabelmapExtended(ext, top, versionToUuid) };
    case 'roi':
      return {
        type: 'roi',
        base,
        extended: {
          blockSize: ext.BlockSize === undefined ? [32, 32, 32] : blockSize(ext.BlockSize, 'Extended.BlockSize'),
          minZ: ext.MinZ === undefined || ext.MinZ === null ? null : int(ext.MinZ, 'Extended.MinZ'),
          maxZ: ext.MaxZ === undefined || ext.MaxZ === null ? null : int(ext.MaxZ, 'Extended.MaxZ'),
        },
      };
    case 'labelsz':
      return { type: 'labelsz', base, extended: { staticRoi: strOrEmpty(ext.StaticROI, 'Extended.StaticROI') } };
    case 'annotation':
    case 'keyvalue':
    case 'neuronjson':
      return { type: base.typeName, base };
    default:
      return { type: 'other', base, extended: top.Extended ?? null };
  }
}

export function readRepoInfo(raw: unknown): RepoInfo {
  const o = obj(raw, 'repo');
  const dag = readDag(o.DAG);
  const root = asUuidShape(str(o.Root, 'Root'), 'Root');
  if (root !== dag.root) throw new ShapeError(`Root ${root} differs from DAG.Root ${dag.root}`);
  const instances = new Map<string, InstanceInfo>();
  for (const [name, info] of Object.entries(objOrEmpty(o.DataInstances, 'DataInstances'))) {
    instances.set(name, readInstanceInfo(info, dag.versionToUuid));
  }
  return {
    root,
    alias: strOrEmpty(o.Alias, 'Alias'),
    description: strOrEmpty(o.Description, 'Description'),
    log: arrOrEmpty(o.Log, 'Log').map((x, i) => str(x, `Log[${i}]`)),
    properties: objOrEmpty(o.Properties, 'Properties'),
    instances,
    nodes: dag.nodes,
    mutationId: o.MutationID === undefined ? 0n : u64(o.MutationID, 'MutationID'),
    savedMutationId: o.SavedMutationID === undefined ? 0n : u64(o.SavedMutationID, 'SavedMutationID'),
    created: strOrEmpty(o.Created, 'Created'),
    updated: strOrEmpty(o.Updated, 'Updated'),
  };
}

function readServerInfo(raw: unknown): ServerInfo {
  const o = obj(raw, 'server info');
  const out: ServerInfo = {};
  // DVID sends only strings; keep any other value readable rather than failing discovery over it.
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'string' ? v : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Resolution (pure)

/** A node reference as a person writes it: a UUID or prefix, optionally `:branch`; or `:branch` alone. */
export interface NodeRef {
  prefix: string;
  /** null: no branch given. 'master' also matches the legacy '' branch. */
  branch: string | null;
}

export function parseNodeRef(ref: string): NodeRef {
  const s = ref.trim();
  const colon = s.indexOf(':');
  const prefix = (colon < 0 ? s : s.slice(0, colon)).toLowerCase();
  const branch = colon < 0 ? null : s.slice(colon + 1);
  if (prefix && !/^[0-9a-f]{1,32}$/.test(prefix)) throw new DvidArgumentError(`"${ref}": a node is a hex UUID or prefix, optionally with :branch`);
  if (branch !== null && branch === '') throw new DvidArgumentError(`"${ref}": empty branch name after ":"`);
  if (!prefix && branch === null) throw new DvidArgumentError('empty node reference');
  return { prefix, branch };
}

function onBranch(n: DagNode, branch: string): boolean {
  return n.branch === branch || (branch === 'master' && n.branch === '');
}

/**
 * The node of `repo` that `ref` names: for `prefix`, the unique node whose UUID starts with it; for
 * `prefix:branch`, the leaf of that branch (a node on the branch with no child on it), as DVID does.
 */
export function resolveInRepo(repo: RepoInfo, ref: NodeRef, shown: string): Uuid {
  if (ref.branch === null) {
    const hits = [...repo.nodes.keys()].filter((u) => u.startsWith(ref.prefix));
    if (hits.length === 1) return hits[0]!;
    const init = { method: 'GET', path: `(resolve ${shown})`, status: null };
    if (hits.length === 0) throw new DvidNotFoundError({ ...init, detail: `no node of repo ${repo.root} starts with "${ref.prefix}"` });
    throw new DvidBadRequestError({ ...init, detail: `"${ref.prefix}" matches ${hits.length} nodes; give more digits` });
  }
  const branch = ref.branch;
  const onIt = [...repo.nodes.values()].filter((n) => onBranch(n, branch));
  const leaves = onIt.filter((n) => !n.children.some((c) => onBranch(repo.nodes.get(c)!, branch)));
  const init = { method: 'GET', path: `(resolve ${shown})`, status: null };
  if (leaves.length === 1) return leaves[0]!.uuid;
  if (leaves.length === 0) throw new DvidNotFoundError({ ...init, detail: `branch "${branch}" not found in repo ${repo.root}` });
  throw new DvidBadRequestError({ ...init, detail: `branch "${branch}" has ${leaves.length} leaves: ${leaves.map((n) => n.uuid).join(', ')}` });
}

// ---------------------------------------------------------------------------------------------------
// Calls

export interface ResolvedNode {
  uuid: Uuid;
  repo: RepoInfo;
  node: DagNode;
}

export class DvidRepos {
  constructor(private readonly http: DvidHttp) {}

  /** GET /api/server/info: all values are strings ("DVID Version", "Mode", …). */
  serverInfo(opts: CallOptions = {}): Promise<ServerInfo> {
    return this.http.parsed({ method: 'GET', path: '/api/server/info', expect: 'json' }, opts, readServerInfo);
  }

  /** GET /api/repos/info, keyed by root UUID. Heavy on big servers (every instance of every repo); prefer `repoInfo`. */
  reposInfo(opts: CallOptions = {}): Promise<Map<Uuid, RepoInfo>> {
    return this.http.parsed({ method: 'GET', path: '/api/repos/info', expect: 'json' }, { maxBytes: 256 << 20, ...opts }, (raw) => {
      const out = new Map<Uuid, RepoInfo>();
      for (const [k, v] of Object.entries(objOrEmpty(raw, 'repos'))) {
        const repo = readRepoInfo(v);
        if (repo.root !== k) throw new ShapeError(`repos.${k}: Root is ${repo.root}`);
        out.set(repo.root, repo);
      }
      return out;
    });
  }

  /** GET /api/repo/{uuid}/info: any node UUID or unique prefix of the repo. */
  repoInfo(uuidOrPrefix: string, opts: CallOptions = {}): Promise<RepoInfo> {
    return this.http.parsed(
      { method: 'GET', path: `/api/repo/${segment(uuidOrPrefix)}/info`, expect: 'json' },
      { maxBytes: 128 << 20, ...opts },
      readRepoInfo,
    );
  }

  /** GET /api/repo/{uuid}/branch-versions/{name}: full UUIDs from the branch leaf back to the root. */
  branchVersions(uuid: Uuid, branch: string, opts: CallOptions = {}): Promise<Uuid[]> {
    return this.http.parsed(
      { method: 'GET', path: `/api/repo/${uuid}/branch-versions/${segment(branch)}`, expect: 'json' },
      opts,
      (raw) => arr(raw, 'branch-versions').map((x, i) => asUuidShape(str(x, `[${i}]`), `[${i}]`)),
    );
  }

  /** GET /api/node/{uuid}/commit: whether the node is locked (committed). */
  nodeLocked(uuid: Uuid, opts: CallOptions = {}): Promise<boolean> {
    return this.http.parsed({ method: 'GET', path: `/api/node/${uuid}/commit`, expect: 'json' }, opts, (raw) =>
      bool(obj(raw, 'commit').Locked, 'Locked'),
    );
  }

  /** GET /api/node/{uuid}/{name}/info, read by datatype. Pass the DAG's map to key MaxLabel by UUID. */
  instanceInfo(uuid: Uuid, name: string, opts: CallOptions & { dag?: RepoInfo } = {}): Promise<InstanceInfo> {
    const versionToUuid = opts.dag ? new Map([...opts.dag.nodes.values()].map((n) => [n.versionId, n.uuid] as const)) : null;
    return this.http.parsed({ method: 'GET', path: nodePath(uuid, name, 'info'), expect: 'json' }, opts, (raw) =>
      readInstanceInfo(raw, versionToUuid),
    );
  }

  /**
   * Resolves `abc`, `abc:branch`, a full UUID or `:branch` (only when the server holds one repo) to a
   * full node UUID and its repo. Do this once; then use the UUID.
   */
  async resolve(ref: string, opts: CallOptions = {}): Promise<ResolvedNode> {
    const parsed = parseNodeRef(ref);
    let repo: RepoInfo;
    if (parsed.prefix) {
      repo = await this.repoInfo(parsed.prefix, opts);
    } else {
      const all = await this.reposInfo(opts);
      if (all.size !== 1) {
        throw new DvidBadRequestError({
          method: 'GET',
          path: `(resolve ${ref})`,
          detail: `":${parsed.branch}" without a UUID needs a server with exactly one repo; this one has ${all.size}`,
        });
      }
      repo = [...all.values()][0]!;
    }
    const uuid = resolveInRepo(repo, parsed, ref);
    return { uuid: asUuid(uuid), repo, node: repo.nodes.get(uuid)! };
  }
}
