/**
 * Faults injected by the demo server on the routes sync uses: each sync ends either complete (equal,
 * table by table, to a clean sync of the same plan) or with a clear per-item failure report; never
 * with a corrupt row (verify is clean after every one). A stream stalled halfway leaves its first
 * half committed, and the resumed sync asks only for the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../main/cache/index';
import { verifyCache } from '../../../main/cache/verify';
import type { DemoServer, FaultRule } from '../../../main/demo/index';
import { cacheDirFor } from '../../../main/paths';
import { parseInstanceArg } from '../../../main/sync/scope';
import { dumpContent, runSync, startDemo, tempRoot, type SyncRun } from '../../support/sync-harness';

const cleanups: Array<() => void> = [];
let demo: DemoServer;
let clean: Record<string, string[]>;

const SCOPES = () => ['segmentation', 'synapses', 'segmentation_meshes'].map((n) => parseInstanceArg(n));
const BLOCKS = '/api/node/*/segmentation/blocks/**';
const SPECIFIC = '/api/node/*/segmentation/specificblocks';
const SYNAPSES = '/api/node/*/synapses/blocks/**';
const MESHES = '/api/node/*/segmentation_meshes/keyvalues';

function open(root: string): Cache {
  return Cache.open(cacheDirFor(root, { url: demo.url }, demo.repoRoot), { readonly: true });
}

async function syncWith(faults: FaultRule[], extra = {}): Promise<{ run: SyncRun; root: string; dump: Record<string, string[]>; failures: Array<{ subject: string; error: string }> }> {
  demo.setFaults(faults);
  const root = tempRoot(cleanups);
  try {
    const run = await runSync(demo, root, demo.uuids.root, SCOPES(), extra);
    const cache = open(root);
    try {
      const problems = verifyCache(cache.dir).problems;
      if (problems.length) throw new Error(`verify found damage: ${JSON.stringify(problems)}`);
      const failures = cache.jobs.failures(run.outcome!.progress.jobId).map((f) => ({ subject: f.subject, error: f.error }));
      return { run, root, dump: dumpContent(cache), failures };
    } finally {
      cache.close();
    }
  } finally {
    demo.setFaults([]);
  }
}

beforeAll(async () => {
  demo = await startDemo();
  const root = tempRoot(cleanups);
  const run = await runSync(demo, root, demo.uuids.root, SCOPES());
  if (run.outcome!.state !== 'done') throw new Error(`the clean reference sync ended ${run.outcome!.state}`);
  const cache = open(root);
  clean = dumpContent(cache);
  cache.close();
}, 180_000);

afterAll(async () => {
  await demo?.close();
  for (const c of cleanups) c();
});

