import { describe, expect, it } from 'vitest';
import { FaultTable, parseFaultRules } from '../../../main/demo/server/faults';

describe('fault rules', () => {
  it('match by method and path pattern (* = one segment, ** = any, re: = RegExp)', () => {
    const t = new FaultTable();
    t.set(
      parseFaultRules([
        { method: 'GET', path: '/api/node/*/segmentation/specificblocks', kind: 'status' },
        { path: '/api/node/**/keyvalues', kind: 'reset' },
        { path: 're:^/api/server/', kind: 'latency' },
      ]),
    );
    expect(t.take('GET', '/api/node/abc/segmentation/specificblocks')?.kind).toBe('status');
    expect(t.take('POST', '/api/node/abc/segmentation/specificblocks')).toBeNull();
    expect(t.take('GET', '/api/node/abc/x/segmentation/specificblocks')).toBeNull();
    expect(t.take('GET', '/api/node/abc/segmentation_meshes/keyvalues')?.kind).toBe('reset');
    expect(t.take('GET', '/api/server/info')?.kind).toBe('latency');
  });

  it('count: skip lets the first K through, times stops after N', () => {
    const t = new FaultTable();
    t.set([{ path: '/x', kind: 'status', skip: 1, times: 2 }]);
    expect([1, 2, 3, 4].map(() => t.take('GET', '/x') !== null)).toEqual([false, true, true, false]);
    expect(t.counts()).toEqual([2]);
  });

  it('refuses malformed rules with a readable reason', () => {
    expect(() => parseFaultRules({})).toThrow('JSON array');
    expect(() => parseFaultRules([{ path: '/x', kind: 'explode' }])).toThrow('kind must be one of');
    expect(() => parseFaultRules([{ path: '/x', kind: 'status', status: 404 }])).toThrow('429, 500 or 503');
    expect(() => parseFaultRules([{ path: '/x', kind: 'latency', latencyMs: -1 }])).toThrow('non-negative');
  });
});
