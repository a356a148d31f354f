/**
 * Whether a mesh may be drawn with back faces culled, and which way round: a closed surface whose
 * triangles are all wound the same way needs only its front faces drawn (half the rasterizing of
 * drawing both sides; on a software renderer that is most of a frame), provided the winding is made
 * outward (counter-clockwise seen from outside, as WebGL's front faces are).
 *
 * - consistent: along every edge the triangles on it use it as often as a→b as b→a (neighbours wound
 *   the same way traverse a shared edge in opposite directions; four faces meeting at one edge, as
 *   marching cubes or surface nets leave where two parts of a body touch, still balance). Counted
 *   through sorted per-vertex lists of outgoing edges. An imbalance of two or more is a triangle
 *   wound the other way: 'open'. An imbalance of one is a boundary edge.
 * - closed: the boundary edges form loops whose vector areas (½ Σ pᵢ × pᵢ₊₁)
 *   add up to at most 0.1 % of the surface's area. Loops that enclose nothing (the zero-area slits
 *   left at the poles of a UV sphere, seams whose vertices are duplicated) count for nothing; a cut
 *   or an opening you could look into counts for its area.
 * - direction: the signed volume (relative to the bounding box centre) is positive for outward
 *   winding, negative for inward; a surface enclosing almost no volume is treated as open.
 *
 * Anything else (inconsistent winding, a vertex with two outgoing boundary edges, a real opening)
 * is 'open': draw both sides. Cost: a few linear passes, ≈ 40 ms for 400 k triangles.
 */

export type Winding = 'outward' | 'inward' | 'open';

export function windingOf(pos: Float32Array, f: Uint32Array): Winding {
  const nv = pos.length / 3;
  const nt = f.length / 3;
  if (nt === 0) return 'open';
  // Outgoing edges per vertex (CSR): the edge of corner k goes to the next corner of its triangle.
  const start = new Uint32Array(nv + 1);
  for (let i = 0; i < f.length; i++) start[f[i]! + 1]!++;
  for (let v = 0; v < nv; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, nv);
  const to = new Uint32Array(f.length);
  for (let t = 0; t < f.length; t += 3) {
    const a = f[t]!, b = f[t + 1]!, c = f[t + 2]!;
    to[fill[a]!++] = b;
    to[fill[b]!++] = c;
    to[fill[c]!++] = a;
  }
  // Sorted lists: the uses of one edge are adjacent (and a vertex of very high degree costs its
  // degree's logarithm per look-up, not its degree).
  for (let v = 0; v < nv; v++) {
    const s = start[v]!, e = start[v + 1]!;
    if (e - s > 1) to.subarray(s, e).sort();
  }
  /** How often a→b occurs (binary search in a's sorted list). */
  const uses = (a: number, b: number): number => {
    let lo = start[a]!, hi = start[a + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (to[mid]! < b) lo = mid + 1;
      else hi = mid;
    }
    let n = 0;
    while (lo < start[a + 1]! && to[lo] === b) {
      n++;
      lo++;
    }
    return n;
  };
  // Boundary edges (a→b used once more than b→a): at most one leaving each vertex, so they can be
  // walked as loops.
  const next = new Int32Array(nv).fill(-1);
  let boundary = 0;
  for (let a = 0; a < nv; a++) {
    const e = start[a + 1]!;
    for (let i = start[a]!; i < e; ) {
      const b = to[i]!;
      let n = 0;
      while (i < e && to[i] === b) {
        n++;
        i++;
      }
      if (b === a) continue;
      const net = n - uses(b, a);
      if (net >= 2 || net <= -2) return 'open';
      if (net !== 1) continue;
      if (next[a] !== -1) return 'open';
      next[a] = b;
      boundary++;
    }
  }
  // Surface area, signed volume (about the box centre, to keep the sums well conditioned).
  let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
  for (let i = 0; i < pos.length; i += 3) {
    const x = pos[i]!, y = pos[i + 1]!, z = pos[i + 2]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, cz = (z0 + z1) / 2;
  let area = 0, volume = 0;
  for (let t = 0; t < f.length; t += 3) {
    const a = 3 * f[t]!, b = 3 * f[t + 1]!, c = 3 * f[t + 2]!;
    const ax = pos[a]! - cx, ay = pos[a + 1]! - cy, az = pos[a + 2]! - cz;
    const bx = pos[b]! - cx, by = pos[b + 1]! - cy, bz = pos[b + 2]! - cz;
    const qx = pos[c]! - cx, qy = pos[c + 1]! - cy, qz = pos[c + 2]! - cz;
    const e1x = bx - ax, e1y = by - ay, e1z = bz - az, e2x = qx - ax, e2y = qy - ay, e2z = qz - az;
    area += 0.5 * Math.hypot(e1y * e2z - e1z * e2y, e1z * e2x - e1x * e2z, e1x * e2y - e1y * e2x);
    volume += (ax * (by * qz - bz * qy) - ay * (bx * qz - bz * qx) + az * (bx * qy - by * qx)) / 6;
  }
  if (!(area > 0)) return 'open';
  if (boundary > 0) {
    let holes = 0;
    const seen = new Uint8Array(nv);
    for (let s = 0; s < nv; s++) {
      if (next[s] === -1 || seen[s]) continue;
      let vx = 0, vy = 0, vz = 0;
      let v = s;
      while (!seen[v]) {
        seen[v] = 1;
        const w = next[v]!;
        if (w === -1) return 'open'; // a boundary that does not close into a loop
        const p = 3 * v, q = 3 * w;
        const px = pos[p]! - cx, py = pos[p + 1]! - cy, pz = pos[p + 2]! - cz;
        const qx = pos[q]! - cx, qy = pos[q + 1]! - cy, qz = pos[q + 2]! - cz;
        vx += py * qz - pz * qy;
        vy += pz * qx - px * qz;
        vz += px * qy - py * qx;
        v = w;
      }
      if (v !== s) return 'open'; // ran into another loop: not a simple boundary
      holes += 0.5 * Math.hypot(vx, vy, vz);
    }
    if (holes > 1e-3 * area) return 'open';
  }
  // Almost no enclosed volume for its area: a sheet, however closed its edges look.
  const span = Math.max(x1 - x0, y1 - y0, z1 - z0);
  if (Math.abs(volume) < 1e-4 * area * span) return 'open';
  return volume > 0 ? 'outward' : 'inward';
}

/** The same triangles wound the other way (second and third corner swapped), in place. */
export function flipWinding(f: Uint32Array): void {
  for (let t = 0; t < f.length; t += 3) {
    const b = f[t + 1]!;
    f[t + 1] = f[t + 2]!;
    f[t + 2] = b;
  }
}
