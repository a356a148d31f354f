/** Small vector helpers and the point–segment distance the whole generator is built on. */

export type Vec3 = [number, number, number];

export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const len = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
export const dist = (a: Vec3, b: Vec3): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
export function norm(a: Vec3): Vec3 {
  const n = len(a);
  return n > 0 ? [a[0] / n, a[1] / n, a[2] / n] : [1, 0, 0];
}
export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
export const lerp = (a: Vec3, b: Vec3, t: number): Vec3 => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

/** Distance from point p to segment ab (all scalar arguments: this is the hot path of labelling). */
export function pointSegmentDistance(px: number, py: number, pz: number, ax: number, ay: number, az: number, bx: number, by: number, bz: number): number {
  const dx = bx - ax, dy = by - ay, dz = bz - az;
  const wx = px - ax, wy = py - ay, wz = pz - az;
  const l2 = dx * dx + dy * dy + dz * dz;
  let t = l2 > 0 ? (wx * dx + wy * dy + wz * dz) / l2 : 0;
  if (t < 0) t = 0;
  else if (t > 1) t = 1;
  const ex = wx - t * dx, ey = wy - t * dy, ez = wz - t * dz;
  return Math.sqrt(ex * ex + ey * ey + ez * ez);
}

/** Parameter t in [0,1] of the point of segment ab closest to p. */
export function closestT(p: Vec3, a: Vec3, b: Vec3): number {
  const d = sub(b, a);
  const l2 = dot(d, d);
  if (l2 === 0) return 0;
  return Math.min(1, Math.max(0, dot(sub(p, a), d) / l2));
}

/** Distance between segments p0p1 and q0q1 (closest points, clamped; Ericson, Real-Time Collision Detection §5.1.9). */
export function segmentSegmentDistance(p0: Vec3, p1: Vec3, q0: Vec3, q1: Vec3): number {
  const d1 = sub(p1, p0), d2 = sub(q1, q0), r = sub(p0, q0);
  const a = dot(d1, d1), e = dot(d2, d2), f = dot(d2, r);
  let s = 0, t = 0;
  if (a <= 1e-12 && e <= 1e-12) return len(r);
  if (a <= 1e-12) {
    t = Math.min(1, Math.max(0, f / e));
  } else {
    const c = dot(d1, r);
    if (e <= 1e-12) {
      s = Math.min(1, Math.max(0, -c / a));
    } else {
      const b = dot(d1, d2);
      const denom = a * e - b * b;
      s = denom > 1e-12 ? Math.min(1, Math.max(0, (b * f - c * e) / denom)) : 0;
      t = (b * s + f) / e;
      if (t < 0) {
        t = 0;
        s = Math.min(1, Math.max(0, -c / a));
      } else if (t > 1) {
        t = 1;
        s = Math.min(1, Math.max(0, (b - c) / a));
      }
    }
  }
  const c1 = add(p0, scale(d1, s)), c2 = add(q0, scale(d2, t));
  return dist(c1, c2);
}

/** A unit vector perpendicular to d. */
export function perpendicular(d: Vec3): Vec3 {
  const other: Vec3 = Math.abs(d[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  return norm(cross(d, other));
}

/** Rotate unit vector d away from itself by angle `theta` toward a direction picked by `phi`. */
export function deflect(d: Vec3, theta: number, phi: number): Vec3 {
  const u = perpendicular(d);
  const v = cross(d, u);
  const s = Math.sin(theta), c = Math.cos(theta);
  return norm([
    d[0] * c + (u[0] * Math.cos(phi) + v[0] * Math.sin(phi)) * s,
    d[1] * c + (u[1] * Math.cos(phi) + v[1] * Math.sin(phi)) * s,
    d[2] * c + (u[2] * Math.cos(phi) + v[2] * Math.sin(phi)) * s,
  ]);
}
