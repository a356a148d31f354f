/**
 * Incremental framing of a keyvalue protobuf `KeyValues` body (DVID-API.md §7), so `/keyrangevalues` and
 * `/keyvalues` answers are handled one key at a time instead of as one buffer:
 *
 *   message KeyValues { repeated KeyValue kvs = 1; }   // on the wire: 0x0A, varint length, KeyValue bytes, …
 *
 * This only finds where each `kvs` field ends; each field (tag + length + bytes, itself a valid one-entry
 * KeyValues message) is decoded by formats/kv-protobuf.ts.
 */
import { FormatError } from '../formats/format-error';
import { decodeKeyValues, type KeyValue } from '../formats/kv-protobuf';

const FORMAT = 'kv-protobuf-stream';

export class KeyValuesStreamParser {
  // Unconsumed bytes as received (joined only once an entry is complete: a large value arriving in many
  // chunks is copied once, not once per chunk).
  private failed: FormatError | null = null;
  private parts: Uint8Array[] = [];
  private have = 0;
  private need = 0; // bytes needed before parsing can progress (0: unknown, try now)
  private offset = 0; // absolute offset of the first unconsumed byte

  constructor(private readonly maxEntryBytes: number) {}

  /** Entries this chunk completed; bad bytes end the batch there and their error comes with the next call. */
  push(chunk: Uint8Array): KeyValue[] {
    if (this.failed) throw this.failed;
    this.parts.push(chunk);
    this.have += chunk.length;
    if (this.have < this.need) return [];
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.have);
    const out: KeyValue[] = [];
    let pos = 0;
    this.need = 0;
    try {
      this.scan(data, out, (p) => (pos = p));
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      this.failed = err;
    }
    const rest = data.subarray(pos);
    this.parts = rest.length ? [rest.slice()] : [];
    this.have = rest.length;
    this.offset += pos;
    return out;
  }

  private scan(data: Uint8Array, out: KeyValue[], consumed: (pos: number) => void): void {
    let pos = 0;
    while (pos < data.length) {
      if (data[pos] !== 0x0a) throw new FormatError(FORMAT, this.offset + pos, `expected field 1 (0x0a), found 0x${data[pos]!.toString(16)}`);
      const len = readVarint(data, pos + 1, this.offset);
      if (len === null) break;
      if (len.value > this.maxEntryBytes) throw new FormatError(FORMAT, this.offset + pos, `entry of ${len.value} bytes exceeds ${this.maxEntryBytes}`);
      const end = len.next + len.value;
      if (end > data.length) {
        this.need = end - pos;
        break;
      }
      const kvs = decodeKeyValues(data.subarray(pos, end));
      if (kvs.length !== 1) throw new FormatError(FORMAT, this.offset + pos, `one field decoded to ${kvs.length} entries`);
      out.push(kvs[0]!);
      pos = end;
      consumed(pos);
    }
  }

  finish(): void {
    if (this.failed) throw this.failed;
    if (this.have) throw new FormatError(FORMAT, this.offset, `the stream ended inside an entry (${this.have} bytes)`);
  }
}

/** A base-128 varint at `pos` (at most 2^53), or null when the bytes end before it does. */
function readVarint(b: Uint8Array, pos: number, base: number): { value: number; next: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8; i++) {
    if (pos + i >= b.length) return null;
    const byte = b[pos + i]!;
    value += (byte & 0x7f) * scale;
    if (!(byte & 0x80)) return { value, next: pos + i + 1 };
    scale *= 128;
  }
  throw new FormatError(FORMAT, base + pos, 'varint length longer than 8 bytes');
}
