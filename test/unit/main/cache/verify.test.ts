import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RowHasher, rowChecksum } from '../../../../main/cache/checksum';
import { Cache } from '../../../../main/cache/index';
import { DB_FILE } from '../../../../main/cache/open';
import { storedRowChecksum } from '../../../../main/cache/row-writer';
import { TABLE_LIST, TABLES } from '../../../../main/cache/tables';
import { verifyCache } from '../../../../main/cache/verify';
import { encodePreparedMesh } from '../../../../main/formats/prepared-mesh';
import { openTemp, seedData, seedRepo } from '../../../support/cache-fixture';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function seeded(): string {
  const t = openTemp();
  cleanups.push(t.cleanup);
  seedData(t.cache, seedRepo(t.cache));
  t.cache.close();
  return t.dir;
}

/** Every file under dir with its sha256: what "deletes nothing, changes nothing" is checked against. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).toSorted()) {
    const p = join(dir, f);
    if (statSync(p).isFile()) out[f] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

function flipFirst(file: string, marker: string, nth = 0): void {
  const bytes = readFileSync(file);
  let at = -1;
  for (let i = 0; i <= nth; i++) at = bytes.indexOf(marker, at + 1);
  expect(at, `marker ${marker} #${nth} in ${file}`).toBeGreaterThanOrEqual(0);
  bytes[at + 3]! ^= 0x01;
  writeFileSync(file, bytes);
}

describe('verify', () => {
  it('passes a sound cache and has checked every table', () => {
    const dir = seeded();
    const r = verifyCache(dir);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.blobsChecked).toBe(1);
    const cache = Cache.open(dir, { readonly: true });
    for (const t of TABLE_LIST) expect(cache.db.db.prepare(`SELECT count(*) FROM ${t.name}`).pluck().get(), `${t.name} has rows`).toBeGreaterThan(0);
    cache.close();
  });

  it('finds a flipped byte in a row, names the row, and changes nothing', () => {
    const dir = seeded();
    const file = join(dir, DB_FILE);
    // The marker is in two rows: the parsed comment column and the raw JSON kept in kv_entries.
    const damaged: string[] = [];
    for (const nth of [0, 1]) {
      const original = readFileSync(file);
      flipFirst(file, 'ROWMARKER-1234', nth);
      const before = snapshot(dir);
      const r = verifyCache(dir);
      expect(r.ok).toBe(false);
      expect(r.problems).toHaveLength(1);
      const p = r.problems[0]!;
      damaged.push(p.where);
      expect(p.what).toContain('18446744073709551615');
      expect(p.reason).toMatch(/checksum mismatch|sha256/);
      expect(snapshot(dir)).toEqual(before);
      writeFileSync(file, original);
    }
    expect(damaged.toSorted()).toEqual(['body_annotations', 'kv_entries']);
    expect(verifyCache(dir).ok).toBe(true);
  });

  it('finds a flipped byte in a blob file and changes nothing', () => {
    const dir = seeded();
    const cache = Cache.open(dir, { readonly: true });
    const blob = [...cache.db.blobs.list()][0]!;
    cache.close();
    flipFirst(blob.path, 'BLOBMARKER');
    const before = snapshot(dir);
    const r = verifyCache(dir);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([{ where: 'blobs', what: blob.path, reason: expect.stringMatching(/not to its name/) }]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('reports a missing blob and notes an unreferenced one as waste, not damage', () => {
    const dir = seeded();
    const cache = Cache.open(dir);
    const orphan = cache.db.blobs.put(Buffer.from('nobody points at me'));
    const referenced = [...cache.db.blobs.list()].find((b) => b.hex !== orphan.toString('hex'))!;
    cache.close();
    let r = verifyCache(dir);
    expect(r.ok).toBe(true);
    expect(r.notes.join('\n')).toMatch(/1 blob file\(s\) are not referenced/);
    // Remove the referenced blob (as a user's clean-up script might): reported on its row.
    unlinkSync(referenced.path);
    r = verifyCache(dir);
    expect(r.ok).toBe(false);
    expect(r.problems.some((p) => p.where === 'kv_entries' && /blob file .* is missing/.test(p.reason))).toBe(true);
  });
});

/** A preview file for `source` (a tetrahedron: small, but a valid DDPM). */
function previewBytes(source: Uint8Array): Uint8Array {
  return encodePreparedMesh({
    algorithm: 1,
    maxTriangles: 60_000,
    outward: false,
    turned: false,
    source: { format: 'ngmesh', vertices: 1000, triangles: 2000, min: [0, 0, 0], max: [9, 9, 9], hash: source },
    positions: Float32Array.from([0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0, 9]),
    normals: new Int8Array(16),
    indices: Uint32Array.from([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]),
  });
}

