/**
 * Setting a sync up in the cache: the discovery facts (repo, DAG, instances, each synced instance's
 * /info at the node), and the job with its items from a plan, or the unfinished job of the same plan.
 */
import type { Cache } from '../cache/index';
import type { JobRow } from '../cache/job-store';
import type { RepoInput } from '../cache/repo-store';
import type { DvidClient } from '../dvid/client';
import { nodePath } from '../dvid/paths';
import type { RepoInfo, ResolvedNode } from '../dvid/repo';
import { PHASE, type Plan } from './plan';

export function repoInputOf(repo: RepoInfo): RepoInput {
  return {
    rootUuid: repo.root,
    alias: repo.alias || null,
    description: repo.description || null,
    mutationId: repo.mutationId,
    properties: repo.properties,
    log: repo.log,
    nodes: [...repo.nodes.values()].map((n) => ({
      uuid: n.uuid,
      versionId: n.versionId,
      branch: n.branch,
      locked: n.locked,
      note: n.note || null,
      log: n.log,
      parents: n.parents,
      children: n.children,
      created: n.created || null,
      updated: n.updated || null,
    })),
    instances: [...repo.instances.values()].map((i) => ({ name: i.base.name, type: i.base.typeName, dataUuid: i.base.dataUuid || null })),
  };
}

/** Stores what discovery learned; returns the node's local id. */
export function saveDiscovery(cache: Cache, resolved: ResolvedNode, serverUrl: string): number {
  return cache.write(() => {
    if (cache.info('server_url') === null) cache.setInfo('server_url', serverUrl);
    if (cache.info('created_at') === null) cache.setInfo('created_at', new Date().toISOString());
    cache.repo.save(repoInputOf(resolved.repo));
    return cache.repo.node(resolved.uuid)!.id;
  }, 'storing the repo DAG');
}

/** Fetches and stores the /info JSON (verbatim) of the given instances at the node. */
export async function saveInstanceInfos(cache: Cache, client: DvidClient, resolved: ResolvedNode, names: readonly string[], signal?: AbortSignal): Promise<void> {
  const nodeId = cache.repo.node(resolved.uuid)!.id;
  const texts = await Promise.all(names.map((n) => client.http.text({ method: 'GET', path: nodePath(resolved.uuid, n, 'info'), expect: 'json' }, { signal })));
  cache.write(() => {
    for (let i = 0; i < names.length; i++) {
      const instanceId = cache.repo.instance(names[i]!)!.id;
      const fetchId = cache.fetches!.record({ jobId: null, instanceId, nodeId, request: `GET info`, mutationId: resolved.repo.mutationId });
      cache.infos.put(instanceId, nodeId, texts[i]!, fetchId);
    }
  }, 'storing instance info');
}

/** The summary stored with a job (no items: those are the job's sync_items rows). */
export function planSummary(plan: Plan): string {
  return JSON.stringify({
    ...plan,
    instances: plan.instances.map(({ items, ...rest }) => ({ ...rest, requests: items.length })),
  });
}

export function createJob(cache: Cache, plan: Plan, nodeId: number): JobRow {
  return cache.write(() => {
    let seq = 0;
    const items = plan.instances.flatMap((inst) => {
      const instanceId = cache.repo.instance(inst.name)!.id;
      return inst.items.map((it) => ({
        seq: seq++,
        instanceId,
        kind: it.spec.kind,
        spec: JSON.stringify(it.spec),
        phase: PHASE[it.spec.kind],
        estItems: it.units,
        estBytes: it.bytes,
      }));
    });
    return cache.jobs.create({ nodeId, planKey: plan.key, plan: planSummary(plan), mutationId: BigInt(plan.mutationId) }, items);
  }, 'creating the sync job');
}
