import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../../main/sync/plan';
import { bodyOfKey, kvRole } from '../../../../main/sync/planner';
import { refusal } from '../../../../main/sync/refusal';

describe('keyvalue roles', () => {
  it('follow FlyEM instance names and types', () => {
    expect(kvRole('segmentation_annotations', 'keyvalue')).toBe('body-annotations');
    expect(kvRole('neurons', 'neuronjson')).toBe('body-annotations');
    expect(kvRole('segmentation_meshes', 'keyvalue')).toBe('meshes');
    expect(kvRole('segmentation_skeletons', 'keyvalue')).toBe('skeletons');
    expect(kvRole('roisSmoothedDecimated', 'keyvalue')).toBe('roi-meshes');
    expect(kvRole('rois', 'keyvalue')).toBe('generic');
    expect(kvRole('bookmarks', 'keyvalue')).toBe('generic');
  });

  it('read the body a key names, as uint64', () => {
    expect(bodyOfKey('meshes', '18446744073709551615.ngmesh')).toBe(2n ** 64n - 1n);
    expect(bodyOfKey('meshes', '12.drc')).toBe(12n);
    expect(bodyOfKey('skeletons', '5813050455_swc')).toBe(5813050455n);
    expect(bodyOfKey('body-annotations', '1234567890123')).toBe(1234567890123n);
    expect(bodyOfKey('body-annotations', 'notes')).toBeNull();
    expect(bodyOfKey('meshes', '18446744073709551616.ngmesh')).toBeNull();
    expect(bodyOfKey('body-annotations', '0')).toBeNull();
    expect(bodyOfKey('generic', '42')).toBeNull();
  });
});

const plan = (bytes: Record<string, [string, number]>): Plan => ({
  server: 'http://x',
  repoRoot: 'a'.repeat(32),
  node: 'b'.repeat(32),
  nodeLocked: true,
  mutationId: '1',
  key: 'k',
  totalBytes: Object.values(bytes).reduce((s, [, b]) => s + b, 0),
  instances: Object.entries(bytes).map(([name, [type, b]]) => ({ name, type, scope: 'all', items: [], units: 10, bytes: b, notes: [] })),
});

describe('refusal over --max-bytes', () => {

  it('lets a plan within the limit run', () => {
    expect(refusal(plan({ segmentation: ['labelmap', 1000] }), 1000)).toBeNull();
  });

  it('says how big, what is big, and how to narrow it', () => {
    const r = refusal(plan({ segmentation: ['labelmap', 30 * 1024 ** 4], synapses: ['annotation', 5 * 1024 ** 3] }), 4 * 1024 ** 3)!;
    expect(r).toMatch(/about 30 TiB, over the limit of 4\.0 GiB/);
    expect(r.split('\n')[1]).toMatch(/^ {2}segmentation \(labelmap, all\): ~30 TiB/);
    expect(r).toMatch(/--instance segmentation=roi:NAME/);
    expect(r).toMatch(/bbox:x0,y0,z0-x1,y1,z1/);
    expect(r).toMatch(/raise --max-bytes \(e\.g\. 36TiB\)/);
    expect(refusal(plan({ segmentation_meshes: ['keyvalue', 9 * 1024 ** 3] }), 1024 ** 3)).toMatch(/segmentation_meshes=keys:A\.\.B/);
  });
});
