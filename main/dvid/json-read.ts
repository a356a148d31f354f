/**
 * Reading DVID's JSON answers into typed values with messages that say where the shape was wrong.
 * Input comes from parseJsonLossless (formats/json-u64.ts): integers within ±2^53 are numbers, larger
 * ones bigints, so ids read through `u64` are exact either way.
 */

export class ShapeError extends Error {
  override name = 'ShapeError';
}

function fail(where: string, want: string, v: unknown): never {
  const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
  throw new ShapeError(`${where}: expected ${want}, got ${got}`);
}

export function obj(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(where, 'an object', v);
  return v as Record<string, unknown>;
}

export function objOrEmpty(v: unknown, where: string): Record<string, unknown> {
  return v === null || v === undefined ? {} : obj(v, where);
}

export function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) fail(where, 'an array', v);
  return v;
}

/** DVID writes `null` for never-set lists. */
export function arrOrEmpty(v: unknown, where: string): unknown[] {
  return v === null || v === undefined ? [] : arr(v, where);
}

export function str(v: unknown, where: string): string {
  if (typeof v !== 'string') fail(where, 'a string', v);
  return v;
}

export function strOrEmpty(v: unknown, where: string): string {
  return v === null || v === undefined ? '' : str(v, where);
}

export function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') fail(where, 'true or false', v);
  return v;
}

/** A safe integer (a count, a coordinate, a VersionID). */
export function int(v: unknown, where: string): number {
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(where, 'an integer', v);
  return v;
}

export function num(v: unknown, where: string): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, 'a number', v);
  return v;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** A uint64 id, exact: a JSON integer (number or bigint) or a decimal string. */
export function u64(v: unknown, where: string): bigint {
  let r: bigint | null = null;
  if (typeof v === 'bigint') r = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) r = BigInt(v);
  else if (typeof v === 'string' && /^\d{1,20}$/.test(v)) r = BigInt(v);
  if (r === null || r < 0n || r > U64_MAX) fail(where, 'a uint64', v);
  return r;
}

export function vec3(v: unknown, where: string): [number, number, number] {
  const a = arr(v, where);
  if (a.length !== 3) throw new ShapeError(`${where}: expected 3 numbers, got ${a.length}`);
  return [num(a[0], `${where}[0]`), num(a[1], `${where}[1]`), num(a[2], `${where}[2]`)];
}

export function vec3OrNull(v: unknown, where: string): [number, number, number] | null {
  return v === null || v === undefined ? null : vec3(v, where);
}

export function u64Array(v: unknown, where: string): bigint[] {
  return arr(v, where).map((x, i) => u64(x, `${where}[${i}]`));
}

export function stringRecord(v: unknown, where: string): Record<string, string> {
  const o = objOrEmpty(v, where);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(o)) out[k] = str(x, `${where}.${k}`);
  return out;
}
