/**
 * Helpers for tests against the demo DVID: start it (small preset, from the test cache), and talk
 * to it over HTTP the way a DVID client must (undici request(), which allows GET with a body).
 */
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import { startDemoServer, type DemoServer, type DemoServerOptions } from '../../main/demo/index';
import { DEMO_DATA_ROOT } from './demo-paths';

export function startSmallDemo(opts: DemoServerOptions = {}): Promise<DemoServer> {
  return startDemoServer({ preset: 'small', dataRoot: DEMO_DATA_ROOT, ...opts });
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export async function http(base: string, path: string, init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  const body = init.body === undefined ? undefined : typeof init.body === 'string' ? Buffer.from(init.body) : Buffer.from(init.body);
  const res = await request(`${base}${path.startsWith('/') ? '' : '/'}${path}`, {
    method: (init.method ?? 'GET') as 'GET',
    body,
    headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...init.headers },
  });
  const buf = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body: buf, text: buf.toString('utf8') };
}

export async function json<T = unknown>(base: string, path: string, init?: Parameters<typeof http>[2]): Promise<T> {
  const r = await http(base, path, init);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text) as T;
}

/** Percent-encodes each path segment (instance names hold parentheses, quotes, spaces). */
export function seg(name: string): string {
  return encodeURIComponent(name);
}

export const gunzip = (b: Uint8Array): Uint8Array => new Uint8Array(gunzipSync(b));
