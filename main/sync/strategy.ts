/**
 * Which sync a node gets, decided once for the CLI (session.ts) and the app (service.ts) so the two
 * cannot diverge (the table in README.md):
 *
 * - locked node, every instance marked with the same scope: a spot check, nothing to download;
 * - any node with marks: an incremental plan (delta.ts; unmarked instances planned in full inside it);
 * - no marks, an ancestor with marks (child.ts): a child plan from the ancestor's cached data;
 * - otherwise (or `full`): a full plan, with the log positions its marks will record read first.
 *
 * Reads only (a read-only cache will do); writing starts with child.ts `startJob`.
 */
import type { Cache } from '../cache/index';
import type { DvidClient } from '../dvid/client';
import type { ResolvedNode } from '../dvid/repo';
import { findCachedAncestor, logKind, makeChildPlan } from './child';
import { makeDeltaPlan } from './delta';
import { positionOf, readLog, readMark, writeMark, type LogPosition, type SyncMark } from './marks';
import type { Plan } from './plan';
import { effectiveScopes, makePlan } from './planner';
import { scopeKey, type InstanceScope } from './scope';
import { spotCheck, type SpotCheckResult } from './spot-check';

export interface StrategyInput {
  client: DvidClient;
  resolved: ResolvedNode;
  serverUrl: string;
  /** The repo's cache, if it exists (read-only is enough). */
  cache: Cache | null;
  scopes: InstanceScope[] | null;
  maxBytes: number;
  /** Re-read everything: no spot check, no incremental plan, no ancestor's data. */
  full?: boolean;
  blockCompression?: 'blocks' | 'lz4';
  signal?: AbortSignal;
}

export type Strategy =
  /** A locked node synced before with the same scopes: the spot check's result. */
  | { kind: 'checked'; result: SpotCheckResult; marks: Map<string, SyncMark> }
  /** A plan to run; `marks` are the node's own (incremental plans). */
  | { kind: 'plan'; plan: Plan; marks: Map<string, SyncMark> };

export async function chooseStrategy(input: StrategyInput): Promise<Strategy> {
  const { client, resolved, cache, serverUrl } = input;
  const all = effectiveScopes(resolved, input.scopes);
  const marks = new Map<string, SyncMark>();
  if (cache && cache.repo.node(resolved.uuid)) {
    for (const s of all) {
      const m = readMark(cache, resolved.uuid, s.name);
      if (m && m.scope === scopeKey(s.scope)) marks.set(s.name, m);
    }
  }
  if (cache && !input.full) {
    if (resolved.node.locked && all.length > 0 && marks.size === all.length) {
      return { kind: 'checked', result: await spotCheck(cache, client, resolved, marks), marks };
    }
    if (marks.size > 0) {
      const plan = await makeDeltaPlan({ client, resolved, serverUrl, cache, scopes: all, marks, blockCompression: input.blockCompression, signal: input.signal });
      return { kind: 'plan', plan, marks };
    }
    const ancestor = findCachedAncestor(cache, resolved, all);
    if (ancestor) {
      const plan = await makeChildPlan({ client, resolved, serverUrl, cache, scopes: all, ancestor, blockCompression: input.blockCompression, signal: input.signal });
      return { kind: 'plan', plan, marks };
    }
  }
  // Log positions first: what changes while the data are read is seen again by the next sync.
  const logs: Record<string, LogPosition | null> = {};
  for (const s of all) {
    const inst = resolved.repo.instances.get(s.name)!;
    const kind = logKind(inst.type === 'other' ? inst.base.typeName : inst.type);
    if (kind) logs[s.name] = positionOf(kind, await readLog(client, resolved.uuid, s.name, kind, input.signal));
  }
  const plan = await makePlan({ client, resolved, serverUrl, scopes: input.scopes, maxBytes: input.maxBytes, blockCompression: input.blockCompression, signal: input.signal });
  plan.mode = input.full ? 'reread' : 'full';
  plan.logs = logs;
  plan.scopes = Object.fromEntries(all.map((s) => [s.name, scopeKey(s.scope)]));
  return { kind: 'plan', plan, marks };
}

/** An incremental plan with nothing to fetch for a node whose every instance is marked: no job needed. */
export function isUpToDate(plan: Plan, marks: ReadonlyMap<string, SyncMark>, instances: number): boolean {
  return plan.mode === 'incremental' && plan.instances.every((i) => i.items.length === 0) && marks.size === instances && instances > 0;
}

/** Re-dates the marks of an up-to-date node (with the log positions the check read). */
export function redateMarks(cache: Cache, node: string, plan: Plan, marks: ReadonlyMap<string, SyncMark>): void {
  const now = Date.now();
  cache.write(() => {
    for (const [name, m] of marks) {
      const log = plan.logs && name in plan.logs ? plan.logs[name] : m.log;
      writeMark(cache, node, name, { ...m, syncedAt: now, checkedAt: now, repoMutationId: plan.mutationId, ...(log === undefined ? {} : { log }) });
    }
  }, 'recording the check');
}
