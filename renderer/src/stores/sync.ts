/**
 * The sync planner and the running syncs: which instances of the chosen node to take and with which
 * scope, the plan (estimates or the refusal), and every job of this session with its live progress
 * (`syncProgress` events) and, once it stops, its failures (syncStatus).
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { InstanceSummary, SyncJobStatus, SyncPlan, SyncProgress } from '../../../preload/api';
import { api } from '../api';
import { useAppStore } from './app';
import { useDatasetsStore } from './datasets';

export interface Choice {
  on: boolean;
  scope: string;
}

export const GiB = 1024 ** 3;

/** What a job is about: set when it starts (progress events carry only numbers). */
export interface JobView {
  progress: SyncProgress;
  node: string;
  instances: string[];
  status: SyncJobStatus | null;
}

const ENDED = new Set(['done', 'cancelled', 'failed']);

/**
 * The instances the search, ROI and body views are computed from: the synapse annotation, the
 * labelmap it is synced to (scale 0 is enough for synapse supervoxels), the body annotations of that
 * labelmap, the ROI hierarchy and every ROI.
 */
export function searchSelection(list: InstanceSummary[]): Map<string, Choice> {
  const out = new Map<string, Choice>();
  const names = new Set(list.map((i) => i.name));
  const annotations = list.filter((i) => i.type === 'annotation' && i.syncs.some((s) => names.has(s)));
  const syn = annotations.find((i) => i.name === 'synapses') ?? annotations.find((i) => /synap/i.test(i.name)) ?? annotations[0];
  if (syn) {
    out.set(syn.name, { on: true, scope: 'all' });
    const seg = syn.syncs.find((s) => names.has(s));
    if (seg) {
      out.set(seg, { on: true, scope: 'all;scales=0' });
      const ann = list.find((i) => i.type === 'keyvalue' && i.name === `${seg}_annotations`);
      if (ann) out.set(ann.name, { on: true, scope: 'all' });
    }
  }
  for (const i of list) {
    if (i.type === 'roi' || (i.type === 'keyvalue' && i.name === 'roi_data')) out.set(i.name, { on: true, scope: 'all' });
  }
  return out;
}

export const useSyncStore = defineStore('sync', () => {
  const choices = ref(new Map<string, Choice>());
  const maxGiB = ref(4);
  const plan = ref<SyncPlan | null>(null);
  const planning = ref(false);
  const planError = ref<string | null>(null);
  const starting = ref(false);
  const jobs = ref(new Map<number, JobView>());
  const actionError = ref<string | null>(null);
  let listening = false;

  const chosen = computed(() => [...choices.value.entries()].filter(([, c]) => c.on).map(([name, c]) => ({ name, scope: c.scope.trim() || 'all' })));

  function listen(): void {
    if (listening) return;
    listening = true;
    api.on('syncProgress', (p) => void onProgress(p));
  }

  async function onProgress(p: SyncProgress): Promise<void> {
    const j = jobs.value.get(p.jobId);
    const prevState = j?.progress.state;
    if (j) j.progress = p;
    else jobs.value.set(p.jobId, { progress: p, node: '', instances: [], status: null });
    jobs.value = new Map(jobs.value);
    if (ENDED.has(p.state) || p.state === 'paused') {
      const [status] = await api.syncStatus({ jobId: p.jobId }).catch(() => [] as SyncJobStatus[]);
      const view = jobs.value.get(p.jobId);
      if (view && status) {
        view.status = status;
        view.node ||= status.node;
        jobs.value = new Map(jobs.value);
      }
      if (prevState !== p.state && ENDED.has(p.state)) await finished(jobs.value.get(p.jobId)!);
    }
  }

  /** A sync that stored data: the views follow its node when nothing else is active. */
  async function finished(j: JobView): Promise<void> {
    const app = useAppStore();
    const ds = useDatasetsStore();
    if (j.node && (!app.node || app.node.uuid === j.node) && j.progress.units.done > 0) await ds.select(j.node);
    else await ds.loadCache();
    if (ds.node) await ds.loadInstances(ds.node);
    void ds.loadRepos();
  }

  function reset(list: InstanceSummary[] | null): void {
    const next = new Map<string, Choice>();
    for (const i of list ?? []) next.set(i.name, { on: false, scope: 'all' });
    choices.value = next;
    plan.value = null;
    planError.value = null;
  }

  function set(name: string, patch: Partial<Choice>): void {
    const c = choices.value.get(name) ?? { on: false, scope: 'all' };
    choices.value.set(name, { ...c, ...patch });
    choices.value = new Map(choices.value);
    plan.value = null;
  }

  function selectForSearch(list: InstanceSummary[]): void {
    const pick = searchSelection(list);
    const next = new Map<string, Choice>();
    for (const i of list) next.set(i.name, pick.get(i.name) ?? { on: false, scope: choices.value.get(i.name)?.scope ?? 'all' });
    choices.value = next;
    plan.value = null;
  }

  function selectAll(list: InstanceSummary[], on: boolean): void {
    const next = new Map<string, Choice>();
    for (const i of list) next.set(i.name, { on, scope: choices.value.get(i.name)?.scope ?? 'all' });
    choices.value = next;
    plan.value = null;
  }

  async function makePlan(node: string): Promise<void> {
    planning.value = true;
    planError.value = null;
    plan.value = null;
    try {
      const maxBytes = Number.isFinite(maxGiB.value) && maxGiB.value > 0 ? Math.round(maxGiB.value * GiB) : undefined;
      plan.value = await api.syncPlan({ node, instances: chosen.value, ...(maxBytes ? { maxBytes } : {}) });
    } catch (err) {
      planError.value = (err as Error).message;
    } finally {
      planning.value = false;
    }
  }

  async function start(): Promise<void> {
    const p = plan.value;
    if (!p || p.refused) return;
    listen();
    starting.value = true;
    actionError.value = null;
    try {
      const progress = await api.syncStart({ planId: p.planId });
      const existing = jobs.value.get(progress.jobId);
      jobs.value.set(progress.jobId, { progress: existing?.progress ?? progress, node: p.node, instances: p.instances.map((i) => i.name), status: null });
      jobs.value = new Map(jobs.value);
      plan.value = null;
      if (existing && ENDED.has(existing.progress.state)) await onProgress(existing.progress);
    } catch (err) {
      actionError.value = (err as Error).message;
    } finally {
      starting.value = false;
    }
  }

  async function act(jobId: number, what: 'pause' | 'resume' | 'cancel'): Promise<void> {
    actionError.value = null;
    try {
      const p = what === 'pause' ? await api.syncPause({ jobId }) : what === 'resume' ? await api.syncResume({ jobId }) : await api.syncCancel({ jobId });
      await onProgress(p);
    } catch (err) {
      actionError.value = (err as Error).message;
    }
  }

  /** Jobs already known to main (a reload of the page keeps them). */
  async function loadJobs(): Promise<void> {
    listen();
    const list = await api.syncStatus().catch(() => [] as SyncJobStatus[]);
    for (const s of list) {
      const j = jobs.value.get(s.jobId);
      jobs.value.set(s.jobId, { progress: s, node: s.node, instances: j?.instances ?? [], status: s });
    }
    jobs.value = new Map(jobs.value);
  }

  return { choices, maxGiB, plan, planning, planError, starting, jobs, actionError, chosen, reset, set, selectForSearch, selectAll, makePlan, start, act, loadJobs, listen };
});
