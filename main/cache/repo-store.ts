/**
 * The repo, its version DAG and its data instances, as last read from the server. Node and instance
 * rows keep their local integer ids across refreshes (upsert on uuid / name), because every data row
 * points at them.
 */
import type { CacheDb } from './open';
import { RowWriter, nextId } from './row-writer';
import { TABLES } from './tables';
import { u64FromDbOrNull } from './u64';

export interface NodeInput {
  uuid: string;
  versionId: number | null;
  /** "" is the master branch (DVID's legacy name). */
  branch: string;
  locked: boolean;
  note: string | null;
  log: readonly string[];
  /** Parent and child UUIDs (DVID sends VersionIDs; the caller maps them). */
  parents: readonly string[];
  children: readonly string[];
  created: string | null;
  updated: string | null;
}

export interface InstanceInput {
  name: string;
  type: string;
  dataUuid: string | null;
}

export interface RepoInput {
  rootUuid: string;
  alias: string | null;
  description: string | null;
  mutationId: bigint | null;
  properties: unknown;
  log: readonly string[];
  nodes: readonly NodeInput[];
  instances: readonly InstanceInput[];
}

export interface NodeRow extends NodeInput {
  id: number;
  fetchedAt: number;
}

export interface InstanceRow extends InstanceInput {
  id: number;
  fetchedAt: number;
}

export interface RepoRow {
  rootUuid: string;
  alias: string | null;
  description: string | null;
  mutationId: bigint | null;
  fetchedAt: number;
}

export class RepoStore {
  readonly #repo: RowWriter;
  readonly #node: RowWriter;
  readonly #instance: RowWriter;

  constructor(readonly cache: CacheDb) {
    if (!cache.readonly) {
      this.#repo = new RowWriter(cache.db, TABLES.repo, 'replace');
      this.#node = new RowWriter(cache.db, TABLES.nodes, 'upsert');
      this.#instance = new RowWriter(cache.db, TABLES.instances, 'upsert');
    } else {
      this.#repo = this.#node = this.#instance = null as never;
    }
  }

  /** Stores the repo, every node and every instance; call inside a write transaction. */
  save(repo: RepoInput, now = Date.now()): void {
    const db = this.cache.db;
    this.#repo.write([1, repo.rootUuid, repo.alias, repo.description, repo.mutationId, JSON.stringify(repo.properties ?? null), JSON.stringify(repo.log), now]);
    const findNode = db.prepare('SELECT id FROM nodes WHERE uuid = ?').pluck().safeIntegers(false);
    for (const n of repo.nodes) {
      const id = (findNode.get(n.uuid) as number | undefined) ?? nextId(db, 'nodes');
      this.#node.write([
        id,
        n.uuid,
        n.versionId,
        n.branch,
        n.locked ? 1 : 0,
        n.note,
        JSON.stringify(n.log),
        JSON.stringify(n.parents),
        JSON.stringify(n.children),
        n.created,
        n.updated,
        now,
      ]);
    }
    const findInstance = db.prepare('SELECT id FROM instances WHERE name = ?').pluck().safeIntegers(false);
    for (const i of repo.instances) {
      const id = (findInstance.get(i.name) as number | undefined) ?? nextId(db, 'instances');
      this.#instance.write([id, i.name, i.type, i.dataUuid, now]);
    }
  }

  repo(): RepoRow | null {
    const r = this.cache.db.prepare('SELECT root_uuid, alias, description, mutation_id, fetched_at FROM repo WHERE id = 1').safeIntegers(true).get() as
      | { root_uuid: string; alias: string | null; description: string | null; mutation_id: bigint | null; fetched_at: bigint }
      | undefined;
    return r
      ? { rootUuid: r.root_uuid, alias: r.alias, description: r.description, mutationId: u64FromDbOrNull(r.mutation_id), fetchedAt: Number(r.fetched_at) }
      : null;
  }

  nodes(): NodeRow[] {
    const rows = this.cache.db.prepare('SELECT * FROM nodes ORDER BY id').safeIntegers(false).all() as Array<Record<string, unknown>>;
    return rows.map(nodeFromRow);
  }

  node(uuid: string): NodeRow | null {
    const r = this.cache.db.prepare('SELECT * FROM nodes WHERE uuid = ?').safeIntegers(false).get(uuid) as Record<string, unknown> | undefined;
    return r ? nodeFromRow(r) : null;
  }

  nodeById(id: number): NodeRow | null {
    const r = this.cache.db.prepare('SELECT * FROM nodes WHERE id = ?').safeIntegers(false).get(id) as Record<string, unknown> | undefined;
    return r ? nodeFromRow(r) : null;
  }

  instances(): InstanceRow[] {
    const rows = this.cache.db.prepare('SELECT id, name, type, data_uuid, fetched_at FROM instances ORDER BY name').safeIntegers(false).all() as Array<{
      id: number;
      name: string;
      type: string;
      data_uuid: string | null;
      fetched_at: number;
    }>;
    return rows.map((r) => ({ id: r.id, name: r.name, type: r.type, dataUuid: r.data_uuid, fetchedAt: r.fetched_at }));
  }

  instance(name: string): InstanceRow | null {
    return this.instances().find((i) => i.name === name) ?? null;
  }
}

function nodeFromRow(r: Record<string, unknown>): NodeRow {
  return {
    id: r.id as number,
    uuid: r.uuid as string,
    versionId: (r.version_id as number | null) ?? null,
    branch: r.branch as string,
    locked: r.locked === 1,
    note: (r.note as string | null) ?? null,
    log: JSON.parse((r.log as string | null) ?? '[]') as string[],
    parents: JSON.parse(r.parents as string) as string[],
    children: JSON.parse(r.children as string) as string[],
    created: (r.created as string | null) ?? null,
    updated: (r.updated as string | null) ?? null,
    fetchedAt: r.fetched_at as number,
  };
}
