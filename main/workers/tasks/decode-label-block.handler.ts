/** Worker side of decodeLabelBlockTask (see decode-label-block.ts for what it accepts and returns). */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { decodeBlockPayload, labelBlockByteBound } from '../../formats/block-stream';
import { FormatError } from '../../formats/format-error';
import { encodeLabelBlock, labelBlockHistogram, labelBlockLabelsAt, readLabelBlockHeader } from '../../formats/label-block';
import { lz4DecodeBlockUpTo } from '../../formats/lz4';
import { defineHandler } from '../registry';
import { decodeLabelBlocksTask, decodeLabelBlockTask, type DecodeLabelBlockArgs, type DecodeLabelBlockResult, type DecodeLabelBlocksResult } from './decode-label-block';
import { packLabelCounts } from './label-counts';

const FORMAT = 'block-payload';

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** A Block header that matches the expected geometry (how a plain Block is told from LZ4 bytes). */
function looksLikeBlock(b: Uint8Array, blockSize: readonly [number, number, number]): boolean {
  try {
    const h = readLabelBlockHeader(b);
    return h.gx * 8 === blockSize[0] && h.gy * 8 === blockSize[1] && h.gz * 8 === blockSize[2];
  } catch {
    return false;
  }
}

/** The DVID Block serialization a payload carries. */
function blockBytes(args: DecodeLabelBlockArgs): Uint8Array {
  const { payload, compression, blockSize } = args;
  const voxels = blockSize[0] * blockSize[1] * blockSize[2];
  const bound = labelBlockByteBound(voxels);
  if (compression === 'lz4') return encodeLabelBlock(decodeBlockPayload(payload, 'lz4', [...blockSize]));
  if (isGzip(payload)) {
    try {
      return gunzipSync(payload, { maxOutputLength: bound });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new FormatError(FORMAT, 0, e.code === 'ERR_BUFFER_TOO_LARGE' ? `gunzipped block exceeds ${bound} bytes` : `corrupt gzip: ${e.message}`);
    }
  }
  if (looksLikeBlock(payload, blockSize)) return payload;
  // An instance stored as LZ4 passes its stored bytes through: raw LZ4 of a Block (DVID-API §4.2).
  return lz4DecodeBlockUpTo(payload, bound);
}

/** A fresh, exactly-sized ArrayBuffer (never a slice of Node's shared Buffer pool, which must not be transferred). */
function standalone(b: Uint8Array): Uint8Array {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.byteLength && !(b.buffer instanceof SharedArrayBuffer)) return b;
  return new Uint8Array(b);
}

export function decodeLabelBlockPayload(args: DecodeLabelBlockArgs): DecodeLabelBlockResult {
  const data = standalone(blockBytes(args));
  const [nx, ny, nz] = args.blockSize;
  const h = readLabelBlockHeader(data);
  if (h.gx * 8 !== nx || h.gy * 8 !== ny || h.gz * 8 !== nz) {
    throw new FormatError(FORMAT, 0, `payload is a ${h.gx * 8}×${h.gy * 8}×${h.gz * 8} block, expected ${nx}×${ny}×${nz}`);
  }
  // The histogram validates the whole block; the labels under elements are read from the encoding.
  const hist = labelBlockHistogram(data);
  const labels = packLabelCounts(hist.labels, hist.counts);
  const hash = new Uint8Array(createHash('sha256').update(data).digest());
  const out: DecodeLabelBlockResult = { data, hash, gx: nx / 8, gy: ny / 8, gz: nz / 8, labels, labelCount: labels.length / 12 };
  if (args.points) out.labelsAt = labelBlockLabelsAt(data, args.points);
  return out;
}

function buffersOf(r: DecodeLabelBlockResult): ArrayBuffer[] {
  const out = [r.data.buffer as ArrayBuffer, r.labels.buffer as ArrayBuffer, r.hash.buffer as ArrayBuffer];
  if (r.labelsAt) out.push(r.labelsAt.buffer as ArrayBuffer);
  return out;
}

export const decodeLabelBlockHandler = defineHandler(decodeLabelBlockTask, decodeLabelBlockPayload, buffersOf);

export const decodeLabelBlocksHandler = defineHandler(
  decodeLabelBlocksTask,
  ({ payloads, compression, blockSize, points }): DecodeLabelBlocksResult =>
    payloads.map((payload, i) => {
      try {
        return decodeLabelBlockPayload({ payload, compression, blockSize, points: points?.[i] ?? null });
      } catch (err) {
        if (err instanceof FormatError) return { error: { format: err.format, offset: err.offset, reason: err.reason } };
        throw err;
      }
    }),
  (results) => results.flatMap((r) => ('error' in r ? [] : buffersOf(r))),
);
