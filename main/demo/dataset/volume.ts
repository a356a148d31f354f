/**
 * The voxel pass: labels every 64³ block of the volume once and produces, for the four labelmap
 * instances (segmentation, segmentation_roi_voxels, mito, voxel-classes), their stored blocks at
 * scales 0..3 (gzipped DVID label Blocks, as DVID stores them with "gzip compression"), the label
 * index (voxels of each label in each scale-0 block) and, for meshing, the segmentation at scale 3.
 *
 * Work is cut octree-wise into jobs of one scale-2 block (256³ voxels: 64 scale-0 blocks, 8 scale-1
 * blocks, itself) that run on worker threads (volume-parallel.ts); each coarser block is
 * downsampled from its eight children as soon as they exist, so only a few dozen 64³ arrays live at
 * once. Results are merged in the order a single thread would produce them: the output is the same
 * whatever the number of threads.
 */
import { gzipSync } from 'node:zlib';
import { encodeLabelBlock } from '../../formats/label-block';
import { downresOctant } from './downres';
import { Labeller, type SomaSectors } from './labeller';
import { labelMitoBlock } from './mito';
import { PrimitiveSet, type PrimitiveArrays } from './primitives';
import { BLOCK_SIZE, MAX_SCALE, ROI_BLOCK_SIZE } from './presets';

const B = BLOCK_SIZE;
const VOX = B * B * B;
const JOB_LEVEL = 2;

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

/** Everything the voxel pass needs, in a form that crosses to worker threads (typed arrays). */
export interface VolumeInputs {
  size: number;
  prims: PrimitiveArrays;
  somas: Array<{ prim: number; u: [number, number, number]; v: [number, number, number]; svs: number[] }>;
  mito: PrimitiveArrays;
  svLabels: BigUint64Array;
  roiGrid: { grid: number; cellLabel: Uint8Array };
  roiLabels: BigUint64Array;
  mitoLabels: BigUint64Array;
  classLabels: BigUint64Array;
}

export interface VolumeOutputs {
  segmentation: LabelmapBuild;
  roiVoxels: LabelmapBuild;
  mito: LabelmapBuild;
  classes: LabelmapBuild;
  /** Segmentation supervoxel indices at scale 3 (MAX_SCALE), (size >> 3)³, x fastest. */
  coarse: Uint32Array;
  coarseEdge: number;
}

const KINDS = ['seg', 'roi', 'mito', 'cls'] as const;
type Kind = (typeof KINDS)[number];
type Level = Record<Kind, Uint32Array | null>;
const emptyLevel = (): Level => ({ seg: null, roi: null, mito: null, cls: null });

/** Encodes one block of label indices: palette form → DVID Block → gzip; keeps the per-label voxel counts. */
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
    // A copy in its own ArrayBuffer: zlib's output may share a pooled one, which cannot be transferred.
    return new Uint8Array(gzipSync(encodeLabelBlock({ nx: B, ny: B, nz: B, palette, indices: this.indices })));
  }
}

/** One stored block produced by a job. */
interface StoredBlock {
  kind: Kind;
  level: number;
  coord: [number, number, number];
  gz: Uint8Array;
  /** level 0 only: labels and voxel counts */
  labels?: Uint32Array;
  counts?: Uint32Array;
}

/** What a job (one scale-2 block) returns; its arrays go back to the main thread by transfer. */
export interface JobResult {
  coord: [number, number, number];
  blocks: StoredBlock[];
  /** the scale-2 block of each instance, for the parent's scale-3 downsampling */
  level: Level;
}

export function jobTransferList(r: JobResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const b of r.blocks) {
    out.push(b.gz.buffer as ArrayBuffer);
    if (b.labels) out.push(b.labels.buffer as ArrayBuffer, b.counts!.buffer as ArrayBuffer);
  }
  for (const k of KINDS) if (r.level[k]) out.push(r.level[k].buffer as ArrayBuffer);
  return out;
}

