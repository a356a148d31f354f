/**
 * Composition root: builds the services from a config and implements the API contract once. Both
 * bridges (Electron IPC, browser mode) and the CLI use this single implementation.
 */
import { version as appVersion } from '../package.json';
import type { AppInfo, AppMode, ConnectionStatus, MethodArg, MethodName, MethodResult, ServerInfo, ServerRef } from '../preload/api';
import { startDemoServer, type DemoServer } from './demo/index';
import { DeriveService } from './derive/service';
import { DvidClient } from './dvid/client';
import { AppEvents } from './events';
import { SyncService } from './sync/service';
import { ViewService } from './view/service';

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

/** First run without a configured server: the embedded demo DVID, started in this process. */
export interface DemoLaunch {
  /** 'default' unless $DVID_DESK_DEMO_PRESET says 'small' (the e2e tests do). */
  preset?: 'small' | 'default';
  /** Where the generated dataset is cached (default: $DVID_DESK_DEMO_DATA or the user cache folder). */
  dataRoot?: string;
  onProgress?: (stage: string, fraction?: number) => void;
}

export const DEMO_LABEL = 'Demo dataset';

/**
 * The app on the configured server or, when none is configured, on the demo dataset: the demo
 * server starts on a free loopback port and is offered as { label: "Demo dataset", demo: true }.
 * It stops with the app.
 */
export async function startApp(config: Omit<AppConfig, 'server'> & { server: ServerRef | null; demo?: DemoLaunch }): Promise<DvidDeskApp & { demo: DemoServer | null }> {
  if (config.server) return { ...createApp(config), demo: null };
  const envPreset = process.env.DVID_DESK_DEMO_PRESET;
  const preset = config.demo?.preset ?? (envPreset === 'small' ? 'small' : 'default');
  let demo: DemoServer;
  try {
    demo = await startDemoServer({ preset, dataRoot: config.demo?.dataRoot, onProgress: config.demo?.onProgress });
  } catch (err) {
    // The app still opens, unconfigured, and says why.
    console.error(`The demo dataset could not be started: ${(err as Error).message}`);
    return { ...createApp({ ...config, server: null, token: null }), demo: null };
  }
  // The user's DVID_TOKEN belongs to their server, never to the demo.
  const app = createApp({ ...config, token: null, server: { url: demo.url, label: DEMO_LABEL, demo: true } });
  return {
    ...app,
    demo,
    async close() {
      await app.close();
      await demo.close();
    },
  };
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

  // Search, ROI tables and bodies, answered from the active node's cache (main/derive).
  const derive = new DeriveService({ cacheRoot: config.cacheRoot, server: config.server });
  // Body view and slices (issue 9): meshes, skeletons, synapses and slices from the same cache.
  const view = new ViewService(derive);
  const sync = new SyncService({
    cacheRoot: config.cacheRoot,
    server: config.server,
    token: config.token ?? null,
    onProgress: (p) => events.emit('syncProgress', p),
  });

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
    searchNeurons: (q) => derive.searchNeurons(q),
    neuronsCsv: (q) => derive.neuronsCsv(q),
    statuses: () => derive.statuses(),
    rois: (arg) => derive.rois(arg),
    roiConnectivity: (arg) => derive.roiConnectivity(arg),
    body: (arg) => derive.body(arg),
    partners: (arg) => derive.partners(arg),
    // body view and slices (issue 9)
    bodyMesh: (arg) => view.bodyMesh(arg),
    bodySkeleton: (arg) => view.bodySkeleton(arg),
    bodySynapses: (arg) => view.bodySynapses(arg),
    roiMesh: (arg) => view.roiMesh(arg),
    slice: (arg) => view.slice(arg),
    sliceInfo: (arg) => view.sliceInfo(arg),
    bodyNames: (arg) => view.bodyNames(arg),
    bodyGeometry: (arg) => view.bodyGeometry(arg),
    syncPlan: (arg) => sync.plan(arg),
    syncStart: (arg) => sync.start(arg),
    syncPause: (arg) => sync.pause(arg),
    syncResume: (arg) => sync.resume(arg),
    syncCancel: (arg) => sync.cancel(arg),
    syncStatus: (arg) => sync.status(arg),
  };

  return {
    handlers,
    events,
    async close() {
      if (timer) clearInterval(timer);
      await inflight?.catch(() => undefined);
      await view.close();
      derive.close();
      await dvid?.close();
      await sync.close();
    },
  };
}
