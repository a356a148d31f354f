/**
 * Annotation elements over a tile of annotation blocks (`GET …/blocks/{size}/{offset}`, streamed
 * block by block). Each block's elements replace what the cache held in that block for this node
 * (within the item's filter), committed in batches while the stream runs; the cursor is a bitset of
 * the tile's blocks already stored. A resumed item asks only for the blocks not yet stored (covered
 * with as few boxes as possible). When a request completes, the blocks it did not contain are empty
 * and get an empty row (elements cached there earlier are gone), so "nothing here" is recorded.
 *
 * Whole blocks (no filter) are framed on this thread and parsed and packed in the worker pool
 * (PoolPacker), a few groups in flight, so the stream is read at the pool's pace (backpressure) and the
 * main thread only writes rows. A block that does not parse is a per-item failure; the blocks around it
 * are stored.
 *
 * Filters: bbox keeps elements inside the half-open voxel box; rois keeps those in any of the ROIs
 * (ROI membership by 32³ ROI block, floor division), as DVID's /roi endpoint would if the block sizes
 * matched (they do not in the hemibrain, DVID-API §6.2).
 */
import type { ElementStore } from '../../cache/element-store';
import { RecordError } from '../../dvid/http';
import type { AnnotationElement } from '../../formats/annotation';
import type { PackedBlock } from '../../formats/element-pack';
import { RoiBlockSet } from '../../formats/roi-spans';
import type { WorkerPool } from '../../workers/pool';
import { packAnnotationBlocksTask } from '../../workers/tasks/pack-annotation-blocks';
import type { SyncEnv } from '../env';
import { BoxBits, coordKey, coverWithBoxes, type Box } from '../geometry';
import type { ItemContext, ItemOutcome, Syncer } from '../item';
import type { ElementFilter, ItemSpec } from '../plan';

type ElementsSpec = Extract<ItemSpec, { kind: 'elements' }>;

const BATCH_ELEMENTS = 5000;
const BATCH_MS = 250;
/** Rough wire size of one element, for the rate display when the stream is parsed here, not counted. */
const BYTES_PER_ELEMENT = 160;
/** Blocks per pool task, and the JSON bytes that close a group early. */
const PACK_GROUP_BLOCKS = 32;
const PACK_GROUP_BYTES = 1 << 20;

export type Keep = (pos: readonly [number, number, number]) => boolean;

/** The filter of a scope; null = none (whole blocks). */
export async function elementFilter(env: SyncEnv, f: ElementFilter, signal?: AbortSignal): Promise<Keep | null> {
  switch (f.kind) {
    case 'none':
      return null;
    case 'bbox': {
      const b = f.box;
      return (p) => p[0] >= b[0] && p[0] < b[3] && p[1] >= b[1] && p[1] < b[4] && p[2] >= b[2] && p[2] < b[5];
    }
    case 'rois': {
      const sets = await Promise.all(
        f.rois.map(async (r) => {
          const info = await env.info(r, signal);
          const size = info.type === 'roi' ? info.extended.blockSize[0] : 32;
          return new RoiBlockSet(await env.roiSpans(r, signal), size);
        }),
      );
      return (p) => sets.some((s) => s.containsVoxel(p[0], p[1], p[2]));
    }
  }
}

export interface Arrived {
  coord: [number, number, number];
  elements: AnnotationElement[];
}

/** A block parsed and packed in the worker pool (whole-block scopes). */
export interface ArrivedPacked {
  coord: [number, number, number];
  packed: PackedBlock;
}

/**
 * Stores annotation blocks as they arrived: without a filter each block's row is replaced whole
 * (complete); with one, only the elements inside the filter are replaced. Call inside a write
 * transaction; returns the elements stored.
 */
