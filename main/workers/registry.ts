/**
 * The worker side of typed tasks. Each task's `.handler.ts` exports a TaskHandler made with
 * defineHandler(); handlers.ts lists them; worker.ts registers the list (and any extra modules a
 * test pool names) in this thread's table.
 */
import type { TaskSpec } from './task';

export interface TaskHandler<A = unknown, R = unknown> {
  spec: TaskSpec<A, R>;
  run: (args: A) => R | Promise<R>;
  /** Buffers of the result to transfer (moved, not copied) back to the caller. */
  transfer?: (result: R) => ArrayBuffer[];
}

export function defineHandler<A, R>(spec: TaskSpec<A, R>, run: (args: A) => R | Promise<R>, transfer?: (result: R) => ArrayBuffer[]): TaskHandler<A, R> {
  return transfer ? { spec, run, transfer } : { spec, run };
}

const table = new Map<string, TaskHandler>();

export function registerHandlers(list: ReadonlyArray<TaskHandler<never, never>>): void {
  for (const h of list as unknown as TaskHandler[]) {
    if (table.has(h.spec.name)) throw new Error(`worker task "${h.spec.name}" registered twice`);
    table.set(h.spec.name, h);
  }
}

export function handlerOf(name: string): TaskHandler | undefined {
  return table.get(name);
}
