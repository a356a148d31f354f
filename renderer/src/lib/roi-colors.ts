/**
 * One colour per ROI name, the same everywhere (breakdown bars, charts, legends): a fixed palette
 * indexed by a hash of the name, so a ROI keeps its colour across views, sessions and datasets.
 */
const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#79706e',
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#aec7e8',
];

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function roiColor(name: string): string {
  return PALETTE[hash(name) % PALETTE.length]!;
}
