/**
 * Per-body change detection with labelmap `GET /lastmod/{body}` (DVID-API §3.4, §12 step 3.2): the
 * signal left when the server keeps no mutation log (no `[mutations] jsonstore`: `/mutations` answers
 * 400, `/mutations-range` never answers).
 *
 * The rule: repo info's `MutationID` is the id the NEXT mutation will get (DVID's mutCurID; the
 * mutation takes it, then the counter moves on). Data read after a client read `MutationID` M reflect
 * every mutation with an id below M. A body whose lastmod `"mutation id"` is ≥ M, or that no longer
 * exists (404: merged away, renumbered), changed since. A NeuTu skeleton says which mutation it was
 * made after (`#${"mutation id": N}`, DVID-API §10.2): it reflects every mutation up to N, so its own
 * bound is N + 1. An item's bound is the largest of those it has.
 *
 * Data a child node copied from an ancestor (child.ts) were read at the ancestor: the bound says
 * nothing about mutations made in the nodes after it, which may be older than the bound (the child
 * existed and was edited before the ancestor was synced). There a body changed when its lastmod at the
 * node differs from its lastmod at the ancestor (a label index is versioned: unchanged since the
 * ancestor means the same record, the same mutation id), or when the ancestor's reached the bound
 * (changed at the ancestor after its sync). That takes two requests per body, and the repo MutationID
 * cannot excuse them.
 *
 * Cost: one small request per body, `concurrency` at a time (a LAN DVID answers in 1–3 ms: 10k bodies
 * ≈ 5–15 s, a hemibrain-sized 200k ≈ 2–5 min). Callers ask only when the repo MutationID moved since
 * the data were read (nothing in the repo's segmentation changed otherwise), and each body once.
 */
import type { DvidClient } from '../dvid/client';
import { DvidNotFoundError } from '../dvid/errors';
import type { Uuid } from '../dvid/paths';
import type { RepoInfo } from '../dvid/repo';

/** Body → its lastmod mutation id, or null when the body does not exist at the node. */
export type Lastmods = Map<bigint, bigint | null>;

const DEFAULT_CONCURRENCY = 6;

/** Asks `/lastmod` of each body (each once), `concurrency` requests at a time. */
export async function readLastmods(
  client: DvidClient,
  node: Uuid,
  labelmap: string,
  bodies: Iterable<bigint>,
  opts: { signal?: AbortSignal; concurrency?: number; into?: Lastmods } = {},
): Promise<Lastmods> {
  const out = opts.into ?? new Map<bigint, bigint | null>();
  const todo = [...new Set(bodies)].filter((b) => b !== 0n && !out.has(b));
  const lm = client.labelmap(node, labelmap);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) {
      const body = todo[next++]!;
      try {
        out.set(body, (await lm.lastmod(body, { signal: opts.signal })).mutationId);
      } catch (err) {
        if (!(err instanceof DvidNotFoundError)) throw err;
        out.set(body, null);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, todo.length) }, worker));
  return out;
}

/** The first mutation id an item does not reflect: the largest of the bounds it has (see the module comment). */
export function boundOf(repoMutationIds: ReadonlyArray<bigint | string | null | undefined>, embeddedMutationId: bigint | null = null): bigint {
  let bound = embeddedMutationId === null ? 0n : embeddedMutationId + 1n;
  for (const m of repoMutationIds) {
    if (m === null || m === undefined || m === '') continue;
    const v = BigInt(m);
    if (v > bound) bound = v;
  }
  return bound;
}

/** Whether a body with this lastmod (null: gone; undefined: not asked) changed at or after `bound`. */
export function changedSince(lastmod: bigint | null | undefined, bound: bigint): boolean {
  return lastmod === null || (lastmod !== undefined && lastmod >= bound);
}

/**
 * Whether a body changed since an item of it was read (`bound`, lastmod at the node `now`); for an
 * item read at an ancestor, `atAncestor` is the body's lastmod there (see the module comment).
 */
export function bodyChanged(now: bigint | null | undefined, bound: bigint, atAncestor?: { lastmod: bigint | null | undefined }): boolean {
  if (!atAncestor) return changedSince(now, bound);
  if (now === undefined || atAncestor.lastmod === undefined) return false;
  return now !== atAncestor.lastmod || changedSince(atAncestor.lastmod, bound);
}

/** Whether the repo's segmentation may have changed since MutationID `then` was read (now: `now`). */
export function repoMoved(then: string | bigint | null | undefined, now: bigint): boolean {
  if (then === null || then === undefined || then === '') return true;
  return BigInt(then) !== now;
}

/**
 * The labelmap whose bodies a keyvalue instance's keys name: by FlyEM's naming (`segmentation_meshes`,
 * `segmentation_skeletons`, `segmentation_annotations` → `segmentation`, the longest such prefix), else
 * the only labelmap among `candidates` (the labelmaps of the sync), else none.
 */
export function bodyLabelmapOf(repo: RepoInfo, kvName: string, candidates: readonly string[] = []): string | null {
  let best: string | null = null;
  for (const [name, inst] of repo.instances) {
    if (inst.type !== 'labelmap' || !kvName.startsWith(`${name}_`)) continue;
    if (best === null || name.length > best.length) best = name;
  }
  if (best) return best;
  const lms = candidates.filter((c) => repo.instances.get(c)?.type === 'labelmap');
  return lms.length === 1 ? lms[0]! : null;
}
