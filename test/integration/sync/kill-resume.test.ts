/**
 * The CLI sync killed with SIGKILL at seeded random moments, then run again until it finishes: the
 * cache ends equal to a clean sync's, table by table, verify is clean, and each restart noticed the
 * unclean end (quick_check) and resumed the same job.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../main/cache/index';
import { verifyCache } from '../../../main/cache/verify';
import type { DemoServer } from '../../../main/demo/index';
import { cacheDirFor } from '../../../main/paths';
import { parseInstanceArg } from '../../../main/sync/scope';
import { prng } from '../../support/label-volumes';
import { LineReader, spawnTs } from '../../support/spawn-ts';
import { dumpContent, runSync, startDemo, tempRoot } from '../../support/sync-harness';

const CLI = join(import.meta.dirname, '../../../main/cli.ts');
const INSTANCES = ['segmentation', 'synapses', 'segmentation_annotations', 'segmentation_meshes', 'synapses_labelsz=top:50'];
const cleanups: Array<() => void> = [];
let demo: DemoServer;


beforeAll(async () => {
  demo = await startDemo();
}, 120_000);

afterAll(async () => {
  await demo?.close();
  for (const c of cleanups) c();
});

describe('a sync killed at random moments', () => {
  it('resumes to a cache equal to a clean sync, verify clean', async () => {
    // Slow every data request a little, so that kills land in the middle of the work.
    demo.setFaults([
      { path: '/api/node/*/segmentation/blocks/**', kind: 'latency', latencyMs: 600 },
      { path: '/api/node/*/synapses/blocks/**', kind: 'latency', latencyMs: 250 },
      { path: '/api/node/*/segmentation_meshes/keyvalues', kind: 'latency', latencyMs: 300 },
      { path: '/api/node/*/segmentation/mapping', kind: 'latency', latencyMs: 300 },
    ]);
    const root = tempRoot(cleanups);
    const args = ['sync', '--server', demo.url, '--node', demo.uuids.root, '--cache', root, ...INSTANCES.flatMap((i) => ['--instance', i])];
    const random = prng(20260622); // seeded: the kill moments are the same on every run
    const kills: number[] = [];
    let finished = false;
    let runs = 0;
    let resumedLines = 0;
    let uncleanLines = 0;
    /** After each kill: requests done / in all, from the killed cache itself. */
    const seen: Array<[number, number]> = [];
    while (!finished) {
      runs++;
      const child = spawnTs(CLI, args, { env: { ...process.env, FORCE_COLOR: '0' } });
      const lines = new LineReader(child);
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      if (kills.length < 4) {
        // Kill between 0.3 s and 1.5 s after the job starts (or resumes): well inside a (slowed) sync,
        // which has got fast enough to finish within 3 s of a resume.
        await lines.next(/^(Sync #\d+ into|Resuming sync #\d+)/, 60_000);
        const delay = 300 + Math.floor(random() * 1200);
        const done = await Promise.race([exit.then(() => 'exited'), new Promise((r) => setTimeout(() => r('kill'), delay))]);
        if (done === 'kill') {
          child.kill('SIGKILL');
          await exit;
          kills.push(delay);
          const c = Cache.open(cacheDirFor(root, { url: demo.url }, demo.repoRoot), { readonly: true });
          const items = c.jobs.items(1);
          seen.push([items.filter((i) => i.state === 'done').length, items.length]);
          c.close();
          continue;
        }
      }
      const code = await exit;
      expect(code, lines.lines.slice(-10).join('\n')).toBe(0);
      finished = true;
      resumedLines = lines.lines.filter((l) => l.startsWith('Resuming sync #1 ')).length;
      uncleanLines = lines.lines.filter((l) => /ended uncleanly; quick_check: ok/.test(l)).length;
    }
    demo.setFaults([]);
    expect(kills.length).toBeGreaterThanOrEqual(2);
    // The kills landed in the middle of the work, and each run got further.
    expect(seen.some(([done, all]) => done > 0 && done < all), JSON.stringify(seen)).toBe(true);
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThanOrEqual(seen[i - 1]![0]);
    expect(runs).toBe(kills.length + 1);
    expect(resumedLines).toBe(1);
    expect(uncleanLines).toBe(1);

    const cleanRoot = tempRoot(cleanups);
    const clean = await runSync(demo, cleanRoot, demo.uuids.root, INSTANCES.map((i) => parseInstanceArg(i)));
    expect(clean.outcome!.state).toBe('done');
    const a = Cache.open(cacheDirFor(root, { url: demo.url }, demo.repoRoot), { readonly: true });
    const b = Cache.open(cacheDirFor(cleanRoot, { url: demo.url }, demo.repoRoot), { readonly: true });
    try {
      const killed = dumpContent(a);
      const fresh = dumpContent(b);
      for (const [table, rows] of Object.entries(fresh)) expect(killed[table], table).toEqual(rows);
      expect(a.jobs.jobs().map((j) => j.state)).toEqual(['done']);
    } finally {
      a.close();
      b.close();
    }
    const report = verifyCache(cacheDirFor(root, { url: demo.url }, demo.repoRoot));
    expect(report.problems).toEqual([]);
  }, 240_000);
});
