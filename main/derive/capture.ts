/**
 * Change capture on the cache's writer connection: TEMP triggers (they live only on this connection
 * and only while the derived tables are attached) record the key of every row written to the tables
 * the derived numbers depend on into TEMP queue tables, in the same transaction as the write, and
 * call `derive_changed()` so the owner can schedule a flush. Nothing is added to the cache's schema.
 *
 *   main.element_blocks, main.element_block_svs → temp.dq_blk (instance, node, bz, by, bx)
 *   main.sv_map                       → temp.dq_sv  (instance, node, sv)
 *   main.body_annotations             → temp.dq_ann (instance, node, body)
 *   main.roi_spans                    → temp.dq_roi (instance, node, 'spans')
 *   main.kv_entries roiHierarchy / primaryRois → temp.dq_roi (instance, node, 'meta')
 *
 * Only nodes that have a ctx are recorded (a node without one is built from scratch when first
 * asked). A rolled-back write rolls its queue rows back too. The queue is processed by
 * Derived.flush(), which reads the current stored state of each key (update.ts).
 */
import type { Database } from 'better-sqlite3';

const QUEUES = `
CREATE TEMP TABLE IF NOT EXISTS dq_blk (instance_id INTEGER, node_id INTEGER, bz INTEGER, by INTEGER, bx INTEGER, PRIMARY KEY (instance_id, node_id, bz, by, bx)) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS dq_sv (instance_id INTEGER, node_id INTEGER, sv INTEGER, PRIMARY KEY (instance_id, node_id, sv)) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS dq_ann (instance_id INTEGER, node_id INTEGER, body INTEGER, PRIMARY KEY (instance_id, node_id, body)) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS dq_roi (instance_id INTEGER, node_id INTEGER, what TEXT, PRIMARY KEY (instance_id, node_id, what)) WITHOUT ROWID;
`;

interface Source {
  table: string;
  queue: string;
  cols: string[];
  extra?: string;
  when?: string;
}

const SOURCES: Source[] = [
  { table: 'element_blocks', queue: 'dq_blk', cols: ['instance_id', 'node_id', 'bz', 'by', 'bx'] },
  { table: 'element_block_svs', queue: 'dq_blk', cols: ['instance_id', 'node_id', 'bz', 'by', 'bx'] },
  { table: 'sv_map', queue: 'dq_sv', cols: ['instance_id', 'node_id', 'sv'] },
  { table: 'body_annotations', queue: 'dq_ann', cols: ['instance_id', 'node_id', 'body'] },
  { table: 'roi_spans', queue: 'dq_roi', cols: ['instance_id', 'node_id'], extra: "'spans'" },
  { table: 'kv_entries', queue: 'dq_roi', cols: ['instance_id', 'node_id'], extra: "'meta'", when: "key IN ('roiHierarchy', 'primaryRois')" },
];

export const CHANGED_FUNCTION = 'derive_changed';

function triggerSql(src: Source, event: 'INSERT' | 'UPDATE' | 'DELETE', allNodes: boolean): string {
  // An UPDATE records the old key and the new one (the stores never rewrite keys in place, but a
  // key that moved must be re-read at both places).
  const rows = event === 'DELETE' ? ['OLD'] : event === 'INSERT' ? ['NEW'] : ['OLD', 'NEW'];
  const name = `derive_${src.table}_${event.toLowerCase()}`;
  const cond = (row: string) => [allNodes ? '1' : `${row}.node_id IN (SELECT node_id FROM derived.ctx)`, ...(src.when ? [src.when.replace(/\bkey\b/, `${row}.key`)] : [])].join(' AND ');
  const inserts = rows
    .map((row) => {
      const values = [...src.cols.map((c) => `${row}.${c}`), ...(src.extra ? [src.extra] : [])].join(', ');
      return `INSERT OR IGNORE INTO temp.${src.queue} SELECT ${values} WHERE ${cond(row)};`;
    })
    .join(' ');
  return `CREATE TEMP TRIGGER IF NOT EXISTS ${name} AFTER ${event} ON main.${src.table} WHEN ${rows.map(cond).join(' OR ')}
BEGIN ${inserts} SELECT ${CHANGED_FUNCTION}(); END;`;
}

const EVENTS = ['INSERT', 'UPDATE', 'DELETE'] as const;

/** Installs the queues and triggers; `onChange` runs (synchronously, inside the writing statement) at every recorded row. */
export function installCapture(db: Database, onChange: () => void): void {
  db.function(CHANGED_FUNCTION, { deterministic: false, varargs: false }, () => {
    onChange();
    return null;
  });
  db.exec(QUEUES);
  for (const src of SOURCES) for (const ev of EVENTS) db.exec(triggerSql(src, ev, false));
}

/**
 * Which nodes' writes are recorded: those with a ctx (the default; the triggers read derived.ctx),
 * or every node (while a background build runs: the derived file is detached from this connection
 * then, and the node being built may have no ctx yet).
 */
export function captureAllNodes(db: Database, all: boolean): void {
  for (const src of SOURCES) {
    for (const ev of EVENTS) {
      db.exec(`DROP TRIGGER IF EXISTS temp.derive_${src.table}_${ev.toLowerCase()}`);
      db.exec(triggerSql(src, ev, all));
    }
  }
}

export function removeCapture(db: Database): void {
  for (const src of SOURCES) for (const ev of EVENTS) db.exec(`DROP TRIGGER IF EXISTS temp.derive_${src.table}_${ev.toLowerCase()}`);
  for (const q of ['dq_blk', 'dq_sv', 'dq_ann', 'dq_roi']) db.exec(`DROP TABLE IF EXISTS temp.${q}`);
}

export interface Queued {
  /** instance, node, bx, by, bz */
  blk: Array<[number, number, number, number, number]>;
  sv: Array<[number, number, bigint]>;
  ann: Array<[number, number, bigint]>;
  roi: Array<[number, number, string]>;
}

/** The recorded keys (ids in stored form). */
export function readQueue(db: Database): Queued {
  return {
    blk: db.prepare('SELECT instance_id, node_id, bx, by, bz FROM temp.dq_blk').raw(true).safeIntegers(false).all() as Queued['blk'],
    sv: (db.prepare('SELECT instance_id, node_id, sv FROM temp.dq_sv').raw(true).safeIntegers(true).all() as Array<[bigint, bigint, bigint]>).map(([i, n, sv]) => [Number(i), Number(n), sv]),
    ann: (db.prepare('SELECT instance_id, node_id, body FROM temp.dq_ann').raw(true).safeIntegers(true).all() as Array<[bigint, bigint, bigint]>).map(([i, n, b]) => [
      Number(i),
      Number(n),
      b,
    ]),
    roi: db.prepare('SELECT instance_id, node_id, what FROM temp.dq_roi').raw(true).safeIntegers(false).all() as Queued['roi'],
  };
}

export function queueEmpty(db: Database): boolean {
  return (
    db
      .prepare('SELECT EXISTS (SELECT 1 FROM temp.dq_blk) OR EXISTS (SELECT 1 FROM temp.dq_sv) OR EXISTS (SELECT 1 FROM temp.dq_ann) OR EXISTS (SELECT 1 FROM temp.dq_roi)')
      .pluck()
      .get() === 0
  );
}

export function clearQueue(db: Database): void {
  db.exec('DELETE FROM temp.dq_blk; DELETE FROM temp.dq_sv; DELETE FROM temp.dq_ann; DELETE FROM temp.dq_roi;');
}
