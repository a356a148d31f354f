/** Which instances the planner ticks for "Select what search & ROIs need" (pure: unit-tested). */
import type { InstanceSummary } from '../../../preload/api';

export interface Choice {
  on: boolean;
  scope: string;
}

/**
 * The instances the search, ROI and body views are computed from: the synapse annotation, the
 * labelmap it is synced to (scale 0 is enough for synapse supervoxels), the body annotations of that
 * labelmap, the ROI hierarchy and every ROI.
 */
export function searchSelection(list: InstanceSummary[]): Map<string, Choice> {
  const out = new Map<string, Choice>();
  const names = new Set(list.map((i) => i.name));
  const annotations = list.filter((i) => i.type === 'annotation' && i.syncs.some((s) => names.has(s)));
  const syn = annotations.find((i) => i.name === 'synapses') ?? annotations.find((i) => /synap/i.test(i.name)) ?? annotations[0];
  if (syn) {
    out.set(syn.name, { on: true, scope: 'all' });
    const seg = syn.syncs.find((s) => names.has(s));
    if (seg) {
      out.set(seg, { on: true, scope: 'all;scales=0' });
      const ann = list.find((i) => i.type === 'keyvalue' && i.name === `${seg}_annotations`);
      if (ann) out.set(ann.name, { on: true, scope: 'all' });
    }
  }
  for (const i of list) {
    if (i.type === 'roi' || (i.type === 'keyvalue' && i.name === 'roi_data')) out.set(i.name, { on: true, scope: 'all' });
  }
  return out;
}
