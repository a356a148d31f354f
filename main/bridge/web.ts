/**
 * Browser mode: serves the built renderer and the same API contract over loopback HTTP, events over SSE.
 *
 * Access control, in order, for every request:
 * 1. Host must be 127.0.0.1:PORT or localhost:PORT (defeats DNS rebinding).
 * 2. A foreign Origin is refused (only http://127.0.0.1:PORT and http://localhost:PORT are ours).
 * 3. /api/* needs the session cookie (HttpOnly, SameSite=Strict) or `Authorization: Bearer <token>`.
 *    The page gets the cookie by trading the per-launch token from the URL fragment once
 *    (POST /api/session); fragments never reach server logs or Referer headers.
 *
 * Routes: POST /api/session, POST /api/call/<method> (JSON body = the argument), GET /api/events (SSE),
 * everything else = static files of the renderer, with the same CSP as the Electron window.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_EVENTS } from '../../preload/api';
import type { DvidDeskApp } from '../app';
import { mimeTypeFor, RENDERER_HEADERS, resolveRendererPath } from '../security';
import { ApiError, dispatch, errorBody, STATUS_OF } from './dispatch';

export const SESSION_COOKIE = 'dvid_desk_session';
const MAX_ARG_BYTES = 1 << 20;
const SSE_HEARTBEAT_MS = 15_000;

export interface WebBridgeOptions {
  app: DvidDeskApp;
  /** The built renderer folder (out/renderer). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** For tests only: a fixed token instead of a random one. */
  token?: string;
}

export interface WebBridge {
  /** http://127.0.0.1:PORT/#token=… : the URL to open, printed first. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  const chunks: Buffer[] = [];
  let size = 0;
  if (declared <= limit) {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) break;
      chunks.push(chunk as Buffer);
    }
  }
  if (declared > limit || size > limit) {
    // Discard the rest so the client can read the answer; the connection closes after it.
    req.resume();
    throw new ApiError('bad-argument', `request body exceeds ${limit} bytes`);
  }
  return Buffer.concat(chunks);
}

export async function startWebBridge(opts: WebBridgeOptions): Promise<WebBridge> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  // The cookie carries a different secret than the URL token, so one never reveals the other.
  const sessionSecret = randomBytes(32).toString('base64url');
  let port = 0;
  const openStreams = new Set<ServerResponse>();

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  function authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && sameSecret(auth.slice(7).trim(), token)) return true;
    const cookie = cookieValue(req, SESSION_COOKIE);
    return cookie !== null && sameSecret(cookie, sessionSecret);
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: { code: 'bad-argument', message: `${req.method} is not allowed here` } }, { Allow: 'GET, HEAD' });
      return;
    }
    let file = resolveRendererPath(opts.rendererDir, pathname);
    if (file === null) {
      sendJson(res, 404, { error: { code: 'not-found', message: 'no such file' } });
      return;
    }
    let info = await stat(file).catch(() => null);
    // The renderer routes with the URL fragment, so an unknown extension-less path gets the app shell.
    if ((!info || !info.isFile()) && !/\.[a-z0-9]+$/i.test(pathname)) {
      file = resolveRendererPath(opts.rendererDir, '/index.html');
      info = file ? await stat(file).catch(() => null) : null;
    }
    if (!file || !info || !info.isFile()) {
      sendJson(res, 404, { error: { code: 'not-found', message: `no file ${pathname.slice(0, 200)}` } });
      return;
    }
    res.writeHead(200, {
      ...RENDERER_HEADERS,
      'Content-Type': mimeTypeFor(file),
      'Content-Length': info.size,
      'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }

  function openEvents(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write(': dvid-desk events\n\n');
    openStreams.add(res);
    const offs = API_EVENTS.map((name) =>
      opts.app.events.on(name, (payload) => {
        res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
      }),
    );
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      for (const off of offs) off();
      openStreams.delete(res);
    });
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (pathname === '/api/session') {
      if (req.method !== 'POST') throw new ApiError('bad-argument', 'use POST /api/session');
      const auth = req.headers.authorization;
      if (!auth?.startsWith('Bearer ') || !sameSecret(auth.slice(7).trim(), token)) {
        throw new ApiError('unauthorized', 'missing or wrong token: open the URL that dvid-desk printed');
      }
      res.writeHead(204, {
        'Set-Cookie': `${SESSION_COOKIE}=${sessionSecret}; HttpOnly; SameSite=Strict; Path=/`,
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }
    if (!authorized(req)) throw new ApiError('unauthorized', 'missing or wrong token: open the URL that dvid-desk printed');
    if (pathname === '/api/events') {
      if (req.method !== 'GET') throw new ApiError('bad-argument', 'use GET /api/events');
      openEvents(req, res);
      return;
    }
    const match = /^\/api\/call\/([^/]+)$/.exec(pathname);
    if (!match) throw new ApiError('not-found', `no API route ${pathname.slice(0, 200)}`);
    if (req.method !== 'POST') throw new ApiError('bad-argument', `use POST for ${pathname.slice(0, 200)}`);
    const type = req.headers['content-type'] ?? '';
    const body = await readBody(req, MAX_ARG_BYTES);
    let arg: unknown;
    if (body.length > 0) {
      // Requiring JSON also keeps HTML forms (which cannot send it) from reaching the API.
      if (!/^application\/json\b/i.test(type)) throw new ApiError('bad-argument', 'the argument must be sent as application/json');
      try {
        arg = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ApiError('bad-argument', 'the request body is not valid JSON');
      }
    }
    let method: string;
    try {
      method = decodeURIComponent(match[1]!);
    } catch {
      throw new ApiError('unknown-method', 'malformed method name');
    }
    const result = await dispatch(opts.app, method, arg);
    if (result instanceof ArrayBuffer || ArrayBuffer.isView(result)) {
      const bytes = result instanceof ArrayBuffer ? new Uint8Array(result) : new Uint8Array(result.buffer, result.byteOffset, result.byteLength);
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': bytes.byteLength,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(bytes);
      return;
    }
    sendJson(res, 200, { result: result ?? null });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (!allowedHosts().has(host)) {
      sendJson(res, 421, { error: { code: 'forbidden', message: `foreign Host "${host.slice(0, 100)}": use 127.0.0.1:${port}` } });
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) {
      sendJson(res, 403, { error: { code: 'forbidden', message: `foreign Origin "${origin.slice(0, 100)}"` } });
      return;
    }
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', `http://${host}`).pathname;
    } catch {
      sendJson(res, 400, { error: { code: 'bad-argument', message: 'malformed URL' } });
      return;
    }
    try {
      if (pathname === '/api' || pathname.startsWith('/api/')) await handleApi(req, res, pathname);
      else await serveStatic(req, res, pathname);
    } catch (err) {
      if (res.headersSent) {
        res.destroy(err as Error);
        return;
      }
      const body = errorBody(err);
      sendJson(res, STATUS_OF[body.error.code], body, req.complete ? {} : { Connection: 'close' });
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.destroy(err as Error);
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    async close() {
      for (const res of openStreams) res.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
