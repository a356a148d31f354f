/**
 * labelsz results (DVID-API.md §9; datatype/labelsz/labelsz.go). Labels are uint64, parsed losslessly.
 *
 *   GET /top/{N}/{index}, /threshold/{T}/{index}   [{"Label": 188, "Size": 81}, …]   key is "Size"
 *   GET /counts/{index} (+ body [l1, l2, …])       [{"Label": l1, "PreSyn": n1}, …]  key is the index name
 *   GET /count/{label}/{index}                     {"Label": 21847, "PreSyn": 81}    one object, same key
 *
 * The help text says /top uses the index name: the code (and labelsz_test.go) use "Size".
 * Counts are synapse (or voxel) tallies: non-negative safe integers.
 */
import { FormatError } from './format-error';
import { asU64, parseJsonLossless, U64_MAX } from './json-u64';

const F = 'labelsz';

export interface LabelCount {
  label: bigint;
  count: number;
}

/** DVID's index names; any other is a 400 from the server. */
export const LABELSZ_INDEXES = ['PostSyn', 'PreSyn', 'Gap', 'Note', 'AllSyn', 'Voxels'] as const;

function row(raw: unknown, key: string, i: number): LabelCount {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new FormatError(F, 0, `row #${i} is not an object`);
  const obj = raw as Record<string, unknown>;
  const label = asU64(obj['Label']);
  if (label === null) throw new FormatError(F, 0, `row #${i}: "Label" is missing or not a uint64`);
  const count = obj[key];
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    throw new FormatError(F, 0, `row #${i}: "${key}" is ${count === undefined ? 'missing' : `${typeof count === 'bigint' ? String(count) : JSON.stringify(count)}`}, expected a non-negative integer`);
  }
  return { label, count };
}

function rows(text: string, key: string, allowSingle: boolean): LabelCount[] {
  const json = parseJsonLossless(text, F);
  if (json === null) return [];
  if (Array.isArray(json)) return json.map((r: unknown, i) => row(r, key, i));
  if (allowSingle && typeof json === 'object') return [row(json, key, 0)];
  throw new FormatError(F, 0, 'expected a JSON array of {"Label", …} rows');
}

/** /top and /threshold: `[{"Label":…,"Size":…}]`. */
export function parseLabelszRanking(text: string): LabelCount[] {
  return rows(text, 'Size', false);
}

/** /counts/<index> (an array) and /count/<label>/<index> (one object): `{"Label":…,"<index>":…}`. */
export function parseLabelszCounts(text: string, index: string): LabelCount[] {
  return rows(text, index, true);
}

function check(rowsIn: readonly LabelCount[]): void {
  for (const r of rowsIn) {
    if (typeof r.label !== 'bigint' || r.label < 0n || r.label > U64_MAX) throw new RangeError(`labelsz: label ${String(r.label)} is not a uint64`);
    if (!Number.isSafeInteger(r.count) || r.count < 0) throw new RangeError(`labelsz: count ${r.count} is not a non-negative integer`);
  }
}

function serialize(rowsIn: readonly LabelCount[], key: string): string {
  check(rowsIn);
  const k = JSON.stringify(key);
  return `[${rowsIn.map((r) => `{"Label":${r.label},${k}:${r.count}}`).join(',')}]`;
}

export function serializeLabelszRanking(rowsIn: readonly LabelCount[]): string {
  return serialize(rowsIn, 'Size');
}

export function serializeLabelszCounts(rowsIn: readonly LabelCount[], index: string): string {
  return serialize(rowsIn, index);
}

/** The single-object answer of /count/{label}/{index}. */
export function serializeLabelszCount(r: LabelCount, index: string): string {
  check([r]);
  return `{"Label":${r.label},${JSON.stringify(index)}:${r.count}}`;
}
