/** What every syncer of one job shares: the DVID client bound to the node, the worker pool, instance facts. */
import type { Cache } from '../cache/index';
import type { DvidClient } from '../dvid/client';
import type { Uuid } from '../dvid/paths';
import type { InstanceInfo, RepoInfo } from '../dvid/repo';
import type { RoiSpan } from '../formats/roi-spans';
import type { WorkerPool } from '../workers/pool';

export class SyncEnv {
  readonly #infos = new Map<string, Promise<InstanceInfo>>();
  readonly #rois = new Map<string, Promise<RoiSpan[]>>();
  readonly #names: Map<number, string>;
  readonly #ids: Map<string, number>;

  constructor(
    readonly cache: Cache,
    readonly client: DvidClient,
    readonly node: Uuid,
    readonly nodeLocked: boolean,
    readonly repo: RepoInfo,
    readonly pool: WorkerPool,
  ) {
    const instances = cache.repo.instances();
    this.#names = new Map(instances.map((i) => [i.id, i.name]));
    this.#ids = new Map(instances.map((i) => [i.name, i.id]));
  }

  name(instanceId: number): string {
    const n = this.#names.get(instanceId);
    if (n === undefined) throw new Error(`instance #${instanceId} is not in the cache`);
    return n;
  }

  id(name: string): number {
    const i = this.#ids.get(name);
    if (i === undefined) throw new Error(`instance "${name}" is not in the cache`);
    return i;
  }

  /**
   * Rows written by `jobId` count as present; on a locked node anything cached counts (its data never
   * change), on an open node only this job's rows do (older ones may be stale).
   */
  presentJob(jobId: number): number | null {
    return this.nodeLocked ? null : jobId;
  }

  info(name: string, signal?: AbortSignal): Promise<InstanceInfo> {
    let p = this.#infos.get(name);
    if (!p) {
      p = this.client.repos.instanceInfo(this.node, name, { dag: this.repo, signal });
      p.catch(() => this.#infos.delete(name));
      this.#infos.set(name, p);
    }
    return p;
  }

  async blockSize(labelmap: string, signal?: AbortSignal): Promise<[number, number, number]> {
    const info = await this.info(labelmap, signal);
    if (info.type !== 'labelmap') throw new Error(`${labelmap} is not a labelmap`);
    return info.extended.blockSize;
  }

  /** Instances (local ids) of the annotation instances that sync to `labelmap`. */
  annotationsSyncedTo(labelmap: string): number[] {
    const out: number[] = [];
    for (const [name, info] of this.repo.instances) {
      if (info.type === 'annotation' && info.base.syncs.includes(labelmap) && this.#ids.has(name)) out.push(this.#ids.get(name)!);
    }
    return out;
  }

  /** An ROI's spans: from the cache when this node's are stored, else from the server (once). */
  roiSpans(name: string, signal?: AbortSignal): Promise<RoiSpan[]> {
    let p = this.#rois.get(name);
    if (!p) {
      const id = this.#ids.get(name);
      const nodeId = this.cache.repo.node(this.node)?.id;
      const cached = id !== undefined && nodeId !== undefined ? this.cache.rois.get(id, nodeId) : null;
      p = cached ? Promise.resolve(cached.spans as RoiSpan[]) : this.client.roi(this.node, name).spans({ signal });
      p.catch(() => this.#rois.delete(name));
      this.#rois.set(name, p);
    }
    return p;
  }
}
