/** App-wide facts: version, mode, cache root, configured server, connection state (kept live by the event). */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo, ConnectionStatus } from '../../../preload/api';
import { api } from '../api';

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const connection = ref<ConnectionStatus | null>(null);
  const error = ref<string | null>(null);
  let started = false;

  async function start(): Promise<void> {
    if (started) return;
    started = true;
    api.on('connection', (status) => {
      connection.value = status;
    });
    try {
      info.value = await api.appInfo();
      connection.value = await api.connectionStatus();
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  async function recheck(): Promise<void> {
    connection.value = await api.connectionStatus({ refresh: true });
  }

  return { info, connection, error, start, recheck };
});
