/**
 * Syncing a node from the cached data of an ancestor (DVID-API §3): a read at a node sees, for every
 * key, the value written at its nearest ancestor, so a node differs from an ancestor by exactly what
 * was logged after that ancestor's data were read: the ancestor's own records after its sync mark,
 * then those of every node in between, then the node's own. The nearest ancestor whose sync marks
 * cover the most of the sync's instances (same scopes) is chosen; the walk up the DAG stops at a
 * node with more than one parent (a merge node reads as its parents' merge, not as one of them).
 *
 * The plan (delta.ts with `dataNode` = the ancestor) reads the ancestor's cached rows and the logs,
 * never writes: the job copies the ancestor's rows of those instances to the node when it starts
 * (fork.ts, one transaction with the job's creation: content-addressed block bytes and blobs are
 * shared, not duplicated), so the plan names exactly what will be fetched. Instances the ancestor
 * does not hold are planned in full. Logs are read per node (`/mutations`, one request per node and
 * instance), never with `/mutations-range`, which hangs on a server without a jsonstore; a node on
 * the way without a log makes that instance fall back to per-body `/lastmod` (lastmod.ts).
 */
import type { Cache } from '../cache/index';
import type { JobRow } from '../cache/job-store';
import type { DvidClient } from '../dvid/client';
import type { MutationRecord } from '../dvid/labelmap';
import type { Uuid } from '../dvid/paths';
import type { ResolvedNode } from '../dvid/repo';
import { makeDeltaPlan, type InheritedLog } from './delta';
import { copyNodeData } from './fork';
import { createJob } from './job';
import { readLog, readMark, recordsAfter, type SyncMark } from './marks';
import type { Plan } from './plan';
import { scopeKey, type InstanceScope } from './scope';

export interface CachedAncestor {
  uuid: Uuid;
  /** 1 = the parent. */
  generations: number;
  /** The ancestor's marks of the sync's instances synced with the same scope. */
  marks: Map<string, SyncMark>;
  /** The nodes strictly between the ancestor and the node, oldest first. */
  between: Uuid[];
}

/** The log a type keeps, if any. */
export function logKind(type: string): 'labelmap' | 'keyvalue' | null {
  return type === 'labelmap' ? 'labelmap' : type === 'keyvalue' || type === 'neuronjson' ? 'keyvalue' : null;
}

function typeOf(resolved: ResolvedNode, name: string): string {
  const i = resolved.repo.instances.get(name)!;
  return i.type === 'other' ? i.base.typeName : i.type;
}

/** The nearest ancestor holding completed syncs of the most of `scopes` (same scopes), or null. */
export function findCachedAncestor(cache: Cache, resolved: ResolvedNode, scopes: readonly InstanceScope[]): CachedAncestor | null {
  const chain: Uuid[] = [];
  for (let node = resolved.node; node.parents.length === 1; ) {
    const p = node.parents[0]!;
    if (chain.includes(p)) break;
    chain.push(p);
    const next = resolved.repo.nodes.get(p);
    if (!next) break;
    node = next;
  }
  let best: CachedAncestor | null = null;
  chain.forEach((uuid, i) => {
    if (!cache.repo.node(uuid)) return;
    const marks = new Map<string, SyncMark>();
    for (const s of scopes) {
      const m = readMark(cache, uuid, s.name);
      if (m && m.scope === scopeKey(s.scope)) marks.set(s.name, m);
    }
    if (marks.size > (best?.marks.size ?? 0)) best = { uuid, generations: i + 1, marks, between: chain.slice(0, i).toReversed() };
  });
  return best;
}

