import { describe, expect, it } from 'vitest';
import type { InstanceSummary } from '../../../../preload/api';
import { searchSelection } from '../../../../renderer/src/lib/sync-selection';

const inst = (name: string, type: string, syncs: string[] = []): InstanceSummary => ({ name, type, dataUuid: null, syncs, cached: null });

describe('searchSelection', () => {
  it('ticks the synapses, the labelmap they sync to (scale 0), its body annotations, roi_data and every ROI; nothing else', () => {
    const list = [
      inst('segmentation', 'labelmap'),
      inst('mito', 'labelmap'),
      inst('synapses', 'annotation', ['segmentation']),
      inst('bookmark_annotations', 'annotation', ['segmentation']),
      inst('segmentation_annotations', 'keyvalue'),
      inst('segmentation_meshes', 'keyvalue'),
      inst('roi_data', 'keyvalue'),
      inst('EB', 'roi'),
      inst('FB', 'roi'),
      inst('synapses_labelsz', 'labelsz', ['synapses']),
    ];
    const sel = searchSelection(list);
    expect(Object.fromEntries(sel)).toEqual({
      synapses: { on: true, scope: 'all' },
      segmentation: { on: true, scope: 'all;scales=0' },
      segmentation_annotations: { on: true, scope: 'all' },
      roi_data: { on: true, scope: 'all' },
      EB: { on: true, scope: 'all' },
      FB: { on: true, scope: 'all' },
    });
  });

  it('follows the names a server uses: a synapse annotation under another name and its labelmap', () => {
    const sel = searchSelection([inst('seg_v2', 'labelmap'), inst('syn_v2', 'annotation', ['seg_v2']), inst('seg_v2_annotations', 'keyvalue')]);
    expect([...sel.keys()].toSorted()).toEqual(['seg_v2', 'seg_v2_annotations', 'syn_v2']);
  });

  it('picks nothing it cannot tie to a labelmap', () => {
    expect(searchSelection([inst('synapses', 'annotation', ['gone']), inst('x', 'keyvalue')]).get('gone')).toBeUndefined();
  });
});
