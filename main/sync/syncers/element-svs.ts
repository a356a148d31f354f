/**
 * The supervoxel under each synced element, in the labelmap the annotation instance syncs to, stored
 * per annotation block (one uint64 per element, in the block's element order). Labels come from the
 * cached supervoxel blocks at scale 0 when they are there (read in the worker pool, one decode per
 * label block), otherwise from GET /labels?supervoxels=true, up to 5,000 points a request. A group of
 * annotation blocks is committed at a time; the cursor is the last block handled (key order).
 *
 * Supervoxels read remotely lie outside the synced label blocks, so the `mapping` item (which maps
 * the supervoxels of the synced blocks) does not know them: their bodies are asked for here with
 * GET /mapping and committed with the supervoxels, so that every stored element has a body (the
 * derived tables need it) even when no label block is synced.
 */
import type { BlockKey } from '../../cache/block-store';
import { labelsAtPointsTask } from '../../workers/tasks/labels-at-points';
import type { SyncEnv } from '../env';
import { floorDiv } from '../geometry';
import type { ItemContext, ItemOutcome, Syncer } from '../item';
import type { ItemSpec } from '../plan';

type Spec = Extract<ItemSpec, { kind: 'element-svs' }>;
type Coord = [number, number, number];

/** Annotation blocks per commit, and points per /labels request. */
const BLOCKS_PER_COMMIT = 64;
const POINTS_PER_REQUEST = 5000;
const SVS_PER_MAPPING = 10_000;

interface Slot {
  block: number;
  index: number;
}

export class ElementSvsSyncer implements Syncer {
  readonly kind = 'element-svs';
  constructor(private readonly env: SyncEnv) {}

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const env = this.env;
    const spec = ctx.spec as Spec;
    const instanceId = ctx.item.instanceId;
    const nodeId = ctx.job.nodeId;
    const lmId = env.id(spec.labelmap);
    const bs = await env.blockSize(spec.labelmap, ctx.signal);
    const lm = env.client.labelmap(env.node, spec.labelmap);
    const key: BlockKey = { instanceId: lmId, nodeId, scale: 0, supervoxels: true };
    let after = ((ctx.cursor as { after?: Coord } | null)?.after ?? null) as Coord | null;
    let doneItems = ctx.item.doneItems;
    let bytes = ctx.item.bytes;
    const mapped = new Set<bigint>();
    for (;;) {
      // missingOnly (incremental syncs): a block rewritten lost its row, so "no row" is what changed.
      const blocks = ctx.cache.elements.blocksWithoutSupervoxels(instanceId, nodeId, BLOCKS_PER_COMMIT, spec.missingOnly ? null : env.presentJob(ctx.job.id), after);
      if (blocks.length === 0) break;
      const svs = blocks.map((b) => new BigUint64Array(b.positions.length / 3));
      // Points grouped by the label block they fall in.
      const byLabelBlock = new Map<string, { coord: Coord; slots: Slot[] }>();
      blocks.forEach((b, bi) => {
        const p = b.positions;
        for (let i = 0; i < p.length / 3; i++) {
          const c: Coord = [floorDiv(p[3 * i]!, bs[0]), floorDiv(p[3 * i + 1]!, bs[1]), floorDiv(p[3 * i + 2]!, bs[2])];
          const k = c.join();
          const g = byLabelBlock.get(k);
          if (g) g.slots.push({ block: bi, index: i });
          else byLabelBlock.set(k, { coord: c, slots: [{ block: bi, index: i }] });
        }
      });
      const pointOf = (s: Slot): Coord => {
        const p = blocks[s.block]!.positions;
        return [p[3 * s.index]!, p[3 * s.index + 1]!, p[3 * s.index + 2]!];
      };
      const remote: Slot[] = [];
      const pooled: Array<Promise<void>> = [];
      for (const { coord, slots } of byLabelBlock.values()) {
        const cached = ctx.cache.blocks.get(key, coord);
        if (cached && cached.hash === null) continue; // the server has no block there: background, 0
        if (!cached?.data) {
          remote.push(...slots);
          continue;
        }
        const local = new Int32Array(slots.length * 3);
        slots.forEach((s, i) => {
          const p = pointOf(s);
          local[3 * i] = p[0] - coord[0] * bs[0];
          local[3 * i + 1] = p[1] - coord[1] * bs[1];
          local[3 * i + 2] = p[2] - coord[2] * bs[2];
        });
        pooled.push(
          env.pool.run(labelsAtPointsTask, { data: new Uint8Array(cached.data), points: local }, { signal: ctx.signal }).then(({ labels }) => {
            slots.forEach((s, i) => (svs[s.block]![s.index] = labels[i]!));
          }),
        );
      }
      const settled = Promise.allSettled(pooled); // never rejects: a failed remote call leaves nothing unobserved
      for (let i = 0; i < remote.length; i += POINTS_PER_REQUEST) {
        const part = remote.slice(i, i + POINTS_PER_REQUEST);
        const labels = await lm.labels(part.map(pointOf), { supervoxels: true, signal: ctx.signal });
        const got = part.length * 24;
        bytes += got;
        ctx.received(got);
        part.forEach((s, j) => (svs[s.block]![s.index] = labels[j]!));
      }
      for (const r of await settled) if (r.status === 'rejected') throw r.reason;
      const unmapped = new Set<bigint>();
      for (const s of remote) {
        const sv = svs[s.block]![s.index]!;
        if (sv !== 0n && !mapped.has(sv)) unmapped.add(sv);
      }
      for (const sv of ctx.cache.svMap.present(lmId, nodeId, unmapped, env.presentJob(ctx.job.id))) unmapped.delete(sv);
      const toMap = [...unmapped].toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const bodies: bigint[] = [];
      for (let i = 0; i < toMap.length; i += SVS_PER_MAPPING) {
        const part = toMap.slice(i, i + SVS_PER_MAPPING);
        bodies.push(...(await lm.mapping(part, { signal: ctx.signal })));
        const got = part.length * 24;
        bytes += got;
        ctx.received(got);
      }
      after = blocks.at(-1)!.coord;
      const last = after;
      doneItems += svs.reduce((n, a) => n + a.length, 0);
      ctx.commit(
        (fetchId) => {
          blocks.forEach((b, i) => ctx.cache.elements.putSupervoxels(instanceId, nodeId, b.coord, lmId, svs[i]!, fetchId));
          toMap.forEach((sv, i) => ctx.cache.svMap.put(lmId, nodeId, sv, bodies[i]!, fetchId));
        },
        { cursor: { after: last }, doneItems, bytes },
      );
      for (const sv of toMap) mapped.add(sv);
    }
    ctx.commit(() => undefined, { doneItems, done: true });
    return 'done';
  }
}
