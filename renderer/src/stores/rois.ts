/** ROI table (primary, or all as a tree), ROI×ROI connectivity, and one body's ROI breakdown. */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { BodyDetail, RoiConnectivity, RoiRow } from '../../../preload/api';
import { api } from '../api';

export const useRoisStore = defineStore('rois', () => {
  const all = ref(false);
  const rows = ref<RoiRow[] | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);

  const matrix = ref<RoiConnectivity | null>(null);
  const matrixError = ref<string | null>(null);

  const body = ref<BodyDetail | null>(null);
  const bodyError = ref<string | null>(null);
  const bodyLoading = ref(false);

  async function load(): Promise<void> {
    loading.value = true;
    try {
      const [r, m] = await Promise.allSettled([api.rois({ all: all.value }), api.roiConnectivity()]);
      if (r.status === 'fulfilled') {
        rows.value = r.value;
        error.value = null;
      } else {
        rows.value = null;
        error.value = (r.reason as Error).message;
      }
      if (m.status === 'fulfilled') {
        matrix.value = m.value;
        matrixError.value = null;
      } else {
        matrix.value = null;
        matrixError.value = (m.reason as Error).message;
      }
    } finally {
      loading.value = false;
    }
  }

  async function setAll(v: boolean): Promise<void> {
    all.value = v;
    try {
      rows.value = await api.rois({ all: v });
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  async function loadBody(bodyId: string): Promise<void> {
    bodyLoading.value = true;
    bodyError.value = null;
    try {
      body.value = await api.body({ bodyId });
    } catch (err) {
      body.value = null;
      bodyError.value = (err as Error).message;
    } finally {
      bodyLoading.value = false;
    }
  }

  return { all, rows, error, loading, matrix, matrixError, body, bodyError, bodyLoading, load, setAll, loadBody };
});
