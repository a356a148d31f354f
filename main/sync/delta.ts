/**
 * The plan of an incremental sync: per instance, only what changed on the server since the node's
 * last completed sync (its sync mark, marks.ts), from the cheapest signal DVID offers (DVID-API §3):
 *
 * - labelmap: the node's mutation log after the mark. Merges, cleaves and renumbers change the
 *   mapping only: the cached supervoxels of the bodies that lost voxels are mapped again
 *   (`mapping` item with `refresh`); supervoxel blocks change only on splits (blocks whose stored
 *   label histogram holds a split supervoxel are fetched again); body-label blocks are fetched again
 *   where their histogram holds a body that lost voxels. `bodies:` scopes also fetch the blocks an
 *   affected body of the scope gained (`/sparsevol-coarse`). No new record: no request at all.
 *   Without a log (no `[mutations] jsonstore`, or none when the mark was taken), per-body `/lastmod`
 *   (lastmod.ts) takes its place: nothing when the repo MutationID has not moved since the mark;
 *   else each cached body is asked, and those changed since the mark (or gone) count as having lost
 *   voxels; their cached supervoxels that now map to 0 were split.
 * - keyvalue: the node's keyvalue mutation log after the mark: keys written since are fetched,
 *   deleted ones dropped. Without a log (no jsonstore): the listing is diffed with the cache (new
 *   keys fetched, gone ones dropped), and the cached keys naming a body (meshes, skeletons, body
 *   annotations) are fetched again when the body's `/lastmod` is at or past the mutation id stored
 *   with the value (lastmod.ts); a value rewritten under an existing key of an unchanged body is
 *   then not seen.
 * - annotation: DVID logs annotation edits to Kafka only, so the change signal is the synced labelsz
 *   ranking (every index the cache holds, scope `all`): bodies whose counts differ from the cached
 *   ranking (less the groups of bodies a merge or cleave joined or parted whose totals did not move:
 *   their elements only changed bodies) are read with `/label/{body}?relationships=true`, and every
 *   annotation block holding one
 *   of their elements, cached or fresh, or a relationship partner of one, is fetched again whole
 *   (exactly as a full sync stores it). `bodies:` scopes re-read their affected bodies. Without a
 *   synced labelsz (bookmarks, to-dos) or with an ROI scope, the instance is re-synced in full.
 * - roi: its spans again (one request; ROIs have no log). labelsz: its ranking again when anything
 *   it counts may have changed (annotation or labelmap changes), else nothing.
 * - An instance whose mark is missing, of another scope, or whose log is not the one the mark was
 *   taken from is planned in full (planner.ts).
 *
 * A child plan (child.ts) passes its ancestor's marks, the logs between them (`inherited`), and the
 * ancestor as `dataNode`: the plan reads the ancestor's cached rows, which its job copies to the node
 * before it runs, so it names exactly what will be fetched.
 */
import type { Cache } from '../cache/index';
import { unpackElements } from '../formats/element-pack';
import { unpackSvs } from '../cache/element-store';
import { u64FromDb } from '../cache/u64';
import type { DvidClient } from '../dvid/client';
import type { MutationRecord } from '../dvid/labelmap';
import type { LabelszIndex } from '../dvid/labelsz';
import type { Uuid } from '../dvid/paths';
import type { ResolvedNode } from '../dvid/repo';
import { unpackLabelCounts } from '../workers/tasks/label-counts';
import { compareZyx, coordKey, coverWithBoxes, floorDiv, intersect, type Box, type Coord } from './geometry';
import { bodyChanged, bodyLabelmapOf, boundOf, readLastmods, repoMoved, type Lastmods } from './lastmod';
import { positionOf, readLog, recordsAfter, type LogPosition, type SyncMark } from './marks';
import type { ElementFilter, Plan, PlannedInstance, PlannedItem } from './plan';
import {
  BLOCK_BATCH,
  BYTES_PER_ANNOTATION_BLOCK,
  BYTES_PER_BLOCK,
  BYTES_PER_ELEMENT_SV,
  bodyOfKey,
  KV_BYTES,
  kvRole,
  makePlan,
  planKeyOf,
  planOf,
} from './planner';
import { scopeKey, scopeText, type InstanceScope, type Scope } from './scope';

export interface DeltaInput {
  client: DvidClient;
  resolved: ResolvedNode;
  serverUrl: string;
  cache: Cache;
  /** Every instance of the sync with its scope (planner effectiveScopes). */
  scopes: readonly InstanceScope[];
  /** The marks to start from, per instance (a child sync passes its ancestor's, with empty log positions). */
  marks: ReadonlyMap<string, SyncMark>;
  blockCompression?: 'blocks' | 'lz4';
  signal?: AbortSignal;
  /**
   * The node whose cached rows stand for this node's while planning (default: the node itself). A
   * child plan reads its ancestor's, which its job copies to the node before running.
   */
  dataNode?: Uuid;
  /**
   * Per log-keeping instance of a child plan: the records between the ancestor's mark and the node's
   * own log (the ancestor's after its mark, then every node's in between, oldest first); 'no-log' when
   * a node on the way keeps none; 'mismatch' when the ancestor's log is not the one its mark saw.
   */
  inherited?: ReadonlyMap<string, InheritedLog>;
  /** The instances a child plan's job copies from `dataNode` (fork.ts). */
  copied?: ReadonlySet<string>;
}

