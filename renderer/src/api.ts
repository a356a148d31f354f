/**
 * The renderer's one way to reach main: the contract of preload/api.ts, over Electron IPC when the
 * preload exposed it, else over browser mode's loopback HTTP + SSE. Views and stores import `api`
 * from here and never know which transport they got.
 */
import {
  API_EVENTS,
  API_GLOBAL,
  API_METHODS,
  type ApiErrorBody,
  type ApiErrorCode,
  type DvidDeskApi,
  type DvidDeskEvents,
  type DvidDeskMethods,
  type EventName,
} from '../../preload/api';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode | 'transport',
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Electron errors cross contextBridge as "[code] message". */
function fromIpcError(err: unknown): ApiError {
  const message = err instanceof Error ? err.message : String(err);
  const m = /\[([a-z-]+)\] (.*)$/s.exec(message);
  return m ? new ApiError(m[1] as ApiErrorCode, m[2]!) : new ApiError('transport', message);
}

function wrapIpc(raw: DvidDeskApi): DvidDeskApi {
  const methods = Object.fromEntries(
    API_METHODS.map((name) => [
      name,
      (arg?: unknown) => (raw[name] as (a?: unknown) => Promise<unknown>)(arg).catch((err: unknown) => Promise.reject(fromIpcError(err))),
    ]),
  ) as unknown as DvidDeskMethods;
  return { ...methods, on: (event, listener) => raw.on(event, listener) };
}

async function httpCall(name: string, arg: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`/api/call/${encodeURIComponent(name)}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: arg === undefined ? {} : { 'Content-Type': 'application/json' },
      body: arg === undefined ? undefined : JSON.stringify(arg),
    });
  } catch (err) {
    throw new ApiError('transport', `DVID Desk is not answering (${(err as Error).message}); is dvid-desk web still running?`);
  }
  const type = res.headers.get('content-type') ?? '';
  if (res.ok && type.startsWith('application/octet-stream')) return res.arrayBuffer();
  const body = (await res.json().catch(() => null)) as ({ result: unknown } & Partial<ApiErrorBody>) | null;
  if (!res.ok || !body) {
    throw new ApiError(body?.error?.code ?? 'transport', body?.error?.message ?? `HTTP ${res.status}`);
  }
  return body.result;
}

function createHttpApi(): DvidDeskApi {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let source: EventSource | null = null;
  function ensureSource(): void {
    if (source) return;
    source = new EventSource('/api/events');
    for (const name of API_EVENTS) {
      source.addEventListener(name, (e) => {
        const payload: unknown = JSON.parse((e as MessageEvent<string>).data);
        for (const l of listeners.get(name) ?? []) l(payload);
      });
    }
  }
  const methods = Object.fromEntries(API_METHODS.map((name) => [name, (arg?: unknown) => httpCall(name, arg)])) as unknown as DvidDeskMethods;
  return {
    ...methods,
    on<E extends EventName>(event: E, listener: (payload: DvidDeskEvents[E]) => void) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const l = listener as (payload: unknown) => void;
      set.add(l);
      ensureSource();
      return () => set.delete(l);
    },
  };
}

export type SessionState = 'ready' | 'needs-token';

/**
 * Browser mode only: trades the launch token from the URL fragment (#token=…) for the session cookie,
 * once, then removes it from the address bar. Must run before the router reads the fragment.
 */
export async function startSession(): Promise<SessionState> {
  if (window[API_GLOBAL as 'dvidDesk']) return 'ready';
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (m) {
    history.replaceState(null, '', `${window.location.pathname}#/`);
    const res = await fetch('/api/session', { method: 'POST', credentials: 'same-origin', headers: { Authorization: `Bearer ${m[1]}` } });
    if (res.ok) return 'ready';
  }
  // Maybe a cookie from an earlier trade is still valid (a reload).
  const probe = await fetch('/api/call/appInfo', { method: 'POST', credentials: 'same-origin' });
  return probe.ok ? 'ready' : 'needs-token';
}

/**
 * While main builds a node's derived tables in the background it answers queries with the error code
 * 'building' (branch derive): the views wait for the build instead of showing an error.
 */
const BUILDING_RETRY_MS = 500;
const BUILDING_GIVE_UP_MS = 30 * 60_000;

function waitWhileBuilding(raw: DvidDeskApi): DvidDeskApi {
  const methods = Object.fromEntries(
    API_METHODS.map((name) => [
      name,
      async (arg?: unknown) => {
        const started = Date.now();
        for (;;) {
          try {
            return await (raw[name] as (a?: unknown) => Promise<unknown>)(arg);
          } catch (err) {
            if (!(err instanceof ApiError) || (err.code as string) !== 'building' || Date.now() - started > BUILDING_GIVE_UP_MS) throw err;
            await new Promise((r) => setTimeout(r, BUILDING_RETRY_MS));
          }
        }
      },
    ]),
  ) as unknown as DvidDeskMethods;
  return { ...methods, on: (event, listener) => raw.on(event, listener) };
}

const exposed = window[API_GLOBAL as 'dvidDesk'];
export const transport: 'ipc' | 'http' = exposed ? 'ipc' : 'http';
export const api: DvidDeskApi = waitWhileBuilding(exposed ? wrapIpc(exposed) : createHttpApi());
