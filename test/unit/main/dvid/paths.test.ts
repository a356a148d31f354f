import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asUuid, coordString, DvidArgumentError, nodePath, queryString, segment, u64String } from '../../../../main/dvid/paths';

const UUID = asUuid('28841c8277e044a7b187dda03e18da13');

describe('segment', () => {
  it('percent-encodes hemibrain ROI names: parentheses, quotes, spaces', () => {
    expect(segment('AB(L)')).toBe('AB%28L%29');
    expect(segment("a'L(R)")).toBe('a%27L%28R%29');
    expect(segment('AB(L) to vACA(R)')).toBe('AB%28L%29%20to%20vACA%28R%29');
    expect(segment('EB')).toBe('EB');
    expect(segment('mito_20190501.24734943')).toBe('mito_20190501.24734943');
    expect(segment('1234_swc')).toBe('1234_swc');
    expect(segment('q?a=1#x&y')).toBe('q%3Fa%3D1%23x%26y');
  });

  it('refuses what DVID cannot address: "/", empty, dot segments', () => {
    for (const bad of ['a/b', '', '.', '..', '%2F/']) expect(() => segment(bad)).toThrow(DvidArgumentError);
  });

  it('round-trips any string without "/" and emits only unreserved characters and escapes', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => !s.includes('/') && s !== '.' && s !== '..'),
        (s) => {
          const enc = segment(s);
          expect(enc).toMatch(/^[A-Za-z0-9\-._~%]+$/);
          expect(decodeURIComponent(enc)).toBe(s);
        },
      ),
    );
  });
});

describe('paths and queries', () => {
  it('builds node paths with every part encoded', () => {
    expect(nodePath(UUID, "a'L(R)", 'roi')).toBe(`/api/node/${UUID}/a%27L%28R%29/roi`);
    expect(nodePath(UUID, 'segmentation_meshes', 'key', '1234.ngmesh')).toBe(`/api/node/${UUID}/segmentation_meshes/key/1234.ngmesh`);
    expect(nodePath(UUID, 'segmentation', 'blocks', coordString([64, 128, 64]), coordString([0, -64, 128]))).toBe(
      `/api/node/${UUID}/segmentation/blocks/64_128_64/0_-64_128`,
    );
  });

  it('drops absent query values and encodes the rest', () => {
    expect(queryString({ supervoxels: undefined, scale: 2, compression: 'blocks', x: null })).toBe('?scale=2&compression=blocks');
    expect(queryString({ u: "o'brien (x)", app: 'dvid-desk' })).toBe('?u=o%27brien%20%28x%29&app=dvid-desk');
    expect(queryString({})).toBe('');
  });

  it('accepts only integer coordinates and full UUIDs', () => {
    expect(() => coordString([1.5, 0, 0])).toThrow(DvidArgumentError);
    expect(() => coordString([Number.NaN, 0, 0])).toThrow(DvidArgumentError);
    expect(asUuid('28841C8277E044A7B187DDA03E18DA13')).toBe(UUID);
    for (const bad of ['28841c', '28841c8277e044a7b187dda03e18da13:master', 'zz841c8277e044a7b187dda03e18da13']) {
      expect(() => asUuid(bad)).toThrow(DvidArgumentError);
    }
  });

  it('range-checks uint64 ids', () => {
    expect(u64String(18446744073709551615n)).toBe('18446744073709551615');
    expect(u64String(0n)).toBe('0');
    expect(() => u64String(18446744073709551616n)).toThrow(DvidArgumentError);
    expect(() => u64String(-1n)).toThrow(DvidArgumentError);
  });
});