export type InheritedLog = MutationRecord[] | 'no-log' | 'mismatch';

/** What a labelmap's new log records (or, without a log, its bodies' /lastmod) say changed. */
interface LabelmapChanges {
  /** The changes cannot be known (another log, an action we cannot apply, no signal): re-sync in full. */
  full: string | null;
  /** Where the changes come from: the mutation log, or per-body /lastmod. */
  via: 'log' | 'lastmod';
  /** How many changes: new log records, or bodies /lastmod says changed. */
  count: number;
  /** What the plan's notes say about them. */
  note: string;
  records: MutationRecord[];
  position: LogPosition | null;
  /** Bodies the records joined or parted (mutationGroups); none known from /lastmod. */
  groups: Array<Set<bigint>>;
  /** Every body a record names. */
  bodies: Set<bigint>;
  /** Bodies that lost voxels (merged away, cleaved, split, renumbered). */
  shrunk: Set<bigint>;
  /** Supervoxels whose voxels changed (split), and the ones they became. */
  splitSvs: Set<bigint>;
  newSvs: Set<bigint>;
}

const big = (x: unknown): bigint | null =>
  typeof x === 'bigint' ? x : typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 ? BigInt(x) : typeof x === 'string' && /^\d{1,20}$/.test(x) ? BigInt(x) : null;
const bigs = (x: unknown): bigint[] => (Array.isArray(x) ? x.map(big).filter((v): v is bigint => v !== null) : []);

const add = (set: Set<bigint>, ...xs: Array<bigint | null>) => xs.forEach((x) => x !== null && x !== 0n && set.add(x));

export function analyseLabelmapRecords(records: readonly MutationRecord[]): Pick<LabelmapChanges, 'full' | 'bodies' | 'shrunk' | 'splitSvs' | 'newSvs'> {
  const out = { full: null as string | null, bodies: new Set<bigint>(), shrunk: new Set<bigint>(), splitSvs: new Set<bigint>(), newSvs: new Set<bigint>() };
  for (const r of records) {
    const f = r.fields;
    switch (r.action) {
      case 'merge-complete':
        add(out.bodies, big(f.Target), ...bigs(f.Labels));
        add(out.shrunk, ...bigs(f.Labels));
        break;
      case 'cleave-complete':
        add(out.bodies, big(f.OrigLabel), big(f.CleavedLabel));
        add(out.shrunk, big(f.OrigLabel));
        break;
      case 'renumber-complete':
        add(out.bodies, big(f.OrigLabel), big(f.NewLabel));
        add(out.shrunk, big(f.OrigLabel));
        break;
      case 'split-complete': {
        add(out.bodies, big(f.Target), big(f.NewLabel));
        add(out.shrunk, big(f.Target));
        const splits = f.SVSplits ?? f.SVSplit;
        if (!splits || typeof splits !== 'object') {
          out.full ??= `a split (mutation ${r.mutationId}) without its supervoxel splits`;
          break;
        }
        for (const [sv, parts] of Object.entries(splits as Record<string, unknown>)) {
          add(out.splitSvs, big(sv));
          const p = parts as Record<string, unknown> | null;
          if (p) add(out.newSvs, big(p.Split), big(p.Remain));
        }
        break;
      }
      case 'split-supervoxel-complete':
        add(out.bodies, big(f.Body));
        add(out.shrunk, big(f.Body));
        add(out.splitSvs, big(f.Supervoxel));
        add(out.newSvs, big(f.SplitSupervoxel), big(f.RemainSupervoxel));
        break;
      default:
        out.full ??= `a "${r.action}" mutation (${r.mutationId ?? 'no id'}) that the incremental sync does not apply`;
    }
  }
  return out;
}

class DeltaPlanner {
  readonly #lm = new Map<string, Promise<LabelmapChanges>>();
  readonly #lastmods = new Map<string, Lastmods>();
  readonly logs: Record<string, LogPosition | null> = {};
  /** The local id of the node whose cached rows the plan reads (DeltaInput.dataNode). */
  readonly nodeId: number;
  /** Bodies whose annotations changed (labelsz diff), per annotation instance. */
  readonly annotationChanges = new Map<string, number>();

  constructor(readonly input: DeltaInput) {
    this.nodeId = input.cache.repo.node(input.dataNode ?? input.resolved.uuid)!.id;
  }

  /** Whether the cached rows were read at an ancestor (a child plan). */
  get forked(): boolean {
    return this.input.dataNode !== undefined && this.input.dataNode !== this.input.resolved.uuid;
  }

  /**
   * Whether data read with mark `mark` may be behind for lack of a log: at the same node, only when the
   * repo MutationID moved since; read at an ancestor, always (lastmod.ts).
   */
  mayHaveChanged(mark: SyncMark): boolean {
    return this.forked || repoMoved(mark.repoMutationId, this.input.resolved.repo.mutationId);
  }

