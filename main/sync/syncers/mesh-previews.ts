/**
 * Mesh previews made while a keyvalue instance of body meshes syncs: each stored mesh that the body
 * view would draw through a preview (more than PREVIEW_ABOVE triangles) gets its prepared preview
 * (workers/tasks/prepare-preview.ts) in the worker pool, kept in the cache (cache/prepared-store.ts).
 * Opening such a body later then reads about a megabyte instead of preparing the whole mesh.
 *
 * Work runs beside the download: at most two previews per worker are in flight, and the keyvalue
 * stream is not read further while that many are (so memory stays bounded by a few meshes). Cost:
 * about 100 ms of one core per 7.5 MB ngmesh, roughly what downloading it takes at 75 MB/s.
 *
 * A preview is an optimization, never data: one that cannot be made (a file that does not decode, a
 * full disk, a paused sync) is skipped, and the body view makes it on its first request instead.
 */
import { PREVIEW_ABOVE, PREVIEW_TRIANGLES } from '../../../preload/binary';
import type { PreparedKey, PreparedStore } from '../../cache/prepared-store';
import { MESH_FORMAT_NAMES, meshTriangleCount } from '../../formats/mesh';
import type { WorkerPool } from '../../workers/pool';
import { PREVIEW_ALGORITHM, preparePreviewTask } from '../../workers/tasks/prepare-preview';

/** Whether the body view draws this mesh file through a preview (the same count its bodyGeometry reports). */
export function wantsPreview(format: string | null, bytes: Uint8Array): boolean {
  if (!format || !MESH_FORMAT_NAMES.includes(format)) return false;
  const v = format === 'ngmesh' && bytes.length >= 4 ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) : null;
  return meshTriangleCount(format, bytes.length, v).triangles > PREVIEW_ABOVE;
}

export class MeshPreviews {
  readonly #pending = new Set<Promise<void>>();
  readonly #limit: number;
  made = 0;

  constructor(
    private readonly pool: WorkerPool,
    private readonly store: PreparedStore,
    private readonly signal?: AbortSignal,
  ) {
    this.#limit = 2 * pool.size;
  }

  /** Queues the preview of a stored mesh when it needs one and has none; waits while the pool is full. */
  async add(bytes: Uint8Array, hash: Uint8Array, format: string | null, what: string): Promise<void> {
    if (!wantsPreview(format, bytes)) return;
    const key: PreparedKey = { source: hash, maxTriangles: PREVIEW_TRIANGLES, algorithm: PREVIEW_ALGORITHM };
    // Made already: by an earlier (interrupted) sync, another node, or another body with the same mesh.
    if (this.store.has(key)) return;
    while (this.#pending.size >= this.#limit) await Promise.race(this.#pending);
    // A value is a view into the whole response chunk; structured cloning a view copies all of its
    // buffer, so the worker gets a copy of just the mesh.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const p: Promise<void> = this.pool
      .run(preparePreviewTask, { bytes: own, hash, maxTriangles: PREVIEW_TRIANGLES, what }, { signal: this.signal })
      .then(({ buffer }) => {
        if (!buffer) return;
        this.store.write(key, new Uint8Array(buffer));
        this.made++;
      })
      .catch(() => {
        // Skipped (see the module comment).
      })
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Waits for every queued preview. */
  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.all(this.#pending);
  }
}
