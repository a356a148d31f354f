/**
 * The worker_threads entry. Built as its own entry (out/main/worker.js, see electron.vite.config.ts);
 * run from source under vitest/tsx through a tiny bootstrap (pool.ts). Registers every production
 * task handler, plus any extra handler modules the pool was created with (tests), then answers
 * `run` messages one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HANDLERS } from './handlers';
import { handlerOf, registerHandlers, type TaskHandler } from './registry';
import type { FromWorker, SerializedError, ToWorker } from './task';

const port = parentPort;
if (!port) throw new Error('main/workers/worker.ts must run in a worker thread');

function serialize(err: unknown): SerializedError {
  if (err instanceof Error) {
    const e = err as Error & { format?: unknown; offset?: unknown; reason?: unknown };
    const out: SerializedError = { name: e.name, message: e.message };
    if (e.stack) out.stack = e.stack;
    if (typeof e.format === 'string') out.format = e.format;
    if (typeof e.offset === 'number') out.offset = e.offset;
    if (typeof e.reason === 'string') out.reason = e.reason;
    return out;
  }
  return { name: 'Error', message: String(err) };
}

registerHandlers(HANDLERS);
// Extra handler modules (tests): each exports `handlers`, a list of TaskHandlers.
const extra = (workerData as { modules?: string[] } | null)?.modules ?? [];
for (const url of extra) registerHandlers(((await import(url)) as { handlers: ReadonlyArray<TaskHandler<never, never>> }).handlers);

port.on('message', async (msg: ToWorker) => {
  if (msg.type !== 'run') return;
  const reg = handlerOf(msg.task);
  let reply: FromWorker;
  let transfer: ArrayBuffer[] = [];
  if (!reg) {
    reply = { type: 'error', id: msg.id, error: { name: 'Error', message: `no worker task "${msg.task}"` } };
  } else {
    try {
      const result = await reg.run(msg.args);
      transfer = reg.transfer ? reg.transfer(result) : [];
      reply = { type: 'done', id: msg.id, result };
    } catch (err) {
      reply = { type: 'error', id: msg.id, error: serialize(err) };
    }
  }
  port.postMessage(reply, transfer);
});

port.postMessage({ type: 'ready' } satisfies FromWorker);
