/**
 * Failure handling against the demo DVID's fault injection: each failure maps to its typed error,
 * retries happen only where allowed (counted in the server's request log), aborts and bounds stop the
 * transfer, and records received before a failure stay usable.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeBlockPayload } from '../../../main/formats/block-stream';
import { FormatError } from '../../../main/formats/format-error';
import {
  DvidAbortedError,
  DvidBadResponseError,
  DvidError,
  DvidNetworkError,
  DvidServerError,
  DvidTimeoutError,
  DvidTooLargeError,
  DvidTruncatedError,
  DvidUnavailableError,
} from '../../../main/dvid/errors';
import { DvidHttp } from '../../../main/dvid/http';
import type { BlockCoord } from '../../../main/dvid/labelmap';
import type { MappingBatch } from '../../../main/dvid/mappings-stream';
import { logMark, requestsSince, startDemoFixture, waitForLog, type DemoFixture } from '../../support/dvid-demo';

let fx: DemoFixture;
let coords: BlockCoord[];
let body: bigint;

beforeAll(async () => {
  fx = await startDemoFixture();
  body = fx.demo.truth.neuronBodies(1)[0]!;
  // Eight blocks that exist (from the server itself: a coarse sparse volume of a body).
  const runs = await fx.client().labelmap(fx.child, 'segmentation').sparsevolCoarse(body);
  coords = runs.flatMap((r) => Array.from({ length: r.length }, (_, i) => [r.x + i, r.y, r.z] as const)).slice(0, 8);
  if (coords.length !== 8) throw new Error(`the test body spans ${coords.length} blocks; 8 are needed`);
});
afterEach(() => fx.demo.setFaults([]));
afterAll(async () => {
  await fx?.close();
});

const SPECIFIC = '/api/node/*/segmentation/specificblocks';

/** Consumes an async iterable; returns what arrived and the error that ended it (or null). */
async function drain<T>(records: AsyncIterable<T>): Promise<{ got: T[]; err: unknown }> {
  const got: T[] = [];
  try {
    for await (const x of records) got.push(x);
    return { got, err: null };
  } catch (err) {
    return { got, err };
  }
}

const caught = (p: Promise<unknown>): Promise<unknown> => p.then(() => null, (e: unknown) => e);

