/**
 * A big body mesh in Chromium: its first frame already shows the body (the decimated preview the sync
 * prepared, framed), and the full mesh then replaces it in the same place and shape. The full mesh's
 * request is held until the preview has been read back, so the preview frame is looked at for sure.
 *
 * Setup: the small demo DVID; a bumpy sphere of 145 k triangles (nm, like FlyEM's meshes) is written
 * as one neuron's mesh on the open node, which is synced (meshes and annotations) into a fresh cache;
 * the built app runs in browser mode on it. Screenshots go to test-results/.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../../main/demo/index';
import { encodeNgmesh } from '../../main/formats/ngmesh';
import { parseInstanceArg } from '../../main/sync/scope';
import { PREVIEW_TRIANGLES } from '../../preload/binary';
import { bodyColor, type Rgb } from '../../renderer/src/viewer/colors';
import { startBuiltApp, type RunningApp } from '../support/built-app';
import { launchChromium, noChromium, RESULTS_DIR, watchPage } from '../support/chromium';
import { http } from '../support/demo';
import { read3d } from '../support/read3d';
import { runSync, startDemo, tempRoot } from '../support/sync-harness';
import { uvSphere } from '../support/uv-sphere';

const N = 270; // 2·270² = 145,800 triangles: over PREVIEW_ABOVE, so drawn through a preview

/** A UV sphere (nm) with low-frequency bumps, wound outward. */
function bumpySphere(n: number, c: [number, number, number], r: number): Uint8Array {
  return encodeNgmesh(uvSphere(n, c, (th, ph) => r * (1 + 0.15 * Math.sin(3 * th) * Math.cos(4 * ph) + 0.05 * Math.sin(9 * ph + 5 * th))));
}

const dist = (a: Rgb, b: Rgb): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

describe.skipIf(noChromium)('a big body mesh in Chromium: preview first, then the full mesh in its place', { timeout: 120_000 }, () => {
  const cleanups: Array<() => void> = [];
  let demo: DemoServer | null = null;
  let app: RunningApp;
  let browser: BrowserContext;
  let page: Page;
  let problems: string[];
  let body: bigint;

  beforeAll(async () => {
    demo = await startDemo();
    const node = demo.uuids.child;
    body = demo.truth.neuronBodies(1)[0]!;
    const r = await http(demo.url, `/api/node/${node}/segmentation_meshes/key/${body}.ngmesh`, { method: 'POST', body: bumpySphere(N, [20_000, 21_000, 22_000], 5000) });
    if (r.status !== 200) throw new Error(`POST mesh: ${r.status} ${r.text}`);
    const root = tempRoot(cleanups);
    const run = await runSync(demo, root, node, ['segmentation_meshes', 'segmentation_annotations'].map((n) => parseInstanceArg(n)));
    if (run.outcome?.state !== 'done') throw new Error(`the sync ended ${run.outcome?.state}`);
    app = await startBuiltApp(['web', '--no-open', '--port', '0', '--server', demo.url, '--cache', root]);
    browser = await launchChromium();
    page = await browser.newPage();
    problems = watchPage(page);
    await page.goto(app.url);
    await page.getByRole('contentinfo', { name: 'Status bar' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await demo?.close();
    for (const c of cleanups) c();
  });

  it('shows the body in its first frame (the preview), then the full mesh over the same pixels', async () => {
    const asked: Array<{ maxTriangles?: number }> = [];
    let release: (() => void) | null = null;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/call/bodyMesh', async (route) => {
      const arg = JSON.parse(route.request().postData() ?? '{}') as { maxTriangles?: number };
      asked.push(arg);
      if (arg.maxTriangles === undefined) await held;
      await route.continue();
    });
    await page.evaluate((h) => {
      location.hash = h;
    }, `#/body/${body}`);
    await page.waitForFunction((id) => performance.getEntriesByName(`dd:mesh:frame:${id}`).length > 0, body.toString(), { timeout: 60_000 });
    const preview = await read3d(page);
    await page.getByRole('img', { name: '3D view' }).screenshot({ path: join(RESULTS_DIR, `e2e-body-3d-preview-${body}.png`) });
    // The preview was asked for first, with the standard budget; the full mesh only once it was on screen.
    expect(asked).toEqual([{ bodyId: body.toString(), maxTriangles: PREVIEW_TRIANGLES }, { bodyId: body.toString() }]);

    release!();
    const status = page.getByRole('status', { name: '3D status' });
    await expect.poll(async () => `${await status.getAttribute('data-state')} ${await status.getAttribute('data-triangles')}`, { timeout: 60_000 }).toBe(`ready ${2 * N * N}`);
    await page.waitForFunction((id) => performance.getEntriesByName(`dd:mesh:full-frame:${id}`).length > 0, body.toString());
    const full = await read3d(page);
    await page.getByRole('img', { name: '3D view' }).screenshot({ path: join(RESULTS_DIR, `e2e-body-3d-full-${body}.png`) });
    await page.screenshot({ path: join(RESULTS_DIR, `e2e-body-view-big-mesh-${body}.png`) });

    // Both frames show the body: a real share of the canvas, in its colour.
    for (const f of [preview, full]) {
      expect(f.fraction).toBeGreaterThan(0.05);
      expect(Math.max(f.spanX, f.spanY)).toBeGreaterThan(0.3);
      expect(dist(f.mean, bodyColor(body.toString()))).toBeLessThan(90);
    }
    // Same place and size: the coverage agrees closely, and so do the occupied cells.
    expect(Math.abs(preview.fraction - full.fraction) / full.fraction).toBeLessThan(0.1);
    let both = 0, either = 0;
    for (let i = 0; i < 256; i++) {
      const a = preview.mask[i] === '1', b = full.mask[i] === '1';
      if (a && b) both++;
      if (a || b) either++;
    }
    expect(both / either).toBeGreaterThan(0.9);
    expect(problems).toEqual([]);
  });
});
