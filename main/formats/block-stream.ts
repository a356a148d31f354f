/**
 * `/blocks` and `/specificblocks` response bodies (DVID `labelmap/blocks.go` writeBlock, DVID-API.md
 * §4.2): a concatenation of records, all little-endian,
 * ```
 * int32   bx, by, bz   block coordinate (not voxels) in the requested scale's grid; may be negative
 * uint32  nbytes
 * byte[nbytes]  payload
 * ```
 * in completion order (arbitrary), missing blocks simply absent. After a 200 DVID can append its error
 * text ("<message> (<URL path>).\n") where the next record would start (§1.3).
 */
import { FormatError } from './format-error';
import { decodeBlockPayloadAs, type BlockCompression, type BlockPayloadOptions } from './block-payload';
import type { LabelVolume } from './label-block-types';

const FORMAT = 'block-stream';
const HEADER = 16;

/** 32 MiB: a 128³ uint64 block with LZ4's worst-case overhead, 16× a Hemibrain 64³ raw block. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;
/** Server error text longer than this is not an error message. */
const MAX_ERROR_TEXT = 64 * 1024;

export interface BlockRecord {
  bx: number;
  by: number;
  bz: number;
  payload: Uint8Array;
}

/** A stream that ended in DVID's error text after a 200: `serverMessage` holds that text. */
export class BlockStreamServerError extends FormatError {
  constructor(
    offset: number,
    readonly serverMessage: string,
  ) {
    super(FORMAT, offset, `stream ended in a server error after a 200: ${JSON.stringify(serverMessage)}`);
    this.name = 'BlockStreamServerError';
  }
}

function isTextByte(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09;
}

function allText(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (!isTextByte(bytes[i]!)) return false;
  return true;
}

/**
 * Incremental parser: feed chunks as they arrive; records may be split anywhere, even inside the
 * 16-byte header. Each record's payload is its own copy (chunks can be reused by the caller).
 */
export class BlockStreamParser {
  private readonly maxPayload: number;
  private readonly header = new Uint8Array(HEADER);
  private headerFill = 0;
  private payload: Uint8Array | null = null;
  private payloadFill = 0;
  private bx = 0;
  private by = 0;
  private bz = 0;
  /** start offset of the record in progress */
  private recordStart = 0;
  /** set once the stream turned into server error text */
  private text: number[] | null = null;
  private consumed = 0;
  private finished = false;
  /** A framing error found after some records of the same chunk: those are returned first, this is thrown next. */
  private pendingError: FormatError | null = null;