describe('retries', () => {
  it('retries a GET on 503 and 429, waiting at least the Retry-After', async () => {
    const delays: number[] = [];
    const seg = fx.client({ onRetry: (i) => delays.push(i.delayMs) }).labelmap(fx.child, 'segmentation');
    fx.demo.setFaults([
      { path: '/api/node/*/segmentation/size/*', kind: 'status', status: 503, retryAfter: 1, times: 1 },
      { path: '/api/node/*/segmentation/size/*', kind: 'status', status: 429, retryAfter: 1, times: 1 },
    ]);
    const since = logMark(fx.demo);
    const t0 = performance.now();
    const size = await seg.size(body);
    const elapsed = performance.now() - t0;
    expect(size).toBeGreaterThan(0);
    const log = requestsSince(fx.demo, since, '/segmentation/size/');
    expect(log.map((e) => e.status)).toEqual([503, 429, 200]);
    expect(fx.demo.faultCounts()).toEqual([1, 1]);
    expect(delays).toHaveLength(2);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeGreaterThanOrEqual(2000);
  });

  it('gives up after maxAttempts with DvidUnavailableError carrying the Retry-After', async () => {
    const seg = fx.client({ retry: { maxAttempts: 3, baseDelayMs: 10 } }).labelmap(fx.child, 'segmentation');
    fx.demo.setFaults([{ path: SPECIFIC, kind: 'status', status: 503, retryAfter: 0 }]);
    const since = logMark(fx.demo);
    const { got, err } = await drain(seg.specificBlocks(coords, { compression: 'blocks' }));
    expect(got).toEqual([]);
    expect(err).toBeInstanceOf(DvidUnavailableError);
    expect(err).toMatchObject({ status: 503, retryAfterMs: 0, method: 'GET' });
    expect((err as DvidError).serverText).toMatch(/throttled operations/);
    expect(requestsSince(fx.demo, since, 'specificblocks')).toHaveLength(3);
  });

  it('does not wait for a Retry-After beyond the cap', async () => {
    const seg = fx.client({ retry: { maxRetryAfterMs: 5_000 } }).labelmap(fx.child, 'segmentation');
    fx.demo.setFaults([{ path: '/api/node/*/segmentation/lastmod/*', kind: 'status', status: 429, retryAfter: 60 }]);
    const since = logMark(fx.demo);
    const t0 = performance.now();
    const err = await caught(seg.lastmod(body));
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(DvidUnavailableError);
    expect((err as DvidUnavailableError).retryAfterMs).toBe(60_000);
    expect(requestsSince(fx.demo, since, '/lastmod/')).toHaveLength(1);
  });

  it('never retries a write, nor a 500', async () => {
    const kv = fx.client().keyvalue(fx.child, 'bookmarks');
    fx.demo.setFaults([{ method: 'POST', path: '/api/node/*/bookmarks/key/*', kind: 'status', status: 503, retryAfter: 0 }]);
    let since = logMark(fx.demo);
    expect(await caught(kv.put('k', 'v'))).toBeInstanceOf(DvidUnavailableError);
    expect(requestsSince(fx.demo, since, '/bookmarks/key/', 'POST')).toHaveLength(1);

    fx.demo.setFaults([{ method: 'POST', path: '/api/node/*/bookmarks/key/*', kind: 'reset' }]);
    since = logMark(fx.demo);
    const reset = await caught(kv.put('k', 'v'));
    expect(reset).toBeInstanceOf(DvidNetworkError);
    await waitForLog(fx.demo, since, '/bookmarks/key/');
    expect(requestsSince(fx.demo, since, '/bookmarks/key/', 'POST')).toHaveLength(1);

    fx.demo.setFaults([{ path: '/api/node/*/segmentation/size/*', kind: 'status', status: 500 }]);
    since = logMark(fx.demo);
    const e500 = await caught(fx.client().labelmap(fx.child, 'segmentation').size(body));
    expect(e500).toBeInstanceOf(DvidServerError);
    expect(e500).not.toBeInstanceOf(DvidUnavailableError);
    expect((e500 as DvidServerError).serverText).toMatch(/Panic detected/);
    expect(requestsSince(fx.demo, since, '/segmentation/size/')).toHaveLength(1);
  });

  it('retries a GET whose connection is reset, before or during a whole-body read', async () => {
    const kv = fx.client().keyvalue(fx.child, 'segmentation_annotations');
    const [key] = await kv.keyRange('0', '9');
    const want = Buffer.from(await kv.get(key!)).toString();
    for (const fault of [{ kind: 'reset' as const }, { kind: 'truncate' as const, afterBytes: 10 }]) {
      fx.demo.setFaults([{ path: '/api/node/*/segmentation_annotations/key/*', times: 1, ...fault }]);
      const since = logMark(fx.demo);
      expect(Buffer.from(await kv.get(key!)).toString()).toBe(want);
      const log = await waitForLog(fx.demo, since, '/segmentation_annotations/key/', 2);
      expect(log.map((e) => e.outcome)).toEqual([fault.kind === 'reset' ? 'reset' : 'truncated', 'ok']);
    }
  });
});

