/**
 * The one HTTP layer every DVID call goes through: undici `request()`, never `fetch` (DVID reads several
 * arguments from the body of a GET, which fetch refuses: DVID-API.md §1.4).
 *
 * What every call gets here, so the datatype modules never think about it:
 * - an AbortSignal that stops the transfer (socket destroyed, not just ignored);
 * - connect / response-headers / body-idle timeouts (the body timer pauses while the consumer applies
 *   backpressure, so a slow consumer is not mistaken for a stalled server);
 * - a maximum body size, checked against Content-Length up front and counted while reading;
 * - the Content-Type check where DVID sets one;
 * - retries with backoff and jitter for idempotent requests on 429/503/connection resets, honouring
 *   Retry-After up to a cap (retry.ts);
 * - an optional bearer token, sent as a header only: never in a URL, a log line or an error message;
 * - `u=` and `app=` on every write (DVID records them in its mutation logs);
 * - typed errors (errors.ts) carrying method, path and the server's text.
 *
 * Bodies come back three ways: whole (`json`, `text`, `bytes`, bounded), as a HEAD status (`exists`), or
 * as records of an incremental parser (`records`), which is how block streams, tar and key ranges are
 * consumed without ever holding the whole response.
 */
import { userInfo } from 'node:os';
import { Agent, request, type Dispatcher } from 'undici';
import { FormatError } from '../formats/format-error';
import { parseJsonLossless } from '../formats/json-u64';
import {
  classifyHttpFailure,
  classifyTransportError,
  cleanServerText,
  DvidAbortedError,
  DvidBadResponseError,
  DvidError,
  DvidServerError,
  DvidTooLargeError,
  DvidTruncatedError,
  isConnectionReset,
  trailingServerError,
  type DvidErrorInit,
} from './errors';
import { ShapeError } from './json-read';
import { queryString, type QueryParams } from './paths';
import { decideRetry, DEFAULT_RETRY_POLICY, parseRetryAfter, sleep, type RetryPolicy, type RetryReason } from './retry';

