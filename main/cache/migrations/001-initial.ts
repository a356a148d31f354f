/**
 * Schema version 1: everything a synced node needs offline (see main/cache/README.md for the why of
 * each table). Frozen: once released, a migration is never edited; later versions add files.
 *
 * Conventions of every data table:
 * - STRICT; WITHOUT ROWID where the natural key is the primary key and rows are small (one b-tree, no
 *   rowid index). Tables whose rows carry a large BLOB are ordinary rowid tables with their key as a
 *   separate unique index: a WITHOUT ROWID b-tree keeps whole rows in its interior pages and reads a
 *   row's whole overflow chain to compare keys, which made each lookup of a 30 KB block row cost
 *   ~0.4 ms and each insert rewrite interior pages (measured on a 10,648-block cache: 10k lookups by hash took 3.9 s).
 * - `instance_id` / `node_id` point at `instances` / `nodes` (small local integers; the UUIDs live there).
 * - uint64 ids (bodies, supervoxels, labels, mutation ids) are INTEGER `id XOR 2^63` (main/cache/u64.ts).
 * - `fetch_id` points at the `fetches` row that says when, by which job and at which repo mutation id
 *   the row was read from the server; per-row `mutation_id` columns hold a finer value when the
 *   server gives one (skeleton headers, /lastmod).
 * - `checksum` is the CRC-32 of the row's other columns (main/cache/checksum.ts), checked by verify.
 * - A large BLOB column (block bytes, packed elements, values, spans) comes after every column but the checksum: SQLite reads
 *   a row's columns in order, so a column stored after a 50 KB blob is reached only by walking the
 *   blob's overflow pages (reading the label histograms of 10k blocks took seconds that way).
 *   Column order here is free: writers and verify name their columns (tables.ts gives the checksum order).
 */
import type { Migration } from './types';

export const migration001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE cache_info (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL,
  checksum INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE repo (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  root_uuid TEXT NOT NULL,
  alias TEXT,
  description TEXT,
  mutation_id INTEGER,
  properties TEXT,
  log TEXT,
  fetched_at INTEGER NOT NULL,
  checksum INTEGER NOT NULL
) STRICT;

CREATE TABLE nodes (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  version_id INTEGER,
  branch TEXT NOT NULL,
  locked INTEGER NOT NULL CHECK (locked IN (0, 1)),
  note TEXT,
  log TEXT,
  parents TEXT NOT NULL,
  children TEXT NOT NULL,
  created TEXT,
  updated TEXT,
  fetched_at INTEGER NOT NULL,
  checksum INTEGER NOT NULL
) STRICT;

CREATE TABLE instances (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  data_uuid TEXT,
  fetched_at INTEGER NOT NULL,
  checksum INTEGER NOT NULL
) STRICT;

CREATE TABLE sync_jobs (
  id INTEGER PRIMARY KEY,
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  plan_key TEXT NOT NULL,
  plan TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'done', 'failed', 'cancelled')),
  mutation_id INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  error TEXT,
  checksum INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_jobs_plan ON sync_jobs(plan_key, state);

