/**
 * ROIs: the 63 primary hemibrain neuropils (in the order of hemibrain-instances.md note 2, which is
 * also their label in `segmentation_roi_voxels`), laid out over the 32³-voxel ROI grid inside the
 * brain ellipsoid at roughly their anatomical places, plus hemibrain's non-primary ROIs: super-ROIs
 * that are unions of primaries (CX, MB(R), SNP(R), …) and sub-ROIs that are parts of one (FBl1–FBl3).
 *
 * Every ROI becomes a `roi` instance (spans of 32³ blocks). Primary ROIs do not overlap.
 */
import type { Vec3 } from './geometry';
import type { Rng } from './prng';
import { ROI_BLOCK_SIZE } from './presets';

/** hemibrain-instances.md note 2: label = 1-based position. */
export const PRIMARY_ROIS = [
  'AB(L)', 'AB(R)', 'AL(L)', 'AL(R)', 'AME(R)', 'AOTU(R)', 'ATL(L)', 'ATL(R)', 'AVLP(R)', 'BU(L)',
  'BU(R)', 'CA(L)', 'CA(R)', 'CAN(R)', 'CRE(L)', 'CRE(R)', 'EB', 'EPA(L)', 'EPA(R)', 'FB',
  'FLA(R)', 'GNG', 'GOR(L)', 'GOR(R)', 'IB', 'ICL(L)', 'ICL(R)', 'IPS(R)', 'LAL(L)', 'LAL(R)',
  'LH(R)', 'LO(R)', 'LOP(R)', 'ME(R)', 'NO', 'PB', 'PED(R)', 'PLP(R)', 'PRW', 'PVLP(R)',
  'SAD', 'SCL(L)', 'SCL(R)', 'SIP(L)', 'SIP(R)', 'SLP(R)', 'SMP(L)', 'SMP(R)', 'SPS(L)', 'SPS(R)',
  'VES(L)', 'VES(R)', 'WED(R)', "a'L(L)", "a'L(R)", 'aL(L)', 'aL(R)', "b'L(L)", "b'L(R)", 'bL(L)',
  'bL(R)', 'gL(L)', 'gL(R)',
] as const;

/** Rough anatomical seats (x: left→right, y: dorsal→ventral, z: anterior→posterior, in ellipsoid units) and relative sizes. */
const SEATS: Record<string, [number, number, number, number]> = {
  'AB(L)': [-0.05, 0, 0.12, 0.5], 'AB(R)': [0.05, 0, 0.12, 0.5], 'AL(L)': [-0.3, 0.4, -0.7, 1.2], 'AL(R)': [0.3, 0.4, -0.7, 1.2],
  'AME(R)': [0.8, 0.25, 0, 0.6], 'AOTU(R)': [0.45, -0.3, -0.4, 0.8], 'ATL(L)': [-0.15, -0.5, 0.6, 0.6], 'ATL(R)': [0.15, -0.5, 0.6, 0.6],
  'AVLP(R)': [0.5, 0.3, -0.4, 1.3], 'BU(L)': [-0.3, -0.1, -0.2, 0.6], 'BU(R)': [0.3, -0.1, -0.2, 0.6], 'CA(L)': [-0.25, -0.6, 0.7, 0.9],
  'CA(R)': [0.25, -0.6, 0.7, 0.9], 'CAN(R)': [0.25, 0.7, 0.3, 0.8], 'CRE(L)': [-0.15, -0.2, -0.4, 0.9], 'CRE(R)': [0.15, -0.2, -0.4, 0.9],
  EB: [0, -0.05, -0.1, 0.9], 'EPA(L)': [-0.3, 0.2, 0.1, 0.8], 'EPA(R)': [0.3, 0.2, 0.1, 0.8], FB: [0, -0.2, 0.12, 1.2],
  'FLA(R)': [0.1, 0.6, 0.2, 0.8], GNG: [0, 0.85, 0, 1.4], 'GOR(L)': [-0.25, 0.1, 0, 0.7], 'GOR(R)': [0.25, 0.1, 0, 0.7],
  IB: [0, 0.1, 0.5, 1.1], 'ICL(L)': [-0.3, 0, 0.3, 0.9], 'ICL(R)': [0.3, 0, 0.3, 0.9], 'IPS(R)': [0.4, 0.35, 0.45, 1],
  'LAL(L)': [-0.3, 0.05, -0.25, 0.9], 'LAL(R)': [0.3, 0.05, -0.25, 0.9], 'LH(R)': [0.5, -0.45, 0.4, 1.1], 'LO(R)': [0.82, 0, 0.4, 1.3],
  'LOP(R)': [0.78, -0.1, 0.7, 1], 'ME(R)': [0.92, 0, 0, 1.6], NO: [0, 0.05, 0.35, 0.5], PB: [0, -0.5, 0.55, 0.8],
  'PED(R)': [0.3, -0.3, 0, 0.7], 'PLP(R)': [0.55, -0.1, 0.45, 1.1], PRW: [0, 0.45, -0.2, 0.7], 'PVLP(R)': [0.6, 0.15, -0.1, 1.2],
  SAD: [0.1, 0.55, -0.1, 0.9], 'SCL(L)': [-0.35, -0.3, 0.35, 0.9], 'SCL(R)': [0.35, -0.3, 0.35, 0.9], 'SIP(L)': [-0.2, -0.55, -0.1, 0.9],
  'SIP(R)': [0.2, -0.55, -0.1, 0.9], 'SLP(R)': [0.45, -0.6, 0.2, 1.3], 'SMP(L)': [-0.12, -0.45, -0.2, 1.1], 'SMP(R)': [0.12, -0.45, -0.2, 1.1],
  'SPS(L)': [-0.3, 0.4, 0.5, 1], 'SPS(R)': [0.3, 0.4, 0.5, 1], 'VES(L)': [-0.3, 0.5, -0.2, 0.9], 'VES(R)': [0.3, 0.5, -0.2, 0.9],
  'WED(R)': [0.6, 0.3, 0.25, 1], "a'L(L)": [-0.35, -0.65, -0.5, 0.7], "a'L(R)": [0.35, -0.65, -0.5, 0.7], 'aL(L)': [-0.42, -0.78, -0.55, 0.7],
  'aL(R)': [0.42, -0.78, -0.55, 0.7], "b'L(L)": [-0.1, -0.35, -0.6, 0.6], "b'L(R)": [0.1, -0.35, -0.6, 0.6], 'bL(L)': [-0.05, -0.28, -0.72, 0.6],
  'bL(R)': [0.05, -0.28, -0.72, 0.6], 'gL(L)': [-0.2, -0.22, -0.55, 0.7], 'gL(R)': [0.2, -0.22, -0.55, 0.7],
};