export function storeElementBlocks(
  store: ElementStore,
  instanceId: number,
  nodeId: number,
  blocks: ReadonlyArray<Arrived | ArrivedPacked>,
  blockSize: readonly [number, number, number],
  keep: Keep | null,
  fetchId: number,
): number {
  let stored = 0;
  for (const b of blocks) {
    if ('packed' in b) {
      if (keep !== null) throw new Error('storeElementBlocks: packed blocks are whole blocks; a filtered scope stores parsed elements');
      store.putPacked(instanceId, nodeId, b.coord, blockSize[0], b.packed, true, fetchId);
      stored += b.packed.count;
    } else if (keep === null) {
      store.putBlock(instanceId, nodeId, b.coord, blockSize[0], b.elements, true, fetchId);
      stored += b.elements.length;
    } else {
      store.replaceWithin(instanceId, nodeId, b.coord, blockSize[0], b.elements, keep, fetchId);
      for (const e of b.elements) if (keep(e.pos)) stored++;
    }
  }
  return stored;
}

function storedCount(b: Arrived | ArrivedPacked, keep: Keep | null): number {
  if ('packed' in b) return b.packed.count;
  if (keep === null) return b.elements.length;
  let n = 0;
  for (const e of b.elements) if (keep(e.pos)) n++;
  return n;
}

/** What one group of blocks gave: the blocks that parsed, and the first that did not (a RecordError naming it). */
export interface PackedGroup {
  blocks: ArrivedPacked[];
  error: RecordError | null;
}

/**
 * Parses and packs blocks' element JSON in the pool, a group per task, keeping at most `maxInflight`
 * groups out; groups come back in arrival order. A block that does not parse fails alone: the others
 * of its group are returned with the error.
 */
export class PoolPacker {
  readonly #inflight: Array<Promise<PackedGroup>> = [];
  #coords: Array<[number, number, number]> = [];
  #blocks: Uint8Array[] = [];
  #bytes = 0;

  constructor(
    private readonly pool: WorkerPool,
    private readonly signal: AbortSignal | undefined,
    readonly maxInflight = Math.max(2, pool.size * 2),
  ) {}

  get inflight(): number {
    return this.#inflight.length;
  }

