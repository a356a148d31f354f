/**
 * The runner's mechanics with stand-in syncers that write plain rows (no network involved): phases,
 * bounded concurrency, the cursor committed with its data, retries, per-part failures, pause/resume,
 * cancel, and a full disk stopping the job.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../../../main/cache/index';
import type { ItemInput } from '../../../../main/cache/job-store';
import type { ItemContext, Syncer } from '../../../../main/sync/item';
import { SyncRunner, type SyncProgress } from '../../../../main/sync/runner';
import { openTemp, seedRepo, type Ids } from '../../../support/cache-fixture';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(items: Array<Partial<ItemInput> & { kind: string }>): { cache: Cache; ids: Ids; jobId: number } {
  const t = openTemp();
  cleanups.push(t.cleanup);
  const ids = seedRepo(t.cache);
  const job = t.cache.write(() =>
    t.cache.jobs.create(
      { nodeId: ids.root, planKey: 'test-plan', plan: '{}', mutationId: 7n },
      items.map((x, seq) => ({ seq, instanceId: ids.seg, spec: '{}', phase: 0, estItems: 10, estBytes: 1000, ...x })),
    ),
  );
  return { cache: t.cache, ids, jobId: job.id };
}

/** Writes `n` units one commit at a time, each a cache_info row `item<seq>/<i>`, cursor = next i. */
function counter(kind: string, n: number, hooks: { before?: (ctx: ItemContext, i: number) => Promise<void> | void } = {}): Syncer {
  return {
    kind,
    async run(ctx) {
      const start = ((ctx.cursor as { next?: number } | null)?.next ?? 0) as number;
      for (let i = start; i < n; i++) {
        await hooks.before?.(ctx, i);
        ctx.commit(() => ctx.cache.setInfo(`item${ctx.item.seq}/${i}`, String(ctx.attempt)), { cursor: { next: i + 1 }, doneItems: i + 1, bytes: (i + 1) * 100 });
      }
      return 'done';
    },
  };
}

function rows(cache: Cache, prefix: string): string[] {
  return (cache.db.db.prepare('SELECT key FROM cache_info WHERE key LIKE ? ORDER BY key').pluck().all(`${prefix}%`) as string[]);
}