/** hemibrain's non-primary ROIs used here: super-ROIs (unions) and the FB layers (parts of FB). */
export const SUPER_ROIS: Record<string, readonly string[]> = {
  CX: ['FB', 'EB', 'PB', 'NO', 'AB(L)', 'AB(R)'],
  'MB(R)': ['CA(R)', 'PED(R)', "a'L(R)", 'aL(R)', "b'L(R)", 'bL(R)', 'gL(R)'],
  'MB(L)': ['CA(L)', "a'L(L)", 'aL(L)', "b'L(L)", 'bL(L)', 'gL(L)'],
  'SNP(R)': ['SLP(R)', 'SIP(R)', 'SMP(R)'],
  'SNP(L)': ['SIP(L)', 'SMP(L)'],
  'LX(R)': ['BU(R)', 'LAL(R)'],
  'LX(L)': ['BU(L)', 'LAL(L)'],
  'OL(R)': ['ME(R)', 'AME(R)', 'LO(R)', 'LOP(R)'],
  'VLNP(R)': ['AOTU(R)', 'AVLP(R)', 'PVLP(R)', 'PLP(R)', 'WED(R)'],
  INP: ['CRE(L)', 'CRE(R)', 'SCL(L)', 'SCL(R)', 'ICL(L)', 'ICL(R)', 'IB', 'ATL(L)', 'ATL(R)'],
  VMNP: ['VES(L)', 'VES(R)', 'EPA(L)', 'EPA(R)', 'GOR(L)', 'GOR(R)', 'SPS(L)', 'SPS(R)', 'IPS(R)'],
  PENP: ['SAD', 'CAN(R)', 'FLA(R)', 'PRW'],
};
export const FB_LAYERS = ['FBl1', 'FBl2', 'FBl3'] as const;

export interface RoiDef {
  name: string;
  primary: boolean;
  /** 1-based label in segmentation_roi_voxels (primary ROIs only), else 0. */
  label: number;
  /** ROI-grid cells (32³ voxel blocks) as [bx, by, bz], sorted z, y, x. */
  blocks: Array<[number, number, number]>;
}

export interface HierarchyNode {
  name: string;
  children?: HierarchyNode[];
}

export interface RoiLayout {
  /** ROI grid edge (cells per axis). */
  grid: number;
  /** Primary ROI label (1-based, 0 = none) per cell, x fastest. */
  cellLabel: Uint8Array;
  rois: RoiDef[];
  hierarchy: HierarchyNode;
}