  /** Queues one block (its element array as UTF-8 JSON); sends the group when it is full. */
  add(coord: [number, number, number], json: Uint8Array): void {
    this.#coords.push(coord);
    this.#blocks.push(json);
    this.#bytes += json.length;
    if (this.#blocks.length >= PACK_GROUP_BLOCKS || this.#bytes >= PACK_GROUP_BYTES) this.dispatch();
  }

  /** Sends the queued blocks now. */
  dispatch(): void {
    if (this.#blocks.length === 0) return;
    const coords = this.#coords;
    const blocks = this.#blocks;
    this.#coords = [];
    this.#blocks = [];
    this.#bytes = 0;
    this.#inflight.push(
      this.pool.run(packAnnotationBlocksTask, { blocks }, { signal: this.signal }).then((results) => {
        const group: PackedGroup = { blocks: [], error: null };
        results.forEach((r, i) => {
          if (!('error' in r)) group.blocks.push({ coord: coords[i]!, packed: r });
          else group.error ??= new RecordError(`annotation block ${coordKey(coords[i]!)}: ${r.error}`);
        });
        return group;
      }),
    );
  }

  /** The oldest group. */
  next(): Promise<PackedGroup> {
    return this.#inflight.shift()!;
  }

  /** Every group still out, settled: the blocks that parsed (a task that failed whole, e.g. aborted, gives none). */
  async drain(): Promise<ArrivedPacked[]> {
    const settled = await Promise.allSettled(this.#inflight.splice(0));
    return settled.flatMap((r) => (r.status === 'fulfilled' ? r.value.blocks : []));
  }
}

export class ElementsSyncer implements Syncer {
  readonly kind = 'elements';
  constructor(private readonly env: SyncEnv) {}

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const env = this.env;
    const spec = ctx.spec as ElementsSpec;
    const instanceId = ctx.item.instanceId;
    const nodeId = ctx.job.nodeId;
    const keep = await elementFilter(env, spec.filter, ctx.signal);
    const bits = new BoxBits(spec.box, (ctx.cursor as { bits?: string } | null)?.bits);
    let doneItems = ctx.item.doneItems;
    let bytes = ctx.item.bytes;
    const store = ctx.cache.elements;
    const ann = env.client.annotation(env.node, env.name(instanceId));
    const bs = spec.blockSize;

    /** Replaces the cached elements of these blocks with what arrived; marks them done. */
    const commit = (blocks: Array<Arrived | ArrivedPacked>, final: boolean) => {
      if (blocks.length === 0 && !final) return;
      let stored = 0;
      for (const b of blocks) stored += storedCount(b, keep);
      const next = new BoxBits(spec.box, bits.toString());
      for (const b of blocks) next.add(b.coord);
      ctx.commit(
        (fetchId) => {
          storeElementBlocks(store, instanceId, nodeId, blocks, bs, keep, fetchId);
        },
        { cursor: { bits: next.toString() }, doneItems: doneItems + stored, bytes, done: final },
      );
      for (const b of blocks) bits.add(b.coord);
      doneItems += stored;
    };

    const remaining = bits.missing();
    const requests: Box[] = bits.count() === 0 ? [spec.box] : coverWithBoxes(remaining);
    for (const r of requests) {
      const size: [number, number, number] = [(r[3] - r[0]) * bs[0], (r[4] - r[1]) * bs[1], (r[5] - r[2]) * bs[2]];
      const offset: [number, number, number] = [r[0] * bs[0], r[1] * bs[1], r[2] * bs[2]];
      let pending: Array<Arrived | ArrivedPacked> = [];
      let pendingElements = 0;
      let last = Date.now();
      const seen = new Set<string>();
      const inBox = (c: readonly number[]) => c[0]! >= r[0] && c[0]! < r[3] && c[1]! >= r[1] && c[1]! < r[4] && c[2]! >= r[2] && c[2]! < r[5];
      const take = (blocks: Array<Arrived | ArrivedPacked>) => {
        for (const b of blocks) {
          pending.push(b);
          pendingElements += 'packed' in b ? b.packed.count : b.elements.length;
        }
        if (pendingElements >= BATCH_ELEMENTS || Date.now() - last > BATCH_MS) {
          commit(pending, false);
          pending = [];
          pendingElements = 0;
          last = Date.now();
        }
      };
      const takeGroup = (g: PackedGroup) => {
        take(g.blocks);
        if (g.error) throw g.error;
      };
      if (keep === null) {
        // Whole blocks: frame here, parse and pack in the pool.
        const packer = new PoolPacker(env.pool, ctx.signal);
        try {
          for await (const blk of ann.blockJson(size, offset, { signal: ctx.signal })) {
            const got = blk.json.length + 16;
            bytes += got;
            ctx.received(got);
            const c = blk.block;
            if (!inBox(c) || bits.has(c) || seen.has(coordKey(c))) continue;
            seen.add(coordKey(c));
            packer.add([c[0], c[1], c[2]], blk.json);
            while (packer.inflight >= packer.maxInflight) takeGroup(await packer.next());
          }
          packer.dispatch();
          while (packer.inflight > 0) takeGroup(await packer.next());
        } catch (err) {
          // Keep every block that arrived and parsed whole before the stream or a block broke; a bad
          // block is not marked done, so the retry asks for it (and the others missing) again.
          const rest = await packer.drain();
          if (!ctx.signal.aborted) commit([...pending, ...rest], false);
          throw err;
        }
      } else {
        try {
          for await (const blk of ann.blocks(size, offset, { signal: ctx.signal })) {
            const got = blk.elements.length * BYTES_PER_ELEMENT + 16;
            bytes += got;
            ctx.received(got);
            const c = blk.block;
            if (!inBox(c) || bits.has(c) || seen.has(coordKey(c))) continue;
            seen.add(coordKey(c));
            take([{ coord: [c[0], c[1], c[2]], elements: blk.elements }]);
          }
        } catch (err) {
          // Keep the blocks that arrived whole before the stream broke.
          if (!ctx.signal.aborted) commit(pending, false);
          throw err;
        }
      }
      // The request completed: its blocks that did not come are empty.
      for (let z = r[2]; z < r[5]; z++) {
        for (let y = r[1]; y < r[4]; y++) {
          for (let x = r[0]; x < r[3]; x++) if (!bits.has([x, y, z]) && !seen.has(`${x},${y},${z}`)) pending.push({ coord: [x, y, z], elements: [] });
        }
      }
      commit(pending, r === requests.at(-1));
    }
    return 'done';
  }
}
