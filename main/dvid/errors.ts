/**
 * The typed failures of a DVID call, and the pure functions that decide which one a response or a
 * transport error is.
 *
 * DVID answers nearly every failure with HTTP 400 and a text body `"<message> (<URL path>).\n"`
 * (server.BadRequest), so the status alone cannot tell "not found" from "bad request": the text has to be
 * read (DVID-API.md §1.2). Every error carries the method, the request path (never the token: the token
 * travels in a header and is also scrubbed from any text the server echoes) and the server's text.
 */
import type { ApiErrorCode } from '../../preload/api';

export type DvidErrorKind =
  | 'not-found'
  | 'locked'
  | 'bad-request'
  | 'unauthorized'
  | 'server'
  | 'unavailable'
  | 'timeout'
  | 'truncated'
  | 'network'
  | 'too-large'
  | 'bad-response'
  | 'aborted';

export interface DvidErrorInit {
  method: string;
  /** Request path with query string, e.g. `/api/node/abc…/segmentation/label/1_2_3?scale=0`. No token. */
  path: string;
  /** HTTP status, or null when no response was received. */
  status?: number | null;
  /** What the server said (trimmed, bounded), '' when nothing. */
  serverText?: string;
  /** Why, in our words (used in the message when the server said nothing useful). */
  detail?: string;
  cause?: unknown;
}

const MAX_TEXT_IN_MESSAGE = 400;

export abstract class DvidError extends Error {
  abstract readonly kind: DvidErrorKind;
  /** How the bridges report it to the renderer (main/bridge/dispatch.ts reads `apiCode`). */
  abstract readonly apiCode: ApiErrorCode;
  readonly method: string;
  readonly path: string;
  readonly status: number | null;
  readonly serverText: string;

