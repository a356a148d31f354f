/**
 * Runtime validation of every API argument, before any handler runs. Both bridges (IPC and browser
 * mode) call validateArg(); a method without a schema here does not exist as far as callers go.
 */
import { z } from 'zod';
import { API_METHODS, type MethodArg, type MethodName } from '../../preload/api';

/** Exactly one schema per contract method; `satisfies` keeps each schema's output type equal to the contract's. */
export const argSchemas = {
  appInfo: z.undefined(),
  connectionStatus: z.strictObject({ refresh: z.boolean().optional() }).optional(),
  serverInfo: z.undefined(),
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
