/**
 * Sparse volumes (labelmap/labelidx.go): GET /sparsevol/{label} (format=rles, the default, or
 * srles; compression=lz4|gzip for rles), HEAD /sparsevol/{label} (200 / 204) and
 * GET /sparsevol-coarse/{label} (block-unit runs, sorted z, y, x).
 *
 * Runs come block by block (blocks in z, y, x order); a run reaching a block's +x face is held and
 * joined with the run continuing in the next block of the row, as writeLegacyRLE merges them.
 */
import { gzipSync } from 'node:zlib';
import { encodeSparsevol, type SparsevolRun } from '../../formats/sparsevol';
import { lz4EncodeBlock } from '../../formats/lz4';
import { BLOCK_SIZE } from '../dataset/presets';
import type { InstanceRequest, ServerContext } from './context';
import { atoi, badRequest, emptyNotFound, parseUint } from './errors';
import { hasScale, scaleOf } from './geometry-args';
import type { LabelmapView } from './labelmap-index';
import { binaryReply, type Reply } from './reply';

const B = BLOCK_SIZE;

function labelParam(req: InstanceRequest, what: string): bigint {
  if (req.parts.length < 5) throw badRequest(req.path, what);
  let label: bigint;
  try {
    label = parseUint(req.parts[4]!);
  } catch (e) {
    throw badRequest(req.path, (e as Error).message);
  }
  if (label === 0n) throw badRequest(req.path, 'Label 0 is protected background value and cannot be used as sparse volume.\n');
  return label;
}

/** Label indices of `label` as a body, or as one supervoxel. */
function indicesOf(view: LabelmapView, label: bigint, v: number, supervoxels: boolean): number[] {
  if (!supervoxels) return view.labelsOfBody(label, v);
  const i = view.indexOf.get(label);
  return i !== undefined && view.labelVoxels[i]! > 0 ? [i] : [];
}

interface Bounds {
  min: [number, number, number];
  max: [number, number, number];
}

/** dvid.OptionalBoundsFromQueryString: minx, miny, minz, maxx, maxy, maxz (inclusive). */
function boundsOf(req: InstanceRequest): Bounds {
  const min: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  const max: [number, number, number] = [Infinity, Infinity, Infinity];
  ['x', 'y', 'z'].forEach((a, k) => {
    for (const [key, arr] of [
      [`min${a}`, min],
      [`max${a}`, max],
    ] as const) {
      const t = req.query.get(key);
      if (t === null || t === '') continue;
      try {
        arr[k] = atoi(t);
      } catch (e) {
        throw badRequest(req.path, `error parsing bounds from query string: ${(e as Error).message}`);
      }
    }
  });
  return { min, max };
}

/** Runs of the label's voxels at `scale`, clipped to the bounds when `exact`. */
function runsOf(ctx: ServerContext, view: LabelmapView, indices: number[], scale: number, b: Bounds, exact: boolean): SparsevolRun[] {
  if (!hasScale(scale)) return [];
  const labels = new Set(indices.map((i) => view.store.labels[i]!));
  // Blocks at this scale: the scale-0 blocks of the label, shifted down.
  const keys = new Map<string, [number, number, number]>();
  for (const blk of view.blocksOf(indices)) {
    const c = view.blockCoord(blk).map((x) => x >> scale) as [number, number, number];
    keys.set(c.join(','), c);
  }
  const blocks = [...keys.values()].toSorted((p, q) => p[2] - q[2] || p[1] - q[1] || p[0] - q[0]);
  const s = view.store.scales[scale]!;
  const out: SparsevolRun[] = [];
  let held = new Map<string, SparsevolRun>();
  let heldRow = '';
  let prevX = -2;
  for (const [bx, by, bz] of blocks) {
    const rowKey = `${by},${bz}`;
    const row = new Map<string, SparsevolRun>();
    const i = s.find(bx, by, bz);
    const adjacent = rowKey === heldRow && bx === prevX + 1;
    prevX = bx;
    if (!adjacent) {
      for (const r of held.values()) out.push(r);
      held = new Map();
      heldRow = rowKey;
    }
    const fromHeld = held;
    held = new Map();
    if (i >= 0) {
      const pal = ctx.decoded.get(view.store, scale, i);
      const hit = new Uint8Array(pal.palette.length);
      pal.palette.forEach((l, k) => (hit[k] = labels.has(l) ? 1 : 0));
      // Within this block, x runs stop at the bounds when exact (and at the block's face anyway).
      const xEnd = exact ? Math.max(0, Math.min(B, b.max[0] - bx * B + 1)) : B;
      const xStart = exact ? Math.max(0, Math.min(B, b.min[0] - bx * B)) : 0;
      for (let z = 0; z < B; z++) {
        const gz = bz * B + z;
        if (exact && (gz < b.min[2] || gz > b.max[2])) continue;
        for (let y = 0; y < B; y++) {
          const gy = by * B + y;
          if (exact && (gy < b.min[1] || gy > b.max[1])) continue;
          const base = (z * B + y) * B;
          let x = xStart;
          while (x < xEnd) {
            if (!hit[pal.indices[base + x]!]) {
              x++;
              continue;
            }
            const x0 = x;
            while (x < xEnd && hit[pal.indices[base + x]!]) x++;
            const key = `${gy},${gz}`;
            const prev = x0 === 0 ? fromHeld.get(key) : undefined;
            const run: SparsevolRun = prev ? { ...prev, length: prev.length + (x - x0) } : { x: bx * B + x0, y: gy, z: gz, length: x - x0 };
            if (prev) fromHeld.delete(key);
            if (x === B) held.set(key, run);
            else row.set(`${key},${x0}`, run);
          }
        }
      }
    }
    for (const r of fromHeld.values()) out.push(r);
    for (const r of row.values()) out.push(r);
  }
  for (const r of held.values()) out.push(r);
  return out;
}

