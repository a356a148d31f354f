import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findElectron } from '../../main/electron-binary';
import { startBuiltApp, type RunningApp } from '../support/built-app';
import { launchChromium, noChromium, RESULTS_DIR, watchPage } from '../support/chromium';

const electronPkg = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
const binaryPresent = existsSync(join(electronPkg, 'path.txt'));

describe('npm start without an Electron binary', () => {
  const running: RunningApp[] = [];
  afterAll(async () => {
    for (const app of running) await app.stop();
  });

  // Where the binary was downloaded earlier, `start` would rightly open a real window instead.
  it.skipIf(binaryPresent || noChromium)('says so in one line and serves browser mode, which renders in Chromium', async () => {
    const app = await startBuiltApp(['start', '--no-open', '--port', '0']);
    running.push(app);
    expect(app.lines[0]).toMatch(/^Electron is not available \(.+\); starting browser mode instead\.$/);
    expect(app.lines[1]).toBe(app.url);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems = watchPage(page);
      await page.goto(app.url);
      await page.getByRole('heading', { name: 'Connect & Sync' }).waitFor();
      await page.screenshot({ path: join(RESULTS_DIR, 'start-fallback.png') });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('gives up on a stalled download within the bound', async () => {
    // A stand-in electron package whose installer never finishes (a dead network that does not refuse).
    const fake = mkdtempSync(join(tmpdir(), 'dd-stalled-electron-'));
    writeFileSync(join(fake, 'install.js'), 'setInterval(() => {}, 1000);');
    writeFileSync(join(fake, 'package.json'), '{"name":"electron","version":"0.0.0"}');
    const t0 = Date.now();
    const result = await findElectron(1500, fake);
    expect(result).toEqual({ ok: false, reason: 'its download did not finish within 2 s' });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
