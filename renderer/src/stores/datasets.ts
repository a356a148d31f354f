/**
 * Connect & Sync: recent servers, the active server's repos and DAGs, the node being looked at and
 * its instances, and what the cache holds. Switching server or node refreshes the app store too (the
 * status bar and every view follow the active node).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { CacheInfo, InstanceSummary, RepoSummary, ServerRef } from '../../../preload/api';
import { api } from '../api';
import { useAppStore } from './app';

export const useDatasetsStore = defineStore('datasets', () => {
  const recent = ref<ServerRef[]>([]);
  const repos = ref<RepoSummary[] | null>(null);
  const reposError = ref<string | null>(null);
  const reposLoading = ref(false);
  /** The node whose instances are shown (the active node once selected). */
  const node = ref<string | null>(null);
  const instances = ref<InstanceSummary[] | null>(null);
  const instancesError = ref<string | null>(null);
  const instancesLoading = ref(false);
  const cache = ref<CacheInfo | null>(null);
  const cacheError = ref<string | null>(null);
  const connecting = ref(false);
  const connectError = ref<string | null>(null);

  async function loadRecent(): Promise<void> {
    recent.value = await api.recentServers().catch(() => []);
  }

  async function loadRepos(): Promise<void> {
    reposLoading.value = true;
    try {
      repos.value = await api.repos();
      reposError.value = null;
    } catch (err) {
      repos.value = null;
      reposError.value = (err as Error).message;
    } finally {
      reposLoading.value = false;
    }
  }

  async function loadCache(): Promise<void> {
    try {
      cache.value = await api.cacheInfo();
      cacheError.value = null;
    } catch (err) {
      cacheError.value = (err as Error).message;
    }
  }

  async function loadInstances(uuid: string): Promise<void> {
    node.value = uuid;
    instancesLoading.value = true;
    try {
      const list = await api.instances({ uuid });
      if (node.value === uuid) {
        instances.value = list;
        instancesError.value = null;
      }
    } catch (err) {
      if (node.value === uuid) {
        instances.value = null;
        instancesError.value = (err as Error).message;
      }
    } finally {
      instancesLoading.value = false;
    }
  }

  /** Everything the view shows, for the active server. */
  async function load(): Promise<void> {
    const app = useAppStore();
    await app.refreshNode();
    await Promise.all([loadRecent(), loadRepos(), loadCache()]);
    const uuid = app.node?.uuid ?? defaultNode();
    if (uuid) await loadInstances(uuid);
    else {
      node.value = null;
      instances.value = null;
    }
  }

  /** Without an active node: the newest open leaf of the first repo (what a proofreader works on). */
  function defaultNode(): string | null {
    const nodes = repos.value?.[0]?.nodes ?? [];
    const leaves = nodes.filter((n) => n.children.length === 0);
    const pick = leaves.find((n) => !n.locked) ?? leaves[0] ?? nodes[0];
    return pick?.uuid ?? null;
  }

  async function select(uuid: string): Promise<void> {
    const app = useAppStore();
    try {
      app.node = await api.selectNode({ uuid });
    } catch (err) {
      instancesError.value = (err as Error).message;
    }
    await Promise.all([loadInstances(uuid), loadCache()]);
  }

  async function switched(fn: () => Promise<import('../../../preload/api').AppInfo>): Promise<boolean> {
    connecting.value = true;
    connectError.value = null;
    try {
      const info = await fn();
      await useAppStore().serverChanged(info);
      repos.value = null;
      instances.value = null;
      await load();
      return true;
    } catch (err) {
      connectError.value = (err as Error).message;
      return false;
    } finally {
      connecting.value = false;
    }
  }

  const connect = (url: string, token: string): Promise<boolean> => switched(() => api.connect(token ? { url, token } : { url }));
  const useDemo = (): Promise<boolean> => switched(() => api.useDemo());

  return {
    recent,
    repos,
    reposError,
    reposLoading,
    node,
    instances,
    instancesError,
    instancesLoading,
    cache,
    cacheError,
    connecting,
    connectError,
    load,
    loadRepos,
    loadCache,
    loadInstances,
    select,
    connect,
    useDemo,
  };
});
