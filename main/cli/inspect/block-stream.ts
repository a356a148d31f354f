/** `inspect` for a saved `/blocks` or `/specificblocks` response body (DVID-API.md §4.2). */
import { labelBlockByteBound } from '../../formats/block-payload';
import { parseBlockStream, type BlockRecord } from '../../formats/block-stream';
import { FormatError } from '../../formats/format-error';
import { gunzipBounded, isGzip } from '../../formats/gzip';
import { DEFAULT_MAX_BLOCK_VOXELS, parseLabelBlockLayout } from '../../formats/label-block';
import type { Inspector } from './inspector';

/** "64x64x64" when the bytes are a valid DVID Block, else undefined. */
function blockShape(b: Uint8Array): string | undefined {
  try {
    const l = parseLabelBlockLayout(b);
    return `${l.nx}x${l.ny}x${l.nz}`;
  } catch (e) {
    if (e instanceof FormatError) return undefined;
    throw e;
  }
}

/** What a payload is, judged from its bytes (the stream itself does not say which compression). */
function payloadKind(p: Uint8Array): { kind: string; shape?: string } {
  if (isGzip(p)) {
    let inner: Uint8Array;
    try {
      inner = gunzipBounded(p, labelBlockByteBound(DEFAULT_MAX_BLOCK_VOXELS));
    } catch (e) {
      if (e instanceof FormatError) return { kind: 'corrupt gzip' };
      throw e;
    }
    const shape = blockShape(inner);
    return shape ? { kind: 'gzip of a DVID block (compression=blocks)', shape } : { kind: 'gzip of raw voxels (compression=gzip)' };
  }
  const shape = blockShape(p);
  return shape ? { kind: 'plain DVID block', shape } : { kind: 'raw LZ4 or uncompressed voxels (compression=lz4|uncompressed)' };
}

/** True when the bytes are a whole number of well-formed records (at least one). */
function wellFramed(bytes: Uint8Array): boolean {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  let records = 0;
  while (p + 16 <= bytes.length) {
    const n = dv.getUint32(p + 12, true);
    if (n > bytes.length - p - 16) return false;
    p += 16 + n;
    records++;
  }
  return records > 0 && p === bytes.length;
}

export const blockStreamInspector: Inspector = {
  name: 'stream',
  extensions: ['.blocks'],

  sniff(bytes) {
    return wellFramed(bytes);
  },

  async inspect(bytes) {
    const records: BlockRecord[] = parseBlockStream(bytes);
    const coords = records.map((r) => [r.bx, r.by, r.bz] as [number, number, number]);
    const kinds: Record<string, number> = {};
    const shapes: Record<string, number> = {};
    for (const r of records) {
      const { kind, shape } = payloadKind(r.payload);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
      if (shape) shapes[shape] = (shapes[shape] ?? 0) + 1;
    }
    const seen = new Set(coords.map((c) => c.join(',')));
    const sizes = records.map((r) => r.payload.length);
    const axis = (i: number, f: (...v: number[]) => number) => (coords.length ? f(...coords.map((c) => c[i]!)) : null);
    return {
      bytes: bytes.length,
      records: records.length,
      distinctCoordinates: seen.size,
      coordinates: coords,
      bounds: coords.length ? { min: [0, 1, 2].map((i) => axis(i, Math.min)), max: [0, 1, 2].map((i) => axis(i, Math.max)) } : null,
      payloadBytes: { total: sizes.reduce((a, b) => a + b, 0), min: sizes.length ? Math.min(...sizes) : 0, max: sizes.length ? Math.max(...sizes) : 0 },
      payloads: kinds,
      ...(Object.keys(shapes).length ? { blockShapes: shapes } : {}),
    };
  },
};