/** Labels and encodes blocks; one per thread. */
export class VolumeEngine {
  private readonly labeller: Labeller;
  private readonly mito: PrimitiveSet;
  private readonly enc: Record<Kind, BlockEncoder>;
  private readonly svScratch = new Uint32Array(VOX);
  private readonly clsScratch = new Uint8Array(VOX);
  private readonly mitoScratch: number[] = [];

  constructor(readonly input: VolumeInputs) {
    const prims = PrimitiveSet.fromArrays(input.prims, input.size);
    const somas: SomaSectors = new Map(input.somas.map((s) => [s.prim, { u: s.u, v: s.v, svs: s.svs }]));
    this.labeller = new Labeller(prims, somas, B);
    this.mito = PrimitiveSet.fromArrays(input.mito, input.size);
    this.enc = {
      seg: new BlockEncoder(input.svLabels),
      roi: new BlockEncoder(input.roiLabels),
      mito: new BlockEncoder(input.mitoLabels),
      cls: new BlockEncoder(input.classLabels),
    };
  }

  private encodeLevel(out: StoredBlock[], level: number, coord: [number, number, number], l: Level): void {
    for (const k of KINDS) {
      const vox = l[k];
      if (!vox) continue;
      const e = this.enc[k];
      const gz = e.encode(vox);
      const b: StoredBlock = { kind: k, level, coord, gz };
      if (level === 0) {
        b.labels = e.usedLabels.slice(0, e.used);
        b.counts = e.usedCounts.slice(0, e.used);
      }
      out.push(b);
    }
  }

  private leaf(bx: number, by: number, bz: number): Level {
    const l = emptyLevel();
    const perEdge = this.input.size / B;
    if (bx >= perEdge || by >= perEdge || bz >= perEdge) return l;
    if (this.labeller.labelBlock(bx, by, bz, this.svScratch, this.clsScratch)) l.seg = this.svScratch.slice();
    l.cls = new Uint32Array(this.clsScratch);
    // ROI labels are constant over each 32³ cell.
    const { grid: G, cellLabel } = this.input.roiGrid;
    const per = B / ROI_BLOCK_SIZE;
    const roi = new Uint32Array(VOX);
    let anyRoi = false;
    for (let cz = 0; cz < per; cz++)
      for (let cy = 0; cy < per; cy++)
        for (let cx = 0; cx < per; cx++) {
          const gx = bx * per + cx, gy = by * per + cy, gz = bz * per + cz;
          const label = gx < G && gy < G && gz < G ? cellLabel[(gz * G + gy) * G + gx]! : 0;
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
    if (labelMitoBlock(this.mito, bx, by, bz, B, mito, this.mitoScratch)) l.mito = mito;
    return l;
  }

  private produce(level: number, bx: number, by: number, bz: number, out: StoredBlock[], onLeaf: () => void): Level {
    const edge = Math.ceil(this.input.size / (B << level));
    if (bx >= edge || by >= edge || bz >= edge) return emptyLevel();
    let l: Level;
    if (level === 0) {
      l = this.leaf(bx, by, bz);
      onLeaf();
    } else {
      l = emptyLevel();
      for (let o = 0; o < 8; o++) {
        const ox = o & 1, oy = (o >> 1) & 1, oz = o >> 2;
        downresChildren(l, this.produce(level - 1, 2 * bx + ox, 2 * by + oy, 2 * bz + oz, out, onLeaf), ox, oy, oz);
      }
    }
    this.encodeLevel(out, level, [bx, by, bz], l);
    return l;
  }

  /** One job: the scale-2 block at (bx, by, bz) and everything below it. */
  job(bx: number, by: number, bz: number, onLeaf: () => void = () => {}): JobResult {
    const blocks: StoredBlock[] = [];
    const level = this.produce(JOB_LEVEL, bx, by, bz, blocks, onLeaf);
    return { coord: [bx, by, bz], blocks, level };
  }

  /** The scale-3 block made from its eight scale-2 jobs (in octant order), encoded. */
  top(coord: [number, number, number], children: Level[]): { blocks: StoredBlock[]; level: Level } {
    const l = emptyLevel();
    children.forEach((c, o) => downresChildren(l, c, o & 1, (o >> 1) & 1, o >> 2));
    const blocks: StoredBlock[] = [];
    this.encodeLevel(blocks, MAX_SCALE, coord, l);
    return { blocks, level: l };
  }
}

function downresChildren(target: Level, child: Level, ox: number, oy: number, oz: number): void {
  for (const k of KINDS) {
    const c = child[k];
    if (!c) continue;
    // Octants never written stay zero, which is what an absent child downsamples to.
    downresOctant(c, (target[k] ??= new Uint32Array(VOX)), ox, oy, oz, B);
  }
}

function makeBuild(name: string, labels: BigUint64Array): LabelmapBuild {
  return { name, labels, scales: Array.from({ length: MAX_SCALE + 1 }, () => new BlockSet()), index: new LabelIndexBuilder() };
}

/** The job coordinates of each scale-3 block, in the order one thread would visit them. */
export function jobPlan(size: number): Array<{ top: [number, number, number]; jobs: Array<[number, number, number]> }> {
  const topEdge = Math.ceil(size / (B << MAX_SCALE));
  const out: Array<{ top: [number, number, number]; jobs: Array<[number, number, number]> }> = [];
  for (let z = 0; z < topEdge; z++)
    for (let y = 0; y < topEdge; y++)
      for (let x = 0; x < topEdge; x++) {
        const jobs: Array<[number, number, number]> = [];
        for (let o = 0; o < 8; o++) jobs.push([2 * x + (o & 1), 2 * y + ((o >> 1) & 1), 2 * z + (o >> 2)]);
        out.push({ top: [x, y, z], jobs });
      }
  return out;
}

/** Collects job results (given in plan order) into the four labelmap builds and the coarse volume. */
export class VolumeCollector {
  readonly out: Omit<VolumeOutputs, 'coarse' | 'coarseEdge'>;
  readonly coarseEdge: number;
  readonly coarse: Uint32Array;

