/** The one-request items: an ROI's spans, and labelsz rankings (top N, every page, or given bodies). */
import type { LabelszIndex } from '../../dvid/labelsz';
import type { SyncEnv } from '../env';
import type { ItemContext, ItemOutcome, Syncer } from '../item';
import type { ItemSpec } from '../plan';

export class RoiSyncer implements Syncer {
  readonly kind = 'roi';
  constructor(private readonly env: SyncEnv) {}

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const name = this.env.name(ctx.item.instanceId);
    const [spans, info] = await Promise.all([this.env.client.roi(this.env.node, name).spans({ signal: ctx.signal }), this.env.info(name, ctx.signal)]);
    const blockSize = info.type === 'roi' ? info.extended.blockSize[0] : 32;
    const bytes = spans.length * 24 + 2;
    ctx.received(bytes);
    const blocks = spans.reduce((s, r) => s + (r[3] - r[2] + 1), 0);
    ctx.commit((fetchId) => ctx.cache.rois.put(ctx.item.instanceId, ctx.job.nodeId, blockSize, spans, fetchId), { doneItems: blocks, bytes, done: true });
    return 'done';
  }
}

const PAGE = 10_000;

export class LabelszSyncer implements Syncer {
  readonly kind = 'labelsz';
  constructor(private readonly env: SyncEnv) {}

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const spec = ctx.spec as Extract<ItemSpec, { kind: 'labelsz' }>;
    const lsz = this.env.client.labelsz(this.env.node, this.env.name(ctx.item.instanceId));
    const index = spec.index as LabelszIndex;
    const { instanceId } = ctx.item;
    const nodeId = ctx.job.nodeId;
    const store = ctx.cache.labelsz;
    if (spec.bodies) {
      const rows = await lsz.counts(spec.bodies.map(BigInt), index, { signal: ctx.signal });
      ctx.received(rows.length * 40);
      // rank −1: a count asked for by body, not a place in the ranking.
      ctx.commit((f) => rows.forEach((r) => store.appendIndex(instanceId, nodeId, index, [r], -1, f)), { doneItems: rows.length, bytes: rows.length * 40, done: true });
      return 'done';
    }
    if (spec.top !== undefined) {
      const rows = await lsz.top(spec.top, index, { signal: ctx.signal });
      ctx.received(rows.length * 40);
      ctx.commit((f) => store.replaceIndex(instanceId, nodeId, index, rows, f), { doneItems: rows.length, bytes: rows.length * 40, done: true });
      return 'done';
    }
    let offset = (ctx.cursor as { offset?: number } | null)?.offset ?? 0;
    let bytes = ctx.item.bytes;
    for (;;) {
      const rows = await lsz.threshold(1, index, { offset, n: PAGE, signal: ctx.signal });
      bytes += rows.length * 40;
      ctx.received(rows.length * 40);
      const first = offset;
      const last = rows.length < PAGE;
      offset += rows.length;
      ctx.commit(
        (f) => {
          if (first === 0) store.deleteIndex(instanceId, nodeId, index);
          store.appendIndex(instanceId, nodeId, index, rows, first, f);
        },
        { cursor: { offset }, doneItems: offset, bytes, done: last },
      );
      if (last) return 'done';
    }
  }
}
