/**
 * Copying a node's cached rows to another node: how a child node starts from an ancestor's data
 * (child.ts). DVID reads a key at a node as written at the nearest ancestor (DVID-API §3), so a child
 * differs from its ancestor by what the logs since say; the ancestor's rows of the chosen instances
 * are copied (block contents are shared by hash: a copied block adds a `blocks` row, not bytes; large
 * values stay one blob file), then the job fetches only what changed. It runs inside the transaction
 * that creates the job (child.ts startJob): a crash leaves no half-copied node.
 *
 * The copied rows point at one new `fetches` row per instance ("copy of node <ancestor>", no job: the
 * job's "stored by this job" checks must not take them for fresh), so their age is the copy's, and
 * their checksums are recomputed for the new node id.
 */
import type { Cache } from '../cache/index';
import { storedRowChecksum } from '../cache/row-writer';
import { TABLES, type TableSpec } from '../cache/tables';

/** Tables holding per-node data of an instance, in the order they are copied. */
const NODE_TABLES: readonly TableSpec[] = [
  TABLES.blocks,
  TABLES.sv_map,
  TABLES.element_blocks,
  TABLES.element_block_svs,
  TABLES.kv_entries,
  TABLES.body_annotations,
  TABLES.roi_spans,
  TABLES.labelsz_counts,
];

/** Copies the rows of `instanceIds` from node `from` to node `to` (whose rows of them are replaced); returns rows copied. */
export function copyNodeData(cache: Cache, instanceIds: readonly number[], from: number, to: number, parentUuid: string, jobId: number | null): number {
  return cache.write(() => {
    const db = cache.db.db;
    let n = 0;
    for (const instanceId of instanceIds) {
      const fetchId = cache.fetches!.record({ jobId, instanceId, nodeId: to, request: `copy of node ${parentUuid}`, mutationId: null });
      for (const spec of NODE_TABLES) {
        const cols = spec.columns.map((c) => c.name);
        const nodeAt = cols.indexOf('node_id');
        const fetchAt = cols.indexOf('fetch_id');
        db.prepare(`DELETE FROM ${spec.name} WHERE instance_id = ? AND node_id = ?`).run(instanceId, to);
        const insert = db.prepare(`INSERT INTO ${spec.name} (${cols.join(', ')}, checksum) VALUES (${cols.map(() => '?').join(', ')}, ?)`);
        // The supervoxel under an element is only as current as its labelmap at the child: rows read from a
        // labelmap that is not copied too are left for the element-svs step to read (and map) at the child.
        const viaLabelmap = cols.includes('labelmap_id') ? ` AND labelmap_id IN (${instanceIds.map(() => '?').join(', ')})` : '';
        const rows = db
          .prepare(`SELECT ${cols.join(', ')} FROM ${spec.name} WHERE instance_id = ? AND node_id = ?${viaLabelmap}`)
          .raw(true)
          .safeIntegers(true)
          .all(instanceId, from, ...(viaLabelmap ? instanceIds : []));
        for (const row of rows as unknown[][]) {
          row[nodeAt] = BigInt(to);
          if (fetchAt >= 0) row[fetchAt] = BigInt(fetchId);
          insert.run(...row, storedRowChecksum(spec, row));
          n++;
        }
      }
    }
    return n;
  }, 'copying the parent node');
}
