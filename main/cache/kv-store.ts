/**
 * Keyvalue entries of every keyvalue instance (meshes, skeletons, body annotations, ROI meshes, …):
 * one `kv_entries` row per key with the value's size and sha256; values up to INLINE_MAX bytes sit in
 * the row, larger ones are blob files named by that sha256 (blob-store.ts). `body` is the body id the
 * key names (`<body>.ngmesh`, `<body>_swc`, `<body>`), when it names one, so a body's mesh or
 * skeleton is one index lookup. `mutation_id` is the body's mutation id when the value says it (the
 * NeuTu SWC header) or the server did (/lastmod).
 */
import type { CacheDb } from './open';
import { sha256 } from './blob-store';
import { RowWriter } from './row-writer';
import { TABLES } from './tables';
import { u64FromDb, u64FromDbOrNull, u64ToDb } from './u64';

/** Values this size or smaller stay inside SQLite (faster than files below ~100 KB). */
export const INLINE_MAX = 64 * 1024;

export interface KvMeta {
  body: bigint | null;
  /** 'ngmesh' | 'obj' | 'ply' | 'draco' | 'swc' | 'json' | null (unknown / opaque). */
  format: string | null;
  mutationId: bigint | null;
}

/** A value made ready for the row: written to the blob store first when large. */
export interface PreparedValue {
  size: number;
  hash: Buffer;
  inline: Uint8Array | null;
}

export interface KvEntry extends KvMeta {
  key: string;
  size: number;
  hash: Buffer;
  inline: boolean;
}

export class KvStore {
  readonly #writer: RowWriter | null;

  constructor(readonly cache: CacheDb) {
    this.#writer = cache.readonly ? null : new RowWriter(cache.db, TABLES.kv_entries, 'replace');
  }

  /**
   * Hashes the value and, when it is large, writes its blob (atomically, fsynced) before the row's
   * transaction, so the transaction itself stays short. Throws CacheError('full') on ENOSPC.
   */
  prepare(bytes: Uint8Array): PreparedValue {
    const hash = sha256(bytes);
    if (bytes.length <= INLINE_MAX) return { size: bytes.length, hash, inline: bytes };
    this.cache.blobs.put(bytes, hash);
    return { size: bytes.length, hash, inline: null };
  }

  /** Call inside a write transaction, after prepare(). */
  put(instanceId: number, nodeId: number, key: string, value: PreparedValue, meta: KvMeta, fetchId: number): void {
    this.#writer!.write([instanceId, nodeId, key, meta.body, value.size, value.hash, meta.format, meta.mutationId, fetchId, value.inline]);
  }

  /** Deletes keys in [first, last] (byte order, inclusive) that are not in `keep`; returns how many. */
  deleteMissingInRange(instanceId: number, nodeId: number, first: string, last: string, keep: ReadonlySet<string>): number {
    const db = this.cache.db;
    const keys = db
      .prepare('SELECT key FROM kv_entries WHERE instance_id = ? AND node_id = ? AND key >= ? AND key <= ?')
      .pluck()
      .all(instanceId, nodeId, first, last) as string[];
    const del = db.prepare('DELETE FROM kv_entries WHERE instance_id = ? AND node_id = ? AND key = ?');
    let n = 0;
    for (const k of keys) if (!keep.has(k)) n += del.run(instanceId, nodeId, k).changes;
    return n;
  }

  entry(instanceId: number, nodeId: number, key: string): KvEntry | null {
    const r = this.cache.db
      .prepare('SELECT key, body, size, hash, value IS NOT NULL AS inline, format, mutation_id FROM kv_entries WHERE instance_id = ? AND node_id = ? AND key = ?')
      .safeIntegers(true)
      .get(instanceId, nodeId, key) as RawEntry | undefined;
    return r ? toEntry(r) : null;
  }

  /** The value bytes (from the row or its blob file), or null when the key is not cached. */
  value(instanceId: number, nodeId: number, key: string): Buffer | null {
    const r = this.cache.db
      .prepare('SELECT hash, value FROM kv_entries WHERE instance_id = ? AND node_id = ? AND key = ?')
      .get(instanceId, nodeId, key) as { hash: Buffer; value: Buffer | null } | undefined;
    if (!r) return null;
    return r.value ?? this.cache.blobs.get(r.hash);
  }

