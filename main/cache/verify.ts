/**
 * `verify`: checks every row and every blob of a cache and reports what is damaged. It opens the
 * database read-only and never deletes, moves or rewrites anything; repairing is a separate, explicit
 * step (rebuild-cache, or re-syncing what the report names).
 *
 * Checks, in order:
 * 1. PRAGMA integrity_check (b-trees, indexes, STRICT types) and PRAGMA foreign_key_check.
 * 2. Every row of every table: the CRC-32 recomputed from its columns must equal its `checksum`.
 * 3. Content hashes: block_content.data and inline kv values must hash (sha256) to their key; a
 *    kv value held in a blob file must have that file.
 * 4. Every blob file: its bytes must hash to its name. Unreferenced blobs and leftover temp files are
 *    noted (wasted space, not damage).
 * 5. Every prepared mesh preview (prepared-store.ts): it must decode (lengths, indices, bounds), its
 *    CRC-32 must match, and its header must name the source and budget its file name does. A damaged
 *    one is reported (the body view would ignore it and make it again); one whose source no row
 *    references any more is noted.
 * Cost: one sequential read of the database and of every blob; for a hemibrain-sized synapse cache
 * (tens of millions of rows) expect minutes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodePreparedMesh } from '../formats/prepared-mesh';
import { sha256 } from './blob-store';
import { RowHasher } from './checksum';
import { cacheErrorFrom } from './errors';
import { openCache, quickCheck, type CacheDb } from './open';
import { TABLE_LIST, type TableSpec } from './tables';
import { u64FromDb } from './u64';

export interface Problem {
  /** Table name, "database", "blobs" or "prepared". */
  where: string;
  /** The damaged row's key (column=value, ids as decimal) or the blob's file. */
  what: string;
  reason: string;
}

export interface VerifyReport {
  dir: string;
  ok: boolean;
  rowsChecked: number;
  blobsChecked: number;
  /** prepared mesh previews checked */
  preparedChecked: number;
  problems: Problem[];
  /** Not damage: unreferenced blobs, leftover temp files, an unclean last session. */
  notes: string[];
}

const MAX_PROBLEMS_PER_TABLE = 1000;

function keyText(spec: TableSpec, row: readonly unknown[]): string {
  return spec.key
    .map((k) => {
      const i = spec.columns.findIndex((c) => c.name === k);
      const col = spec.columns[i]!;
      let v = row[i];
      if (col.u64 && typeof v === 'bigint') v = u64FromDb(v);
      if (v instanceof Uint8Array) v = Buffer.from(v).toString('hex');
      return `${k}=${String(v)}`;
    })
    .join(' ');
}

function checkTable(cache: CacheDb, spec: TableSpec, problems: Problem[]): number {
  const cols = spec.columns.map((c) => c.name);
  const stmt = cache.db.prepare(`SELECT ${cols.join(', ')}, checksum FROM ${spec.name}`).raw(true).safeIntegers(true);
  const hasher = new RowHasher();
  const hashCol = spec.contentHash ? cols.indexOf(spec.contentHash.column) : -1;
  const ofCol = spec.contentHash ? cols.indexOf(spec.contentHash.of) : -1;
  let n = 0;
  let reported = 0;
  const report = (p: Problem) => {
    if (reported++ < MAX_PROBLEMS_PER_TABLE) problems.push(p);
  };
  try {
    for (const row of stmt.iterate() as Iterable<unknown[]>) {
      n++;
      hasher.reset();
      for (let i = 0; i < spec.columns.length; i++) hasher.value(spec.columns[i]!.type, row[i]);
      const stored = row[cols.length] as bigint;
      if (BigInt(hasher.digest()) !== stored) {
        report({ where: spec.name, what: keyText(spec, row), reason: 'row checksum mismatch (the stored values changed after they were written)' });
        continue;
      }
      if (hashCol >= 0) {
        const hash = row[hashCol] as Buffer | null;
        const bytes = row[ofCol] as Buffer | null;
        if (hash && bytes && !sha256(bytes).equals(hash)) {
          report({ where: spec.name, what: keyText(spec, row), reason: 'content does not match its sha256' });
        } else if (hash && bytes === null && spec.name === 'kv_entries' && !cache.blobs.has(hash)) {
          report({ where: spec.name, what: keyText(spec, row), reason: `its blob file ${cache.blobs.pathOf(hash)} is missing` });
        }
      }
    }
  } catch (err) {
    report({ where: spec.name, what: `after ${n} rows`, reason: `unreadable: ${(err as Error).message}` });
  }
  if (reported > MAX_PROBLEMS_PER_TABLE) problems.push({ where: spec.name, what: '…', reason: `${reported - MAX_PROBLEMS_PER_TABLE} more damaged rows not listed` });
  return n;
}

