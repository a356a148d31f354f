/** The 3D view's canvas read back in the page: covered fraction (not background), covered box, mean colour of covered pixels, a coarse occupancy mask. */
import type { Page } from 'playwright-core';
import type { Rgb } from '../../renderer/src/viewer/colors';
import { SCENE_BACKGROUND } from '../../renderer/src/viewer/colors';

export interface Canvas3d {
  fraction: number;
  spanX: number;
  spanY: number;
  mean: Rgb;
  /** 16×16 cells, '1' where anything but background was drawn */
  mask: string;
}

export async function read3d(page: Page): Promise<Canvas3d> {
  return page.getByRole('img', { name: '3D view' }).evaluate((el, bgHex) => {
    const c = el as HTMLCanvasElement;
    const off = document.createElement('canvas');
    off.width = c.width;
    off.height = c.height;
    const g = off.getContext('2d')!;
    g.drawImage(c, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const bgr = parseInt(bgHex.slice(1, 3), 16), bgg = parseInt(bgHex.slice(3, 5), 16), bgb = parseInt(bgHex.slice(5, 7), 16);
    let n = 0, x0 = c.width, x1 = -1, y0 = c.height, y1 = -1;
    const sum = [0, 0, 0];
    // A coarse occupancy mask (16×16 cells) to compare two renderings by shape.
    const cells = new Uint8Array(256);
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const i = 4 * (y * c.width + x);
        if (Math.abs(d[i]! - bgr) + Math.abs(d[i + 1]! - bgg) + Math.abs(d[i + 2]! - bgb) <= 12) continue;
        n++;
        sum[0] += d[i]!;
        sum[1] += d[i + 1]!;
        sum[2] += d[i + 2]!;
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
        cells[Math.floor((16 * y) / c.height) * 16 + Math.floor((16 * x) / c.width)] = 1;
      }
    }
    return {
      fraction: n / (c.width * c.height),
      spanX: n ? (x1 - x0 + 1) / c.width : 0,
      spanY: n ? (y1 - y0 + 1) / c.height : 0,
      mean: (n ? sum.map((s) => s / n) : [0, 0, 0]) as unknown as Rgb,
      mask: Array.from(cells).join(''),
    };
  }, SCENE_BACKGROUND);
}
