/**
 * The repo's data instances, named and typed exactly as hemibrain-instances.md lists them, plus one
 * `roi` instance per ROI. Syncs follow the hemibrain: the annotation instances sync to
 * `segmentation` (that is what makes /label/{body} work), `synapses_labelsz` to `synapses`.
 */

export type TypeName = 'labelmap' | 'annotation' | 'keyvalue' | 'roi' | 'labelsz';

export interface InstanceDef {
  name: string;
  type: TypeName;
  syncs: string[];
}

export const LABELMAPS = ['segmentation', 'segmentation_roi_voxels', 'mito_20190501.24734943', 'voxel-classes'] as const;
export const ANNOTATIONS = ['synapses', 'bookmark_annotations', 'segmentation_todo'] as const;
export const KEYVALUES = [
  'bookmarks',
  'roi_data',
  'rois',
  'roisSmoothedDecimated',
  'segmentation_annotations',
  'segmentation_meshes',
  'segmentation_skeletons',
] as const;

export function instanceDefs(roiNames: readonly string[]): InstanceDef[] {
  return [
    { name: 'bookmark_annotations', type: 'annotation', syncs: ['segmentation'] },
    { name: 'segmentation_todo', type: 'annotation', syncs: ['segmentation'] },
    { name: 'synapses', type: 'annotation', syncs: ['segmentation'] },
    ...KEYVALUES.map((name) => ({ name, type: 'keyvalue' as const, syncs: [] })),
    { name: 'mito_20190501.24734943', type: 'labelmap', syncs: [] },
    { name: 'segmentation', type: 'labelmap', syncs: [] },
    { name: 'segmentation_roi_voxels', type: 'labelmap', syncs: [] },
    { name: 'voxel-classes', type: 'labelmap', syncs: [] },
    { name: 'synapses_labelsz', type: 'labelsz', syncs: ['synapses'] },
    ...roiNames.map((name) => ({ name, type: 'roi' as const, syncs: [] })),
  ];
}
