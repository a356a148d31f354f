/**
 * THE contract between the renderer and the main process.
 *
 * Every method and every event the renderer may use is declared here, with its types, and nowhere
 * else. The same contract is served by two bridges: Electron IPC (preload/index.ts ↔ main/bridge/ipc.ts)
 * and browser mode (renderer/src/api.ts ↔ main/bridge/web.ts, loopback HTTP + SSE).
 *
 * Rules:
 * - No imports: this file is shared by main, preload and renderer.
 * - Every method takes at most one argument, a plain object, and returns a Promise.
 * - Ids (bodies, supervoxels, mutation ids) are uint64 and cross as decimal strings, never numbers.
 * - Binary results are typed as ArrayBuffer (structured clone over IPC, application/octet-stream over HTTP).
 * - Arguments are validated at runtime in main (main/bridge/validate.ts) before any handler runs.
 */

/** A uint64 id as a decimal string ("0" … "18446744073709551615"). */
export type U64 = string;

export type AppMode = 'electron' | 'browser';

export interface ServerRef {
  /** Base URL of the DVID server, e.g. http://emdata.example.org:8000 */
  url: string;
  /** What the UI calls it ("Demo dataset" for the embedded demo). */
  label: string;
  /** True when this is the embedded demo server. */
  demo: boolean;
}

export interface AppInfo {
  name: string;
  version: string;
  mode: AppMode;
  /** The cache root (see README: where the cache lives). */
  cacheRoot: string;
  /** The configured DVID server, or null when none is configured. */
  server: ServerRef | null;
  /** Node and platform facts, shown in the About line of the status bar. */
  runtime: { node: string; electron: string | null; platform: string };
}

export type ConnectionState = 'online' | 'offline' | 'unconfigured' | 'checking';

export interface ConnectionStatus {
  state: ConnectionState;
  /** The server's "DVID Version" string when last reached. */
  serverVersion: string | null;
  /** ISO time of the last check, null before the first one. */
  checkedAt: string | null;
  /** Why the last check failed (offline), human-readable. */
  error: string | null;
}

/** Values of GET /api/server/info (all strings, as DVID sends them). */
export type ServerInfo = Record<string, string>;

export interface ConnectionCheckArgs {
  /** Re-check the server now instead of answering from the last check. */
  refresh?: boolean;
}

export interface DvidDeskMethods {
  /** Version, mode, cache root and configured server. Never touches the network. */
  appInfo(): Promise<AppInfo>;
  /** Online/offline state of the configured server. */
  connectionStatus(args?: ConnectionCheckArgs): Promise<ConnectionStatus>;
  /** GET /api/server/info of the configured server (fails when offline). */
  serverInfo(): Promise<ServerInfo>;
}

/** Main → renderer pushes. */
export interface DvidDeskEvents {
  /** The connection state changed (or was re-checked). */
  connection: ConnectionStatus;
}

export type MethodName = keyof DvidDeskMethods;
export type EventName = keyof DvidDeskEvents;
export type MethodArg<M extends MethodName> = Parameters<DvidDeskMethods[M]> extends [] ? undefined : Parameters<DvidDeskMethods[M]>[0];
export type MethodResult<M extends MethodName> = Awaited<ReturnType<DvidDeskMethods[M]>>;
export type Unsubscribe = () => void;

export interface DvidDeskApi extends DvidDeskMethods {
  /** Subscribe to a main → renderer event; returns the function that unsubscribes. */
  on<E extends EventName>(event: E, listener: (payload: DvidDeskEvents[E]) => void): Unsubscribe;
}

/** The runtime list of methods; a type test keeps it equal to DvidDeskMethods. */
export const API_METHODS = ['appInfo', 'connectionStatus', 'serverInfo'] as const satisfies readonly MethodName[];
/** The runtime list of events; a type test keeps it equal to DvidDeskEvents. */
export const API_EVENTS = ['connection'] as const satisfies readonly EventName[];

/** Error shape both bridges use for a failed call. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string };
}
export type ApiErrorCode =
  | 'unknown-method'
  | 'bad-argument'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'offline'
  | 'failed';

/** The name under which preload exposes the contract on window. */
export const API_GLOBAL = 'dvidDesk';
/** IPC channel names (Electron bridge). */
export const ipcCallChannel = (m: MethodName): string => `dvid-desk:call:${m}`;
export const ipcEventChannel = (e: EventName): string => `dvid-desk:event:${e}`;