  /**
   * /lastmod of `bodies` in `labelmap` at this node (and at the ancestor, for a child plan), each body
   * asked once per node and plan; returns whether a body changed since an item read with `bound`.
   */
  async bodyChanges(labelmap: string, bodies: Iterable<bigint>): Promise<(body: bigint, bound: bigint) => boolean> {
    const list = [...bodies];
    const at = async (node: Uuid): Promise<Lastmods> => {
      const k = `${node}/${labelmap}`;
      let memo = this.#lastmods.get(k);
      if (!memo) this.#lastmods.set(k, (memo = new Map()));
      return readLastmods(this.client, node, labelmap, list, { signal: this.input.signal, into: memo });
    };
    const now = await at(this.uuid);
    const then = this.forked ? await at(this.input.dataNode!) : null;
    return (body, bound) => bodyChanged(now.get(body), bound, then ? { lastmod: then.get(body) } : undefined);
  }

  get client(): DvidClient {
    return this.input.client;
  }

  get uuid(): Uuid {
    return this.input.resolved.uuid;
  }

  instanceId(name: string): number {
    return this.input.cache.repo.instance(name)!.id;
  }

  /** The whole instance, as a full sync plans it. */
  async full(s: InstanceScope, why: string): Promise<PlannedInstance> {
    const plan = await makePlan({ client: this.client, resolved: this.input.resolved, serverUrl: this.input.serverUrl, scopes: [s], blockCompression: this.input.blockCompression, signal: this.input.signal });
    const inst = plan.instances[0]!;
    inst.notes.unshift(`planned in full: ${why}`);
    return inst;
  }

  labelmapChanges(name: string): Promise<LabelmapChanges> {
    let p = this.#lm.get(name);
    if (!p) {
      p = (async (): Promise<LabelmapChanges> => {
        const mark = this.input.marks.get(name);
        const records = await readLog(this.client, this.uuid, name, 'labelmap', this.input.signal);
        const position = positionOf('labelmap', records);
        const full = (why: string): LabelmapChanges => ({ ...noChanges(position), full: why });
        const before = this.input.inherited?.get(name);
        if (before === 'mismatch') return full("the ancestor's mutation log is not the one its last sync saw");
        let why: string;
        if (records === null) why = 'the server keeps no mutation log (no [mutations] jsonstore)';
        else if (before === 'no-log') why = 'no mutation log covers the changes since the ancestor was synced';
        else if (!mark?.log) why = 'the last sync saw no mutation log';
        else {
          const own = recordsAfter('labelmap', records, mark.log);
          if (own === null) return full('the mutation log is not the one the last sync saw');
          const after = [...(before ?? []), ...own];
          const a = analyseLabelmapRecords(after);
          return { ...a, via: 'log', count: after.length, note: `${after.length} mutation(s) since the last sync`, records: after, position, groups: a.full ? [] : mutationGroups(after) };
        }
        if (!mark) return full(why);
        return this.#lastmodChanges(name, mark, position, why);
      })();
      this.#lm.set(name, p);
    }
    return p;
  }

  /**
   * A labelmap's changes from /lastmod of every body it caches (lastmod.ts): nothing when the repo
   * MutationID has not moved since the mark. Changed bodies are taken as having lost voxels (their
   * supervoxels are mapped again, their body-label blocks fetched again); the cached supervoxels of
   * changed bodies that now map to 0 were split (one /mapping request per 10,000).
   */
  async #lastmodChanges(name: string, mark: SyncMark, position: LogPosition | null, why: string): Promise<LabelmapChanges> {
    const none = noChanges(position);
    if (!this.mayHaveChanged(mark)) {
      return { ...none, via: 'lastmod', note: `${why}; the repo MutationID has not moved since the last sync: no body changed` };
    }
    const cache = this.input.cache;
    const id = cache.repo.instance(name)?.id;
    const scope = this.input.scopes.find((s) => s.name === name)?.scope;
    if (id === undefined || !scope) return { ...none, full: why };
    const supervoxels = !scope.bodyLabels;
    const bodies = new Set<bigint>();
    if (supervoxels) for (const b of cache.svMap.bodies(id, this.nodeId)) bodies.add(b);
    else {
      for (const scale of scope.scales ?? [0]) {
        for (const { labels } of cache.blocks.labelTables({ instanceId: id, nodeId: this.nodeId, scale, supervoxels: false })) {
          for (const l of unpackLabelCounts(labels).labels) if (l !== 0n) bodies.add(l);
        }
      }
    }
    const changedSinceRead = await this.bodyChanges(name, bodies);
    const bound = boundOf([mark.repoMutationId]);
    const changed = new Set([...bodies].filter((b) => changedSinceRead(b, bound)));
    const splitSvs = new Set<bigint>();
    if (supervoxels && changed.size) {
      const svs = [...changed].flatMap((b) => cache.svMap.supervoxelsOf(id, this.nodeId, b));
      const lm = this.client.labelmap(this.uuid, name);
      for (const batch of chunk(svs, 10_000)) {
        const now = await lm.mapping(batch, { signal: this.input.signal });
        batch.forEach((sv, i) => now[i] === 0n && splitSvs.add(sv));
      }
    }
    return {
      ...none,
      via: 'lastmod',
      count: changed.size,
      note: `${why}: /lastmod of ${bodies.size} cached bod(ies)${this.forked ? ' here and at the ancestor' : ` since mutation ${mark.repoMutationId}`}: ${changed.size} changed${splitSvs.size ? `, ${splitSvs.size} supervoxel(s) split` : ''}`,
      bodies: changed,
      shrunk: changed,
      splitSvs,
    };
  }

  /** Bodies that changed in every labelmap of the sync (only those its mutation log names, with `logOnly`). */
  async labelmapBodies(logOnly = false): Promise<Set<bigint>> {
    const out = new Set<bigint>();
    for (const s of this.input.scopes) {
      if (this.input.resolved.repo.instances.get(s.name)?.type !== 'labelmap') continue;
      const ch = await this.labelmapChanges(s.name);
      if (logOnly && ch.via !== 'log') continue;
      for (const b of ch.bodies) out.add(b);
    }
    return out;
  }

  /** Cached blocks (this node) whose label histogram holds any of `labels`, sorted z, y, x. */
  cachedBlocksWith(instanceId: number, scale: number, supervoxels: boolean, labels: ReadonlySet<bigint>): Array<[number, number, number]> {
    if (labels.size === 0) return [];
    const db = this.input.cache.db.db;
    const contents = db
      .prepare(
        `SELECT c.hash AS hash, c.labels AS labels FROM block_content c WHERE c.hash IN
         (SELECT DISTINCT hash FROM blocks WHERE instance_id = ? AND node_id = ? AND scale = ? AND supervoxels = ? AND hash IS NOT NULL)`,
      )
      .all(instanceId, this.nodeId, scale, supervoxels ? 1 : 0) as Array<{ hash: Buffer; labels: Buffer }>;
    const hit = contents.filter((c) => unpackLabelCounts(c.labels).labels.some((l) => labels.has(l))).map((c) => c.hash);
    const coords = db.prepare('SELECT bx, by, bz FROM blocks WHERE instance_id = ? AND node_id = ? AND scale = ? AND supervoxels = ? AND hash = ?').safeIntegers(false);
    const out: Array<[number, number, number]> = [];
    for (const h of hit) {
      for (const r of coords.all(instanceId, this.nodeId, scale, supervoxels ? 1 : 0, h) as Array<{ bx: number; by: number; bz: number }>) out.push([r.bx, r.by, r.bz]);
    }
    return out.toSorted(compareZyx);
  }
}

