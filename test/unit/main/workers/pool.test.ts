import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FormatError } from '../../../../main/formats/format-error';
import { PoolClosedError, WorkerCrashError, WorkerPool } from '../../../../main/workers/pool';
import { tempDir } from '../../../support/cache-fixture';
import { badInputTask, barrierTask, crashAlwaysTask, crashOnceSumTask, crashOnceTask, echoTask, fillTask, sleepTask } from '../../../support/worker-tasks';

const TASKS = join(import.meta.dirname, '../../../support/worker-tasks.ts');
const pools: WorkerPool[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  for (const c of cleanups.splice(0)) c();
});
function pool(size: number): WorkerPool {
  const p = new WorkerPool({ size, modules: [TASKS] });
  pools.push(p);
  return p;
}

describe('WorkerPool', () => {
  it('runs typed tasks off the main thread and structured-clones bigints and typed arrays', async () => {
    const p = pool(1);
    const r = await p.run(echoTask, { value: { id: 2n ** 64n - 1n, arr: new BigUint64Array([1n, 2n ** 63n]) } });
    expect(r.thread).not.toBe(0);
    expect(r.value).toEqual({ id: 2n ** 64n - 1n, arr: new BigUint64Array([1n, 2n ** 63n]) });
  });

  it('transfers result buffers', async () => {
    const p = pool(1);
    const { bytes } = await p.run(fillTask, { size: 1 << 20, byte: 7 });
    expect(bytes.length).toBe(1 << 20);
    expect(bytes[12345]).toBe(7);
    expect(bytes.buffer.byteLength).toBe(1 << 20);
  });

  it('runs up to `size` tasks at once on different threads', async () => {
    const p = pool(2);
    // Each task blocks its thread until both have arrived: they pass only if they ran at the same time on two threads
    // (however slowly the second worker starts on a loaded machine).
    const counter = new SharedArrayBuffer(4);
    const arg = { counter, parties: 2, timeoutMs: 20_000 };
    const [a, b] = await Promise.all([p.run(barrierTask, arg), p.run(barrierTask, arg)]);
    expect(a.passed && b.passed).toBe(true);
    expect(a.thread).not.toBe(b.thread);
  });

  it('never runs more than `size` tasks at once', async () => {
    const p = pool(1);
    // With one thread the first barrier task cannot meet a second one: it times out alone.
    const counter = new SharedArrayBuffer(4);
    const arg = { counter, parties: 2, timeoutMs: 300 };
    const [a, b] = await Promise.all([p.run(barrierTask, arg), p.run(barrierTask, arg)]);
    expect(a.passed).toBe(false);
    expect(a.thread).toBe(b.thread);
  });

  it('drops an aborted queued task without running it, and keeps the order of the rest', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const log = join(t.dir, 'ran.log');
    const p = pool(1);
    const ac = new AbortController();
    const first = p.run(sleepTask, { ms: 150, tag: 'first', log });
    const aborted = p.run(sleepTask, { ms: 50, tag: 'aborted', log }, { signal: ac.signal });
    const third = p.run(sleepTask, { ms: 1, tag: 'third', log });
    expect(p.queued).toBeGreaterThanOrEqual(2);
    ac.abort(new Error('user cancelled'));
    await expect(aborted).rejects.toThrow('user cancelled');
    expect((await first).tag).toBe('first');
    expect((await third).tag).toBe('third');
    expect(readFileSync(log, 'utf8')).toBe('first\nthird\n');
  });

  it('rejects an aborted running task at once', async () => {
    const p = pool(1);
    const ac = new AbortController();
    const running = p.run(sleepTask, { ms: 800, tag: 'x' }, { signal: ac.signal });
    while (p.running === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await expect(running).rejects.toThrow(/abort/i);
    // Rejected while its worker is still busy with it: the caller did not wait for the task.
    expect(p.running).toBe(1);
    await expect(p.run(sleepTask, { ms: 1, tag: 'after' })).resolves.toMatchObject({ tag: 'after' });
  });

  it('replaces a crashed worker and retries its task once', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const p = pool(1);
    const flag = join(t.dir, 'crashed-once');
    const r = await p.run(crashOnceTask, { flagFile: flag });
    expect(existsSync(flag)).toBe(true);
    expect(p.crashes).toBe(1);
    expect(r.survivedOn).toBeGreaterThan(0);
    // The pool still works afterwards.
    expect((await p.run(echoTask, { value: 1 })).value).toBe(1);
  });

  it('sends transferred copies of a task\'s buffers: the caller keeps its bytes, and a retry after a crash gets them whole', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const p = pool(1);
    // a plain array, and Node Buffers (a small one lives in Node's shared pool: transferring that would throw)
    const bytes = [Uint8Array.of(1, 2, 3), Buffer.alloc(50_000, 2), Buffer.from('\u0000\u0000')];
    const r = await p.run(crashOnceSumTask, { flagFile: join(t.dir, 'crashed-once'), bytes });
    expect(p.crashes).toBe(1);
    expect(r.sum).toBe(6 + 100_000);
    expect(bytes.map((b) => b.length)).toEqual([3, 50_000, 2]); // not detached
    expect(bytes[1]![49_999]).toBe(2);
  });

  it('gives up on a task that crashes its worker twice, without harming the others', async () => {
    const p = pool(2);
    const doomed = p.run(crashAlwaysTask, { code: 3 });
    const fine = p.run(echoTask, { value: 'ok' });
    await expect(doomed).rejects.toBeInstanceOf(WorkerCrashError);
    await expect(doomed).rejects.toThrow(/crashed its worker twice/);
    expect((await fine).value).toBe('ok');
    expect(p.crashes).toBe(2);
  });

  it('passes a FormatError back as a FormatError, without retrying', async () => {
    const p = pool(1);
    const err = await p.run(badInputTask, { offset: 42 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(err).toMatchObject({ format: 'test-format', offset: 42, reason: 'bad byte' });
    expect(p.crashes).toBe(0);
  });

  it('rejects waiting tasks on close', async () => {
    const p = new WorkerPool({ size: 1, modules: [TASKS] });
    const a = p.run(sleepTask, { ms: 500, tag: 'a' }).catch((e: unknown) => e);
    const b = p.run(sleepTask, { ms: 500, tag: 'b' }).catch((e: unknown) => e);
    await p.close();
    expect(await a).toBeInstanceOf(PoolClosedError);
    expect(await b).toBeInstanceOf(PoolClosedError);
    await expect(p.run(echoTask, { value: 1 })).rejects.toBeInstanceOf(PoolClosedError);
  });
});
