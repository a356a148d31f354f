/**
 * The one HTTP layer every DVID call goes through (undici request(), never fetch: DVID reads
 * arguments from GET bodies, which fetch refuses). Foundation version: JSON GETs with a timeout and
 * an AbortSignal; the DVID client issue grows it (streams, retries, typed errors).
 */
import { request } from 'undici';

export class DvidHttpError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'DvidHttpError';
  }
}

export interface GetOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Maximum body size accepted, in bytes. */
  maxBytes?: number;
}

export async function getJson<T>(baseUrl: string, path: string, opts: GetOptions = {}): Promise<T> {
  const url = new URL(path, baseUrl).toString();
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 16 << 20;
  let res;
  try {
    res = await request(url, {
      method: 'GET',
      signal: opts.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (err) {
    throw new DvidHttpError(`cannot reach ${url}: ${(err as Error).message}`, url, null);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      res.body.destroy();
      throw new DvidHttpError(`response from ${url} exceeds ${maxBytes} bytes`, url, res.statusCode);
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (res.statusCode !== 200) {
    throw new DvidHttpError(`${url} answered ${res.statusCode}: ${text.trim().slice(0, 300)}`, url, res.statusCode);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new DvidHttpError(`${url} answered 200 with a body that is not JSON`, url, 200);
  }
}
