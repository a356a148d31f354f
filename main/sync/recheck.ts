/**
 * Whether cached data of open nodes are behind the server, asked without syncing: what
 * `dvid-desk status --check` prints and the app's staleness note uses. Per sync mark, the cheapest
 * signal DVID offers (DVID-API §3), the same ones an incremental sync plans from (delta.ts):
 *
 * - labelmap, keyvalue with a mutation log: the records after the mark's position.
 * - labelmap without a log (no `[mutations] jsonstore`): unchanged repo MutationID → not behind;
 *   else per-body `/lastmod` of every cached body (lastmod.ts), the only signal left.
 * - keyvalue without a log whose keys name bodies (meshes, skeletons, body annotations): the same,
 *   each value against the mutation id stored with it. Meshes and skeletons are made from a body, so
 *   no changed body means not behind; a body annotation is edited without the body changing, and any
 *   other keyvalue only a listing (a sync) can tell: unknown unless a body changed.
 * - annotation (edits go to Kafka only), labelsz and roi: unknown without a sync.
 * - a node locked then and now: not behind (a sync's spot check tells a server in full-write mode).
 *
 * Cost: one `/mutations` per logged instance; without logs, nothing while the repo MutationID stands
 * still, else one `/lastmod` per cached body (each asked once per check; lastmod.ts gives figures).
 */
import type { Cache } from '../cache/index';
import type { DvidClient } from '../dvid/client';
import type { Uuid } from '../dvid/paths';
import type { RepoInfo } from '../dvid/repo';
import { unpackLabelCounts } from '../workers/tasks/label-counts';
import { logKind } from './child';
import { bodyChanged, bodyLabelmapOf, boundOf, readLastmods, repoMoved, type Lastmods } from './lastmod';
import { allMarks, readLog, recordsAfter, type SyncMark } from './marks';
import { kvRole } from './planner';

export interface ServerCheck {
  instance: string;
  node: string;
  /** What answered: the node's mutation log, per-body /lastmod, the repo MutationID alone, nothing (unknown), or the lock. */
  signal: 'log' | 'lastmod' | 'repo-mutation-id' | 'none' | 'locked';
  /** true: the server has changes the cache lacks; false: it has none; null: cannot tell without a sync. */
  behind: boolean | null;
  /** One line for people. */
  detail: string;
  /** With signal 'lastmod': cached bodies asked, and how many changed since their data were read. */
  bodies?: { checked: number; changed: number };
}

export interface CheckOptions {
  /** Only these nodes (uuids); default every node with marks. */
  nodes?: readonly string[];
  signal?: AbortSignal;
}

