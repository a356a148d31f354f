/**
 * Incremental parsers for labelmap `GET /mappings` (DVID-API.md §4.1, labelmap/vcache.go writeMappings).
 * Only non-identity mappings are sent; a supervoxel that is absent maps to itself, a body of 0 means the
 * supervoxel was retired by a split.
 *
 *   text   (default)        "<sv> <body>\n" per mapping, decimal uint64
 *   binary (format=binary)  uint64 sv, uint64 body, little-endian, 16 bytes per mapping
 *
 * Records come out in batches (two parallel BigUint64Arrays per pushed chunk): hemibrain-sized mappings
 * have tens of millions of lines, too many for one object each.
 *
 * The stream is written after the 200, so a failure shows up as DVID's error text at the end (§1.3).
 * In text form that is a line that is not two numbers: the parser stops there with a FormatError whose
 * offset is where the text starts. In binary form text bytes would read as plausible pairs, so the last
 * HOLD_BYTES are held back until the end of the stream, where an error text (which DVID writes after
 * whole pairs, so at a 16-byte boundary) is recognised instead of being delivered as mappings.
 */
import { FormatError } from '../formats/format-error';
import { trailingServerError } from './errors';

export interface MappingBatch {
  supervoxels: BigUint64Array;
  bodies: BigUint64Array;
}

const FORMAT = 'mappings';
const MAX_LINE = 64; // two 20-digit numbers, a space and a newline fit easily

export class TextMappingsParser {
  private failed: FormatError | null = null;
  private carry = '';
  private offset = 0; // absolute offset of the first byte of `carry`
  private readonly decoder = new TextDecoder('latin1');

  /** Pairs of the complete lines; a bad line ends the batch there and its error comes with the next call. */
  push(chunk: Uint8Array): MappingBatch[] {
    if (this.failed) throw this.failed;
    const text = this.carry + this.decoder.decode(chunk);
    let lineStart = 0;
    const svs: bigint[] = [];
    const bodies: bigint[] = [];
    try {
      for (;;) {
        const nl = text.indexOf('\n', lineStart);
        if (nl < 0) break;
        this.parseLine(text, lineStart, nl, svs, bodies);
        lineStart = nl + 1;
      }
      if (text.length - lineStart > MAX_LINE) throw new FormatError(FORMAT, this.offset + lineStart, 'line too long for a mapping');
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      this.failed = err;
    }
    this.carry = text.slice(lineStart);
    this.offset += lineStart;
    return svs.length ? [{ supervoxels: BigUint64Array.from(svs), bodies: BigUint64Array.from(bodies) }] : [];
  }

  finish(): void {
    if (this.failed) throw this.failed;
    if (this.carry.length) throw new FormatError(FORMAT, this.offset, 'the stream ended inside a line');
  }

  private parseLine(text: string, start: number, end: number, svs: bigint[], bodies: bigint[]): void {
    const line = text.slice(start, end);
    const m = /^(\d{1,20}) (\d{1,20})\r?$/.exec(line);
    const sv = m ? BigInt(m[1]!) : -1n;
    const body = m ? BigInt(m[2]!) : -1n;
    if (!m || sv > 0xffff_ffff_ffff_ffffn || body > 0xffff_ffff_ffff_ffffn) {
      throw new FormatError(FORMAT, this.offset + start, `not a "<sv> <body>" line: ${JSON.stringify(line.slice(0, 60))}`);
    }
    svs.push(sv);
    bodies.push(body);
  }
}

const PAIR = 16;
const HOLD_BYTES = 4096;

export class BinaryMappingsParser {
  private held = new Uint8Array(0);
  private offset = 0; // absolute offset of held[0]

  push(chunk: Uint8Array): MappingBatch[] {
    const all = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    // Emit whole pairs, keeping at least HOLD_BYTES back for the end-of-stream check.
    const emit = Math.max(0, Math.floor((all.length - HOLD_BYTES) / PAIR)) * PAIR;
    const batch = emit ? [pairs(all.subarray(0, emit))] : [];
    this.held = all.slice(emit);
    this.offset += emit;
    return batch;
  }

  private pending: FormatError | null = null;

  /** End of stream, part 1: the held pairs that are real mappings (delivered even if `finish` then throws). */
  flush(): MappingBatch[] {
    const held = this.held;
    this.held = new Uint8Array(0);
    const text = trailingServerError(held);
    if (text) {
      // DVID writes whole pairs before its text, so the text starts at a pair boundary; printable bytes
      // of the last pair (rare: ids have zero high bytes) stay a pair because the start is rounded up.
      const start = Math.ceil((held.length - trailingLength(held)) / PAIR) * PAIR;
      const err = new FormatError(FORMAT, this.offset + start, 'the stream ended in an error text');
      (err as FormatError & { serverMessage?: string }).serverMessage = text;
      this.pending = err;
      return start ? [pairs(held.subarray(0, start))] : [];
    }
    const whole = held.length - (held.length % PAIR);
    if (whole !== held.length) {
      this.pending = new FormatError(FORMAT, this.offset + whole, `the stream ended mid-pair (${held.length % PAIR} stray bytes)`);
    }
    return whole ? [pairs(held.subarray(0, whole))] : [];
  }

  /** End of stream, part 2: throws what `flush` found. */
  finish(): void {
    if (this.pending) throw this.pending;
  }
}

/** Length of the printable run (plus trailing newlines) at the end of `b`. */
function trailingLength(b: Uint8Array): number {
  let i = b.length;
  while (i > 0 && (b[i - 1] === 0x0a || b[i - 1] === 0x0d)) i--;
  while (i > 0 && ((b[i - 1]! >= 0x20 && b[i - 1]! <= 0x7e) || b[i - 1] === 0x09)) i--;
  return b.length - i;
}

function pairs(bytes: Uint8Array): MappingBatch {
  const n = bytes.length / PAIR;
  const supervoxels = new BigUint64Array(n);
  const bodies = new BigUint64Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    supervoxels[i] = dv.getBigUint64(i * PAIR, true);
    bodies[i] = dv.getBigUint64(i * PAIR + 8, true);
  }
  return { supervoxels, bodies };
}