function noChanges(position: LogPosition | null): LabelmapChanges {
  const empty = { bodies: new Set<bigint>(), shrunk: new Set<bigint>(), splitSvs: new Set<bigint>(), newSvs: new Set<bigint>() };
  return { full: null, via: 'log', count: 0, note: 'no mutation since the last sync', records: [], position, groups: [], ...empty };
}

function planned(name: string, type: string, scope: Scope, items: PlannedItem[], notes: string[]): PlannedInstance {
  return { name, type, scope: scopeText(scope), items, units: items.reduce((s, i) => s + i.units, 0), bytes: items.reduce((s, i) => s + i.bytes, 0), notes };
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

async function deltaLabelmap(d: DeltaPlanner, s: InstanceScope): Promise<PlannedInstance> {
  const { name, scope } = s;
  const ch = await d.labelmapChanges(name);
  d.logs[name] = ch.position;
  if (ch.full) return d.full(s, ch.full);
  if (ch.count === 0) return planned(name, 'labelmap', scope, [], [ch.note]);
  const id = d.instanceId(name);
  const cache = d.input.cache;
  const supervoxels = !scope.bodyLabels;
  const scales = scope.scales ?? [0];
  const lz4 = d.input.blockCompression === 'lz4' ? { compression: 'lz4' as const } : {};
  const items: PlannedItem[] = [];
  const notes = [ch.note];
  // Supervoxel blocks change only where a supervoxel was split; body blocks wherever a body lost voxels.
  const labels = new Set<bigint>(ch.splitSvs);
  if (!supervoxels) for (const b of ch.shrunk) labels.add(b);
  const refetch = new Map<number, Map<string, [number, number, number]>>();
  const want = (scale: number, c: [number, number, number]) => {
    let m = refetch.get(scale);
    if (!m) refetch.set(scale, (m = new Map()));
    m.set(coordKey(c), c);
  };
  for (const scale of scales) for (const c of d.cachedBlocksWith(id, scale, supervoxels, labels)) want(scale, c);
  if (scope.region.kind === 'bodies') {
    // A body of the scope that grew (a merge into it) now covers blocks not yet synced.
    const lm = d.client.labelmap(d.uuid, name);
    for (const body of scope.region.bodies.filter((b) => ch.bodies.has(b))) {
      let runs;
      try {
        runs = await lm.sparsevolCoarse(body, { signal: d.input.signal });
      } catch (err) {
        if ((err as { kind?: string }).kind === 'not-found') continue;
        throw err;
      }
      for (const scale of scales) {
        const f = 2 ** scale;
        const coords: Array<[number, number, number]> = [];
        for (const r of runs) for (let i = 0; i < r.length; i++) coords.push([Math.floor((r.x + i) / f), Math.floor(r.y / f), Math.floor(r.z / f)]);
        const have = cache.blocks.present({ instanceId: id, nodeId: d.nodeId, scale, supervoxels }, coords);
        for (const c of coords) if (!have.has(coordKey(c))) want(scale, c);
      }
    }
  }
  for (const [scale, m] of refetch) {
    const coords = [...m.values()].toSorted(compareZyx);
    for (const c of chunk(coords, BLOCK_BATCH)) items.push({ spec: { kind: 'blocks', scale, supervoxels, coords: c, ...lz4 }, units: c.length, bytes: c.length * BYTES_PER_BLOCK });
  }
  if (supervoxels) {
    const refresh = new Set<bigint>([...ch.splitSvs, ...ch.newSvs]);
    for (const b of ch.shrunk) for (const sv of cache.svMap.supervoxelsOf(id, d.nodeId, b)) refresh.add(sv);
    const list = [...refresh].toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
    items.push({ spec: { kind: 'mapping', refresh: list }, units: list.length, bytes: list.length * 24 });
    notes.push(`${list.length} supervoxel(s) to map again`);
  }
  notes.push(`${[...refetch.values()].reduce((n, m) => n + m.size, 0)} block(s) to fetch again`);
  return planned(name, 'labelmap', scope, items, notes);
}

/** The labelmap an annotation instance syncs to, and the labelsz instances synced to it. */
function annotationLinks(d: DeltaPlanner, name: string): { labelmap: string | null; labelsz: string[] } {
  const repo = d.input.resolved.repo;
  const inst = repo.instances.get(name)!;
  const labelmap = inst.base.syncs.find((s) => repo.instances.get(s)?.type === 'labelmap') ?? null;
  const labelsz = [...repo.instances.values()].filter((i) => i.type === 'labelsz' && i.base.syncs.includes(name)).map((i) => i.base.name);
  return { labelmap, labelsz };
}

/** Per index: the cached ranking's counts and the server's, by body. */
type Counts = Array<{ idx: string; cached: Map<bigint, number>; fresh: Map<bigint, number> }>;

/** The cached and the server's counts of every index the cache holds of a labelsz instance. */
async function rankings(d: DeltaPlanner, labelsz: string): Promise<Counts | null> {
  const cache = d.input.cache;
  const id = cache.repo.instance(labelsz)?.id;
  if (id === undefined) return null;
  const indexes = cache.labelsz.indexes(id, d.nodeId);
  if (indexes.length === 0) return null;
  const out: Counts = [];
  const lsz = d.client.labelsz(d.uuid, labelsz);
  for (const idx of indexes) {
    const cached = new Map<bigint, number>();
    const rows = cache.db.db
      .prepare('SELECT label, count FROM labelsz_counts WHERE instance_id = ? AND node_id = ? AND idx = ? AND rank >= 0')
      .safeIntegers(true)
      .all(id, d.nodeId, idx) as Array<{ label: bigint; count: bigint }>;
    for (const r of rows) cached.set(u64FromDb(r.label), Number(r.count));
    const fresh = new Map<bigint, number>();
    for await (const page of lsz.thresholdAll(1, idx as LabelszIndex, { signal: d.input.signal })) for (const r of page) fresh.set(r.label, r.count);
    out.push({ idx, cached, fresh });
  }
  return out;
}

/**
 * Bodies whose annotations changed: those whose counts differ, less the groups of bodies that
 * labelmap mutations joined or parted (merge, cleave, …) when the group's totals are unchanged in
 * every index: their elements only changed bodies, which the cache derives from the mapping.
 */
export function changedBodies(counts: Counts, groups: ReadonlyArray<ReadonlySet<bigint>>): Set<bigint> {
  const changed = new Set<bigint>();
  for (const { cached, fresh } of counts) {
    for (const [b, n] of fresh) if (cached.get(b) !== n) changed.add(b);
    for (const b of cached.keys()) if (!fresh.has(b)) changed.add(b);
  }
  for (const g of groups) {
    const balanced = counts.every(({ cached, fresh }) => {
      let before = 0;
      let after = 0;
      for (const b of g) {
        before += cached.get(b) ?? 0;
        after += fresh.get(b) ?? 0;
      }
      return before === after;
    });
    if (balanced) for (const b of g) changed.delete(b);
  }
  return changed;
}

/** Bodies that labelmap records joined or parted, as connected groups. */
export function mutationGroups(records: readonly MutationRecord[]): Array<Set<bigint>> {
  const parent = new Map<bigint, bigint>();
  const find = (x: bigint): bigint => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const join = (xs: Array<bigint | null>) => {
    const ids = xs.filter((x): x is bigint => x !== null && x !== 0n);
    for (const x of ids) if (!parent.has(x)) parent.set(x, x);
    for (let i = 1; i < ids.length; i++) parent.set(find(ids[i]!), find(ids[0]!));
  };
  for (const r of records) {
    const f = r.fields;
    if (r.action === 'merge-complete') join([big(f.Target), ...bigs(f.Labels)]);
    else if (r.action === 'cleave-complete') join([big(f.OrigLabel), big(f.CleavedLabel)]);
    else if (r.action === 'renumber-complete') join([big(f.OrigLabel), big(f.NewLabel)]);
    else if (r.action === 'split-complete') join([big(f.Target), big(f.NewLabel)]);
  }
  const groups = new Map<bigint, Set<bigint>>();
  for (const x of parent.keys()) {
    const r = find(x);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = new Set()));
    g.add(x);
  }
  return [...groups.values()];
}

