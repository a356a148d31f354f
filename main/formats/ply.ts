/**
 * Stanford PLY reader: ASCII, binary_little_endian and binary_big_endian.
 *
 *   ply
 *   format binary_little_endian 1.0          (or ascii / binary_big_endian)
 *   comment …  | obj_info …                  ignored
 *   element vertex V
 *   property float x                         any scalar type; x, y, z required, others skipped
 *   property float y
 *   property float z
 *   element face F
 *   property list uchar int vertex_indices   count type (integer) then item type; `vertex_index` too
 *   end_header\n                             body follows right after this line's LF
 *
 * Scalar types: char/int8 uchar/uint8 short/int16 ushort/uint16 int/int32 uint/uint32 float/float32
 * double/float64. Elements come in header order; elements other than vertex and face are read and
 * skipped. Binary: the body is the elements' records back to back, no padding; a list is its count then
 * that many items. ASCII: whitespace-separated values in the same order.
 *
 * Before allocating, the body must be at least as long as the header's counts require (each record's
 * fixed part; lists may be empty). Polygons are fan-triangulated; faces of fewer than 3 corners give
 * no triangle. Every index is checked against the vertex count.
 */
import { FormatError } from './format-error';
import { GrowableU32 } from './growable';
import type { Mesh } from './mesh';

const Fmt = 'ply';
export const PLY_MAX_BYTES = 1 << 30;
const MAX_HEADER_BYTES = 1 << 20;
const MAX_VERTICES = 1 << 26;
const MAX_FACE_INDICES = 3 * (1 << 26);

type Scalar = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';
const SCALARS: Record<string, Scalar> = {
  char: 'int8', int8: 'int8', uchar: 'uint8', uint8: 'uint8',
  short: 'int16', int16: 'int16', ushort: 'uint16', uint16: 'uint16',
  int: 'int32', int32: 'int32', uint: 'uint32', uint32: 'uint32',
  float: 'float32', float32: 'float32', double: 'float64', float64: 'float64',
};
const SIZE: Record<Scalar, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };

type Property = { name: string; list: false; type: Scalar } | { name: string; list: true; countType: Scalar; itemType: Scalar };
interface Element {
  name: string;
  count: number;
  props: Property[];
}
type Encoding = 'ascii' | 'binary_little_endian' | 'binary_big_endian';

export interface PlyHeader {
  encoding: Encoding;
  elements: Element[];
  /** byte offset where the body starts */
  bodyOffset: number;
}

function isInteger(t: Scalar): boolean {
  return t !== 'float32' && t !== 'float64';
}

/** Parses the header; the body starts at `bodyOffset`. */
export function readPlyHeader(bytes: Uint8Array): PlyHeader {
  const scanLimit = Math.min(bytes.length, MAX_HEADER_BYTES);
  let pos = 0;
  let lineNo = 0;
  let encoding: Encoding | null = null;
  const elements: Element[] = [];
  for (;;) {
    let end = pos;
    while (end < scanLimit && bytes[end] !== 0x0a) end++;
    if (end >= scanLimit) {
      throw new FormatError(Fmt, pos, bytes.length > MAX_HEADER_BYTES ? 'no end_header within the first MiB' : 'header ends before end_header');
    }
    let line = '';
    for (let i = pos; i < end; i++) line += String.fromCharCode(bytes[i] as number);
    const lineStart = pos;
    pos = end + 1;
    const words = line.trim().split(/\s+/);
    lineNo++;
    if (lineNo === 1) {
      if (line.trim() !== 'ply') throw new FormatError(Fmt, 0, 'does not start with "ply"');
      continue;
    }
    const kw = words[0];
    if (kw === '' || kw === 'comment' || kw === 'obj_info') continue;
    if (kw === 'format') {
      const enc = words[1];
      if (enc !== 'ascii' && enc !== 'binary_little_endian' && enc !== 'binary_big_endian') {
        throw new FormatError(Fmt, lineStart, `unknown format "${String(enc).slice(0, 40)}"`);
      }
      if (words[2] !== '1.0') throw new FormatError(Fmt, lineStart, `unsupported PLY version "${String(words[2]).slice(0, 20)}"`);
      encoding = enc;
    } else if (kw === 'element') {
      const count = Number(words[2]);
      if (words.length !== 3 || !/^\d+$/.test(words[2] ?? '') || count > 0xffffffff) {
        throw new FormatError(Fmt, lineStart, `bad element line "${line.slice(0, 80)}"`);
      }
      elements.push({ name: words[1] as string, count, props: [] });
    } else if (kw === 'property') {
      const el = elements.at(-1);
      if (!el) throw new FormatError(Fmt, lineStart, 'property before any element');
      if (words[1] === 'list') {
        const countType = SCALARS[words[2] ?? ''];
        const itemType = SCALARS[words[3] ?? ''];
        if (words.length !== 5 || !countType || !itemType) throw new FormatError(Fmt, lineStart, `bad list property "${line.slice(0, 80)}"`);
        if (!isInteger(countType)) throw new FormatError(Fmt, lineStart, 'list count type must be an integer type');
        el.props.push({ name: words[4] as string, list: true, countType, itemType });
      } else {
        const type = SCALARS[words[1] ?? ''];
        if (words.length !== 3 || !type) throw new FormatError(Fmt, lineStart, `bad property "${line.slice(0, 80)}"`);
        el.props.push({ name: words[2] as string, list: false, type });
      }
    } else if (kw === 'end_header') {
      if (!encoding) throw new FormatError(Fmt, lineStart, 'no format line before end_header');
      return { encoding, elements, bodyOffset: pos };
    } else {
      throw new FormatError(Fmt, lineStart, `unknown header keyword "${String(kw).slice(0, 40)}"`);
    }
  }
}

