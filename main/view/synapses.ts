/**
 * A body's synapse elements as the `bodySynapses` result (layout "DDSY", preload/binary.ts), from
 * the derived `syn` table (index syn_body): the same elements, bodies and T-bar/PSD kinds the counts
 * of the search and the body panel come from, so the dots and the numbers always agree.
 */
import type { Database } from 'better-sqlite3';
import { allocSynapses } from '../../preload/binary';
import { u64ToDb } from '../cache/u64';

export function synapsesOf(db: Database, ctxId: number, body: bigint): ArrayBuffer {
  const bid = db.prepare('SELECT bid FROM derived.bodies WHERE ctx_id = ? AND body = ?').pluck().safeIntegers(false).get(ctxId, u64ToDb(body)) as number | undefined;
  if (bid === undefined) return allocSynapses(0, 0).buffer;
  const rows = db
    .prepare('SELECT x, y, z, kind FROM derived.syn WHERE bid = ? AND kind IS NOT NULL ORDER BY kind')
    .raw(true)
    .safeIntegers(false)
    .all(bid) as Array<[number, number, number, number]>;
  let pre = 0;
  for (const r of rows) if (r[3] === 0) pre++;
  const out = allocSynapses(rows.length, pre);
  rows.forEach((r, i) => out.records.set(r, 4 * i));
  return out.buffer;
}
