/**
 * The derived tables: `derived.sqlite` next to `cache.sqlite`, ATTACHed to the cache's connection
 * as schema `derived`. Everything in it is computed from the stored data (main/cache), so it has no
 * row checksums and no additive-migration rule: a file whose `user_version` is not DERIVED_VERSION
 * is emptied and rebuilt from the cache, never migrated. See main/derive/README.md for the why of
 * each table and how they are kept current.
 *
 * Conventions:
 * - `ctx` = one node of the repo with the instances its numbers come from (context.ts). Every other
 *   table is keyed by something that belongs to exactly one ctx (ctx_id, a bid, a sid or a rid).
 * - Body ids are INTEGER in the stored form of main/cache/u64.ts (`id XOR 2^63`), so they join with
 *   the cache's tables and sort like the ids themselves.
 * - Positions are scale-0 voxels, as int32 z, y, x; (bz, by, bx) is the cache's annotation block
 *   (`element_blocks` key) the element is stored in, and `sv` its supervoxel (stored u64 form), so a
 *   changed block or a remapped supervoxel finds its synapse rows by index.
 */

export const DERIVED_FILE = 'derived.sqlite';
export const DERIVED_SCHEMA = 'derived';
export const DERIVED_VERSION = 2;

export const DERIVED_DDL = `
CREATE TABLE derived.meta (
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE derived.ctx (
  id INTEGER PRIMARY KEY,
  node_id INTEGER NOT NULL UNIQUE,
  config TEXT NOT NULL,
  pre INTEGER NOT NULL DEFAULT 0,
  post INTEGER NOT NULL DEFAULT 0,
  pre_no_body INTEGER NOT NULL DEFAULT 0,
  post_no_body INTEGER NOT NULL DEFAULT 0,
  bodies INTEGER NOT NULL DEFAULT 0,
  built_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE derived.rois (
  rid INTEGER PRIMARY KEY,
  ctx_id INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  instance_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  parent TEXT,
  is_primary INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
  ord INTEGER NOT NULL,
  pre INTEGER NOT NULL DEFAULT 0,
  post INTEGER NOT NULL DEFAULT 0,
  bodies_pre INTEGER NOT NULL DEFAULT 0,
  bodies_post INTEGER NOT NULL DEFAULT 0,
  bodies INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX derived.rois_name ON rois(ctx_id, name);
CREATE UNIQUE INDEX derived.rois_slot ON rois(ctx_id, slot);
CREATE INDEX derived.rois_ord ON rois(ctx_id, ord);

CREATE TABLE derived.syn (
  sid INTEGER PRIMARY KEY,
  ctx_id INTEGER NOT NULL,
  z INTEGER NOT NULL,
  y INTEGER NOT NULL,
  x INTEGER NOT NULL,
  bz INTEGER NOT NULL,
  by INTEGER NOT NULL,
  bx INTEGER NOT NULL,
  kind INTEGER CHECK (kind IN (0, 1)),
  sv INTEGER,
  bid INTEGER
) STRICT;
CREATE UNIQUE INDEX derived.syn_pos ON syn(ctx_id, z, y, x);
CREATE INDEX derived.syn_block ON syn(ctx_id, bz, by, bx);
CREATE INDEX derived.syn_sv ON syn(ctx_id, sv) WHERE sv IS NOT NULL;
CREATE INDEX derived.syn_body ON syn(bid, kind) WHERE bid IS NOT NULL;

CREATE TABLE derived.conn (
  pre_sid INTEGER NOT NULL,
  post_sid INTEGER NOT NULL,
  decl INTEGER NOT NULL CHECK (decl BETWEEN 1 AND 3),
  PRIMARY KEY (pre_sid, post_sid)
) STRICT, WITHOUT ROWID;
CREATE INDEX derived.conn_post ON conn(post_sid, pre_sid, decl);

CREATE TABLE derived.bodies (
  bid INTEGER PRIMARY KEY,
  ctx_id INTEGER NOT NULL,
  body INTEGER NOT NULL,
  pre INTEGER NOT NULL DEFAULT 0,
  post INTEGER NOT NULL DEFAULT 0,
  annotated INTEGER NOT NULL DEFAULT 0 CHECK (annotated IN (0, 1)),
  type TEXT,
  instance TEXT,
  status TEXT,
  status_key TEXT NOT NULL DEFAULT '',
  status_rank INTEGER,
  other_names TEXT
) STRICT;
CREATE UNIQUE INDEX derived.bodies_id ON bodies(ctx_id, body);
CREATE INDEX derived.bodies_post ON bodies(ctx_id, post, pre, status_key);
CREATE INDEX derived.bodies_pre ON bodies(ctx_id, pre, post, status_key);
CREATE INDEX derived.bodies_status ON bodies(ctx_id, status_key, post, pre);
CREATE INDEX derived.bodies_type ON bodies(ctx_id, type, body);
CREATE INDEX derived.bodies_instance ON bodies(ctx_id, instance, body);
CREATE INDEX derived.bodies_rank ON bodies(ctx_id, status_rank, status_key, body);

CREATE TABLE derived.body_roi (
  bid INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  pre INTEGER NOT NULL,
  post INTEGER NOT NULL,
  PRIMARY KEY (bid, rid)
) STRICT, WITHOUT ROWID;
CREATE INDEX derived.body_roi_post ON body_roi(rid, post, bid);
CREATE INDEX derived.body_roi_pre ON body_roi(rid, pre, bid);

CREATE TABLE derived.edges (
  pre_bid INTEGER NOT NULL,
  post_bid INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (pre_bid, post_bid)
) STRICT, WITHOUT ROWID;
CREATE INDEX derived.edges_post ON edges(post_bid, pre_bid, n);

CREATE TABLE derived.roi_conn (
  ctx_id INTEGER NOT NULL,
  a_rid INTEGER NOT NULL,
  b_rid INTEGER NOT NULL,
  connections INTEGER NOT NULL,
  bodies INTEGER NOT NULL,
  PRIMARY KEY (ctx_id, a_rid, b_rid)
) STRICT, WITHOUT ROWID;

CREATE VIRTUAL TABLE derived.fts_sub USING fts5(
  type, instance, other,
  tokenize = 'trigram case_sensitive 0 remove_diacritics 1', content = '', contentless_delete = 1
);
CREATE VIRTUAL TABLE derived.fts_word USING fts5(
  type, instance, other,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2', content = '', contentless_delete = 1
);
`;

/** Tables holding per-ctx rows, in the order a ctx is cleared (children first). */
export const DERIVED_TABLES = ['conn', 'syn', 'body_roi', 'edges', 'roi_conn', 'bodies', 'rois', 'ctx'] as const;

/**
 * Secondary indexes a full build drops and re-creates around its bulk inserts (sorting once beats
 * millions of random b-tree inserts). The ones the build itself reads (bodies_id, rois_*) stay.
 */
export const BULK_INDEXES: ReadonlyArray<{ name: string; sql: string }> = [...DERIVED_DDL.matchAll(/CREATE (?:UNIQUE )?INDEX derived\.(\w+) ON [^;]+;/g)]
  .map((m) => ({ name: m[1]!, sql: m[0] }))
  .filter((i) => !['bodies_id', 'rois_name', 'rois_slot', 'rois_ord'].includes(i.name));
