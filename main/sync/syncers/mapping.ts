/**
 * The supervoxel → body mapping of the synced region: every supervoxel found in this instance's
 * synced supervoxel blocks (from the stored label histograms, no decoding) is asked for with
 * GET /mapping in batches, each batch committed with its rows. Resumes by data: supervoxels already
 * mapped by this job (any job on a locked node) are skipped.
 *
 * An incremental sync gives `refresh`: the supervoxels a mutation moved (mapped again unless this job
 * already did), plus any supervoxel of the synced blocks that has no mapping row at all (new ones
 * from blocks fetched again); the rest of the mapping is kept.
 */
import { unpackLabelCounts } from '../../workers/tasks/label-counts';
import type { SyncEnv } from '../env';
import type { ItemContext, ItemOutcome, Syncer } from '../item';

const BATCH = 10_000;

export class MappingSyncer implements Syncer {
  readonly kind = 'mapping';
  constructor(private readonly env: SyncEnv) {}

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const env = this.env;
    const instanceId = ctx.item.instanceId;
    const nodeId = ctx.job.nodeId;
    const svs = new Set<bigint>();
    const scales = ctx.cache.db.db
      .prepare('SELECT DISTINCT scale FROM blocks WHERE instance_id = ? AND node_id = ? AND supervoxels = 1')
      .pluck()
      .safeIntegers(false)
      .all(instanceId, nodeId) as number[];
    for (const scale of scales) {
      for (const { labels } of ctx.cache.blocks.labelTables({ instanceId, nodeId, scale, supervoxels: true })) {
        for (const l of unpackLabelCounts(labels).labels) if (l !== 0n) svs.add(l);
      }
    }
    const refresh = (ctx.spec as { refresh?: string[] }).refresh;
    let todo: bigint[];
    let done: Set<bigint>;
    if (refresh) {
      const mapped = ctx.cache.svMap.present(instanceId, nodeId, svs, null);
      const again = refresh.map(BigInt);
      const doneAgain = ctx.cache.svMap.present(instanceId, nodeId, again, ctx.job.id);
      const set = new Set(again.filter((s) => !doneAgain.has(s)));
      for (const s of svs) if (!mapped.has(s)) set.add(s);
      todo = [...set].toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      done = doneAgain;
    } else {
      done = ctx.cache.svMap.present(instanceId, nodeId, svs, env.presentJob(ctx.job.id));
      todo = [...svs].filter((s) => !done.has(s)).toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    const lm = env.client.labelmap(env.node, env.name(instanceId));
    let mapped = done.size;
    let bytes = ctx.item.bytes;
    for (let i = 0; i < todo.length; i += BATCH) {
      const batch = todo.slice(i, i + BATCH);
      const bodies = await lm.mapping(batch, { signal: ctx.signal });
      const got = batch.length * 24;
      bytes += got;
      ctx.received(got);
      mapped += batch.length;
      ctx.commit(
        (fetchId) => {
          for (let j = 0; j < batch.length; j++) ctx.cache.svMap.put(instanceId, nodeId, batch[j]!, bodies[j]!, fetchId);
        },
        { doneItems: mapped, bytes, done: i + BATCH >= todo.length },
      );
    }
    if (todo.length === 0) ctx.commit(() => undefined, { doneItems: mapped, done: true });
    return 'done';
  }
}
