/** Test-only worker tasks, loaded into a pool with `new WorkerPool({ modules: [thisFile] })`. */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { FormatError } from '../../main/formats/format-error';
import { defineHandler } from '../../main/workers/registry';
import { defineTask } from '../../main/workers/task';

export const echoTask = defineTask<{ value: unknown }, { value: unknown; thread: number }>('test.echo');
export const fillTask = defineTask<{ size: number; byte: number }, { bytes: Uint8Array }>('test.fill');
export const sleepTask = defineTask<{ ms: number; tag: string; log?: string }, { tag: string; thread: number; start: number; end: number }>('test.sleep');
export const crashOnceTask = defineTask<{ flagFile: string }, { survivedOn: number }>('test.crashOnce');
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
  defineHandler(crashOnceTask, ({ flagFile }) => {
    if (!existsSync(flagFile)) {
      writeFileSync(flagFile, String(threadId));
      process.exit(9);
    }
    return { survivedOn: threadId };
  }),
  defineHandler(crashAlwaysTask, ({ code }): never => process.exit(code)),
  defineHandler(badInputTask, ({ offset }): never => {
    throw new FormatError('test-format', offset, 'bad byte');
  }),
];
