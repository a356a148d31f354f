/**
 * Choosing the cached ancestor a node's sync starts from, and the logs between them (main/sync/child.ts),
 * on a deeper DAG than the demo's two nodes: root → p1 → p2 → node, plus a merge node. And the
 * /lastmod rules of main/sync/lastmod.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../../../main/cache/index';
import type { DvidClient } from '../../../../main/dvid/client';
import { DvidBadRequestError } from '../../../../main/dvid/errors';
import { readMutationRecord, type MutationRecord } from '../../../../main/dvid/labelmap';
import type { Uuid } from '../../../../main/dvid/paths';
import type { DagNode, InstanceInfo, RepoInfo, ResolvedNode } from '../../../../main/dvid/repo';
import { findCachedAncestor, inheritedLogs } from '../../../../main/sync/child';
import { bodyChanged, bodyLabelmapOf, boundOf, changedSince, repoMoved } from '../../../../main/sync/lastmod';
import { positionOf, writeMark, type SyncMark } from '../../../../main/sync/marks';
import { parseInstanceArg } from '../../../../main/sync/scope';
import { openTemp } from '../../../support/cache-fixture';

const u = (c: string) => c.repeat(32) as Uuid;
const [ROOT, P1, P2, NODE, OTHER, MERGED] = [u('1'), u('2'), u('3'), u('4'), u('5'), u('6')];

function dagNode(uuid: Uuid, versionId: number, parents: Uuid[], locked = true): DagNode {
  return { uuid, versionId, branch: '', locked, note: '', log: [], parents, children: [], created: '', updated: '' };
}

function instance(name: string, type: 'labelmap' | 'keyvalue'): InstanceInfo {
  const base = { typeName: type, name, dataUuid: '', syncs: [], versioned: true } as unknown as InstanceInfo['base'];
  return (type === 'labelmap' ? { type, base, extended: {} } : { type, base }) as InstanceInfo;
}

const nodes = [dagNode(ROOT, 1, []), dagNode(P1, 2, [ROOT]), dagNode(P2, 3, [P1]), dagNode(NODE, 4, [P2], false), dagNode(OTHER, 5, [ROOT]), dagNode(MERGED, 6, [P2, OTHER], false)];
const repo = {
  root: ROOT,
  nodes: new Map(nodes.map((n) => [n.uuid, n])),
  instances: new Map([
    ['segmentation', instance('segmentation', 'labelmap')],
    ['segmentation_annotations', instance('segmentation_annotations', 'keyvalue')],
    ['mito', instance('mito', 'labelmap')],
  ]),
  mutationId: 1000n,
} as unknown as RepoInfo;
const resolvedAt = (uuid: Uuid): ResolvedNode => ({ uuid, repo, node: repo.nodes.get(uuid)! });

const rec = (id: number) => readMutationRecord(`{"Action":"merge-complete","Labels":[${id + 100}],"MutationID":${id},"Target":${id},"Timestamp":"t","UUID":"u"}`);
const mark = (jobId: number, log: SyncMark['log']): SyncMark => ({ scope: 'all', syncedAt: 1, checkedAt: 1, repoMutationId: '900', jobId, log });

let done: (() => void) | null = null;
afterEach(() => done?.());

function cacheWithMarks(marks: Array<[Uuid, string, SyncMark]>): Cache {
  const t = openTemp();
  done = t.cleanup;
  t.cache.write(() => {
    t.cache.repo.save({
      rootUuid: ROOT,
      alias: null,
      description: null,
      mutationId: 1000n,
      properties: {},
      log: [],
      nodes: nodes.map((n) => ({ uuid: n.uuid, versionId: n.versionId, branch: '', locked: n.locked, note: null, log: [], parents: n.parents, children: [], created: null, updated: null })),
      instances: [...repo.instances.values()].map((i) => ({ name: i.base.name, type: i.base.typeName, dataUuid: null })),
    });
    for (const [node, name, m] of marks) writeMark(t.cache, node, name, m);
  });
  return t.cache;
}

/** A client whose /mutations answer from `logs` (node → instance → records; absent = no jsonstore). */
function logClient(logs: Record<string, Record<string, MutationRecord[]>>): DvidClient {
  const stream = (node: string, name: string) =>
    (async function* () {
      const l = logs[node]?.[name];
      if (!l) throw new DvidBadRequestError({ method: 'GET', path: `/api/node/${node}/${name}/mutations`, status: 400, serverText: 'no jsonstore configured' });
      yield* l;
    })();
  return { labelmap: (node: string, name: string) => ({ mutations: () => stream(node, name) }), keyvalue: (node: string, name: string) => ({ mutations: () => stream(node, name) }) } as unknown as DvidClient;
}

const scopes = (...names: string[]) => names.map((n) => parseInstanceArg(n));

