import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseByteSize, parseInstanceArg, parseScope, readPlanFile, ScopeError, scopeKey, scopeText } from '../../../../main/sync/scope';
import { tempDir } from '../../../support/cache-fixture';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('scopes', () => {
  it('parse every form of the grammar', () => {
    expect(parseScope('all')).toEqual({ region: { kind: 'all' }, scales: null });
    expect(parseScope('roi:EB,FB,EB')).toEqual({ region: { kind: 'roi', rois: ['EB', 'FB'] }, scales: null });
    expect(parseScope('bbox:-64,0,128-64,64,256')).toEqual({ region: { kind: 'bbox', min: [-64, 0, 128], max: [64, 64, 256] }, scales: null });
    expect(parseScope('bodies:18446744073709551615, 5 5')).toEqual({ region: { kind: 'bodies', bodies: [2n ** 64n - 1n, 5n] }, scales: null });
    expect(parseScope('keys:1000..1999_swc')).toEqual({ region: { kind: 'keys', first: '1000', last: '1999_swc' }, scales: null });
    expect(parseScope('top:500')).toEqual({ region: { kind: 'top', n: 500 }, scales: null });
    expect(parseScope('roi:EB;scales=0-2')).toEqual({ region: { kind: 'roi', rois: ['EB'] }, scales: [0, 1, 2] });
    expect(parseScope('all;scales=3,0,1-1')).toEqual({ region: { kind: 'all' }, scales: [0, 1, 3] });
    expect(parseScope('bbox:0,0,0-64,64,64;labels=bodies;scales=1')).toEqual({ region: { kind: 'bbox', min: [0, 0, 0], max: [64, 64, 64] }, scales: [1], bodyLabels: true });
    expect(scopeText(parseScope('all;labels=bodies'))).toBe('all;labels=bodies');
  });

  it('read bodies from a file with comments, relative to a base folder', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    writeFileSync(join(t.dir, 'ids.txt'), '# my bodies\n1234567890123\n42, 7 # trailing\n\n');
    expect(parseScope('bodies:@ids.txt', t.dir).region).toEqual({ kind: 'bodies', bodies: [1234567890123n, 42n, 7n] });
    expect(() => parseScope('bodies:@missing.txt', t.dir)).toThrow(/cannot read/);
  });

  it('refuse malformed scopes with a message that shows the expected form', () => {
    const bad: Array<[string, RegExp]> = [
      ['bbox:0,0,0-0,10,10', /greater than/],
      ['bbox:0,0-1,1', /x0,y0,z0-x1,y1,z1/],
      ['bodies:12,abc', /not a body id/],
      ['bodies:0', /1 … 2\^64−1/],
      ['bodies:18446744073709551616', /not a body id/],
      ['keys:b..a', /A ≤ B/],
      ['top:0', /positive count/],
      ['roi:', /at least one ROI/],
      ['everything', /unknown scope/],
      ['all;scales=3-1', /backwards/],
      ['all;zoom=2', /;scales=… and ;labels=bodies are known/],
      ['all;labels=voxels', /use bodies or supervoxels/],
    ];
    for (const [text, re] of bad) expect(() => parseScope(text), text).toThrow(re);
    expect(() => parseScope('nonsense')).toThrow(ScopeError);
  });

  it('split NAME=SCOPE at the first "="', () => {
    expect(parseInstanceArg('segmentation')).toEqual({ name: 'segmentation', scope: { region: { kind: 'all' }, scales: null } });
    expect(parseInstanceArg('AB(L)=all').name).toBe('AB(L)');
    expect(parseInstanceArg('synapses=bbox:0,0,0-64,64,64').scope.region.kind).toBe('bbox');
    expect(() => parseInstanceArg('=all')).toThrow(/no instance name/);
  });

  it('read plan files with names that need quoting', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    writeFileSync(join(t.dir, 'ids.txt'), '9 8');
    const plan = join(t.dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({ node: 'abc:master', instances: [{ name: "a'L(R) with = and space", scope: 'bodies:@ids.txt' }, { name: 'synapses' }] }));
    expect(readPlanFile(plan)).toEqual({
      node: 'abc:master',
      instances: [
        { name: "a'L(R) with = and space", scope: { region: { kind: 'bodies', bodies: [9n, 8n] }, scales: null } },
        { name: 'synapses', scope: { region: { kind: 'all' }, scales: null } },
      ],
    });
    writeFileSync(plan, '{"instances": {"x": "all"}}');
    expect(() => readPlanFile(plan)).toThrow(/expected \{"instances"/);
  });

  it('have a canonical text independent of order', () => {
    expect(scopeKey(parseScope('bodies:3,1,2'))).toBe(scopeKey(parseScope('bodies:2,3,1')));
    expect(scopeText(parseScope('roi:FB,EB;scales=1,0'))).toBe('roi:EB,FB;scales=0,1');
    expect(scopeText(parseScope('bodies:1,2,3,4,5,6,7'))).toBe('bodies:7 ids');
  });
});

describe('byte sizes', () => {
  it('accept suffixes in powers of 1024', () => {
    expect(parseByteSize('4GiB')).toBe(4 * 1024 ** 3);
    expect(parseByteSize('500M')).toBe(500 * 1024 ** 2);
    expect(parseByteSize('1.5t')).toBe(1.5 * 1024 ** 4);
    expect(parseByteSize('123')).toBe(123);
    expect(parseByteSize('2 kb')).toBe(2048);
    for (const bad of ['', 'lots', '-1G', '0', '1X']) expect(() => parseByteSize(bad), bad).toThrow(ScopeError);
  });
});
