/**
 * Wavefront OBJ reader (vol2mesh writes these; DVID-API.md §10.1). Text, one statement per line:
 *
 *   v x y z [w | r g b]      a vertex (extra values ignored: homogeneous w or per-vertex colour)
 *   f a b c [d …]            a polygon; each corner is `v`, `v/vt`, `v/vt/vn` or `v//vn`
 *   # …                      comment; every other keyword (vn, vt, o, g, s, usemtl, mtllib, l, p …) is ignored
 *
 * Indices are 1-based; a negative index counts back from the last vertex defined so far (−1 = the
 * latest). Polygons are fan-triangulated (a, b, c), (a, c, d) …: exact for the convex polygons
 * exporters write. Positive indices may point forward (some writers put all faces first), so they are
 * checked against the final vertex count. Offsets in errors are character offsets into the text.
 */
import { FormatError } from './format-error';
import { GrowableF32, GrowableU32 } from './growable';
import type { Mesh } from './mesh';

const F = 'obj';
/** Hard bound on input: the text must fit in one V8 string (2^29 − 24 UTF-16 units). */
export const OBJ_MAX_BYTES = 2 ** 29 - 24;
/** at most 2^26 vertices / triangles (768 MiB of output each) */
const MAX_ELEMENTS = 3 * (1 << 26);

const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INT = /^[+-]?\d+$/;

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0b || c === 0x0c;
}

export function decodeObj(bytes: Uint8Array, opts?: { maxBytes?: number }): Mesh {
  const max = Math.min(opts?.maxBytes ?? OBJ_MAX_BYTES, OBJ_MAX_BYTES);
  if (bytes.length > max) throw new FormatError(F, 0, `${bytes.length} bytes exceeds the ${max}-byte limit`);
  const text = new TextDecoder('utf-8').decode(bytes);
  const n = text.length;
  const tooMany = (): never => {
    throw new FormatError(F, 0, 'more than 2^26 vertices or triangles');
  };
  const vertices = new GrowableF32(MAX_ELEMENTS, tooMany);
  const faces = new GrowableU32(MAX_ELEMENTS, tooMany);
  // Where each face index was written, for errors found only at the end (forward references).
  let vertexCount = 0;
  let maxIndex = -1;
  let maxIndexAt = 0;
  const corners: number[] = [];

  let i = 0;
  // Reads the next blank-separated token on this line; returns [start, end) or start === end at EOL.
  let tokStart = 0;
  const nextToken = (): boolean => {
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    tokStart = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x0a || isBlank(c)) break;
      i++;
    }
    return i > tokStart;
  };

  while (i < n) {
    if (!nextToken()) {
      i++; // blank line (or the newline itself)
      continue;
    }
    const kwStart = tokStart;
    const kwLen = i - tokStart;
    const k0 = text.charCodeAt(kwStart);
    if (kwLen === 1 && k0 === 0x76 /* v */) {
      for (let axis = 0; axis < 3; axis++) {
        if (!nextToken()) throw new FormatError(F, tokStart, `vertex ${vertexCount + 1} has fewer than 3 coordinates`);
        const tok = text.slice(tokStart, i);
        if (!FLOAT.test(tok)) throw new FormatError(F, tokStart, `vertex coordinate "${tok.slice(0, 40)}" is not a number`);
        const value = Number(tok);
        if (!Number.isFinite(value)) throw new FormatError(F, tokStart, `vertex coordinate "${tok.slice(0, 40)}" is not finite`);
        vertices.push(value);
      }
      vertexCount++;
    } else if (kwLen === 1 && k0 === 0x66 /* f */) {
      corners.length = 0;
      const lineStart = kwStart;
      while (nextToken()) {
        if (text.charCodeAt(tokStart) === 0x23 /* # */) break; // trailing comment
        let end = tokStart;
        while (end < i && text.charCodeAt(end) !== 0x2f /* / */) end++;
        const tok = text.slice(tokStart, end);
        if (!INT.test(tok)) throw new FormatError(F, tokStart, `face index "${text.slice(tokStart, i).slice(0, 40)}" is not an integer`);
        const raw = Number(tok);
        let index: number;
        if (raw > 0) {
          index = raw - 1;
          if (index > maxIndex) {
            maxIndex = index;
            maxIndexAt = tokStart;
          }
        } else if (raw < 0) {
          index = vertexCount + raw;
          if (index < 0) throw new FormatError(F, tokStart, `relative index ${raw} reaches before the first vertex (${vertexCount} defined so far)`);
        } else {
          throw new FormatError(F, tokStart, 'face index 0 (OBJ indices start at 1)');
        }
        if (index > 0xfffffffe) throw new FormatError(F, tokStart, `face index ${raw} exceeds uint32`);
        corners.push(index);
      }
      if (corners.length < 3) throw new FormatError(F, lineStart, `face with ${corners.length} corners (a polygon needs at least 3)`);
      const a = corners[0] as number;
      for (let c = 1; c + 1 < corners.length; c++) {
        faces.push(a);
        faces.push(corners[c] as number);
        faces.push(corners[c + 1] as number);
      }
    }
    // Skip the rest of the line (other keywords, comments, extra vertex values).
    const nl = text.indexOf('\n', i);
    i = nl < 0 ? n : nl + 1;
  }
  if (maxIndex >= vertexCount) {
    throw new FormatError(F, maxIndexAt, `face index ${maxIndex + 1} refers past the last of ${vertexCount} vertices`);
  }
  return { vertices: vertices.toArray(), faces: faces.toArray() };
}
