/**
 * The body view (3D) and the slice viewer in Chromium, on the small demo dataset synced into a
 * temporary cache: the built app in browser mode against the demo DVID, which is stopped for the
 * last test (everything must still answer from the cache).
 *
 * The segmentation is synced for z < 256 only, so the upper half of the volume has no cached blocks
 * and must show as missing, never as label 0. Expected bodies, types and colours come from the
 * generator's ground truth (synapse positions with their supervoxel, the supervoxel → body mapping,
 * the annotation values it wrote) and the app's one colour function, never from the app's answers.
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../../main/demo/index';
import { parseInstanceArg } from '../../main/sync/scope';
import { BACKGROUND_RGB, bodyColor, type Rgb } from '../../renderer/src/viewer/colors';
import { startBuiltApp, type RunningApp } from '../support/built-app';
import { launchChromium, noChromium, RESULTS_DIR, unnamedControls, watchPage } from '../support/chromium';
import { json } from '../support/demo';
import { read3d as readCanvas3d } from '../support/read3d';
import { runSync, startDemo, tempRoot } from '../support/sync-harness';

/** Half-open z range of the segmentation that is synced; the rest of the volume stays uncached. */
const CACHED_Z = 256;
const SKIP = new Set(['mito_20190501.24734943', 'voxel-classes', 'segmentation_roi_voxels', 'bookmark_annotations', 'segmentation_todo', 'bookmarks']);

const dist = (a: Rgb, b: Rgb): number => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

interface Probe {
  body: bigint;
  voxel: [number, number, number];
}