export function layoutRois(rng: Rng, size: number, brain: { centre: Vec3; radii: Vec3 }): RoiLayout {
  const G = Math.ceil(size / ROI_BLOCK_SIZE);
  const cellLabel = new Uint8Array(G * G * G);
  const seats = PRIMARY_ROIS.map((name) => {
    const s = SEATS[name]!;
    // A little jitter per seed so different seeds give different but still anatomical layouts.
    return { q: [s[0] + rng.range(-0.03, 0.03), s[1] + rng.range(-0.03, 0.03), s[2] + rng.range(-0.03, 0.03)] as Vec3, w: s[3] * 0.25 };
  });
  const nearestCell = PRIMARY_ROIS.map(() => -1);
  const nearestDist = PRIMARY_ROIS.map(() => Infinity);
  for (let z = 0; z < G; z++)
    for (let y = 0; y < G; y++)
      for (let x = 0; x < G; x++) {
        const p: Vec3 = [(x + 0.5) * ROI_BLOCK_SIZE, (y + 0.5) * ROI_BLOCK_SIZE, (z + 0.5) * ROI_BLOCK_SIZE];
        const q: Vec3 = [(p[0] - brain.centre[0]) / brain.radii[0], (p[1] - brain.centre[1]) / brain.radii[1], (p[2] - brain.centre[2]) / brain.radii[2]];
        const cell = (z * G + y) * G + x;
        let best = Infinity, who = -1;
        seats.forEach((s, i) => {
          const d = Math.hypot(q[0] - s.q[0], q[1] - s.q[1], q[2] - s.q[2]);
          if (d < nearestDist[i]!) {
            nearestDist[i] = d;
            nearestCell[i] = cell;
          }
          const wd = d / s.w;
          if (wd < best) {
            best = wd;
            who = i;
          }
        });
        // Inside the ellipsoid and not too far from any seat: neuropil; the rest is cell-body rind.
        if (Math.hypot(q[0], q[1], q[2]) < 0.97 && best < 2.2) cellLabel[cell] = who + 1;
      }
  // Every ROI keeps at least the cell nearest its seat.
  nearestCell.forEach((cell, i) => {
    if (cell >= 0 && !cellLabel.includes(i + 1)) cellLabel[cell] = i + 1;
  });

  const blocksOf = new Map<string, Array<[number, number, number]>>();
  for (const name of PRIMARY_ROIS) blocksOf.set(name, []);
  for (let z = 0; z < G; z++)
    for (let y = 0; y < G; y++)
      for (let x = 0; x < G; x++) {
        const l = cellLabel[(z * G + y) * G + x]!;
        if (l > 0) blocksOf.get(PRIMARY_ROIS[l - 1]!)!.push([x, y, z]);
      }
  const rois: RoiDef[] = PRIMARY_ROIS.map((name, i) => ({ name, primary: true, label: i + 1, blocks: blocksOf.get(name)! }));
  for (const [name, parts] of Object.entries(SUPER_ROIS)) {
    const blocks = parts.flatMap((p) => blocksOf.get(p)!);
    rois.push({ name, primary: false, label: 0, blocks: sortZyx(blocks) });
  }
  // FB layers: FB cut into dorsoventral thirds.
  const fb = blocksOf.get('FB')!;
  const ys = fb.map((b) => b[1]).toSorted((a, b) => a - b);
  const cut1 = ys[Math.floor(ys.length / 3)] ?? 0, cut2 = ys[Math.floor((2 * ys.length) / 3)] ?? 0;
  FB_LAYERS.forEach((name, k) => {
    const blocks = fb.filter((b) => (k === 0 ? b[1] < cut1 : k === 1 ? b[1] >= cut1 && b[1] < cut2 : b[1] >= cut2));
    rois.push({ name, primary: false, label: 0, blocks: blocks.length > 0 ? blocks : fb.slice(0, 1) });
  });

  const inSuper = new Set(Object.values(SUPER_ROIS).flat());
  const leaf = (name: string): HierarchyNode => (name === 'FB' ? { name, children: FB_LAYERS.map((l) => ({ name: l })) } : { name });
  const hierarchy: HierarchyNode = {
    name: 'hemibrain',
    children: [
      ...Object.entries(SUPER_ROIS).map(([name, parts]) => ({ name, children: parts.map(leaf) })),
      ...PRIMARY_ROIS.filter((n) => !inSuper.has(n)).map(leaf),
    ],
  };
  return { grid: G, cellLabel, rois, hierarchy };
}

function sortZyx(blocks: Array<[number, number, number]>): Array<[number, number, number]> {
  return blocks.slice().toSorted((a, b) => a[2] - b[2] || a[1] - b[1] || a[0] - b[0]);
}
