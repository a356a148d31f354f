import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLabelszCounts, parseLabelszRanking, serializeLabelszCount, serializeLabelszCounts, serializeLabelszRanking, type LabelCount } from '../../../main/formats/labelsz';
import { fcParams, formatErrorOf, fuzzOutcomes } from './helpers';

const rowsArb = fc.array(fc.record({ label: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), count: fc.nat() }), { maxLength: 20 });

describe('labelsz', () => {
  it('/top and /threshold use "Size" (not the index name), labels lossless', () => {
    expect(parseLabelszRanking('[{"Label":188,"Size":81},{"Label":18446744073709551615,"Size":3}]')).toEqual([
      { label: 188n, count: 81 },
      { label: 18446744073709551615n, count: 3 },
    ] satisfies LabelCount[]);
    expect(parseLabelszRanking('[]')).toEqual([]);
    expect(formatErrorOf(() => parseLabelszRanking('[{"Label":188,"PreSyn":81}]')).reason).toMatch(/"Size" is missing/);
  });

  it('/counts (array) and /count (one object) use the index name as the key', () => {
    expect(parseLabelszCounts('[{"Label":21847,"PreSyn":81},{"Label":9007199254740993,"PreSyn":0}]', 'PreSyn')).toEqual([
      { label: 21847n, count: 81 },
      { label: 9007199254740993n, count: 0 },
    ]);
    expect(parseLabelszCounts('{"Label": 21847, "PostSyn": 12}', 'PostSyn')).toEqual([{ label: 21847n, count: 12 }]);
    expect(formatErrorOf(() => parseLabelszCounts('[{"Label":1,"Size":2}]', 'AllSyn')).reason).toMatch(/"AllSyn" is missing/);
  });

  it.each([
    ['a negative label', '[{"Label":-1,"Size":1}]', /Label/],
    ['a label above uint64', '[{"Label":18446744073709551616,"Size":1}]', /Label/],
    ['a string label', '[{"Label":"5","Size":1}]', /Label/],
    ['a fractional count', '[{"Label":5,"Size":1.5}]', /"Size" is 1.5/],
    ['a negative count', '[{"Label":5,"Size":-1}]', /"Size" is -1/],
    ['a row that is not an object', '[5]', /row #0/],
    ['a bare object where a ranking is due', '{"Label":5,"Size":1}', /array/],
    ['an error text', 'stats not available for labelsz x at this time (/api/...).', /invalid JSON/],
  ])('rejects %s', (_name, text, reason) => {
    expect(formatErrorOf(() => parseLabelszRanking(text)).reason).toMatch(reason);
  });

  it('serialises the shapes DVID writes and round-trips', () => {
    expect(serializeLabelszRanking([{ label: 18446744073709551615n, count: 2 }])).toBe('[{"Label":18446744073709551615,"Size":2}]');
    expect(serializeLabelszCounts([{ label: 1n, count: 2 }], 'PreSyn')).toBe('[{"Label":1,"PreSyn":2}]');
    expect(serializeLabelszCount({ label: 1n, count: 2 }, 'Gap')).toBe('{"Label":1,"Gap":2}');
    fc.assert(
      fc.property(rowsArb, (rows) => {
        expect(parseLabelszRanking(serializeLabelszRanking(rows))).toEqual(rows);
        expect(parseLabelszCounts(serializeLabelszCounts(rows, 'AllSyn'), 'AllSyn')).toEqual(rows);
      }),
      fcParams,
    );
    expect(() => serializeLabelszRanking([{ label: -1n, count: 0 }])).toThrow(RangeError);
  });

  it('damaged rankings parse or throw FormatError', async () => {
    const valid = new TextEncoder().encode(serializeLabelszRanking([{ label: 18446744073709551615n, count: 7 }, { label: 5n, count: 1 }]));
    expect(await fuzzOutcomes(valid, (b) => parseLabelszRanking(new TextDecoder().decode(b)))).toContain('format-error');
  });
});