interface Plan {
  vertexEl: number;
  xyz: [number, number, number];
  faceEl: number;
  faceProp: number;
  vertexCount: number;
}

function plan(header: PlyHeader): Plan {
  const vertexEl = header.elements.findIndex((e) => e.name === 'vertex');
  if (vertexEl < 0) throw new FormatError(Fmt, 0, 'no vertex element');
  const vEl = header.elements[vertexEl] as Element;
  const xyz = (['x', 'y', 'z'] as const).map((axis) => {
    const i = vEl.props.findIndex((p) => p.name === axis);
    if (i < 0 || (vEl.props[i] as Property).list) throw new FormatError(Fmt, 0, `vertex element has no scalar property ${axis}`);
    return i;
  }) as [number, number, number];
  if (vEl.count > MAX_VERTICES) throw new FormatError(Fmt, 0, `${vEl.count} vertices exceeds the limit of ${MAX_VERTICES}`);
  const faceEl = header.elements.findIndex((e) => e.name === 'face');
  let faceProp = -1;
  if (faceEl >= 0) {
    const props = (header.elements[faceEl] as Element).props;
    faceProp = props.findIndex((p) => p.list && (p.name === 'vertex_indices' || p.name === 'vertex_index'));
    if (faceProp < 0 && props.filter((p) => p.list).length === 1) faceProp = props.findIndex((p) => p.list);
    if (faceProp < 0) throw new FormatError(Fmt, 0, 'face element has no vertex_indices list');
  }
  return { vertexEl, xyz, faceEl, faceProp, vertexCount: vEl.count };
}

/** Fan-triangulates one polygon into `out`, checking each index against the vertex count. */
class FaceSink {
  readonly out: GrowableU32;
  private corners: number[] = [];
  constructor(private readonly vertexCount: number) {
    this.out = new GrowableU32(MAX_FACE_INDICES, () => {
      throw new FormatError(Fmt, 0, 'more than 2^26 triangles');
    });
  }
  begin(): void {
    this.corners.length = 0;
  }
  corner(index: number, at: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.vertexCount) {
      throw new FormatError(Fmt, at, `face index ${index} is outside 0..${this.vertexCount - 1}`);
    }
    this.corners.push(index);
  }
  end(): void {
    const c = this.corners;
    for (let k = 1; k + 1 < c.length; k++) {
      this.out.push(c[0] as number);
      this.out.push(c[k] as number);
      this.out.push(c[k + 1] as number);
    }
  }
}

