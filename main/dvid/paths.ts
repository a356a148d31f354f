/**
 * Building DVID request paths (pure). Every name, key and label that goes into a path passes through
 * `segment()`, so hemibrain ROI instances such as `AB(L)` or `a'L(R)` and keys with spaces arrive intact:
 * DVID matches on the decoded path (DVID-API.md §1.1).
 */

/** A full 32-hex-digit DVID node UUID. Only `asUuid` and repo resolution make one, so a prefix or a
 *  `uuid:branch` reference can never reach an endpoint call by accident. */
export type Uuid = string & { readonly __brand: 'DvidUuid' };

export class DvidArgumentError extends Error {
  override name = 'DvidArgumentError';
}

export function isFullUuid(s: string): boolean {
  return /^[0-9a-f]{32}$/.test(s);
}

export function asUuid(s: string): Uuid {
  const v = s.trim().toLowerCase();
  if (!isFullUuid(v)) throw new DvidArgumentError(`"${s}" is not a full 32-hex-digit DVID UUID`);
  return v as Uuid;
}

/**
 * Percent-encodes one path segment. Beyond encodeURIComponent this also encodes `!'()*`, which DVID would
 * accept raw, so that every path we build is unambiguous in logs and proxies. DVID decodes `%2F` and then
 * splits on it, so a name or key containing `/` cannot be addressed at all: refused here, not sent.
 */
export function segment(value: string | number | bigint): string {
  const s = String(value);
  if (s === '' || s === '.' || s === '..') throw new DvidArgumentError(`"${s}" cannot be a DVID path segment`);
  if (s.includes('/')) throw new DvidArgumentError(`"${s}" contains "/", which DVID cannot address in a path`);
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `/api/node/{uuid}/{instance}/{keyword}/{...rest}` with every part encoded. */
export function nodePath(uuid: Uuid, instance: string, keyword: string, ...rest: Array<string | number | bigint>): string {
  return `/api/node/${uuid}/${segment(instance)}/${[keyword, ...rest].map(segment).join('/')}`;
}

/** `x_y_z` for a point or size, integers only (voxel or block coordinates). */
export function coordString(v: readonly [number, number, number]): string {
  for (const c of v) if (!Number.isSafeInteger(c)) throw new DvidArgumentError(`coordinate ${c} is not an integer`);
  return `${v[0]}_${v[1]}_${v[2]}`;
}

export type QueryValue = string | number | bigint | boolean | null | undefined;
export type QueryParams = Readonly<Record<string, QueryValue>>;

/** `?a=1&b=x` (insertion order; null/undefined/false-as-absent values dropped; '' when nothing is left). */
export function queryString(params: QueryParams | undefined): string {
  if (!params) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    parts.push(`${encodeQuery(k)}=${encodeQuery(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function encodeQuery(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The uint64 decimal form of an id (range-checked), for paths and JSON bodies. */
export function u64String(id: bigint): string {
  if (id < 0n || id > 0xffff_ffff_ffff_ffffn) throw new DvidArgumentError(`${id} is not a uint64`);
  return id.toString();
}
