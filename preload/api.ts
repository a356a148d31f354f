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
  /**
   * Online but the active node's cache is behind the server (why, human-readable), else null: the
   * status bar then says "Stale". Checked with the connection.
   */
  stale: string | null;
  /**
   * Offline and the active node is open: what may be stale and since when (human-readable), else null.
   * A locked node cannot change, so offline it is never marked.
   */
  maybeStale: string | null;
  /** ISO time the server last answered in this session, null when it never did. */
  lastOnlineAt: string | null;
}

/** Values of GET /api/server/info (all strings, as DVID sends them). */
export type ServerInfo = Record<string, string>;

export interface ConnectionCheckArgs {
  /** Re-check the server now instead of answering from the last check. */
  refresh?: boolean;
}

/** Per-ROI minimum filter: bodies with at least `min` (default 1) synapses in any / all of the ROIs. */
export interface RoiFilter {
  rois: string[];
  mode: 'any' | 'all';
  min?: number;
}

export type NeuronSortKey = 'rank' | 'bodyId' | 'type' | 'instance' | 'status' | 'pre' | 'post' | `roi:${string}:pre` | `roi:${string}:post`;

export interface NeuronQuery {
  /** A number = body id; text = type/instance/name fields (ranked); `/…/` = regular expression (RE2 syntax). */
  text?: string;
  /** Raw status strings; '' = empty or missing status. */
  statuses?: string[];
  minPre?: number;
  minPost?: number;
  /** post (PSDs, inputs) in the ROI */
  inputRois?: RoiFilter;
  /** pre (T-bars, outputs) in the ROI */
  outputRois?: RoiFilter;
  /** per-row pre/post for these ROIs */
  roiColumns?: string[];
  /** default: rank with text, post descending without */
  sort?: { key: NeuronSortKey; dir: 'asc' | 'desc' };
  offset?: number;
  /** ≤ 1000, default 100 */
  limit?: number;
}

export interface RoiCount {
  roi: string;
  pre: number;
  post: number;
}

export interface NeuronRow {
  bodyId: U64;
  type: string | null;
  instance: string | null;
  status: string | null;
  /** Position in neuclease's status order; null = unknown status. */
  statusRank: number | null;
  /** T-bars (outputs) */
  pre: number;
  /** PSDs (inputs) */
  post: number;
  /** pre/post in each of the query's roiColumns */
  rois: Record<string, { pre: number; post: number }>;
  /** primary ROIs, largest (pre + post) first */
  roiBreakdown: RoiCount[];
}

export interface NeuronPage {
  total: number;
  offset: number;
  rows: NeuronRow[];
  tookMs: number;
}

export interface StatusCount {
  status: string;
  rank: number | null;
  bodies: number;
}

export interface RoiRow {
  name: string;
  parent: string | null;
  primary: boolean;
  /** T-bars in the ROI */
  pre: number;
  /** PSDs in the ROI */
  post: number;
  /** bodies with at least one T-bar / PSD / either in the ROI */
  bodiesPre: number;
  bodiesPost: number;
  bodies: number;
}

export interface RoiConnectivity {
  rois: string[];
  /** [tbarRoi][psdRoi]: T-bar → PSD connections with the T-bar in the row ROI and the PSD in the column ROI */
  connections: number[][];
  /** [a][b]: bodies with post (inputs) in ROI a and pre (outputs) in ROI b */
  bodies: number[][];
}

export interface BodyDetail {
  bodyId: U64;
  /** The annotation JSON as stored (verbatim fields), null when the body has none. */
  annotation: Record<string, unknown> | null;
  type: string | null;
  instance: string | null;
  status: string | null;
  statusRank: number | null;
  pre: number;
  post: number;
  rois: RoiCount[];
  hasMesh: boolean;
  hasSkeleton: boolean;
  /** 0-based place in the synced labelsz ranking (AllSyn, else PostSyn, else PreSyn); null when unranked. */
  labelszRank: number | null;
}

export interface Partner {
  bodyId: U64;
  type: string | null;
  instance: string | null;
  status: string | null;
  connections: number;
}

// ---- Body view and slices (issue 9). Binary results: layouts in preload/binary.ts. ----

export type SliceAxis = 'xy' | 'xz' | 'yz';