async function deltaAnnotation(d: DeltaPlanner, s: InstanceScope): Promise<PlannedInstance> {
  const { name, scope } = s;
  const links = annotationLinks(d, name);
  const lszWithAll = links.labelsz.filter((l) => d.input.marks.get(l)?.scope === 'all');
  if (scope.region.kind === 'roi') return d.full(s, 'ROI scopes are re-read whole');
  if (lszWithAll.length === 0) return d.full(s, 'DVID logs annotation edits to Kafka only, and no synced labelsz ranking (scope all) is cached to show which bodies changed');
  const changed = new Set<bigint>();
  const lmChanges = links.labelmap ? await d.labelmapChanges(links.labelmap) : null;
  const groups = lmChanges && !lmChanges.full ? lmChanges.groups : [];
  for (const l of lszWithAll) {
    const counts = await rankings(d, l);
    if (counts === null) return d.full(s, `the cache holds no ranking of ${l}`);
    for (const b of changedBodies(counts, groups)) changed.add(b);
  }
  const cache = d.input.cache;
  const id = d.instanceId(name);
  const blockSize = async (): Promise<[number, number, number]> => {
    if (!links.labelmap) return [64, 64, 64];
    const info = await d.client.repos.instanceInfo(d.uuid, links.labelmap, { dag: d.input.resolved.repo, signal: d.input.signal });
    return info.type === 'labelmap' ? info.extended.blockSize : [64, 64, 64];
  };
  const items: PlannedItem[] = [];
  const notes: string[] = [];
  if (scope.region.kind === 'bodies') {
    const inScope = new Set(scope.region.bodies);
    for (const b of await d.labelmapBodies()) changed.add(b);
    const bodies = [...changed].filter((b) => inScope.has(b)).map(String);
    const bs = bodies.length ? await blockSize() : ([64, 64, 64] as [number, number, number]);
    for (const c of chunk(bodies, 20)) items.push({ spec: { kind: 'element-bodies', bodies: c, blockSize: bs }, units: c.length * 500, bytes: c.length * 500 * 200 });
    notes.push(`${bodies.length} bod(ies) of the scope to read again`);
  } else if (changed.size > 0) {
    const bs = await blockSize();
    const blocks = new Map<string, [number, number, number]>();
    const addPos = (p: readonly number[]) => {
      const c: [number, number, number] = [floorDiv(p[0]!, bs[0]), floorDiv(p[1]!, bs[1]), floorDiv(p[2]!, bs[2])];
      blocks.set(coordKey(c), c);
    };
    // The bodies' elements as the server has them now, and their partners.
    const ann = d.client.annotation(d.uuid, name);
    for (const b of changed) {
      for (const e of await ann.label(b, { relationships: true, signal: d.input.signal })) {
        addPos(e.pos);
        for (const r of e.rels ?? []) addPos(r.to);
      }
    }
    // The bodies' elements as the cache has them (through the cached mapping), and their partners.
    if (links.labelmap) {
      const lmId = cache.repo.instance(links.labelmap)?.id;
      const svs = new Set<bigint>();
      if (lmId !== undefined) for (const b of changed) for (const sv of cache.svMap.supervoxelsOf(lmId, d.nodeId, b)) svs.add(sv);
      for (const b of changed) svs.add(b); // a body named after its supervoxel, not mapped in the cache
      const rows = cache.db.db
        .prepare(
          `SELECT e.data AS data, e.props AS props, e.tags AS tags, s.svs AS svs FROM element_blocks e JOIN element_block_svs s ON s.instance_id = e.instance_id
           AND s.node_id = e.node_id AND s.bz = e.bz AND s.by = e.by AND s.bx = e.bx WHERE e.instance_id = ? AND e.node_id = ?`,
        )
        .iterate(id, d.nodeId) as Iterable<{ data: Buffer; props: string | null; tags: string | null; svs: Buffer }>;
      for (const r of rows) {
        const sv = unpackSvs(r.svs);
        if (!sv.some((x) => svs.has(x))) continue;
        const els = unpackElements(r.data, r.props, r.tags);
        els.forEach((e, i) => {
          if (!svs.has(sv[i]!)) return;
          addPos(e.pos);
          for (const rel of e.rels) addPos(rel.to);
        });
      }
    }
    let coords = [...blocks.values()];
    let filter: ElementFilter = { kind: 'none' };
    if (scope.region.kind === 'bbox') {
      const vb: Box = [...scope.region.min, ...scope.region.max];
      filter = { kind: 'bbox', box: vb };
      coords = coords.filter((c) => intersect(vb, [c[0] * bs[0], c[1] * bs[1], c[2] * bs[2], (c[0] + 1) * bs[0], (c[1] + 1) * bs[1], (c[2] + 1) * bs[2]]) !== null);
    }
    for (const box of coverWithBoxes(coords as Coord[])) {
      const n = (box[3] - box[0]) * (box[4] - box[1]) * (box[5] - box[2]);
      items.push({ spec: { kind: 'elements', box, blockSize: bs, filter }, units: n * 20, bytes: n * BYTES_PER_ANNOTATION_BLOCK });
    }
    notes.push(`${changed.size} bod(ies) with changed counts; ${coords.length} annotation block(s) to read again`);
  } else {
    notes.push('no body changed its counts since the last sync');
  }
  d.annotationChanges.set(name, changed.size);
  // A child's copy keeps the supervoxel under an element only when its labelmap is copied too (fork.ts).
  const svsDropped = d.input.copied?.has(name) === true && links.labelmap !== null && !d.input.copied.has(links.labelmap);
  if (links.labelmap && (items.length || svsDropped)) {
    const elements = svsDropped
      ? (cache.db.db.prepare('SELECT coalesce(sum(count), 0) FROM element_blocks WHERE instance_id = ? AND node_id = ?').pluck().safeIntegers(false).get(id, d.nodeId) as number)
      : 0;
    if (svsDropped) notes.push(`the supervoxel under each of ${elements} element(s) read again at this node (${links.labelmap} is not synced with it)`);
    items.push({ spec: { kind: 'element-svs', labelmap: links.labelmap, missingOnly: true }, units: 0, bytes: elements * BYTES_PER_ELEMENT_SV });
  }
  return planned(name, 'annotation', scope, items, notes);
}