describe('the cached ancestor of a node', () => {
  it('is the nearest holding the most of the sync’s instances with the same scopes', () => {
    const cache = cacheWithMarks([
      [ROOT, 'segmentation', mark(1, { count: 2, last: '2' })],
      [ROOT, 'segmentation_annotations', mark(1, null)],
      [P1, 'segmentation_annotations', mark(2, null)],
      [P1, 'mito', { ...mark(2, null), scope: 'bbox:0,0,0-64,64,64' }],
    ]);
    const both = findCachedAncestor(cache, resolvedAt(NODE), scopes('segmentation', 'segmentation_annotations'))!;
    expect({ uuid: both.uuid, generations: both.generations, between: both.between, marks: [...both.marks.keys()] }).toEqual({
      uuid: ROOT,
      generations: 3,
      between: [P1, P2],
      marks: ['segmentation', 'segmentation_annotations'],
    });
    const one = findCachedAncestor(cache, resolvedAt(NODE), scopes('segmentation_annotations'))!;
    expect({ uuid: one.uuid, generations: one.generations, between: one.between }).toEqual({ uuid: P1, generations: 2, between: [P2] });
    // Another scope does not count; a node with two parents reads as their merge: no ancestor.
    expect(findCachedAncestor(cache, resolvedAt(NODE), scopes('mito'))).toBeNull();
    expect(findCachedAncestor(cache, resolvedAt(MERGED), scopes('segmentation'))).toBeNull();
    expect(findCachedAncestor(cache, resolvedAt(ROOT), scopes('segmentation'))).toBeNull();
  });

  it('inherits the ancestor’s records after its mark, then every node’s in between, oldest first', async () => {
    const rootLog = [rec(1), rec(2), rec(3)];
    const cache = cacheWithMarks([
      [ROOT, 'segmentation', mark(1, positionOf('labelmap', rootLog.slice(0, 2)))],
      [ROOT, 'mito', mark(1, positionOf('labelmap', [rec(1)]))],
      [ROOT, 'segmentation_annotations', mark(1, null)],
    ]);
    const ancestor = findCachedAncestor(cache, resolvedAt(NODE), scopes('segmentation', 'mito', 'segmentation_annotations'))!;
    const logs = await inheritedLogs(
      logClient({
        [ROOT]: { segmentation: rootLog, mito: [rec(9)], segmentation_annotations: [] },
        [P1]: { segmentation: [rec(4)], mito: [] },
        [P2]: { segmentation: [rec(5), rec(6)], mito: [] },
      }),
      resolvedAt(NODE),
      ancestor,
    );
    expect((logs.get('segmentation') as MutationRecord[]).map((r) => r.mutationId)).toEqual([3n, 4n, 5n, 6n]);
    // The ancestor's log is not the one its mark saw: that instance cannot follow logs.
    expect(logs.get('mito')).toBe('mismatch');
    // The mark saw no log: the changes since cannot be read from logs (per-body /lastmod instead).
    expect(logs.get('segmentation_annotations')).toBe('no-log');
    // A node on the way without a log.
    const gap = await inheritedLogs(logClient({ [ROOT]: { segmentation: rootLog }, [P2]: { segmentation: [] } }), resolvedAt(NODE), ancestor);
    expect(gap.get('segmentation')).toBe('no-log');
  });
});

describe('/lastmod rules', () => {
  it('an item reflects every mutation below its bound: the largest repo MutationID read before it, or its embedded id + 1', () => {
    expect(boundOf(['900', 950n, null, undefined])).toBe(950n);
    expect(boundOf(['900'], 1200n)).toBe(1201n);
    expect(boundOf([null], null)).toBe(0n);
    // DVID hands out the MutationID repo info announced: a mutation with exactly that id came after.
    expect(changedSince(900n, 900n)).toBe(true);
    expect(changedSince(899n, 900n)).toBe(false);
    expect(changedSince(null, 900n)).toBe(true); // the body is gone
    expect(changedSince(undefined, 900n)).toBe(false); // not asked
    expect(repoMoved('900', 900n)).toBe(false);
    expect(repoMoved('900', 901n)).toBe(true);
    expect(repoMoved(undefined, 900n)).toBe(true);
  });

  it('for data read at an ancestor, a body changed when its lastmod differs there, whatever the bound', () => {
    // Edited in the child before the ancestor was synced: older than the bound, yet changed.
    expect(bodyChanged(850n, 900n, { lastmod: 700n })).toBe(true);
    expect(bodyChanged(700n, 900n, { lastmod: 700n })).toBe(false);
    expect(bodyChanged(null, 900n, { lastmod: 700n })).toBe(true);
    expect(bodyChanged(null, 900n, { lastmod: null })).toBe(true);
    // Changed at the ancestor itself after its sync.
    expect(bodyChanged(950n, 900n, { lastmod: 950n })).toBe(true);
    expect(bodyChanged(850n, 900n)).toBe(false);
  });

  it('a keyvalue instance names the bodies of the labelmap its name starts with, else the sync’s only labelmap', () => {
    expect(bodyLabelmapOf(repo, 'segmentation_annotations')).toBe('segmentation');
    expect(bodyLabelmapOf(repo, 'bodies', ['mito'])).toBe('mito');
    expect(bodyLabelmapOf(repo, 'bodies', ['mito', 'segmentation'])).toBeNull();
  });
});
