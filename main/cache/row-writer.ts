/**
 * Prepared INSERT statements built from a table's spec (tables.ts) that compute the row checksum on
 * the way in, so no writer can forget it or hash the columns in another order. uint64 columns take
 * the id itself (bigint) and are stored through u64.ts.
 */
import type { Database, Statement } from 'better-sqlite3';
import { RowHasher } from './checksum';
import type { TableSpec } from './tables';
import { u64ToDb } from './u64';

/**
 * abort: plain INSERT. replace: INSERT OR REPLACE (rows nothing points at). ignore: INSERT OR IGNORE
 * (content-addressed rows). upsert: ON CONFLICT(key) DO UPDATE, which keeps the row in place, for
 * rows other tables point at (nodes, instances).
 */
export type Conflict = 'abort' | 'replace' | 'ignore' | 'upsert';

export class RowWriter {
  readonly #stmt: Statement;
  readonly #hasher = new RowHasher();
  readonly #u64: boolean[];
  readonly #types: ReadonlyArray<TableSpec['columns'][number]['type']>;
  readonly #row: unknown[];

  constructor(
    db: Database,
    readonly spec: TableSpec,
    conflict: Conflict = 'abort',
  ) {
    const cols = spec.columns.map((c) => c.name);
    const verb = conflict === 'replace' ? 'INSERT OR REPLACE' : conflict === 'ignore' ? 'INSERT OR IGNORE' : 'INSERT';
    const upsert =
      conflict === 'upsert'
        ? ` ON CONFLICT(${spec.key.join(', ')}) DO UPDATE SET ${[...cols, 'checksum']
            .filter((c) => !spec.key.includes(c))
            .map((c) => `${c} = excluded.${c}`)
            .join(', ')}`
        : '';
    this.#stmt = db.prepare(`${verb} INTO ${spec.name} (${cols.join(', ')}, checksum) VALUES (${cols.map(() => '?').join(', ')}, ?)${upsert}`);
    this.#u64 = spec.columns.map((c) => c.u64 === true);
    this.#types = spec.columns.map((c) => c.type);
    this.#row = Array.from<unknown>({ length: cols.length + 1 });
  }

  /** Values in the spec's column order (u64 columns as the id itself, or null). Returns the changes count. */
  write(values: readonly unknown[]): number {
    const n = this.#types.length;
    if (values.length !== n) throw new TypeError(`${this.spec.name}: expected ${n} values, got ${values.length}`);
    const h = this.#hasher.reset();
    const row = this.#row;
    for (let i = 0; i < n; i++) {
      let v = values[i];
      if (v === undefined) v = null;
      if (this.#u64[i] && v !== null) v = u64ToDb(v as bigint);
      h.value(this.#types[i]!, v);
      row[i] = v;
    }
    row[n] = h.digest();
    return this.#stmt.run(row).changes;
  }
}

/**
 * The next id of an INTEGER PRIMARY KEY table. Ids are chosen before the insert because the row
 * checksum covers the id; call it inside the write transaction (one writer per cache, so no race).
 */
export function nextId(db: Database, table: string): number {
  const row = db.prepare(`SELECT ifnull(max(id), 0) + 1 AS id FROM ${table}`).safeIntegers(false).get() as { id: number };
  return row.id;
}

/** Checksum of a row given in spec order with u64 columns already in stored form (verify's path). */
export function storedRowChecksum(spec: TableSpec, stored: readonly unknown[], hasher = new RowHasher()): number {
  hasher.reset();
  for (let i = 0; i < spec.columns.length; i++) hasher.value(spec.columns[i]!.type, stored[i]);
  return hasher.digest();
}
