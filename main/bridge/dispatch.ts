/**
 * The single path from a bridge to the implementation: method lookup, argument validation, call,
 * and the mapping of failures to the contract's error codes. Used by ipc.ts and web.ts alike.
 */
import type { ApiErrorBody, ApiErrorCode, MethodName } from '../../preload/api';
import type { DvidDeskApp } from '../app';
import { ArgumentError, isMethodName, validateArg } from './validate';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** HTTP status for each error code (browser mode). */
export const STATUS_OF: Readonly<Record<ApiErrorCode, number>> = {
  'unknown-method': 404,
  'bad-argument': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  building: 503,
  offline: 503,
  failed: 500,
};

export function errorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return { error: { code: err.code, message: err.message } };
  if (err instanceof ArgumentError) return { error: { code: 'bad-argument', message: err.message } };
  const code = (err as { apiCode?: ApiErrorCode } | null)?.apiCode;
  const message = err instanceof Error ? err.message : String(err);
  return { error: { code: code && code in STATUS_OF ? code : 'failed', message } };
}

/** Validates and runs one call; throws ApiError / ArgumentError for the caller to map. */
export async function dispatch(app: DvidDeskApp, method: string, rawArg: unknown): Promise<unknown> {
  if (!isMethodName(method)) throw new ApiError('unknown-method', `unknown method "${method.slice(0, 80)}"`);
  const arg = validateArg(method, rawArg);
  const handler = app.handlers[method] as (a: unknown) => Promise<unknown>;
  return handler(arg);
}

export type { MethodName };
