/**
 * Lossless JSON for uint64 ids (DVID-API.md §1.5).
 *
 * DVID writes labels, supervoxel ids, mutation ids and maxlabel as bare JSON numbers with up to 20
 * digits. `JSON.parse` turns 18446744073709551615 into 18446744073709552000 without a word, so every
 * label endpoint goes through here:
 *
 * - `parseU64Array`: a dedicated scanner for `[1, 2, …]` (the /labels, /mapping, /supervoxels shape).
 *   Strict: only non-negative integer literals ≤ 2^64−1; `null` (Go's nil slice) → [].
 * - `parseJsonLossless`: `JSON.parse`, except integer literals outside the safe range (|n| > 2^53−1)
 *   become `bigint`. It uses V8's reviver source access (`context.source`, Node ≥ 21 / Electron ≥ 28),
 *   and skips the reviver entirely when no run of 16 digits occurs in the text (then nothing can be
 *   unsafe and native `JSON.parse` speed is kept).
 * - `stringifyJsonLossless`: `JSON.stringify` that writes `bigint` as a bare integer literal.
 */
import { FormatError } from './format-error';

export const U64_MAX = (1n << 64n) - 1n;

/** Default hard bound on JSON text: V8's own string limit is about 2^29 characters. */
const DEFAULT_MAX_CHARS = 2 ** 29;

export interface JsonLimits {
  /** longest text accepted, in UTF-16 code units */
  maxChars?: number;
}

type ReviverWithSource = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
const parseWithSource = JSON.parse as (text: string, reviver?: ReviverWithSource) => unknown;
const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

const INTEGER_LITERAL = /^-?\d+$/;
const SIXTEEN_DIGITS = /\d{16}/;

function checkLength(text: string, format: string, limits?: JsonLimits): void {
  const max = limits?.maxChars ?? DEFAULT_MAX_CHARS;
  if (text.length > max) throw new FormatError(format, 0, `text of ${text.length} characters exceeds the ${max}-character limit`);
}

/** Turns a JSON.parse failure into a FormatError, keeping V8's position when its message has one. */
export function jsonSyntaxError(format: string, err: unknown, text: string): FormatError {
  if (err instanceof RangeError) return new FormatError(format, 0, 'JSON nested too deeply');
  const message = err instanceof Error ? err.message : String(err);
  const at = /at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : 0;
  return new FormatError(format, offset, `invalid JSON: ${message.slice(0, 200)}`);
}

/** Plain `JSON.parse` (numbers stay numbers) with the length bound and FormatError on bad text. */
export function parseJson(text: string, format = 'json', limits?: JsonLimits): unknown {
  checkLength(text, format, limits);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw jsonSyntaxError(format, err, text);
  }
}

/** JSON.parse, except integer literals outside ±(2^53−1) become bigint (for /mapping, maxlabel, MutationID …). */
export function parseJsonLossless(text: string, format = 'json', limits?: JsonLimits): unknown {
  checkLength(text, format, limits);
  try {
    if (!SIXTEEN_DIGITS.test(text)) return JSON.parse(text) as unknown;
    return parseWithSource(text, (_key, value, context) => {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) {
        const source = context?.source;
        if (source !== undefined && INTEGER_LITERAL.test(source)) return BigInt(source);
      }
      return value;
    });
  } catch (err) {
    throw jsonSyntaxError(format, err, text);
  }
}

/** JSON.stringify where bigint values are written as bare integer literals (lossless). */
export function stringifyJsonLossless(value: unknown): string {
  if (!rawJSON) throw new Error('JSON.rawJSON is unavailable: this runtime is older than Node 21');
  const make = rawJSON;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? make(v.toString()) : v));
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * `[1, 18446744073709551615]` → bigint[]. Cost: one pass over the text; ids of ≤ 15 digits are built
 * as numbers first (BigInt(number) is much cheaper than BigInt(string)).
 */
export function parseU64Array(text: string, limits?: JsonLimits): bigint[] {
  const F = 'json-u64';
  checkLength(text, F, limits);
  const n = text.length;
  let i = 0;
  const skip = (): void => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };
  skip();
  if (text.startsWith('null', i)) {
    i += 4;
    skip();
    if (i !== n) throw new FormatError(F, i, 'unexpected text after null');
    return [];
  }
  if (text.charCodeAt(i) !== 0x5b /* [ */) throw new FormatError(F, i, "expected '[' (a JSON array of uint64)");
  i++;
  const out: bigint[] = [];
  skip();
  if (text.charCodeAt(i) === 0x5d /* ] */) {
    i++;
  } else {
    for (;;) {
      skip();
      const start = i;
      let value = 0;
      while (i < n) {
        const d = text.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) break;
        value = value * 10 + d;
        i++;
      }
      const digits = i - start;
      if (digits === 0) throw new FormatError(F, start, 'expected a non-negative integer');
      if (digits > 1 && text.charCodeAt(start) === 0x30) throw new FormatError(F, start, 'leading zero in an integer');
      const c = text.charCodeAt(i);
      if (c === 0x2e || c === 0x65 || c === 0x45) throw new FormatError(F, start, 'not an integer (fraction or exponent)');
      if (digits <= 15) {
        out.push(BigInt(value));
      } else {
        if (digits > 20) throw new FormatError(F, start, 'integer exceeds uint64');
        const big = BigInt(text.slice(start, i));
        if (big > U64_MAX) throw new FormatError(F, start, 'integer exceeds uint64');
        out.push(big);
      }
      skip();
      const sep = text.charCodeAt(i);
      if (sep === 0x2c /* , */) {
        i++;
        continue;
      }
      if (sep === 0x5d /* ] */) {
        i++;
        break;
      }
      throw new FormatError(F, i, i >= n ? 'unterminated array' : "expected ',' or ']'");
    }
  }
  skip();
  if (i !== n) throw new FormatError(F, i, 'unexpected text after the array');
  return out;
}

/** bigint[] → `[1,18446744073709551615]`. Throws RangeError for a value outside uint64 (a caller bug). */
export function stringifyU64Array(ids: readonly bigint[]): string {
  for (const id of ids) {
    if (typeof id !== 'bigint' || id < 0n || id > U64_MAX) throw new RangeError(`not a uint64: ${String(id)}`);
  }
  return `[${ids.join(',')}]`;
}

/** A JSON value that should be a uint64 (safe-integer number or bigint) → bigint, or null if it is not one. */
export function asU64(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value >= 0n && value <= U64_MAX ? value : null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return null;
}
