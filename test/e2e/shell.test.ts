import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltApp, type RunningApp } from '../support/built-app';
import { launchChromium, noChromium, RESULTS_DIR, unnamedControls, watchPage } from '../support/chromium';

describe.skipIf(noChromium)('the app shell in Chromium (browser mode, built app)', () => {
  let app: RunningApp;
  let browser: BrowserContext;

  beforeAll(async () => {
    app = await startBuiltApp(['web', '--no-open', '--port', '0']);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('renders the frame, navigation and status bar through the API, with no console errors', async () => {
    const page = await browser.newPage();
    const problems = watchPage(page);
    await page.goto(app.url);
    await page.getByRole('heading', { name: 'Connect & Sync' }).waitFor();
    // The token left the address bar once traded.
    expect(page.url()).not.toContain('token=');
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    await expect(nav.getByRole('link', { name: 'Connect & Sync' }).count()).resolves.toBe(1);
    const status = page.getByRole('contentinfo', { name: 'Status bar' });
    // No --server: the app runs on the embedded demo DVID, clearly labelled as such.
    await status.getByLabel('Connection').getByText('Online').waitFor();
    await expect(status.getByLabel('Server').textContent()).resolves.toMatch(/Demo dataset\s*\(demo\)/);
    await expect(status.getByLabel('DVID version').textContent()).resolves.toContain('demo');
    await expect(status.getByLabel('Cache location').textContent()).resolves.toContain(app.cacheDir);
    await expect(status.getByLabel('App version').textContent()).resolves.toMatch(/DVID Desk \d+\.\d+\.\d+ · browser/);
    // The session cookie is HttpOnly: invisible to page script.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await unnamedControls(page)).toEqual([]);
    await page.screenshot({ path: join(RESULTS_DIR, 'e2e-shell.png') });
    // A reload keeps working on the cookie alone.
    await page.reload();
    await page.getByRole('heading', { name: 'Connect & Sync' }).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows how to get in, not the app, without the token', async () => {
    const fresh = await launchChromium();
    try {
      const page = await fresh.newPage();
      const problems = watchPage(page);
      await page.goto(`${app.origin}/`);
      await page.getByText('needs the access link').waitFor();
      expect(await page.getByRole('navigation').count()).toBe(0);
      // The one 401 of the probe is expected; nothing else may fail.
      expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    } finally {
      await fresh.close();
    }
  });
});
