/**
 * A sync plan: per instance, its scope, the work items it expands to, item counts and estimated
 * bytes, made before anything is downloaded. The items become sync_items rows when the job starts.
 *
 * Item kinds and their specs (phase in brackets: a phase starts when the earlier ones settled):
 *   roi            [0] {}                                        GET /roi
 *   labelsz        [0] {index, top?: n, bodies?: string[]}        /top, /threshold pages, or /counts
 *   kv             [0] {role, keys: string[]}                     GET /keyvalues (protobuf), batch of keys
 *   elements       [0] {box, blockSize, filter}                   annotation /blocks over a tile
 *   element-bodies [0] {bodies: string[], blockSize}              annotation /label/{body}?relationships=true
 *   kv-prune       [1] {first?, last?, drop?}                     drop cached keys the listing no longer has
 *                                                                 (drop: exactly these keys, from a mutation log)
 *   blocks         [1] {scale, supervoxels, box?|coords?}         /blocks (box) or /specificblocks (coords);
 *                                                                 also the supervoxel under synced elements
 *   mapping        [2] {refresh?}                                 /mapping for the supervoxels of the synced blocks
 *                                                                 (refresh: these again, and any still unmapped)
 *   element-svs    [2] {labelmap, missingOnly?}                   the supervoxel under the remaining elements
 *                                                                 (missingOnly: any stored row counts, not only this job's)
 */
import type { Box } from './geometry';
import type { LogPosition } from './marks';

export type KvRole = 'body-annotations' | 'meshes' | 'skeletons' | 'roi-meshes' | 'generic';

export type ElementFilter = { kind: 'none' } | { kind: 'bbox'; box: Box } | { kind: 'rois'; rois: string[] };

export type ItemSpec =
  | { kind: 'roi' }
  | { kind: 'labelsz'; index: string; top?: number; bodies?: string[] }
  | { kind: 'kv'; role: KvRole; keys: string[] }
  | { kind: 'kv-prune'; first?: string; last?: string; drop?: string[] }
  | {
      kind: 'blocks';
      scale: number;
      supervoxels: boolean;
      box?: Box;
      coords?: Array<[number, number, number]>;
      /** Absent: compression=blocks (always, unless a plan asks otherwise, e.g. a benchmark of LZ4 payloads). */
      compression?: 'lz4';
    }
  | { kind: 'elements'; box: Box; blockSize: [number, number, number]; filter: ElementFilter }
  | { kind: 'element-bodies'; bodies: string[]; blockSize: [number, number, number] }
  | { kind: 'mapping'; refresh?: string[] }
  | { kind: 'element-svs'; labelmap: string; missingOnly?: boolean };

/**
 * Elements come before blocks so that the decode of each scale-0 supervoxel block also reads the
 * supervoxel under the elements inside it (one decode per block, not two); element-svs then only
 * asks the server (/labels) for elements outside the synced blocks.
 */
export const PHASE: Record<ItemSpec['kind'], number> = {
  roi: 0,
  labelsz: 0,
  kv: 0,
  elements: 0,
  'element-bodies': 0,
  'kv-prune': 1,
  blocks: 1,
  mapping: 2,
  'element-svs': 2,
};

export interface PlannedItem {
  spec: ItemSpec;
  /** Units expected (blocks, elements, keys, labels). */
  units: number;
  bytes: number;
}

export interface PlannedInstance {
  name: string;
  type: string;
  scope: string;
  items: PlannedItem[];
  units: number;
  bytes: number;
  notes: string[];
}

/**
 * full: everything in scope (on a locked node, what earlier jobs stored counts as done). reread: the
 * same, asked for (--full), so nothing stored before counts. incremental: only what changed since the
 * node's last sync (marks.ts). child: an ancestor's stored data copied to this node first (child.ts,
 * fork.ts), then what the logs since say differs.
 */
export type PlanMode = 'full' | 'reread' | 'incremental' | 'child';

export interface Plan {
  mode?: PlanMode;
  /** child mode: the ancestor node (usually the parent) whose cached data were reused. */
  base?: string;
  /**
   * child mode: what the job copies when it is created (child.ts startJob): the ancestor's rows of
   * these instances, as of the ancestor's sync jobs the plan read (a later sync of the ancestor voids the plan).
   */
  fork?: { from: string; instances: string[]; jobs: Record<string, number> };
  /** The log positions read when planning, per instance: written as sync marks when the job is done. */
  logs?: Record<string, LogPosition | null>;
  /** Canonical scope per instance (the marks' scope). */
  scopes?: Record<string, string>;
  server: string;
  repoRoot: string;
  node: string;
  nodeLocked: boolean;
  /** Repo MutationID when planned. */
  mutationId: string;
  instances: PlannedInstance[];
  totalBytes: number;
  /** sha256 of node + instances + canonical scopes: a re-run of the same sync finds its job by it. */
  key: string;
}