export interface DvidTimeouts {
  /** TCP (and TLS) connection set-up. */
  connectMs: number;
  /** From the request being sent to the response headers (DVID computes some answers before the first byte). */
  headersMs: number;
  /** Longest gap between two body chunks while we are reading. */
  bodyIdleMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<DvidTimeouts> = { connectMs: 10_000, headersMs: 120_000, bodyIdleMs: 60_000 };

/** Default bound of a whole-body read (JSON, text, one key's value). Calls that expect more pass `maxBytes`. */
export const DEFAULT_MAX_BODY_BYTES = 64 << 20;
/** Default bound of a streamed body (block streams, key ranges, tar). */
export const DEFAULT_MAX_STREAM_BYTES = 16 * 1024 ** 3;
const EMPTY = new Uint8Array(0);
/** How much of an error body we read for its text. */
const ERROR_TEXT_BYTES = 64 << 10;
/** How much of a stream's end we keep to find an error text appended after a 200 (DVID-API.md §1.3). */
const TAIL_BYTES = 8 << 10;
/** After a parser rejects a chunk, how much more we read looking for that error text. */
const DRAIN_BYTES = 64 << 10;

export interface DvidHttpOptions {
  /** e.g. `http://emdata.example.org:8000` or `https://host/dvid` (a path prefix is kept). */
  baseUrl: string;
  /** Bearer token for servers that enforce authentication (`--token`, `DVID_TOKEN`). */
  token?: string | null;
  /** `u=` on writes; default: the OS user name. */
  user?: string;
  /** `app=` on writes. */
  app?: string;
  timeouts?: Partial<DvidTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** Injected randomness for the backoff jitter (tests). */
  random?: () => number;
  /** Called before each retry wait; never sees the token. */
  onRetry?: (info: { method: string; path: string; attempt: number; delayMs: number; why: string }) => void;
  /** Connections per origin (DVID throttles heavy requests; keep it small). */
  connections?: number;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'DELETE';

/** The Content-Type DVID sets on a successful answer of an endpoint (checked only where it sets one). */
export type ContentKind = 'json' | 'octet-stream' | 'tar' | 'text';

const MEDIA_TYPES: Readonly<Record<ContentKind, readonly string[]>> = {
  json: ['application/json'],
  'octet-stream': ['application/octet-stream'],
  tar: ['application/tar', 'application/x-tar'],
  text: ['text/plain'],
};

export interface DvidRequest {
  method: HttpMethod;
  /** Starts with `/api/`; built with paths.ts so every segment is encoded. */
  path: string;
  query?: QueryParams;
  /** A body, also on GET (sent with an explicit Content-Length). */
  body?: Uint8Array | string;
  /** Content-Type of `body`. */
  bodyType?: string;
  /** What DVID sets as Content-Type here; omit where DVID sets none. */
  expect?: ContentKind;
  /** May be retried on 429/503/reset. Default: GET and HEAD. */
  idempotent?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the default body bound of this kind of call. */
  maxBytes?: number;
  timeouts?: Partial<DvidTimeouts>;
}

/** What `records()` feeds: the incremental parsers of formats/ (BlockStreamParser, TarStreamParser, …). */
export interface IncrementalParser<T> {
  /** Bytes as they come off the socket; returns the records they completed. */
  push(chunk: Uint8Array): T[];
  /** End of stream, first step (optional): records held back until the end, delivered even if `finish` throws. */
  flush?(): T[];
  /** End of stream: throws a FormatError when the stream ended badly (mid-record, or in an error text). */
  finish(): void;
}

/** A record the stream framed correctly but whose content is wrong (reported as DvidBadResponseError). */
export class RecordError extends Error {
  override name = 'RecordError';
}

/**
 * A parser whose records pass through `map` (e.g. JSON members → typed records). A ShapeError or
 * FormatError thrown by `map` is a bad record, not a framing problem: it becomes a RecordError.
 */
export function mapParser<T, R>(inner: IncrementalParser<T>, map: (record: T) => R): IncrementalParser<R> {
  const apply = (records: T[]): R[] => {
    try {
      return records.map(map);
    } catch (err) {
      if (err instanceof ShapeError || err instanceof FormatError) throw new RecordError(err.message, { cause: err });
      throw err;
    }
  };
  return {
    push: (chunk) => apply(inner.push(chunk)),
    flush: inner.flush ? () => apply(inner.flush!()) : undefined,
    finish: () => inner.finish(),
  };
}

interface Exchange {
  method: HttpMethod;
  /** Path as shown in errors: prefix + path + query. */
  shownPath: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  idempotent: boolean;
  expect: ContentKind | undefined;
  timeouts: DvidTimeouts;
  signal: AbortSignal | undefined;
}

/** Attempts made so far for one call (shared by the header phase and a retried body read). */
interface Attempts {
  done: number;
}

interface OpenResponse {
  ex: Exchange;
  res: Dispatcher.ResponseData;
}

function defaultUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export class DvidHttp {
  readonly baseUrl: string;
  readonly user: string;
  readonly app: string;
  private readonly origin: string;
  private readonly prefix: string;
  private readonly token: string | null;
  private readonly timeouts: DvidTimeouts;
  private readonly retryPolicy: RetryPolicy;
  private readonly random: () => number;
  private readonly onRetry: DvidHttpOptions['onRetry'];
  private readonly agents = new Map<number, Agent>();
  private readonly connections: number;

  constructor(opts: DvidHttpOptions) {
    const u = new URL(opts.baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`DVID base URL must be http(s): ${opts.baseUrl}`);
    if (u.username || u.password) throw new TypeError('DVID base URL must not carry credentials; use a token');
    this.origin = u.origin;
    this.prefix = u.pathname.replace(/\/+$/, '');
    this.baseUrl = this.origin + this.prefix;
    this.token = opts.token ? opts.token : null;
    this.user = opts.user ?? defaultUser();
    this.app = opts.app ?? 'dvid-desk';
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.random = opts.random ?? Math.random;
    this.onRetry = opts.onRetry;
    this.connections = opts.connections ?? 6;
  }

  /** The connection pool for a connect timeout (undici sets it per pool, not per request). */
  private agent(connectMs: number): Agent {
    let a = this.agents.get(connectMs);
    if (!a) {
      a = new Agent({
        connect: { timeout: connectMs },
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyIdleMs,
        connections: this.connections,
      });
      this.agents.set(connectMs, a);
    }
    return a;
  }

  /** True when a token is configured (the token itself is never exposed). */
  get hasToken(): boolean {
    return this.token !== null;
  }

  async close(): Promise<void> {
    const all = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(all.map((a) => a.close()));
  }

  // -------------------------------------------------------------------------------------------------
  // Whole-body reads

  /** The parsed JSON body (integers beyond ±2^53 as bigint: formats/json-u64.ts). */
  async json(req: DvidRequest, opts: CallOptions = {}): Promise<unknown> {
    return (await this.readJson(req, opts)).value;
  }

  /** The JSON body read into a typed value by `read` (json-read.ts); a wrong shape is a DvidBadResponseError. */
  async parsed<T>(req: DvidRequest, opts: CallOptions, read: (value: unknown) => T): Promise<T> {
    const { ex, value } = await this.readJson(req, opts);
    try {
      return read(value);
    } catch (err) {
      if (err instanceof ShapeError) throw new DvidBadResponseError(this.init(ex, 200, '', err.message, err));
      throw err;
    }
  }

  private async readJson(req: DvidRequest, opts: CallOptions): Promise<{ ex: Exchange; value: unknown }> {
    const { ex, bytes } = await this.readWhole(req, opts);
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    try {
      return { ex, value: parseJsonLossless(text) };
    } catch (err) {
      throw this.unparsable(ex, bytes, `not JSON (${(err as Error).message})`, 200);
    }
  }

  async text(req: DvidRequest, opts: CallOptions = {}): Promise<string> {
    const { bytes } = await this.readWhole(req, opts);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }

  async bytes(req: DvidRequest, opts: CallOptions = {}): Promise<Uint8Array> {
    return (await this.readWhole(req, opts)).bytes;
  }

  /**
   * For callers that must decode a whole body with a codec: runs `decode`, and turns a FormatError into
   * the right DvidError (an error text after the 200, or a bad response).
   */
  async decoded<T>(req: DvidRequest, opts: CallOptions, decode: (bytes: Uint8Array) => T): Promise<T> {
    const { ex, bytes } = await this.readWhole(req, opts);
    try {
      return decode(bytes);
    } catch (err) {
      if (err instanceof ShapeError) throw new DvidBadResponseError(this.init(ex, 200, '', err.message, err));
      if (!(err instanceof FormatError)) throw err;
      throw this.unparsable(ex, bytes, err.message, 200, err);
    }
  }

  /** HEAD (or GET) status as existence: `present` statuses → true, `absent` statuses → false. */
  async exists(req: DvidRequest, opts: CallOptions = {}, present = [200], absent = [404, 204]): Promise<boolean> {
    const { res } = await this.openOk(req, opts, [...present, ...absent]);
    discard(res.body);
    return present.includes(res.statusCode);
  }

  /** A write (POST/DELETE): `u=` and `app=` are added; returns the (bounded) response body. */
  async send(req: DvidRequest, opts: CallOptions = {}): Promise<Uint8Array> {
    return (await this.readWhole(req, opts, [200, 201, 204])).bytes;
  }

  // -------------------------------------------------------------------------------------------------
  // Streamed bodies

  /**
   * Streams the body through `parser` and yields its records as they complete. The request starts on
   * the first `next()`; leaving the loop early (break, throw, abort) destroys the socket.
   *
   * Failures keep what was delivered: records yielded before a failure stay with the consumer, and the
   * failure is thrown after them — a DvidServerError (afterOk) when the body ended in DVID's error text,
   * a DvidTruncatedError when it ended mid-record or the connection closed, a DvidTimeoutError when it
   * stalled, a DvidTooLargeError when it outgrew the bound, a DvidBadResponseError on corrupt framing.
   */
  async *records<T>(req: DvidRequest, parser: IncrementalParser<T>, opts: CallOptions = {}): AsyncGenerator<T, void, undefined> {
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_STREAM_BYTES;
    const { ex, res } = await this.openOk(req, { ...opts, maxBytes });
    const tail = new Tail(TAIL_BYTES);
    let received = 0;
    let done = false;
    try {
      const body = res.body as AsyncIterable<Buffer>;
      const it = body[Symbol.asyncIterator]();
      for (;;) {
        let step: IteratorResult<Buffer>;
        try {
          step = await it.next();
        } catch (err) {
          throw this.transportFailure(err, ex, received);
        }
        if (step.done) break;
        const chunk = step.value;
        received += chunk.length;
        if (received > maxBytes) throw new DvidTooLargeError(this.init(ex, 200), maxBytes);
        tail.push(chunk, received - chunk.length);
        let out: T[];
        try {
          out = parser.push(chunk);
        } catch (err) {
          if (err instanceof RecordError) throw new DvidBadResponseError(this.init(ex, 200, '', err.message, err.cause));
          if (!(err instanceof FormatError)) throw err;
          throw await this.streamFormatFailure(err, ex, it, tail, received, 'push');
        }
        for (const record of out) yield record;
      }
      // An empty push lets a parser that returned good records before bad bytes report those bytes
      // (as a framing error, not a truncation), before the end-of-stream steps.
      let last: T[];
      try {
        last = parser.push(EMPTY);
      } catch (err) {
        if (err instanceof RecordError) throw new DvidBadResponseError(this.init(ex, 200, '', err.message, err.cause));
        if (!(err instanceof FormatError)) throw err;
        throw await this.streamFormatFailure(err, ex, null, tail, received, 'push');
      }
      for (const record of last) yield record;
      try {
        last = parser.flush?.() ?? [];
      } catch (err) {
        if (err instanceof RecordError) throw new DvidBadResponseError(this.init(ex, 200, '', err.message, err.cause));
        throw err;
      }
      for (const record of last) yield record;
      try {
        parser.finish();
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        throw await this.streamFormatFailure(err, ex, null, tail, received, 'finish');
      }
      done = true;
    } finally {
      if (!done) discard(res.body);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Internals

  private exchange(req: DvidRequest, opts: CallOptions): Exchange {
    const write = req.method === 'POST' || req.method === 'DELETE';
    const query = write ? { ...req.query, u: this.user, app: this.app } : req.query;
    const pathAndQuery = this.prefix + req.path + queryString(query);
    const headers: Record<string, string> = {};
    let body: Uint8Array | undefined;
    if (req.body !== undefined) {
      body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
      // Explicit even on GET: DVID reads the body of these GETs and some proxies drop a GET body without it.
      headers['content-length'] = String(body.byteLength);
      headers['content-type'] = req.bodyType ?? 'application/octet-stream';
    }
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return {
      method: req.method,
      shownPath: pathAndQuery,
      url: this.origin + pathAndQuery,
      headers,
      body,
      idempotent: req.idempotent ?? (req.method === 'GET' || req.method === 'HEAD'),
      expect: req.expect,
      timeouts: { ...this.timeouts, ...opts.timeouts },
      signal: opts.signal,
    };
  }

  private init(ex: Exchange, status: number | null, serverText = '', detail?: string, cause?: unknown): DvidErrorInit {
    return { method: ex.method, path: ex.shownPath, status, serverText: cleanServerText(serverText, this.token), detail, cause };
  }

  private transportFailure(err: unknown, ex: Exchange, bytesReceived: number | null, status: number | null = null): DvidError {
    return classifyTransportError(err, {
      method: ex.method,
      path: ex.shownPath,
      status,
      timeouts: { connect: ex.timeouts.connectMs, headers: ex.timeouts.headersMs, body: ex.timeouts.bodyIdleMs },
      bytesReceived,
      signal: ex.signal,
    });
  }

  /** One attempt: send and wait for the headers. Transport errors come back typed. */
  private async attempt(ex: Exchange): Promise<Dispatcher.ResponseData> {
    try {
      return await request(ex.url, {
        method: ex.method,
        headers: ex.headers,
        body: ex.body,
        signal: ex.signal,
        dispatcher: this.agent(ex.timeouts.connectMs),
        headersTimeout: ex.timeouts.headersMs,
        bodyTimeout: ex.timeouts.bodyIdleMs,
        idempotent: ex.idempotent,
      });
    } catch (err) {
      throw this.transportFailure(err, ex, null);
    }
  }

  /**
   * Sends with retries until a status in `ok` (default 200) arrives, checks Content-Type and the declared
   * length, and returns the open response for the caller to read. Anything else becomes a typed error.
   */
  private async openOk(
    req: DvidRequest,
    opts: CallOptions,
    ok: readonly number[] = [200],
    tries: Attempts = { done: 0 },
  ): Promise<OpenResponse> {
    const ex = this.exchange(req, opts);
    for (;;) {
      const attempt = ++tries.done;
      let res: Dispatcher.ResponseData;
      let reason: RetryReason;
      let failure: DvidError;
      try {
        res = await this.attempt(ex);
      } catch (err) {
        if (!(err instanceof DvidError) || !isConnectionReset(err.cause)) throw err;
        failure = err;
        reason = { reset: true };
        await this.maybeRetry(ex, attempt, reason, failure);
        continue;
      }
      if (ok.includes(res.statusCode)) {
        this.checkResponse(ex, res, opts.maxBytes ?? DEFAULT_MAX_BODY_BYTES, res.statusCode);
        return { ex, res };
      }
      const text = await this.errorText(res);
      const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
      failure = classifyHttpFailure({ ...this.init(ex, res.statusCode, text), status: res.statusCode }, retryAfterMs);
      if (res.statusCode !== 429 && res.statusCode !== 503) throw failure;
      reason = { status: res.statusCode, retryAfterMs };
      await this.maybeRetry(ex, attempt, reason, failure);
    }
  }

  /** Waits before the next attempt when the policy allows one; otherwise throws `failure`. */
  private async maybeRetry(ex: Exchange, attempt: number, reason: RetryReason, failure: DvidError): Promise<void> {
    const d = decideRetry(attempt, ex.idempotent, reason, this.retryPolicy, this.random);
    if (!d.retry) throw failure;
    this.onRetry?.({ method: ex.method, path: ex.shownPath, attempt, delayMs: d.delayMs, why: failure.message });
    try {
      await sleep(d.delayMs, ex.signal);
    } catch (err) {
      throw new DvidAbortedError(this.init(ex, null, '', 'while waiting to retry', err));
    }
  }

  private checkResponse(ex: Exchange, res: Dispatcher.ResponseData, maxBytes: number, status: number): void {
    if (ex.expect && ex.method !== 'HEAD' && status === 200) {
      const raw = res.headers['content-type'];
      const media = (Array.isArray(raw) ? raw[0] : raw)?.split(';')[0]?.trim().toLowerCase() ?? '';
      if (!MEDIA_TYPES[ex.expect].includes(media)) {
        discard(res.body);
        throw new DvidBadResponseError(
          this.init(ex, status, '', `Content-Type "${media || '(none)'}", expected ${MEDIA_TYPES[ex.expect].join(' or ')}`),
        );
      }
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      discard(res.body);
      throw new DvidTooLargeError(this.init(ex, status, '', `Content-Length ${declared}`), maxBytes);
    }
  }

  /** Reads a whole body (with the same retry policy: a reset mid-body of an idempotent read is retried). */
  private async readWhole(req: DvidRequest, opts: CallOptions, ok?: readonly number[]): Promise<{ ex: Exchange; bytes: Uint8Array }> {
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
    const tries: Attempts = { done: 0 };
    for (;;) {
      const { ex, res } = await this.openOk(req, { ...opts, maxBytes }, ok, tries);
      const chunks: Buffer[] = [];
      let received = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received > maxBytes) {
            discard(res.body);
            throw new DvidTooLargeError(this.init(ex, res.statusCode), maxBytes);
          }
          chunks.push(chunk);
        }
      } catch (err) {
        const failure = this.transportFailure(err, ex, received, res.statusCode);
        if (!(failure instanceof DvidTruncatedError) || !isConnectionReset(failure.cause)) throw failure;
        await this.maybeRetry(ex, tries.done, { reset: true }, failure);
        continue;
      }
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      return { ex, bytes };
    }
  }