describe.skipIf(noChromium)('body view and slice viewer in Chromium (small demo, synced cache)', { timeout: 120_000 }, () => {
  const cleanups: Array<() => void> = [];
  let demo: DemoServer | null = null;
  let truth: DemoServer['truth'];
  let app: RunningApp;
  let browser: BrowserContext;
  let page: Page;
  let problems: string[];
  let neurons: bigint[];
  /** body id → its `type` as the generator wrote it into segmentation_annotations */
  const typeOf = new Map<string, string | null>();

  /** A synapse of `body` (from the generator's table) whose voxel satisfies `where`: a voxel inside the body. */
  function voxelOf(body: bigint, where: (p: [number, number, number]) => boolean): Probe | null {
    const ds = truth.dataset;
    const { pos, sv } = ds.synapses;
    for (let i = 0; i < sv.length; i++) {
      if (ds.mappings[0][sv[i]!] !== body) continue;
      const p: [number, number, number] = [pos[3 * i]!, pos[3 * i + 1]!, pos[3 * i + 2]!];
      if (where(p)) return { body, voxel: p };
    }
    return null;
  }

  beforeAll(async () => {
    demo = await startDemo();
    truth = demo.truth;
    const root = demo.uuids.root;
    const info = await json<{ DataInstances: Record<string, unknown> }>(demo.url, `/api/repo/${root}/info`);
    const scopes = Object.keys(info.DataInstances)
      .filter((n) => !SKIP.has(n))
      .map((n) => parseInstanceArg(n === 'segmentation' ? `segmentation=bbox:0,0,0-512,512,${CACHED_Z};scales=0-1` : n));
    const cacheRoot = tempRoot(cleanups);
    const run = await runSync(demo, cacheRoot, root, scopes);
    if (run.outcome?.state !== 'done') throw new Error(`the sync ended ${run.outcome?.state}`);

    neurons = truth.neuronBodies(0);
    const ann = truth.dataset.keyvalues.segmentation_annotations!.root;
    for (const b of neurons) {
      const v = ann.get(b.toString());
      typeOf.set(b.toString(), v ? ((JSON.parse(Buffer.from(v).toString('utf8')) as { type?: string }).type ?? null) : null);
    }

    app = await startBuiltApp(['web', '--no-open', '--port', '0', '--server', demo.url, '--cache', cacheRoot]);
    browser = await launchChromium();
    page = await browser.newPage();
    problems = watchPage(page);
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()} ${r.request().postData() ?? ''}`);
    });
    await page.goto(app.url);
    await page.getByRole('contentinfo', { name: 'Status bar' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await demo?.close();
    for (const c of cleanups) c();
  });

  /** Opens `#/body/<path>` as a link in the app would (a same-document hash change), and waits for that body's page. */
  async function openBody(path: string): Promise<void> {
    // (page.goto with only a new fragment was seen not to commit right after a reload.)
    await page.evaluate((h) => {
      location.hash = h;
    }, `#/body/${path}`);
    await page.getByRole('heading', { level: 1, name: `Body ${path.split('?')[0]}` }).waitFor();
  }

  /** Waits until the 3D view shows `bodies` bodies with everything loaded, and reports what it draws. */
  async function drawn3d(focus: bigint, bodies = 1): Promise<{ meshes: number; skeletons: number; triangles: number; text: string }> {
    const status = page.getByRole('status', { name: '3D status' });
    await expect
      .poll(async () => `${await status.getAttribute('data-state')} ${await status.getAttribute('data-focus')} ${await status.getAttribute('data-bodies')}`, {
        timeout: 60_000,
      })
      .toBe(`ready ${focus} ${bodies}`);
    return {
      meshes: Number(await status.getAttribute('data-meshes')),
      skeletons: Number(await status.getAttribute('data-skeletons')),
      triangles: Number(await status.getAttribute('data-triangles')),
      text: (await status.textContent()) ?? '',
    };
  }

  const read3d = () => readCanvas3d(page);

  async function showSynapses(on: boolean): Promise<void> {
    const box = page.getByRole('checkbox', { name: 'Synapses' });
    if ((await box.isChecked()) !== on) await box.click();
  }

  it('draws a body that covers a meaningful part of the canvas after a reset, and two bodies differently', async () => {
    // Two neurons with clearly different colours (the colour function is the app's spec of "per-body colours").
    const a = neurons[0]!;
    const b = neurons.slice(1).toSorted((x, y) => dist(bodyColor(y), bodyColor(a)) - dist(bodyColor(x), bodyColor(a)))[0]!;

    await openBody(a.toString());
    await showSynapses(false);
    const first = await drawn3d(a);
    expect(first.meshes).toBe(1);
    const canvas = page.getByRole('img', { name: '3D view' });
    await canvas.scrollIntoViewIfNeeded();
    // Move away: orbit (drag), then zoom far out (wheel); then reset.
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 180, box.y + box.height / 2 + 60, { steps: 8 });
    await page.mouse.up();
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, 400);
    await page.waitForTimeout(200);
    const moved = await read3d();
    await page.getByRole('button', { name: 'Reset view' }).click();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const ra = await read3d();
    await page.screenshot({ path: join(RESULTS_DIR, `e2e-body-3d-reset-${a}.png`) });
    // The framed body: a real share of the pixels, spread over a good part of the canvas.
    expect(ra.fraction).toBeGreaterThan(0.03);
    expect(Math.max(ra.spanX, ra.spanY)).toBeGreaterThan(0.3);
    expect(ra.fraction).toBeGreaterThan(moved.fraction * 1.5);
    // Its pixels carry its colour (lit: the mean lies near the body colour, far from the others').
    expect(dist(ra.mean, bodyColor(a))).toBeLessThan(dist(ra.mean, bodyColor(b)));

    await openBody(b.toString());
    await showSynapses(false);
    expect((await drawn3d(b)).meshes).toBe(1);
    const rb = await read3d();
    await page.screenshot({ path: join(RESULTS_DIR, `e2e-body-3d-reset-${b}.png`) });
    // Multisampling only where a GPU draws (headless Chromium here draws with SwiftShader, in software).
    const gl = await page.evaluate(() => {
      const probe = document.createElement('canvas').getContext('webgl2')!;
      const info = probe.getExtension('WEBGL_debug_renderer_info')!;
      const view = (document.querySelector('canvas.gl') as HTMLCanvasElement).getContext('webgl2')!;
      return { renderer: String(probe.getParameter(info.UNMASKED_RENDERER_WEBGL)), antialias: view.getContextAttributes()!.antialias };
    });
    expect(gl.antialias).toBe(!/swiftshader|llvmpipe|softpipe|software/i.test(gl.renderer));
    expect(rb.fraction).toBeGreaterThan(0.03);
    expect(dist(rb.mean, bodyColor(b))).toBeLessThan(dist(rb.mean, bodyColor(a)));
    // Different shape and colour.
    const diffCells = [...ra.mask].filter((c, i) => c !== rb.mask[i]).length;
    expect(diffCells).toBeGreaterThan(10);
    expect(dist(ra.mean, rb.mean)).toBeGreaterThan(40);
    await showSynapses(true);
  });

  it('shows annotation fields as text, ROI breakdown and partner tables whose rows open bodies', async () => {
    // The typed neuron with the most synapses where the segmentation is cached (so in ROIs, with partners).
    const inCache = new Map<bigint, number>();
    const { pos, sv } = truth.dataset.synapses;
    for (let i = 0; i < sv.length; i++) {
      const b = truth.dataset.mappings[0][sv[i]!]!;
      if (pos[3 * i + 2]! < CACHED_Z) inCache.set(b, (inCache.get(b) ?? 0) + 1);
    }
    const a = neurons.filter((b) => typeOf.get(b.toString())).toSorted((x, y) => (inCache.get(y) ?? 0) - (inCache.get(x) ?? 0))[0]!;
    await openBody(a.toString());
    const fields = page.getByRole('table', { name: 'Annotation fields' });
    await fields.waitFor();
    await expect(fields.getByRole('row', { name: /^type/ }).textContent()).resolves.toContain(typeOf.get(a.toString())!);
    await page.getByRole('table', { name: 'ROI breakdown' }).waitFor();
    const up = page.getByRole('table', { name: 'Upstream (inputs)' });
    const rows = up.locator('tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    const firstRow = rows.first();
    const partner = /Open body (\d+)/.exec((await firstRow.getAttribute('aria-label')) ?? '')![1]!;
    await firstRow.click();
    await page.getByRole('heading', { level: 1, name: `Body ${partner}` }).waitFor();
    expect(page.url()).toContain(`#/body/${partner}`);
    expect(await unnamedControls(page)).toEqual([]);
  });

  it('falls back to skeletons over the triangle budget, with several bodies at once', async () => {
    const [first, ...rest] = neurons;
    await openBody(`${first}?with=${rest.join(',')}`);
    const all = await drawn3d(first!, neurons.length);
    // Under the default budget (3 M) the small demo's meshes all fit.
    expect(all.meshes).toBe(neurons.length);
    expect(all.skeletons).toBe(0);
    await page.getByRole('combobox', { name: 'Triangle budget' }).selectOption({ label: '50 k' });
    await expect.poll(async () => (await drawn3d(first!, neurons.length)).skeletons, { timeout: 60_000 }).toBeGreaterThan(0);
    const over = await drawn3d(first!, neurons.length);
    expect(over.meshes).toBeGreaterThanOrEqual(1);
    expect(over.meshes).toBeLessThan(neurons.length);
    expect(over.meshes + over.skeletons).toBe(neurons.length);
    expect(over.text).toMatch(/drawn as skeletons/);
    expect(over.triangles).toBeGreaterThan(0);
    expect(over.triangles).toBeLessThanOrEqual(50_000);
    const chips = page.getByRole('list', { name: 'Bodies in the 3D view' });
    await expect(chips.getByText('skeleton', { exact: true }).count()).resolves.toBe(over.skeletons);
    const r = await read3d();
    expect(r.fraction).toBeGreaterThan(0.02);
    await page.screenshot({ path: join(RESULTS_DIR, 'e2e-body-3d-budget-50k-skeleton-fallback.png') });
    await page.getByRole('combobox', { name: 'Triangle budget' }).selectOption({ label: '3 M' });
  });

  it('says so when a body has neither mesh nor skeleton', async () => {
    const ns = new Set(neurons);
    // A fragment with synapses where the segmentation is cached: the derived tables know it; the generator made no mesh or skeleton for it.
    const fragment = truth.bodies(0).find((b) => !ns.has(b) && voxelOf(b, (p) => p[2] < CACHED_Z))!;
    await openBody(fragment.toString());
    const note = page.getByRole('note').filter({ hasText: `Body ${fragment} has no mesh or skeleton` });
    await note.waitFor();
    const d = await drawn3d(fragment);
    expect(d.meshes + d.skeletons).toBe(0);
    await expect(note.isVisible()).resolves.toBe(true);
  });

  /** Opens `probe`'s voxel in the slice (XY, centred) and returns the canvas pixel under the centre. */
  async function centrePixel(probe: Probe, axis: 'XY' | 'XZ' = 'XY'): Promise<{ rgb: Rgb; hover: string }> {
    await openBody(`${probe.body}?at=${probe.voxel.join(',')}`);
    const canvas = page.getByRole('img', { name: 'Slice view' });
    await canvas.waitFor();
    if (axis !== 'XY') await page.getByRole('group', { name: 'Plane' }).getByRole('button', { name: axis }).click();
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const cx = Math.floor(box.width / 2), cy = Math.floor(box.height / 2);
    const read = () =>
      canvas.evaluate(
        (el, [x, y]) => {
          const c = el as HTMLCanvasElement;
          const k = c.width / c.clientWidth;
          const d = c.getContext('2d')!.getImageData(Math.floor(x! * k), Math.floor(y! * k), 1, 1).data;
          return [d[0]!, d[1]!, d[2]!] as const;
        },
        [cx, cy],
      );
    // Point at the centre and wait until the view answers for exactly that voxel with its tiles
    // (rendered in main's worker pool) drawn.
    await page.mouse.move(box.x + cx + 0.5, box.y + cy + 0.5);
    const hover = page.getByRole('status', { name: 'Hovered body' });
    const [x, y, z] = probe.voxel;
    await expect
      .poll(async () => (await page.getByText(/loading \d+ tile/).count()) === 0 && ((await hover.textContent()) ?? ''), { timeout: 20_000 })
      .toMatch(new RegExp(`x ${x}, y ${y}, z ${z}: (body|no body|not in the cache)`));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    return { rgb: (await read()) as unknown as Rgb, hover: (await hover.textContent()) ?? '' };
  }

  it('colours a known voxel of the slice with its body colour, and hovering it names the body and its type', async () => {
    // A synapse voxel of a typed neuron in the cached half, away from the block edges of the window.
    const body = neurons.find((b) => typeOf.get(b.toString()) && voxelOf(b, (p) => p[2] < CACHED_Z - 8))!;
    const probe = voxelOf(body, (p) => p[2] < CACHED_Z - 8)!;
    const { rgb, hover } = await centrePixel(probe);
    expect(rgb).toEqual(bodyColor(body));
    expect(hover).toContain(`x ${probe.voxel[0]}, y ${probe.voxel[1]}, z ${probe.voxel[2]}`);
    expect(hover).toContain(`body ${body}`);
    expect(hover).toContain(typeOf.get(body.toString())!);
    await page.screenshot({ path: join(RESULTS_DIR, `e2e-slice-xy-known-voxel-body-${body}.png`) });
    // A click opens the body under the pointer (the same one here: the view stays on it, the URL too).
    const canvas = page.getByRole('img', { name: 'Slice view' });
    const box = (await canvas.boundingBox())!;
    await page.mouse.click(box.x + Math.floor(box.width / 2) + 0.5, box.y + Math.floor(box.height / 2) + 0.5);
    await page.getByRole('heading', { level: 1, name: `Body ${body}` }).waitFor();
  });

  it('shows uncached blocks as missing (hatched), not as label 0, and names them so on hover', async () => {
    const body = neurons.find((b) => voxelOf(b, (p) => p[2] >= CACHED_Z + 8))!;
    const probe = voxelOf(body, (p) => p[2] >= CACHED_Z + 8)!;
    const { rgb, hover } = await centrePixel(probe);
    expect(hover).toMatch(/not in the cache/);
    // The hatch is grey (r ≈ g ≈ b, mid-dark), unlike label 0 (near-black) or any body colour.
    expect(Math.max(...rgb) - Math.min(...rgb)).toBeLessThan(30);
    expect(Math.min(...rgb)).toBeGreaterThan(45);
    expect(rgb).not.toEqual(BACKGROUND_RGB);
    expect(rgb).not.toEqual(bodyColor(body));
    // XZ through a voxel just below the boundary: cached labels above z = 256, hatch below.
    const edge = voxelOf(neurons[0]!, (p) => p[2] < CACHED_Z && p[2] > CACHED_Z - 60) ?? probe;
    await centrePixel(edge, 'XZ');
    await page.screenshot({ path: join(RESULTS_DIR, 'e2e-slice-xz-missing-blocks-hatched.png') });
  });

  it('keeps working with the demo server stopped: 3D and slices come from the cache', async () => {
    await demo!.close();
    demo = null;
    const body = neurons.find((b) => b !== neurons[0] && voxelOf(b, (p) => p[2] < CACHED_Z - 8))!;
    // The app notices on its next check (a periodic one, or this one a user asks for).
    await page.evaluate(() => fetch('/api/call/connectionStatus', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"refresh":true}' }));
    // A new window (the session cookie stays): the app starts over with nothing in the renderer's memory.
    expect(problems).toEqual([]);
    await page.close();
    page = await browser.newPage();
    problems = watchPage(page);
    await page.goto(`${app.origin}/#/connect`);
    await page.getByRole('contentinfo', { name: 'Status bar' }).getByText('Offline').waitFor({ timeout: 30_000 });
    const probe = voxelOf(body, (p) => p[2] < CACHED_Z - 8)!;
    const { rgb, hover } = await centrePixel(probe);
    expect(rgb).toEqual(bodyColor(body));
    expect(hover).toContain(`body ${body}`);
    await openBody(body.toString());
    await showSynapses(true);
    const d = await drawn3d(body);
    expect(d.meshes).toBe(1);
    expect((await read3d()).fraction).toBeGreaterThan(0.03);
    await page.getByRole('table', { name: 'Annotation fields' }).waitFor();
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(RESULTS_DIR, `e2e-body-view-offline-${body}.png`), fullPage: true });
  });
});
