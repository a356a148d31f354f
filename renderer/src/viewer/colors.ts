/**
 * The one colour function of the app: a body's colour in the 3D view, the slice viewer, legends and
 * tables. Deterministic from the uint64 id alone (a SplitMix64 mix of it), so a body keeps its colour
 * across views, sessions and machines, and neighbouring ids get unrelated hues.
 */

export type Rgb = readonly [number, number, number];

const M64 = (1n << 64n) - 1n;

/** SplitMix64's finalizer: every input bit affects every output bit. */
function mix64(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** Label 0 (no body: extracellular space, outside the segmentation). */
export const BACKGROUND_RGB: Rgb = [14, 17, 23];

const memo = new Map<string, Rgb>();

/** The colour of a body (0–255 sRGB). Ids as decimal strings or bigint. */
export function bodyColor(id: string | bigint): Rgb {
  const key = typeof id === 'bigint' ? id.toString() : id;
  let c = memo.get(key);
  if (c) return c;
  const v = BigInt(key);
  if (v === 0n) return BACKGROUND_RGB;
  const h = mix64(v);
  const hue = Number(h & 0xffffn) / 65536;
  const sat = 0.62 + (Number((h >> 16n) & 0xffn) / 255) * 0.3;
  const light = 0.5 + (Number((h >> 24n) & 0xffn) / 255) * 0.14;
  c = hslToRgb(hue, sat, light);
  if (memo.size > 50_000) memo.clear();
  memo.set(key, c);
  return c;
}

export function cssColor(c: Rgb): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** A ROI's colour: the same mix over its name, paler (ROIs are context, bodies the subject). */
export function roiColor(name: string): Rgb {
  let h = 0n;
  for (const ch of name) h = mix64(h ^ BigInt(ch.codePointAt(0)!));
  return hslToRgb(Number(h & 0xffffn) / 65536, 0.35, 0.72);
}

/** Synapse colours (fixed, and explained by a legend): T-bars (pre, outputs) amber, PSDs (post, inputs) cyan. */
export const TBAR_RGB: Rgb = [255, 176, 0];
export const PSD_RGB: Rgb = [0, 200, 255];

/** The 3D view's background. */
export const SCENE_BACKGROUND = '#10141c';
