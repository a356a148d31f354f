/**
 * The current schema's tables as the code sees them: every column except `checksum`, in declaration
 * order, with the type the row checksum uses, and the key that names a row in verify's reports.
 * A unit test keeps this equal to the migrated database (PRAGMA table_info), so a migration that adds
 * a column must add it here too.
 */
import type { ColType } from './checksum';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColType;
  /** Holds a uint64 id in its XOR-2^63 form (u64.ts). */
  readonly u64?: boolean;
}

export interface TableSpec {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  /** Columns that identify a row in reports (the primary key). */
  readonly key: readonly string[];
  /** Column holding a sha256 that the row's bytes (`hashOf`) must match, checked by verify. */
  readonly contentHash?: { column: string; of: string };
}

const int = (name: string): ColumnSpec => ({ name, type: 'int' });
const u64 = (name: string): ColumnSpec => ({ name, type: 'int', u64: true });
const text = (name: string): ColumnSpec => ({ name, type: 'text' });
const blob = (name: string): ColumnSpec => ({ name, type: 'blob' });

export const TABLES = {
  cache_info: { name: 'cache_info', columns: [text('key'), text('value')], key: ['key'] },
  repo: {
    name: 'repo',
    columns: [int('id'), text('root_uuid'), text('alias'), text('description'), u64('mutation_id'), text('properties'), text('log'), int('fetched_at')],
    key: ['id'],
  },
  nodes: {
    name: 'nodes',
    columns: [
      int('id'),
      text('uuid'),
      int('version_id'),
      text('branch'),
      int('locked'),
      text('note'),
      text('log'),
      text('parents'),
      text('children'),
      text('created'),
      text('updated'),
      int('fetched_at'),
    ],
    key: ['uuid'],
  },
  instances: { name: 'instances', columns: [int('id'), text('name'), text('type'), text('data_uuid'), int('fetched_at')], key: ['name'] },
  sync_jobs: {
    name: 'sync_jobs',
    columns: [
      int('id'),
      int('node_id'),
      text('plan_key'),
      text('plan'),
      text('state'),
      u64('mutation_id'),
      int('created_at'),
      int('updated_at'),
      int('finished_at'),
      text('error'),
    ],
    key: ['id'],
  },
  sync_items: {
    name: 'sync_items',
    columns: [
      int('job_id'),
      int('seq'),
      int('instance_id'),
      text('kind'),
      text('spec'),
      text('state'),
      int('phase'),
      text('cursor'),
      int('est_items'),
      int('est_bytes'),
      int('done_items'),
      int('bytes'),
      int('attempts'),
      text('error'),
      int('updated_at'),
    ],
    key: ['job_id', 'seq'],
  },
  sync_failures: {
    name: 'sync_failures',
    columns: [int('id'), int('job_id'), int('seq'), int('attempt'), text('subject'), text('error'), int('at')],
    key: ['id'],
  },
  fetches: {
    name: 'fetches',
    columns: [int('id'), int('job_id'), int('instance_id'), int('node_id'), text('request'), u64('mutation_id'), int('fetched_at')],
    key: ['id'],
  },
  instance_infos: {
    name: 'instance_infos',
    columns: [int('instance_id'), int('node_id'), text('info'), int('fetch_id')],
    key: ['instance_id', 'node_id'],
  },
  block_content: {
    name: 'block_content',
    columns: [blob('hash'), int('gx'), int('gy'), int('gz'), blob('labels'), int('label_count'), blob('data')],
    key: ['hash'],
    contentHash: { column: 'hash', of: 'data' },
  },
  blocks: {
    name: 'blocks',
    columns: [int('instance_id'), int('node_id'), int('scale'), int('supervoxels'), int('bz'), int('by'), int('bx'), blob('hash'), int('fetch_id')],
    key: ['instance_id', 'node_id', 'scale', 'supervoxels', 'bz', 'by', 'bx'],
  },
  sv_map: {
    name: 'sv_map',
    columns: [int('instance_id'), int('node_id'), u64('sv'), u64('body'), int('fetch_id')],
    key: ['instance_id', 'node_id', 'sv'],
  },
  element_blocks: {
    name: 'element_blocks',
    columns: [
      int('instance_id'),
      int('node_id'),
      int('bz'),
      int('by'),
      int('bx'),
      int('block_size'),
      int('complete'),
      int('count'),
      text('props'),
      text('tags'),
      int('fetch_id'),
      blob('data'),
    ],
    key: ['instance_id', 'node_id', 'bz', 'by', 'bx'],
  },
  element_block_svs: {
    name: 'element_block_svs',
    columns: [int('instance_id'), int('node_id'), int('bz'), int('by'), int('bx'), int('labelmap_id'), int('fetch_id'), blob('svs')],
    key: ['instance_id', 'node_id', 'bz', 'by', 'bx'],
  },
  kv_entries: {
    name: 'kv_entries',
    columns: [
      int('instance_id'),
      int('node_id'),
      text('key'),
      u64('body'),
      int('size'),
      blob('hash'),
      text('format'),
      u64('mutation_id'),
      int('fetch_id'),
      blob('value'),
    ],
    key: ['instance_id', 'node_id', 'key'],
    contentHash: { column: 'hash', of: 'value' },
  },
  body_annotations: {
    name: 'body_annotations',
    columns: [
      int('instance_id'),
      int('node_id'),
      u64('body'),
      text('status'),
      text('type'),
      text('instance'),
      text('class'),
      text('user'),
      text('comment'),
      text('description'),
      text('notes'),
      text('primary_neurite'),
      text('status_user'),
      text('instance_user'),
      text('last_modified_by'),
      text('soma_side'),
      text('superclass'),
      text('neurotransmitter'),
      text('hemilineage'),
      text('grp'),
      int('fetch_id'),
    ],
    key: ['instance_id', 'node_id', 'body'],
  },
  roi_spans: {
    name: 'roi_spans',
    columns: [int('instance_id'), int('node_id'), int('block_size'), int('span_count'), int('block_count'), int('fetch_id'), blob('spans')],
    key: ['instance_id', 'node_id'],
  },
  labelsz_counts: {
    name: 'labelsz_counts',
    columns: [int('instance_id'), int('node_id'), text('idx'), u64('label'), int('count'), int('rank'), int('fetch_id')],
    key: ['instance_id', 'node_id', 'idx', 'label'],
  },
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;
export const TABLE_LIST: readonly TableSpec[] = Object.values(TABLES);
