/**
 * The one mapping between uint64 ids (bodies, supervoxels, labels, mutation ids) and SQLite INTEGERs.
 *
 * SQLite INTEGERs are signed 64-bit; better-sqlite3 throws on a BigInt ≥ 2^63. An id is stored as
 * `id XOR 2^63` reinterpreted as a signed int64:
 *
 *   id            0      …  2^63−1   2^63  …  2^64−1
 *   stored   −2^63      …      −1       0  …  2^63−1
 *
 * The map is a bijection that preserves order, so `ORDER BY`, range scans and `MIN/MAX` on the stored
 * column give the order of the ids themselves. Statements that read these columns must use
 * better-sqlite3's `safeIntegers(true)` so nothing passes through a JS number (which would round any
 * stored value beyond ±2^53, i.e. almost every id once shifted by 2^63).
 */

const SIGN = 1n << 63n;
const MAX_U64 = (1n << 64n) - 1n;

/** A uint64 id → the signed INTEGER stored in SQLite. Throws RangeError outside 0 … 2^64−1. */
export function u64ToDb(id: bigint): bigint {
  if (typeof id !== 'bigint' || id < 0n || id > MAX_U64) throw new RangeError(`not a uint64 id: ${String(id)}`);
  return BigInt.asIntN(64, id ^ SIGN);
}

/** The stored INTEGER (read with safeIntegers) → the uint64 id. */
export function u64FromDb(stored: bigint): bigint {
  if (typeof stored !== 'bigint') throw new TypeError(`a u64 column was read without safeIntegers (got ${typeof stored})`);
  return BigInt.asUintN(64, stored) ^ SIGN;
}

/** A nullable column. */
export function u64FromDbOrNull(stored: bigint | null): bigint | null {
  return stored === null ? null : u64FromDb(stored);
}

export function u64ToDbOrNull(id: bigint | null | undefined): bigint | null {
  return id === null || id === undefined ? null : u64ToDb(id);
}

/** A decimal string ("0" … "18446744073709551615") → bigint; throws RangeError on anything else. */
export function parseU64(text: string): bigint {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(text)) throw new RangeError(`not a uint64 decimal: "${text.slice(0, 40)}"`);
  const v = BigInt(text);
  if (v > MAX_U64) throw new RangeError(`not a uint64 decimal (too large): "${text}"`);
  return v;
}

export const U64_MAX = MAX_U64;