async function deltaKeyvalue(d: DeltaPlanner, s: InstanceScope, type: string): Promise<PlannedInstance> {
  const { name, scope } = s;
  const role = kvRole(name, type);
  const region = scope.region;
  const id = d.instanceId(name);
  const cache = d.input.cache;
  const mark = d.input.marks.get(name);
  const inScope = (k: string): boolean => {
    switch (region.kind) {
      case 'all':
        return true;
      case 'keys':
        return Buffer.compare(Buffer.from(k), Buffer.from(region.first)) >= 0 && Buffer.compare(Buffer.from(k), Buffer.from(region.last)) <= 0;
      case 'bodies': {
        const b = bodyOfKey(role, k);
        return b !== null && region.bodies.includes(b);
      }
      case 'roi':
        return region.rois.includes(k);
      default:
        return false;
    }
  };
  const records = await readLog(d.client, d.uuid, name, 'keyvalue', d.input.signal);
  d.logs[name] = positionOf('keyvalue', records);
  const fetch = new Set<string>();
  const drop = new Set<string>();
  const notes: string[] = [];
  const before = d.input.inherited?.get(name);
  if (before === 'mismatch') return d.full(s, "the ancestor's keyvalue mutation log is not the one its last sync saw");
  if (records !== null && mark?.log && before !== 'no-log') {
    const own = recordsAfter('keyvalue', records, mark.log);
    if (own === null) return d.full(s, 'the keyvalue mutation log is not the one the last sync saw');
    const after = [...(before ?? []), ...own];
    for (const r of after) {
      const k = r.fields.Key;
      if (typeof k !== 'string' || !inScope(k)) continue;
      if (r.action === 'delete') {
        fetch.delete(k);
        drop.add(k);
      } else {
        drop.delete(k);
        fetch.add(k);
      }
    }
    notes.push(`${after.length} keyvalue mutation(s) since the last sync`);
  } else {
    // No log: diff the listing, and read again the keys of bodies that labelmap mutations touched.
    const kv = d.client.keyvalue(d.uuid, name);
    const listed = (region.kind === 'keys' ? await kv.keyRange(region.first, region.last, { signal: d.input.signal }) : await kv.keys({ signal: d.input.signal })).filter(inScope);
    const have = new Set(cache.kv.keys(id, d.nodeId).filter(inScope));
    const now = new Set(listed);
    for (const k of listed) if (!have.has(k)) fetch.add(k);
    for (const k of have) if (!now.has(k)) drop.add(k);
    const logBodies = await d.labelmapBodies(true);
    for (const k of listed) {
      const b = bodyOfKey(role, k);
      if (b !== null && logBodies.has(b)) fetch.add(k);
    }
    notes.push('no keyvalue mutation log: listing diffed with the cache (values rewritten under existing keys of unchanged bodies are not seen)');
    // Values naming a body: fetched again when the body changed after the value was read (/lastmod).
    const syncLabelmaps = d.input.scopes.map((x) => x.name).filter((n) => d.input.resolved.repo.instances.get(n)?.type === 'labelmap');
    const labelmap = role === 'body-annotations' || role === 'meshes' || role === 'skeletons' ? bodyLabelmapOf(d.input.resolved.repo, name, syncLabelmaps) : null;
    // A labelmap of the sync whose log is followed already named its changed bodies (above).
    const ch = labelmap !== null && syncLabelmaps.includes(labelmap) ? await d.labelmapChanges(labelmap) : null;
    const logged = ch !== null && ch.full === null && ch.via === 'log';
    if (labelmap && mark && !logged) {
      if (!d.mayHaveChanged(mark)) {
        notes.push('the repo MutationID has not moved since the last sync: no body changed');
      } else {
        const entries = cache.kv.bodyEntries(id, d.nodeId).filter((e) => now.has(e.key));
        const changedSinceRead = await d.bodyChanges(labelmap, entries.map((e) => e.body));
        let changed = 0;
        for (const e of entries) {
          if (!changedSinceRead(e.body, boundOf([mark.repoMutationId, e.fetchMutationId], e.mutationId))) continue;
          fetch.add(e.key);
          changed++;
        }
        notes.push(`/lastmod (${labelmap}) of ${new Set(entries.map((e) => e.body)).size} cached bod(ies): ${changed} value(s) changed since they were read`);
      }
    }
  }
  const items: PlannedItem[] = [];
  const keys = [...fetch].toSorted();
  // A key fetched again costs about what its cached value weighs; a new key, the role's estimate.
  const sizes = new Map<string, number>();
  if (keys.length) {
    const stmt = cache.db.db.prepare('SELECT size FROM kv_entries WHERE instance_id = ? AND node_id = ? AND key = ?').pluck().safeIntegers(false);
    for (const k of keys) sizes.set(k, (stmt.get(id, d.nodeId, k) as number | undefined) ?? KV_BYTES[role]);
  }
  for (const c of chunk(keys, 100)) items.push({ spec: { kind: 'kv', role, keys: c }, units: c.length, bytes: c.reduce((n, k) => n + sizes.get(k)!, 0) });
  if (drop.size) items.push({ spec: { kind: 'kv-prune', drop: [...drop].toSorted() }, units: drop.size, bytes: 0 });
  notes.push(`${keys.length} key(s) to fetch, ${drop.size} to drop`);
  return planned(name, type, scope, items, notes);
}