function decodeBinary(bytes: Uint8Array, header: PlyHeader, p: Plan): Mesh {
  const little = header.encoding === 'binary_little_endian';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  let off = header.bodyOffset;

  // Lower bound on the body size from the counts, checked before any allocation.
  let need = 0;
  for (const el of header.elements) {
    let min = 0;
    for (const prop of el.props) min += prop.list ? SIZE[prop.countType] : SIZE[prop.type];
    need += el.count * min;
  }
  if (need > len - off) throw new FormatError(Fmt, off, `the header's counts need at least ${need} body bytes; there are ${len - off}`);

  const read = (t: Scalar): number => {
    if (off + SIZE[t] > len) throw new FormatError(Fmt, off, 'body ends inside a record');
    let v: number;
    switch (t) {
      case 'int8': v = dv.getInt8(off); break;
      case 'uint8': v = dv.getUint8(off); break;
      case 'int16': v = dv.getInt16(off, little); break;
      case 'uint16': v = dv.getUint16(off, little); break;
      case 'int32': v = dv.getInt32(off, little); break;
      case 'uint32': v = dv.getUint32(off, little); break;
      case 'float32': v = dv.getFloat32(off, little); break;
      case 'float64': v = dv.getFloat64(off, little); break;
    }
    off += SIZE[t];
    return v;
  };

  const vertices = new Float32Array(3 * p.vertexCount);
  const sink = new FaceSink(p.vertexCount);
  header.elements.forEach((el, e) => {
    if (el.props.length === 0) return;
    const isVertex = e === p.vertexEl;
    const isFace = e === p.faceEl;
    const allScalar = el.props.every((pr) => !pr.list);
    if (isVertex && allScalar) {
      // Fixed stride: read x, y, z at their offsets, skip the rest.
      const offsets: number[] = [];
      let stride = 0;
      for (const pr of el.props) {
        offsets.push(stride);
        stride += SIZE[(pr as { type: Scalar }).type];
      }
      const types = p.xyz.map((k) => (el.props[k] as { type: Scalar }).type);
      const base = off;
      for (let i = 0; i < el.count; i++) {
        for (let a = 0; a < 3; a++) {
          off = base + i * stride + (offsets[p.xyz[a] as number] as number);
          vertices[3 * i + a] = read(types[a] as Scalar);
        }
      }
      off = base + el.count * stride;
      return;
    }
    for (let i = 0; i < el.count; i++) {
      if (isFace) sink.begin();
      el.props.forEach((pr, k) => {
        if (!pr.list) {
          const v = read(pr.type);
          if (isVertex) {
            const axis = p.xyz.indexOf(k);
            if (axis >= 0) vertices[3 * i + axis] = v;
          }
          return;
        }
        const at = off;
        const n = read(pr.countType);
        if (n < 0) throw new FormatError(Fmt, at, `negative list length ${n}`);
        if (off + n * SIZE[pr.itemType] > len) throw new FormatError(Fmt, at, `list of ${n} items runs past the end of the file`);
        if (isFace && k === p.faceProp) {
          for (let j = 0; j < n; j++) {
            const itemAt = off;
            sink.corner(read(pr.itemType), itemAt);
          }
        } else {
          off += n * SIZE[pr.itemType];
        }
      });
      if (isFace) sink.end();
    }
  });
  for (let i = off; i < len; i++) {
    const c = bytes[i];
    if (c !== 0x0a && c !== 0x0d && c !== 0x20 && c !== 0x00) throw new FormatError(Fmt, off, `${len - off} unexpected bytes after the last element`);
  }
  return { vertices, faces: sink.out.toArray() };
}

const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function decodeAscii(bytes: Uint8Array, header: PlyHeader, p: Plan): Mesh {
  const len = bytes.length;
  let off = header.bodyOffset;
  // Each value is at least one character plus a separator.
  let tokens = 0;
  for (const el of header.elements) tokens += el.count * el.props.length;
  if (2 * tokens - 1 > len - off) throw new FormatError(Fmt, off, `the header's counts need at least ${tokens} values; the body is only ${len - off} bytes`);

  let tokStart = 0;
  const next = (): number => {
    while (off < len && isSpace(bytes[off] as number)) off++;
    tokStart = off;
    while (off < len && !isSpace(bytes[off] as number)) off++;
    if (off === tokStart) throw new FormatError(Fmt, off, 'body ends before the last element');
    let s = '';
    for (let i = tokStart; i < off && i < tokStart + 64; i++) s += String.fromCharCode(bytes[i] as number);
    if (off - tokStart > 64 || !FLOAT.test(s)) throw new FormatError(Fmt, tokStart, `"${s.slice(0, 40)}" is not a number`);
    return Number(s);
  };
  const nextInt = (what: string): number => {
    const v = next();
    if (!Number.isInteger(v)) throw new FormatError(Fmt, tokStart, `${what} ${v} is not an integer`);
    return v;
  };

  const vertices = new Float32Array(3 * p.vertexCount);
  const sink = new FaceSink(p.vertexCount);
  header.elements.forEach((el, e) => {
    const isVertex = e === p.vertexEl;
    const isFace = e === p.faceEl;
    for (let i = 0; i < el.count && el.props.length > 0; i++) {
      if (isFace) sink.begin();
      el.props.forEach((pr, k) => {
        if (!pr.list) {
          const v = next();
          if (isVertex) {
            const axis = p.xyz.indexOf(k);
            if (axis >= 0) vertices[3 * i + axis] = v;
          }
          return;
        }
        const n = nextInt('list length');
        if (n < 0 || 2 * n - 1 > len - off) throw new FormatError(Fmt, tokStart, `list length ${n} does not fit in the rest of the file`);
        const isIndices = isFace && k === p.faceProp;
        for (let j = 0; j < n; j++) {
          const v = isIndices ? nextInt('face index') : next();
          if (isIndices) sink.corner(v, tokStart);
        }
      });
      if (isFace) sink.end();
    }
  });
  while (off < len && (isSpace(bytes[off] as number) || bytes[off] === 0)) off++;
  if (off < len) throw new FormatError(Fmt, off, 'unexpected values after the last element');
  return { vertices, faces: sink.out.toArray() };
}

export function decodePly(bytes: Uint8Array, opts?: { maxBytes?: number }): Mesh {
  const max = opts?.maxBytes ?? PLY_MAX_BYTES;
  if (bytes.length > max) throw new FormatError(Fmt, 0, `${bytes.length} bytes exceeds the ${max}-byte limit`);
  const header = readPlyHeader(bytes);
  const p = plan(header);
  return header.encoding === 'ascii' ? decodeAscii(bytes, header, p) : decodeBinary(bytes, header, p);
}
