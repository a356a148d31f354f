/**
 * The voxel pass: labels every 64³ block of the volume once and produces, for the four labelmap
 * instances (segmentation, segmentation_roi_voxels, mito, voxel-classes), their stored blocks at
 * scales 0..3 (gzipped DVID label Blocks, as DVID stores them with "gzip compression"), the label
 * index (voxels of each label in each scale-0 block) and, for meshing, the whole segmentation at one
 * coarse scale.
 *
 * Blocks are visited octree-wise (a scale-3 block's 512 scale-0 blocks, 8 at a time) so each coarser
 * block is downsampled from its eight children as soon as they exist: at most a few dozen 64³ arrays
 * live at once, whatever the volume size.
 */
import { gzipSync } from 'node:zlib';
import { encodeLabelBlock } from '../../formats/label-block';
import { downresOctant } from './downres';
import type { Labeller } from './labeller';
import { labelMitoBlock } from './mito';
import type { PrimitiveSet } from './primitives';
import { BLOCK_SIZE, MAX_SCALE, ROI_BLOCK_SIZE } from './presets';

const B = BLOCK_SIZE;
const VOX = B * B * B;

/** Stored blocks of one scale: coordinates and gzipped DVID Block bytes. */
export class BlockSet {
  readonly coords: number[] = [];
  readonly payloads: Uint8Array[] = [];

  add(bx: number, by: number, bz: number, gz: Uint8Array): void {
    this.coords.push(bx, by, bz);
    this.payloads.push(gz);
  }

  get count(): number {
    return this.payloads.length;
  }
}

/** Scale-0 label index: for each stored block, the labels in it and their voxel counts. */
export class LabelIndexBuilder {
  readonly blocks: number[] = [];
  readonly start: number[] = [0];
  readonly label: number[] = [];
  readonly count: number[] = [];

  add(bx: number, by: number, bz: number, labels: ArrayLike<number>, counts: ArrayLike<number>, n: number): void {
    this.blocks.push(bx, by, bz);
    for (let i = 0; i < n; i++) {
      if (labels[i] === 0) continue;
      this.label.push(labels[i]!);
      this.count.push(counts[i]!);
    }
    this.start.push(this.label.length);
  }
}

export interface LabelmapBuild {
  name: string;
  /** label value of each label index (index 0 = label 0) */
  labels: BigUint64Array;
  scales: BlockSet[];
  index: LabelIndexBuilder;
}

export interface VolumeInputs {
  size: number;
  labeller: Labeller;
  svLabels: BigUint64Array;
  roiGrid: { grid: number; cellLabel: Uint8Array };
  roiLabels: BigUint64Array;
  mito: PrimitiveSet;
  mitoLabels: BigUint64Array;
  classLabels: BigUint64Array;
  /** Scale at which the segmentation is kept whole for meshing. */
  meshScale: number;
  onProgress?: (done: number, total: number) => void;
}

export interface VolumeOutputs {
  segmentation: LabelmapBuild;
  roiVoxels: LabelmapBuild;
  mito: LabelmapBuild;
  classes: LabelmapBuild;
  /** Segmentation supervoxel indices at meshScale, (size >> meshScale)³, x fastest. */
  coarse: Uint32Array;
  coarseEdge: number;
}

/** Encodes one block of label indices: palette form → DVID Block → gzip. Also returns the per-label voxel counts. */
class BlockEncoder {
  private readonly local: Int32Array;
  private readonly indices = new Uint16Array(VOX);
  readonly usedLabels = new Uint32Array(VOX);
  readonly usedCounts = new Uint32Array(VOX);
  used = 0;

  constructor(private readonly labels: BigUint64Array) {
    this.local = new Int32Array(labels.length).fill(-1);
  }

  encode(vox: Uint32Array): Uint8Array {
    this.used = 0;
    for (let i = 0; i < VOX; i++) {
      const g = vox[i]!;
      let l = this.local[g]!;
      if (l < 0) {
        l = this.used++;
        this.local[g] = l;
        this.usedLabels[l] = g;
        this.usedCounts[l] = 0;
      }
      this.usedCounts[l]!++;
      this.indices[i] = l;
    }
    const palette = new BigUint64Array(this.used);
    for (let l = 0; l < this.used; l++) {
      palette[l] = this.labels[this.usedLabels[l]!]!;
      this.local[this.usedLabels[l]!] = -1;
    }
    const raw = encodeLabelBlock({ nx: B, ny: B, nz: B, palette, indices: this.indices });
    return gzipSync(raw);
  }
}

interface Level {
  seg: Uint32Array | null;
  roi: Uint32Array | null;
  mito: Uint32Array | null;
  cls: Uint32Array | null;
}

function make(name: string, labels: BigUint64Array): LabelmapBuild {
  return { name, labels, scales: Array.from({ length: MAX_SCALE + 1 }, () => new BlockSet()), index: new LabelIndexBuilder() };
}

