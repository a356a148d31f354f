/**
 * Labelmap blocks: one item is a box of up to 8³ blocks (`/blocks`) or a list of up to 512 blocks
 * (`/specificblocks`), with compression=blocks (or raw LZ4 when a plan asks). Records are decoded in
 * the worker pool as they arrive (validated, histogrammed, hashed), in groups of up to 8, with at
 * most 2 × pool size groups in flight per item: when that many wait, the stream is not read further,
 * so TCP backpressure holds the server and memory stays bounded. Decoded blocks are committed every
 * BATCH blocks or BATCH_MS, while the stream still runs.
 *
 * Resuming is by data: the blocks of the item that already have a row written by this job (any row
 * on a locked node) are not asked for again; a box item that was partly stored continues with
 * /specificblocks for the rest. When a stream completes, the requested blocks it did not contain get a
 * row with hash NULL ("the server has no block here"). A block whose payload does not decode is a
 * per-item failure; the others are stored and the item is retried for the missing ones.
 */
import type { BlockKey } from '../../cache/block-store';
import { FormatError } from '../../formats/format-error';
import { decodeLabelBlocksTask, type DecodeLabelBlockResult } from '../../workers/tasks/decode-label-block';
import type { SyncEnv } from '../env';
import { coordKey, coordsOf } from '../geometry';
import type { ItemContext, ItemOutcome, Syncer } from '../item';
import type { ItemSpec } from '../plan';

type BlocksSpec = Extract<ItemSpec, { kind: 'blocks' }>;

interface Cursor {
  stored: number;
  empty: number;
}

const BATCH = 64;
const BATCH_MS = 250;
/** Blocks per worker task, and the payload bytes that close a group early. */
const GROUP_BLOCKS = 8;
const GROUP_BYTES = 512 * 1024;

/** The elements of one annotation block whose supervoxels a label block decode also reads. */
interface Target {
  instanceId: number;
  count: number;
}

interface Decoded {
  coord: [number, number, number];
  result: DecodeLabelBlockResult | null;
  error: unknown;
  targets: Target[];
}

interface Group {
  coords: Array<[number, number, number]>;
  payloads: Uint8Array[];
  points: Array<Int32Array | null>;
  targets: Target[][];
  bytes: number;
}

/** The half-open block box [x0, y0, z0, x1, y1, z1) around some block coordinates. */
function boundsOf(coords: ReadonlyArray<readonly [number, number, number]>): number[] {
  const b = [Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity];
  for (const c of coords) {
    for (let i = 0; i < 3; i++) {
      b[i] = Math.min(b[i]!, c[i]!);
      b[i + 3] = Math.max(b[i + 3]!, c[i]! + 1);
    }
  }
  return coords.length ? b : [0, 0, 0, 0, 0, 0];
}

function emptyGroup(): Group {
  return { coords: [], payloads: [], points: [], targets: [], bytes: 0 };
}

