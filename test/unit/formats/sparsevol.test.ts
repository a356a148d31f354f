import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSparsevol, encodeSparsevol, sparsevolVoxelCount, type SparsevolRun } from '../../../main/formats/sparsevol';
import { fcParams, fixture, formatErrorOf, fuzzOutcomes } from './helpers';

const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const runArb = fc.record({ x: i32, y: i32, z: i32, length: fc.integer({ min: 1, max: 2 ** 31 - 1 }) });

function header(spans: number, descriptor = 0, dims = 3, runDim = 0): Uint8Array {
  const b = new Uint8Array(12);
  b[0] = descriptor;
  b[1] = dims;
  b[2] = runDim;
  new DataView(b.buffer).setUint32(8, spans, true);
  return b;
}

describe('sparsevol (legacy rles, and the coarse form)', () => {
  it('reads the fixture written by Python struct (runs in file order, negative coordinates)', () => {
    const runs = decodeSparsevol(fixture('body.rles'));
    expect(runs).toEqual([
      { x: 10, y: 20, z: 30, length: 5 },
      { x: -7, y: 20, z: 30, length: 3 },
      { x: 0, y: -1, z: -2, length: 1 },
      { x: 2147483640, y: 0, z: 0, length: 7 },
    ] satisfies SparsevolRun[]);
    expect(sparsevolVoxelCount(runs)).toBe(16);
  });

  it('round-trips byte-exactly', () => {
    fc.assert(
      fc.property(fc.array(runArb, { maxLength: 50 }), (runs) => {
        const bytes = encodeSparsevol(runs);
        expect(bytes.length).toBe(12 + 16 * runs.length);
        expect(Array.from(bytes.subarray(0, 4))).toEqual([0, 3, 0, 0]);
        expect(decodeSparsevol(bytes)).toEqual(runs);
        expect(encodeSparsevol(decodeSparsevol(bytes))).toEqual(bytes);
      }),
      fcParams,
    );
  });

  it('an empty 200 body (nothing survived the filter) is no runs; so is a header with 0 spans', () => {
    expect(decodeSparsevol(new Uint8Array(0))).toEqual([]);
    expect(decodeSparsevol(header(0))).toEqual([]);
  });

  it.each([
    ['a short header', new Uint8Array(11), 0, /shorter than the 12-byte header/],
    ['a lying span count', header(1_000_000_000), 8, /means 16000000012 bytes/],
    ['the largest span count', header(0xffffffff), 8, /span count 4294967295/],
    ['trailing bytes', new Uint8Array([...header(0), 1]), 8, /means 12 bytes, but there are 13/],
    ['a payload descriptor', header(0, 1), 0, /payload descriptor 1/],
    ['2 dimensions', header(0, 0, 2), 1, /2 dimensions/],
    ['a run along y', header(0, 0, 3, 1), 2, /run dimension 1/],
  ])('rejects %s before allocating', (_name, bytes, offset, reason) => {
    const e = formatErrorOf(() => decodeSparsevol(bytes));
    expect(e.offset).toBe(offset);
    expect(e.reason).toMatch(reason);
  });

  it('rejects a run of length ≤ 0 at its offset', () => {
    const bytes = encodeSparsevol([{ x: 0, y: 0, z: 0, length: 1 }, { x: 0, y: 0, z: 0, length: 1 }]);
    new DataView(bytes.buffer).setInt32(12 + 16 + 12, 0, true);
    expect(formatErrorOf(() => decodeSparsevol(bytes)).offset).toBe(40);
  });

  it('encoder refuses values outside int32', () => {
    expect(() => encodeSparsevol([{ x: 2 ** 31, y: 0, z: 0, length: 1 }])).toThrow(RangeError);
    expect(() => encodeSparsevol([{ x: 0, y: 0, z: 0, length: 0 }])).toThrow(RangeError);
  });

  it('damaged inputs decode or throw FormatError', async () => {
    expect(await fuzzOutcomes(fixture('body.rles'), decodeSparsevol)).toEqual(new Set(['ok', 'format-error']));
  });
});