describe('typed failures of a stream', () => {
  it('reports an error text after a 200 as a server failure, keeping the records before it', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    fx.demo.setFaults([{ path: SPECIFIC, kind: 'error-after-200', afterParts: 3, errorText: 'unable to read block: storage failure' }]);
    const { got, err } = await drain(seg.specificBlocks(coords, { compression: 'blocks', supervoxels: true }));
    expect(err).toBeInstanceOf(DvidServerError);
    expect(err).toMatchObject({ afterOk: true, status: 200 });
    expect((err as DvidError).serverText).toBe(`unable to read block: storage failure (/api/node/${fx.child}/segmentation/specificblocks).`);
    expect(got).toHaveLength(3);
    for (const r of got) {
      const vol = decodeBlockPayload(r.payload, 'blocks', [64, 64, 64]);
      expect(vol.voxels.length).toBe(64 ** 3);
    }
  });

  it('does the same for JSON, tar, protobuf-framed and binary-mapping streams', async () => {
    const c = fx.client();
    const cases: Array<[string, () => AsyncIterable<unknown>]> = [
      ['/api/node/*/synapses/all-elements', () => c.annotation(fx.child, 'synapses').allElements()],
      ['/api/node/*/segmentation_annotations/keyrangevalues/*/*', () => c.keyvalue(fx.child, 'segmentation_annotations').keyRangeValues('0', '9', { format: 'tar' })],
      ['/api/node/*/segmentation_annotations/keyrangevalues/*/*', () => c.keyvalue(fx.child, 'segmentation_annotations').keyRangeValues('0', '9', { format: 'json' })],
      ['/api/node/*/segmentation/mutations', () => c.labelmap(fx.child, 'segmentation').mutations()],
      ['/api/node/*/segmentation/mappings', () => pairsOf(c.labelmap(fx.child, 'segmentation').mappings())],
    ];
    for (const [path, call] of cases) {
      const whole = await drain(call());
      expect(whole.err).toBeNull();
      fx.demo.setFaults([{ path, kind: 'error-after-200', afterParts: 3 }]);
      const { got, err } = await drain(call());
      fx.demo.setFaults([]);
      expect(err, path).toBeInstanceOf(DvidServerError);
      expect((err as DvidServerError).afterOk).toBe(true);
      expect((err as DvidError).serverText).toMatch(/\(\/api\/node\/.*\)\.$/);
      // Whatever arrived is a prefix of the whole answer, never garbage.
      expect(got.length).toBeLessThanOrEqual(whole.got.length);
      expect(got.length, path).toBeGreaterThan(0);
      expect(JSON.stringify(got, big)).toBe(JSON.stringify(whole.got.slice(0, got.length), big));
    }
  });

  it('reports a stream cut mid-record as truncated, a reset mid-body too, with the records before', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    const whole = await drain(seg.specificBlocks(coords, { compression: 'uncompressed' }));
    expect(whole.got).toHaveLength(8);
    const recordBytes = 16 + 64 ** 3 * 8;
    for (const kind of ['truncate', 'reset'] as const) {
      fx.demo.setFaults([{ path: SPECIFIC, kind, afterBytes: recordBytes * 2 + 1000 }]);
      const since = logMark(fx.demo);
      const { got, err } = await drain(seg.specificBlocks(coords, { compression: 'uncompressed' }));
      expect(err).toBeInstanceOf(DvidTruncatedError);
      expect((err as DvidTruncatedError).bytesReceived).toBe(recordBytes * 2 + 1000);
      expect(got).toHaveLength(2);
      expect(requestsSince(fx.demo, since, 'specificblocks')).toHaveLength(1); // a stream is never retried once it has started
    }
  });

  it('reports corrupt framing as a bad response; a split stream parses as a whole one', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    fx.demo.setFaults([{ path: SPECIFIC, kind: 'corrupt', corruptAt: 12, times: 1 }]);
    const bad = await drain(seg.specificBlocks(coords, { compression: 'blocks', blockSize: [64, 64, 64] }));
    expect(bad.err).toBeInstanceOf(DvidBadResponseError);
    expect(bad.err).toMatchObject({ cause: expect.any(FormatError) });

    const plain = await drain(seg.specificBlocks(coords, { compression: 'blocks', supervoxels: true }));
    fx.demo.setFaults([{ path: SPECIFIC, kind: 'split', chunkBytes: 7 }]);
    const split = await drain(seg.specificBlocks(coords, { compression: 'blocks', supervoxels: true }));
    expect(split.err).toBeNull();
    expect(split.got.map(key).toSorted()).toEqual(plain.got.map(key).toSorted());
  });
});

