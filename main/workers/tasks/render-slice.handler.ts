/** Worker side of renderSliceTask (see render-slice.ts). */
import { allocSlice, setSliceMissing, SLICE_AXES, type SliceAxisCode } from '../../../preload/binary';
import { decodeLabelBlockPlane } from '../../formats/label-block-plane';
import { defineHandler } from '../registry';
import { renderSliceTask, type RenderSliceArgs } from './render-slice';

/** Plane (u, v, fixed) axes as indices into x, y, z. */
const AXES: Record<RenderSliceArgs['axis'], [number, number, number]> = { xy: [0, 1, 2], xz: [0, 2, 1], yz: [1, 2, 0] };

export function renderSlice(args: RenderSliceArgs): { buffer: ArrayBuffer } {
  const { axis, width, height, x0, y0, blockSize } = args;
  const [ua, va, fa] = AXES[axis];
  const bw = blockSize[ua]!, bh = blockSize[va]!, bd = blockSize[fa]!;
  const local = args.position - Math.floor(args.position / bd) * bd;

  const bodyOf = new Map<bigint, bigint>();
  if (args.map) for (let i = 0; i < args.map.svs.length; i++) bodyOf.set(args.map.svs[i]!, args.map.bodies[i]!);
  // body → palette index (from 1: 0 is MISSING); the palette grows as blocks are read
  const paletteOf = new Map<bigint, number>();
  const palette: bigint[] = [0n];
  const indexOf = (body: bigint): number => {
    let i = paletteOf.get(body);
    if (i === undefined) {
      i = palette.length;
      palette.push(body);
      paletteOf.set(body, i);
    }
    return i;
  };

  // Pixels go into a Uint32Array first; the result's index width is known only once the palette is.
  const out = new Uint32Array(width * height);
  let covered = 0;
  for (const blk of args.blocks) {
    const u0 = blk.bu * bw, v0 = blk.bv * bh;
    const cu0 = Math.max(u0, x0), cu1 = Math.min(u0 + bw, x0 + width);
    const cv0 = Math.max(v0, y0), cv1 = Math.min(v0 + bh, y0 + height);
    if (cu0 >= cu1 || cv0 >= cv1) continue;
    covered += (cu1 - cu0) * (cv1 - cv0);
    if (blk.data === null) {
      const zero = indexOf(0n);
      for (let v = cv0; v < cv1; v++) out.fill(zero, (v - y0) * width + (cu0 - x0), (v - y0) * width + (cu1 - x0));
      continue;
    }
    const plane = decodeLabelBlockPlane(blk.data, axis, local);
    if (plane.width !== bw || plane.height !== bh) throw new RangeError(`block ${blk.bu},${blk.bv} is ${plane.width}×${plane.height} in this plane, expected ${bw}×${bh}`);
    // Each table entry mapped once.
    const lut = new Uint32Array(plane.table.length);
    for (let e = 0; e < plane.table.length; e++) {
      const label = plane.table[e]!;
      lut[e] = indexOf(args.map ? (bodyOf.get(label) ?? label) : label);
    }
    const entries = plane.entries;
    for (let v = cv0; v < cv1; v++) {
      const src = (v - v0) * bw;
      const dst = (v - y0) * width - x0;
      for (let u = cu0; u < cu1; u++) out[dst + u] = lut[entries[src + u - u0]!]!;
    }
  }

  const slice = allocSlice(
    { width, height, axis: SLICE_AXES.indexOf(axis) as SliceAxisCode, scale: args.scale, position: args.position, x0, y0, missing: 0 },
    palette.length,
  );
  for (let i = 0; i < palette.length; i++) slice.palette[i] = palette[i]!;
  slice.indices.set(out);
  setSliceMissing(slice.buffer, width * height - covered);
  return { buffer: slice.buffer };
}

export const renderSliceHandler = defineHandler(renderSliceTask, renderSlice, (r) => [r.buffer]);