  /** Entries whose key names `body`. */
  byBody(instanceId: number, nodeId: number, body: bigint): KvEntry[] {
    const rows = this.cache.db
      .prepare('SELECT key, body, size, hash, value IS NOT NULL AS inline, format, mutation_id FROM kv_entries WHERE instance_id = ? AND node_id = ? AND body = ?')
      .safeIntegers(true)
      .all(instanceId, nodeId, u64ToDb(body)) as RawEntry[];
    return rows.map(toEntry);
  }

  /**
   * The entries whose key names a body, with what says how current each is: the mutation id its value
   * embeds (a NeuTu skeleton's) and the repo MutationID read before it was fetched (null for rows a
   * child node copied from its parent).
   */
  bodyEntries(instanceId: number, nodeId: number): Array<{ key: string; body: bigint; mutationId: bigint | null; fetchMutationId: bigint | null }> {
    const rows = this.cache.db
      .prepare(
        'SELECT e.key AS key, e.body AS body, e.mutation_id AS mutation_id, f.mutation_id AS fetch_mutation_id FROM kv_entries e LEFT JOIN fetches f ON f.id = e.fetch_id WHERE e.instance_id = ? AND e.node_id = ? AND e.body IS NOT NULL ORDER BY e.key',
      )
      .safeIntegers(true)
      .all(instanceId, nodeId) as Array<{ key: string; body: bigint; mutation_id: bigint | null; fetch_mutation_id: bigint | null }>;
    return rows.map((r) => ({ key: r.key, body: u64FromDb(r.body), mutationId: u64FromDbOrNull(r.mutation_id), fetchMutationId: u64FromDbOrNull(r.fetch_mutation_id) }));
  }

  keys(instanceId: number, nodeId: number): string[] {
    return this.cache.db.prepare('SELECT key FROM kv_entries WHERE instance_id = ? AND node_id = ? ORDER BY key').pluck().all(instanceId, nodeId) as string[];
  }

  /** Which of `keys` are already cached (written by job `jobId` when given): a resumed sync skips them. */
  present(instanceId: number, nodeId: number, keys: readonly string[], jobId: number | null = null): Set<string> {
    const stmt = this.cache.db.prepare(
      jobId === null
        ? 'SELECT 1 FROM kv_entries WHERE instance_id = ? AND node_id = ? AND key = ?'
        : 'SELECT 1 FROM kv_entries e JOIN fetches f ON f.id = e.fetch_id WHERE e.instance_id = ? AND e.node_id = ? AND e.key = ? AND f.job_id = ?',
    );
    const out = new Set<string>();
    for (const k of keys) if (jobId === null ? stmt.get(instanceId, nodeId, k) : stmt.get(instanceId, nodeId, k, jobId)) out.add(k);
    return out;
  }

  /** Keys cached in [first, last] (byte order, inclusive; the whole instance when omitted). */
  keysIn(instanceId: number, nodeId: number, first?: string, last?: string): string[] {
    if (first === undefined || last === undefined) return this.keys(instanceId, nodeId);
    return this.cache.db
      .prepare('SELECT key FROM kv_entries WHERE instance_id = ? AND node_id = ? AND key >= ? AND key <= ? ORDER BY key')
      .pluck()
      .all(instanceId, nodeId, first, last) as string[];
  }

  delete(instanceId: number, nodeId: number, key: string): void {
    this.cache.db.prepare('DELETE FROM kv_entries WHERE instance_id = ? AND node_id = ? AND key = ?').run(instanceId, nodeId, key);
  }
}

interface RawEntry {
  key: string;
  body: bigint | null;
  size: bigint;
  hash: Buffer;
  inline: bigint;
  format: string | null;
  mutation_id: bigint | null;
}

function toEntry(r: RawEntry): KvEntry {
  return {
    key: r.key,
    body: u64FromDbOrNull(r.body),
    size: Number(r.size),
    hash: r.hash,
    inline: r.inline === 1n,
    format: r.format,
    mutationId: u64FromDbOrNull(r.mutation_id),
  };
}
