/**
 * Annotation elements of given bodies (`GET …/label/{body}?relationships=true`), one commit per body;
 * the cursor counts the bodies done. Elements are added or replaced, never removed here: which cached
 * elements left a body is only known through the segmentation (issue 7's incremental sync).
 */
import type { SyncEnv } from '../env';
import type { ItemContext, ItemOutcome, Syncer } from '../item';
import type { ItemSpec } from '../plan';

type Spec = Extract<ItemSpec, { kind: 'element-bodies' }>;

export class ElementBodiesSyncer implements Syncer {
  readonly kind = 'element-bodies';
  constructor(private readonly env: SyncEnv) {}

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const spec = ctx.spec as Spec;
    const instanceId = ctx.item.instanceId;
    const ann = this.env.client.annotation(this.env.node, this.env.name(instanceId));
    let next = (ctx.cursor as { next?: number } | null)?.next ?? 0;
    let doneItems = ctx.item.doneItems;
    let bytes = ctx.item.bytes;
    for (; next < spec.bodies.length; next++) {
      const elements = await ann.label(BigInt(spec.bodies[next]!), { relationships: true, signal: ctx.signal });
      const got = elements.length * 160 + 2;
      bytes += got;
      ctx.received(got);
      doneItems += elements.length;
      ctx.commit(
        (fetchId) => {
          ctx.cache.elements.mergeElements(instanceId, ctx.job.nodeId, spec.blockSize[0], elements, fetchId);
        },
        { cursor: { next: next + 1 }, doneItems, bytes, done: next + 1 === spec.bodies.length },
      );
    }
    if (spec.bodies.length === 0) ctx.commit(() => undefined, { done: true });
    return 'done';
  }
}
