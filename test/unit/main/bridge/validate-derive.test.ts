/** Argument validation of the search, ROI and body methods (issue 7's part of the contract). */
import { describe, expect, it } from 'vitest';
import { ArgumentError, validateArg } from '../../../../main/bridge/validate';

describe('validateArg: search, ROIs, bodies', () => {
  it('accepts the shapes of API-PLAN.md', () => {
    const q = {
      text: 'EPG',
      statuses: ['Traced', ''],
      minPre: 1,
      minPost: 0,
      inputRois: { rois: ['EB', 'FB'], mode: 'all', min: 2 },
      outputRois: { rois: ["a'L(L)"], mode: 'any' },
      roiColumns: ['EB'],
      sort: { key: 'roi:EB:post', dir: 'desc' },
      offset: 100,
      limit: 1000,
    };
    expect(validateArg('searchNeurons', q)).toEqual(q);
    expect(validateArg('neuronsCsv', {})).toEqual({});
    expect(validateArg('statuses', undefined)).toBeUndefined();
    expect(validateArg('rois', undefined)).toBeUndefined();
    expect(validateArg('rois', { all: true })).toEqual({ all: true });
    expect(validateArg('roiConnectivity', { rois: ['EB'] })).toEqual({ rois: ['EB'] });
    expect(validateArg('body', { bodyId: '18446744073709551615' })).toEqual({ bodyId: '18446744073709551615' });
    expect(validateArg('partners', { bodyId: '0', direction: 'upstream' })).toEqual({ bodyId: '0', direction: 'upstream' });
  });

  it('refuses what would be unsafe or meaningless, naming the field', () => {
    expect(() => validateArg('searchNeurons', { limit: 1001 })).toThrow(/limit/);
    expect(() => validateArg('searchNeurons', { limit: 0 })).toThrow(/limit/);
    expect(() => validateArg('searchNeurons', { offset: -1 })).toThrow(/offset/);
    expect(() => validateArg('searchNeurons', { minPre: 1.5 })).toThrow(/minPre/);
    expect(() => validateArg('searchNeurons', { sort: { key: 'roi:EB', dir: 'asc' } })).toThrow(/sort/);
    expect(() => validateArg('searchNeurons', { sort: { key: 'post', dir: 'up' } })).toThrow(/sort.dir/);
    expect(() => validateArg('searchNeurons', { inputRois: { rois: [], mode: 'any' } })).toThrow(/inputRois.rois/);
    expect(() => validateArg('searchNeurons', { inputRois: { rois: ['EB'], mode: 'some' } })).toThrow(/inputRois.mode/);
    expect(() => validateArg('searchNeurons', { text: 'x'.repeat(1001) })).toThrow(/text/);
    expect(() => validateArg('searchNeurons', { extra: 1 })).toThrow(ArgumentError);
    expect(() => validateArg('body', { bodyId: 5 })).toThrow(/bodyId/);
    expect(() => validateArg('body', { bodyId: '18446744073709551616' })).toThrow(/2\^64/);
    expect(() => validateArg('body', { bodyId: '007' })).toThrow(/bodyId/);
    expect(() => validateArg('partners', { bodyId: '1', direction: 'both' })).toThrow(/direction/);
    expect(() => validateArg('statuses', {})).toThrow(ArgumentError);
  });
});
