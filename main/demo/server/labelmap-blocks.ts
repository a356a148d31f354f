/**
 * Voxel transfer endpoints of labelmap: GET /blocks/{size}/{offset}, GET /specificblocks and
 * GET /raw|isotropic/0_1_2/{size}/{offset} (labelmap/blocks.go, handlers.go).
 *
 * Payloads, as transcodeBlock makes them: `blocks` = the stored gzip bytes passed through when no
 * mapping applies (supervoxels=true, or an instance without a mapping), otherwise the stored Block
 * with its label table overwritten by the mapping (duplicates kept, as modifyBlockMapping does) and
 * re-gzipped; `lz4` (the /blocks default) = raw LZ4 of the uint64 voxels; `gzip` = gzip of them;
 * `uncompressed` = the voxels. Records go out in a seeded shuffled order (DVID writes them in
 * completion order), one record per write.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeBlockRecord } from '../../formats/block-stream';
import { mapLabelBlockTable, type LabelBlockPalette } from '../../formats/label-block';
import { lz4EncodeBlock } from '../../formats/lz4';
import { RoiBlockSet } from '../../formats/roi-spans';
import { BLOCK_SIZE, ROI_BLOCK_SIZE } from '../dataset/presets';
import { hashString, Rng } from '../dataset/prng';
import type { InstanceRequest, ServerContext } from './context';
import { atoi, badRequest } from './errors';
import { hasScale, pointString, scaleOf, subvolume } from './geometry-args';
import type { LabelmapView } from './labelmap-index';
import type { Reply } from './reply';

const B = BLOCK_SIZE;
const COMPRESSIONS = ['', 'lz4', 'gzip', 'blocks', 'uncompressed'];
const COMPRESSION_ERROR = 'compression must be "lz4" (default), "gzip", "blocks" or "uncompressed"';

/** The label → body function of version v, or null when no mapping applies. */
export function bodyMapper(ctx: ServerContext, view: LabelmapView, v: number, supervoxels: boolean): ((label: bigint) => bigint) | null {
  if (supervoxels || !view.mapped) return null;
  const mapping = view.mappings[v]!;
  return (label) => {
    const i = view.indexOf.get(label);
    return i === undefined ? label : mapping[i]!;
  };
}

/** uint64 little-endian voxels of a decoded block, labels passed through `map`. */
export function expandVoxels(pal: LabelBlockPalette, map: ((l: bigint) => bigint) | null): Uint8Array {
  const n = pal.indices.length;
  const lo = new Uint32Array(pal.palette.length), hi = new Uint32Array(pal.palette.length);
  pal.palette.forEach((label, k) => {
    const v = map ? map(label) : label;
    lo[k] = Number(v & 0xffffffffn);
    hi[k] = Number(v >> 32n);
  });
  const out = new Uint8Array(n * 8);
  const u32 = new Uint32Array(out.buffer);
  const idx = pal.indices;
  for (let i = 0; i < n; i++) {
    const k = idx[i]!;
    u32[2 * i] = lo[k]!;
    u32[2 * i + 1] = hi[k]!;
  }
  return out;
}

function payload(ctx: ServerContext, view: LabelmapView, scale: number, i: number, compression: string, map: ((l: bigint) => bigint) | null): Uint8Array {
  const stored = view.store.scales[scale]!.payload(i);
  if (compression === 'blocks') return map ? gzipSync(mapLabelBlockTable(gunzipSync(stored), map)) : stored;
  const raw = expandVoxels(ctx.decoded.get(view.store, scale, i), map);
  if (compression === 'gzip') return gzipSync(raw);
  if (compression === 'uncompressed') return raw;
  return lz4EncodeBlock(raw);
}

function shuffled<T>(ctx: ServerContext, req: InstanceRequest, items: T[]): T[] {
  return new Rng(hashString(`${req.path}?${req.query.toString()}`, ctx.seed)).shuffle(items);
}

