/**
 * DVID keyvalue protobuf messages (DVID-API.md §7; datatype/common/proto/keyvalue.proto, proto3):
 *
 *   message KeyValue  { string key = 1; bytes value = 2; }        tags 0x0A key, 0x12 value
 *   message KeyValues { repeated KeyValue kvs = 1; }              0x0A, varint length, KeyValue bytes
 *   message KeyRange  { string key = 1; uint64 byte_start = 2; uint64 byte_end = 3; }  0x0A, 0x10, 0x18
 *   message Keys      { repeated string keys = 1; repeated KeyRange key_ranges = 2; } 0x0A, 0x12
 *
 * Wire format: each field is a varint tag (field number << 3 | wire type) then, for wire type 2, a
 * varint length and that many bytes; for type 0 a varint. Proto3 omits empty fields, so a KeyValue
 * whose value is empty has no 0x12 field at all: it decodes as `value: null`, exactly like a key DVID
 * did not find (DVID cannot tell them apart either; use HEAD /key when it matters).
 *
 * Decoding follows protobuf's rules: fields may come in any order, unknown fields are skipped by wire
 * type (groups, types 3/4, are rejected), and for a singular field the last occurrence wins. Every
 * length is checked against the bytes left before it is used; varints longer than 10 bytes and
 * lengths beyond 2^53 are errors. Strings must be valid UTF-8. Returned `value`s are views into the
 * input (no copy): copy them if the input buffer is reused.
 */
import { FormatError } from './format-error';

const F = 'kv-protobuf';
/** Hard bound on a message: 2 GiB (DVID builds KeyValues in server memory; real ones are far smaller). */
export const KV_PROTOBUF_MAX_BYTES = 2 ** 31;

export interface KeyValue {
  key: string;
  /** null = no value field (a missing key, or an empty value) */
  value: Uint8Array | null;
}

export interface KeyRange {
  key: string;
  /** uint64 on the wire; byte offsets beyond 2^53 are rejected */
  byteStart: number;
  byteEnd: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new FormatError(F, start, 'message ends inside a varint');
      const b = this.bytes[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (result > Number.MAX_SAFE_INTEGER) throw new FormatError(F, start, 'varint exceeds 2^53');
        return result;
      }
      scale *= 128;
    }
    throw new FormatError(F, start, 'varint longer than 10 bytes');
  }
  /** a length-delimited field's [start, end) */
  delimited(): [number, number] {
    const at = this.pos;
    const len = this.varint();
    if (len > this.end - this.pos) throw new FormatError(F, at, `field length ${len} exceeds the ${this.end - this.pos} bytes left`);
    const s = this.pos;
    this.pos += len;
    return [s, this.pos];
  }
  skip(wireType: number, tagAt: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.fixed(8, tagAt);
        return;
      case 2:
        this.delimited();
        return;
      case 5:
        this.fixed(4, tagAt);
        return;
      default:
        throw new FormatError(F, tagAt, `unsupported wire type ${wireType}`);
    }
  }
  private fixed(n: number, tagAt: number): void {
    if (this.end - this.pos < n) throw new FormatError(F, tagAt, `message ends inside a ${n}-byte field`);
    this.pos += n;
  }
  /** the next field's number and wire type */
  tag(): { field: number; wire: number; at: number } {
    const at = this.pos;
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new FormatError(F, at, 'field number 0');
    return { field, wire: t % 8, at };
  }
  string(start: number, end: number): string {
    try {
      return utf8.decode(this.bytes.subarray(start, end));
    } catch {
      throw new FormatError(F, start, 'string field is not valid UTF-8');
    }
  }
}

function expectWire(wire: number, want: number, at: number, what: string): void {
  if (wire !== want) throw new FormatError(F, at, `${what} has wire type ${wire}, expected ${want}`);
}

function checkSize(bytes: Uint8Array, maxBytes: number | undefined): void {
  const max = maxBytes ?? KV_PROTOBUF_MAX_BYTES;
  if (bytes.length > max) throw new FormatError(F, 0, `${bytes.length} bytes exceeds the ${max}-byte limit`);
}

function decodeKeyValue(r: Reader, start: number, end: number): KeyValue {
  const m = new Reader(r.bytes, start, end);
  let key = '';
  let value: Uint8Array | null = null;
  while (!m.done) {
    const { field, wire, at } = m.tag();
    if (field === 1) {
      expectWire(wire, 2, at, 'KeyValue.key');
      const [s, e] = m.delimited();
      key = m.string(s, e);
    } else if (field === 2) {
      expectWire(wire, 2, at, 'KeyValue.value');
      const [s, e] = m.delimited();
      // A plain Uint8Array view (subarray of a Node Buffer would be a Buffer).
      value = new Uint8Array(m.bytes.buffer, m.bytes.byteOffset + s, e - s);
    } else {
      m.skip(wire, at);
    }
  }
  return { key, value };
}

export function decodeKeyValues(bytes: Uint8Array, opts?: { maxBytes?: number }): KeyValue[] {
  checkSize(bytes, opts?.maxBytes);
  const r = new Reader(bytes, 0, bytes.length);
  const out: KeyValue[] = [];
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if (field === 1) {
      expectWire(wire, 2, at, 'KeyValues.kvs');
      const [s, e] = r.delimited();
      out.push(decodeKeyValue(r, s, e));
    } else {
      r.skip(wire, at);
    }
  }
  return out;
}

