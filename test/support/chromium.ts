/**
 * Debian's real Chromium, driven by playwright-core (it never downloads a browser). With CI=true a
 * missing Chromium is a failure; elsewhere the e2e suites are skipped with a printed reason.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];

export const chromiumPath: string | null = CANDIDATES.find((p) => existsSync(p)) ?? null;

if (!chromiumPath) {
  const msg = `Chromium not found (looked at ${CANDIDATES.join(', ')}); install it with: apt-get install -y chromium`;
  if (process.env.CI === 'true') throw new Error(`${msg}. CI=true: a missing Chromium is a failure.`);
  console.warn(`[e2e] SKIPPED: ${msg}`);
}

/** Skip marker for e2e suites: true only outside CI when Chromium is absent (reason printed above). */
export const noChromium = chromiumPath === null;

export const RESULTS_DIR = join(import.meta.dirname, '..', '..', 'test-results');

export async function launchChromium(): Promise<BrowserContext> {
  if (!chromiumPath) throw new Error('Chromium is not installed');
  await mkdir(RESULTS_DIR, { recursive: true });
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'dd-chromium-')), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-unsafe-swiftshader',
      '--use-angle=swiftshader',
    ],
  });
}

/** Records console errors, failed requests and uncaught page errors; tests assert it stays empty. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return problems;
}

/** Interactive elements with no accessible name (no text, aria-label, aria-labelledby, title or label). */
export async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>('button, a[href], input, select, textarea, [role="button"], [role="tab"], canvas[tabindex]');
    for (const el of controls) {
      const labelledBy = el.getAttribute('aria-labelledby');
      const viaLabelledBy = labelledBy ? labelledBy.split(/\s+/).map((id) => document.getElementById(id)?.textContent?.trim() ?? '').join('') : '';
      const viaLabel = (el as HTMLInputElement).labels ? [...((el as HTMLInputElement).labels ?? [])].map((l) => l.textContent?.trim() ?? '').join('') : '';
      const name = el.getAttribute('aria-label') || viaLabelledBy || viaLabel || el.getAttribute('title') || el.textContent?.trim() || (el as HTMLInputElement).placeholder || '';
      if (!name) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}
