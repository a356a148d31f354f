/**
 * Runtime validation of every API argument, before any handler runs. Both bridges (IPC and browser
 * mode) call validateArg(); a method without a schema here does not exist as far as callers go.
 */
import { z } from 'zod';
import { API_METHODS, type MethodArg, type MethodName } from '../../preload/api';

const jobArg = z.strictObject({ jobId: z.number().int().positive() });

/** Exactly one schema per contract method; `satisfies` keeps each schema's output type equal to the contract's. */
export const argSchemas = {
  appInfo: z.undefined(),
  connectionStatus: z.strictObject({ refresh: z.boolean().optional() }).optional(),
  serverInfo: z.undefined(),
  syncPlan: z.strictObject({
    node: z.string().min(1).max(100).regex(/^[0-9a-fA-F]*(:[^\s:/]{1,200})?$/, 'a node UUID, prefix, or UUID:branch'),
    instances: z
      .array(z.strictObject({ name: z.string().min(1).max(500), scope: z.string().min(1).max(100_000).optional() }))
      .max(10_000)
      .optional(),
    maxBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  }),
  syncStart: z.strictObject({ planId: z.string().min(1).max(200) }),
  syncPause: jobArg,
  syncResume: jobArg,
  syncCancel: jobArg,
  syncStatus: z.strictObject({ jobId: z.number().int().positive().optional() }).optional(),
} satisfies { [M in MethodName]: z.ZodType<MethodArg<M>> };

const methodSet: ReadonlySet<string> = new Set(API_METHODS);

export function isMethodName(name: string): name is MethodName {
  return methodSet.has(name) && Object.hasOwn(argSchemas, name);
}

export class ArgumentError extends Error {
  constructor(
    readonly method: string,
    readonly issues: string,
  ) {
    super(`bad argument for ${method}: ${issues}`);
    this.name = 'ArgumentError';
  }
}

/** Returns the parsed argument or throws ArgumentError naming the method and what was wrong where. */
export function validateArg<M extends MethodName>(method: M, arg: unknown): MethodArg<M> {
  const schema = argSchemas[method] as z.ZodType<MethodArg<M>>;
  const result = schema.safeParse(arg);
  if (!result.success) {
    const issues = result.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(argument)'}: ${i.message}`)
      .join('; ');
    throw new ArgumentError(method, issues);
  }
  return result.data;
}
