/**
 * The same seed gives the same bytes: a small benchmark-preset volume generated twice is identical
 * file for file; another seed gives other data.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDataset } from '../../../main/demo/dataset/generate';
import { presetParams } from '../../../main/demo/dataset/presets';

describe('generator determinism', () => {
  it('writes identical files for the same seed, whatever the threads, and different ones for another seed', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dd-demo-det-'));
    const gen = async (seed: number, name: string, threads: number): Promise<string> => {
      const dir = join(base, name);
      await generateDataset(presetParams({ size: 256, seed }), dir, { threads });
      return dir;
    };
    const a = await gen(7, 'a', 0), b = await gen(7, 'b', 2), c = await gen(8, 'c', 2);
    const files = readdirSync(a).toSorted();
    expect(readdirSync(b).toSorted()).toEqual(files);
    expect(files).toContain('lm-segmentation.bin');
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
    expect(readFileSync(join(c, 'lm-segmentation.bin')).equals(readFileSync(join(a, 'lm-segmentation.bin')))).toBe(false);
  }, 120_000);
});
