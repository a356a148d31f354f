/** Test-only worker tasks, loaded into a pool with `new WorkerPool({ modules: [thisFile] })`. */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { FormatError } from '../../main/formats/format-error';
import { defineHandler } from '../../main/workers/registry';
import { copiesToTransfer, defineTask } from '../../main/workers/task';

export const echoTask = defineTask<{ value: unknown }, { value: unknown; thread: number }>('test.echo');
export const fillTask = defineTask<{ size: number; byte: number }, { bytes: Uint8Array }>('test.fill');
export const sleepTask = defineTask<{ ms: number; tag: string; log?: string }, { tag: string; thread: number; start: number; end: number }>('test.sleep');
/** Arrives at a shared counter and waits (up to `timeoutMs`) until `parties` tasks have arrived: only tasks running at once on different threads can all pass. */
export const barrierTask = defineTask<{ counter: SharedArrayBuffer; parties: number; timeoutMs: number }, { thread: number; passed: boolean }>('test.barrier');
export const crashOnceTask = defineTask<{ flagFile: string }, { survivedOn: number }>('test.crashOnce');
/** Crashes on the first attempt (like crashOnce) and returns a sum of the bytes it was sent (transferred copies). */
export const crashOnceSumTask = defineTask<{ flagFile: string; bytes: Uint8Array[] }, { sum: number }>('test.crashOnceSum', {
  transferCopy: (args) => {
    const { copies, transfer } = copiesToTransfer(args.bytes);
    return { args: { ...args, bytes: copies }, transfer };
  },
});
export const crashAlwaysTask = defineTask<{ code: number }, never>('test.crashAlways');
export const badInputTask = defineTask<{ offset: number }, never>('test.badInput');

export const handlers = [
  defineHandler(echoTask, ({ value }) => ({ value, thread: threadId })),
  defineHandler(
    fillTask,
    ({ size, byte }) => ({ bytes: new Uint8Array(size).fill(byte) }),
    (r) => [r.bytes.buffer as ArrayBuffer],
  ),
  defineHandler(sleepTask, async ({ ms, tag, log }) => {
    if (log) appendFileSync(log, `${tag}\n`);
    const start = Date.now();
    await new Promise((r) => setTimeout(r, ms));
    return { tag, thread: threadId, start, end: Date.now() };
  }),
  defineHandler(barrierTask, ({ counter, parties, timeoutMs }) => {
    const c = new Int32Array(counter);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    const deadline = Date.now() + timeoutMs;
    for (let seen = Atomics.load(c, 0); seen < parties; seen = Atomics.load(c, 0)) {
      const left = deadline - Date.now();
      if (left <= 0) return { thread: threadId, passed: false };
      Atomics.wait(c, 0, seen, left);
    }
    return { thread: threadId, passed: true };
  }),
  defineHandler(crashOnceTask, ({ flagFile }) => {
    if (!existsSync(flagFile)) {
      writeFileSync(flagFile, String(threadId));
      process.exit(9);
    }
    return { survivedOn: threadId };
  }),
  defineHandler(crashOnceSumTask, ({ flagFile, bytes }) => {
    if (!existsSync(flagFile)) {
      writeFileSync(flagFile, String(threadId));
      process.exit(9);
    }
    let sum = 0;
    for (const b of bytes) for (const v of b) sum += v;
    return { sum };
  }),
  defineHandler(crashAlwaysTask, ({ code }): never => process.exit(code)),
  defineHandler(badInputTask, ({ offset }): never => {
    throw new FormatError('test-format', offset, 'bad byte');
  }),
];
