/**
 * Composition root: builds the services from a config and implements the API contract once. Both
 * bridges (Electron IPC, browser mode) and the CLI use this single implementation.
 */
import { version as appVersion } from '../package.json';
import type { AppInfo, AppMode, ConnectionStatus, MethodArg, MethodName, MethodResult, ServerInfo, ServerRef } from '../preload/api';
import { startDemoServer, type DemoServer } from './demo/index';
import { DeriveService } from './derive/service';
import { DatasetService, serverRefFromUrl } from './datasets/service';
import { nodeFreshness, offlineStaleNote, type NodeFreshness } from './datasets/offline';
import { Settings } from './datasets/settings';
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
  /** The demo server this app started (owned: stopped with the app). */
  runningDemo?: DemoServer | null;
  /** How useDemo() starts the demo when it is not running yet. */
  demoLaunch?: DemoLaunch;
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

function launchDemo(launch: DemoLaunch | undefined): Promise<DemoServer> {
  const envPreset = process.env.DVID_DESK_DEMO_PRESET;
  const preset = launch?.preset ?? (envPreset === 'small' ? 'small' : 'default');
  return startDemoServer({ preset, dataRoot: launch?.dataRoot, onProgress: launch?.onProgress });
}

/** Offline, the server is re-checked at least this often. */
const OFFLINE_POLL_MS = 5_000;