function decodeKeyRange(r: Reader, start: number, end: number): KeyRange {
  const m = new Reader(r.bytes, start, end);
  const range: KeyRange = { key: '', byteStart: 0, byteEnd: 0 };
  while (!m.done) {
    const { field, wire, at } = m.tag();
    if (field === 1) {
      expectWire(wire, 2, at, 'KeyRange.key');
      const [s, e] = m.delimited();
      range.key = m.string(s, e);
    } else if (field === 2 || field === 3) {
      expectWire(wire, 0, at, field === 2 ? 'KeyRange.byte_start' : 'KeyRange.byte_end');
      const v = m.varint();
      if (field === 2) range.byteStart = v;
      else range.byteEnd = v;
    } else {
      m.skip(wire, at);
    }
  }
  return range;
}

/** The whole Keys message: plain keys and byte-range requests (answered after the keys, in order). */
export function decodeKeysMessage(bytes: Uint8Array, opts?: { maxBytes?: number }): { keys: string[]; keyRanges: KeyRange[] } {
  checkSize(bytes, opts?.maxBytes);
  const r = new Reader(bytes, 0, bytes.length);
  const keys: string[] = [];
  const keyRanges: KeyRange[] = [];
  while (!r.done) {
    const { field, wire, at } = r.tag();
    if (field === 1) {
      expectWire(wire, 2, at, 'Keys.keys');
      const [s, e] = r.delimited();
      keys.push(r.string(s, e));
    } else if (field === 2) {
      expectWire(wire, 2, at, 'Keys.key_ranges');
      const [s, e] = r.delimited();
      keyRanges.push(decodeKeyRange(r, s, e));
    } else {
      r.skip(wire, at);
    }
  }
  return { keys, keyRanges };
}

/**
 * The keys of a Keys message. A message that also carries key_ranges is an error here (dropping them
 * would present a partial request as whole): use decodeKeysMessage for those.
 */
export function decodeKeys(bytes: Uint8Array, opts?: { maxBytes?: number }): string[] {
  const { keys, keyRanges } = decodeKeysMessage(bytes, opts);
  if (keyRanges.length > 0) throw new FormatError(F, 0, `the Keys message carries ${keyRanges.length} key_ranges; use decodeKeysMessage`);
  return keys;
}

// ---- encoding ---------------------------------------------------------------------------------

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

class Writer {
  readonly buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  varint(v: number): void {
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  bytesField(tag: number, data: Uint8Array): void {
    this.buf[this.pos++] = tag;
    this.varint(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
}

function fieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function checkUint(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`kv-protobuf: ${what} ${v} is not a non-negative safe integer`);
}

/** KeyValues; empty keys and null/empty values are omitted, as proto3 does. */
export function encodeKeyValues(kvs: readonly KeyValue[]): Uint8Array {
  const keys = kvs.map((kv) => utf8Encoder.encode(kv.key));
  const sizes = kvs.map((kv, i) => {
    const k = keys[i] as Uint8Array;
    return (k.length > 0 ? fieldSize(k.length) : 0) + (kv.value && kv.value.length > 0 ? fieldSize(kv.value.length) : 0);
  });
  const w = new Writer(sizes.reduce((a, s) => a + fieldSize(s), 0));
  kvs.forEach((kv, i) => {
    w.buf[w.pos++] = 0x0a;
    w.varint(sizes[i] as number);
    const k = keys[i] as Uint8Array;
    if (k.length > 0) w.bytesField(0x0a, k);
    if (kv.value && kv.value.length > 0) w.bytesField(0x12, kv.value);
  });
  return w.buf;
}

export function encodeKeysMessage(keys: readonly string[], keyRanges: readonly KeyRange[] = []): Uint8Array {
  const keyBytes = keys.map((k) => utf8Encoder.encode(k));
  const rangeKeys = keyRanges.map((r) => utf8Encoder.encode(r.key));
  const rangeSizes = keyRanges.map((r, i) => {
    checkUint(r.byteStart, 'byte_start');
    checkUint(r.byteEnd, 'byte_end');
    const k = rangeKeys[i] as Uint8Array;
    return (k.length > 0 ? fieldSize(k.length) : 0) + (r.byteStart > 0 ? 1 + varintSize(r.byteStart) : 0) + (r.byteEnd > 0 ? 1 + varintSize(r.byteEnd) : 0);
  });
  const total = keyBytes.reduce((a, k) => a + fieldSize(k.length), 0) + rangeSizes.reduce((a, s) => a + fieldSize(s), 0);
  const w = new Writer(total);
  // A repeated string keeps its empty elements (only singular fields are omitted when empty).
  for (const k of keyBytes) w.bytesField(0x0a, k);
  keyRanges.forEach((r, i) => {
    w.buf[w.pos++] = 0x12;
    w.varint(rangeSizes[i] as number);
    const k = rangeKeys[i] as Uint8Array;
    if (k.length > 0) w.bytesField(0x0a, k);
    if (r.byteStart > 0) {
      w.buf[w.pos++] = 0x10;
      w.varint(r.byteStart);
    }
    if (r.byteEnd > 0) {
      w.buf[w.pos++] = 0x18;
      w.varint(r.byteEnd);
    }
  });
  return w.buf;
}

export function encodeKeys(keys: readonly string[]): Uint8Array {
  return encodeKeysMessage(keys);
}
