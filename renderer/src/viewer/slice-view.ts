/**
 * The 2D slice viewer's drawing and picking: a plane of the cached segmentation shown as tiles of
 * 256×256 voxels of one pyramid scale, each fetched once through the `slice` API (rendered in main's
 * worker pool), coloured per body with the app's one colour function, and kept (bounded) for panning
 * back. Pixels of blocks that are not in the cache are drawn transparent over a grey hatch, never as
 * label 0; label 0 itself is near-black.
 *
 * View state is in scale-0 voxels: the centre (cu, cv) of the plane, the fixed coordinate, and the
 * zoom in CSS pixels per scale-0 voxel. The scale is chosen so a voxel covers at least a device
 * pixel ("auto"), or fixed.
 */
import type { SliceAxis, SliceInfo } from '../../../preload/api';
import { readSlice, SLICE_MISSING, type SliceBuffers } from '../../../preload/binary';
import { api } from '../api';
import { BACKGROUND_RGB, bodyColor } from './colors';

export const TILE = 256;
const MAX_TILES = 160;
const MAX_INFLIGHT = 4;

/** Plane (u, v, fixed) axes as indices into x, y, z (DVID's 0_1, 0_2, 1_2). */
export const PLANE: Record<SliceAxis, [number, number, number]> = { xy: [0, 1, 2], xz: [0, 2, 1], yz: [1, 2, 0] };
export const AXIS_NAMES = ['x', 'y', 'z'] as const;

export interface SliceState {
  instance: string;
  axis: SliceAxis;
  /** the fixed coordinate (scale-0 voxels) */
  position: number;
  /** plane centre, scale-0 voxels (fractional) */
  cu: number;
  cv: number;
  /** CSS pixels per scale-0 voxel */
  zoom: number;
  scale: 'auto' | number;
}

export interface Pick {
  /** scale-0 voxel under the pointer, as x, y, z */
  voxel: [number, number, number];
  /** body id (decimal) or null when the pixel is missing / not loaded / outside the volume */
  body: string | null;
  missing: boolean;
  outside: boolean;
}

interface Tile {
  key: string;
  state: 'loading' | 'ready' | 'failed';
  slice: SliceBuffers | null;
  image: HTMLCanvasElement | null;
  error: string | null;
}

function makeHatch(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = 10;
  const g = c.getContext('2d')!;
  g.fillStyle = '#3b404b';
  g.fillRect(0, 0, 10, 10);
  g.strokeStyle = '#6b7280';
  g.lineWidth = 2;
  g.beginPath();
  for (const o of [-10, 0, 10]) {
    g.moveTo(o, 10);
    g.lineTo(o + 10, 0);
  }
  g.stroke();
  return c;
}

/** A tile's pixels as an image: one lookup per pixel through the palette's colours. */
function tileImage(s: SliceBuffers): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = s.width;
  c.height = s.height;
  const g = c.getContext('2d')!;
  const img = g.createImageData(s.width, s.height);
  const out = new Uint32Array(img.data.buffer);
  const lut = new Uint32Array(s.palette.length);
  const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  for (let i = 0; i < s.palette.length; i++) {
    if (i === SLICE_MISSING) continue; // transparent: the hatch beneath shows through
    const [r, gg, b] = s.palette[i] === 0n ? BACKGROUND_RGB : bodyColor(s.palette[i]!);
    lut[i] = little ? ((255 << 24) | (b << 16) | (gg << 8) | r) >>> 0 : ((r << 24) | (gg << 16) | (b << 8) | 255) >>> 0;
  }
  const idx = s.indices;
  for (let i = 0; i < idx.length; i++) out[i] = lut[idx[i]!]!;
  g.putImageData(img, 0, 0);
  return c;
}

export class SliceView {
  state: SliceState;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #tiles = new Map<string, Tile>();
  readonly #queue: Array<{ key: string; req: Parameters<typeof api.slice>[0] }> = [];
  #inflight = 0;
  #frame = 0;
  readonly #hatch: CanvasPattern;
  readonly #resize: ResizeObserver;
  /** Called after each draw with the number of tiles still loading. */
  onDraw: ((loading: number, failed: string | null) => void) | null = null;

  constructor(
    readonly canvas: HTMLCanvasElement,
    public info: SliceInfo,
    state: SliceState,
  ) {
    this.state = state;
    this.#ctx = canvas.getContext('2d', { alpha: false })!;
    this.#hatch = this.#ctx.createPattern(makeHatch(), 'repeat')!;
    this.#resize = new ResizeObserver(() => this.requestDraw());
    this.#resize.observe(canvas);
  }

  get dpr(): number {
    return Math.min(window.devicePixelRatio || 1, 2);
  }

  /** The pyramid scale drawn at the current zoom. */
  effectiveScale(): number {
    const cached = this.info.scales.length ? this.info.scales : [0];
    if (this.state.scale !== 'auto') return this.state.scale;
    const want = Math.max(0, Math.floor(Math.log2(1 / (this.state.zoom * this.dpr))));
    const ok = cached.filter((s) => s <= want);
    return ok.length ? Math.max(...ok) : Math.min(...cached);
  }