export function getSparsevol(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.parts.length < 5) throw badRequest(req.path, "ERROR: DVID requires label ID to follow 'sparsevol' command");
  const scale = scaleOf(req.path, req.query);
  const supervoxels = req.query.get('supervoxels') === 'true';
  const label = labelParam(req, "ERROR: DVID requires label ID to follow 'sparsevol' command");
  const bounds = boundsOf(req);
  const compression = req.query.get('compression') ?? '';
  const exact = req.query.get('exact') !== 'false';
  const indices = indicesOf(view, label, req.v, supervoxels);
  if (req.method === 'HEAD') {
    const found = indices.length > 0 && runsOf(ctx, view, indices, scale, bounds, false).length > 0;
    return { status: found ? 200 : 204, headers: { 'Content-Type': 'text/html' }, body: null };
  }
  if (req.method === 'POST') throw badRequest(req.path, 'POST of sparsevol not currently implemented\n');
  if (req.method !== 'GET') throw badRequest(req.path, `Unable to handle HTTP action ${req.method} on sparsevol endpoint`);
  if (indices.length === 0) throw emptyNotFound();
  const runs = runsOf(ctx, view, indices, scale, bounds, exact);
  if (runs.length === 0) {
    const unbounded = bounds.min.every((m) => m === -Infinity) && bounds.max.every((m) => m === Infinity);
    if (!unbounded) throw emptyNotFound();
    return binaryReply(new Uint8Array(0));
  }
  const format = req.query.get('format') ?? 'rles';
  if (format === 'blocks') throw badRequest(req.path, 'the demo server does not implement sparsevol format=blocks');
  const full = encodeSparsevol(runs);
  if (format === 'srles') return binaryReply(full.subarray(12));
  const body = compression === 'lz4' ? lz4EncodeBlock(full) : compression === 'gzip' ? gzipSync(full) : full;
  return binaryReply(body);
}

export function getSparsevolCoarse(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  const label = labelParam(req, "DVID requires label ID to follow 'sparsevol-coarse' command");
  const supervoxels = req.query.get('supervoxels') === 'true';
  const bounds = boundsOf(req);
  const indices = indicesOf(view, label, req.v, supervoxels);
  const blocks = view
    .blocksOf(indices)
    .map((b) => view.blockCoord(b))
    .filter(([x, y, z]) => x * B + B - 1 >= bounds.min[0] && x * B <= bounds.max[0] && y * B + B - 1 >= bounds.min[1] && y * B <= bounds.max[1] && z * B + B - 1 >= bounds.min[2] && z * B <= bounds.max[2])
    .toSorted((p, q) => p[2] - q[2] || p[1] - q[1] || p[0] - q[0]);
  if (blocks.length === 0) throw emptyNotFound();
  const runs: SparsevolRun[] = [];
  for (const [x, y, z] of blocks) {
    const last = runs[runs.length - 1];
    if (last && last.y === y && last.z === z && last.x + last.length === x) last.length++;
    else runs.push({ x, y, z, length: 1 });
  }
  return binaryReply(encodeSparsevol(runs));
}
