/**
 * The body view's and the slice viewer's API methods (issue 9), answered for the active node from
 * its cache only: bodyMesh, bodySkeleton, bodySynapses, roiMesh, slice, sliceInfo, bodyNames,
 * bodyGeometry.
 *
 * The calling thread only looks things up in SQLite (through DeriveService.read, so it shares the
 * active node and the connection with the search); decoding and preparation run in the worker pool
 * (main/workers/tasks: prepareMesh, preparePreview, prepareSkeleton, renderSlice), whose results are
 * transferred back and returned as they are. Prepared meshes and skeletons are kept in a byte-bounded
 * LRU keyed by the file's sha256, so reopening a body (or showing it among many) costs a lookup.
 *
 * Mesh previews (bodyMesh with maxTriangles, what the 3D view draws first for a big body) are kept in
 * the cache too (cache/prepared-store.ts): the sync makes them for big body meshes, and a first
 * request that finds none makes it in the pool and stores it. Serving a stored one reads about a
 * megabyte and scales it to voxels on this thread (≈ 2 ms, mesh-units.ts), no worker involved, so a
 * body opened for the first time after a sync is on screen as fast as one opened before.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { BodyGeometry, BodyName, SliceInfo, SliceRequest } from '../../preload/api';
import { allocSlice, SLICE_AXES, type SliceAxisCode } from '../../preload/binary';
import type { Cache } from '../cache/index';
import { parseU64, u64ToDb } from '../cache/u64';
import type { DeriveService } from '../derive/service';
import { NotFoundError } from '../derive/queries';
import { defaultPoolSize, WorkerPool } from '../workers/pool';
import { decodePreparedMesh } from '../formats/prepared-mesh';
import { meshTriangleCount } from '../formats/mesh';
import type { PreparedKey, PreparedStore } from '../cache/prepared-store';
import { previewToMeshBuffer } from '../workers/tasks/mesh-units';
import { prepareMeshTask } from '../workers/tasks/prepare-mesh';
import { PREVIEW_ALGORITHM, preparePreviewTask } from '../workers/tasks/prepare-preview';
import { prepareSkeletonTask } from '../workers/tasks/prepare-skeleton';
import { renderSliceTask } from '../workers/tasks/render-slice';
import { ByteLru } from './lru';
import { sliceArgs } from './slice';
import { geometryOf, labelmapsWithBlocks, meshEntry, roiMeshEntry, skeletonEntry, valueOf, voxelFrame, type KvRef, type VoxelFrame } from './sources';
import { synapsesOf } from './synapses';

export interface ViewServiceOptions {
  /** Worker threads for preparation (default: the machine's cores − 1). */
  poolSize?: number;
  /** Bytes of prepared meshes and skeletons kept (default 256 MiB). */
  preparedBytes?: number;
}

interface Prep {
  key: string;
  bytes: Uint8Array | null;
  frame: VoxelFrame;
  what: string;
}

type PreviewLookup =
  | { kind: 'hit'; key: string }
  | { kind: 'stored'; key: string; frame: VoxelFrame; buffer: ArrayBuffer }
  | { kind: 'make'; key: string; frame: VoxelFrame; bytes: Uint8Array; what: string; store: PreparedStore; pkey: PreparedKey };

export class ViewService {
  readonly #derive: DeriveService;
  readonly #opts: ViewServiceOptions;
  readonly #prepared: ByteLru;
  #pool: WorkerPool | null = null;

  constructor(derive: DeriveService, opts: ViewServiceOptions = {}) {
    this.#derive = derive;
    this.#opts = opts;
    this.#prepared = new ByteLru(opts.preparedBytes ?? 256 * 1024 * 1024);
  }