  constructor(input: VolumeInputs) {
    this.out = {
      segmentation: makeBuild('segmentation', input.svLabels),
      roiVoxels: makeBuild('segmentation_roi_voxels', input.roiLabels),
      mito: makeBuild('mito_20190501.24734943', input.mitoLabels),
      classes: makeBuild('voxel-classes', input.classLabels),
    };
    this.coarseEdge = Math.ceil(input.size / (1 << MAX_SCALE));
    this.coarse = new Uint32Array(this.coarseEdge ** 3);
  }

  private build(k: Kind): LabelmapBuild {
    return k === 'seg' ? this.out.segmentation : k === 'roi' ? this.out.roiVoxels : k === 'mito' ? this.out.mito : this.out.classes;
  }

  add(blocks: StoredBlock[]): void {
    for (const b of blocks) {
      const build = this.build(b.kind);
      build.scales[b.level]!.add(b.coord[0], b.coord[1], b.coord[2], b.gz);
      if (b.level === 0) build.index.add(b.coord[0], b.coord[1], b.coord[2], b.labels!, b.counts!, b.labels!.length);
    }
  }

  /** The scale-3 segmentation block goes into the coarse volume used for meshing. */
  addCoarse(coord: [number, number, number], seg: Uint32Array | null): void {
    if (!seg) return;
    const E = this.coarseEdge;
    for (let z = 0; z < B; z++) {
      const cz = coord[2] * B + z;
      if (cz >= E) break;
      for (let y = 0; y < B; y++) {
        const cy = coord[1] * B + y;
        if (cy >= E) break;
        const n = Math.min(B, E - coord[0] * B);
        if (n <= 0) break;
        const src = (z * B + y) * B;
        this.coarse.set(seg.subarray(src, src + n), (cz * E + cy) * E + coord[0] * B);
      }
    }
  }

  result(): VolumeOutputs {
    return { ...this.out, coarse: this.coarse, coarseEdge: this.coarseEdge };
  }
}