function* records(ctx: ServerContext, view: LabelmapView, scale: number, list: number[], compression: string, map: ((l: bigint) => bigint) | null): Generator<Uint8Array> {
  const coords = view.store.scales[scale]!.coords;
  for (const i of list) yield encodeBlockRecord(coords[3 * i]!, coords[3 * i + 1]!, coords[3 * i + 2]!, payload(ctx, view, scale, i, compression, map));
}

export function getBlocks(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  const scale = scaleOf(req.path, req.query);
  const compression = req.query.get('compression') ?? '';
  const supervoxels = req.query.get('supervoxels') === 'true';
  if (req.method !== 'GET') throw badRequest(req.path, 'the demo server does not accept voxel writes (POST /blocks)');
  if (req.parts.length < 6) throw badRequest(req.path, 'must specify size and offset with GET /blocks endpoint');
  const { offset, size } = subvolume(req.path, req.parts[4]!, req.parts[5]!);
  const end = offset.map((o, k) => o + size[k]! - 1);
  if (offset.some((o) => o % B !== 0) || size.some((s) => s % B !== 0)) {
    throw badRequest(req.path, `cannot use labels via 'blocks' endpoint in non-block aligned geometry ${pointString(offset)} -> ${pointString(end)}`);
  }
  if (!COMPRESSIONS.includes(compression)) throw badRequest(req.path, COMPRESSION_ERROR);
  const list: number[] = [];
  if (hasScale(scale) && size.every((s) => s > 0)) {
    const s = view.store.scales[scale]!;
    const lo = offset.map((o) => o / B), hi = end.map((e) => Math.floor(e / B));
    for (let i = 0; i < s.count; i++) {
      const x = s.coords[3 * i]!, y = s.coords[3 * i + 1]!, z = s.coords[3 * i + 2]!;
      if (x >= lo[0]! && x <= hi[0]! && y >= lo[1]! && y <= hi[1]! && z >= lo[2]! && z <= hi[2]!) list.push(i);
    }
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'application/octet-stream' },
    body: records(ctx, view, scale, shuffled(ctx, req, list), compression, bodyMapper(ctx, view, req.v, supervoxels)),
  };
}

export function getSpecificBlocks(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  const scale = scaleOf(req.path, req.query);
  if (req.method !== 'GET') throw badRequest(req.path, `DVID does not accept the ${req.method.toLowerCase()} action on the 'specificblocks' endpoint`);
  let compression = req.query.get('compression') ?? '';
  if (compression === '') compression = 'blocks';
  if (!COMPRESSIONS.includes(compression)) throw badRequest(req.path, COMPRESSION_ERROR);
  const blockString = req.query.get('blocks') ?? '';
  const headers = { 'Content-Type': 'application/octet-stream' };
  if (blockString === '') return { status: 200, headers, body: [] };
  const parts = blockString.split(',');
  if (parts.length % 3 !== 0) throw badRequest(req.path, 'block query string should be three coordinates per block');
  const list: number[] = [];
  for (let k = 0; k < parts.length; k += 3) {
    let c: number[];
    try {
      c = [atoi(parts[k]!), atoi(parts[k + 1]!), atoi(parts[k + 2]!)];
    } catch (err) {
      throw badRequest(req.path, (err as Error).message);
    }
    const i = hasScale(scale) ? view.store.scales[scale]!.find(c[0]!, c[1]!, c[2]!) : -1;
    if (i >= 0) list.push(i);
  }
  return { status: 200, headers, body: records(ctx, view, scale, shuffled(ctx, req, list), compression, bodyMapper(ctx, view, req.v, req.query.get('supervoxels') === 'true')) };
}

const MAX_RAW_VOXELS = 64 * 1024 * 1024;