function checkBlobs(cache: CacheDb, problems: Problem[], notes: string[]): number {
  let n = 0;
  let unreferenced = 0;
  const referenced = cache.db.prepare('SELECT 1 FROM kv_entries WHERE hash = ? AND value IS NULL LIMIT 1');
  for (const blob of cache.blobs.list()) {
    n++;
    let bytes: Buffer;
    try {
      bytes = readFileSync(blob.path);
    } catch (err) {
      problems.push({ where: 'blobs', what: blob.path, reason: `unreadable: ${(err as Error).message}` });
      continue;
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== blob.hex) problems.push({ where: 'blobs', what: blob.path, reason: `content hashes to ${actual.slice(0, 16)}…, not to its name` });
    let isRef = false;
    try {
      isRef = referenced.get(Buffer.from(blob.hex, 'hex')) !== undefined;
    } catch {
      isRef = true; // the table is unreadable: already reported there
    }
    if (!isRef) unreferenced++;
  }
  if (unreferenced) notes.push(`${unreferenced} blob file(s) are not referenced by any row (left by an interrupted sync; wasted space, not damage)`);
  const temps = cache.blobs.leftoverTemps();
  if (temps.length) notes.push(`${temps.length} leftover temp file(s) in ${cache.blobs.tmpDir} (an interrupted blob write; removed by the next sync)`);
  return n;
}

function checkPrepared(cache: CacheDb, problems: Problem[], notes: string[]): number {
  let n = 0;
  let unreferenced = 0;
  const referenced = cache.db.prepare('SELECT 1 FROM kv_entries WHERE hash = ? LIMIT 1');
  for (const file of cache.prepared.list()) {
    n++;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file.path);
    } catch (err) {
      problems.push({ where: 'prepared', what: file.path, reason: `unreadable: ${(err as Error).message}` });
      continue;
    }
    try {
      decodePreparedMesh(bytes, { hash: file.source, maxTriangles: file.maxTriangles, algorithm: file.algorithm });
    } catch (err) {
      problems.push({ where: 'prepared', what: file.path, reason: `${(err as Error).message} (the body view ignores it and prepares the mesh again)` });
      continue;
    }
    let isRef = false;
    try {
      isRef = referenced.get(Buffer.from(file.source)) !== undefined;
    } catch {
      isRef = true; // the table is unreadable: already reported there
    }
    if (!isRef) unreferenced++;
  }
  if (unreferenced) notes.push(`${unreferenced} prepared mesh preview(s) belong to meshes no longer cached (wasted space, not damage)`);
  const temps = cache.prepared.leftoverTemps();
  if (temps.length) notes.push(`${temps.length} leftover temp file(s) in ${cache.prepared.tmpDir} (an interrupted write; removed by the next sync)`);
  return n;
}

/** Verifies the cache in `dir` (read-only). Throws only when the database cannot be opened at all. */
export function verifyCache(dir: string): VerifyReport {
  const problems: Problem[] = [];
  const notes: string[] = [];
  const cache = openCache(dir, { readonly: true });
  try {
    if (cache.report.uncleanShutdown) notes.push('the last writer session did not close cleanly (the next writer open runs quick_check)');
    let integrity: string[];
    try {
      integrity = quickCheck(cache.db, true);
    } catch (err) {
      integrity = [cacheErrorFrom(err, dir, 'integrity_check').message];
    }
    if (!(integrity.length === 1 && integrity[0] === 'ok')) {
      for (const line of integrity.slice(0, 100)) problems.push({ where: 'database', what: 'integrity_check', reason: line });
    }
    try {
      const fk = cache.db.prepare('PRAGMA foreign_key_check').all() as Array<{ table: string; rowid: number | null; parent: string }>;
      for (const v of fk.slice(0, 100)) problems.push({ where: v.table, what: `rowid=${String(v.rowid)}`, reason: `points at a missing ${v.parent} row` });
    } catch (err) {
      problems.push({ where: 'database', what: 'foreign_key_check', reason: (err as Error).message });
    }
    let rows = 0;
    for (const spec of TABLE_LIST) rows += checkTable(cache, spec, problems);
    const blobs = checkBlobs(cache, problems, notes);
    const prepared = checkPrepared(cache, problems, notes);
    return { dir, ok: problems.length === 0, rowsChecked: rows, blobsChecked: blobs, preparedChecked: prepared, problems, notes };
  } finally {
    cache.close();
  }
}
