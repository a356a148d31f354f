/**
 * Fetches the binary body data once: results are kept (bounded by bytes, least recently used out)
 * and concurrent requests for the same thing share one call, so the 3D view, the slice centring and
 * a revisit all reuse a buffer. A body without the thing (the API's not-found) resolves to null.
 */
import { PREVIEW_TRIANGLES } from '../../../preload/binary';
import { api, ApiError } from '../api';

export type Kind = 'mesh' | 'meshPreview' | 'skeleton' | 'synapses' | 'roi';

const MAX_BYTES = 384 * 1024 * 1024;
const kept = new Map<string, ArrayBuffer | null>();
const inflight = new Map<string, Promise<ArrayBuffer | null>>();
let keptBytes = 0;

function remember(key: string, value: ArrayBuffer | null): void {
  kept.set(key, value);
  keptBytes += value?.byteLength ?? 0;
  for (const [k, v] of kept) {
    if (keptBytes <= MAX_BYTES) break;
    kept.delete(k);
    keptBytes -= v?.byteLength ?? 0;
  }
}

function call(kind: Kind, id: string): Promise<ArrayBuffer> {
  switch (kind) {
    case 'mesh':
      return api.bodyMesh({ bodyId: id });
    case 'meshPreview':
      return api.bodyMesh({ bodyId: id, maxTriangles: PREVIEW_TRIANGLES });
    case 'skeleton':
      return api.bodySkeleton({ bodyId: id });
    case 'synapses':
      return api.bodySynapses({ bodyId: id });
    case 'roi':
      return api.roiMesh({ roi: id });
  }
}

/** The buffer, or null when the cache has none of that kind for `id` (a body id, or a ROI name). */
export function load(kind: Kind, id: string): Promise<ArrayBuffer | null> {
  const key = `${kind}:${id}`;
  if (kept.has(key)) {
    const v = kept.get(key)!;
    kept.delete(key);
    kept.set(key, v);
    return Promise.resolve(v);
  }
  let p = inflight.get(key);
  if (!p) {
    p = call(kind, id)
      .then(
        (buf) => buf,
        (err: unknown) => {
          if (err instanceof ApiError && err.code === 'not-found') return null;
          throw err;
        },
      )
      .then((v) => {
        remember(key, v);
        return v;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  return p;
}

/** Whether the buffer is kept already (then a preview would only cost time). */
export function isLoaded(kind: Kind, id: string): boolean {
  return kept.has(`${kind}:${id}`);
}

/** Drops what is kept (after the active node changes). */
export function forget(): void {
  kept.clear();
  keptBytes = 0;
}