CREATE TABLE sync_items (
  job_id INTEGER NOT NULL REFERENCES sync_jobs(id),
  seq INTEGER NOT NULL,
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  kind TEXT NOT NULL,
  spec TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'partial', 'done', 'failed')),
  phase INTEGER NOT NULL,
  cursor TEXT,
  est_items INTEGER NOT NULL,
  est_bytes INTEGER NOT NULL,
  done_items INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT,
  updated_at INTEGER NOT NULL,
  checksum INTEGER NOT NULL,
  PRIMARY KEY (job_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_failures (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES sync_jobs(id),
  seq INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  subject TEXT NOT NULL,
  error TEXT NOT NULL,
  at INTEGER NOT NULL,
  checksum INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_failures_item ON sync_failures(job_id, seq);

CREATE TABLE fetches (
  id INTEGER PRIMARY KEY,
  job_id INTEGER REFERENCES sync_jobs(id),
  instance_id INTEGER REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  request TEXT NOT NULL,
  mutation_id INTEGER,
  fetched_at INTEGER NOT NULL,
  checksum INTEGER NOT NULL
) STRICT;

CREATE TABLE instance_infos (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  info TEXT NOT NULL,
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE block_content (
  hash BLOB PRIMARY KEY NOT NULL CHECK (length(hash) = 32),
  gx INTEGER NOT NULL,
  gy INTEGER NOT NULL,
  gz INTEGER NOT NULL,
  labels BLOB NOT NULL,
  label_count INTEGER NOT NULL,
  data BLOB NOT NULL,
  checksum INTEGER NOT NULL
) STRICT;

CREATE TABLE blocks (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  scale INTEGER NOT NULL,
  supervoxels INTEGER NOT NULL CHECK (supervoxels IN (0, 1)),
  bz INTEGER NOT NULL,
  by INTEGER NOT NULL,
  bx INTEGER NOT NULL,
  hash BLOB REFERENCES block_content(hash),
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id, scale, supervoxels, bz, by, bx)
) STRICT, WITHOUT ROWID;

CREATE TABLE sv_map (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  sv INTEGER NOT NULL,
  body INTEGER NOT NULL,
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id, sv)
) STRICT, WITHOUT ROWID;
CREATE INDEX sv_map_body ON sv_map(instance_id, node_id, body);

CREATE TABLE element_blocks (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  bz INTEGER NOT NULL,
  by INTEGER NOT NULL,
  bx INTEGER NOT NULL,
  block_size INTEGER NOT NULL,
  complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
  count INTEGER NOT NULL,
  props TEXT,
  tags TEXT,
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  data BLOB NOT NULL,
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id, bz, by, bx)
) STRICT;

CREATE TABLE element_block_svs (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  bz INTEGER NOT NULL,
  by INTEGER NOT NULL,
  bx INTEGER NOT NULL,
  labelmap_id INTEGER NOT NULL REFERENCES instances(id),
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  svs BLOB NOT NULL,
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id, bz, by, bx)
) STRICT;

CREATE TABLE kv_entries (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  key TEXT NOT NULL,
  body INTEGER,
  size INTEGER NOT NULL,
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  format TEXT,
  mutation_id INTEGER,
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  value BLOB,
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id, key)
) STRICT;
CREATE INDEX kv_entries_body ON kv_entries(instance_id, node_id, body) WHERE body IS NOT NULL;
CREATE INDEX kv_entries_blob ON kv_entries(hash) WHERE value IS NULL;

CREATE TABLE body_annotations (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  body INTEGER NOT NULL,
  status TEXT,
  type TEXT,
  instance TEXT,
  class TEXT,
  user TEXT,
  comment TEXT,
  description TEXT,
  notes TEXT,
  primary_neurite TEXT,
  status_user TEXT,
  instance_user TEXT,
  last_modified_by TEXT,
  soma_side TEXT,
  superclass TEXT,
  neurotransmitter TEXT,
  hemilineage TEXT,
  grp TEXT,
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id, body)
) STRICT, WITHOUT ROWID;

CREATE TABLE roi_spans (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  block_size INTEGER NOT NULL,
  span_count INTEGER NOT NULL,
  block_count INTEGER NOT NULL,
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  spans BLOB NOT NULL,
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id)
) STRICT;

CREATE TABLE labelsz_counts (
  instance_id INTEGER NOT NULL REFERENCES instances(id),
  node_id INTEGER NOT NULL REFERENCES nodes(id),
  idx TEXT NOT NULL,
  label INTEGER NOT NULL,
  count INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  fetch_id INTEGER NOT NULL REFERENCES fetches(id),
  checksum INTEGER NOT NULL,
  PRIMARY KEY (instance_id, node_id, idx, label)
) STRICT, WITHOUT ROWID;
CREATE INDEX labelsz_counts_rank ON labelsz_counts(instance_id, node_id, idx, rank);
`,
};