describe('timeouts, aborts and bounds', () => {
  it('times out a stalled body, and slow headers, as DvidTimeoutError of that phase', async () => {
    const c = fx.client({ timeouts: { bodyIdleMs: 400, headersMs: 400 } });
    fx.demo.setFaults([{ path: SPECIFIC, kind: 'stall' }]);
    const t0 = performance.now();
    const { got, err } = await drain(c.labelmap(fx.child, 'segmentation').specificBlocks(coords, { compression: 'uncompressed' }));
    expect(err).toBeInstanceOf(DvidTimeoutError);
    expect(err).toMatchObject({ phase: 'body', timeoutMs: 400 });
    expect(got.length).toBeLessThan(coords.length);
    expect(performance.now() - t0).toBeLessThan(5_000);

    fx.demo.setFaults([{ path: '/api/node/*/segmentation/size/*', kind: 'latency', latencyMs: 1500 }]);
    const slow = await caught(c.labelmap(fx.child, 'segmentation').size(body));
    expect(slow).toBeInstanceOf(DvidTimeoutError);
    expect(slow).toMatchObject({ phase: 'headers', timeoutMs: 400 });
    // Timeouts are not retried: the rule matched exactly one request.
    await new Promise((r) => setTimeout(r, 300));
    expect(fx.demo.faultCounts()).toEqual([1]);
  });

  it('stops the transfer when the caller aborts', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    const ac = new AbortController();
    const since = logMark(fx.demo);
    const got: unknown[] = [];
    let err: unknown = null;
    try {
      for await (const r of seg.blocks([512, 512, 512], [0, 0, 0], { compression: 'uncompressed', signal: ac.signal })) {
        got.push(r);
        if (got.length === 2) ac.abort();
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DvidAbortedError);
    const [entry] = await waitForLog(fx.demo, since, '/segmentation/blocks/');
    expect(entry!.outcome).toBe('aborted');
    // The whole answer is hundreds of 2 MiB records; the server stopped well short of it.
    expect(entry!.bytes).toBeLessThan(64 << 20);

    const pre = new AbortController();
    pre.abort();
    expect(await caught(seg.size(body, { signal: pre.signal }))).toBeInstanceOf(DvidAbortedError);
  });

  it('cuts off a body larger than the bound', async () => {
    const seg = fx.client().labelmap(fx.child, 'segmentation');
    const since = logMark(fx.demo);
    const { got, err } = await drain(seg.blocks([512, 512, 512], [0, 0, 0], { compression: 'uncompressed', maxBytes: 5 << 20 }));
    expect(err).toBeInstanceOf(DvidTooLargeError);
    expect(got).toHaveLength(2); // 2 × (16 + 2 MiB) fit in 5 MiB, a third does not
    const [entry] = await waitForLog(fx.demo, since, '/segmentation/blocks/');
    expect(entry!.outcome).toBe('aborted');
    expect(entry!.bytes).toBeLessThan(64 << 20);
    // A declared Content-Length over the bound is refused before the body is read.
    const kv = fx.client().keyvalue(fx.child, 'segmentation_meshes');
    const [meshKey] = await kv.keyRange('0', '9');
    expect(await caught(kv.get(meshKey!, { maxBytes: 100 }))).toMatchObject({ name: 'DvidTooLargeError', maxBytes: 100 });
  });

  it('checks the Content-Type DVID sets, and reports a closed port as a network failure', async () => {
    const http = new DvidHttp({ baseUrl: fx.demo.url });
    const kvPath = `/api/node/${fx.child}/segmentation_annotations/keys`;
    expect(await caught(http.json({ method: 'GET', path: kvPath, expect: 'octet-stream' }))).toBeInstanceOf(DvidBadResponseError);
    expect(await http.json({ method: 'GET', path: kvPath, expect: 'json' })).toEqual(expect.any(Array));
    await http.close();

    const srv = (await import('node:net')).createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const nowhere = new DvidHttp({ baseUrl: `http://127.0.0.1:${port}` });
    const err = await caught(nowhere.json({ method: 'GET', path: '/api/server/info' }));
    expect(err).toBeInstanceOf(DvidNetworkError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', path: '/api/server/info', status: null });
    await nowhere.close();
  });

  it('never puts the token in a URL or an error, and sends it as a bearer header', async () => {
    const token = 'tok-3f9a1c7e5b2d';
    const c = fx.client({ token });
    fx.demo.setFaults([{ path: '/api/node/*/segmentation/size/*', kind: 'status', status: 500 }]);
    const err = (await caught(c.labelmap(fx.child, 'segmentation').size(body))) as Error;
    expect(err).toBeInstanceOf(DvidServerError);
    expect(`${err.message} ${JSON.stringify(err)} ${String(err.stack)}`).not.toContain(token);
    for (const e of fx.demo.log.entries) expect(`${e.path}?${e.query}`).not.toContain(token);
    expect(c.http.hasToken).toBe(true);
  });
});

const key = (r: { bx: number; by: number; bz: number; payload: Uint8Array }): string => `${r.bx},${r.by},${r.bz}:${Buffer.from(r.payload).toString('base64')}`;

/** Mapping batches as single pairs (batch boundaries follow the socket's chunks). */
async function* pairsOf(batches: AsyncIterable<MappingBatch>): AsyncGenerator<string> {
  for await (const b of batches) for (let i = 0; i < b.supervoxels.length; i++) yield `${b.supervoxels[i]} ${b.bodies[i]}`;
}

function big(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array || v instanceof BigUint64Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return v;
}
