/**
 * Composition root: builds the services from a config and implements the API contract once. Both
 * bridges (Electron IPC, browser mode) and the CLI use this single implementation.
 */
import { version as appVersion } from '../package.json';
import type { AppInfo, AppMode, ConnectionStatus, MethodArg, MethodName, MethodResult, ServerInfo, ServerRef } from '../preload/api';
import { DvidClient } from './dvid/client';
import { AppEvents } from './events';

export interface AppConfig {
  mode: AppMode;
  cacheRoot: string;
  server: ServerRef | null;
  /**
   * Bearer token for the server (`--token` / DVID_TOKEN). Kept out of ServerRef on purpose: ServerRef
   * crosses to the renderer (appInfo); the token never does, and is never logged.
   */
  token?: string | null;
  /** How often the connection is re-checked in the background (ms); 0 disables polling. */
  pollMs?: number;
  electronVersion?: string | null;
}

/** What every bridge dispatches to: one async function per contract method. */
export type ApiHandlers = { [M in MethodName]: (arg: MethodArg<M>) => Promise<MethodResult<M>> };

export interface DvidDeskApp {
  readonly handlers: ApiHandlers;
  readonly events: AppEvents;
  close(): Promise<void>;
}

export function createApp(config: AppConfig): DvidDeskApp {
  const events = new AppEvents();
  let connection: ConnectionStatus = {
    state: config.server ? 'checking' : 'unconfigured',
    serverVersion: null,
    checkedAt: null,
    error: null,
  };
  let inflight: Promise<ConnectionStatus> | null = null;
  const dvid = config.server ? new DvidClient({ baseUrl: config.server.url, token: config.token ?? null }) : null;

  function setConnection(next: ConnectionStatus): ConnectionStatus {
    connection = next;
    events.emit('connection', next);
    return next;
  }

  async function fetchServerInfo(): Promise<ServerInfo> {
    if (!dvid) throw new Error('no DVID server is configured (use --server URL)');
    return dvid.repos.serverInfo({ timeouts: { connectMs: 5_000, headersMs: 5_000, bodyIdleMs: 5_000 }, maxBytes: 1 << 20 });
  }

  function checkConnection(): Promise<ConnectionStatus> {
    if (!config.server) return Promise.resolve(connection);
    inflight ??= fetchServerInfo()
      .then(
        (info) =>
          setConnection({
            state: 'online',
            serverVersion: typeof info['DVID Version'] === 'string' ? info['DVID Version'] : null,
            checkedAt: new Date().toISOString(),
            error: null,
          }),
        (err: Error) =>
          setConnection({
            state: 'offline',
            serverVersion: connection.serverVersion,
            checkedAt: new Date().toISOString(),
            error: err.message,
          }),
      )
      .finally(() => {
        inflight = null;
      });
    return inflight;
  }

  const pollMs = config.pollMs ?? 30_000;
  const timer = config.server && pollMs > 0 ? setInterval(() => void checkConnection(), pollMs) : null;
  timer?.unref();
  if (config.server) void checkConnection();

  const handlers: ApiHandlers = {
    async appInfo(): Promise<AppInfo> {
      return {
        name: 'DVID Desk',
        version: appVersion,
        mode: config.mode,
        cacheRoot: config.cacheRoot,
        server: config.server,
        runtime: { node: process.versions.node, electron: config.electronVersion ?? null, platform: process.platform },
      };
    },
    async connectionStatus(arg) {
      if (arg?.refresh || connection.state === 'checking') return checkConnection();
      return connection;
    },
    async serverInfo() {
      const info = await fetchServerInfo();
      void checkConnection();
      return info;
    },
  };

  return {
    handlers,
    events,
    async close() {
      if (timer) clearInterval(timer);
      await inflight?.catch(() => undefined);
      await dvid?.close();
    },
  };
}
