/**
 * The cache's container for typed arrays (not a DVID format): a little-endian uint32 header length,
 * a JSON header naming each array's type, offset and element count, then the arrays, each aligned to
 * 8 bytes so they can be viewed in place without copying.
 *
 *   u32 headerBytes | header JSON (utf-8) | pad to 8 | array 0 | pad to 8 | array 1 | …
 */
import { readFileSync, writeFileSync } from 'node:fs';

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array | BigUint64Array;
const CTORS = { Uint8Array, Uint16Array, Uint32Array, Int32Array, Float64Array, BigUint64Array } as const;
type CtorName = keyof typeof CTORS;

interface Entry {
  type: CtorName;
  offset: number;
  length: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

function ctorName(a: Typed): CtorName {
  // A Buffer is a Uint8Array (its constructor name is not).
  for (const name of Object.keys(CTORS) as CtorName[]) if (a instanceof CTORS[name] && (name !== 'Uint8Array' || a.BYTES_PER_ELEMENT === 1)) return name;
  throw new TypeError('unsupported array type');
}

export function writeArrays(file: string, arrays: Record<string, Typed>, extra: Record<string, unknown> = {}): void {
  const entries: Record<string, Entry> = {};
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    entries[name] = { type: ctorName(a), offset, length: a.length };
    offset = align8(offset + a.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ arrays: entries, extra }), 'utf8');
  const dataStart = align8(4 + header.length);
  const out = Buffer.alloc(dataStart + offset);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  for (const [name, a] of Object.entries(arrays)) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, dataStart + entries[name]!.offset);
  }
  writeFileSync(file, out);
}

export interface ArrayFile {
  get<T extends Typed>(name: string): T;
  extra: Record<string, unknown>;
}

export function readArrays(file: string): ArrayFile {
  const buf = readFileSync(file);
  const headerLen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + headerLen).toString('utf8')) as { arrays: Record<string, Entry>; extra: Record<string, unknown> };
  const dataStart = align8(4 + headerLen);
  // readFileSync's buffer may not start 8-aligned in its ArrayBuffer: copy once into an aligned one.
  const aligned = buf.byteOffset % 8 === 0 ? buf : new Uint8Array(buf);
  return {
    extra: header.extra,
    get<T extends Typed>(name: string): T {
      const e = header.arrays[name];
      if (!e) throw new Error(`${file}: no array "${name}"`);
      const C = CTORS[e.type] as unknown as new (b: ArrayBufferLike, o: number, l: number) => T;
      return new C(aligned.buffer, aligned.byteOffset + dataStart + e.offset, e.length);
    },
  };
}
