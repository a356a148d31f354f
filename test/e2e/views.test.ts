/**
 * Issue 8 end to end in Chromium (browser mode, the built app), on the demo dataset (small preset)
 * served by its own process so it can be stopped mid-session:
 * - Connect & Sync: the DAG, the instances, a refused plan and how to narrow it, a sync with progress;
 * - Neurons: a search by type returns exactly the bodies of that type (the server's annotations are
 *   the truth), filters narrow correctly, CSV export, a row opens its body;
 * - ROIs: the table's numbers equal the derived tables (read from derived.sqlite), a matrix cell opens
 *   the search it stands for;
 * - with the demo server stopped every view still answers and the indicator says offline, then
 *   online again when it returns;
 * - an annotation containing HTML is shown as text; no console errors anywhere.
 * The 100 k-row table runs on a synthetic cache (test/support/big-search-cache.ts).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIG_BODIES, buildBigSearchCache } from '../support/big-search-cache';
import { startBuiltApp, type RunningApp } from '../support/built-app';
import { launchChromium, noChromium, RESULTS_DIR, unnamedControls, watchPage } from '../support/chromium';
import { http, json } from '../support/demo';
import { startDemoProcess, type DemoProcess } from '../support/demo-cli';

const HTML_TYPE = '<b>bold</b><img src=x onerror="window.xssRan=1">';

const shot = (page: Page, name: string) => page.screenshot({ path: join(RESULTS_DIR, `e2e-${name}.png`), fullPage: false });

/** The body annotations of a node, straight from the server (the truth for type and status). */
async function annotations(base: string, uuid: string): Promise<Map<string, Record<string, unknown>>> {
  const raw = await json<Record<string, unknown>>(base, `/api/node/${uuid}/segmentation_annotations/keyrangevalues/0/99999999999999999999?json=true`);
  const out = new Map<string, Record<string, unknown>>();
  for (const [k, v] of Object.entries(raw)) out.set(k, (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>);
  return out;
}
const typeOf = (a: Record<string, unknown>) => (a.type ?? a.class ?? null) as string | null;

/** Body ids in the neuron table's rendered rows, in order. */
async function shownIds(page: Page): Promise<string[]> {
  return page.locator('table[aria-label="Neuron results"] tbody tr:not(.spacer) td.c-id').allTextContents();
}

async function resultTotal(page: Page): Promise<number> {
  const el = page.locator('.result-count strong');
  await el.waitFor();
  return Number((await el.textContent())!.replace(/,/g, ''));
}

/** Waits until the neuron search shows the answer to the URL's query (the result count settles). */
async function settled(page: Page): Promise<number> {
  await page.waitForFunction(() => !document.querySelector('.neuron-table tbody tr.loading'));
  await page.waitForTimeout(250);
  return resultTotal(page);
}

async function search(page: Page, text: string): Promise<number> {
  const box = page.getByRole('searchbox', { name: 'Neuron search' });
  await box.fill(text);
  await box.press('Enter');
  await page.waitForFunction((t) => decodeURIComponent(location.hash).includes(`q=${t}`) || new URLSearchParams(location.hash.split('?')[1]).get('q') === t, text);
  return settled(page);
}

describe.skipIf(noChromium)('issue 8 views in Chromium on the demo dataset', () => {
  let demo: DemoProcess;
  let app: RunningApp;
  let browser: BrowserContext;
  let page: Page;
  let problems: string[];
  let child = '';
  let root = '';
  let truth: Map<string, Record<string, unknown>>;
  let htmlBody = '';

  beforeAll(async () => {
    demo = await startDemoProcess();
    const repos = await json<Record<string, { Root: string; DAG: { Nodes: Record<string, { UUID: string; Locked: boolean; Children: number[] }> } }>>(demo.url, '/api/repos/info');
    const repo = Object.values(repos)[0]!;
    root = repo.Root;
    child = Object.values(repo.DAG.Nodes).find((n) => !n.Locked)!.UUID;
    // A proofreader typed HTML into a type field on the open node.
    const before = await annotations(demo.url, child);
    const [id, ann] = [...before.entries()].find(([, a]) => typeOf(a))!;
    htmlBody = id;
    const edited = { bodyid: Number(id), type: HTML_TYPE, instance: `${HTML_TYPE}_R`, status: typeof ann.status === 'string' ? ann.status : 'Traced' };
    const posted = await http(demo.url, `/api/node/${child}/segmentation_annotations/key/${id}`, { method: 'POST', body: JSON.stringify(edited) });
    if (posted.status !== 200) throw new Error(`POST annotation: ${posted.status} ${posted.text}`);
    truth = await annotations(demo.url, child);
    if (typeOf(truth.get(id)!) !== HTML_TYPE) throw new Error('the edited annotation did not stick');

    app = await startBuiltApp(['web', '--no-open', '--port', '0', '--server', demo.url], { DVID_DESK_POLL_MS: '1000' });
    browser = await launchChromium();
    page = await browser.newPage();
    problems = watchPage(page);
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await demo?.stop();
  });

  it('Connect & Sync: DAG, instances, a refused plan with how to narrow it, then a sync with progress', async () => {
    await page.goto(app.url);
    await page.getByRole('heading', { name: 'Connect & Sync' }).waitFor();
    const status = page.getByRole('contentinfo', { name: 'Status bar' });
    await status.getByLabel('Connection').getByText('Online').waitFor();
    // The DAG: the locked root and the open child.
    const dag = page.locator('table.dag-table');
    await dag.locator(`tr[data-node="${root}"]`).getByText('locked', { exact: true }).waitFor();
    await dag.locator(`tr[data-node="${child}"]`).getByText('open', { exact: true }).waitFor();
    await dag.locator(`tr[data-node="${child}"]`).click();
    await page.getByRole('heading', { name: `Instances of node ${child.slice(0, 8)}` }).waitFor();
    const instances = page.getByRole('table', { name: 'Instances' });
    await instances.getByRole('rowheader', { name: 'synapses', exact: true }).waitFor();
    await expect(instances.locator('tr', { has: page.getByRole('rowheader', { name: 'segmentation', exact: true }) }).locator('.type-tag').textContent()).resolves.toBe('labelmap');

    await page.getByRole('button', { name: 'Select what search & ROIs need' }).click();
    await expect(page.getByLabel('Scope of segmentation', { exact: true }).inputValue()).resolves.toBe('all;scales=0');
    // Over the size limit: refused, saying how to narrow it.
    await page.getByLabel('Size limit (GiB)').fill('0.00001');
    await page.getByRole('button', { name: 'Plan sync' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'Refused' });
    await refusal.waitFor();
    await refusal.scrollIntoViewIfNeeded();
    await expect(refusal.textContent()).resolves.toMatch(/narrow/i);
    expect(await page.getByRole('button', { name: 'Start sync' }).isDisabled()).toBe(true);
    await shot(page, 'connect-plan-refused');

    await page.getByLabel('Size limit (GiB)').fill('4');
    await page.getByRole('button', { name: 'Plan sync' }).click();
    await page.getByRole('status', { name: 'Sync plan' }).getByText('Estimated').waitFor();
    await page.getByRole('status', { name: 'Sync plan' }).scrollIntoViewIfNeeded();
    const est = await instances.locator('tr', { has: page.getByRole('rowheader', { name: 'synapses', exact: true }) }).locator('td.c-num').last().textContent();
    expect(est).toMatch(/\d.*(B|KiB|MiB)/);
    await shot(page, 'connect-plan-estimate');
    await page.getByRole('button', { name: 'Start sync' }).click();
    const job = page.getByRole('group', { name: /Sync job \d+/ });
    await job.getByRole('progressbar').waitFor();
    await job.getByRole('status').getByText('Done').waitFor({ timeout: 120_000 });
    await expect(job.getByRole('progressbar').getAttribute('aria-valuenow')).resolves.toBe('100');
    // The synced node became the active one; the cache panel shows where and how big.
    await status.getByLabel('Active node').getByText(child.slice(0, 8)).waitFor();
    const cacheTable = page.getByRole('table', { name: 'Cache location and size' });
    await cacheTable.getByText(app.cacheDir).first().waitFor();
    await cacheTable.getByRole('row', { name: /Size on disk\s*[\d.]+ (KiB|MiB)/ }).waitFor();
    await page.getByRole('table', { name: 'What the active node holds' }).getByRole('rowheader', { name: 'synapses', exact: true }).waitFor();
    await dag.locator(`tr[data-node="${child}"]`).getByText('active').waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await shot(page, 'connect-sync-done');
    expect(problems).toEqual([]);
  }, 180_000);

  it('a search by type returns exactly the bodies of that type, ranked first; Enter opens the body', async () => {
    const types = new Map<string, string[]>();
    for (const [id, a] of truth) {
      const t = typeOf(a);
      if (t && t !== HTML_TYPE) types.set(t, [...(types.get(t) ?? []), id]);
    }
    // The type with the most bodies (several rows to compare).
    const [type, ids] = [...types.entries()].toSorted((a, b) => b[1].length - a[1].length)[0]!;
    await page.getByRole('link', { name: 'Neurons' }).click();
    const total = await search(page, type);
    const shown = await shownIds(page);
    expect(shown).toHaveLength(total);
    const types2 = await page.locator('table[aria-label="Neuron results"] tbody tr:not(.spacer) td.c-type').allTextContents();
    const exact = shown.filter((_, i) => types2[i] === type);
    expect(exact.toSorted()).toEqual(ids.toSorted());
    // Exact type matches rank first; anything after matched the text elsewhere (instance, a longer type).
    expect(shown.slice(0, ids.length).toSorted()).toEqual(ids.toSorted());
    const instances = await page.locator('table[aria-label="Neuron results"] tbody tr:not(.spacer) td.c-inst').allTextContents();
    for (let i = ids.length; i < shown.length; i++) expect(`${types2[i]} ${instances[i]}`.toLowerCase()).toContain(type.toLowerCase());
    // Counts explain themselves.
    await expect(page.getByRole('columnheader', { name: 'Pre' }).getByRole('button').getAttribute('title')).resolves.toMatch(/T-bars/);
    await expect(page.getByRole('columnheader', { name: 'Post' }).getByRole('button').getAttribute('title')).resolves.toMatch(/PSDs.*inputs.*upstream/);
    for (const h of ['Body ID', 'Type', 'Instance', 'Status', 'Pre', 'Post', 'ROI breakdown']) await page.getByRole('columnheader', { name: h }).waitFor();
    await shot(page, 'neurons-search-by-type');
    // Keyboard: focus the table, move down, Enter opens that body.
    const table = page.getByRole('grid', { name: 'Neuron results' });
    await table.focus();
    await table.press('ArrowDown');
    await table.press('Enter');
    await page.waitForURL(new RegExp(`#/body/${shown[1]}$`));
    await page.getByRole('heading', { name: `Body ${shown[1]}` }).waitFor();
    await expect(page.locator('td[data-field="type"]').textContent()).resolves.toBe(typeOf(truth.get(shown[1]!)!));
    await page.goBack();
    await page.getByRole('searchbox', { name: 'Neuron search' }).waitFor();
    expect(problems).toEqual([]);
  }, 60_000);

  it('filters narrow correctly (status, minimum pre, output ROI) and the CSV holds exactly what is shown', async () => {
    await page.goto(`${app.origin}/#/neurons`);
    const all = await settled(page);
    // Status: the server's annotations say which bodies are Traced.
    const traced = [...truth.entries()].filter(([, a]) => a.status === 'Traced').map(([id]) => id);
    expect(traced.length).toBeGreaterThan(0);
    await page.locator('details.status-filter summary').click();
    await page.getByRole('group', { name: 'Statuses' }).getByRole('checkbox', { name: /^Traced\b/ }).check();
    await page.waitForFunction(() => location.hash.includes('st=Traced'));
    const nTraced = await settled(page);
    expect(nTraced).toBe(traced.length);
    expect(nTraced).toBeLessThan(all);
    await page.locator('details.status-filter summary').click();
    const statuses = await page.locator('table[aria-label="Neuron results"] tbody tr:not(.spacer) td.c-status').allTextContents();
    expect(new Set(statuses.map((s) => s.trim()))).toEqual(new Set(['Traced']));
    // Minimum pre: every row has at least that many T-bars, and fewer rows remain.
    const pres = (await page.locator('table[aria-label="Neuron results"] tbody tr:not(.spacer) td.c-num:nth-child(5)').allTextContents()).map((s) => Number(s.replace(/,/g, '')));
    const cut = pres.toSorted((a, b) => a - b)[Math.floor(pres.length / 2)]!;
    await page.getByLabel('Minimum pre (T-bars, outputs)').fill(String(cut));
    await page.getByLabel('Minimum pre (T-bars, outputs)').press('Enter');
    await page.waitForFunction((c) => location.hash.includes(`pre=${c}`), cut);
    const nPre = await settled(page);
    expect(nPre).toBe(pres.filter((p) => p >= cut).length);
    const pres2 = (await page.locator('table[aria-label="Neuron results"] tbody tr:not(.spacer) td.c-num:nth-child(5)').allTextContents()).map((s) => Number(s.replace(/,/g, '')));
    expect(pres2.every((p) => p >= cut)).toBe(true);
    await shot(page, 'neurons-filters');

    // CSV of exactly what is shown: same rows, same order, the table's columns.
    const shown = await shownIds(page);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trimEnd().split(/\r?\n/);
    expect(lines).toHaveLength(nPre + 1);
    expect(lines[0]).toMatch(/Body ID.*Type.*Instance.*Status.*Pre.*Post/i);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(shown);
    expect(problems).toEqual([]);
  }, 60_000);

  it('ROI table numbers equal the derived tables; a matrix cell opens the matching search', async () => {
    await page.goto(`${app.origin}/#/rois`);
    const table = page.getByRole('table', { name: 'Primary ROIs' });
    await table.locator('tbody tr').first().waitFor();
    const rows = await table.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector('th')!.textContent!.trim(), ...[...tr.querySelectorAll('td.c-num')].map((td) => Number(td.textContent!.replace(/,/g, '')))] as const),
    );
    // The derived tables, read from the app's cache folder by SQLite itself.
    const dir = join(app.cacheDir, new URL(demo.url).host.replace(':', '_'), root);
    const db = new Database(join(dir, 'derived.sqlite'), { readonly: true, fileMustExist: true });
    const derived = db.prepare('SELECT name, pre, post, bodies, bodies_pre, bodies_post FROM rois WHERE is_primary = 1').all() as Array<{ name: string; pre: number; post: number; bodies: number; bodies_pre: number; bodies_post: number }>;
    db.close();
    expect(rows.length).toBe(derived.length);
    expect(derived.some((r) => r.pre > 0)).toBe(true);
    const byName = new Map(rows.map(([name, ...n]) => [name, n]));
    for (const r of derived) expect([r.name, byName.get(r.name)]).toEqual([r.name, [r.pre, r.post, r.bodies, r.bodies_pre, r.bodies_post]]);

    // The tree of every ROI.
    await page.getByLabel('All ROIs (hierarchy)').check();
    const tree = page.getByRole('treegrid', { name: 'ROIs (hierarchy)' });
    await tree.getByRole('button', { name: /^Expand / }).first().click();
    await tree.locator('tr[aria-level="2"]').first().waitFor();
    await shot(page, 'rois-table-tree');

    // The heat map: the strongest pair by neurons, clicked on the canvas.
    await page.getByRole('button', { name: 'Neurons', exact: true }).click();
    const pair = page.getByRole('table', { name: 'Strongest ROI pairs' }).locator('tbody tr').first();
    const [a, b, , n] = await pair.locator('td').allTextContents();
    const m = await page.evaluate(async () => {
      const r = await fetch('/api/call/roiConnectivity', { method: 'POST', credentials: 'same-origin' });
      return ((await r.json()) as { result: { rois: string[] } }).result.rois;
    });
    const box = page.locator('.heatmap-box');
    const [left, top, size] = await Promise.all(['data-grid-left', 'data-grid-top', 'data-grid-size'].map(async (k) => Number(await box.getAttribute(k))));
    const cell = size! / m.length;
    await box.scrollIntoViewIfNeeded();
    await shot(page, 'rois-heatmap');
    await box.click({ position: { x: left! + (m.indexOf(b!) + 0.5) * cell, y: top! + (m.indexOf(a!) + 0.5) * cell } });
    await page.waitForURL(/#\/neurons\?/);
    const q = new URLSearchParams(page.url().split('?')[1]);
    expect([q.get('out'), q.get('in')]).toEqual([a, b]);
    expect(await settled(page)).toBe(Number(n!.replace(/,/g, '')));
    // Each row has T-bars in the row ROI and PSDs in the column ROI (the filter ROIs get columns).
    const pre = await page.locator('table[aria-label="Neuron results"] tbody tr:not(.spacer)').evaluateAll(
      (trs, [ra, rb]) => {
        const head = [...document.querySelectorAll('.neuron-table thead tr:nth-child(2) th')].map((th) => th.querySelector('button')?.getAttribute('aria-label'));
        const ia = head.indexOf(`${ra} pre`);
        const ib = head.indexOf(`${rb} post`);
        return trs.map((tr) => {
          const roiCells = [...tr.querySelectorAll('td.c-roi')].map((td) => Number(td.textContent!.replace(/,/g, '')));
          return [roiCells[ia]!, roiCells[ib]!];
        });
      },
      [a!, b!],
    );
    expect(pre.length).toBeGreaterThan(0);
    for (const [p, s] of pre) expect(p >= 1 && s >= 1).toBe(true);
    await shot(page, 'neurons-from-matrix-cell');
    expect(problems).toEqual([]);
  }, 90_000);

  it('an annotation containing HTML is shown as text, in the table and on the body page', async () => {
    await page.goto(`${app.origin}/#/neurons`);
    await search(page, htmlBody);
    const typeCell = page.locator('table[aria-label="Neuron results"] tbody tr:not(.spacer) td.c-type').first();
    await expect(typeCell.textContent()).resolves.toBe(HTML_TYPE);
    expect(await page.locator('.neuron-table b, .neuron-table img').count()).toBe(0);
    await page.getByRole('grid', { name: 'Neuron results' }).locator('tbody tr:not(.spacer)').first().click();
    await page.waitForURL(new RegExp(`#/body/${htmlBody}$`));
    await expect(page.locator('td[data-field="type"]').textContent()).resolves.toBe(HTML_TYPE);
    await page.getByText('Annotation as stored').click();
    await expect(page.getByLabel('Annotation JSON').textContent()).resolves.toContain('<img src=x onerror=');
    expect(await page.locator('main img, main b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { xssRan?: number }).xssRan)).toBeUndefined();
    await shot(page, 'body-html-annotation-as-text');
    expect(problems).toEqual([]);
  }, 60_000);

  it('with the demo server stopped every view still answers and the indicator says offline; online again when it returns', async () => {
    const status = page.getByRole('contentinfo', { name: 'Status bar' });
    const port = demo.port;
    await demo.stop();
    await status.getByLabel('Connection').getByText('Offline').waitFor({ timeout: 15_000 });
    // The active node is open: the app says what may be stale and since when.
    await status.getByLabel('Freshness').getByText(/may be stale/).waitFor();

    // Search.
    await page.goto(`${app.origin}/#/neurons`);
    const n = await search(page, htmlBody);
    expect(n).toBeGreaterThan(0);
    const [type] = [...truth.values()].map(typeOf).filter((t): t is string => !!t && t !== HTML_TYPE);
    expect(await search(page, type!)).toBeGreaterThan(0);
    await shot(page, 'offline-neurons');
    // ROIs and connectivity.
    await page.getByRole('link', { name: 'ROIs' }).click();
    // (the hierarchy is still switched on from the ROI test)
    await page.getByRole('treegrid', { name: 'ROIs (hierarchy)' }).locator('tbody tr').first().waitFor();
    await page.locator('.heatmap-box canvas').waitFor();
    expect(await page.getByRole('table', { name: 'Strongest ROI pairs' }).locator('tbody tr').count()).toBeGreaterThan(1);
    await shot(page, 'offline-rois');
    // A body and its partners.
    await page.goto(`${app.origin}/#/body/${htmlBody}`);
    await page.locator('td[data-field="type"]').waitFor();
    const partners = (await page.getByRole('table', { name: 'Upstream (inputs)' }).locator('tbody tr').count()) + (await page.getByRole('table', { name: 'Downstream (outputs)' }).locator('tbody tr').count());
    expect(partners).toBeGreaterThan(0);
    // Connect & Sync: the DAG from the cache.
    await page.getByRole('link', { name: 'Connect & Sync' }).click();
    await page.getByText('from the cache').waitFor();
    await page.getByText('The server does not answer').waitFor();
    await shot(page, 'offline-connect');

    demo = await startDemoProcess(port);
    await status.getByLabel('Connection').getByText('Online').waitFor({ timeout: 20_000 });
    expect(await status.getByLabel('Freshness').count()).toBe(0);
    await shot(page, 'back-online');
    expect(problems.filter((p) => !/Failed to load resource.*(ERR_CONNECTION_REFUSED)/.test(p))).toEqual([]);
  }, 120_000);
});

describe.skipIf(noChromium)('the neuron table with 100 k rows', () => {
  let app: RunningApp;
  let browser: BrowserContext;
  let maxId: bigint;

  beforeAll(async () => {
    const server = { url: 'http://127.0.0.1:9', label: '127.0.0.1:9', demo: false };
    const root = mkdtempSync(join(tmpdir(), 'dd-big-'));
    const { fx } = buildBigSearchCache(root, server);
    maxId = fx.bodies.reduce((m, b) => (b > m ? b : m), 0n);
    app = await startBuiltApp(['web', '--no-open', '--port', '0', '--server', server.url, '--cache', root], { DVID_DESK_POLL_MS: '0' });
    app.cacheDir = root;
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('keeps a bounded number of rows in the DOM, scrolls, and reaches the last row', async () => {
    const page = await browser.newPage();
    const problems = watchPage(page);
    await page.goto(app.url);
    await page.getByRole('link', { name: 'Neurons' }).click();
    await page.locator('.result-count strong').waitFor({ timeout: 120_000 });
    const total = await resultTotal(page);
    expect(total).toBeGreaterThanOrEqual(BIG_BODIES);
    const grid = page.getByRole('grid', { name: 'Neuron results' });
    await expect(grid.getAttribute('aria-rowcount')).resolves.toBe(String(total + 1));
    const domRows = () => page.locator('.neuron-table tbody tr:not(.spacer)').count();
    expect(await domRows()).toBeLessThan(80);
    // Sort by body id, ascending; the last row is the largest id (uint64 order, past 2^63).
    await page.getByRole('columnheader', { name: 'Body ID' }).getByRole('button').click();
    await page.waitForFunction(() => location.hash.includes('sort=bodyId'));
    await settled(page);
    // Scroll through the middle with the wheel, then End with the keyboard.
    const scroller = page.locator('.table-scroller');
    await scroller.hover();
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, 40_000);
    await page.waitForTimeout(300);
    expect(await domRows()).toBeLessThan(80);
    await grid.focus();
    await grid.press('End');
    const last = page.locator(`.neuron-table tbody tr[aria-rowindex="${total + 1}"] td.c-id`);
    await last.waitFor({ timeout: 30_000 });
    await expect(last.textContent()).resolves.toBe(maxId.toString());
    expect(await domRows()).toBeLessThan(80);
    await page.screenshot({ path: join(RESULTS_DIR, 'e2e-neurons-100k-last-row.png') });
    await grid.press('Home');
    await page.locator('.neuron-table tbody tr[aria-rowindex="2"] td.c-id').waitFor();
    expect(await domRows()).toBeLessThan(80);
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);
});
