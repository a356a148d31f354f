import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// oxlint has no vue/no-v-html rule: this scan is the guard. Data must reach the DOM as text only.
const RENDERER_SRC = join(import.meta.dirname, '..', '..', '..', 'renderer', 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('renderer sources', () => {
  const sources = files(RENDERER_SRC).filter((f) => /\.(vue|ts)$/.test(f));
  it('are found', () => {
    expect(sources.length).toBeGreaterThan(3);
  });
  it.each(sources.map((f) => [f.slice(RENDERER_SRC.length + 1), f]))('%s sets no raw HTML (v-html, innerHTML, outerHTML, insertAdjacentHTML)', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/v-html|\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write/);
  });
  it.each(sources.filter((f) => f.endsWith('.vue')).map((f) => [f.slice(RENDERER_SRC.length + 1), f]))('%s has no inline style attributes (the CSP forbids them)', (_name, file) => {
    const template = /<template>([\s\S]*)<\/template>/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
    expect(template).not.toMatch(/\sstyle="/);
  });
});