/** Checks every sync mark of the cache (of `nodes`) against the server whose repo info is `repo`. */
export async function checkAgainstServer(cache: Cache, client: DvidClient, repo: RepoInfo, opts: CheckOptions = {}): Promise<ServerCheck[]> {
  const out: ServerCheck[] = [];
  const memo = new Map<string, Lastmods>();
  const lastmods = (node: Uuid, labelmap: string, bodies: Iterable<bigint>): Promise<Lastmods> => {
    const k = `${node}/${labelmap}`;
    if (!memo.has(k)) memo.set(k, new Map());
    return readLastmods(client, node, labelmap, bodies, { signal: opts.signal, into: memo.get(k) });
  };
  for (const [node, marks] of allMarks(cache)) {
    if (opts.nodes && !opts.nodes.includes(node)) continue;
    const live = repo.nodes.get(node as Uuid);
    const cached = cache.repo.node(node);
    const nodeId = cached?.id;
    for (const [instance, mark] of [...marks].toSorted(([a], [b]) => (a < b ? -1 : 1))) {
      const check = (signal: ServerCheck['signal'], behind: boolean | null, detail: string, bodies?: ServerCheck['bodies']): void => {
        out.push({ instance, node, signal, behind, detail, ...(bodies ? { bodies } : {}) });
      };
      const info = repo.instances.get(instance);
      if (!live || !info || nodeId === undefined) {
        check('none', null, 'the server no longer has this node or instance');
        continue;
      }
      if (live.locked && cached?.locked) {
        check('locked', false, 'locked: its data cannot change');
        continue;
      }
      const type = info.type === 'other' ? info.base.typeName : info.type;
      const kind = logKind(type);
      const uuid = node as Uuid;
      const instanceId = cache.repo.instance(instance)?.id;
      if (kind && instanceId !== undefined) {
        const log = mark.log ? await readLog(client, uuid, instance, kind, opts.signal) : null;
        if (log && mark.log) {
          const after = recordsAfter(kind, log, mark.log);
          if (after === null) check('log', true, 'the mutation log is not the one the last sync saw');
          else check('log', after.length > 0, after.length ? `${after.length} mutation(s) since the last sync` : 'no mutation since the last sync');
          continue;
        }
        const why = 'no mutation log';
        const unmoved = !repoMoved(mark.repoMutationId, repo.mutationId);
        if (kind === 'labelmap') {
          if (unmoved) {
            check('repo-mutation-id', false, `${why}; the repo MutationID has not moved since the last sync`);
            continue;
          }
          const bodies = cachedBodies(cache, instanceId, nodeId, mark);
          const now = await lastmods(uuid, instance, bodies);
          const bound = boundOf([mark.repoMutationId]);
          const changed = [...bodies].filter((b) => bodyChanged(now.get(b), bound)).length;
          check('lastmod', changed > 0, `${why}; /lastmod: ${changed} of ${bodies.size} cached bod(ies) changed since the last sync`, { checked: bodies.size, changed });
          continue;
        }
        const role = kvRole(instance, type);
        const markedLabelmaps = [...marks.keys()].filter((n) => repo.instances.get(n)?.type === 'labelmap');
        const labelmap = role === 'meshes' || role === 'skeletons' || role === 'body-annotations' ? bodyLabelmapOf(repo, instance, markedLabelmaps) : null;
        if (!labelmap) {
          check('none', null, `${why}; only a listing (a sync) can tell what changed`);
          continue;
        }
        // Meshes and skeletons follow their body; annotations are edited on their own.
        const unchanged = role === 'body-annotations' ? null : false;
        if (unmoved) {
          check('repo-mutation-id', unchanged, `${why}; no body changed since the last sync (repo MutationID)`);
          continue;
        }
        const entries = cache.kv.bodyEntries(instanceId, nodeId);
        const now = await lastmods(uuid, labelmap, entries.map((e) => e.body));
        const changedBodies = new Set(entries.filter((e) => bodyChanged(now.get(e.body), boundOf([mark.repoMutationId, e.fetchMutationId], e.mutationId))).map((e) => e.body));
        const checked = new Set(entries.map((e) => e.body)).size;
        check('lastmod', changedBodies.size > 0 ? true : unchanged, `${why}; /lastmod (${labelmap}): ${changedBodies.size} of ${checked} cached bod(ies) changed since their values were read`, {
          checked,
          changed: changedBodies.size,
        });
        continue;
      }
      check('none', null, type === 'annotation' ? 'annotation edits are logged to Kafka only: a sync compares the synapse counts' : `${type} keeps no change log: a sync reads it again`);
    }
  }
  return out;
}

/** The bodies a labelmap's cached data hold: its mapping's, or the labels of body-label blocks. */
function cachedBodies(cache: Cache, instanceId: number, nodeId: number, mark: SyncMark): Set<bigint> {
  const bodies = new Set(cache.svMap.bodies(instanceId, nodeId));
  if (mark.scope.includes('labels=bodies')) {
    const scales = cache.db.db.prepare('SELECT DISTINCT scale FROM blocks WHERE instance_id = ? AND node_id = ? AND supervoxels = 0').pluck().safeIntegers(false).all(instanceId, nodeId) as number[];
    for (const scale of scales) {
      for (const { labels } of cache.blocks.labelTables({ instanceId, nodeId, scale, supervoxels: false })) for (const l of unpackLabelCounts(labels).labels) if (l !== 0n) bodies.add(l);
    }
  }
  return bodies;
}
