/**
 * Each fault kind does what it says, seen from a raw HTTP client: latency, injected statuses with
 * Retry-After, connection resets, records split across writes, truncated streams, corrupt payloads,
 * DVID error text after a 200, stalled bodies; `times` and `skip` count matching requests, and the
 * request log records what happened.
 */
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlockStreamParser, BlockStreamServerError } from '../../../main/formats/block-stream';
import { FormatError } from '../../../main/formats/format-error';
import type { DemoServer } from '../../../main/demo/index';
import { http, startSmallDemo } from '../../support/demo';

let demo: DemoServer;
let blocksPath: string;

interface RawResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  chunks: Buffer[];
  error: string | null;
  complete: boolean;
}

/** A plain node:http GET that records every chunk and how the exchange ended. */
function raw(path: string, timeoutMs = 5000): Promise<RawResult> {
  return new Promise((resolve) => {
    const out: RawResult = { status: 0, headers: {}, chunks: [], error: null, complete: false };
    const req = httpRequest(`${demo.url}${path}`, { agent: false }, (res) => {
      out.status = res.statusCode ?? 0;
      out.headers = res.headers;
      res.on('data', (c: Buffer) => out.chunks.push(c));
      res.on('end', () => {
        out.complete = res.complete;
        resolve(out);
      });
      res.on('error', (e) => {
        out.error = e.message;
        resolve(out);
      });
      res.on('aborted', () => {
        out.error = 'aborted';
      });
      res.on('close', () => resolve(out));
    });
    req.setTimeout(timeoutMs, () => {
      out.error = 'timeout';
      req.destroy();
      resolve(out);
    });
    req.on('error', (e) => {
      out.error = (e as NodeJS.ErrnoException).code ?? e.message;
      resolve(out);
    });
    req.end();
  });
}

