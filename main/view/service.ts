/**
 * The body view's and the slice viewer's API methods (issue 9), answered for the active node from
 * its cache only: bodyMesh, bodySkeleton, bodySynapses, roiMesh, slice, sliceInfo, bodyNames,
 * bodyGeometry.
 *
 * The calling thread only looks things up in SQLite (through DeriveService.read, so it shares the
 * active node and the connection with the search); decoding and preparation run in the worker pool
 * (main/workers/tasks: prepareMesh, prepareSkeleton, renderSlice), whose results are transferred back
 * and returned as they are. Prepared meshes and skeletons are kept in a byte-bounded LRU keyed by the
 * file's sha256, so reopening a body (or showing it among many) costs a lookup.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { BodyGeometry, BodyName, SliceInfo, SliceRequest } from '../../preload/api';
import { allocSlice, SLICE_AXES, type SliceAxisCode } from '../../preload/binary';
import type { Cache } from '../cache/index';
import { parseU64, u64ToDb } from '../cache/u64';
import type { DeriveService } from '../derive/service';
import { NotFoundError } from '../derive/queries';
import { defaultPoolSize, WorkerPool } from '../workers/pool';
import { prepareMeshTask } from '../workers/tasks/prepare-mesh';
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

/** Bytes a triangle takes, for estimating the triangles of a file that is not read (Draco ≈ 1 B at FlyEM's quantization; text formats ≈ 40 B). */
const BYTES_PER_TRIANGLE: Record<string, number> = { draco: 1, obj: 40, ply: 40 };

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

  async #run(p: Prep, task: 'mesh' | 'skeleton', maxTriangles?: number): Promise<ArrayBuffer> {
    const hit = this.#prepared.get(p.key);
    if (hit) return hit;
    const args = { bytes: p.bytes!, voxelSize: p.frame.voxelSize, extent: p.frame.extent, units: 'auto' as const, what: p.what, maxTriangles };
    const { buffer } = task === 'mesh' ? await this.#workers.run(prepareMeshTask, args) : await this.#workers.run(prepareSkeletonTask, args);
    this.#prepared.set(p.key, buffer);
    return buffer;
  }

  async bodyMesh(args: { bodyId: string; maxTriangles?: number }): Promise<ArrayBuffer> {
    const id = parseU64(args.bodyId);
    const lod = args.maxTriangles === undefined ? 'mesh' : `mesh<=${args.maxTriangles}`;
    const p = await this.#derive.read((cache, ctx) => {
      const db = cache.db.db;
      const ref = meshEntry(db, ctx.config, id);
      if (!ref) throw new NotFoundError(`body ${id} has no mesh in the cache at this node`);
      return this.#prep(cache, ctx.config.nodeId, voxelFrame(db, ctx.config), lod, ref, ref.hash, `${ref.instance}/${ref.key}`);
    });
    return this.#run(p, 'mesh', args.maxTriangles);
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
  if (ref.format === 'ngmesh') {
    const head = headBytes(cache, nodeId, ref, 4);
    if (head && head.length === 4) {
      const v = head.readUInt32LE(0);
      const t = (ref.size - 4 - 12 * v) / 12;
      if (Number.isInteger(t) && t >= 0) return { triangles: t, estimated: false };
    }
  }
  return { triangles: Math.ceil(ref.size / (BYTES_PER_TRIANGLE[ref.format] ?? 12)), estimated: true };
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