describe('verify: prepared mesh previews', () => {
  it('checks every prepared file: a sound one passes, a flipped byte is named with its path, an orphan is a note', () => {
    const dir = seeded();
    const cache = Cache.open(dir);
    const hash = cache.db.db.prepare('SELECT hash FROM kv_entries LIMIT 1').pluck().get() as Buffer;
    const key = { source: hash, maxTriangles: 60_000, algorithm: 1 };
    cache.db.prepared.write(key, previewBytes(hash));
    const orphan = createHash('sha256').update('a mesh no row has').digest();
    cache.db.prepared.write({ ...key, source: orphan }, previewBytes(orphan));
    const path = cache.db.prepared.pathOf(key);
    cache.close();

    let r = verifyCache(dir);
    expect(r.problems).toEqual([]);
    expect(r.preparedChecked).toBe(2);
    expect(r.notes.join('\n')).toMatch(/1 prepared mesh preview\(s\) belong to meshes no longer cached/);

    const bytes = readFileSync(path);
    bytes[bytes.length - 20]! ^= 0x01;
    writeFileSync(path, bytes);
    const before = snapshot(dir);
    r = verifyCache(dir);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([{ where: 'prepared', what: path, reason: expect.stringMatching(/CRC-32/) }]);
    expect(snapshot(dir)).toEqual(before);
  });

  it('reports a file whose header names another source than its file name', () => {
    const dir = seeded();
    const cache = Cache.open(dir);
    const hash = cache.db.db.prepare('SELECT hash FROM kv_entries LIMIT 1').pluck().get() as Buffer;
    const other = createHash('sha256').update('another mesh').digest();
    const path = cache.db.prepared.pathOf({ source: hash, maxTriangles: 60_000, algorithm: 1 });
    cache.db.prepared.write({ source: hash, maxTriangles: 60_000, algorithm: 1 }, previewBytes(other));
    cache.close();
    const r = verifyCache(dir);
    expect(r.problems).toEqual([{ where: 'prepared', what: path, reason: expect.stringMatching(/made from source/) }]);
  });
});

describe('row checksums', () => {
  it('are the same for a value written as a number and read back as a bigint', () => {
    expect(rowChecksum(['int', 'int', 'text'], [5, -(2 ** 40), 'x'])).toBe(rowChecksum(['int', 'int', 'text'], [5n, -(2n ** 40n), 'x']));
  });

  it('change when any single byte of any value changes, and distinguish NULL from empty', () => {
    const base = rowChecksum(['int', 'text', 'blob'], [1, 'abc', Buffer.from([1, 2, 3])]);
    expect(rowChecksum(['int', 'text', 'blob'], [2, 'abc', Buffer.from([1, 2, 3])])).not.toBe(base);
    expect(rowChecksum(['int', 'text', 'blob'], [1, 'abd', Buffer.from([1, 2, 3])])).not.toBe(base);
    expect(rowChecksum(['int', 'text', 'blob'], [1, 'abc', Buffer.from([1, 2, 4])])).not.toBe(base);
    expect(rowChecksum(['text'], [''])).not.toBe(rowChecksum(['text'], [null]));
    // Column boundaries count: ("ab","c") is not ("a","bc").
    expect(rowChecksum(['text', 'text'], ['ab', 'c'])).not.toBe(rowChecksum(['text', 'text'], ['a', 'bc']));
    // Long text goes through the streaming path and still matches the short path's definition.
    const long = 'é'.repeat(500);
    const h = new RowHasher();
    expect(h.reset().text(long).digest()).toBe(rowChecksum(['text'], [long]));
  });

  it('written through RowWriter equal what verify recomputes from the stored row', () => {
    const dir = seeded();
    const cache = Cache.open(dir, { readonly: true });
    const rows = cache.db.db.prepare(`SELECT ${TABLES.element_blocks.columns.map((c) => c.name).join(', ')}, checksum FROM element_blocks`).raw(true).safeIntegers(true).all() as unknown[][];
    expect(rows.length).toBe(1);
    for (const r of rows) expect(BigInt(storedRowChecksum(TABLES.element_blocks, r))).toBe(r.at(-1));
    cache.close();
  });
});
