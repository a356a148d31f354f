/**
 * Neuron search: the form, and the result rows as windows of the ranked list (searchNeurons with
 * offset/limit), fetched as the table scrolls. Only the pages near the viewport are kept, so a
 * 100 k-row result costs a few hundred rows of memory; a new query drops them all (a generation
 * number discards answers to an older query that arrive late).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { NeuronRow, RoiRow, StatusCount } from '../../../preload/api';
import { api } from '../api';
import { emptyForm, roiColumns, toNeuronQuery, type NeuronForm } from '../lib/neuron-query';

export const PAGE_ROWS = 200;
/** Pages kept around the viewport; farther ones are dropped. */
const KEEP_PAGES = 12;

export const useNeuronsStore = defineStore('neurons', () => {
  const form = ref<NeuronForm>(emptyForm());
  const total = ref<number | null>(null);
  const tookMs = ref<number | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const pages = shallowRef(new Map<number, NeuronRow[]>());
  const inflight = new Map<number, Promise<void>>();
  let generation = 0;

  const statuses = ref<StatusCount[]>([]);
  const rois = ref<RoiRow[]>([]);
  const optionsError = ref<string | null>(null);

  const columns = computed(() => roiColumns(form.value));
  const query = computed(() => toNeuronQuery(form.value));

  async function loadOptions(): Promise<void> {
    try {
      const [s, r] = await Promise.all([api.statuses(), api.rois({ all: true })]);
      statuses.value = s;
      rois.value = r;
      optionsError.value = null;
    } catch (err) {
      optionsError.value = (err as Error).message;
    }
  }

  async function fetchPage(page: number, gen: number): Promise<void> {
    const res = await api.searchNeurons({ ...query.value, offset: page * PAGE_ROWS, limit: PAGE_ROWS });
    if (gen !== generation) return;
    total.value = res.total;
    tookMs.value = res.tookMs;
    pages.value.set(page, res.rows);
    triggerRef(pages);
  }

  function loadPage(page: number): Promise<void> {
    const gen = generation;
    let p = inflight.get(page);
    if (!p) {
      p = fetchPage(page, gen)
        .catch((err: unknown) => {
          if (gen === generation) error.value = (err as Error).message;
        })
        .finally(() => {
          if (gen === generation) inflight.delete(page);
        });
      inflight.set(page, p);
    }
    return p;
  }

  /** Runs the current form from the top. */
  async function search(): Promise<void> {
    generation++;
    inflight.clear();
    pages.value = new Map();
    error.value = null;
    loading.value = true;
    const gen = generation;
    await loadPage(0);
    if (gen === generation) loading.value = false;
  }

  function setForm(next: NeuronForm): void {
    form.value = next;
    void search();
  }

  /** Makes sure rows first..last are loaded (or loading); drops pages far from them. */
  function ensureRange(first: number, last: number): void {
    if (total.value === null) return;
    const lo = Math.max(0, Math.floor(first / PAGE_ROWS));
    const hi = Math.min(Math.floor(Math.max(0, total.value - 1) / PAGE_ROWS), Math.floor(last / PAGE_ROWS));
    for (let p = lo; p <= hi; p++) if (!pages.value.has(p)) void loadPage(p);
    if (pages.value.size > KEEP_PAGES) {
      for (const p of Array.from(pages.value.keys())) if (p < lo - KEEP_PAGES / 2 || p > hi + KEEP_PAGES / 2) pages.value.delete(p);
    }
  }

  function rowAt(i: number): NeuronRow | undefined {
    return pages.value.get(Math.floor(i / PAGE_ROWS))?.[i % PAGE_ROWS];
  }

  /** Every row of the current search, with the table's columns, as CSV. */
  function csv(): Promise<string> {
    return api.neuronsCsv(query.value);
  }

  return { form, total, tookMs, loading, error, pages, statuses, rois, optionsError, columns, query, loadOptions, search, setForm, ensureRange, rowAt, csv };
});