  private async errorText(res: Dispatcher.ResponseData): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= ERROR_TEXT_BYTES) break;
      }
    } catch {
      // The status already says what failed; a broken error body only loses the text.
    } finally {
      discard(res.body);
    }
    return Buffer.concat(chunks).subarray(0, ERROR_TEXT_BYTES).toString('utf8');
  }

  /** A whole body that a decoder rejected: DVID's error text after a 200, or just a bad body. */
  private unparsable(ex: Exchange, bytes: Uint8Array, why: string, status: number, cause?: unknown): DvidError {
    const text = trailingServerError(bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)));
    if (text) return new DvidServerError(this.init(ex, status, text, undefined, cause), true);
    return new DvidBadResponseError(this.init(ex, status, '', why, cause));
  }

  /**
   * A parser rejected the stream. If the stream is (or, after reading a little more, turns out to be)
   * DVID's error text appended after the 200, report that; otherwise the framing was corrupt (push) or
   * the body ended mid-record (finish).
   */
  private async streamFormatFailure(
    err: FormatError,
    ex: Exchange,
    it: AsyncIterator<Buffer> | null,
    tail: Tail,
    received: number,
    phase: 'push' | 'finish',
  ): Promise<DvidError> {
    const serverMessage = (err as FormatError & { serverMessage?: unknown }).serverMessage;
    if (typeof serverMessage === 'string' && serverMessage) {
      return new DvidServerError(this.init(ex, 200, serverMessage, undefined, err), true);
    }
    if (it) {
      // Read on (bounded) so a message split across chunks is seen whole.
      let extra = 0;
      try {
        while (extra < DRAIN_BYTES) {
          const step = await it.next();
          if (step.done) break;
          tail.push(step.value, received + extra);
          extra += step.value.length;
        }
      } catch {
        // Whatever arrived is all the evidence there is.
      }
      received += extra;
    }
    const text = tail.textFrom(err.offset) ?? trailingServerError(tail.bytes());
    if (text) return new DvidServerError(this.init(ex, 200, text, undefined, err), true);
    if (phase === 'finish') return new DvidTruncatedError(this.init(ex, 200, '', err.message, err), received);
    return new DvidBadResponseError(this.init(ex, 200, '', err.message, err));
  }
}

