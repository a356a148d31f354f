import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../main/formats/format-error';
import { asU64, parseJsonLossless, parseU64Array, stringifyJsonLossless, stringifyU64Array } from '../../../main/formats/json-u64';
import { fcParams, formatErrorOf, fuzzOutcomes } from './helpers';

const MAX = 18446744073709551615n;

describe('parseU64Array', () => {
  it('keeps ids above 2^53 exact, where JSON.parse does not', () => {
    const text = '[1, 9007199254740993, 18446744073709551615]';
    expect((JSON.parse(text) as number[])[1]).toBe(9007199254740992); // the corruption this module exists for
    expect(parseU64Array(text)).toEqual([1n, 9007199254740993n, MAX]);
  });

  it('accepts whitespace, empty arrays and Go nil slices', () => {
    expect(parseU64Array(' \n[ 0 ,\t7 ]\r\n')).toEqual([0n, 7n]);
    expect(parseU64Array('[]')).toEqual([]);
    expect(parseU64Array('[ ]')).toEqual([]);
    expect(parseU64Array('null')).toEqual([]);
  });

  it.each([
    ['[-1]', 1, 'negative'],
    ['[18446744073709551616]', 1, 'above uint64'],
    ['[123456789012345678901]', 1, 'too many digits'],
    ['[1.5]', 1, 'fraction'],
    ['[1e3]', 1, 'exponent'],
    ['[01]', 1, 'leading zero'],
    ['[1,]', 3, 'trailing comma'],
    ['[1 2]', 3, 'missing comma'],
    ['[1', 2, 'unterminated'],
    ['[1] x', 4, 'text after'],
    ['{"a":1}', 0, 'not an array'],
    ['["1"]', 1, 'string element'],
    ['', 0, 'empty text'],
  ])('rejects %s (%s) with a FormatError at the right offset', (text, offset, _why) => {
    expect(formatErrorOf(() => parseU64Array(text)).offset).toBe(offset);
  });

  it('round-trips any uint64 array through stringifyU64Array, and agrees with JSON.parse on safe values', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: MAX })), (ids) => {
        expect(parseU64Array(stringifyU64Array(ids))).toEqual(ids);
        const safe = ids.filter((id) => id <= BigInt(Number.MAX_SAFE_INTEGER));
        expect((JSON.parse(stringifyU64Array(safe)) as number[]).map(BigInt)).toEqual(safe);
      }),
      fcParams,
    );
  });

  it('stringifyU64Array refuses values outside uint64', () => {
    expect(() => stringifyU64Array([-1n])).toThrow(RangeError);
    expect(() => stringifyU64Array([MAX + 1n])).toThrow(RangeError);
    expect(stringifyU64Array([0n, MAX])).toBe('[0,18446744073709551615]');
  });

  it('enforces the size bound', () => {
    expect(() => parseU64Array('[1,2,3]', { maxChars: 5 })).toThrow(FormatError);
  });
});

describe('parseJsonLossless', () => {
  it('turns only unsafe integer literals into bigint', () => {
    const v = parseJsonLossless(
      '{"MutationID": 18446744073709551615, "small": 42, "edge": 9007199254740991, "over": 9007199254740992, "neg": -9007199254740993,' +
        ' "f": 1.5, "e": 1e20, "big_float": 12345678901234567890.5, "s": "12345678901234567890", "list": [1, 99999999999999999999]}',
    );
    expect(v).toEqual({
      MutationID: MAX,
      small: 42,
      edge: 9007199254740991,
      over: 9007199254740992n,
      neg: -9007199254740993n,
      f: 1.5,
      e: 1e20,
      big_float: Number('12345678901234567890.5'),
      s: '12345678901234567890',
      list: [1, 99999999999999999999n],
    });
  });

  it('reports syntax errors as FormatError with V8 position when known', () => {
    expect(formatErrorOf(() => parseJsonLossless('{"a": 12345678901234567890,}')).format).toBe('json');
    expect(formatErrorOf(() => parseJsonLossless('[1, 2')).offset).toBe(5);
    expect(formatErrorOf(() => parseJsonLossless('[1, 2', 'labelsz')).format).toBe('labelsz');
  });

  it('turns pathological nesting into a FormatError, not a stack overflow', () => {
    const deep = `${'['.repeat(200_000)}12345678901234567${']'.repeat(200_000)}`;
    expect(() => parseJsonLossless(deep)).toThrow(FormatError);
  });

  it('round-trips values with bigints through stringifyJsonLossless', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
        fc.integer(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    // Safe bigints come back as numbers (that is the contract): normalise before comparing.
    const norm = (v: unknown): unknown => {
      if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
      if (Array.isArray(v)) return v.map(norm);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
      return v;
    };
    fc.assert(
      fc.property(json, (v) => {
        expect(parseJsonLossless(stringifyJsonLossless(v))).toEqual(norm(v));
      }),
      fcParams,
    );
  });

  it('asU64 accepts safe non-negative numbers and in-range bigints only', () => {
    expect(asU64(5)).toBe(5n);
    expect(asU64(MAX)).toBe(MAX);
    expect(asU64(-1)).toBeNull();
    expect(asU64(1.5)).toBeNull();
    expect(asU64(2 ** 60)).toBeNull(); // an unsafe number has already lost digits
    expect(asU64('5')).toBeNull();
    expect(asU64(MAX + 1n)).toBeNull();
  });
  it('damaged inputs parse or throw FormatError', async () => {
    const dec = new TextDecoder();
    const ids = new TextEncoder().encode('[0, 1, 9007199254740993, 18446744073709551615, 42]');
    expect(await fuzzOutcomes(ids, (b) => parseU64Array(dec.decode(b)))).toEqual(new Set(['ok', 'format-error']));
    const doc = new TextEncoder().encode('{"MutationID": 18446744073709551615, "Root": "abc", "Labels": [1, 99999999999999999999], "x": {"y": null}}');
    expect(await fuzzOutcomes(doc, (b) => parseJsonLossless(dec.decode(b)))).toEqual(new Set(['ok', 'format-error']));
  });
});