describe('sync under injected faults', () => {
  it('compares against a complete clean sync', () => {
    expect(clean.blocks!.length).toBe(512);
    expect(clean.element_blocks!.length).toBe(512);
    expect(clean.kv_entries!.length).toBeGreaterThan(10);
  });

  const transient: Array<[string, FaultRule[]]> = [
    ['503 and 429 with Retry-After', [
      { path: BLOCKS, kind: 'status', status: 503, retryAfter: 0, times: 2 },
      { path: SYNAPSES, kind: 'status', status: 429, retryAfter: 0, times: 2 },
    ]],
    ['500 once', [{ path: SYNAPSES, kind: 'status', status: 500, times: 1 }, { path: MESHES, kind: 'status', status: 500, times: 1 }]],
    ['connection resets, before the body and in it', [
      { path: MESHES, kind: 'reset', times: 2 },
      { path: BLOCKS, kind: 'reset', afterBytes: 20_000, times: 1 },
    ]],
    ['records split across writes', [
      // Prime sizes, so record headers and payloads straddle writes at every offset over the stream.
      { path: BLOCKS, kind: 'split', chunkBytes: 997 },
      { path: SYNAPSES, kind: 'split', chunkBytes: 211 },
      { path: MESHES, kind: 'split', chunkBytes: 4093 },
    ]],
    ['truncated streams', [
      { path: BLOCKS, kind: 'truncate', times: 1 },
      { path: SYNAPSES, kind: 'truncate', times: 2 },
    ]],
    ['a corrupt gzip payload', [{ path: BLOCKS, kind: 'corrupt', times: 1 }]],
    ['a corrupt annotation block', [{ path: SYNAPSES, kind: 'corrupt', corruptAt: 40_000, times: 1 }]],
    ['an error text after a 200', [
      { path: SYNAPSES, kind: 'error-after-200', afterParts: 2, times: 1 },
      { path: BLOCKS, kind: 'error-after-200', afterParts: 3, times: 1 },
    ]],
    ['a stalled body', [{ path: BLOCKS, kind: 'stall', times: 1 }]],
  ];
  for (const [what, faults] of transient) {
    it(`completes through ${what}, equal to a clean sync`, async () => {
      const { run, dump } = await syncWith(faults);
      expect(run.outcome!.state, JSON.stringify(run.outcome!.failures)).toBe('done');
      expect(demo.faultCounts().every((n) => n > 0), 'every fault rule fired').toBe(true);
      for (const [table, rows] of Object.entries(clean)) expect(dump[table], `${what}: ${table}`).toEqual(rows);
    }, 60_000);
  }

  it('reports an instance whose server keeps failing, and completes the rest', async () => {
    const { run, dump, failures } = await syncWith([{ path: MESHES, kind: 'status', status: 500 }]);
    const o = run.outcome!;
    expect(o.state).toBe('failed');
    expect(o.error).toMatch(/items failed/);
    expect(o.failures.length).toBeGreaterThan(0);
    for (const f of o.failures) {
      expect(f.instance).toBe('segmentation_meshes');
      expect(f.subjects.at(-1)!.error).toMatch(/500|Panic|server error/);
    }
    expect(failures.length).toBe(o.failures.length * 3);
    // Everything else is complete.
    for (const t of ['blocks', 'block_content', 'sv_map', 'element_blocks', 'element_block_svs']) expect(dump[t], t).toEqual(clean[t]);
    expect(dump.kv_entries!.filter((r) => r.startsWith('segmentation_meshes '))).toEqual([]);
  }, 60_000);

  it('reports a block whose payload is always corrupt, stores every other block, and writes no row for it', async () => {
    const { run, dump } = await syncWith([{ path: BLOCKS, kind: 'corrupt' }, { path: SPECIFIC, kind: 'corrupt' }]);
    const o = run.outcome!;
    expect(o.state).toBe('failed');
    expect(o.failures).toHaveLength(1);
    const f = o.failures[0]!;
    expect(f.instance).toBe('segmentation');
    expect(f.kind).toBe('blocks');
    expect(f.subjects.every((s) => /^block -?\d+,-?\d+,-?\d+ \(scale 0\)$/.test(s.subject) || s.subject === 'item')).toBe(true);
    expect(f.subjects.some((s) => /gzip|block-payload|label-block/.test(s.error))).toBe(true);
    const missing = clean.blocks!.filter((r) => !dump.blocks!.includes(r));
    expect(missing.length).toBeGreaterThanOrEqual(1);
    expect(missing.length).toBeLessThan(5);
    for (const r of dump.blocks!) expect(clean.blocks).toContain(r);
    expect(dump.element_blocks).toEqual(clean.element_blocks);
  }, 60_000);

  it('reports annotation blocks whose JSON is always corrupt, stores every block that parsed, and nothing else', async () => {
    // Every synapses response has 8 bytes flipped 40 kB into its body, inside some block's elements.
    const { run, dump } = await syncWith([{ path: SYNAPSES, kind: 'corrupt', corruptAt: 40_000 }], { runner: { maxAttempts: 2, retryDelayMs: 10 } });
    const o = run.outcome!;
    expect(o.state).toBe('failed');
    expect(o.failures.length).toBeGreaterThan(0);
    for (const f of o.failures) {
      expect(f.instance).toBe('synapses');
      expect(f.subjects.at(-1)!.error).toMatch(/annotation/);
    }
    const stored = dump.element_blocks!;
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(clean.element_blocks!.length);
    for (const r of stored) expect(clean.element_blocks).toContain(r);
    for (const t of ['blocks', 'block_content', 'kv_entries']) expect(dump[t], t).toEqual(clean[t]);
  }, 60_000);

  it('keeps the first half of a stream that stalls halfway, and the resumed sync asks only for the rest', async () => {
    demo.setFaults([{ path: BLOCKS, kind: 'stall', times: 1 }]);
    const root = tempRoot(cleanups);
    const first = await runSync(demo, root, demo.uuids.root, [parseInstanceArg('segmentation')], { runner: { maxAttempts: 1, retryDelayMs: 10 } });
    demo.setFaults([]);
    expect(first.outcome!.state).toBe('failed');
    expect(first.outcome!.failures[0]!.subjects[0]!.error).toMatch(/timed out|stalled|idle|timeout/i);
    let cache = open(root);
    const half = dumpContent(cache).blocks!;
    expect(verifyCache(cache.dir).problems).toEqual([]);
    cache.close();
    expect(half.length).toBeGreaterThan(0);
    expect(half.length).toBeLessThan(clean.blocks!.length);
    for (const r of half) expect(clean.blocks).toContain(r);

    const before = demo.log.entries.length;
    const second = await runSync(demo, root, demo.uuids.root, [parseInstanceArg('segmentation')]);
    expect(second.outcome!.state).toBe('done');
    const asked = demo.log.entries.slice(before).filter((e) => /segmentation\/(blocks|specificblocks)/.test(e.path));
    expect(asked).toHaveLength(1);
    expect(asked[0]!.path).toMatch(/specificblocks/);
    const list = (new URLSearchParams(asked[0]!.query).get('blocks') ?? '').split(',').map(Number);
    const requested = new Set<string>();
    for (let i = 0; i < list.length; i += 3) requested.add(`${list[i]},${list[i + 1]},${list[i + 2]}`);
    const stored = new Set(half.map((r) => r.split(' ')[4]!));
    const everything = new Set(clean.blocks!.map((r) => r.split(' ')[4]!));
    expect(requested).toEqual(new Set([...everything].filter((c) => !stored.has(c))));
    cache = open(root);
    expect(dumpContent(cache).blocks).toEqual(clean.blocks);
    cache.close();
  }, 60_000);
});

