/** Every production task handler; imported only by the worker entry (worker.ts). */
import type { TaskHandler } from './registry';

export const HANDLERS: ReadonlyArray<TaskHandler<never, never>> = [];
