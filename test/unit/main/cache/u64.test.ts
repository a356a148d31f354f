import Database from 'better-sqlite3';
import { assert as fcAssert, bigInt as fcBigInt, property } from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseU64, u64FromDb, u64ToDb, U64_MAX } from '../../../../main/cache/u64';

const EDGES = [0n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];

function table(): Database.Database {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY) STRICT');
  return db;
}

describe('u64 ⇄ SQLite INTEGER', () => {
  it('round-trips the edge ids through a STRICT table without passing through a JS number', () => {
    const db = table();
    const ins = db.prepare('INSERT INTO t (id) VALUES (?)');
    for (const id of EDGES) ins.run(u64ToDb(id));
    const back = (db.prepare('SELECT id FROM t').pluck().safeIntegers(true).all() as bigint[]).map(u64FromDb);
    expect(back.toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(EDGES);
    // 2^53+1 is exactly the value a double cannot hold: it survives.
    expect(back).toContain(9007199254740993n);
  });

  it('keeps order: ORDER BY the stored column is the order of the ids', () => {
    const db = table();
    const ins = db.prepare('INSERT INTO t (id) VALUES (?)');
    for (const id of EDGES.toReversed()) ins.run(u64ToDb(id));
    const ordered = (db.prepare('SELECT id FROM t ORDER BY id').pluck().safeIntegers(true).all() as bigint[]).map(u64FromDb);
    expect(ordered).toEqual(EDGES);
    // Range scans work on the stored form too.
    const between = (db.prepare('SELECT id FROM t WHERE id >= ? AND id <= ? ORDER BY id').pluck().safeIntegers(true).all(u64ToDb(2n ** 53n), u64ToDb(2n ** 63n)) as bigint[]).map(u64FromDb);
    expect(between).toEqual([2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n]);
  });

  it('maps the extremes to the extremes of int64', () => {
    expect(u64ToDb(0n)).toBe(-(2n ** 63n));
    expect(u64ToDb(2n ** 64n - 1n)).toBe(2n ** 63n - 1n);
    expect(u64ToDb(2n ** 63n)).toBe(0n);
  });

  it('is an order-preserving bijection on random ids', () => {
    fcAssert(
      property(fcBigInt({ min: 0n, max: U64_MAX }), fcBigInt({ min: 0n, max: U64_MAX }), (a, b) => {
        expect(u64FromDb(u64ToDb(a))).toBe(a);
        expect(Math.sign(Number(a - b))).toBe(Math.sign(Number(u64ToDb(a) - u64ToDb(b))));
      }),
    );
  });

  it('refuses what is not a uint64', () => {
    expect(() => u64ToDb(-1n)).toThrow(RangeError);
    expect(() => u64ToDb(2n ** 64n)).toThrow(RangeError);
    expect(() => u64ToDb(5 as unknown as bigint)).toThrow(RangeError);
    expect(() => u64FromDb(5 as unknown as bigint)).toThrow(/safeIntegers/);
  });

  it('parses decimal strings exactly', () => {
    expect(parseU64('18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(parseU64('0')).toBe(0n);
    for (const bad of ['18446744073709551616', '-1', '01', '1e3', ' 1', '0x10', '']) expect(() => parseU64(bad)).toThrow(RangeError);
  });
});