describe('an annotation stream that stalls halfway', () => {
  it('keeps the blocks that arrived, and the resumed sync asks for none of them again', async () => {
    demo.setFaults([{ path: SYNAPSES, kind: 'stall', times: 1 }]);
    const root = tempRoot(cleanups);
    const scopes = [parseInstanceArg('synapses')];
    const first = await runSync(demo, root, demo.uuids.root, scopes, { runner: { maxAttempts: 1, retryDelayMs: 10 }, concurrency: 1 });
    demo.setFaults([]);
    expect(first.outcome!.state).toBe('failed');
    let cache = open(root);
    const kept = new Set(dumpContent(cache).element_blocks!.map((r) => r.split(' ')[2]!));
    expect(verifyCache(cache.dir).problems).toEqual([]);
    cache.close();
    expect(kept.size).toBeGreaterThan(0);
    expect(kept.size).toBeLessThan(512);

    const before = demo.log.entries.length;
    const second = await runSync(demo, root, demo.uuids.root, scopes);
    expect(second.outcome!.state).toBe('done');
    const asked = new Set<string>();
    for (const e of demo.log.entries.slice(before)) {
      const m = /\/synapses\/blocks\/(\d+)_(\d+)_(\d+)\/(-?\d+)_(-?\d+)_(-?\d+)$/.exec(e.path);
      if (!m) continue;
      const [sx, sy, sz, ox, oy, oz] = m.slice(1).map(Number) as [number, number, number, number, number, number];
      for (let z = oz / 64; z < (oz + sz) / 64; z++) for (let y = oy / 64; y < (oy + sy) / 64; y++) for (let x = ox / 64; x < (ox + sx) / 64; x++) asked.add(`${x},${y},${z}`);
    }
    expect([...asked].filter((b) => kept.has(b))).toEqual([]);
    expect(asked.size + kept.size).toBe(512);
    cache = open(root);
    expect(dumpContent(cache).element_blocks).toEqual(clean.element_blocks);
    cache.close();
  }, 60_000);
});