export interface SliceRequest {
  /** labelmap instance (default: the node's segmentation, the one synapses were mapped with) */
  instance?: string;
  /** plane: xy → (u, v) = (x, y); xz → (x, z); yz → (y, z) (DVID's 0_1, 0_2, 1_2) */
  axis: SliceAxis;
  /** the fixed coordinate, in voxels of `scale` */
  position: number;
  /** pyramid level: voxels of scale s are 2^s scale-0 voxels */
  scale: number;
  /** window in voxels of `scale`: first column (u), first row (v), size (≤ 1024 each) */
  x0: number;
  y0: number;
  width: number;
  height: number;
}

export interface SliceInfo {
  instance: string;
  /** labelmaps of the node with cached blocks (the first is the default) */
  instances: string[];
  blockSize: [number, number, number];
  /** per voxel, in voxelUnits (nanometers for FlyEM data) */
  voxelSize: [number, number, number];
  voxelUnits: string;
  /** scale-0 voxel box of the volume (inclusive), when the instance info gives it */
  extent: { min: [number, number, number]; max: [number, number, number] } | null;
  /** scales with cached blocks */
  scales: number[];
  /** the server's pyramid: scales 0 … maxScale exist there */
  maxScale: number;
}

export interface BodyName {
  bodyId: U64;
  type: string | null;
  instance: string | null;
  status: string | null;
}

export interface BodyGeometry {
  bodyId: U64;
  /** the cached mesh, with its triangle count (exact for ngmesh, estimated from the size otherwise) */
  mesh: { format: string; bytes: number; triangles: number; estimated: boolean } | null;
  skeleton: { bytes: number } | null;
}

// ---------------------------------------------------------------------------------------------------
// Datasets: servers, repos and their DAGs, the active node, instances, the cache (issue 8)

export interface ConnectArgs {
  /** http(s)://host[:port][/path] */
  url: string;
  /** Bearer token for servers that require one: kept in memory for this session, never written or shown. */
  token?: string;
}

export interface NodeSummary {
  uuid: string;
  /** '' = master (legacy repos) */
  branch: string;
  locked: boolean;
  note: string;
  parents: string[];
  children: string[];
  created: string | null;
  /** Some of its data is in the cache. */
  cached: boolean;
}

export interface RepoSummary {
  root: string;
  alias: string;
  description: string;
  /** 'server' = read just now; 'cache' = as stored by the last sync (offline). */
  source: 'server' | 'cache';
  nodes: NodeSummary[];
}

export interface ActiveNode {
  uuid: string;
  repoRoot: string;
  locked: boolean;
  branch: string;
  /** The cache folder of the node's repo (may not exist before the first sync). */
  cacheDir: string;
  /** Some of its data is in the cache. */
  synced: boolean;
}

export interface InstanceCache {
  /** Stored units: blocks, elements, keys, ROI blocks or labelsz rows. */
  items: number;
  /** Bytes downloaded for it. */
  bytes: number;
  /** ISO time of the newest fetch. */
  syncedAt: string | null;
  /** Known to be behind the server (the segmentation changed since). */
  stale: boolean;
}

export interface InstanceSummary {
  name: string;
  type: string;
  dataUuid: string | null;
  /** Instances it is synced to (annotation → labelmap, labelsz → annotation). */
  syncs: string[];
  /** What the cache holds of it at this node, null = nothing. */
  cached: InstanceCache | null;
}

export interface CacheSummary {
  dir: string;
  repoRoot: string;
  alias: string;
  sizeBytes: number;
  /** Nodes with data in it. */
  nodes: number;
}

export interface CacheInfo {
  /** The cache root. */
  root: string;
  /** The active node's cache folder, null when no node is active. */
  dir: string | null;
  node: string | null;
  /** Bytes on disk of the active cache folder. */
  sizeBytes: number;
  /** Every cache of the active server. */
  caches: CacheSummary[];
  /** What the active node holds, per instance. */
  instances: Array<InstanceCache & { name: string; type: string }>;
}

/** One instance of a sync plan and its scope, in the grammar of `dvid-desk sync --instance NAME=SCOPE`. */
export interface SyncInstanceArg {
  name: string;
  /** all (default), roi:EB,FB, bbox:x0,y0,z0-x1,y1,z1, bodies:1,2,3, keys:A..B, top:N; labelmaps add ;scales=0-3 */
  scope?: string;
}

export interface SyncPlanArgs {
  /** Node: full UUID, unique prefix, or UUID:branch (the branch's leaf). */
  node: string;
  /** What to take; omitted = every instance of the node with its default scope. */
  instances?: SyncInstanceArg[];
  /** Refuse plans estimated above this many bytes (default 4 GiB). */
  maxBytes?: number;
}

