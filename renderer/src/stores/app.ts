/**
 * App-wide facts: version, mode, cache root, the active server and node, and the connection state
 * (kept live by the `connection` event): online, offline, or online but the cache is stale.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ActiveNode, AppInfo, ConnectionStatus } from '../../../preload/api';
import { api } from '../api';

export type Indicator = 'online' | 'stale' | 'offline' | 'checking' | 'unconfigured' | 'unknown';

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const connection = ref<ConnectionStatus | null>(null);
  const node = ref<ActiveNode | null>(null);
  const error = ref<string | null>(null);
  let started = false;

  const indicator = computed<Indicator>(() => {
    const c = connection.value;
    if (!c) return 'unknown';
    if (c.state === 'online' && c.stale) return 'stale';
    return c.state;
  });

  async function refreshNode(): Promise<void> {
    try {
      node.value = await api.activeNode();
    } catch {
      node.value = null;
    }
  }

  async function start(): Promise<void> {
    if (started) return;
    started = true;
    api.on('connection', (status) => {
      connection.value = status;
    });
    try {
      info.value = await api.appInfo();
      connection.value = await api.connectionStatus();
      await refreshNode();
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  /** After connect / useDemo: the new server, its state and its default node. */
  async function serverChanged(next: AppInfo): Promise<void> {
    info.value = next;
    connection.value = await api.connectionStatus();
    await refreshNode();
  }

  async function recheck(): Promise<void> {
    connection.value = await api.connectionStatus({ refresh: true });
  }

  return { info, connection, node, error, indicator, start, refreshNode, serverChanged, recheck };
});