/**
 * A labelsz ranking read again whole: its size is about the cached ranking's (the planner's guess
 * for an unknown ranking is far larger), at 40 bytes a label as for `top:N`.
 */
function estimateFromCache(d: DeltaPlanner, inst: PlannedInstance): PlannedInstance {
  const id = d.input.cache.repo.instance(inst.name)?.id;
  if (id === undefined) return inst;
  const count = d.input.cache.db.db.prepare('SELECT count(*) FROM labelsz_counts WHERE instance_id = ? AND node_id = ? AND idx = ?').pluck().safeIntegers(false);
  let known = false;
  for (const it of inst.items) {
    const spec = it.spec;
    if (spec.kind !== 'labelsz' || spec.top !== undefined || spec.bodies !== undefined) continue;
    const n = count.get(id, d.nodeId, spec.index) as number;
    if (n === 0) continue;
    it.units = n;
    it.bytes = n * 40;
    known = true;
  }
  if (!known) return inst;
  inst.notes.push('size estimated from the cached ranking');
  return { ...inst, units: inst.items.reduce((s, i) => s + i.units, 0), bytes: inst.items.reduce((s, i) => s + i.bytes, 0) };
}

/** The incremental plan of a sync whose instances all have marks (see the module comment). */
export async function makeDeltaPlan(input: DeltaInput): Promise<Plan> {
  const d = new DeltaPlanner(input);
  const { resolved } = input;
  const instances: PlannedInstance[] = [];
  const scopes: Record<string, string> = {};
  const later: InstanceScope[] = [];
  for (const s of input.scopes) {
    const inst = resolved.repo.instances.get(s.name)!;
    const type = inst.type === 'other' ? inst.base.typeName : inst.type;
    scopes[s.name] = scopeKey(s.scope);
    const mark = input.marks.get(s.name);
    if (!mark || mark.scope !== scopeKey(s.scope)) {
      // The log position first, then the plan: what changes meanwhile is seen again next time.
      const kind = type === 'labelmap' ? 'labelmap' : type === 'keyvalue' || type === 'neuronjson' ? 'keyvalue' : null;
      if (kind) d.logs[s.name] = positionOf(kind, await readLog(input.client, resolved.uuid, s.name, kind, input.signal));
      instances.push(await d.full(s, mark ? `the last sync used scope ${mark.scope}` : 'never synced at this node'));
      continue;
    }
    switch (type) {
      case 'labelmap':
        instances.push(await deltaLabelmap(d, s));
        break;
      case 'annotation':
        instances.push(await deltaAnnotation(d, s));
        break;
      case 'keyvalue':
      case 'neuronjson':
        instances.push(await deltaKeyvalue(d, s, type));
        break;
      case 'roi':
        instances.push(planned(s.name, 'roi', s.scope, [{ spec: { kind: 'roi' }, units: 1, bytes: 1024 }], ['ROIs keep no log: spans read again']));
        break;
      case 'labelsz':
        later.push(s);
        break;
      default:
        instances.push(await d.full(s, `${type} has no change signal`));
    }
  }
  let anyLabelmap = false;
  for (const s of input.scopes) if (resolved.repo.instances.get(s.name)?.type === 'labelmap' && d.logs[s.name] !== undefined) anyLabelmap ||= (await d.labelmapChanges(s.name)).count > 0;
  for (const s of later) {
    const syncedTo = resolved.repo.instances.get(s.name)!.base.syncs;
    const touched = anyLabelmap || syncedTo.some((a) => (d.annotationChanges.get(a) ?? 1) > 0);
    if (touched) instances.push(estimateFromCache(d, await d.full(s, 'the counts it ranks may have changed')));
    else instances.push(planned(s.name, 'labelsz', s.scope, [], ['nothing it counts changed']));
  }
  const order = new Map(input.scopes.map((s, i) => [s.name, i]));
  instances.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  return { ...planOf(resolved, input.serverUrl, instances), mode: 'incremental', logs: d.logs, scopes, key: planKeyOf(resolved, input.scopes) };
}

