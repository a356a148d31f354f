import { describe, expect, it } from 'vitest';
import { decodeObj } from '../../../main/formats/obj';
import { fixture, formatErrorOf, fuzzOutcomes } from './helpers';
import { CUBE_SUMMARY, cubeSummary } from './mesh-cube';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function errorOf(text: string) {
  return formatErrorOf(() => decodeObj(enc(text)));
}

describe('OBJ', () => {
  it('reads every face-corner form, relative indices and ignored statements (fixture)', () => {
    expect(cubeSummary(decodeObj(fixture('cube.obj')))).toEqual(CUBE_SUMMARY);
  });

  it('fan-triangulates polygons', () => {
    const m = decodeObj(enc('v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0.5 2 0\nv 0 1 0\nf 1 2 3 4 5\n'));
    expect(Array.from(m.faces)).toEqual([0, 1, 2, 0, 2, 3, 0, 3, 4]);
  });

  it('resolves negative indices against the vertices defined so far', () => {
    const m = decodeObj(enc('v 0 0 0\nv 1 0 0\nv 0 1 0\nf -3 -2 -1\nv 5 5 5\nf -4 -1 -2\n'));
    expect(Array.from(m.faces)).toEqual([0, 1, 2, 0, 3, 2]);
  });

  it('accepts CRLF, tabs, no final newline, trailing comments and forward references', () => {
    const m = decodeObj(enc('f 1 2 3 # a comment\r\nv\t0 0 0\r\nv 1  0 0 1.0\r\nv 0 1 0 0.2 0.3 0.4'));
    expect(Array.from(m.faces)).toEqual([0, 1, 2]);
    expect(Array.from(m.vertices)).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0]);
  });

  it.each([
    ['index 0', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n', 26, /index 0/],
    ['an index past the end', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n', 30, /past the last/],
    ['a relative index before the first vertex', 'v 0 0 0\nf -1 -2 -3\n', 13, /before the first/],
    ['a face with 2 corners', 'v 0 0 0\nv 1 0 0\nf 1 2\n', 16, /at least 3/],
    ['a vertex with 2 coordinates', 'v 0 0\n', 5, /fewer than 3/],
    ['a non-numeric coordinate', 'v 0 x 0\n', 4, /not a number/],
    ['nan', 'v 0 nan 0\n', 4, /not a number/],
    ['hex', 'v 0x10 0 0\n', 2, /not a number/],
    ['a non-integer index', 'v 0 0 0\nf 1 2.5 3\n', 12, /not an integer/],
  ])('rejects %s', (_name, text, offset, reason) => {
    const e = errorOf(text);
    expect(e.offset).toBe(offset);
    expect(e.reason).toMatch(reason);
  });

  it('damaged inputs decode or throw FormatError', async () => {
    const valid = fixture('cube.obj');
    expect(await fuzzOutcomes(valid, decodeObj)).toEqual(new Set(['ok', 'format-error']));
  });
});