/** $DVID_DESK_POLL_MS: the connection check interval in ms (tests shorten it; 0 disables). */
function envPollMs(): number | undefined {
  const v = process.env.DVID_DESK_POLL_MS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

const demoRef = (demo: DemoServer): ServerRef => ({ url: demo.url, label: DEMO_LABEL, demo: true });

/**
 * The app on the configured server or, when none is configured, on the demo dataset: the demo
 * server starts on a free loopback port and is offered as { label: "Demo dataset", demo: true }.
 * It stops with the app.
 */
export async function startApp(config: Omit<AppConfig, 'server'> & { server: ServerRef | null; demo?: DemoLaunch }): Promise<DvidDeskApp & { demo: DemoServer | null }> {
  if (config.server) return { ...createApp(config), demo: null };
  let demo: DemoServer;
  try {
    demo = await launchDemo(config.demo);
  } catch (err) {
    // The app still opens, unconfigured, and says why.
    console.error(`The demo dataset could not be started: ${(err as Error).message}`);
    return { ...createApp({ ...config, server: null, token: null }), demo: null };
  }
  // The user's DVID_TOKEN belongs to their server, never to the demo.
  const app = createApp({ ...config, token: null, server: demoRef(demo), runningDemo: demo });
  return { ...app, demo };
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
  const settings = new Settings(config.cacheRoot);
  let demo: DemoServer | null = config.runningDemo ?? null;
  let demoStarting: Promise<DemoServer> | null = null;

  /**
   * Everything that depends on the active server, rebuilt by connect() / useDemo(). The token lives
   * only here, in memory: ServerRef crosses to the renderer, the token never does.
   */
  interface ServerScope {
    server: ServerRef | null;
    token: string | null;
    dvid: DvidClient | null;
    derive: DeriveService;
    datasets: DatasetService;
    /** Sync of this server (plans, jobs, its worker pool and writer connections), closed with the scope. */
    sync: SyncService;
    /** Body view and slices (issue 9): meshes, skeletons, synapses, slices from derive's cache; its own worker pool. */
    view: ViewService;
    connection: ConnectionStatus;
    inflight: Promise<ConnectionStatus> | null;
    /** Freshness of the active node's cache, read once per offline spell (it scans the cache). */
    freshness: { uuid: string; value: NodeFreshness | null } | null;
  }

  function scopeFor(server: ServerRef | null, token: string | null): ServerScope {
    const dvid = server ? new DvidClient({ baseUrl: server.url, token }) : null;
    // Search, ROI tables and bodies, answered from the active node's cache (main/derive).
    const derive = new DeriveService({ cacheRoot: config.cacheRoot, server });
    const sync = new SyncService({
      cacheRoot: config.cacheRoot,
      server,
      token,
      // Progress of a scope that is no longer active reaches no one.
      onProgress: (p) => {
        if (scope === cur) events.emit('syncProgress', p);
      },
    });
    const scope: ServerScope = {
      server,
      token,
      dvid,
      derive,
      sync,
      view: new ViewService(derive),
      datasets: null as unknown as DatasetService,
      connection: { state: server ? 'checking' : 'unconfigured', serverVersion: null, checkedAt: null, error: null, stale: null, maybeStale: null, lastOnlineAt: null },
      inflight: null,
      freshness: null,
    };
    scope.datasets = new DatasetService({ cacheRoot: config.cacheRoot, server, dvid, online: () => scope.connection.state !== 'offline' });
    return scope;
  }

  let cur = scopeFor(config.server, config.token ?? null);
  if (config.server) settings.remember(config.server);

  async function closeScope(s: ServerScope): Promise<void> {
    await s.inflight?.catch(() => undefined);
    await s.sync.close();
    await s.view.close();
    s.derive.close();
    await s.dvid?.close();
  }

  function setConnection(s: ServerScope, next: ConnectionStatus): ConnectionStatus {
    s.connection = next;
    // A check of a server that is no longer the active one reaches no one.
    if (s === cur) events.emit('connection', next);
    return next;
  }

  async function fetchServerInfo(s: ServerScope): Promise<ServerInfo> {
    if (!s.dvid) throw new Error('no DVID server is configured (use --server URL)');
    return s.dvid.repos.serverInfo({ timeouts: { connectMs: 5_000, headersMs: 5_000, bodyIdleMs: 5_000 }, maxBytes: 1 << 20 });
  }

  function offlineNote(s: ServerScope, lastOnlineAt: string | null): string | null {
    const active = s.derive.active;
    if (!active) return null;
    if (s.freshness?.uuid !== active.uuid) s.freshness = { uuid: active.uuid, value: nodeFreshness(active.dir, active.uuid) };
    return offlineStaleNote(s.freshness.value, active.uuid, lastOnlineAt);
  }

  function checkConnection(s: ServerScope = cur): Promise<ConnectionStatus> {
    if (!s.server) return Promise.resolve(s.connection);
    s.inflight ??= fetchServerInfo(s)
      .then(
        async (info) => {
          const now = new Date().toISOString();
          const online: ConnectionStatus = {
            state: 'online',
            serverVersion: typeof info['DVID Version'] === 'string' ? info['DVID Version'] : null,
            checkedAt: now,
            error: null,
            stale: null,
            maybeStale: null,
            lastOnlineAt: now,
          };
          s.connection = online;
          s.freshness = null;
          const stale = await s.datasets.staleness(s.derive.active).catch(() => null);
          return setConnection(s, { ...online, stale });
        },
        (err: Error) =>
          setConnection(s, {
            state: 'offline',
            serverVersion: s.connection.serverVersion,
            checkedAt: new Date().toISOString(),
            error: err.message,
            stale: null,
            maybeStale: offlineNote(s, s.connection.lastOnlineAt),
            lastOnlineAt: s.connection.lastOnlineAt,
          }),
      )
      .finally(() => {
        s.inflight = null;
      });
    return s.inflight;
  }

  async function switchTo(server: ServerRef | null, token: string | null): Promise<void> {
    const old = cur;
    cur = scopeFor(server, token);
    if (server) settings.remember(server);
    events.emit('connection', cur.connection);
    void checkConnection(cur);
    await closeScope(old);
  }

  async function ensureDemo(): Promise<DemoServer> {
    if (demo) return demo;
    demoStarting ??= launchDemo(config.demoLaunch).finally(() => {
      demoStarting = null;
    });
    demo = await demoStarting;
    return demo;
  }

  // Online: re-checked every pollMs. Offline: more often (at most every OFFLINE_POLL_MS), so the app
  // notices soon when the server is back.
  const pollMs = config.pollMs ?? envPollMs() ?? 30_000;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  function schedule(): void {
    if (closed || pollMs <= 0) return;
    const wait = cur.connection.state === 'offline' ? Math.min(pollMs, OFFLINE_POLL_MS) : pollMs;
    timer = setTimeout(() => {
      void checkConnection()
        .catch(() => undefined)
        .finally(schedule);
    }, wait);
    timer.unref();
  }
  schedule();
  if (config.server) void checkConnection();

  const appInfo = (): AppInfo => ({
    name: 'DVID Desk',
    version: appVersion,
    mode: config.mode,
    cacheRoot: config.cacheRoot,
    server: cur.server,
    runtime: { node: process.versions.node, electron: config.electronVersion ?? null, platform: process.platform },
  });

  const handlers: ApiHandlers = {
    async appInfo(): Promise<AppInfo> {
      return appInfo();
    },
    async connectionStatus(arg) {
      if (arg?.refresh || cur.connection.state === 'checking') return checkConnection();
      return cur.connection;
    },
    async serverInfo() {
      const info = await fetchServerInfo(cur);
      void checkConnection();
      return info;
    },
    searchNeurons: (q) => cur.derive.searchNeurons(q),
    neuronsCsv: (q) => cur.derive.neuronsCsv(q),
    statuses: () => cur.derive.statuses(),
    rois: (arg) => cur.derive.rois(arg),
    roiConnectivity: (arg) => cur.derive.roiConnectivity(arg),
    body: (arg) => cur.derive.body(arg),
    partners: (arg) => cur.derive.partners(arg),

    // Body view and slices (issue 9, main/view)
    bodyMesh: (arg) => cur.view.bodyMesh(arg),
    bodySkeleton: (arg) => cur.view.bodySkeleton(arg),
    bodySynapses: (arg) => cur.view.bodySynapses(arg),
    roiMesh: (arg) => cur.view.roiMesh(arg),
    slice: (arg) => cur.view.slice(arg),
    sliceInfo: (arg) => cur.view.sliceInfo(arg),
    bodyNames: (arg) => cur.view.bodyNames(arg),
    bodyGeometry: (arg) => cur.view.bodyGeometry(arg),

    // Datasets (issue 8)
    async recentServers() {
      return settings.recentServers().map(({ url, label, demo: isDemo }) => ({ url, label, demo: isDemo }));
    },
    async connect({ url, token }) {
      const server = serverRefFromUrl(url);
      await switchTo(server, token?.trim() ? token.trim() : null);
      return appInfo();
    },
    async useDemo() {
      const d = await ensureDemo();
      if (!cur.server?.demo) await switchTo(demoRef(d), null);
      return appInfo();
    },
    repos: () => cur.datasets.repos(),
    async selectNode({ uuid }) {
      const s = cur;
      const { dir } = await s.datasets.locate(uuid);
      s.derive.select({ dir, uuid });
      const active = await s.datasets.activeNode({ dir, uuid });
      void checkConnection(s);
      return active!;
    },
    activeNode: () => cur.datasets.activeNode(cur.derive.active),
    instances: ({ uuid }) => cur.datasets.instances(uuid),
    cacheInfo: () => cur.datasets.cacheInfo(cur.derive.active),

    // Sync (main/sync)
    syncPlan: (arg) => cur.sync.plan(arg),
    syncStart: (arg) => cur.sync.start(arg),
    syncPause: (arg) => cur.sync.pause(arg),
    syncResume: (arg) => cur.sync.resume(arg),
    syncCancel: (arg) => cur.sync.cancel(arg),
    syncStatus: (arg) => cur.sync.status(arg),
  };

  return {
    handlers,
    events,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await closeScope(cur);
      await demoStarting?.catch(() => null);
      await demo?.close();
    },
  };
}