/** The zlib error code gunzip gives, or null when the payload inflates. */
function zlibError(b: Uint8Array): string | null {
  try {
    gunzipSync(b);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
}

function parse(chunks: Buffer[]): { records: number; error: unknown } {
  const p = new BlockStreamParser();
  let records = 0;
  try {
    for (const c of chunks) records += p.push(c).length;
    p.finish();
    return { records, error: null };
  } catch (e) {
    return { records, error: e };
  }
}

beforeAll(async () => {
  demo = await startSmallDemo();
  blocksPath = `/api/node/${demo.uuids.child}/segmentation/blocks/128_128_128/128_128_128?compression=blocks`;
}, 60_000);

beforeEach(() => demo.setFaults([]));

afterAll(async () => {
  await demo?.close();
});

describe('fault injection', () => {
  it('baseline: the stream parses whole', async () => {
    const r = await raw(blocksPath);
    expect(r.status).toBe(200);
    expect(parse(r.chunks)).toMatchObject({ error: null });
    expect(parse(r.chunks).records).toBeGreaterThan(2);
  });

  it('latency delays the answer', async () => {
    demo.setFaults([{ path: '/api/server/info', kind: 'latency', latencyMs: 400 }]);
    const t0 = Date.now();
    expect((await http(demo.url, '/api/server/info')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
  });

  it('injects 503 and 429 with Retry-After and 500, for the first `times` matching requests only', async () => {
    demo.setFaults([
      { method: 'GET', path: '/api/node/*/segmentation/maxlabel', kind: 'status', status: 503, times: 2, retryAfter: 3 },
      { path: '/api/node/*/segmentation/lastmod/**', kind: 'status', status: 429 },
      { path: '/api/node/*/segmentation/info', kind: 'status', status: 500, skip: 1, times: 1 },
    ]);
    const path = `/api/node/${demo.uuids.child}/segmentation/maxlabel`;
    const a = await http(demo.url, path), b = await http(demo.url, path), c = await http(demo.url, path);
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
    expect(a.headers['retry-after']).toBe('3');
    const t = await http(demo.url, `/api/node/${demo.uuids.child}/segmentation/lastmod/1`);
    expect([t.status, t.headers['retry-after']]).toEqual([429, '1']);
    expect(t.text).toMatch(/^User "demo" is blocked/);
    const info = `/api/node/${demo.uuids.child}/segmentation/info`;
    expect((await http(demo.url, info)).status).toBe(200);
    const p = await http(demo.url, info);
    expect([p.status, p.text.startsWith('Panic detected on request')]).toEqual([500, true]);
    expect((await http(demo.url, info)).status).toBe(200);
    expect(demo.faultCounts()).toEqual([2, 1, 1]);
  });

  it('resets the connection', async () => {
    demo.setFaults([{ path: '/api/server/info', kind: 'reset', times: 1 }]);
    const r = await raw('/api/server/info');
    expect(r.error).toMatch(/ECONNRESET|socket hang up/);
    expect((await raw('/api/server/info')).status).toBe(200);
  });

  it('splits records across writes without changing the bytes', async () => {
    const whole = Buffer.concat((await raw(blocksPath)).chunks);
    demo.setFaults([{ path: '/api/node/**', kind: 'split', chunkBytes: 5 }]);
    const r = await raw(blocksPath);
    expect(r.chunks.length).toBeGreaterThan(20);
    expect(Buffer.concat(r.chunks)).toEqual(whole);
    expect(parse(r.chunks).error).toBeNull();
  });

  it('truncates a stream mid-record: the connection drops and the parser refuses the tail', async () => {
    demo.setFaults([{ path: '/api/node/**', kind: 'truncate', afterBytes: 3000 }]);
    const r = await raw(blocksPath);
    expect(Buffer.concat(r.chunks).length).toBe(3000);
    expect(r.complete).toBe(false);
    expect(parse(r.chunks).error).toBeInstanceOf(FormatError);
  });

  it('corrupts a payload: framing stays valid, the gzip payload does not decode', async () => {
    demo.setFaults([{ path: '/api/node/**', kind: 'corrupt', corruptAt: 40 }]);
    const r = await raw(blocksPath);
    const p = new BlockStreamParser();
    const recs = r.chunks.flatMap((c) => p.push(c));
    p.finish();
    expect(zlibError(recs[0]!.payload)).toMatch(/^Z_/);
    expect(recs.slice(1).map((rec) => zlibError(rec.payload))).toEqual(recs.slice(1).map(() => null));
  });

  it('appends DVID error text after a 200, as a failing streamed handler does', async () => {
    demo.setFaults([{ path: '/api/node/**', kind: 'error-after-200', afterParts: 2, errorText: 'unable to deserialize label block (2,2,2)' }]);
    const r = await raw(blocksPath);
    expect(r.status).toBe(200);
    const text = Buffer.concat(r.chunks).toString('latin1');
    expect(text.endsWith(`unable to deserialize label block (2,2,2) (${blocksPath.split('?')[0]}).\n`)).toBe(true);
    const { records, error } = parse(r.chunks);
    expect(records).toBe(2);
    expect(error).toBeInstanceOf(BlockStreamServerError);
  });

  it('logs a request whose client left while a latency fault held it, as aborted', async () => {
    const path = `/api/node/${demo.uuids.root}/segmentation/info`;
    demo.setFaults([{ path, kind: 'latency', latencyMs: 300 }]);
    const ac = new AbortController();
    const asked = fetch(`${demo.url}${path}`, { signal: ac.signal }).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 50);
    expect(await asked).toBeInstanceOf(Error);
    await new Promise((res) => setTimeout(res, 500));
    const entry = demo.log.entries.filter((e) => e.path === path).at(-1);
    expect(entry).toMatchObject({ method: 'GET', fault: 'latency', outcome: 'aborted', status: 0, bytes: 0, instance: 'segmentation', versionId: 1 });
  });

  it('stalls a body until the client gives up, and logs it', async () => {
    demo.setFaults([{ path: '/api/node/**', kind: 'stall', afterBytes: 100 }]);
    const t0 = Date.now();
    const r = await raw(blocksPath, 600);
    expect(r.error).toBe('timeout');
    expect(Buffer.concat(r.chunks).length).toBe(100);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    await new Promise((res) => setTimeout(res, 50));
    const entry = demo.log.entries.filter((e) => e.path === blocksPath.split('?')[0]).at(-1)!;
    expect(entry).toMatchObject({ method: 'GET', fault: 'stall', outcome: 'stalled', status: 200, bytes: 100, query: 'compression=blocks', instance: 'segmentation', versionId: 2 });
  });

  it('logs method, path, query, status and bytes of every request', async () => {
    const before = demo.log.entries.length;
    await http(demo.url, `/api/node/${demo.uuids.root}/segmentation/size/12345`);
    const e = demo.log.entries.at(-1)!;
    expect(demo.log.entries.length).toBe(before + 1);
    expect(e).toMatchObject({ method: 'GET', path: `/api/node/${demo.uuids.root}/segmentation/size/12345`, status: 404, bytes: 0, versionId: 1, fault: null, outcome: 'ok' });
    expect(e.ms).toBeGreaterThanOrEqual(0);
  });
});