  get #workers(): WorkerPool {
    this.#pool ??= new WorkerPool({ size: this.#opts.poolSize ?? defaultPoolSize() });
    return this.#pool;
  }

  /** Looks up an entry and reads its bytes unless the prepared result is cached. */
  #prep(cache: Cache, nodeId: number, frame: VoxelFrame, kind: string, ref: Pick<KvRef, 'instanceId' | 'key'>, hash: Buffer, what: string): Prep {
    const key = `${kind}:${hash.toString('hex')}:${frame.voxelSize.join(',')}:${JSON.stringify(frame.extent)}`;
    const bytes = this.#prepared.get(key) ? null : valueOf(cache, nodeId, ref);
    return { key, bytes: bytes ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null, frame, what };
  }

  async #run(p: Prep, task: 'mesh' | 'skeleton'): Promise<ArrayBuffer> {
    const hit = this.#prepared.get(p.key);
    if (hit) return hit;
    const args = { bytes: p.bytes!, voxelSize: p.frame.voxelSize, extent: p.frame.extent, units: 'auto' as const, what: p.what };
    const { buffer } = task === 'mesh' ? await this.#workers.run(prepareMeshTask, args) : await this.#workers.run(prepareSkeletonTask, args);
    this.#prepared.set(p.key, buffer);
    return buffer;
  }

  async bodyMesh(args: { bodyId: string; maxTriangles?: number }): Promise<ArrayBuffer> {
    const id = parseU64(args.bodyId);
    if (args.maxTriangles !== undefined) return this.#preview(id, args.maxTriangles);
    const p = await this.#derive.read((cache, ctx) => {
      const db = cache.db.db;
      const ref = meshEntry(db, ctx.config, id);
      if (!ref) throw new NotFoundError(`body ${id} has no mesh in the cache at this node`);
      return this.#prep(cache, ctx.config.nodeId, voxelFrame(db, ctx.config), 'mesh', ref, ref.hash, `${ref.instance}/${ref.key}`);
    });
    return this.#run(p, 'mesh');
  }

  /** A preview of at most about `maxTriangles`: from memory, else from the cache's prepared file, else made (and stored). */
  async #preview(id: bigint, maxTriangles: number): Promise<ArrayBuffer> {
    const found = await this.#derive.read((cache, ctx): PreviewLookup => {
      const db = cache.db.db;
      const ref = meshEntry(db, ctx.config, id);
      if (!ref) throw new NotFoundError(`body ${id} has no mesh in the cache at this node`);
      const frame = voxelFrame(db, ctx.config);
      const key = `preview<=${maxTriangles}:${ref.hash.toString('hex')}:${frame.voxelSize.join(',')}:${JSON.stringify(frame.extent)}`;
      if (this.#prepared.get(key)) return { kind: 'hit', key };
      const pkey: PreparedKey = { source: ref.hash, maxTriangles, algorithm: PREVIEW_ALGORITHM };
      const stored = cache.db.prepared.read(pkey);
      if (stored) return { kind: 'stored', key, frame, buffer: previewToMeshBuffer(stored, { ...frame, units: 'auto' }) };
      const v = valueOf(cache, ctx.config.nodeId, ref);
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      return { kind: 'make', key, frame, bytes, what: `${ref.instance}/${ref.key}`, store: cache.db.prepared, pkey };
    });
    const hit = this.#prepared.get(found.key);
    if (hit) return hit;
    if (found.kind === 'stored') {
      this.#prepared.set(found.key, found.buffer);
      return found.buffer;
    }
    if (found.kind === 'hit') return this.bodyMesh({ bodyId: id.toString(), maxTriangles }); // evicted meanwhile: look again
    const { pkey, store } = found;
    const { buffer } = await this.#workers.run(preparePreviewTask, { bytes: found.bytes, hash: pkey.source, maxTriangles, what: found.what });
    if (!buffer) {
      // Small enough to draw whole: the full mesh answers for the preview too.
      const whole = await this.bodyMesh({ bodyId: id.toString() });
      this.#prepared.set(found.key, whole);
      return whole;
    }
    const bytes = new Uint8Array(buffer);
    const out = previewToMeshBuffer(decodePreparedMesh(bytes), { ...found.frame, units: 'auto' });
    this.#prepared.set(found.key, out);
    // Kept for every later open, after this answer is on its way; a cache that cannot be written
    // (read-only folder, full disk) only costs the next open the same work again.
    setImmediate(() => {
      try {
        store.write(pkey, bytes);
      } catch {
        // see above
      }
    });
    return out;
  }

  async bodySkeleton(args: { bodyId: string }): Promise<ArrayBuffer> {
    const id = parseU64(args.bodyId);
    const p = await this.#derive.read((cache, ctx) => {
      const db = cache.db.db;
      const ref = skeletonEntry(db, ctx.config, id);
      if (!ref) throw new NotFoundError(`body ${id} has no skeleton in the cache at this node`);
      return this.#prep(cache, ctx.config.nodeId, voxelFrame(db, ctx.config), 'skeleton', ref, ref.hash, `${ref.instance}/${ref.key}`);
    });
    return this.#run(p, 'skeleton');
  }

  async bodySynapses(args: { bodyId: string }): Promise<ArrayBuffer> {
    const id = parseU64(args.bodyId);
    return this.#derive.read((cache, ctx) => synapsesOf(cache.db.db, ctx.id, id));
  }

  async roiMesh(args: { roi: string }): Promise<ArrayBuffer> {
    const p = await this.#derive.read((cache, ctx) => {
      const db = cache.db.db;
      const ref = roiMeshEntry(db, cache, ctx.config.nodeId, args.roi);
      if (!ref) throw new NotFoundError(`ROI "${args.roi.slice(0, 100)}" has no mesh in the cache at this node (sync roisSmoothedDecimated, or rois and roi_data)`);
      const entry = cache.kv.entry(ref.instanceId, ctx.config.nodeId, ref.key)!;
      return this.#prep(cache, ctx.config.nodeId, voxelFrame(db, ctx.config), 'mesh', ref, entry.hash, ref.what);
    });
    return this.#run(p, 'mesh');
  }

  async slice(req: SliceRequest): Promise<ArrayBuffer> {
    const args = await this.#derive.read((cache, ctx) => {
      const db = cache.db.db;
      const geo = geometryOf(db, ctx.config, req.instance);
      return geo ? sliceArgs(db, ctx.config, geo, req) : null;
    });
    if (!args) {
      // Nothing of the segmentation is cached: the whole window is missing.
      const { buffer } = allocSlice({ ...req, axis: SLICE_AXES.indexOf(req.axis) as SliceAxisCode, missing: req.width * req.height }, 1);
      return buffer;
    }
    return (await this.#workers.run(renderSliceTask, args)).buffer;
  }

  async sliceInfo(args?: { instance?: string }): Promise<SliceInfo | null> {
    return this.#derive.read((cache, ctx) => {
      const db = cache.db.db;
      const geo = geometryOf(db, ctx.config, args?.instance);
      if (!geo) return null;
      return {
        instance: geo.instance,
        instances: labelmapsWithBlocks(db, ctx.config).map((l) => l.name),
        blockSize: geo.blockSize,
        voxelSize: geo.voxelSize,
        voxelUnits: geo.voxelUnits,
        extent: geo.extent,
        scales: geo.scales,
        maxScale: geo.maxScale,
      };
    });
  }

  async bodyNames(args: { bodyIds: string[] }): Promise<BodyName[]> {
    const ids = args.bodyIds.map(parseU64);
    return this.#derive.read((cache, ctx) => {
      const stmt = cache.db.db.prepare('SELECT type, instance, status FROM derived.bodies WHERE ctx_id = ? AND body = ?').safeIntegers(false);
      return ids.map((id) => {
        const r = stmt.get(ctx.id, u64ToDb(id)) as { type: string | null; instance: string | null; status: string | null } | undefined;
        return { bodyId: id.toString(), type: r?.type ?? null, instance: r?.instance ?? null, status: r?.status ?? null };
      });
    });
  }

  async bodyGeometry(args: { bodyIds: string[] }): Promise<BodyGeometry[]> {
    const ids = args.bodyIds.map(parseU64);
    return this.#derive.read((cache, ctx) => {
      const db = cache.db.db;
      return ids.map((id) => {
        const mesh = meshEntry(db, ctx.config, id);
        const skel = skeletonEntry(db, ctx.config, id);
        return {
          bodyId: id.toString(),
          mesh: mesh ? { format: mesh.format, bytes: mesh.size, ...trianglesOf(cache, ctx.config.nodeId, mesh) } : null,
          skeleton: skel ? { bytes: skel.size } : null,
        };
      });
    });
  }

  async close(): Promise<void> {
    await this.#pool?.close();
    this.#pool = null;
  }
}

/** Triangles of a cached mesh without reading it: exact for ngmesh (its vertex count and size), else an estimate from the size. */
function trianglesOf(cache: Cache, nodeId: number, ref: KvRef): { triangles: number; estimated: boolean } {
  const head = ref.format === 'ngmesh' ? headBytes(cache, nodeId, ref, 4) : null;
  return meshTriangleCount(ref.format, ref.size, head && head.length === 4 ? head.readUInt32LE(0) : null);
}

/** The first `n` bytes of a value: from the row, or from its blob file without reading the rest. */
function headBytes(cache: Cache, nodeId: number, ref: KvRef, n: number): Buffer | null {
  const inline = cache.db.db
    .prepare('SELECT substr(value, 1, ?) FROM main.kv_entries WHERE instance_id = ? AND node_id = ? AND key = ? AND value IS NOT NULL')
    .pluck()
    .get(n, ref.instanceId, nodeId, ref.key) as Buffer | undefined;
  if (inline) return inline;
  let fd: number | null = null;
  try {
    fd = openSync(cache.db.blobs.pathOf(ref.hash), 'r');
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