  constructor(init: DvidErrorInit, summary: string) {
    const text = init.serverText ?? '';
    const said = text ? `: ${clip(text, MAX_TEXT_IN_MESSAGE)}` : init.detail ? `: ${init.detail}` : '';
    super(`${init.method} ${init.path} ${summary}${said}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.method = init.method;
    this.path = init.path;
    this.status = init.status ?? null;
    this.serverText = text;
  }
}

/** The instance, key, UUID, label or element does not exist (DVID's 400 texts, or a 404). */
export class DvidNotFoundError extends DvidError {
  override name = 'DvidNotFoundError';
  readonly kind = 'not-found';
  readonly apiCode = 'not-found';
  constructor(init: DvidErrorInit) {
    super(init, `not found (${init.status ?? '?'})`);
  }
}

/** A write refused because the node is committed (locked) or the server is read-only. */
export class DvidLockedError extends DvidError {
  override name = 'DvidLockedError';
  readonly kind = 'locked';
  readonly apiCode = 'forbidden';
  readonly scope: 'node' | 'server';
  constructor(init: DvidErrorInit, scope: 'node' | 'server') {
    super(init, scope === 'node' ? 'refused: the node is locked (committed)' : 'refused: the server is read-only');
    this.scope = scope;
  }
}

/** Any other 4xx: the request itself is wrong (bad argument, unknown endpoint, …). */
export class DvidBadRequestError extends DvidError {
  override name = 'DvidBadRequestError';
  readonly kind = 'bad-request';
  readonly apiCode = 'failed';
  constructor(init: DvidErrorInit) {
    super(init, `rejected (${init.status ?? '?'})`);
  }
}

/** 401/403, or DVID's "JWT required" 400: the server wants (another) token. */
export class DvidUnauthorizedError extends DvidError {
  override name = 'DvidUnauthorizedError';
  readonly kind = 'unauthorized';
  readonly apiCode = 'unauthorized';
  constructor(init: DvidErrorInit) {
    super(init, `not authorized (${init.status ?? '?'}); set --token or DVID_TOKEN`);
  }
}

/** 5xx, or an error text the server appended to a stream after it had already sent 200. */
export class DvidServerError extends DvidError {
  override name = 'DvidServerError';
  readonly kind: DvidErrorKind = 'server';
  readonly apiCode: ApiErrorCode = 'failed';
  /** True when the status was 200 and the failure came in-band at the end of the body (§1.3). */
  readonly afterOk: boolean;
  constructor(init: DvidErrorInit, afterOk = false) {
    super(init, afterOk ? 'failed after 200 (error text at the end of the stream)' : `server error (${init.status ?? '?'})`);
    this.afterOk = afterOk;
  }
}

/** 429 or 503 that stayed so after the retries allowed (or that were not retried: non-idempotent). */
export class DvidUnavailableError extends DvidServerError {
  override name = 'DvidUnavailableError';
  override readonly kind = 'unavailable';
  override readonly apiCode = 'offline';
  /** The Retry-After the server last asked for, in ms, when it sent one. */
  readonly retryAfterMs: number | null;
  constructor(init: DvidErrorInit, retryAfterMs: number | null) {
    super(init);
    this.retryAfterMs = retryAfterMs;
    this.message = this.message.replace('server error', 'server busy or refusing');
  }
}

export type TimeoutPhase = 'connect' | 'headers' | 'body';

/** No connection, no headers, or no body bytes within the configured time. */
export class DvidTimeoutError extends DvidError {
  override name = 'DvidTimeoutError';
  readonly kind = 'timeout';
  readonly apiCode = 'offline';
  readonly phase: TimeoutPhase;
  readonly timeoutMs: number;
  constructor(init: DvidErrorInit, phase: TimeoutPhase, timeoutMs: number) {
    const what = phase === 'connect' ? 'no connection' : phase === 'headers' ? 'no response headers' : 'the body stalled (no bytes)';
    super(init, `timed out: ${what} within ${timeoutMs} ms`);
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/** The body ended early: mid-record, short of Content-Length, or the connection closed mid-body. */
export class DvidTruncatedError extends DvidError {
  override name = 'DvidTruncatedError';
  readonly kind = 'truncated';
  readonly apiCode = 'failed';
  readonly bytesReceived: number;
  constructor(init: DvidErrorInit, bytesReceived: number) {
    super(init, `truncated after ${bytesReceived} bytes`);
    this.bytesReceived = bytesReceived;
  }
}

/** Could not talk to the server at all: refused, reset, DNS, TLS. */
export class DvidNetworkError extends DvidError {
  override name = 'DvidNetworkError';
  readonly kind = 'network';
  readonly apiCode = 'offline';
  /** The system or undici error code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, …). */
  readonly code: string | null;
  constructor(init: DvidErrorInit, code: string | null) {
    super(init, `${code !== null && RESET_CODES.has(code) ? 'connection reset by the server' : 'cannot reach the server'}${code ? ` (${code})` : ''}`);
    this.code = code;
  }
}

/** The body is larger than the bound this call accepts; the transfer was cut off. */
export class DvidTooLargeError extends DvidError {
  override name = 'DvidTooLargeError';
  readonly kind = 'too-large';
  readonly apiCode = 'failed';
  readonly maxBytes: number;
  constructor(init: DvidErrorInit, maxBytes: number) {
    super(init, `response exceeds the ${maxBytes}-byte limit; transfer cut off`);
    this.maxBytes = maxBytes;
  }
}

/** A 2xx whose body is not what DVID sends there: wrong Content-Type, unparsable JSON, corrupt framing. */
export class DvidBadResponseError extends DvidError {
  override name = 'DvidBadResponseError';
  readonly kind = 'bad-response';
  readonly apiCode = 'failed';
  constructor(init: DvidErrorInit) {
    super(init, 'answered with an unexpected body');
  }
}

/** The caller's AbortSignal fired; the transfer was stopped. */
export class DvidAbortedError extends DvidError {
  override name = 'DvidAbortedError';
  readonly kind = 'aborted';
  readonly apiCode = 'failed';
  constructor(init: DvidErrorInit) {
    super(init, 'aborted');
  }
}

// ---------------------------------------------------------------------------------------------------
// Classification (pure)

/** 400 texts that mean "does not exist" (DVID source: datastore/repo.go, repo_local.go, keyvalue.go, annotation.go). */
const NOT_FOUND_TEXTS: readonly RegExp[] = [
  /invalid data instance name/i,
  /^Key ".*" not found/s,
  /could not find UUID with partial match/i,
  /branch ".*" not found in repo/i,
  /repo \S+ not found/i,
  /could not find repo /i,
  /Did not find (moved )?element /,
  /Could not find the URL/,
];
const LOCKED_NODE = /Cannot do \w+ on endpoint .* of locked node/;
const READ_ONLY = /Server in read-only mode/;
const AUTH_TEXTS = /JWT required|invalid (JWT|token)|token (is )?expired/i;

/** Decides the error class of a non-2xx HTTP answer from its status and body text. */
export function classifyHttpFailure(init: DvidErrorInit & { status: number }, retryAfterMs: number | null = null): DvidError {
  const { status } = init;
  const text = init.serverText ?? '';
  if (status === 404 || status === 410) return new DvidNotFoundError(init);
  if (status === 401 || status === 403) return new DvidUnauthorizedError(init);
  if (status === 429 || status === 503) return new DvidUnavailableError(init, retryAfterMs);
  if (status >= 500) return new DvidServerError(init);
  if (status === 400) {
    if (LOCKED_NODE.test(text)) return new DvidLockedError(init, 'node');
    if (READ_ONLY.test(text)) return new DvidLockedError(init, 'server');
    if (AUTH_TEXTS.test(text)) return new DvidUnauthorizedError(init);
    if (NOT_FOUND_TEXTS.some((re) => re.test(text))) return new DvidNotFoundError(init);
    return new DvidBadRequestError(init);
  }
  if (status >= 400) return new DvidBadRequestError(init);
  // 1xx/3xx/unexpected 2xx where the call needed a 200: the server is not answering as DVID does.
  return new DvidBadResponseError({ ...init, detail: init.detail ?? `unexpected status ${status}` });
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);

/** True for the transport failures that mean "the connection was reset" (and may be retried). */
export function isConnectionReset(err: unknown): boolean {
  const code = errorCode(err);
  return code !== null && RESET_CODES.has(code);
}

export function errorCode(err: unknown): string | null {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return null;
}

export interface TransportContext extends DvidErrorInit {
  timeouts: { connect: number; headers: number; body: number };
  /** Body bytes already received when the error happened, or null before the headers arrived. */
  bytesReceived: number | null;
  signal?: AbortSignal;
}

/** Maps an error thrown by undici or the socket to a DvidError (already-typed errors pass through). */
export function classifyTransportError(err: unknown, ctx: TransportContext): DvidError {
  if (err instanceof DvidError) return err;
  const init: DvidErrorInit = { method: ctx.method, path: ctx.path, status: ctx.status ?? null, cause: err };
  if (ctx.signal?.aborted) return new DvidAbortedError(init);
  const code = errorCode(err);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new DvidTimeoutError(init, 'connect', ctx.timeouts.connect);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new DvidTimeoutError(init, 'headers', ctx.timeouts.headers);
    case 'UND_ERR_BODY_TIMEOUT':
      return new DvidTimeoutError(init, 'body', ctx.timeouts.body);
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return new DvidAbortedError(init);
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new DvidTruncatedError({ ...init, detail: 'fewer bytes than Content-Length' }, ctx.bytesReceived ?? 0);
    default:
      break;
  }
  if ((err as { name?: unknown } | null)?.name === 'AbortError') return new DvidAbortedError(init);
  // A socket that closes once the body has started is a truncated body, not "cannot reach".
  if (ctx.bytesReceived !== null && (code === null || RESET_CODES.has(code))) {
    return new DvidTruncatedError({ ...init, detail: `connection closed mid-body${code ? ` (${code})` : ''}` }, ctx.bytesReceived);
  }
  return new DvidNetworkError({ ...init, detail: (err as Error | null)?.message }, code);
}

// ---------------------------------------------------------------------------------------------------
// Error text after a 200 (DVID-API.md §1.3)

/**
 * When a streamed body ends in printable text that looks like DVID's `http.Error` output
 * (`"... (/api/...).\n"`), returns that text; otherwise null. `tail` is the last bytes of the body.
 * The text starts after the last non-printable byte, so binary records before it are not included.
 */
export function trailingServerError(tail: Uint8Array): string | null {
  let end = tail.length;
  while (end > 0 && (tail[end - 1] === 0x0a || tail[end - 1] === 0x0d)) end--;
  if (end < 3 || tail[end - 1] !== 0x2e /* . */ || tail[end - 2] !== 0x29 /* ) */) return null;
  let start = end;
  while (start > 0 && isPrintable(tail[start - 1]!)) start--;
  const text = Buffer.from(tail.subarray(start, end)).toString('latin1');
  // DVID's messages end with "(<URL path>)." — require the path form so a JSON value or SWC line
  // that happens to end in ")." is not mistaken for one.
  const m = /\((\/[^()]*)\)\.$/.exec(text);
  if (!m || text.length < 8) return null;
  return stripToMessage(text);
}

function isPrintable(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x09;
}

/** From a printable run, keeps the part that starts like a message (drops leading record bytes that were printable by chance). */
function stripToMessage(text: string): string {
  // Records before the text may end in printable bytes by chance; DVID messages start with a letter.
  const m = /[A-Za-z][^]*$/.exec(text);
  return (m ? m[0] : text).trim();
}

/** Trims and bounds a server text for messages, replacing the token wherever the server echoed it. */
export function cleanServerText(raw: string, secret: string | null, max = 2000): string {
  let text = raw.trim();
  if (secret && secret.length >= 4) text = text.split(secret).join('[token]');
  return clip(text, max);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more chars)`;
}