  /** Scale-0 extent along u, v and the fixed axis (inclusive), or null when unknown. */
  extentOf(): { u: [number, number]; v: [number, number]; f: [number, number] } | null {
    const e = this.info.extent;
    if (!e) return null;
    const [ua, va, fa] = PLANE[this.state.axis];
    return { u: [e.min[ua]!, e.max[ua]!], v: [e.min[va]!, e.max[va]!], f: [e.min[fa]!, e.max[fa]!] };
  }

  set(partial: Partial<SliceState>): void {
    this.state = { ...this.state, ...partial };
    this.requestDraw();
  }

  requestDraw(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.draw();
    });
  }

  /** Screen (CSS px, relative to the canvas) → scale-0 plane coordinates. */
  toPlane(x: number, y: number): [number, number] {
    const { cu, cv, zoom } = this.state;
    return [(x - this.canvas.clientWidth / 2) / zoom + cu, (y - this.canvas.clientHeight / 2) / zoom + cv];
  }

  #tileKey(s: number, ps: number, tu: number, tv: number): string {
    return `${this.state.instance}|${this.state.axis}|${s}|${ps}|${tu}|${tv}`;
  }

  #request(key: string, req: Parameters<typeof api.slice>[0]): void {
    const tile: Tile = { key, state: 'loading', slice: null, image: null, error: null };
    this.#tiles.set(key, tile);
    this.#queue.push({ key, req });
    this.#pump();
  }

  #pump(): void {
    while (this.#inflight < MAX_INFLIGHT && this.#queue.length) {
      const { key, req } = this.#queue.pop()!; // newest first: what the user looks at now
      const tile = this.#tiles.get(key);
      if (!tile) continue;
      this.#inflight++;
      api
        .slice(req)
        .then((buf) => {
          tile.slice = readSlice(buf);
          tile.image = tileImage(tile.slice);
          tile.state = 'ready';
        })
        .catch((err: unknown) => {
          tile.state = 'failed';
          tile.error = (err as Error).message;
        })
        .finally(() => {
          this.#inflight--;
          this.#pump();
          this.requestDraw();
        });
    }
  }

  #evict(): void {
    if (this.#tiles.size <= MAX_TILES) return;
    for (const [k, t] of this.#tiles) {
      if (this.#tiles.size <= MAX_TILES) break;
      if (t.state !== 'loading') this.#tiles.delete(k);
    }
  }

  /** Tiles covering the view at the current scale: [tu, tv, x0, y0, w, h] in scale-s voxels. */
  #visibleTiles(s: number): Array<[number, number, number, number, number, number]> {
    const W = this.canvas.clientWidth, H = this.canvas.clientHeight;
    const [u0, v0] = this.toPlane(0, 0);
    const [u1, v1] = this.toPlane(W, H);
    const k = 2 ** s;
    let su0 = Math.floor(u0 / k), su1 = Math.floor(u1 / k);
    let sv0 = Math.floor(v0 / k), sv1 = Math.floor(v1 / k);
    const ext = this.extentOf();
    if (ext) {
      su0 = Math.max(su0, Math.floor(ext.u[0] / k));
      su1 = Math.min(su1, Math.floor(ext.u[1] / k));
      sv0 = Math.max(sv0, Math.floor(ext.v[0] / k));
      sv1 = Math.min(sv1, Math.floor(ext.v[1] / k));
    }
    const out: Array<[number, number, number, number, number, number]> = [];
    for (let tv = Math.floor(sv0 / TILE); tv <= Math.floor(sv1 / TILE); tv++) {
      for (let tu = Math.floor(su0 / TILE); tu <= Math.floor(su1 / TILE); tu++) {
        const x0 = Math.max(tu * TILE, ext ? Math.floor(ext.u[0] / k) : -Infinity);
        const y0 = Math.max(tv * TILE, ext ? Math.floor(ext.v[0] / k) : -Infinity);
        const x1 = Math.min((tu + 1) * TILE - 1, ext ? Math.floor(ext.u[1] / k) : Infinity);
        const y1 = Math.min((tv + 1) * TILE - 1, ext ? Math.floor(ext.v[1] / k) : Infinity);
        if (x1 >= x0 && y1 >= y0) out.push([tu, tv, x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
      }
    }
    return out;
  }

  draw(): void {
    const c = this.canvas;
    const dpr = this.dpr;
    const W = c.clientWidth, H = c.clientHeight;
    if (c.width !== Math.round(W * dpr) || c.height !== Math.round(H * dpr)) {
      c.width = Math.round(W * dpr);
      c.height = Math.round(H * dpr);
    }
    const g = this.#ctx;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.imageSmoothingEnabled = false;
    g.fillStyle = '#1b1f27';
    g.fillRect(0, 0, W, H);

    const { zoom } = this.state;
    const s = this.effectiveScale();
    const k = 2 ** s;
    const ps = Math.floor(this.state.position / k);
    const ext = this.extentOf();
    const inside = !ext || (this.state.position >= ext.f[0] && this.state.position <= ext.f[1]);
    let loading = 0;
    let failed: string | null = null;
    const sx = (u: number) => (u - this.state.cu) * zoom + W / 2;
    const sy = (v: number) => (v - this.state.cv) * zoom + H / 2;
    if (inside) {
      for (const [tu, tv, x0, y0, w, h] of this.#visibleTiles(s)) {
        const key = this.#tileKey(s, ps, tu, tv);
        let tile = this.#tiles.get(key);
        if (!tile) {
          this.#request(key, { instance: this.state.instance, axis: this.state.axis, position: ps, scale: s, x0, y0, width: w, height: h });
          tile = this.#tiles.get(key)!;
        } else {
          // most recently used last
          this.#tiles.delete(key);
          this.#tiles.set(key, tile);
        }
        const rx = sx(x0 * k), ry = sy(y0 * k), rw = w * k * zoom, rh = h * k * zoom;
        if (tile.state === 'ready') {
          g.fillStyle = this.#hatch;
          if (tile.slice!.missing > 0) g.fillRect(rx, ry, rw, rh);
          g.drawImage(tile.image!, rx, ry, rw, rh);
        } else if (tile.state === 'loading') {
          loading++;
        } else {
          failed = tile.error;
        }
      }
      this.#evict();
    }
    if (ext) {
      g.strokeStyle = '#5b6475';
      g.lineWidth = 1;
      g.strokeRect(sx(ext.u[0]) - 0.5, sy(ext.v[0]) - 0.5, (ext.u[1] - ext.u[0] + 1) * zoom + 1, (ext.v[1] - ext.v[0] + 1) * zoom + 1);
    }
    this.#drawOverlay(g, W, H);
    this.onDraw?.(loading, failed);
  }

  /** A gapped crosshair at the centre (the centre pixel itself stays the data's) and a scale bar. */
  #drawOverlay(g: CanvasRenderingContext2D, W: number, H: number): void {
    const cx = Math.round(W / 2) + 0.5, cy = Math.round(H / 2) + 0.5;
    g.strokeStyle = 'rgba(255,255,255,0.75)';
    g.lineWidth = 1;
    g.beginPath();
    for (const [dx, dy] of [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0, -1],
    ] as const) {
      g.moveTo(cx + dx * 7, cy + dy * 7);
      g.lineTo(cx + dx * 15, cy + dy * 15);
    }
    g.stroke();
    // Scale bar: a round length near 100 CSS px.
    const nmPerVoxel = this.info.voxelSize[PLANE[this.state.axis][0]]!;
    const target = (100 / this.state.zoom) * nmPerVoxel;
    const pow = 10 ** Math.floor(Math.log10(target));
    const nice = [1, 2, 5, 10].map((m) => m * pow).filter((x) => x <= target).pop() ?? pow;
    const px = (nice / nmPerVoxel) * this.state.zoom;
    const label = nice >= 1000 ? `${nice / 1000} µm` : `${nice} nm`;
    g.fillStyle = 'rgba(16,20,28,0.7)';
    g.fillRect(10, H - 30, px + 16, 22);
    g.fillStyle = '#e6e9ef';
    g.fillRect(18, H - 14, px, 3);
    g.font = '11px system-ui, sans-serif';
    g.fillText(label, 18, H - 18);
  }

  /** What is under a point of the canvas (CSS px). */
  pick(x: number, y: number): Pick {
    const [u, v] = this.toPlane(x, y);
    const [ua, va, fa] = PLANE[this.state.axis];
    const voxel: [number, number, number] = [0, 0, 0];
    voxel[ua] = Math.floor(u);
    voxel[va] = Math.floor(v);
    voxel[fa] = this.state.position;
    const ext = this.info.extent;
    const outside = !!ext && [0, 1, 2].some((i) => voxel[i]! < ext.min[i]! || voxel[i]! > ext.max[i]!);
    if (outside) return { voxel, body: null, missing: false, outside };
    const s = this.effectiveScale();
    const k = 2 ** s;
    const su = Math.floor(voxel[ua]! / k), sv = Math.floor(voxel[va]! / k);
    const tile = this.#tiles.get(this.#tileKey(s, Math.floor(this.state.position / k), Math.floor(su / TILE), Math.floor(sv / TILE)));
    const sl = tile?.slice;
    if (!sl) return { voxel, body: null, missing: false, outside };
    const px = su - sl.x0, py = sv - sl.y0;
    if (px < 0 || py < 0 || px >= sl.width || py >= sl.height) return { voxel, body: null, missing: false, outside };
    const idx = sl.indices[py * sl.width + px]!;
    if (idx === SLICE_MISSING) return { voxel, body: null, missing: true, outside };
    return { voxel, body: sl.palette[idx]!.toString(), missing: false, outside };
  }

  /** Drops every tile (the cache changed: a sync finished, another node). */
  clear(): void {
    this.#tiles.clear();
    this.#queue.length = 0;
    this.requestDraw();
  }

  dispose(): void {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#resize.disconnect();
    this.#tiles.clear();
  }
}