/**
 * Stops a response body and closes its socket. undici's body emits an 'error' (RequestAbortedError) when
 * destroyed before its end; that is the intended outcome here, so it is swallowed rather than left to
 * crash the process as an unhandled 'error' event.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** The last bytes of a stream, with their absolute offset (kept as chunk references: no copying per chunk). */
class Tail {
  private chunks: Array<{ at: number; data: Uint8Array }> = [];
  private size = 0;
  constructor(private readonly keep: number) {}

  push(data: Uint8Array, at: number): void {
    this.chunks.push({ at, data });
    this.size += data.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.data.length >= this.keep) {
      this.size -= this.chunks.shift()!.data.length;
    }
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.chunks.map((c) => c.data));
  }

  /** The bytes from absolute offset `at` to the end as DVID error text, if they are one. */
  textFrom(at: number): string | null {
    const first = this.chunks[0];
    if (!first || at < first.at) return null;
    const all = this.bytes().subarray(at - first.at);
    if (all.length === 0 || all.length > 4096) return null;
    for (const b of all) if ((b < 0x20 || b > 0x7e) && b !== 0x0a && b !== 0x0d && b !== 0x09) return null;
    const text = Buffer.from(all).toString('latin1').trim();
    return /\(\/[^()]*\)\.$/.test(text) ? text : null;
  }
}