export class BlocksSyncer implements Syncer {
  readonly kind = 'blocks';
  constructor(private readonly env: SyncEnv) {}

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const env = this.env;
    const spec = ctx.spec as BlocksSpec;
    const name = env.name(ctx.item.instanceId);
    const bs = await env.blockSize(name, ctx.signal);
    const key: BlockKey = { instanceId: ctx.item.instanceId, nodeId: ctx.job.nodeId, scale: spec.scale, supervoxels: spec.supervoxels };
    // Scale-0 supervoxel blocks also give the supervoxel under the elements synced into the same block
    // coordinates (annotation blocks of the labelmap's block size), so no block is decoded twice.
    const annotations = spec.scale === 0 && spec.supervoxels && bs[0] === bs[1] && bs[1] === bs[2] ? env.annotationsSyncedTo(name) : [];
    const all: Array<[number, number, number]> = spec.coords ?? [...coordsOf(spec.box!)];
    // The positions of those elements: for a box (or a compact list) in one query per annotation
    // instance, else per block. Element blocks stored after this point get their supervoxels from the
    // element-svs item.
    const svJob = env.presentJob(ctx.job.id);
    const bounds = boundsOf(all);
    const compact = (bounds[3]! - bounds[0]!) * (bounds[4]! - bounds[1]!) * (bounds[5]! - bounds[2]!) <= 4 * all.length;
    const positions = annotations.map((a) => ({ instanceId: a, byBlock: compact ? ctx.cache.elements.positionsNeedingSupervoxelsIn(a, ctx.job.nodeId, bounds, bs[0], svJob) : null }));
    const pointsFor = (c: [number, number, number]): { points: Int32Array | null; targets: Target[] } => {
      const parts: Int32Array[] = [];
      const targets: Target[] = [];
      for (const { instanceId, byBlock } of positions) {
        const p = byBlock ? byBlock.get(coordKey(c)) : ctx.cache.elements.positionsNeedingSupervoxels(instanceId, ctx.job.nodeId, c, bs[0], svJob);
        if (!p) continue;
        parts.push(p);
        targets.push({ instanceId, count: p.length / 3 });
      }
      if (parts.length === 0) return { points: null, targets };
      const pts = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        for (let i = 0; i < p.length; i += 3) {
          pts[o++] = p[i]! - c[0] * bs[0];
          pts[o++] = p[i + 1]! - c[1] * bs[1];
          pts[o++] = p[i + 2]! - c[2] * bs[2];
        }
      }
      return { points: pts, targets };
    };
    const have = ctx.cache.blocks.present(key, all, env.presentJob(ctx.job.id));
    const want = all.filter((c) => !have.has(coordKey(c)));
    const cursor = (ctx.cursor as Cursor | null) ?? { stored: 0, empty: 0 };
    if (want.length === 0) {
      ctx.commit(() => undefined, { cursor, doneItems: all.length, done: true });
      return 'done';
    }
    const wanted = new Map(want.map((c) => [coordKey(c), c]));
    const seen = new Set<string>();
    let bytes = ctx.item.bytes;
    let failed = 0;
    /** Records of blocks not asked for: the answer cannot be trusted to say which blocks are absent. */
    const unexpected: string[] = [];
    const lm = env.client.labelmap(env.node, name);
    const compression: 'blocks' | 'lz4' = spec.compression ?? 'blocks';
    const opts = { compression, supervoxels: spec.supervoxels, scale: spec.scale, blockSize: bs, signal: ctx.signal };
    const stream =
      spec.box && have.size === 0
        ? lm.blocks(
            [(spec.box[3] - spec.box[0]) * bs[0], (spec.box[4] - spec.box[1]) * bs[1], (spec.box[5] - spec.box[2]) * bs[2]],
            [spec.box[0] * bs[0], spec.box[1] * bs[1], spec.box[2] * bs[2]],
            opts,
          )
        : lm.specificBlocks(want, opts);

    // Records go to the pool in groups (one thread hop for several blocks); at most maxInflight groups
    // are out at once, after which the stream is not read until one comes back.
    const inflight: Array<Promise<Decoded[]>> = [];
    const maxInflight = Math.max(2, env.pool.size * 2);
    let group = emptyGroup();
    const dispatch = () => {
      if (group.coords.length === 0) return;
      const g = group;
      group = emptyGroup();
      inflight.push(
        env.pool.run(decodeLabelBlocksTask, { payloads: g.payloads, compression, blockSize: bs, points: g.points }, { signal: ctx.signal }).then((results) =>
          results.map((r, i): Decoded =>
            'error' in r
              ? { coord: g.coords[i]!, result: null, error: new FormatError(r.error.format, r.error.offset, r.error.reason), targets: [] }
              : { coord: g.coords[i]!, result: r, error: null, targets: g.targets[i]! },
          ),
        ),
      );
    };
    let batch: Decoded[] = [];
    let lastCommit = Date.now();
    const commit = (final: boolean) => {
      const ok = batch.filter((d) => d.result);
      for (const d of batch) {
        if (!d.result) {
          failed++;
          ctx.fail(`block ${coordKey(d.coord)} (scale ${spec.scale})`, d.error);
        }
      }
      batch = [];
      lastCommit = Date.now();
      if (final && unexpected.length) {
        failed++;
        ctx.fail(
          `blocks of ${spec.box ? `box ${spec.box.join(',')}` : `${want.length} listed blocks`} (scale ${spec.scale})`,
          new Error(`the server sent ${unexpected.length} block(s) that were not asked for (e.g. ${unexpected.slice(0, 3).join('; ')}); the blocks it did not send are not recorded as empty`),
        );
      }
      const empties = final && unexpected.length === 0 ? [...wanted.entries()].filter(([k]) => !seen.has(k)).map(([, c]) => c) : [];
      if (ok.length === 0 && empties.length === 0 && !final) return;
      cursor.stored += ok.length;
      cursor.empty += empties.length;
      ctx.commit(
        (fetchId) => {
          for (const d of ok) {
            const r = d.result!;
            ctx.cache.blocks.putContent({ hash: r.hash, data: r.data, gx: r.gx, gy: r.gy, gz: r.gz, labels: r.labels, labelCount: r.labelCount });
            ctx.cache.blocks.putBlock(key, d.coord, r.hash, fetchId);
            let o = 0;
            for (const t of d.targets) {
              ctx.cache.elements.putSupervoxels(t.instanceId, key.nodeId, d.coord, key.instanceId, r.labelsAt!.slice(o, o + t.count), fetchId);
              o += t.count;
            }
          }
          for (const c of empties) ctx.cache.blocks.putBlock(key, c, null, fetchId);
        },
        { cursor, doneItems: have.size + cursor.stored + cursor.empty, bytes, done: final && failed === 0 },
      );
    };
    const settleOne = async () => {
      batch.push(...(await inflight.shift()!));
      if (batch.length >= BATCH || Date.now() - lastCommit > BATCH_MS) commit(false);
    };

    try {
      for await (const rec of stream) {
        bytes += rec.payload.length + 16;
        ctx.received(rec.payload.length + 16);
        const k = `${rec.bx},${rec.by},${rec.bz}`;
        if (!wanted.has(k)) {
          unexpected.push(k);
          continue;
        }
        if (seen.has(k)) continue; // sent twice: the first one counts
        seen.add(k);
        const coord: [number, number, number] = [rec.bx, rec.by, rec.bz];
        // The record may be a view into a larger socket chunk: the task sends an exact copy of it
        // (decodeLabelBlocksTask.transferCopy), so none is made here.
        group.coords.push(coord);
        group.payloads.push(rec.payload);
        const { points, targets } = pointsFor(coord);
        group.points.push(points);
        group.targets.push(targets);
        group.bytes += rec.payload.length;
        if (group.coords.length >= GROUP_BLOCKS || group.bytes >= GROUP_BYTES) dispatch();
        while (inflight.length >= maxInflight) await settleOne();
      }
    } catch (err) {
      // The stream broke (truncated, stalled, reset, error text after 200): keep what already arrived.
      if (!ctx.signal.aborted) dispatch();
      const settled = Promise.allSettled(inflight.splice(0)); // also observes rejections after an abort
      if (!ctx.signal.aborted) {
        for (const d of await settled) if (d.status === 'fulfilled') batch.push(...d.value);
        commit(false);
      }
      throw err;
    }
    dispatch();
    while (inflight.length) await settleOne();
    commit(true);
    return failed === 0 ? 'done' : 'partial';
  }
}
