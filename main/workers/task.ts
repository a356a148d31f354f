/**
 * Typed worker tasks, after Neuroglancer's async_computation: a task is a tiny spec (a name plus its
 * argument and result types) that both sides import. The caller runs it through the pool
 * (`pool.run(spec, args)`); the worker registers the handler (`registerTask(spec, handler)`) in the
 * task's `.handler.ts` file, which only the worker entry imports, so callers never load the handler
 * code (nor the codecs it pulls in).
 */

// The phantom fields carry the types; they never exist at runtime.
export interface TaskSpec<Args, Result> {
  readonly name: string;
  /**
   * Optional: the arguments as sent for one attempt, with their big buffers copied into fresh ones
   * that are transferred (moved) instead of structured-cloned. Cloning a typed array across threads
   * costs several times a plain copy; the pool keeps the caller's arguments for a retry.
   */
  readonly transferCopy?: (args: Args) => { args: Args; transfer: ArrayBuffer[] };
  readonly __args?: Args;
  readonly __result?: Result;
}

export type TaskArgs<S> = S extends TaskSpec<infer A, unknown> ? A : never;
export type TaskResult<S> = S extends TaskSpec<unknown, infer R> ? R : never;

export function defineTask<Args, Result>(name: string, opts: { transferCopy?: TaskSpec<Args, Result>['transferCopy'] } = {}): TaskSpec<Args, Result> {
  return opts.transferCopy ? { name, transferCopy: opts.transferCopy } : { name };
}

/** Fresh copies of some byte arrays, and their buffers to transfer (for a task's transferCopy). */
export function copiesToTransfer(views: readonly Uint8Array[]): { copies: Uint8Array[]; transfer: ArrayBuffer[] } {
  // new Uint8Array(view), not view.slice(): a Node Buffer's slice() is a view sharing its memory (and
  // often Node's pooled buffer, which must never be transferred).
  const copies = views.map((v) => new Uint8Array(v));
  return { copies, transfer: copies.map((c) => c.buffer) };
}

/** What a worker sends back for a failed task; FormatError keeps its fields across the boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  format?: string;
  offset?: number;
  reason?: string;
}

export type ToWorker = { type: 'run'; id: number; task: string; args: unknown };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'error'; id: number; error: SerializedError };