export interface SyncPlanInstance {
  name: string;
  type: string;
  /** Canonical scope text. */
  scope: string;
  /** Requests the sync will make for it. */
  requests: number;
  /** Blocks, elements, keys, … (estimate). */
  items: number;
  /** Estimated bytes to download. */
  bytes: number;
  notes: string[];
}

export interface SyncPlan {
  /** Pass to syncStart. Valid while the app runs. */
  planId: string;
  server: string;
  /** Root UUID of the repo. */
  repo: string;
  /** Full UUID of the node. */
  node: string;
  nodeLocked: boolean;
  instances: SyncPlanInstance[];
  totalBytes: number;
  maxBytes: number;
  /** null when the plan may run; otherwise why it is refused and how to narrow it. */
  refused: string | null;
  /** An unfinished job of this same plan, which syncStart resumes instead of starting over. */
  resumableJobId: number | null;
}

export type SyncState = 'running' | 'pausing' | 'paused' | 'cancelling' | 'cancelled' | 'done' | 'failed';

export interface SyncProgress {
  jobId: number;
  state: SyncState;
  /** Requests (work items). */
  items: { done: number; failed: number; total: number };
  /** Blocks, elements, keys, … (estimates for what is not done yet). */
  units: { done: number; total: number };
  bytes: { done: number; estimated: number };
  /** Bytes per second over the last seconds. */
  rate: number;
  etaSeconds: number | null;
  /** Instances being synced right now. */
  current: string[];
}

export interface SyncJobStatus extends SyncProgress {
  node: string;
  /** Why the job stopped (disk full, …) or how many items failed. */
  error: string | null;
  /** What failed for good, per instance. */
  failures: Array<{ instance: string; kind: string; subjects: string[] }>;
}

export interface SyncJobArgs {
  jobId: number;
}

export interface DvidDeskMethods {
  /** Version, mode, cache root and configured server. Never touches the network. */
  appInfo(): Promise<AppInfo>;
  /** Online/offline state of the configured server. */
  connectionStatus(args?: ConnectionCheckArgs): Promise<ConnectionStatus>;
  /** GET /api/server/info of the configured server (fails when offline). */
  serverInfo(): Promise<ServerInfo>;
  /** Neuron search over the active node's cache (derived tables): one window of the ranked, filtered rows. */
  searchNeurons(query: NeuronQuery): Promise<NeuronPage>;
  /** Every row of a search (no window) as CSV with the columns the table shows. */
  neuronsCsv(query: NeuronQuery): Promise<string>;
  /** Status values present with their rank in neuclease's order and body counts (known order first, unknown last). */
  statuses(): Promise<StatusCount[]>;
  /** ROI table: primary ROIs, or every ROI with `all`. */
  rois(args?: { all?: boolean }): Promise<RoiRow[]>;
  /** ROI×ROI connectivity (default: the primary ROIs). */
  roiConnectivity(args?: { rois?: string[] }): Promise<RoiConnectivity>;
  body(args: { bodyId: U64 }): Promise<BodyDetail>;
  /** Upstream (inputs: bodies whose T-bars connect to this body's PSDs) or downstream partners, most connections first. */
  partners(args: { bodyId: U64; direction: 'upstream' | 'downstream' }): Promise<Partner[]>;
  // ---- Body view and slices (issue 9) ----
  /** The body's cached mesh, decoded and prepared in the worker pool: layout "DDMS" (preload/binary.ts). not-found when it has none.
   * With maxTriangles: a preview decimated (vertex clustering) to at most about that many triangles, drawn first for big meshes. */
  bodyMesh(args: { bodyId: U64; maxTriangles?: number }): Promise<ArrayBuffer>;
  /** The body's cached SWC skeleton: layout "DDSK". not-found when it has none. */
  bodySkeleton(args: { bodyId: U64 }): Promise<ArrayBuffer>;
  /** The body's synapse elements (T-bars and PSDs): layout "DDSY" (empty when it has none). */
  bodySynapses(args: { bodyId: U64 }): Promise<ArrayBuffer>;
  /** A ROI's cached mesh (roisSmoothedDecimated, or NeuTu's rois → roi_data): layout "DDMS". */
  roiMesh(args: { roi: string }): Promise<ArrayBuffer>;
  /** One window of a segmentation plane as body ids, rendered in the worker pool from cached blocks: layout "DDSL". */
  slice(args: SliceRequest): Promise<ArrayBuffer>;
  /** Geometry of the cached segmentation (null when no labelmap block is cached at the active node). */
  sliceInfo(args?: { instance?: string }): Promise<SliceInfo | null>;
  /** Type, instance and status of bodies (hover labels); bodies unknown to the cache come back with nulls. */
  bodyNames(args: { bodyIds: U64[] }): Promise<BodyName[]>;
  /** What is cached to draw each body (mesh size and triangles, skeleton), for the triangle budget. */
  bodyGeometry(args: { bodyIds: U64[] }): Promise<BodyGeometry[]>;