/** Per log-keeping instance the ancestor holds: the records between its mark and the node's own log. */
export async function inheritedLogs(client: DvidClient, resolved: ResolvedNode, ancestor: CachedAncestor, signal?: AbortSignal): Promise<Map<string, InheritedLog>> {
  const out = new Map<string, InheritedLog>();
  for (const [name, mark] of ancestor.marks) {
    const kind = logKind(typeOf(resolved, name));
    if (!kind) continue;
    if (!mark.log) {
      out.set(name, 'no-log');
      continue;
    }
    const own = await readLog(client, ancestor.uuid, name, kind, signal);
    const after = own === null ? null : recordsAfter(kind, own, mark.log);
    if (own === null) {
      out.set(name, 'no-log');
      continue;
    }
    if (after === null) {
      out.set(name, 'mismatch');
      continue;
    }
    const records: MutationRecord[] = [...after];
    let noLog = false;
    for (const node of ancestor.between) {
      const log = await readLog(client, node, name, kind, signal);
      if (log === null) {
        noLog = true;
        break;
      }
      records.push(...log);
    }
    out.set(name, noLog ? 'no-log' : records);
  }
  return out;
}

export interface ChildPlanInput {
  client: DvidClient;
  resolved: ResolvedNode;
  serverUrl: string;
  cache: Cache;
  /** Every instance of the sync with its scope (planner effectiveScopes). */
  scopes: readonly InstanceScope[];
  ancestor: CachedAncestor;
  blockCompression?: 'blocks' | 'lz4';
  signal?: AbortSignal;
}

/** The plan of a node from a cached ancestor (mode `child`); reads only. */
export async function makeChildPlan(input: ChildPlanInput): Promise<Plan> {
  const { ancestor } = input;
  const inherited = await inheritedLogs(input.client, input.resolved, ancestor, input.signal);
  // The node's own log is read from its start; what came before it is in `inherited`.
  const marks = new Map<string, SyncMark>();
  for (const [name, m] of ancestor.marks) marks.set(name, { ...m, log: m.log ? { count: 0, last: null } : m.log });
  const plan = await makeDeltaPlan({
    client: input.client,
    resolved: input.resolved,
    serverUrl: input.serverUrl,
    cache: input.cache,
    scopes: input.scopes,
    marks,
    blockCompression: input.blockCompression,
    signal: input.signal,
    dataNode: ancestor.uuid,
    inherited,
    copied: new Set(ancestor.marks.keys()),
  });
  const up = ancestor.generations === 1 ? 'its parent' : `an ancestor ${ancestor.generations} generations up`;
  for (const inst of plan.instances) {
    if (ancestor.marks.has(inst.name)) inst.notes.unshift(`starts from the cached data of ${up}, ${ancestor.uuid.slice(0, 8)} (copied, not downloaded)`);
  }
  plan.mode = 'child';
  plan.base = ancestor.uuid;
  plan.fork = { from: ancestor.uuid, instances: [...ancestor.marks.keys()], jobs: Object.fromEntries([...ancestor.marks].map(([n, m]) => [n, m.jobId])) };
  return plan;
}

export class ForkChangedError extends Error {
  override name = 'ForkChangedError';
}

/**
 * Creates the job of a plan; a child plan's job first gets the ancestor's rows copied to the node, in
 * the same transaction (a crash leaves either both or neither). Refused when the ancestor's cached
 * data are no longer those the plan read (it was synced again since): plan again.
 */
export function startJob(cache: Cache, plan: Plan, nodeId: number): JobRow {
  return cache.write(() => {
    const fork = plan.fork;
    if (fork) {
      for (const name of fork.instances) {
        if (readMark(cache, fork.from, name)?.jobId !== fork.jobs[name]) {
          throw new ForkChangedError(`the cached data of node ${fork.from.slice(0, 8)} (${name}) changed since this sync was planned: plan it again`);
        }
      }
      const from = cache.repo.node(fork.from)!.id;
      copyNodeData(
        cache,
        fork.instances.map((n) => cache.repo.instance(n)!.id),
        from,
        nodeId,
        fork.from,
        null,
      );
    }
    return createJob(cache, plan, nodeId);
  }, 'creating the sync job');
}