/** GET /raw/0_1_2/{size}/{offset} (and /isotropic): uint64 LE voxels, ZYX, x fastest. */
export function getRaw(ctx: ServerContext, req: InstanceRequest, view: LabelmapView): Reply {
  if (req.parts.length < 7) throw badRequest(req.path, `'${req.keyword}' must be followed by shape/size/offset`);
  const shape = req.parts[4]!;
  if (!/^\d+(_\d+)*$/.test(shape) && !['xy', 'xz', 'yz'].includes(shape)) throw badRequest(req.path, `Bad data shape given '${shape}'`);
  const dims = shape.includes('_') ? shape.split('_').length : 2;
  const scale = scaleOf(req.path, req.query);
  if (dims !== 3) throw badRequest(req.path, 'the demo server serves 3-D subvolumes only (0_1_2); 2-D slices are not implemented');
  if (req.method !== 'GET') throw badRequest(req.path, 'the demo server does not accept voxel writes (POST /raw)');
  const compression = req.query.get('compression') ?? '';
  if (!['', 'lz4', 'gzip'].includes(compression)) throw badRequest(req.path, `the demo server does not implement compression=${compression} for /raw`);
  const { offset, size } = subvolume(req.path, req.parts[5]!, req.parts[6]!);
  if (size.some((s) => s <= 0)) throw badRequest(req.path, `bad size ${pointString(size)}`);
  const voxels = size[0] * size[1] * size[2];
  if (voxels > MAX_RAW_VOXELS) throw badRequest(req.path, `requested ${voxels} voxels; the demo server answers at most ${MAX_RAW_VOXELS} per /raw request`);
  const roiName = req.query.get('roi');
  let roi: RoiBlockSet | null = null;
  if (roiName) {
    const def = ctx.ds.rois.find((r) => r.name === roiName);
    if (!def) throw badRequest(req.path, `unable to find ROI ${JSON.stringify(roiName)}`);
    roi = new RoiBlockSet(def.spans, ROI_BLOCK_SIZE >> scale || 1);
  }
  const out = new Uint8Array(voxels * 8);
  const o32 = new Uint32Array(out.buffer);
  const map = bodyMapper(ctx, view, req.v, req.query.get('supervoxels') === 'true');
  if (hasScale(scale)) {
    const s = view.store.scales[scale]!;
    const lo = offset.map((o) => Math.floor(o / B)), hi = offset.map((o, k) => Math.floor((o + size[k]! - 1) / B));
    for (let bz = lo[2]!; bz <= hi[2]!; bz++)
      for (let by = lo[1]!; by <= hi[1]!; by++)
        for (let bx = lo[0]!; bx <= hi[0]!; bx++) {
          const i = s.find(bx, by, bz);
          if (i < 0) continue;
          const pal = ctx.decoded.get(view.store, scale, i);
          const laneLo = new Uint32Array(pal.palette.length), laneHi = new Uint32Array(pal.palette.length);
          pal.palette.forEach((l, k) => {
            const v = map ? map(l) : l;
            laneLo[k] = Number(v & 0xffffffffn);
            laneHi[k] = Number(v >> 32n);
          });
          const x0 = Math.max(offset[0], bx * B), x1 = Math.min(offset[0] + size[0], bx * B + B);
          const y0 = Math.max(offset[1], by * B), y1 = Math.min(offset[1] + size[1], by * B + B);
          const z0 = Math.max(offset[2], bz * B), z1 = Math.min(offset[2] + size[2], bz * B + B);
          for (let z = z0; z < z1; z++)
            for (let y = y0; y < y1; y++) {
              const src = ((z - bz * B) * B + (y - by * B)) * B - bx * B;
              const dst = ((z - offset[2]) * size[1] + (y - offset[1])) * size[0] - offset[0];
              for (let x = x0; x < x1; x++) {
                if (roi && !roi.containsVoxel(x, y, z)) continue;
                const k = pal.indices[src + x]!;
                o32[2 * (dst + x)] = laneLo[k]!;
                o32[2 * (dst + x) + 1] = laneHi[k]!;
              }
            }
        }
  }
  const body = compression === 'lz4' ? lz4EncodeBlock(out) : compression === 'gzip' ? gzipSync(out) : out;
  return { status: 200, headers: { 'Content-Type': 'application/octet-stream' }, body };
}
