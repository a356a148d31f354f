/** Worker side of prepareSkeletonTask (see prepare-skeleton.ts). */
import { allocSkeleton } from '../../../preload/binary';
import { FormatError } from '../../formats/format-error';
import { indexSkeleton, parseSwc } from '../../formats/swc';
import { defineHandler } from '../registry';
import { prepareSkeletonTask, type PrepareSkeletonArgs } from './prepare-skeleton';

function inside(min: number[], max: number[], e: NonNullable<PrepareSkeletonArgs['extent']>): boolean {
  for (let i = 0; i < 3; i++) {
    const pad = (e.max[i]! - e.min[i]! + 1) / 2;
    if (max[i]! < e.min[i]! - pad || min[i]! > e.max[i]! + pad) return false;
  }
  return true;
}

export function prepareSkeleton(args: PrepareSkeletonArgs): { buffer: ArrayBuffer } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(args.bytes);
  } catch {
    throw new FormatError('swc', 0, `${args.what} is not UTF-8 text`);
  }
  const skel = parseSwc(text);
  const { parentIndex } = indexSkeleton(skel);
  const nodes = skel.nodes;
  const n = nodes.length;
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (const nd of nodes) {
    const p = [nd.x, nd.y, nd.z];
    for (let i = 0; i < 3; i++) {
      if (p[i]! < min[i]!) min[i] = p[i]!;
      if (p[i]! > max[i]!) max[i] = p[i]!;
    }
  }
  let nm = args.units === 'nm';
  if (args.units === 'auto' && args.extent && n > 0 && !args.voxelSize.every((s) => s === 1)) {
    nm =
      !inside(min, max, args.extent) &&
      inside(
        min.map((v, i) => v / args.voxelSize[i]!),
        max.map((v, i) => v / args.voxelSize[i]!),
        args.extent,
      );
  }
  const k = nm ? args.voxelSize.map((s) => 1 / s) : [1, 1, 1];
  let edges = 0;
  let root = -1;
  for (let i = 0; i < n; i++) {
    if (parentIndex[i]! >= 0) edges++;
    else if (root < 0) root = i;
  }
  const out = allocSkeleton(n, edges, root);
  let e = 0;
  for (let i = 0; i < n; i++) {
    const nd = nodes[i]!;
    out.positions[3 * i] = nd.x * k[0]!;
    out.positions[3 * i + 1] = nd.y * k[1]!;
    out.positions[3 * i + 2] = nd.z * k[2]!;
    out.radii[i] = nd.radius * k[0]!;
    out.types[i] = nd.type >= 0 && nd.type <= 255 ? nd.type : 0;
    const p = parentIndex[i]!;
    if (p >= 0) {
      out.edges[e++] = i;
      out.edges[e++] = p;
    }
  }
  return { buffer: out.buffer };
}

export const prepareSkeletonHandler = defineHandler(prepareSkeletonTask, prepareSkeleton, (r) => [r.buffer]);