describe('SyncRunner', () => {
  it('runs phases in order, at most `concurrency` items at once, and finishes done', async () => {
    const { cache, jobId } = setup([{ kind: 'a', phase: 1 }, { kind: 'a', phase: 0 }, { kind: 'a', phase: 0 }, { kind: 'a', phase: 0 }, { kind: 'b', phase: 2 }]);
    const order: string[] = [];
    let running = 0;
    let peak = 0;
    const a: Syncer = {
      kind: 'a',
      async run(ctx) {
        running++;
        peak = Math.max(peak, running);
        order.push(`start ${ctx.item.seq} phase ${ctx.item.phase}`);
        await new Promise((r) => setTimeout(r, 30));
        ctx.commit(() => ctx.cache.setInfo(`a${ctx.item.seq}`, 'x'), { doneItems: 1 });
        order.push(`end ${ctx.item.seq}`);
        running--;
        return 'done';
      },
    };
    const seen: SyncProgress[] = [];
    const runner = new SyncRunner(cache, cache.jobs.job(jobId)!, [a, counter('b', 3)], { concurrency: 2, onProgress: (p) => seen.push(p), progressMs: 0 });
    const out = await runner.run();
    expect(out.state).toBe('done');
    expect(peak).toBe(2);
    // Phase 1's item starts only after all three of phase 0 ended.
    const startOf1 = order.indexOf('start 0 phase 1');
    for (const s of [1, 2, 3]) expect(order.indexOf(`end ${s}`)).toBeLessThan(startOf1);
    expect(cache.jobs.items(jobId).every((i) => i.state === 'done')).toBe(true);
    expect(cache.jobs.job(jobId)!.state).toBe('done');
    expect(seen.at(-1)).toMatchObject({ state: 'done', items: { done: 5, failed: 0, total: 5 } });
    // Every commit recorded its fetch with the job and the repo mutation id.
    const f = cache.db.db.prepare('SELECT count(*) AS n, min(job_id) AS j FROM fetches WHERE job_id IS NOT NULL').safeIntegers(false).get() as { n: number; j: number };
    expect(f).toEqual({ n: 5, j: jobId });
  });

  it('commits the cursor in the same transaction as the data: a failed write leaves both unchanged', async () => {
    const { cache, jobId } = setup([{ kind: 'w' }]);
    const w: Syncer = {
      kind: 'w',
      async run(ctx) {
        ctx.commit(() => ctx.cache.setInfo('w/0', 'ok'), { cursor: { next: 1 }, doneItems: 1 });
        ctx.commit(() => {
          ctx.cache.setInfo('w/1', 'half');
          throw new Error('crash in the middle of a write');
        }, { cursor: { next: 2 }, doneItems: 2 });
        return 'done';
      },
    };
    const out = await new SyncRunner(cache, cache.jobs.job(jobId)!, [w], { maxAttempts: 1 }).run();
    expect(out.state).toBe('failed');
    expect(rows(cache, 'w/')).toEqual(['w/0']);
    const item = cache.jobs.items(jobId)[0]!;
    expect(item).toMatchObject({ state: 'failed', cursor: '{"next":1}', doneItems: 1 });
  });

  it('retries a throwing item, records each failure, and resumes from its cursor', async () => {
    const { cache, jobId } = setup([{ kind: 'flaky' }, { kind: 'ok' }]);
    let throws = 2;
    const flaky = counter('flaky', 5, {
      before: (_ctx, i) => {
        if (i === 3 && throws-- > 0) throw new Error(`connection reset (${throws})`);
      },
    });
    const out = await new SyncRunner(cache, cache.jobs.job(jobId)!, [flaky, counter('ok', 2)], { retryDelayMs: 1 }).run();
    expect(out.state).toBe('done');
    // Units 0..2 were written by attempt 1 and never again; 3 and 4 by attempt 3.
    expect(cache.info('item0/0')).toBe('1');
    expect(cache.info('item0/2')).toBe('1');
    expect(cache.info('item0/3')).toBe('3');
    const fails = cache.jobs.failures(jobId);
    expect(fails.map((f) => [f.seq, f.attempt, f.subject])).toEqual([
      [0, 1, 'item'],
      [0, 2, 'item'],
    ]);
    expect(fails[0]!.error).toMatch(/connection reset/);
    expect(cache.jobs.items(jobId)[0]).toMatchObject({ state: 'done', attempts: 3, doneItems: 5 });
  });

  it('marks an item failed after maxAttempts without stopping the others, and a re-run revives it', async () => {
    const { cache, jobId } = setup([{ kind: 'bad' }, { kind: 'ok' }, { kind: 'ok' }]);
    let healthy = false;
    const bad: Syncer = {
      kind: 'bad',
      async run(ctx) {
        if (!healthy) throw new Error('500 Internal Server Error');
        ctx.commit(() => ctx.cache.setInfo('bad', 'fixed'), { doneItems: 1 });
        return 'done';
      },
    };
    const ok = counter('ok', 2);
    const out = await new SyncRunner(cache, cache.jobs.job(jobId)!, [bad, ok], { retryDelayMs: 1, maxAttempts: 3 }).run();
    expect(out.state).toBe('failed');
    expect(out.error).toBe('1 of 3 items failed');
    expect(out.failures).toEqual([{ seq: 0, instance: 'segmentation', kind: 'bad', subjects: expect.any(Array) }]);
    expect(out.failures[0]!.subjects).toHaveLength(3);
    expect(cache.jobs.items(jobId).map((i) => i.state)).toEqual(['failed', 'done', 'done']);
    expect(cache.jobs.resumable('test-plan')!.id).toBe(jobId);
    healthy = true;
    const again = await new SyncRunner(cache, cache.jobs.job(jobId)!, [bad, ok], { retryDelayMs: 1 }).run();
    expect(again.state).toBe('done');
    expect(cache.info('bad')).toBe('fixed');
    expect(cache.jobs.resumable('test-plan')).toBeNull();
  });

  it('keeps the parts that worked when some parts fail, and retries the item for the rest', async () => {
    const { cache, jobId } = setup([{ kind: 'parts' }]);
    const badUntilAttempt = 2;
    const parts: Syncer = {
      kind: 'parts',
      async run(ctx) {
        const done = new Set<number>(((ctx.cursor as { done?: number[] } | null)?.done ?? []) as number[]);
        for (let i = 0; i < 4; i++) {
          if (done.has(i)) continue;
          if (i === 2 && ctx.attempt < badUntilAttempt) {
            ctx.fail('block 2,0,0', new Error('corrupt gzip'));
            continue;
          }
          done.add(i);
          ctx.commit(() => ctx.cache.setInfo(`p${i}`, String(ctx.attempt)), { cursor: { done: [...done] }, doneItems: done.size });
        }
        return 'done';
      },
    };
    const out = await new SyncRunner(cache, cache.jobs.job(jobId)!, [parts], { retryDelayMs: 1 }).run();
    expect(out.state).toBe('done');
    expect(rows(cache, 'p').map((k) => `${k}=${cache.info(k)}`)).toEqual(['p0=1', 'p1=1', 'p2=2', 'p3=1']);
    expect(cache.jobs.failures(jobId)).toMatchObject([{ subject: 'block 2,0,0', error: 'corrupt gzip', attempt: 1 }]);
  });

  it('pauses (committed data stays, run() resolves) and resumes where it stopped', async () => {
    const { cache, jobId } = setup([{ kind: 'slow' }]);
    const { promise: atFive, resolve: reached } = Promise.withResolvers<void>();
    const slow = counter('slow', 10, {
      before: async (ctx, i) => {
        if (i === 5) reached();
        await new Promise((resolve, reject) => {
          const t = setTimeout(resolve, 5);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t);
            reject(ctx.signal.reason);
          });
        });
      },
    });
    const runner = new SyncRunner(cache, cache.jobs.job(jobId)!, [slow]);
    const running = runner.run();
    await atFive;
    runner.pause();
    const paused = await running;
    expect(paused.state).toBe('paused');
    const item = cache.jobs.items(jobId)[0]!;
    expect(item.state).toBe('partial');
    const next = (JSON.parse(item.cursor!) as { next: number }).next;
    expect(next).toBeGreaterThanOrEqual(5);
    expect(next).toBeLessThan(10);
    expect(rows(cache, 'item0/')).toHaveLength(next);
    expect(cache.jobs.failures(jobId)).toEqual([]);
    const done = await runner.run();
    expect(done.state).toBe('done');
    expect(rows(cache, 'item0/')).toHaveLength(10);
    // Nothing was written twice: every unit still carries the attempt that wrote it first.
    expect(cache.info('item0/0')).toBe('1');
    expect(cache.info('item0/9')).toBe('2');
  });

  it('cancels: in-flight items stop, the job ends cancelled, stored data stays', async () => {
    const { cache, jobId } = setup([{ kind: 'slow' }, { kind: 'slow' }]);
    const slow = counter('slow', 1000, { before: () => new Promise((r) => setTimeout(r, 2)) });
    const runner = new SyncRunner(cache, cache.jobs.job(jobId)!, [slow]);
    const running = runner.run();
    await new Promise((r) => setTimeout(r, 80));
    runner.cancel();
    const out = await running;
    expect(out.state).toBe('cancelled');
    expect(cache.jobs.job(jobId)!.state).toBe('cancelled');
    expect(rows(cache, 'item').length).toBeGreaterThan(0);
    expect(cache.jobs.resumable('test-plan')).toBeNull();
  });

  it('stops the whole job on a full disk with the clear error, losing nothing committed', async () => {
    const { cache, jobId } = setup([{ kind: 'fill' }, { kind: 'fill' }]);
    const fill: Syncer = {
      kind: 'fill',
      async run(ctx) {
        for (let i = 0; ; i++) {
          ctx.commit(() => ctx.cache.setInfo(`fill${ctx.item.seq}/${i}`, 'x'.repeat(4000)), { doneItems: i + 1, cursor: { i } });
          if (i === 20) cache.db.db.pragma(`max_page_count = ${(cache.db.db.pragma('page_count', { simple: true }) as number) + 2}`);
          await new Promise((r) => setImmediate(r));
        }
      },
    };
    const out = await new SyncRunner(cache, cache.jobs.job(jobId)!, [fill], { concurrency: 1 }).run();
    cache.db.db.pragma('max_page_count = 1073741823');
    expect(out.state).toBe('failed');
    expect(out.error).toMatch(/disk holding the cache is full/);
    const committed = rows(cache, 'fill0/').length;
    expect(committed).toBeGreaterThanOrEqual(21);
    expect(cache.jobs.items(jobId)[0]!.doneItems).toBe(committed);
    expect(cache.jobs.items(jobId)[1]!.state).toBe('pending');
  });
});
