/**
 * The body view's state: the body shown (detail, upstream and downstream partners, all from the
 * cache through the API) and the 3D choices a proofreader expects to persist while moving from body
 * to body: which layers are drawn, the triangle budget, the ROIs shown. Geometry itself is not kept
 * here (viewer/loader.ts keeps the buffers; the 3D component owns the GPU objects).
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { BodyDetail, BodyName, Partner } from '../../../preload/api';
import { api, ApiError } from '../api';
import { DEFAULT_BUDGET } from '../viewer/budget';

function unknownBody(bodyId: string): BodyDetail {
  return { bodyId, annotation: null, type: null, instance: null, status: null, statusRank: null, pre: 0, post: 0, rois: [], hasMesh: false, hasSkeleton: false, labelszRank: null };
}

export const useBodyStore = defineStore('body', () => {
  const bodyId = ref<string | null>(null);
  const detail = shallowRef<BodyDetail | null>(null);
  const upstream = shallowRef<Partner[]>([]);
  const downstream = shallowRef<Partner[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const showMesh = ref(true);
  const showSkeleton = ref(false);
  const showSynapses = ref(true);
  const budget = ref<number>(DEFAULT_BUDGET);
  /** ROI meshes drawn in 3D */
  const rois = ref<string[]>([]);

  let generation = 0;

  async function open(id: string): Promise<void> {
    if (id === bodyId.value && (detail.value || loading.value)) return;
    const gen = ++generation;
    bodyId.value = id;
    detail.value = null;
    upstream.value = [];
    downstream.value = [];
    error.value = null;
    loading.value = true;
    try {
      const [d, up, down] = await Promise.all([
        api.body({ bodyId: id }).catch((err: unknown) => {
          // A body the derived tables do not know (no annotation, no synapse in the cache) is still a
          // body of the segmentation: shown with empty fields, not as an error.
          if (err instanceof ApiError && err.code === 'not-found') return unknownBody(id);
          throw err;
        }),
        api.partners({ bodyId: id, direction: 'upstream' }),
        api.partners({ bodyId: id, direction: 'downstream' }),
      ]);
      if (gen !== generation) return;
      detail.value = d;
      upstream.value = up;
      downstream.value = down;
    } catch (err) {
      if (gen === generation) error.value = (err as Error).message;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  /** Re-reads the current body (after a sync changed the cache). */
  async function reload(): Promise<void> {
    const id = bodyId.value;
    if (!id) return;
    bodyId.value = null;
    await open(id);
  }

  function toggleRoi(name: string, on: boolean): void {
    const set = new Set(rois.value);
    if (on) set.add(name);
    else set.delete(name);
    rois.value = [...set];
  }

  // Names for hover labels and legends, fetched once per body.
  const names = new Map<string, BodyName>();
  const namesVersion = ref(0);
  const pending = new Set<string>();
  let batch: Promise<void> | null = null;

  function nameOf(id: string): BodyName | null {
    return names.get(id) ?? null;
  }

  /** Looks names up (batched); `namesVersion` changes when new ones arrive. */
  function wantNames(ids: Iterable<string>): void {
    for (const id of ids) if (!names.has(id) && id !== '0') pending.add(id);
    if (pending.size === 0 || batch) return;
    batch = Promise.resolve().then(async () => {
      const wanted = [...pending].slice(0, 10_000);
      for (const id of wanted) pending.delete(id);
      try {
        for (const n of await api.bodyNames({ bodyIds: wanted })) names.set(n.bodyId, n);
        namesVersion.value++;
      } catch {
        // Names are decoration: the ids stay shown.
      } finally {
        batch = null;
        if (pending.size) wantNames([]);
      }
    });
  }

  return {
    bodyId,
    detail,
    upstream,
    downstream,
    loading,
    error,
    showMesh,
    showSkeleton,
    showSynapses,
    budget,
    rois,
    open,
    reload,
    toggleRoi,
    nameOf,
    wantNames,
    namesVersion,
  };
});