export function buildVolume(input: VolumeInputs): VolumeOutputs {
  const { size } = input;
  const out = {
    segmentation: make('segmentation', input.svLabels),
    roiVoxels: make('segmentation_roi_voxels', input.roiLabels),
    mito: make('mito_20190501.24734943', input.mitoLabels),
    classes: make('voxel-classes', input.classLabels),
  };
  const enc = {
    seg: new BlockEncoder(input.svLabels),
    roi: new BlockEncoder(input.roiLabels),
    mito: new BlockEncoder(input.mitoLabels),
    cls: new BlockEncoder(input.classLabels),
  };
  const coarseEdge = Math.ceil(size / (1 << input.meshScale));
  const coarse = new Uint32Array(coarseEdge ** 3);
  const blocksPerEdge = size / B;
  const totalBlocks = blocksPerEdge ** 3;
  let done = 0;

  const svScratch = new Uint32Array(VOX);
  const clsScratch = new Uint8Array(VOX);
  const mitoScratch: number[] = [];
  const G = input.roiGrid.grid;
  const cellsPerBlock = B / ROI_BLOCK_SIZE;

  const store = (level: number, bx: number, by: number, bz: number, l: Level): void => {
    const pairs: Array<[keyof Level, LabelmapBuild]> = [
      ['seg', out.segmentation],
      ['roi', out.roiVoxels],
      ['mito', out.mito],
      ['cls', out.classes],
    ];
    for (const [k, build] of pairs) {
      const vox = l[k];
      if (!vox) continue;
      const e = enc[k];
      const gz = e.encode(vox);
      build.scales[level]!.add(bx, by, bz, gz);
      if (level === 0) build.index.add(bx, by, bz, e.usedLabels, e.usedCounts, e.used);
    }
    if (level === input.meshScale && l.seg) {
      const f = B;
      for (let z = 0; z < f; z++) {
        const cz = bz * f + z;
        if (cz >= coarseEdge) break;
        for (let y = 0; y < f; y++) {
          const cy = by * f + y;
          if (cy >= coarseEdge) break;
          const n = Math.min(f, coarseEdge - bx * f);
          if (n <= 0) break;
          const src = (z * f + y) * f;
          coarse.set(l.seg.subarray(src, src + n), (cz * coarseEdge + cy) * coarseEdge + bx * f);
        }
      }
    }
  };

  const leaf = (bx: number, by: number, bz: number): Level => {
    const l: Level = { seg: null, roi: null, mito: null, cls: null };
    if (bx >= blocksPerEdge || by >= blocksPerEdge || bz >= blocksPerEdge) return l;
    const anySeg = input.labeller.labelBlock(bx, by, bz, svScratch, clsScratch);
    if (anySeg) l.seg = svScratch.slice();
    l.cls = new Uint32Array(clsScratch);
    // ROI labels are constant over each 32³ cell.
    const roi = new Uint32Array(VOX);
    let anyRoi = false;
    for (let cz = 0; cz < cellsPerBlock; cz++)
      for (let cy = 0; cy < cellsPerBlock; cy++)
        for (let cx = 0; cx < cellsPerBlock; cx++) {
          const gx = bx * cellsPerBlock + cx, gy = by * cellsPerBlock + cy, gz = bz * cellsPerBlock + cz;
          const label = gx < G && gy < G && gz < G ? input.roiGrid.cellLabel[(gz * G + gy) * G + gx]! : 0;
          if (label === 0) continue;
          anyRoi = true;
          for (let z = 0; z < ROI_BLOCK_SIZE; z++)
            for (let y = 0; y < ROI_BLOCK_SIZE; y++) {
              const base = ((cz * ROI_BLOCK_SIZE + z) * B + cy * ROI_BLOCK_SIZE + y) * B + cx * ROI_BLOCK_SIZE;
              roi.fill(label, base, base + ROI_BLOCK_SIZE);
            }
        }
    if (anyRoi) l.roi = roi;
    const mito = new Uint32Array(VOX);
    if (labelMitoBlock(input.mito, bx, by, bz, B, mito, mitoScratch)) l.mito = mito;
    done++;
    input.onProgress?.(done, totalBlocks);
    return l;
  };

  const produce = (level: number, bx: number, by: number, bz: number): Level => {
    const edge = Math.ceil(size / (B << level));
    if (bx >= edge || by >= edge || bz >= edge) return { seg: null, roi: null, mito: null, cls: null };
    let l: Level;
    if (level === 0) {
      l = leaf(bx, by, bz);
    } else {
      l = { seg: null, roi: null, mito: null, cls: null };
      for (let o = 0; o < 8; o++) {
        const ox = o & 1, oy = (o >> 1) & 1, oz = o >> 2;
        const child = produce(level - 1, 2 * bx + ox, 2 * by + oy, 2 * bz + oz);
        for (const k of ['seg', 'roi', 'mito', 'cls'] as const) {
          const c = child[k];
          if (!c) continue;
          const target = (l[k] ??= new Uint32Array(VOX));
          downresOctant(c, target, ox, oy, oz, B);
        }
      }
      // Octants never written stay zero, which is what an absent child downsamples to.
    }
    store(level, bx, by, bz, l);
    return l;
  };

  const top = Math.ceil(size / (B << MAX_SCALE));
  for (let z = 0; z < top; z++) for (let y = 0; y < top; y++) for (let x = 0; x < top; x++) produce(MAX_SCALE, x, y, z);
  return { ...out, coarse, coarseEdge };
}