  constructor(opts: { maxPayloadBytes?: number } = {}) {
    this.maxPayload = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  get bytesConsumed(): number {
    return this.consumed;
  }

  push(chunk: Uint8Array): BlockRecord[] {
    if (this.finished) throw new Error('BlockStreamParser: push after finish');
    if (this.pendingError) throw this.pendingError;
    const records: BlockRecord[] = [];
    try {
      this.parse(chunk, records);
    } catch (err) {
      // Records completed before the bad bytes are whole and usable: hand them out, fail on the next call.
      if (records.length > 0 && err instanceof FormatError) {
        this.pendingError = err;
        return records;
      }
      throw err;
    }
    return records;
  }

  private parse(chunk: Uint8Array, records: BlockRecord[]): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.text) {
        this.takeText(chunk.subarray(i));
        break;
      }
      if (this.payload === null) {
        const take = Math.min(HEADER - this.headerFill, n - i);
        this.header.set(chunk.subarray(i, i + take), this.headerFill);
        this.headerFill += take;
        i += take;
        if (this.headerFill < HEADER) break;
        if (!this.startRecord()) continue; // became error text
        if (this.payload!.length > 0) continue;
      } else {
        const p = this.payload;
        const take = Math.min(p.length - this.payloadFill, n - i);
        p.set(chunk.subarray(i, i + take), this.payloadFill);
        this.payloadFill += take;
        i += take;
        if (this.payloadFill < p.length) break;
      }
      records.push({ bx: this.bx, by: this.by, bz: this.bz, payload: this.payload! });
      this.payload = null;
      this.payloadFill = 0;
      this.headerFill = 0;
      this.recordStart = this.consumed + i;
    }
    this.consumed += n;
  }

  /** Parses a complete header. Returns false when the bytes are the server's error text instead. */
  private startRecord(): boolean {
    const h = this.header;
    const v = new DataView(h.buffer);
    const nbytes = v.getUint32(12, true);
    if (nbytes > this.maxPayload) {
      // Text where a header belongs is DVID's error message (a text header reads as nbytes ≥ 0x20202020).
      if (allText(h)) {
        this.text = Array.from(h);
        return false;
      }
      throw new FormatError(FORMAT, this.recordStart + 12, `record payload of ${nbytes} bytes exceeds the bound of ${this.maxPayload}`);
    }
    this.bx = v.getInt32(0, true);
    this.by = v.getInt32(4, true);
    this.bz = v.getInt32(8, true);
    this.payload = new Uint8Array(nbytes);
    this.payloadFill = 0;
    return true;
  }

  private takeText(bytes: Uint8Array): void {
    const text = this.text!;
    for (let j = 0; j < bytes.length; j++) {
      const c = bytes[j]!;
      if (!isTextByte(c)) {
        throw new FormatError(FORMAT, this.recordStart + text.length, `record header at byte ${this.recordStart} is neither a record nor error text`);
      }
      if (text.length >= MAX_ERROR_TEXT) throw new FormatError(FORMAT, this.recordStart + text.length, 'trailing text exceeds 64 KiB');
      text.push(c);
    }
  }

  /** End of stream: throws if it ended mid-record or in server error text. */
  finish(): void {
    this.finished = true;
    if (this.pendingError) throw this.pendingError;
    if (this.text) throw new BlockStreamServerError(this.recordStart, new TextDecoder().decode(Uint8Array.from(this.text)).trimEnd());
    if (this.payload === null && this.headerFill === 0) return;
    // A short error text can end the stream before a whole header: it is still the server's message.
    const partial =
      this.payload === null
        ? this.header.subarray(0, this.headerFill)
        : concat(this.header, this.payload.subarray(0, this.payloadFill));
    if (allText(partial)) throw new BlockStreamServerError(this.recordStart, new TextDecoder().decode(partial).trimEnd());
    if (this.payload === null) {
      throw new FormatError(FORMAT, this.consumed, `stream ended inside a record header (${this.headerFill} of 16 bytes)`);
    }
    throw new FormatError(
      FORMAT,
      this.consumed,
      `stream ended inside block (${this.bx},${this.by},${this.bz}): payload has ${this.payloadFill} of ${this.payload.length} bytes`,
    );
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Parses a whole body at once (for files and tests). */
export function parseBlockStream(bytes: Uint8Array, opts: { maxPayloadBytes?: number } = {}): BlockRecord[] {
  const parser = new BlockStreamParser(opts);
  const records = parser.push(bytes);
  parser.finish();
  return records;
}

/** One record: header + payload. */
export function encodeBlockRecord(bx: number, by: number, bz: number, payload: Uint8Array): Uint8Array {
  for (const c of [bx, by, bz]) {
    if (!Number.isInteger(c) || c < -(2 ** 31) || c >= 2 ** 31) throw new RangeError(`encodeBlockRecord: block coordinate ${c} is not an int32`);
  }
  const out = new Uint8Array(HEADER + payload.length);
  const v = new DataView(out.buffer);
  v.setInt32(0, bx, true);
  v.setInt32(4, by, true);
  v.setInt32(8, bz, true);
  v.setUint32(12, payload.length, true);
  out.set(payload, HEADER);
  return out;
}

export type { BlockCompression, BlockPayloadOptions } from './block-payload';
export { labelBlockByteBound } from './block-payload';

/** Decode one record's payload to a LabelVolume (blocks: gunzip when it starts with 1f 8b).
 *  See block-payload.ts for each compression; `maxVoxels` bounds blockSize (default 256³), `into`
 *  reuses an output array. */
export function decodeBlockPayload(
  payload: Uint8Array,
  compression: BlockCompression,
  blockSize: [number, number, number],
  opts: BlockPayloadOptions = {},
): LabelVolume {
  return decodeBlockPayloadAs(payload, compression, blockSize, opts);
}