  // Datasets (issue 8)
  /** Servers connected to before (newest first; the demo as one entry). Never a token. */
  recentServers(): Promise<ServerRef[]>;
  /** Makes `url` the active server (remembered in recentServers); the connection is checked in the background. */
  connect(args: ConnectArgs): Promise<AppInfo>;
  /** Makes the embedded demo dataset the active server (starting it if needed). */
  useDemo(): Promise<AppInfo>;
  /** The active server's repos with their DAGs (from its caches when offline). */
  repos(): Promise<RepoSummary[]>;
  /** Makes a node the active node: every search, ROI and body query answers for it from its cache. */
  selectNode(args: { uuid: string }): Promise<ActiveNode>;
  /** The active node (by default the node of the newest finished sync), null when none. */
  activeNode(): Promise<ActiveNode | null>;
  /** The instances of a node's repo with what the cache holds of each at that node. */
  instances(args: { uuid: string }): Promise<InstanceSummary[]>;
  /** Cache root, the active cache folder, sizes, and what the active node holds. */
  cacheInfo(): Promise<CacheInfo>;
  /** Plans a sync of the configured server: item counts and estimated bytes, before any download. */
  syncPlan(args: SyncPlanArgs): Promise<SyncPlan>;
  /** Starts (or resumes, see SyncPlan.resumableJobId) the sync of a plan; progress comes as syncProgress events. */
  syncStart(args: { planId: string }): Promise<SyncProgress>;
  /** Pauses a running sync: what was stored stays; syncResume continues from there. */
  syncPause(args: SyncJobArgs): Promise<SyncProgress>;
  syncResume(args: SyncJobArgs): Promise<SyncProgress>;
  /** Stops a sync for good (what was stored stays in the cache). */
  syncCancel(args: SyncJobArgs): Promise<SyncProgress>;
  /** Sync jobs of the configured server's caches (one, or all when no jobId). */
  syncStatus(args?: { jobId?: number }): Promise<SyncJobStatus[]>;
}

/** Main → renderer pushes. */
export interface DvidDeskEvents {
  /** The connection state changed (or was re-checked). */
  connection: ConnectionStatus;
  /** A sync advanced (at most a few times a second) or changed state. */
  syncProgress: SyncProgress;
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
export const API_METHODS = [
  'appInfo',
  'connectionStatus',
  'serverInfo',
  'searchNeurons',
  'neuronsCsv',
  'statuses',
  'rois',
  'roiConnectivity',
  'body',
  'partners',
  // body view and slices (issue 9)
  'bodyMesh',
  'bodySkeleton',
  'bodySynapses',
  'roiMesh',
  'slice',
  'sliceInfo',
  'bodyNames',
  'bodyGeometry',
  // Datasets (issue 8)
  'recentServers',
  'connect',
  'useDemo',
  'repos',
  'selectNode',
  'activeNode',
  'instances',
  'cacheInfo',
  'syncPlan',
  'syncStart',
  'syncPause',
  'syncResume',
  'syncCancel',
  'syncStatus',
] as const satisfies readonly MethodName[];
/** The runtime list of events; a type test keeps it equal to DvidDeskEvents. */
export const API_EVENTS = ['connection', 'syncProgress'] as const satisfies readonly EventName[];

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
  /** The search / ROI tables of the node are being built (in the background): ask again shortly. */
  | 'building'
  | 'offline'
  | 'failed';

/** The name under which preload exposes the contract on window. */
export const API_GLOBAL = 'dvidDesk';
/** IPC channel names (Electron bridge). */
export const ipcCallChannel = (m: MethodName): string => `dvid-desk:call:${m}`;
export const ipcEventChannel = (e: EventName): string => `dvid-desk:event:${e}`;
